"""``tastebud doctor`` on MPD: reachable with the password, or one line and its fix."""

from __future__ import annotations

from daemon.cli.doctor import check_mpd
from daemon.config import Config, MpdConfig
from tests.mpd_helpers import MpdServer, free_port


def test_doctor_reaches_mpd_and_names_the_fix_when_it_cannot(mpd_server: MpdServer) -> None:
    ok = check_mpd(Config(mpd=MpdConfig(host="127.0.0.1", port=mpd_server.port)))
    assert ok.ok, ok.detail
    assert ok.detail.startswith("MPD 0.")
    down = check_mpd(Config(mpd=MpdConfig(host="127.0.0.1", port=free_port())))
    assert not down.ok
    assert "cannot reach MPD at 127.0.0.1" in down.detail
    assert "[mpd] host" in down.fix
