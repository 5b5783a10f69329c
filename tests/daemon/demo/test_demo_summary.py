"""The demo's last line counts the top 10 of the queue the dashboard above it shows:
``[queue] per_artist`` applied, each style named."""

from __future__ import annotations

from pathlib import Path

from daemon.config import Config, QueueConfig, StorageConfig
from daemon.dashboard.snapshot import load_snapshot
from daemon.demo.__main__ import top_line
from daemon.demo.run import top_styles
from store import Store, TrackRef


def test_the_demo_counts_the_queue_the_dashboard_shows(tmp_path: Path) -> None:
    config = Config(storage=StorageConfig(dir=str(tmp_path)), queue=QueueConfig(per_artist=2))
    refs = [
        TrackRef(
            "feed",
            artist=f"Ambient Ensemble {i % 4}",
            title=f"Pad {i}",
            url=f"http://h/audio/ambient-pad-{i:02d}.opus",
        )
        for i in range(10)
    ] + [
        TrackRef(
            "feed",
            artist="Piano Ensemble 1",
            title=f"Ballad {i}",
            url=f"http://h/audio/piano-ballad-{i:02d}.opus",
        )
        for i in range(2)
    ]
    with Store.open(config.db_path) as store:
        store.add_feed_items("feed", refs)
        ids = [store.find_tracks(r.url or "")[0].id for r in refs]
        for track_id in ids:
            store.mark_track(track_id, "ready")
        store.put_scores(None, [(t, 1.0 - i / 100) for i, t in enumerate(ids)])
        shown = load_snapshot(store, config, tag_names=[], with_drift=False).queue[:10]
    styles = top_styles(config)
    assert styles == [Path(r.entry.track.url or "").name.rsplit("-", 1)[0] for r in shown]
    assert styles.count("ambient-pad") == 8  # 4 artists, 2 each in any 50
    assert top_line(styles) == (
        "the top 10 above: 8 ambient-pad, 2 piano-ballad (ambient-pad is the style the "
        "history drifted to)"
    )
