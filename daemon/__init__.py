"""tastebud's daemon: everything around the store and the classifier.

- ``cli/``: the ``tastebud`` command: the parser and one module per command group.
- ``service/``: ``tastebud run`` and ``once``: the job table, the jobs, lifecycle, lock, sd_notify.
- ``sources/``: listening history and candidate feeds, one module per source type.
- ``acquire/``: getting audio: matching, the yt-dlp fetcher, the fetch pipeline, analysis.
- ``listening/``: where the queue is heard: the library folder, MPD, Subsonic, plays.
- ``playlists/``: playlist formats, ``tastebud export`` and the ``[[playlists]]`` job.
- ``dashboard/``: a snapshot of reads and a view that only renders.
- ``web/``: ``tastebud web`` and the ``[web]`` server: the page and the HTTP API.
- ``demo/``: ``make demo``, on a synthetic corpus.
- ``config/``: ``config.toml``; ``net/``: the HTTP client, retries, politeness.
- ``feedback.py``: likes, dislikes and blocks as every front end records them.
- ``ranking_evidence.py``: what orders the queue and how far to trust it.
- ``representation.py``: which backbone's features rank while a new one reaches the
  tracks by re-analysis, and how far it has.
- ``waits.py``: the waits after failures (tracks to retry, sources backing off), said with
  until when and how ``tastebud retry`` ends them.
- ``redact.py``: secrets out of logs and stored errors, control characters out of what is
  shown; ``filemodes.py``: the state's umask.
- ``supervise.py``: workers restarted after any error; a wall clock that steps, noticed.

Each subpackage's ``__init__`` is its surface: other subpackages import only its
``__all__``. The console script is :func:`daemon.cli.main`.
"""

from __future__ import annotations

__all__: list[str] = []
