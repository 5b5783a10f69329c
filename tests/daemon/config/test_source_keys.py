"""Each source type takes exactly its own keys; the loader is given the types, never imports
them."""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.config import Config, ConfigError, dump_config, parse_config
from daemon.redact import config_secrets
from daemon.sources import config_schemas

ROOT = Path(__file__).resolve().parents[3]
SOURCES = config_schemas()


def _error(text: str, path: str = "my.toml") -> str:
    with pytest.raises(ConfigError) as err:
        parse_config(text, path, sources=SOURCES)
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    return message


def test_config_check_rejects_another_types_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[history]]\ntype = "takeout"\npath = "w.json"\napi_key = "k"\n')
    assert main(["--config", str(path), "config", "check"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert str(path) in err
    assert "unknown key 'history[0].api_key' for type = \"takeout\"" in err
    assert "api_key is a key of type lastfm" in err
    assert err.endswith("known keys for takeout: type, name, path, include_youtube")


def test_a_listenbrainz_key_is_unknown_on_lastfm() -> None:
    message = _error('[[history]]\ntype = "lastfm"\nuser = "u"\npush_feedback = true\n')
    assert "unknown key 'history[0].push_feedback' for type = \"lastfm\"" in message
    assert "push_feedback is a key of type listenbrainz" in message
    assert "did you mean 'feedback'" not in message  # the key is right, the type is not
    assert "known keys for lastfm: type, name, user, url, api_key, feedback, overlap_s" in message


def test_a_feed_key_names_every_type_that_takes_it() -> None:
    message = _error('[[feeds]]\ntype = "directory"\npath = "~/Music"\nmax_items = 5\n')
    assert "max_items is a key of type listenbrainz-recommendations and url;" in message
    message = _error('[[feeds]]\ntype = "url"\nurl = "https://x/feed"\ntoken = "t"\n')
    assert "token is a key of type listenbrainz-recommendations" in message


def test_a_misspelt_source_key_suggests_the_closest() -> None:
    message = _error('[[history]]\ntype = "lastfm"\nusr = "u"\n')
    assert message == (
        "my.toml: unknown key 'history[0].usr' for type = \"lastfm\"; did you mean 'user'?"
    )
    message = _error('[[feeds]]\ntype = "url"\nurl = "https://x/feed"\nwhatever = 1\n')
    assert message.endswith("; known keys for url: type, name, url, max_items")


def test_a_source_table_needs_a_known_type() -> None:
    assert 'history[0] needs type = "...": one of jellyfin, lastfm, listenbrainz,' in _error(
        '[[history]]\nuser = "u"\n'
    )
    assert "type to be a string, not an integer" in _error("[[feeds]]\ntype = 3\n")
    assert "history[0].type = 'lastfn' must be one of" in _error('[[history]]\ntype = "lastfn"\n')


def test_required_keys_are_checked_by_the_loader() -> None:
    assert _error('[[history]]\ntype = "ytmusic"\n').endswith(
        'history[0] (ytmusic) needs auth_file = "..."'
    )
    assert _error('[[history]]\ntype = "takeout"\n').endswith(
        'history[0] (takeout) needs path = "..."'
    )
    assert _error('[[feeds]]\ntype = "url"\n').endswith('feeds[0] (url) needs url = "..."')


def test_source_ranges_are_checked_by_the_loader() -> None:
    message = _error('[[feeds]]\ntype = "url"\nurl = "https://x/feed"\nmax_items = 0\n')
    assert "feeds[0].max_items = 0 is out of range: it must be greater than 0" in message
    message = _error('[[history]]\ntype = "lastfm"\nuser = "u"\noverlap_s = -1\n')
    assert "history[0].overlap_s = -1 is out of range: it must be at least 0" in message


def test_without_the_source_types_only_source_tables_fail() -> None:
    assert parse_config('[fetch]\nbatch_size = 3\n[[playlists]]\nname = "top"\n').history == ()
    text = '[[history]]\ntype = "listenbrainz"\nuser = "u"\n'
    with pytest.raises(ConfigError) as err:
        parse_config(text, "my.toml")
    assert str(err.value).startswith("my.toml: history[0] cannot be read")
    assert "sources=daemon.sources.config_schemas()" in str(err.value)
    assert parse_config(text, "my.toml", sources=SOURCES).history[0].key == "listenbrainz:u"


def test_subclass_secrets_are_filled_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASTEBUD_RECS_TOKEN", "feed-token-from-env")
    text = '[[feeds]]\ntype = "listenbrainz-recommendations"\nname = "recs"\nuser = "u"\n'
    config = parse_config(text, sources=SOURCES)
    (recs,) = config.feeds
    assert getattr(recs, "token", None) == "feed-token-from-env"
    assert "feed-token-from-env" in config_secrets(config)
    assert "feed-token-from-env" not in dump_config(config) + repr(config)


def _filled(cls: type) -> object:
    fields = dataclasses.fields(cls)
    values = {
        f.name: f"{f.name}-value"
        for f in fields
        if f.type in ("str", "Secret") and "choices" not in f.metadata  # a choice keeps its default
    }
    values.pop("type")
    values["name"] = f"{cls.__name__}-name"  # two sources may not share a name
    return cls(**values)


def test_every_type_dumps_and_loads_back() -> None:
    config = Config(
        path="config.toml",
        history=tuple(_filled(cls) for cls in SOURCES.history.values()),
        feeds=tuple(_filled(cls) for cls in SOURCES.feeds.values()),
    )
    again = parse_config(dump_config(config, redact=False), "config.toml", sources=SOURCES)
    assert again == config
    assert [type(h) for h in again.history] == list(SOURCES.history.values())


def _imported(path: Path) -> set[str]:
    """Every module ``path`` names in an import, at any depth, or passes to import_module."""
    package = "daemon.config"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = node.module or ""
            names.add(".".join([*base, module]) if node.level else module)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0], ast.Constant):
                names.add(str(node.args[0].value))
    return names


