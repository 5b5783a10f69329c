"""A loopback feed of real audio for the systemd container test.

Run with the venv's python: ``make_feed.py OUT_DIR BASE_URL``. Writes short tracks
(Opus and MP3, encoded by the project's own ``classifier.write_audio``) under
OUT_DIR/audio, an RSS feed of them (OUT_DIR/feed.rss) and a ListenBrainz export
(OUT_DIR/history.jsonl) whose listens name half of them by URL, so a cycle has
labelled and unlabelled tracks to embed and train on.
"""

from __future__ import annotations

import json
import sys
import time
from email.utils import formatdate
from pathlib import Path

import numpy as np

from classifier import write_audio

TRACKS = 10
SECONDS = 20.0
RATE = 16000
MIME = {".opus": "audio/ogg", ".mp3": "audio/mpeg"}


def tone(seed: int) -> np.ndarray:
    """A few decaying tones on a beat, a little noise: music enough for the embedder."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(SECONDS * RATE)) / RATE
    beat = 0.5 + 0.5 * np.exp(-4 * (t % (0.3 + 0.05 * (seed % 5))))
    notes = rng.uniform(110, 880, size=4)
    audio = sum(np.sin(2 * np.pi * f * t) / (i + 2) for i, f in enumerate(notes))
    return (0.3 * beat * audio + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def main(out: Path, base: str) -> None:
    (out / "audio").mkdir(parents=True, exist_ok=True)
    now = int(time.time())
    items, listens = [], []
    for i in range(TRACKS):
        path = out / "audio" / f"track{i:02d}{'.opus' if i % 2 else '.mp3'}"
        write_audio(path, tone(i), RATE, bit_rate=32000 if path.suffix == ".opus" else None)
        url = f"{base}/audio/{path.name}"
        artist, title = f"Loopback Artist {i % 4}", f"Track {i:02d}"
        items.append(
            f"<item><title>{artist} - {title}</title><guid>{url}</guid>"
            f"<pubDate>{formatdate(now - i * 3600)}</pubDate>"
            f'<enclosure url="{url}" length="{path.stat().st_size}" type="{MIME[path.suffix]}"/>'
            "</item>"
        )
        if i < TRACKS // 2:
            for n in range(3):
                listens.append(
                    {
                        "listened_at": now - 86400 * (n + 1) - 600 * i,
                        "recording_msid": f"loopback-{i:02d}",
                        "track_metadata": {
                            "artist_name": artist,
                            "track_name": title,
                            "additional_info": {"origin_url": url},
                        },
                    }
                )
    (out / "feed.rss").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        "<title>tastebud loopback feed</title><link>http://127.0.0.1/</link>"
        "<description>test tracks</description>" + "".join(items) + "</channel></rss>\n",
        encoding="utf-8",
    )
    (out / "history.jsonl").write_text(
        "".join(json.dumps(x) + "\n" for x in listens), encoding="utf-8"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2].rstrip("/"))
