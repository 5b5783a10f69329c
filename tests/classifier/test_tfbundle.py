"""The tensor-bundle reader: protobuf decoding, SSTables, musicnn's checkpoints."""

from __future__ import annotations

import importlib.metadata
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifier.musicnn.tfbundle import (
    TABLE_MAGIC,
    BundleEntry,
    TFBundle,
    TFBundleError,
    crc32c,
    decode_varint,
    iter_proto_fields,
    mask_crc,
    parse_bundle_entry,
    read_table,
)

MODELS = ("MSD_musicnn", "MTT_musicnn")


# -- hand-built bytes ----------------------------------------------------------------------


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def field_bytes(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def entry_proto(dtype: int, shape: tuple[int, ...], offset: int, size: int) -> bytes:
    dims = b"".join(field_bytes(2, field_varint(1, d)) for d in shape)
    return (
        field_varint(1, dtype)
        + field_bytes(2, dims)
        + field_varint(4, offset)
        + field_varint(5, size)
        + field_varint(6, 0xDEADBEEF)
    )


def block(entries: list[tuple[bytes, bytes]], restart_interval: int = 2) -> bytes:
    """A LevelDB block with prefix-compressed keys."""
    out = bytearray()
    restarts: list[int] = []
    previous = b""
    for i, (key, value) in enumerate(entries):
        if i % restart_interval == 0:
            restarts.append(len(out))
            shared = 0
        else:
            shared = len(_common_prefix(previous, key))
        out += varint(shared) + varint(len(key) - shared) + varint(len(value))
        out += key[shared:] + value
        previous = key
    for restart in restarts:
        out += struct.pack("<I", restart)
    return bytes(out + struct.pack("<I", len(restarts)))


def _common_prefix(a: bytes, b: bytes) -> bytes:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def table(entries: list[tuple[bytes, bytes]], compression: int = 0) -> bytes:
    """A whole SSTable: one data block, an empty metaindex, an index block, a footer."""
    out = bytearray()

    def add(contents: bytes) -> bytes:
        handle = varint(len(out)) + varint(len(contents))
        out.extend(contents)
        out.append(compression)
        out.extend(struct.pack("<I", mask_crc(crc32c(contents + bytes([compression])))))
        return handle

    data_handle = add(block(entries))
    meta_handle = add(block([]))
    index_handle = add(block([(entries[-1][0], data_handle)]))
    footer = (meta_handle + index_handle).ljust(40, b"\0") + struct.pack("<Q", TABLE_MAGIC)
    return bytes(out + footer)


# -- protobuf ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoded", "value"),
    [(b"\x00", 0), (b"\x01", 1), (b"\x7f", 127), (b"\x96\x01", 150), (b"\xac\x02", 300)],
)
def test_decode_varint_known_values(encoded: bytes, value: int) -> None:
    assert decode_varint(encoded) == (value, len(encoded))


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_decode_varint_round_trips(value: int) -> None:
    encoded = varint(value)
    assert decode_varint(b"\xff" + encoded, 1) == (value, len(encoded) + 1)


def test_decode_varint_rejects_truncated_input() -> None:
    with pytest.raises(TFBundleError, match="truncated varint"):
        decode_varint(b"\x96")


def test_iter_proto_fields_decodes_every_wire_type() -> None:
    message = (
        field_varint(1, 150)
        + field_bytes(2, b"abc")
        + varint(3 << 3 | 1)
        + struct.pack("<Q", 2**40 + 7)
        + varint(4 << 3 | 5)
        + struct.pack("<I", 99)
    )
    assert list(iter_proto_fields(message)) == [
        (1, 0, 150),
        (2, 2, b"abc"),
        (3, 1, 2**40 + 7),
        (4, 5, 99),
    ]


def test_iter_proto_fields_rejects_bad_input() -> None:
    with pytest.raises(TFBundleError, match="truncated field"):
        list(iter_proto_fields(field_bytes(2, b"abcdef")[:-2]))
    with pytest.raises(TFBundleError, match="wire type 3"):
        list(iter_proto_fields(varint(1 << 3 | 3)))


def test_parse_bundle_entry() -> None:
    entry = parse_bundle_entry(entry_proto(dtype=1, shape=(2, 3), offset=100, size=24))
    assert entry == BundleEntry(dtype=1, shape=(2, 3), offset=100, size=24, crc32c=0xDEADBEEF)
    assert entry.numpy_dtype == np.dtype("<f4")
    assert parse_bundle_entry(entry_proto(dtype=1, shape=(), offset=0, size=4)).shape == ()


def test_crc32c_known_vector() -> None:
    assert crc32c(b"123456789") == 0xE3069283


# -- SSTable -------------------------------------------------------------------------------


def test_read_table_undoes_prefix_compression() -> None:
    entries = [(b"", b"header"), (b"conv2d/bias", b"1"), (b"conv2d/kernel", b"22"), (b"dense", b"")]
    assert list(read_table(table(entries))) == entries