def test_the_config_package_imports_nothing_of_the_sources() -> None:
    for path in sorted((ROOT / "daemon" / "config").glob("*.py")):
        bad = {n for n in _imported(path) if f"{n}.".startswith("daemon.sources.")}
        assert not bad, f"{path.name} imports {bad}"


def test_loading_a_config_loads_no_source_module(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[fetch]\nbatch_size = 3\n[daemon]\nnice = 5\n")
    probe = (
        "import sys\n"
        "from daemon.config import dump_config, load_config\n"
        "dump_config(load_config(sys.argv[1]))\n"
        "print(sorted(m for m in sys.modules if m.startswith('daemon.sources')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(path)],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_two_sources_of_one_name_are_refused() -> None:
    twice = '[[feeds]]\ntype = "url"\nurl = "https://a/feed"\n'
    message = _error(twice + twice)
    assert 'feeds[1] and feeds[0] are both named "https://a/feed"' in message
    assert message.endswith('give one a name = "..."')
    named = twice + '[[feeds]]\ntype = "url"\nname = "b"\nurl = "https://a/feed"\n'
    assert [f.key for f in parse_config(named, sources=SOURCES).feeds] == ["https://a/feed", "b"]
    user = '[[history]]\ntype = "lastfm"\nuser = "u"\napi_key = "k"\n'
    assert 'history[1] and history[0] are both named "lastfm:u"' in _error(user + user)
    other = user.replace('"u"', '"v"')
    assert len(parse_config(user + other, sources=SOURCES).history) == 2


def test_a_feed_cannot_take_the_discovery_feeds_name() -> None:
    message = _error('[[feeds]]\ntype = "url"\nname = "discover"\nurl = "https://a/feed"\n')
    assert 'feeds[0] is named "discover", the name of the discovery feed' in message
    history = '[[history]]\ntype = "lastfm"\nname = "discover"\nuser = "u"\napi_key = "k"\n'
    assert parse_config(history, sources=SOURCES).history[0].key == "discover"
