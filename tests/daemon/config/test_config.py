"""config.toml parsing: defaults, did-you-mean, types, secrets, dump/load round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.config import (
    Config,
    ConfigError,
    FetchConfig,
    dump_config,
    load_config,
    parse_config,
)
from daemon.sources import config_schemas
from daemon.sources.listenbrainz import ListenBrainzConfig
from daemon.sources.url_feed import UrlFeedConfig

ROOT = Path(__file__).resolve().parents[3]
SOURCES = config_schemas()


def test_default_config_file_loads() -> None:
    config = load_config(ROOT / "config.toml", sources=SOURCES)
    assert config.history[0].type == "listenbrainz"
    assert config.fetch == FetchConfig()  # the file documents the code's defaults
    assert config.model.backbone == "MSD_musicnn"


def test_empty_config_uses_defaults() -> None:
    config = parse_config("")
    assert config.fetch.min_duration_s == 60
    assert config.history == ()


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[fetch]\nmax_duraton_s = 10\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert str(path) in message
    assert "fetch.max_duraton_s" in message
    assert "did you mean 'max_duration_s'" in message


def test_unknown_table_suggests_the_closest() -> None:
    with pytest.raises(ConfigError, match="did you mean 'feeds'"):
        parse_config('[[feed]]\ntype = "url"\n', sources=SOURCES)


def test_wrong_type_names_expected_type() -> None:
    with pytest.raises(ConfigError, match=r"fetch\.batch_size must be an integer, not a string"):
        parse_config('[fetch]\nbatch_size = "ten"\n')
    with pytest.raises(ConfigError, match="must be a boolean"):
        parse_config("[fetch]\nkeep_audio = 1\n")


def test_bad_values() -> None:
    with pytest.raises(ConfigError, match="did you mean 'lastfm'"):
        parse_config('[[history]]\ntype = "lastfn"\nuser = "x"\n', sources=SOURCES)
    with pytest.raises(ConfigError, match=r"needs user"):
        parse_config('[[history]]\ntype = "listenbrainz"\n', sources=SOURCES)
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("[fetch\n")
    with pytest.raises(ConfigError, match="greater than 0"):
        parse_config("[model]\npatches = 0\n")


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_secret_from_environment_and_credentials_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        '[[history]]\ntype = "listenbrainz"\nuser = "u"\n[[history]]\ntype = "lastfm"\nuser = "u"\n'
    )
    monkeypatch.setenv("TASTEBUD_LISTENBRAINZ_TOKEN", "tok-from-env")
    (tmp_path / "lastfm_api_key").write_text("key-from-file\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    config = parse_config(text, sources=SOURCES)
    assert config.history[0].token == "tok-from-env"
    assert config.history[1].api_key == "key-from-file"
    shown = dump_config(config) + repr(config)
    assert "tok-from-env" not in shown
    assert "key-from-file" not in shown
    assert 'token = "***"' in dump_config(config)


def test_state_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "sd"))
    assert parse_config("").state_dir == tmp_path / "sd"
    assert parse_config(f'[storage]\ndir = "{tmp_path}/x"\n').state_dir == tmp_path / "x"
    monkeypatch.delenv("STATE_DIRECTORY")
    assert parse_config("").state_dir == Path("~/.local/share/tastebud").expanduser()


safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)


@settings(max_examples=50, deadline=None)
@given(
    user=safe_text.filter(bool),
    url=safe_text.filter(bool),
    token=safe_text,
    keep=st.booleans(),
    batch=st.integers(min_value=1, max_value=10_000),
    half_life=st.floats(min_value=0.1, max_value=1e4, allow_nan=False),
)
def test_dump_then_load_is_identity(user, url, token, keep, batch, half_life) -> None:
    base = parse_config("")
    config = Config(
        path="config.toml",
        history=(ListenBrainzConfig(user=user, token=token),),
        feeds=(UrlFeedConfig(url=url, max_items=batch),),
        fetch=FetchConfig(keep_audio=keep, batch_size=batch),
        model=type(base.model)(half_life_days=half_life),
    )
    again = parse_config(dump_config(config, redact=False), "config.toml", sources=SOURCES)
    assert again == config


def test_player_command_is_an_array_of_strings() -> None:
    config = parse_config('[player]\ncommand = ["mpv", "--no-video"]\n')
    assert config.player.command == ("mpv", "--no-video")
    assert parse_config(dump_config(config), "config.toml").player == config.player
    assert parse_config("").player.command == ()
    with pytest.raises(ConfigError, match=r"player\.command must be an array of strings"):
        parse_config('[player]\ncommand = "mpv --no-video"\n')
