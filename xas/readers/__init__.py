"""Readers: one registry mapping formats to parsers, chosen by name, extension or content."""

from __future__ import annotations

from pathlib import Path

from ssbkit._shared.limits import regular_file
from ssbkit.errors import FormatError
from xas.readers.athena import (
    GroupChoiceError,
    athena_normalization,
    list_athena_groups,
    read_athena,
    read_athena_project,
)
from xas.readers.columns import read_columns
from xas.readers.xdi import read_xdi
from xas.spectrum import XASSpectrum

__all__ = ["read_xas", "FORMATS", "GroupChoiceError", "list_athena_groups", "read_athena_project", "sniff_format",
           "athena_normalization"]

FORMATS = ("xdi", "athena", "columns")
_EXTENSIONS = {".xdi": "xdi", ".prj": "athena"}
#: Readers of column-based formats (μ built from named columns); Athena projects are read by group.
_COLUMN_READERS = {"xdi": read_xdi, "columns": read_columns}


def sniff_format(path) -> str:
    """Guess the format of ``path``: by extension, then by the first bytes.

    Returns one of :data:`FORMATS`; plain text that is neither XDI nor an
    Athena project is ``"columns"``.
    """
    path = Path(path)
    if path.suffix.lower() in _EXTENSIONS:
        return _EXTENSIONS[path.suffix.lower()]
    try:
        with open(path, "rb") as handle:
            head = handle.read(256)
    except OSError as exc:
        raise FormatError(f"cannot read file ({exc})", path=path) from None
    if head[:2] == b"\x1f\x8b" or b"Athena project file" in head:
        return "athena"
    if head.lstrip().startswith(b"# XDI/"):
        return "xdi"
    return "columns"


def read_xas(path, *, format: str | None = None, group=None, mode: str = "auto", mu: str | None = None,
             i0: str | None = None, signal=None, energy: str | None = None) -> XASSpectrum:
    """Read one XAS spectrum from XDI, an Athena project or a column file.

    Parameters
    ----------
    path : str or Path
        The file (never modified).
    format : {"xdi", "athena", "columns"}, optional
        Force a format; default: by extension (``.xdi``, ``.prj``), else by
        content.
    group : str or int, optional
        Athena projects only: the group label, key or index (see
        :func:`list_athena_groups`).
    mode : {"auto", "mu", "transmission", "fluorescence", "electron_yield"}
        XDI and column files: how μ(E) is built from the columns
        (transmission ln(I0/It), fluorescence If/I0, electron yield Iy/I0).
    mu, i0, signal, energy : str, optional
        Column names: μ directly, I0, the signal channel(s) (a list is
        summed), and the energy column. Energy in keV is converted to eV.

    Returns
    -------
    XASSpectrum
        ``energy_ev`` strictly increasing (unsorted input is sorted and
        repeated energies merged, each with a warning), ``mu``, ``source``,
        ``metadata`` with ``element``, ``edge``, ``mode``.

    Raises
    ------
    FormatError
        For a missing file, a directory, a broken, truncated or foreign file,
        non-finite or absurd numbers, a file above
        ``ssbkit._shared.limits.MAX_FILE_BYTES`` or a gzipped project that
        inflates beyond ``MAX_UNCOMPRESSED_BYTES``; the message names the file.
    ValueError
        For a bad ``format`` or ``mode`` value, or a missing/unknown Athena group.

    Notes
    -----
    Reader contract (all ssbkit readers): the file is only read, never
    written; memory is bounded by the documented limits of
    :mod:`ssbkit._shared.limits`, checked before reading; the result holds
    finite numbers only, or :class:`~ssbkit.errors.FormatError` is raised.

    Examples
    --------
    >>> spec = read_xas("cu_metal_rt.xdi")  # doctest: +SKIP
    >>> spec = read_xas("P_CAMD.prj", group="AlPO4")  # doctest: +SKIP
    """
    if format is not None and format not in FORMATS:
        raise ValueError(f"format={format!r} is not one of {FORMATS}")
    path = regular_file(path)
    chosen = format or sniff_format(path)
    if chosen == "athena":
        return read_athena(path, group=group)
    if group is not None:
        raise ValueError(f"group= applies to Athena projects only, not to a {chosen} file")
    return _COLUMN_READERS[chosen](path, mode=mode, mu=mu, i0=i0, signal=signal, energy=energy)
