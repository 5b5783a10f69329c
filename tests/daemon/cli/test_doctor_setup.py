"""``doctor`` fails on what will fail: the shipped placeholder user, missing files and
folders, a Subsonic server without its password; it lists every path with where it came
from, and its advice for a failing source names what to check."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.config import load_config
from daemon.sources import config_schemas
from store import Store


def _doctor(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--config", str(path), "doctor"])
    return code, capsys.readouterr().out


def test_doctor_fails_on_what_will_fail_and_lists_each_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TASTEBUD_SUBSONIC_PASSWORD", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage]\ndir = "{tmp_path / "state"}"\n'
        '[[history]]\ntype = "listenbrainz"\nuser = "example"\n'
        f'[[history]]\ntype = "takeout"\nname = "yt"\npath = "{tmp_path / "Takeout.json"}"\n'
        f'[[feeds]]\ntype = "directory"\nname = "mine"\npath = "{tmp_path / "Music"}"\n'
        f'[[playlists]]\nname = "out"\npath = "{tmp_path / "nowhere" / "out.m3u8"}"\n'
        '[subsonic]\nurl = "http://127.0.0.1:9"\nuser = "me"\n'
    )
    code, out = _doctor(path, capsys)
    assert code == 1
    lines = out.splitlines()
    expected = [
        '[FAIL] history listenbrainz:example: user = "example" is the shipped config\'s '
        "placeholder",
        f"[FAIL] history yt: path {tmp_path / 'Takeout.json'} is not a file (looked at "
        f"{tmp_path / 'Takeout.json'})",
        f"[FAIL] feed mine: path {tmp_path / 'Music'} is not a folder (looked at "
        f"{tmp_path / 'Music'})",
        f"[FAIL] playlist out: {tmp_path / 'nowhere' / 'out.m3u8'}: its folder "
        f"{tmp_path / 'nowhere'} does not exist",
        "[FAIL] subsonic: [subsonic] url is set but password is empty",
        f"[ok  ] state: {tmp_path / 'state'} (from [storage] dir): not created yet, made on "
        "first use",
        f"[ok  ] library: {tmp_path / 'state' / 'library'} (default: [library] dir is empty): "
        "not created yet, made on first use",
    ]
    for line in expected:
        assert line in lines, out
    assert f"       fix: create it (mkdir -p {tmp_path / 'nowhere'}) or fix path in" in out

    (tmp_path / "Music").mkdir()
    (tmp_path / "Takeout.json").write_text("[]")
    (tmp_path / "nowhere").mkdir()
    _, fixed = _doctor(path, capsys)
    assert f"[ok  ] feed mine: path {tmp_path / 'Music'}: a readable folder" in fixed
    assert f"[ok  ] history yt: path {tmp_path / 'Takeout.json'}: a readable file" in fixed
    assert "[ok  ] playlist out:" in fixed


def test_a_failing_feed_gets_advice_naming_what_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage]\ndir = "{tmp_path / "state"}"\n'
        '[[feeds]]\ntype = "url"\nname = "site"\nurl = "http://127.0.0.1:9/feed.rss"\n'
    )
    with (
        Store.open(load_config(path, sources=config_schemas()).db_path) as store,
        store.recorded_run("feed:site") as run,
    ):
        run.fail("url feed 'site': [Errno 111] Connection refused")
    _, out = _doctor(path, capsys)
    assert (
        "[FAIL] feed:site: last poll failed: url feed 'site': [Errno 111] Connection refused" in out
    )
    assert (
        "fix: the server did not answer: check the network and [fetch] proxy, or wait for the "
        "server to come back; see what yt-dlp says: yt-dlp --flat-playlist "
        "'http://127.0.0.1:9/feed.rss'; it backs off until"
    ) in out
    assert "`tastebud retry` ends the wait" in out
    assert "fix what the error names" not in out


def test_doctor_says_when_a_media_server_cannot_reach_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with tempfile.TemporaryDirectory() as name:  # not under pytest's own 0700 folder
        root = Path(name)
        root.chmod(0o755)
        home = root / "home"
        (home / "Music").mkdir(parents=True)
        (home / "Music").chmod(0o755)
        home.chmod(0o700)  # Debian 12's adduser makes homes 0700
        path = tmp_path / "config.toml"
        library = home / "Music" / "tb"
        path.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n[library]\ndir = "{library}"\n')
        _, out = _doctor(path, capsys)
        assert (
            f"[warn] library: a media server running as another user cannot reach {library}: "
            f"{home} is 0700 (others may not pass through)"
        ) in out
        assert f"fix: chmod o+x {home} (lets others pass, not list)" in out
        home.chmod(0o751)
        _, out = _doctor(path, capsys)
        assert "cannot reach" not in out


def test_doctor_gives_the_system_unit_the_drop_in_for_folders_under_home() -> None:
    from daemon.cli.doctor_setup import check_system_unit
    from daemon.config import parse_config

    text = (
        '[storage]\ndir = "/var/lib/tastebud"\n'
        '[library]\ndir = "/home/alice/Music/tastebud"\n'
        '[[feeds]]\ntype = "directory"\npath = "/home/alice/Music"\n'
    )
    (check,) = check_system_unit(
        parse_config(text, "/etc/tastebud/config.toml", sources=config_schemas())
    )
    assert check.warning
    assert check.detail == (
        "the system unit cannot reach /home/alice/Music/tastebud, /home/alice/Music: its "
        "ProtectHome=yes hides /home"
    )
    assert check.fix.startswith(
        "sudo systemctl edit tastebud and add under [Service]: ProtectHome=read-only; "
        "ReadWritePaths=/home/alice/Music/tastebud; then sudo systemctl restart tastebud"
    )
    assert (
        check_system_unit(
            parse_config(text, "/home/alice/.config/tastebud/config.toml", sources=config_schemas())
        )
        == []
    )


def test_a_library_folder_the_service_cannot_write_says_which_unit_setting_opens_it(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from daemon.acquire.fetcher import fetcher_for
    from daemon.config import Config, LibraryConfig, StorageConfig
    from daemon.listening import PlayerError
    from daemon.listening.library import refresh_library

    blocker = tmp_path / "home"
    blocker.write_text("not a folder: as unreachable as a home under ProtectHome=yes")
    library = blocker / "Music" / "tastebud"
    config = Config(
        storage=StorageConfig(dir=str(tmp_path / "state")), library=LibraryConfig(dir=str(library))
    )
    monkeypatch.setenv("INVOCATION_ID", "0123456789abcdef")
    with pytest.raises(PlayerError) as failed:
        refresh_library(store, config, fetcher_for(config))
    assert str(failed.value).startswith(f"library folder {library}: cannot be made: ")
    assert f"ReadWritePaths={library} in a drop-in" in str(failed.value)
