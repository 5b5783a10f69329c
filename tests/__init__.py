"""tastebud's test suite, a package: test modules and helpers are imported as ``tests.<path>``.

The helpers are ``tests.audio_helpers`` (synthesized audio, loopback HTTP servers),
``tests.cli_helpers`` (the command line and the daemon as subprocesses),
``tests.components`` (real programs the tests need, such as mpd and oggenc),
``tests.mpd_helpers`` (a real MPD), ``tests.populate`` (a store with a plausible history)
and ``tests.classifier.tastedata`` (clustered features for the taste-model tests).
"""
