"""A small reader for TensorFlow's tensor-bundle checkpoint format (no TensorFlow needed).

A checkpoint ``<prefix>`` is two files:

- ``<prefix>.index``: a LevelDB-style SSTable mapping each variable name to a
  serialized ``BundleEntryProto`` (dtype, shape, shard, offset, size, crc32c). The
  empty key ``""`` holds the ``BundleHeaderProto`` and is skipped.
- ``<prefix>.data-00000-of-00001``: the raw little-endian tensors, each at its
  entry's ``(offset, size)``.

SSTable layout (``tensorflow/core/lib/io/table`` = LevelDB's): data blocks, a
metaindex block, an index block whose values are block handles of the data
blocks, and a 48-byte footer (metaindex handle, index handle as varint pairs,
zero padding, 8-byte magic). Each block is followed by a 5-byte trailer
(compression type, masked crc32c). A block is a run of prefix-compressed entries
``(shared, non_shared, value_len, key_delta, value)`` and a restart array of
``uint32`` offsets ending in its ``uint32`` count.

Only what musicnn's checkpoints use is supported: uncompressed tables, one data
shard, unsliced tensors of the numeric dtypes below.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from classifier.errors import WeightsMissingError

__all__ = [
    "TABLE_MAGIC",
    "BundleEntry",
    "TFBundle",
    "TFBundleError",
    "crc32c",
    "decode_varint",
    "iter_proto_fields",
    "mask_crc",
    "parse_bundle_entry",
    "read_table",
]

logger = logging.getLogger(__name__)

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
BLOCK_TRAILER_SIZE = 5
NO_COMPRESSION = 0
CRC_MASK_DELTA = 0xA282EAD8

# tensorflow/core/framework/types.proto -> numpy little-endian dtype.
TF_DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"),  # DT_FLOAT
    2: np.dtype("<f8"),  # DT_DOUBLE
    3: np.dtype("<i4"),  # DT_INT32
    4: np.dtype("u1"),  # DT_UINT8
    5: np.dtype("<i2"),  # DT_INT16
    6: np.dtype("i1"),  # DT_INT8
    9: np.dtype("<i8"),  # DT_INT64
    10: np.dtype("?"),  # DT_BOOL
    17: np.dtype("<u2"),  # DT_UINT16
    19: np.dtype("<f2"),  # DT_HALF
    22: np.dtype("<u4"),  # DT_UINT32
    23: np.dtype("<u8"),  # DT_UINT64
}

# Protobuf wire types.
WIRE_VARINT = 0
WIRE_FIXED64 = 1
WIRE_BYTES = 2
WIRE_FIXED32 = 5

ProtoValue = int | bytes


class TFBundleError(WeightsMissingError):
    """The checkpoint files are missing, truncated, corrupt or use an unsupported feature."""


# --------------------------------------------------------------------------- protobuf


def decode_varint(buf: bytes, pos: int = 0) -> tuple[int, int]:
    """Decode one base-128 varint at ``pos``; return ``(value, next_pos)``."""
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise TFBundleError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 64:
            raise TFBundleError("varint longer than 10 bytes")


def _take(buf: bytes, pos: int, size: int) -> tuple[bytes, int]:
    end = pos + size
    if end > len(buf):
        raise TFBundleError(f"truncated field: need {size} bytes at {pos}, have {len(buf) - pos}")
    return buf[pos:end], end


def iter_proto_fields(buf: bytes) -> Iterator[tuple[int, int, ProtoValue]]:
    """Yield ``(field_number, wire_type, value)`` for each field of a serialized message.

    Varints come back as ``int``; fixed32/fixed64 as unsigned ``int``;
    length-delimited fields as ``bytes`` (decode nested messages recursively).
    """
    pos = 0
    while pos < len(buf):
        tag, pos = decode_varint(buf, pos)
        field, wire = tag >> 3, tag & 0x7
        value: ProtoValue
        if wire == WIRE_VARINT:
            value, pos = decode_varint(buf, pos)
        elif wire == WIRE_FIXED64:
            raw, pos = _take(buf, pos, 8)
            value = int.from_bytes(raw, "little")
        elif wire == WIRE_BYTES:
            size, pos = decode_varint(buf, pos)
            value, pos = _take(buf, pos, size)
        elif wire == WIRE_FIXED32:
            raw, pos = _take(buf, pos, 4)
            value = int.from_bytes(raw, "little")
        else:
            raise TFBundleError(f"unsupported protobuf wire type {wire} (field {field})")
        if field == 0:
            raise TFBundleError("invalid protobuf field number 0")
        yield field, wire, value


@dataclass(frozen=True)
class BundleEntry:
    """One ``BundleEntryProto``: where a tensor lives in the data shard."""

    dtype: int
    shape: tuple[int, ...]
    shard_id: int = 0
    offset: int = 0
    size: int = 0
    crc32c: int = 0
    sliced: bool = False

    @property
    def numpy_dtype(self) -> np.dtype:
        """The numpy dtype of the tensor; :class:`TFBundleError` when unsupported."""
        if self.dtype not in TF_DTYPES:
            raise TFBundleError(f"unsupported TensorFlow dtype enum {self.dtype}")
        return TF_DTYPES[self.dtype]


def _parse_shape(buf: bytes) -> tuple[int, ...]:
    """``TensorShapeProto``: repeated ``Dim dim = 2 {int64 size = 1}``; ``unknown_rank = 3``."""
    dims: list[int] = []
    for field, _, value in iter_proto_fields(buf):
        if field == 2 and isinstance(value, bytes):
            size = 0
            for dim_field, _, dim_value in iter_proto_fields(value):
                if dim_field == 1 and isinstance(dim_value, int):
                    size = _as_int64(dim_value)
            dims.append(size)
    return tuple(dims)


def _as_int64(value: int) -> int:
    """Reinterpret an unsigned varint as a two's-complement int64."""
    return value - (1 << 64) if value >= 1 << 63 else value