def test_read_table_rejects_compressed_blocks() -> None:
    with pytest.raises(TFBundleError, match="compression type 1"):
        list(read_table(table([(b"a", b"b")], compression=1)))


def test_read_table_detects_a_corrupt_block() -> None:
    data = bytearray(table([(b"alpha", b"value")]))
    data[4] ^= 0xFF  # inside the data block
    with pytest.raises(TFBundleError, match="crc32c mismatch"):
        list(read_table(bytes(data)))


def test_bundle_reads_a_hand_built_checkpoint(tmp_path: Path) -> None:
    tensor = np.arange(6, dtype="<f4").reshape(2, 3)
    index = table([(b"", b""), (b"w", entry_proto(1, (2, 3), offset=8, size=24))])
    (tmp_path / ".index").write_bytes(index)
    (tmp_path / ".data-00000-of-00001").write_bytes(b"\0" * 8 + tensor.tobytes())
    bundle = TFBundle.from_dir(tmp_path)
    assert bundle.shapes() == {"w": (2, 3)}
    np.testing.assert_array_equal(bundle.read("w"), tensor)
    with pytest.raises(TFBundleError, match="crc32c mismatch"):
        bundle.read("w", verify_crc=True)  # the entry's crc is a dummy
    with pytest.raises(TFBundleError, match="no tensor named 'v'"):
        bundle.read("v")


# -- musicnn's checkpoints -----------------------------------------------------------------


def checkpoint_dir(name: str) -> Path:
    return Path(str(importlib.metadata.distribution("musicnn").locate_file(f"musicnn/{name}")))


@pytest.fixture(scope="module", params=MODELS)
def bundle(request: pytest.FixtureRequest) -> TFBundle:
    return TFBundle.from_dir(checkpoint_dir(request.param))


EXPECTED_SHAPES = {
    "batch_normalization/moving_mean": (1,),
    "conv2d/kernel": (7, 38, 1, 204),
    "conv2d_1/kernel": (7, 67, 1, 204),
    "conv2d_2/kernel": (128, 1, 1, 51),
    "conv2d_3/kernel": (64, 1, 1, 51),
    "conv2d_4/kernel": (32, 1, 1, 51),
    "conv2d_5/kernel": (7, 561, 1, 64),
    "conv2d_6/kernel": (7, 64, 1, 64),
    "conv2d_7/kernel": (7, 64, 1, 64),
    "batch_normalization_9/gamma": (1506,),
    "dense/kernel": (1506, 200),
    "batch_normalization_10/moving_variance": (200,),
    "dense_1/kernel": (200, 50),
    "dense_1/bias": (50,),
}


def test_index_lists_the_musicnn_variables(bundle: TFBundle) -> None:
    shapes = bundle.shapes()
    assert "" not in shapes  # the header entry is skipped
    assert {name: shapes[name] for name in EXPECTED_SHAPES} == EXPECTED_SHAPES
    assert all(entry.dtype == 1 for entry in bundle.entries.values())  # DT_FLOAT


def test_read_tensor_matches_its_entry(bundle: TFBundle) -> None:
    entry = bundle.entries["conv2d/kernel"]
    kernel = bundle.read("conv2d/kernel")
    assert kernel.shape == (7, 38, 1, 204)
    assert kernel.dtype == np.float32
    assert kernel.nbytes == entry.size
    assert np.isfinite(kernel).all()
    assert (bundle.read("batch_normalization_3/moving_variance", verify_crc=True) > 0).all()


def test_truncated_index_raises_a_clear_error(tmp_path: Path) -> None:
    source = checkpoint_dir("MSD_musicnn")
    data = (source / ".index").read_bytes()
    (tmp_path / ".index").write_bytes(data[: len(data) // 2])
    with pytest.raises(TFBundleError, match=r"\.index: bad table magic"):
        _ = TFBundle.from_dir(tmp_path).entries
    (tmp_path / ".index").write_bytes(data[:20])
    with pytest.raises(TFBundleError, match="shorter than the 48-byte footer"):
        _ = TFBundle.from_dir(tmp_path).entries


def test_truncated_data_file_raises_a_clear_error(tmp_path: Path) -> None:
    source = checkpoint_dir("MSD_musicnn")
    (tmp_path / ".index").write_bytes((source / ".index").read_bytes())
    (tmp_path / ".data-00000-of-00001").write_bytes(b"\0" * 1000)
    bundle = TFBundle.from_dir(tmp_path)
    assert bundle.read("batch_normalization/gamma").shape == (1,)
    with pytest.raises(TFBundleError, match="truncated data for tensor 'dense/kernel'"):
        bundle.read("dense/kernel")


def test_missing_index_raises_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TFBundleError, match="cannot read checkpoint index"):
        _ = TFBundle.from_dir(tmp_path).entries
