"""tastebud's daemon: everything around the store and the classifier.

- ``cli/``: the ``tastebud`` command: the parser and one module per command group.
- ``service/``: ``tastebud run`` and ``once``: the job table, the jobs, lifecycle, lock, sd_notify.
- ``sources/``: listening history and candidate feeds, one module per source type.
- ``acquire/``: getting audio: matching, the yt-dlp fetcher, throttling, the fetch pipeline.
- ``playlists/``: playlist formats, ``tastebud export`` and the ``[[playlists]]`` job.
- ``dashboard/``: a snapshot of reads and a view that only renders.
- ``web/``: ``tastebud web`` and the ``[web]`` server: the page and the HTTP API.
- ``demo/``: ``make demo``, on a synthetic corpus.
- ``config/``: ``config.toml``; ``net.py``: the HTTP client factory and retries.
- ``redact.py``: secrets out of logs and stored errors; ``filemodes.py``: the state's umask.

The console script is :func:`daemon.cli.main`.
"""

from __future__ import annotations

__all__: list[str] = []