def parse_bundle_entry(buf: bytes) -> BundleEntry:
    """Decode a serialized ``BundleEntryProto``."""
    ints: dict[int, int] = {}
    shape: tuple[int, ...] = ()
    sliced = False
    for field, _, value in iter_proto_fields(buf):
        if field == 2 and isinstance(value, bytes):
            shape = _parse_shape(value)
        elif field == 7:
            sliced = True
        elif isinstance(value, int):
            ints[field] = value
    return BundleEntry(
        dtype=ints.get(1, 0),
        shape=shape,
        shard_id=ints.get(3, 0),
        offset=ints.get(4, 0),
        size=ints.get(5, 0),
        crc32c=ints.get(6, 0),
        sliced=sliced,
    )


# --------------------------------------------------------------------------- crc32c


def _crc32c_table() -> tuple[int, ...]:
    poly = 0x82F63B78  # Castagnoli, reflected
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC32C_TABLE = _crc32c_table()


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C (Castagnoli) of ``data``, pure Python: fine for index blocks, slow for MBs."""
    crc ^= 0xFFFFFFFF
    table = _CRC32C_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def mask_crc(crc: int) -> int:
    """LevelDB/TensorFlow's masked CRC, as stored in block trailers and bundle entries."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + CRC_MASK_DELTA) & 0xFFFFFFFF


# --------------------------------------------------------------------------- SSTable


@dataclass(frozen=True)
class _BlockHandle:
    offset: int
    size: int


def _decode_handle(buf: bytes, pos: int = 0) -> tuple[_BlockHandle, int]:
    offset, pos = decode_varint(buf, pos)
    size, pos = decode_varint(buf, pos)
    return _BlockHandle(offset, size), pos


def _read_footer(data: bytes) -> tuple[_BlockHandle, _BlockHandle]:
    if len(data) < FOOTER_SIZE:
        raise TFBundleError(f"index file is {len(data)} bytes, shorter than the 48-byte footer")
    footer = data[-FOOTER_SIZE:]
    (magic,) = struct.unpack("<Q", footer[-8:])
    if magic != TABLE_MAGIC:
        raise TFBundleError(f"bad table magic {magic:#018x} (truncated or not a TF index file)")
    metaindex, pos = _decode_handle(footer)
    index, _ = _decode_handle(footer, pos)
    return metaindex, index


def _read_block(data: bytes, handle: _BlockHandle, verify: bool = True) -> bytes:
    end = handle.offset + handle.size
    if end + BLOCK_TRAILER_SIZE > len(data) - FOOTER_SIZE:
        raise TFBundleError(f"block at {handle.offset} (+{handle.size}) runs past the file end")
    contents = data[handle.offset : end]
    kind = data[end]
    if kind != NO_COMPRESSION:
        raise TFBundleError(
            f"block at {handle.offset} uses compression type {kind}; "
            "only uncompressed tables are supported"
        )
    if verify:
        (stored,) = struct.unpack("<I", data[end + 1 : end + BLOCK_TRAILER_SIZE])
        actual = mask_crc(crc32c(data[handle.offset : end + 1]))
        if stored != actual:
            raise TFBundleError(f"block at {handle.offset}: crc32c mismatch (corrupt index file)")
    return contents


