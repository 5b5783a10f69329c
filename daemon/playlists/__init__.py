"""Playlists: the formats (``formats``, with ``xspf`` and ``jspf``), writing the queue as a
playlist (``export``: ``tastebud export`` and the ``[[playlists]]`` job), and the tags
that say why a track is there (``tags``)."""
