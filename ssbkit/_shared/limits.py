"""Size limits of the readers, and bounded readers that honour them.

The readers' contract: memory stays bounded. A file that a reader parses
whole is refused, before its first byte is read, when it is larger than
:data:`MAX_FILE_BYTES`; a compressed container is refused as soon as it
inflates beyond :data:`MAX_UNCOMPRESSED_BYTES` (gzip streams are inflated
in bounded chunks, zip archives are judged from their directory first).
Every refusal is a :class:`ssbkit.errors.FormatError` that names the file,
the size found, the limit and how to raise it.

The limits are module attributes read at call time: raise them for a
session (``ssbkit._shared.limits.MAX_FILE_BYTES = 2 * 2**30``) or for a
block with :func:`size_limits`.

Examples
--------
>>> from ssbkit._shared import limits
>>> limits.MAX_FILE_BYTES == 256 * 2**20
True
>>> with limits.size_limits(max_file_bytes=10):
...     limits.MAX_FILE_BYTES
10
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import zipfile
import zlib
from pathlib import Path

from ssbkit.errors import FormatError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_UNCOMPRESSED_BYTES",
    "check_size",
    "check_zip",
    "gunzip",
    "read_bytes",
    "read_text",
    "regular_file",
    "sha256_file",
    "size_limits",
]

#: Largest file (bytes) that a reader parses whole: text formats (XDI, column
#: files, Athena projects, EMSA, cycler and I-V text exports) and binary files
#: read into memory. Peak memory is about 5-10 times this for text tables.
MAX_FILE_BYTES: int = 256 * 2**20

#: Largest size (bytes) that a compressed container (a gzipped Athena
#: project, the members of a zip archive) may inflate to.
MAX_UNCOMPRESSED_BYTES: int = 256 * 2**20

_CHUNK = 2**20


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


@contextlib.contextmanager
def size_limits(*, max_file_bytes: int | None = None, max_uncompressed_bytes: int | None = None):
    """Set the limits for a ``with`` block and restore them afterwards.

    Parameters
    ----------
    max_file_bytes, max_uncompressed_bytes : int, optional
        New values of :data:`MAX_FILE_BYTES` and :data:`MAX_UNCOMPRESSED_BYTES`
        (bytes, > 0); None leaves one unchanged.
    """
    global MAX_FILE_BYTES, MAX_UNCOMPRESSED_BYTES
    for name, value in (("max_file_bytes", max_file_bytes), ("max_uncompressed_bytes", max_uncompressed_bytes)):
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise ValueError(f"{name}={value!r} must be a positive int (bytes)")
    saved = MAX_FILE_BYTES, MAX_UNCOMPRESSED_BYTES
    if max_file_bytes is not None:
        MAX_FILE_BYTES = max_file_bytes
    if max_uncompressed_bytes is not None:
        MAX_UNCOMPRESSED_BYTES = max_uncompressed_bytes
    try:
        yield
    finally:
        MAX_FILE_BYTES, MAX_UNCOMPRESSED_BYTES = saved


def regular_file(path) -> Path:
    """``path`` as a :class:`~pathlib.Path`, checked to be an existing regular file.

    Raises
    ------
    FormatError
        "no such file", "is a directory, not a file", or "not a regular file"
        (a FIFO, socket or device, which could block a reader forever).
    """
    path = Path(os.fspath(path))
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError) as exc:  # ValueError: embedded NUL in the name
        reason = "no such file" if isinstance(exc, FileNotFoundError) else f"cannot open ({exc})"
        raise FormatError(reason, path=path) from None
    if stat.S_ISDIR(mode):
        raise FormatError("is a directory, not a file", path=path)
    if not stat.S_ISREG(mode):
        raise FormatError("not a regular file (a pipe, socket or device)", path=path)
    return path


def check_size(path, *, limit: int | None = None) -> int:
    """Size of ``path`` in bytes, refused when above ``limit`` (default :data:`MAX_FILE_BYTES`).

    Raises
    ------
    FormatError
        For a missing file, a directory, or a file larger than the limit; the
        message names the limit to raise.
    """
    path = regular_file(path)
    limit = MAX_FILE_BYTES if limit is None else limit
    size = path.stat().st_size
    if size > limit:
        raise FormatError(
            f"the file is {_mib(size)}, above the reader limit of {_mib(limit)} "
            "(raise ssbkit._shared.limits.MAX_FILE_BYTES to read it)",
            path=path,
        )
    return size


def read_bytes(path, *, limit: int | None = None) -> bytes:
    """All bytes of ``path`` after :func:`check_size`; OSError becomes FormatError."""
    path = regular_file(path)
    check_size(path, limit=limit)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read the file ({exc.strerror or exc})", path=path) from None


def read_text(path, *, encoding: str = "utf-8", errors: str = "replace", limit: int | None = None) -> str:
    """Text of ``path`` (undecodable bytes replaced by default) after :func:`check_size`."""
    return read_bytes(path, limit=limit).decode(encoding, errors=errors)


def gunzip(data: bytes, *, path, limit: int | None = None) -> bytes:
    """Inflate a gzip stream in bounded chunks, refusing one that grows above ``limit``.

    Parameters
    ----------
    data : bytes
        The compressed bytes (one or more gzip members).
    path : path-like
        The file they came from, named in errors.
    limit : int, optional
        Largest inflated size, bytes; default :data:`MAX_UNCOMPRESSED_BYTES`.

    Raises
    ------
    FormatError
        For a broken or truncated stream (with the compressed byte offset
        reached) or one that inflates beyond the limit.
    """
    limit = MAX_UNCOMPRESSED_BYTES if limit is None else limit
    out = bytearray()
    view = memoryview(data)
    position = 0
    while position < len(view):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = view[position:]
        try:
            while True:
                chunk = inflater.decompress(pending, _CHUNK)
                out += chunk
                if len(out) > limit:
                    raise FormatError(
                        f"the gzip stream inflates beyond the limit of {_mib(limit)} "
                        "(raise ssbkit._shared.limits.MAX_UNCOMPRESSED_BYTES to read it)",
                        path=path,
                    )
                pending = inflater.unconsumed_tail
                if inflater.eof or (not pending and not chunk):
                    break
        except zlib.error as exc:
            raise FormatError(f"broken gzip stream ({exc})", path=path, offset=position) from None
        if not inflater.eof:
            raise FormatError("the gzip stream ends early (truncated file)", path=path, offset=len(data))
        position = len(view) - len(inflater.unused_data)
        if not bytes(inflater.unused_data).strip(b"\x00"):
            break  # nothing, or zero padding, after the last member
    return bytes(out)


def check_zip(path, *, limit: int | None = None) -> int:
    """Total declared uncompressed size of a zip archive, refused above ``limit``.

    :mod:`zipfile` never inflates a member beyond its declared size, so the
    directory bounds the memory of any reader that goes through it.

    Raises
    ------
    FormatError
        For a broken archive or one whose members add up to more than
        ``limit`` (default :data:`MAX_UNCOMPRESSED_BYTES`).
    """
    path = regular_file(path)
    limit = MAX_UNCOMPRESSED_BYTES if limit is None else limit
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise FormatError(f"not a readable zip archive ({exc})", path=path) from None
    if total > limit:
        raise FormatError(
            f"the zip archive inflates to {_mib(total)}, above the limit of {_mib(limit)} "
            "(raise ssbkit._shared.limits.MAX_UNCOMPRESSED_BYTES to read it)",
            path=path,
        )
    return total


def sha256_file(path, *, chunk_bytes: int = _CHUNK) -> str:
    """SHA-256 hex digest of a file, read in chunks (memory independent of its size).

    Raises
    ------
    FormatError
        For a missing file, a directory or a read error.
    """
    path = regular_file(path)
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(chunk_bytes), b""):
                digest.update(block)
    except OSError as exc:
        raise FormatError(f"cannot read the file ({exc.strerror or exc})", path=path) from None
    return digest.hexdigest()