def _iter_block(block: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Yield ``(key, value)`` pairs of a block, undoing the prefix compression."""
    if len(block) < 4:
        raise TFBundleError("block shorter than its restart count")
    (num_restarts,) = struct.unpack("<I", block[-4:])
    limit = len(block) - 4 * (num_restarts + 1)
    if limit < 0:
        raise TFBundleError(f"block claims {num_restarts} restart points, more than fit")
    pos = 0
    key = b""
    while pos < limit:
        shared, pos = decode_varint(block, pos)
        non_shared, pos = decode_varint(block, pos)
        value_len, pos = decode_varint(block, pos)
        if shared > len(key) or pos + non_shared + value_len > limit:
            raise TFBundleError(f"corrupt block entry at {pos}")
        key = key[:shared] + block[pos : pos + non_shared]
        pos += non_shared
        yield key, block[pos : pos + value_len]
        pos += value_len


def read_table(data: bytes, verify: bool = True) -> Iterator[tuple[bytes, bytes]]:
    """Yield every ``(key, value)`` of an SSTable held in ``data``, in key order."""
    _, index_handle = _read_footer(data)
    for _, handle_bytes in _iter_block(_read_block(data, index_handle, verify)):
        handle, _ = _decode_handle(handle_bytes)
        yield from _iter_block(_read_block(data, handle, verify))


# --------------------------------------------------------------------------- bundle


class TFBundle:
    """Read-only view of a tensor-bundle checkpoint with a single data shard.

    ``prefix`` is the path without the ``.index`` suffix; musicnn's checkpoints
    have an empty basename, so their prefix is the directory plus ``/``:
    ``TFBundle.from_dir(Path(".../MSD_musicnn"))``.
    """

    def __init__(self, index_path: Path, data_path: Path, verify: bool = True) -> None:
        self.index_path = index_path
        self.data_path = data_path
        self.verify = verify

    @classmethod
    def from_dir(cls, directory: Path, basename: str = "", verify: bool = True) -> TFBundle:
        """The bundle ``<directory>/<basename>.index`` + its single data shard."""
        return cls(
            directory / f"{basename}.index",
            directory / f"{basename}.data-00000-of-00001",
            verify=verify,
        )

    @cached_property
    def entries(self) -> dict[str, BundleEntry]:
        """Variable name -> entry, header skipped."""
        try:
            data = self.index_path.read_bytes()
        except OSError as exc:
            raise TFBundleError(f"cannot read checkpoint index {self.index_path}: {exc}") from exc
        try:
            found = {
                key.decode("utf-8"): parse_bundle_entry(value)
                for key, value in read_table(data, self.verify)
                if key
            }
        except TFBundleError as exc:
            raise TFBundleError(f"{self.index_path}: {exc}") from exc
        logger.debug("read %d tensor entries from %s", len(found), self.index_path)
        return found

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Variable name -> tensor shape."""
        return {name: entry.shape for name, entry in self.entries.items()}

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def read(self, name: str, verify_crc: bool = False) -> np.ndarray:
        """Read one tensor as a (writable) numpy array of its shape and dtype.

        ``verify_crc`` checks the entry's crc32c in pure Python: slow for large tensors.
        """
        entry = self._entry(name)
        raw = self._read_raw(name, entry)
        if verify_crc and mask_crc(crc32c(raw)) != entry.crc32c:
            raise TFBundleError(f"{self.data_path}: crc32c mismatch for tensor {name!r}")
        return np.frombuffer(raw, dtype=entry.numpy_dtype).reshape(entry.shape).copy()

    def _entry(self, name: str) -> BundleEntry:
        try:
            entry = self.entries[name]
        except KeyError:
            raise TFBundleError(f"{self.index_path}: no tensor named {name!r}") from None
        if entry.sliced or entry.shard_id != 0:
            raise TFBundleError(f"tensor {name!r} is sliced or sharded; not supported")
        return entry

    def _read_raw(self, name: str, entry: BundleEntry) -> bytes:
        expected = entry.numpy_dtype.itemsize * int(np.prod(entry.shape, dtype=np.int64))
        if expected != entry.size:
            raise TFBundleError(
                f"tensor {name!r}: {entry.size} bytes stored, shape {entry.shape} needs {expected}"
            )
        try:
            with self.data_path.open("rb") as fh:
                fh.seek(entry.offset)
                raw = fh.read(entry.size)
        except OSError as exc:
            raise TFBundleError(f"cannot read checkpoint data {self.data_path}: {exc}") from exc
        if len(raw) != entry.size:
            raise TFBundleError(f"{self.data_path}: truncated data for tensor {name!r}")
        return raw
