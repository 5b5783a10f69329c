"""``python -m bench.drift``: see :mod:`bench.drift.cli`."""

from __future__ import annotations

import sys

from bench.drift.cli import main

if __name__ == "__main__":
    sys.exit(main())
