"""ssbkit._shared: size limits checked before reading, bounded inflation, finite-row filtering.

Known answers are analytic (sizes of files written here, hashlib/gzip of the
same bytes) or built into synthetic inputs.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zipfile

import numpy as np
import pytest

from ssbkit._shared import finite, limits
from ssbkit.errors import FormatError


def test_defaults_are_documented_values():
    assert limits.MAX_FILE_BYTES == 256 * 2**20
    assert limits.MAX_UNCOMPRESSED_BYTES == 256 * 2**20


def test_size_limits_overrides_and_restores():
    with limits.size_limits(max_file_bytes=10, max_uncompressed_bytes=20):
        assert (limits.MAX_FILE_BYTES, limits.MAX_UNCOMPRESSED_BYTES) == (10, 20)
    assert limits.MAX_FILE_BYTES == 256 * 2**20
    with pytest.raises(ValueError, match="max_file_bytes"):
        with limits.size_limits(max_file_bytes=0):
            pass


def test_sparse_20_gib_file_refused_before_reading(tmp_path):
    # a sparse file: 20 GiB on paper, a few bytes on disk; read whole it would exhaust memory
    path = tmp_path / "big.txt"
    with open(path, "wb") as handle:
        handle.write(b"header\n")
        handle.truncate(20 * 2**30)
    with pytest.raises(FormatError, match=r"20480\.0 MiB, above the reader limit of 256\.0 MiB") as info:
        limits.read_text(path)
    assert str(path) in str(info.value) and "MAX_FILE_BYTES" in str(info.value)


def test_limit_is_read_at_call_time(tmp_path):
    path = tmp_path / "small.txt"
    path.write_bytes(b"x" * 100)
    assert limits.check_size(path) == 100
    with limits.size_limits(max_file_bytes=99):
        with pytest.raises(FormatError, match="above the reader limit"):
            limits.read_bytes(path)


def test_regular_file_names_missing_directory(tmp_path):
    with pytest.raises(FormatError, match="no such file"):
        limits.regular_file(tmp_path / "nope")
    with pytest.raises(FormatError, match="is a directory"):
        limits.regular_file(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(FormatError, match="not a regular file"):
        limits.regular_file(fifo)


def test_gunzip_matches_gzip_including_multiple_members():
    payload = b"Athena project file\n" + bytes(range(256)) * 1000
    data = gzip.compress(payload[:1000]) + gzip.compress(payload[1000:])
    assert limits.gunzip(data, path="x.prj") == gzip.decompress(data) == payload


def test_gunzip_bomb_stops_at_the_limit():
    bomb = gzip.compress(b"\0" * (8 * 2**20))  # 8 MiB of zeros in ~8 KiB
    with limits.size_limits(max_uncompressed_bytes=2**20):
        with pytest.raises(FormatError, match=r"inflates beyond the limit of 1\.0 MiB.*MAX_UNCOMPRESSED_BYTES"):
            limits.gunzip(bomb, path="bomb.prj")


def test_gunzip_broken_and_truncated_streams_are_format_errors():
    data = bytearray(gzip.compress(os.urandom(5000)))
    truncated = bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="ends early"):
        limits.gunzip(truncated, path="t.prj")
    data[30:60] = b"\xff" * 30
    with pytest.raises(FormatError, match="x.prj"):  # zlib.error or a CRC mismatch, never zlib.error itself
        limits.gunzip(bytes(data), path="x.prj")


def test_check_zip_sums_declared_sizes(tmp_path):
    path = tmp_path / "a.ndax"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a", b"\0" * 3000)
        archive.writestr("b", b"\0" * 2000)
    assert limits.check_zip(path) == 5000
    with limits.size_limits(max_uncompressed_bytes=4999):
        with pytest.raises(FormatError, match="inflates to"):
            limits.check_zip(path)
    broken = tmp_path / "b.ndax"
    broken.write_bytes(b"PK\x03\x04" + b"\0" * 50)
    with pytest.raises(FormatError, match="not a readable zip"):
        limits.check_zip(broken)


def test_sha256_file_streams_the_same_digest(tmp_path):
    path = tmp_path / "f.bin"
    payload = os.urandom(3 * 2**20 + 17)
    path.write_bytes(payload)
    assert limits.sha256_file(path, chunk_bytes=65536) == hashlib.sha256(payload).hexdigest()


def test_drop_nonfinite_rows_says_how_many_and_where():
    columns = {"t": np.array([0.0, 1.0, np.inf, 3.0, 4.0]), "v": np.array([1.0, np.nan, 1.0, -1e300, 1.0]),
               "c": None}
    with pytest.warns(finite.NonFiniteWarning, match=r"f\.csv: dropped 3 of 5 data rows .* in t, v \(data rows 2, 3, 4\)"):
        keep = finite.drop_nonfinite_rows(columns, path="f.csv")
    assert keep.tolist() == [True, False, False, False, True]
    with pytest.warns(finite.NonFiniteWarning, match="dropped 2 of 5"):  # NaN allowed in v: only inf and 1e300
        keep = finite.drop_nonfinite_rows(columns, path="f.csv", allow_nan={"v"})
    assert keep.tolist() == [True, True, False, False, True]
    with pytest.warns(finite.NonFiniteWarning, match="in n"):
        keep = finite.drop_nonfinite_rows({"n": np.array([1.0, 2.0**60])}, path="f", magnitude={"n": 2.0**53})
    assert keep.tolist() == [True, False]


def test_require_finite_names_the_first_bad_index():
    with pytest.raises(FormatError, match=r"f\.xdi: mu holds 2 .* the first at index 1"):
        finite.require_finite([1.0, np.nan, 2.0, np.inf], path="f.xdi", what="mu")
    assert finite.require_finite([1.0, 2.0], path="f", what="x").tolist() == [1.0, 2.0]


def test_shared_imports_nothing_else_of_the_project():
    import ast
    from pathlib import Path

    folder = Path(limits.__file__).parent
    for source in folder.glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for name in names:
                top = name.split(".")[0]
                assert top not in {"echem", "xrd", "xas", "eels", "stem", "eds"}, (source.name, name)
                if top == "ssbkit":
                    assert name.startswith(("ssbkit._shared", "ssbkit.errors")), (source.name, name)


def test_gzip_of_io_bytes_roundtrip_doc_example():
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as handle:
        handle.write(b"abc")
    assert limits.gunzip(buffer.getvalue(), path="p") == b"abc"
