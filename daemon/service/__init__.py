"""The long-running service: the job table (``table``), the jobs themselves (``jobs``),
the daemon's lifecycle and signals (``daemon``), one recorded cycle (``once``), the state
directory lock (``lock``) and systemd's notify protocol (``sdnotify``)."""
