"""``tastebud export`` and the daemon's ``[[playlists]]`` refresh.

Both read the ranked queue, write it in one of the playlist formats of
:mod:`store.export` (atomically: a temporary file beside the target, flushed,
fsynced, then renamed over it), and record the tracks as exported so that those
not listened to within ``[model] skip_grace_days`` count as implicit skips.

A stdout export (``--out -``) is recorded only when it is given a ``--name``:
a glance at the queue is not a playlist the listener was offered.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from daemon.config import Config, PlaylistConfig
from store.db import Store
from store.errors import ExportError, ImportError_ if False else ExportError  # noqa: F401
