"""Cycler-file readers: a registry of formats, chosen by name, extension or content.

:func:`read_cycling` is the entry point. Each format maps to one parser
function; with ``format=None`` the file's first bytes decide (magic bytes for
binary files, the header line for text exports), so a misnamed file is still
read by the right parser and a foreign one is refused with a
:class:`~ssbkit.errors.FormatError` that names it.
"""

from __future__ import annotations

from collections.abc import Callable

from echem.cycling.canonical import check_first_half_cycle
from echem.cycling.data import CyclingData
from echem.cycling.readers.arbin import (
    is_arbin_header,
    is_arbin_metadata,
    read_arbin_csv,
    read_arbin_res,
)
from echem.cycling.readers.biologic import read_biologic_mpr, read_biologic_mpt
from echem.cycling.readers.maccor import is_maccor_header, read_maccor
from echem.cycling.readers.mapped import (
    is_bdf_header,
    is_canonical_header,
    is_landt_header,
    is_pec_header,
    read_bdf,
    read_canonical_csv,
    read_generic_csv,
    read_landt_csv,
    read_pec_csv,
)
from echem.cycling.readers.neware import (
    is_neware_export,
    is_neware_nested_export,
    read_neware_binary,
    read_neware_export,
    read_neware_nested_export,
)
from echem.cycling.readers.tables import head_lines
from ssbkit._shared.limits import check_size, check_zip, regular_file
from ssbkit.errors import FormatError

__all__ = ["CYCLING_FORMATS", "read_cycling", "sniff_cycling_format"]

#: format name -> parser ``f(path, *, first_half_cycle) -> CyclingData``
CYCLING_FORMATS: dict[str, Callable[..., CyclingData]] = {
    "biologic_mpr": read_biologic_mpr,
    "biologic_mpt": read_biologic_mpt,
    "neware_binary": read_neware_binary,
    "neware_export": read_neware_export,
    "neware_nested_export": read_neware_nested_export,
    "arbin_csv": read_arbin_csv,
    "arbin_res": read_arbin_res,
    "maccor": read_maccor,
    "landt_csv": read_landt_csv,
    "bdf": read_bdf,
    "pec_csv": read_pec_csv,
    "ssbkit_csv": read_canonical_csv,
    "csv": read_generic_csv,
}

_ZIP_SUFFIXES = (".ndax", ".xlsx", ".xlsm")
_BINARY_MAGIC = (
    (b"BIO-LOGIC MODULAR FILE", "biologic_mpr"),
    (b"NEWARE", "neware_binary"),
    (b"\x00\x01\x00\x00Standard Jet DB", "arbin_res"),
)
_TEXT_SNIFFERS = (
    (is_canonical_header, "ssbkit_csv"),
    (is_maccor_header, "maccor"),
    (is_arbin_header, "arbin_csv"),
    (is_neware_export, "neware_export"),
    (is_landt_header, "landt_csv"),
    (is_bdf_header, "bdf"),
    (is_pec_header, "pec_csv"),
)


def sniff_cycling_format(path) -> str:
    """Name of the format of ``path`` judged from its content (and, for zips, extension).

    Raises
    ------
    FormatError
        For an empty, foreign or unsupported file; the message says what it
        looks like where that is known.
    """
    path = regular_file(path)
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head:
        raise FormatError("the file is empty", path=path)
    for magic, name in _BINARY_MAGIC:
        if head.startswith(magic):
            return name
    if head.startswith(b"PK\x03\x04"):
        if path.suffix.lower() == ".ndax":
            return "neware_binary"
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return "neware_export"
        raise FormatError("a zip archive that is neither a Neware .ndax nor an .xlsx workbook", path=path)
    if head.startswith(b"ARROW1"):
        raise FormatError("an Arrow/Feather table, not a cycler file", path=path)
    if b"\x00" in head:
        raise FormatError("an unknown binary format", path=path, offset=0)
    lines = head_lines(path, 60)
    if lines[0].startswith("EC-Lab ASCII FILE"):
        return "biologic_mpt"
    if is_neware_nested_export(lines[0]):
        return "neware_nested_export"
    if is_arbin_metadata(lines[0]):
        raise FormatError("an Arbin *_Metadata.csv side file, not a data record; read the data csv", path=path)
    for line in lines:
        for test, name in _TEXT_SNIFFERS:
            if test(line):
                return name
    raise FormatError(
        "unknown cycler format; give format= one of "
        f"{sorted(CYCLING_FORMATS)} (format='csv' with columns= for any other table)",
        path=path,
    )


