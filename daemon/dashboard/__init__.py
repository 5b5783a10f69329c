"""The dashboard: a snapshot of reads (``snapshot``, what is wrong now in ``problems``), a
view that only renders it (``view``, the library line in ``library_view``, the selected
track's detail in ``detail``), the interactive Textual app (``app``, its help screen in
``help``) and the player its ``p`` key starts (``player``).

Other packages import only the names below; each module loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from store import lazy_getattr

if TYPE_CHECKING:
    from daemon.dashboard.app import DashboardApp
    from daemon.dashboard.snapshot import snapshot_for
    from daemon.dashboard.view import render

_WHERE = {
    "DashboardApp": "app",
    "snapshot_for": "snapshot",
    "render": "view",
}
__getattr__ = lazy_getattr(__name__, _WHERE, globals())

__all__ = [
    "DashboardApp",
    "render",
    "snapshot_for",
]
