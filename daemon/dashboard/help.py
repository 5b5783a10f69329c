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
  Enter the selected track in full: why, score, URL, its id
  / filter by artist or title (Enter keeps it, Esc clears it)
  ? this help   q quit   Esc clears the filter, else quits
  Feedback is stored as `tastebud feedback` stores it and is
  used at the next training cycle.

[b]The queue[/b]
  #      the rank: `tastebud feedback like '#3'` means this row
  id     the track id: `tastebud feedback like 57`, queued or not
  score  how likely you are to love it, 0 to 1: the model's, or
         similarity to what you listen to while it is untrained
  feed   the feed that first offered it
  age    how long ago a feed first offered it (s, m, h, d)
  why    ≈ the tracks you played or liked that it sounds closest
         to, and its three most probable musicnn tags (on a
         terminal under 100 columns, only the tags; Enter shows
         it in full)

[b]The rest[/b]
  header    the whole queue's length, listens in the last 120
            days, the model version, and whether the daemon runs
            (its pid) or when its last run ended
  drift     tags rising (+) and falling (-) between your listens
            of the last 30 days and the 90 before
  ranked by what orders the queue: the model, or similarity to
            your listens when the model ranked held-out listens
            worse (or before there is one), or feed order
  hit@k     share of held-out listens the model ranked in its top
            k, on how many listens, beside the similarity ranking's;
            percentile: their mean rank, 1.0 top, 0.5 chance
  ▁▅█ percentile by version: each promoted model's, oldest first
  ▶ ♥ ✗ ⤼ ⊘ » a listen, like, dislike, dismissal, artist block,
            a skip seen in MPD (left within 30 s)
  pipeline  tracks by fetch state; the backlog waits to be
            fetched; unhealthy: jobs and sources that failed last
            time; ! their errors; jobs: ✓ ok ✗ failed … running
            - skipped ! aborted, how long ago, →next run
            ("stopped" while the daemon does not run);
            `tastebud retry` runs the polls and the fetch now
            and ends the waits after failures (→ lines above)

↑ ↓ scroll; Esc, q or ? closes this help."""
