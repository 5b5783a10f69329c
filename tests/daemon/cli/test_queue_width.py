"""``tastebud queue`` on an 80-column terminal: every row fits, the why is cut with "…"
rather than wrapped; into a pipe the why is whole."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from rich.cells import cell_len

from store import Store, TrackRef
from tests.populate import populate


def _on_a_terminal(args: list[str], columns: int, rows: int = 24) -> str:
    main_fd, sub_fd = pty.openpty()
    fcntl.ioctl(sub_fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    done = subprocess.run(args, stdout=sub_fd, stderr=subprocess.PIPE, env=env, timeout=120)
    os.close(sub_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_fd)
    assert done.returncode == 0, done.stderr
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_queue_rows_fit_an_80_column_terminal(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n')
    with Store.open(tmp_path / "state" / "tastebud.db") as store:
        populate(store)
        long = TrackRef("feed", artist="A Band With A Very Long Name Indeed", title="x" * 70)
        store.add_feed_items("feed", [long])
    cmd = [sys.executable, "-m", "daemon.cli", "--config", str(path), "queue", "--limit", "50"]
    shown = _on_a_terminal(cmd, 80).splitlines()
    assert shown[0].split() == ["#", "id", "standing", "artist", "title", "why"]
    assert all(cell_len(line) <= 80 for line in shown), max(shown, key=cell_len)
    assert any(line.endswith("…") for line in shown)  # a long why is cut, not wrapped
    piped = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    assert max(cell_len(line) for line in piped.splitlines()) > 80  # whole into a pipe
