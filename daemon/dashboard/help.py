"""The dashboard's help screen (``?``): its keys and the terms it shows."""

from __future__ import annotations

__all__ = ["HELP", "KEYS_LINE"]

KEYS_LINE = "Enter details l like d dislike x dismiss b block u undo p play / filter ? help q quit"

HELP = """\
[b]Keys[/b]
  ↑ ↓ PgUp PgDn Home End  move the selection through the queue
  l like   d dislike   x dismiss (not for me, no opinion)
  b block the selected track's artist   u undo the last feedback
  p play the selected track (\\[player] command, else mpv)
  Enter the selected track in full: why, standing, URL, its id
  / filter by artist or title (Enter keeps it, Esc clears it)
  ? this help   q quit   Esc clears the filter, else quits
  Feedback is stored as `tastebud feedback` stores it and is
  used at the next training cycle.

[b]The queue[/b]
  #      the rank: `tastebud feedback like '#3'` means this row
  id     the track id: `tastebud feedback like 57`, queued or not
  standing  where it stands among the candidates, 0 to 1 (1.0
         the best, 0.5 the middle): a rank, not a probability;
         under what ranks (the header says: the model or similarity)
  feed   the feed that first offered it
  age    how long ago a feed first offered it (s, m, h, d)
  why    ≈ the tracks you played or liked that it sounds closest
         to, and its three most probable musicnn tags (on a
         terminal under 100 columns, only the tags; Enter shows
         it in full)

[b]The rest[/b]
  header    the whole queue's length, listens in the last 120
            days, what ranks the queue (model vN, similarity or
            feed order), and whether the daemon runs (its pid) or
            when its last run ended
  drift     tags rising (+) and falling (-) between your listens
            of the last 30 days and the 90 before
  ranked by what orders the queue: the model, or similarity to
            your listens when new listens showed the model worse
            (or before there is one), or feed order
  evidence  each new listen's standing among the candidates as
            they were ranked before it, under the model and under
            similarity: both means, on how many listens, and the
            95% interval of the difference; what ranks switches
            only when that interval leaves zero behind
  validation hit@k: share of the newest model's held-out listens
            in its top k, beside similarity's; percentile: their
            mean standing, 1.0 top, 0.5 chance
  ▁▅█ percentile by version: each promoted model's, oldest first
  ▶ ♥ ✗ ⤼ ⊘ » a listen, like, dislike, dismissal, artist block,
            a skip seen in MPD (left within 30 s)
  pipeline  tracks by fetch state; the backlog waits to be
            fetched; re-analysis: tracks fetched again for a new
            [model] backbone (the old one ranks until it covers
            95% of them); unhealthy: jobs and sources that failed last
            time; ! their errors; jobs: ✓ ok ✗ failed … running
            - skipped ! aborted, how long ago, →next run
            ("stopped" while the daemon does not run);
            `tastebud retry` runs the polls and the fetch now
            and ends the waits after failures (→ lines above)

↑ ↓ scroll; Esc, q or ? closes this help."""
