"""Helpers shared by the text-format parsers: decoding, numeric rows, column names.

Every failure raises :class:`ssbkit.errors.FormatError` naming the file and
the 1-based line, never a bare ``ValueError`` from ``float()``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ssbkit._shared.limits import read_bytes
from ssbkit.errors import FormatError

__all__ = ["classify_column", "guess_delimiter", "numeric_rows", "read_lines", "split_fields"]

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def read_lines(path: Path) -> list[str]:
    """The file's lines, decoded as UTF-8 (BOM removed) or else Latin-1.

    Raises
    ------
    FormatError
        When the file holds NUL bytes (binary content), is empty, or is larger
        than ``ssbkit._shared.limits.MAX_FILE_BYTES``.
    """
    raw = read_bytes(path)
    if not raw.strip():
        raise FormatError("file is empty", path=path)
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise FormatError("binary content (NUL byte) in a text format", path=path, offset=nul)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    # Some Windows exporters end lines with CR CR LF; count that as one line end.
    return text.replace("\r\r\n", "\n").splitlines()


def guess_delimiter(line: str) -> str | None:
    """Tab, semicolon or comma when present in ``line``, else None (white space)."""
    for delim in ("\t", ";"):
        if delim in line:
            return delim
    if "," in line and re.search(r",\s", line + " "):
        return ","
    if "," in line and not re.search(r"\d,\d", line):
        return ","
    if line.count(",") >= 2:
        return ","
    return None


def split_fields(line: str, delimiter: str | None) -> list[str]:
    """Split ``line`` at ``delimiter`` (None: runs of white space), stripping fields."""
    if delimiter is None:
        return line.split()
    fields = [f.strip() for f in line.split(delimiter)]
    while fields and fields[-1] == "":
        fields.pop()
    return fields


def is_number(token: str) -> bool:
    """True when ``token`` is a decimal number (point or comma decimal mark)."""
    return bool(_NUMBER.match(token.strip()))


def numeric_rows(
    lines: list[str],
    first: int,
    *,
    path: Path,
    delimiter: str | None,
    decimal_comma: bool,
    columns: list[int],
    n_fields: int | None = None,
    stop=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Parse the numeric rows from line index ``first`` on.

    Parameters
    ----------
    lines : list of str
        All lines of the file.
    first : int
        0-based index of the first data line.
    path : Path
        The file, for error messages.
    delimiter : str or None
        Field separator (None: white space).
    decimal_comma : bool
        Whether the decimal mark is a comma.
    columns : list of int
        Which fields to return (0-based).
    n_fields : int, optional
        Fields every row must have (the header's count); fewer means a cut row.
    stop : callable, optional
        ``stop(line) -> bool``: the table ends before the first line for
        which it is true. Blank lines always end it.

    Returns
    -------
    values : ndarray, shape (n, len(columns))
    line_numbers : ndarray of int, shape (n,)
        1-based line numbers of the rows.

    Raises
    ------
    FormatError
        A row with too few fields or a field that is not a number.
    """
    need = max(max(columns) + 1, n_fields or 0)
    values, numbers = [], []
    for index in range(first, len(lines)):
        line = lines[index]
        if not line.strip() or (stop is not None and stop(line)):
            break
        fields = split_fields(line, delimiter)
        if len(fields) < need:
            raise FormatError(
                f"row has {len(fields)} field(s), {need} expected (truncated file?)",
                path=path, line=index + 1,
            )
        row = []
        for col in columns:
            token = fields[col].replace(",", ".") if decimal_comma else fields[col]
            try:
                row.append(float(token))
            except ValueError:
                raise FormatError(
                    f"field {col + 1} is {fields[col]!r}, not a number", path=path, line=index + 1
                ) from None
        values.append(row)
        numbers.append(index + 1)
    if not values:
        raise FormatError(f"no data rows after line {first}", path=path, line=first + 1)
    return np.asarray(values, dtype=float), np.asarray(numbers, dtype=int)


def _normalise(name: str) -> str:
    text = name.strip().lower().replace("\u2033", "''").replace('"', "''").replace("’", "'")
    text = re.sub(r"\s*[\(\[/].*$", "", text)  # drop a unit in brackets or after a slash
    return text.replace(" ", "").replace("_", "")


_FREQ = {"f", "freq", "frequency", "freq.", "fhz"}
_REAL = {"z'", "zre", "zreal", "re(z)", "real", "rez", "z'(a)", "zr", "re"}
_IMAG = {"z''", "zim", "zimag", "zimg", "im(z)", "imag", "imz", "z''(b)", "zi", "im"}


def classify_column(name: str) -> str | None:
    """Which impedance quantity a column header names.

    Returns
    -------
    str or None
        ``"frequency"``, ``"real"``, ``"imag"``, ``"minus_imag"`` or None.

    Examples
    --------
    >>> classify_column("-Im(Z)/Ohm"), classify_column("Z'' (ohm)"), classify_column("Freq/Hz")
    ('minus_imag', 'imag', 'frequency')
    >>> classify_column("frequency_hz"), classify_column("z_real_ohm"), classify_column("z_imag_ohm")
    ('frequency', 'real', 'imag')
    """
    raw = name.strip()
    # Units such as (ohm) are cut, but "Re(Z)" and "Im(Z)" keep their bracket.
    lowered = raw.lower().replace(" ", "")
    for key, kind in (("-im(z)", "minus_imag"), ("im(z)", "imag"), ("re(z)", "real")):
        if lowered.startswith(key):
            return kind
    norm = _normalise(raw)
    # the library's own column names carry their unit as a suffix: z_real_ohm, minus_z_imag_ohm
    if norm.endswith("ohm") and len(norm) > 3:
        norm = norm[:-3]
    if norm.startswith("minus"):
        norm = "-" + norm[5:]
    if norm.startswith("-"):
        return "minus_imag" if norm[1:] in _IMAG else None
    if norm in _FREQ or norm.startswith("freq"):
        return "frequency"
    if norm in _REAL:
        return "real"
    if norm in _IMAG:
        return "imag"
    return None