def read_cycling(
    path, *, format: str | None = None, columns: dict | None = None, first_half_cycle: str = "charge"
) -> CyclingData:
    """Read a galvanostatic cycling file into canonical columns.

    Parameters
    ----------
    path : str or path-like
        The cycler file; it is only read, never changed.
    format : str, optional
        One of :data:`CYCLING_FORMATS`; by default judged from the content
        (:func:`sniff_cycling_format`).
    columns : dict, optional
        Column mapping for ``format="csv"``: canonical key -> column name or
        ``(name, factor to the canonical unit)``, e.g.
        ``{"time_s": "t/h", ...}`` -> ``{"time_s": ("t/h", 3600.0)}``; keys
        are listed in :data:`echem.cycling.readers.mapped.MAPPING_KEYS`.
    first_half_cycle : {"charge", "discharge"}
        Which half-cycle opens a cycle when cycle numbers are derived from the
        current sign (files without cycle numbers), and for Neware binaries.
        ``"charge"`` suits a cathode cycled charge-first.

    Returns
    -------
    CyclingData
        ``.data`` with ``time_s``, ``voltage_v``, ``current_ma``, ``cycle``,
        ``step``, ``charge_capacity_mah``, ``discharge_capacity_mah``.

    Raises
    ------
    FormatError
        For a missing file, a directory, an empty, foreign, broken or
        unsupported file, one above ``ssbkit._shared.limits.MAX_FILE_BYTES``
        or a zip container inflating beyond ``MAX_UNCOMPRESSED_BYTES``.
    ValueError
        For a bad ``format``, ``first_half_cycle`` or ``columns``.

    Warns
    -----
    ssbkit._shared.NonFiniteWarning
        When records holding ±inf or absurd numbers were dropped (how many
        and which data rows; counted in ``metadata["dropped_nonfinite_records"]``).

    Notes
    -----
    Reader contract (all ssbkit readers): the file is only read, never
    written; memory is bounded by the documented limits of
    :mod:`ssbkit._shared.limits`, checked before reading; the returned
    columns are finite, or :class:`~ssbkit.errors.FormatError` is raised.

    Examples
    --------
    >>> data = read_cycling("cell.mpr")  # doctest: +SKIP
    >>> data.data.groupby("cycle")["discharge_capacity_mah"].max()  # doctest: +SKIP
    """
    check_first_half_cycle(first_half_cycle)
    if format is not None and format not in CYCLING_FORMATS:
        raise ValueError(f"format={format!r} is not supported; use one of {sorted(CYCLING_FORMATS)}")
    if columns is not None and format not in (None, "csv"):
        raise ValueError(f"columns= applies to format='csv' only, not format={format!r}")
    path = regular_file(path)
    check_size(path)  # every cycler format is parsed whole: bounded by limits.MAX_FILE_BYTES
    if columns is not None:
        format = "csv"
    name = format or sniff_cycling_format(path)
    if path.suffix.lower() in _ZIP_SUFFIXES:
        check_zip(path)  # .ndax/.xlsx: bounded by limits.MAX_UNCOMPRESSED_BYTES before any member is inflated
    reader = CYCLING_FORMATS[name]
    try:
        if name == "csv":
            return reader(path, columns=columns, first_half_cycle=first_half_cycle)
        return reader(path, first_half_cycle=first_half_cycle)
    except (UnicodeDecodeError, OSError) as exc:
        raise FormatError(f"cannot read the file as {name} ({exc})", path=path) from exc
