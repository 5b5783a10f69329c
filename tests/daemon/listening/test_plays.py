"""Plays judged: half the length or 4 minutes is a listen, left within 30 s is a skip."""

from __future__ import annotations

from daemon.listening.plays import PlayTracker, verdict

SONG = {"file": "tastebud/A/A - a.opus", "title": "a"}


def _status(
    state: str, songid: str = "1", elapsed: float = 0.0, duration: float = 200.0
) -> dict[str, str]:
    return {"state": state, "songid": songid, "elapsed": str(elapsed), "duration": str(duration)}


def test_a_song_heard_through_is_a_listen_and_one_left_early_a_skip() -> None:
    tracker = PlayTracker()
    assert tracker.observe(_status("play"), SONG, now=1000.0) == []
    ended = tracker.observe(_status("play", songid="2"), SONG, now=1150.0)
    ((play, played),) = ended
    assert played == 150.0  # 150 s of playing, estimated from the clock
    assert verdict(play, played) == "listen"
    ended = tracker.observe(_status("stop"), {}, now=1160.0)
    ((play, played),) = ended
    assert (played, verdict(play, played)) == (10.0, "skip")


def test_seeking_to_the_end_counts_the_position_reached_and_pause_stops_the_clock() -> None:
    tracker = PlayTracker()
    tracker.observe(_status("play", duration=600.0), SONG, now=0.0)
    tracker.observe(_status("pause", elapsed=20.0, duration=600.0), SONG, now=20.0)
    tracker.observe(_status("play", elapsed=20.0, duration=600.0), SONG, now=500.0)
    ((play, played),) = tracker.observe(_status("play", songid="9"), SONG, now=530.0)
    assert played == 50.0
    assert verdict(play, played) == "none"
    tracker.observe(_status("play", songid="10", elapsed=590.0, duration=600.0), SONG, now=600.0)
    ((play, played),) = tracker.observe(_status("stop"), {}, now=700.0)
    assert played == 600.0  # capped at the song's length
    assert verdict(play, played) == "listen"


def test_four_minutes_is_a_listen_of_a_long_song() -> None:
    tracker = PlayTracker()
    tracker.observe(_status("play", duration=3600.0), SONG, now=0.0)
    ((play, played),) = tracker.observe(_status("stop"), {}, now=241.0)
    assert verdict(play, played) == "listen"
