"""The taste-drift benchmark: simulated listeners on real recordings, every ranking
of the candidates, and tastebud as shipped replayed day by day through the daemon's path.

Modules: ``corpus`` (the recordings), ``listeners`` (the simulation), ``rankers``
and ``ceiling`` (rankings from features alone), ``replay`` (the daemon's path),
``run`` (the numbers), ``report`` (Markdown), ``document`` (RESULTS.md),
``variants`` (extra shipped rows), ``fresh`` (the table on listeners no choice looked
at) and ``cli`` (``python -m bench.drift``). The
representation study: ``representations`` and ``study`` (its rows and section),
``checkpoints`` (the other networks' features), ``adapt`` (the self-supervised rows),
``deep``, ``last_layer`` and ``deep_report`` (deeper fine-tuning: the whole mid end,
or its last layer alone; and their section).
"""
