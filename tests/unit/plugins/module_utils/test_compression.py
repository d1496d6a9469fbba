"""Unit tests of gzip writing and reading with ISA-L and zlib."""

import gzip
import zlib

import pytest

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.compression import (
    GzipReader,
    GzipWriter,
    isal_level,
    library_name,
)

DATA = b"".join(b"row %d\tsome text value\n" % i for i in range(20000))


def compress(data, prefer_isal, level=6):
    writer = GzipWriter(level, prefer_isal)
    return writer.write(data) + writer.finish(), writer


def read_all(blob, prefer_isal, chunk_size=4096):
    reader = GzipReader(prefer_isal)
    output = b"".join(reader.feed(blob[i:i + chunk_size]) for i in range(0, len(blob), chunk_size))
    reader.finish()
    return output, reader


@pytest.mark.parametrize("prefer_isal", [True, False])
def test_writer_output_is_standard_gzip(prefer_isal):
    blob, dummy = compress(DATA, prefer_isal)
    assert gzip.decompress(blob) == DATA


def test_writer_uses_isal_when_installed():
    pytest.importorskip("isal")
    dummy, writer = compress(DATA, True)
    assert writer.library == "isal"
    assert writer.level == 3


def test_writer_falls_back_to_zlib_on_request():
    dummy, writer = compress(DATA, False)
    assert writer.library == "zlib"
    assert writer.level == 6


@pytest.mark.parametrize("level", [0, 10])
def test_writer_rejects_level_out_of_range(level):
    with pytest.raises(ValueError, match="between 1 and 9"):
        GzipWriter(level)


@pytest.mark.parametrize("gzip_level, expected", [(1, 1), (2, 1), (3, 2), (5, 2), (6, 3), (9, 3)])
def test_isal_level_mapping(gzip_level, expected):
    assert isal_level(gzip_level) == expected


@pytest.mark.parametrize("prefer_isal", [True, False])
@pytest.mark.parametrize("chunk_size", [1, 100, 1 << 20])
def test_reader_round_trip(prefer_isal, chunk_size):
    blob = gzip.compress(DATA)
    output, reader = read_all(blob, prefer_isal, chunk_size)
    assert output == DATA
    assert reader.members == 1


@pytest.mark.parametrize("prefer_isal", [True, False])
def test_reader_reads_concatenated_members(prefer_isal):
    blob = gzip.compress(DATA[:1000]) + gzip.compress(DATA[1000:])
    output, reader = read_all(blob, prefer_isal, 333)
    assert output == DATA
    assert reader.members == 2


@pytest.mark.parametrize("prefer_isal", [True, False])
def test_reader_reports_truncated_stream(prefer_isal):
    blob = gzip.compress(DATA)[:-100]
    reader = GzipReader(prefer_isal)
    reader.feed(blob)
    with pytest.raises(ValueError, match="truncated"):
        reader.finish()


@pytest.mark.parametrize("prefer_isal", [True, False])
def test_reader_reports_corrupt_data(prefer_isal):
    blob = bytearray(gzip.compress(DATA))
    blob[len(blob) // 2] ^= 0xFF
    blob[len(blob) // 2 + 1] ^= 0xFF
    reader = GzipReader(prefer_isal)
    with pytest.raises(ValueError):
        reader.feed(bytes(blob))
        reader.finish()


@pytest.mark.parametrize("prefer_isal", [True, False])
def test_reader_rejects_trailing_garbage(prefer_isal):
    blob = gzip.compress(DATA) + b"garbage"
    reader = GzipReader(prefer_isal)
    with pytest.raises(ValueError, match="not a gzip member"):
        reader.feed(blob)


def test_library_name_without_preference_is_zlib():
    assert library_name(prefer_isal=False) == "zlib"
    assert zlib.decompress(zlib.compress(b"x")) == b"x"
