"""Getting a track's audio: matching search results (``matching``), the yt-dlp fetcher
(``fetcher``) and its error classes (``classify``), the audio cache (``cache``),
per-host throttling (``throttle``) and the fetch pipeline (``pipeline``)."""
