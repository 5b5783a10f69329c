"""Audio into a standard container without re-encoding (PyAV), then tagged (mutagen).

Opus (from WebM or Ogg) becomes ``.opus`` (Ogg), AAC becomes ``.m4a``, MP3, FLAC and
Vorbis stay what they are: their packets are copied, never decoded. Any other codec
(PCM from a WAV file, say), which has no container that takes tags, is stored
losslessly as FLAC (16-bit, or 24 in 32-bit samples for a deeper source) at its own
rate and channels.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import mutagen
import mutagen.id3
from mutagen.flac import FLAC
from mutagen.mp4 import MP4, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

from classifier import AudioError

__all__ = ["CONTAINERS", "TO_FLAC", "Tags", "container_for", "remux", "write_tags"]

logger = logging.getLogger(__name__)

# codec -> (PyAV muxer, extension)
CONTAINERS = {
    "opus": ("ogg", "opus"),
    "aac": ("ipod", "m4a"),
    "mp3": ("mp3", "mp3"),
    "flac": ("flac", "flac"),
    "vorbis": ("ogg", "ogg"),
}
TO_FLAC = "flac-encode"  # the "muxer" of a codec that is decoded and stored as FLAC
ALBUM = "tastebud"
MB_RECORDING = "http://musicbrainz.org"
_ID3: Any = mutagen.id3  # its frame classes are untyped


@dataclass(frozen=True)
class Tags:
    """What a library file is tagged with."""

    artist: str
    title: str
    source_url: str
    comment: str
    recording_mbid: str | None = None


def container_for(path: Path) -> tuple[str, str]:
    """(muxer, extension) for the audio codec of ``path``."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioError(f"{path.name}: no audio stream")
            codec = container.streams.audio[0].codec_context.codec.canonical_name
    except av.error.FFmpegError as exc:
        raise AudioError(f"{path.name}: cannot read audio: {exc}") from None
    if codec not in CONTAINERS:
        logger.debug("%s: %s audio is stored as FLAC", path.name, codec)
        return TO_FLAC, "flac"
    return CONTAINERS[codec]


def remux(src: Path, dst: Path, muxer: str) -> None:
    """Copy the first audio stream's packets of ``src`` into a new ``muxer`` file ``dst``
    (:data:`TO_FLAC`: decode it and encode it as FLAC)."""
    if muxer == TO_FLAC:
        _to_flac(src, dst)
        return
    try:
        with av.open(str(src)) as inp, av.open(str(dst), "w", format=muxer) as out:
            stream = inp.streams.audio[0]
            target = out.add_stream_from_template(stream)
            for packet in inp.demux(stream):
                if packet.dts is None:  # the demuxer's flush packet
                    continue
                packet.stream = target
                out.mux(packet)
    except av.error.FFmpegError as exc:
        raise AudioError(f"{src.name}: cannot remux into {muxer}: {exc}") from None


def _to_flac(src: Path, dst: Path) -> None:
    """Decode the first audio stream of ``src`` and encode it losslessly as FLAC."""
    try:
        with av.open(str(src)) as inp, av.open(str(dst), "w", format="flac") as out:
            stream = inp.streams.audio[0]
            bits = stream.codec_context.format.bits if stream.codec_context.format else 16
            fmt = "s16" if bits <= 16 else "s32"
            target = out.add_stream("flac", rate=stream.rate)
            target.layout = stream.layout
            target.format = fmt
            resampler = av.AudioResampler(format=fmt, layout=stream.layout, rate=stream.rate)
            for frame in inp.decode(stream):
                _encode(out, target, resampler.resample(frame))
            _encode(out, target, resampler.resample(None))
            for packet in target.encode(None):
                out.mux(packet)
    except av.error.FFmpegError as exc:
        raise AudioError(f"{src.name}: cannot store as FLAC: {exc}") from None


def _encode(
    out: av.container.OutputContainer, stream: av.AudioStream, frames: list[av.AudioFrame]
) -> None:
    for frame in frames:
        frame.pts = None  # the encoder numbers them
        for packet in stream.encode(frame):
            out.mux(packet)


def write_tags(path: Path, tags: Tags) -> None:
    """Tag ``path`` (Ogg, FLAC, MP3 or M4A) with ``tags``."""
    audio = mutagen.File(str(path))
    if isinstance(audio, OggOpus | OggVorbis | FLAC):
        _vorbis(audio, tags)
    elif isinstance(audio, MP4):
        _mp4(audio, tags)
    else:
        _id3(path, tags)
        return
    audio.save()


def _vorbis(audio: OggOpus | OggVorbis | FLAC, tags: Tags) -> None:
    audio["ARTIST"] = tags.artist
    audio["TITLE"] = tags.title
    audio["ALBUM"] = ALBUM
    audio["WEBSITE"] = tags.source_url
    audio["COMMENT"] = tags.comment
    if tags.recording_mbid:
        audio["MUSICBRAINZ_TRACKID"] = tags.recording_mbid


def _mp4(audio: MP4, tags: Tags) -> None:
    if audio.tags is None:
        audio.add_tags()  # type: ignore[no-untyped-call]
    assert audio.tags is not None
    audio.tags["\xa9ART"] = [tags.artist]
    audio.tags["\xa9nam"] = [tags.title]
    audio.tags["\xa9alb"] = [ALBUM]
    audio.tags["\xa9cmt"] = [tags.comment]
    audio.tags["----:com.apple.iTunes:URL"] = [MP4FreeForm(tags.source_url.encode())]
    if tags.recording_mbid:
        mbid = MP4FreeForm(tags.recording_mbid.encode())
        audio.tags["----:com.apple.iTunes:MusicBrainz Track Id"] = [mbid]


def _id3(path: Path, tags: Tags) -> None:
    id3 = _ID3.ID3()
    id3.add(_ID3.TPE1(encoding=3, text=tags.artist))
    id3.add(_ID3.TIT2(encoding=3, text=tags.title))
    id3.add(_ID3.TALB(encoding=3, text=ALBUM))
    id3.add(_ID3.WOAS(url=tags.source_url))
    id3.add(_ID3.COMM(encoding=3, lang="eng", desc="", text=tags.comment))
    if tags.recording_mbid:
        id3.add(_ID3.UFID(owner=MB_RECORDING, data=tags.recording_mbid.encode()))
    id3.save(str(path))
