"""Library file names are safe on every filesystem."""

from __future__ import annotations

import unicodedata

import pytest

from daemon.listening.filenames import MAX_NAME_BYTES, library_relpath, safe_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('AC/DC: "Live?" <*|>', "AC_DC_ _Live__ ____"),
        ("back\\slash", "back_slash"),
        ("trailing dots... ", "trailing dots"),
        (" .hidden", "hidden"),
        ("CON", "_CON"),
        ("lpt1.txt", "_lpt1.txt"),
        ("", "Unknown"),
        ("...", "Unknown"),
        ("tab\there\nnewline", "tab_here_newline"),
    ],
)
def test_safe_name(text: str, expected: str) -> None:
    assert safe_name(text) == expected


def test_names_are_nfc_and_bounded_in_utf8_bytes() -> None:
    decomposed = unicodedata.normalize("NFD", "Beyoncé")
    assert safe_name(decomposed) == unicodedata.normalize("NFC", "Beyoncé")
    long = safe_name("é" * 300)
    assert len(long.encode()) <= MAX_NAME_BYTES
    assert long == "é" * (MAX_NAME_BYTES // 2)


def test_library_relpath_is_artist_folder_then_artist_dash_title() -> None:
    assert library_relpath("Sigur Rós", "Hoppípolla", "opus", 7) == (
        "Sigur Rós/Sigur Rós - Hoppípolla.opus"
    )
    assert library_relpath(None, "x/y", "mp3", 7) == "Unknown/Unknown - x_y.mp3"
    assert library_relpath("A", None, "m4a", 7) == "A/A - track 7.m4a"
