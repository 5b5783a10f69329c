"""Where the queue is listened to: the library folder, MPD, Subsonic, and plays as feedback."""

from __future__ import annotations
