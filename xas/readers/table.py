"""Strict parsing of a whitespace-separated numeric table."""

from __future__ import annotations

import numpy as np

from ssbkit.errors import FormatError

__all__ = ["parse_table"]


def parse_table(lines: list[str], start: int, *, path=None, comment: str = "#") -> np.ndarray:
    """Parse ``lines[start:]`` as a rectangular table of finite numbers.

    Blank lines and lines starting with ``comment`` are skipped.

    Parameters
    ----------
    lines : list of str
        All lines of the file.
    start : int
        0-based index of the first data line.
    path : str or Path, optional
        File named in errors.
    comment : str
        Comment prefix.

    Returns
    -------
    ndarray, shape (n_rows, n_columns)

    Raises
    ------
    FormatError
        On a non-numeric cell, a NaN or infinite value, a row with a different
        number of columns than the first, or an empty table; the message
        names the 1-based line.
    """
    rows: list[list[float]] = []
    width = None
    for number in range(start, len(lines)):
        text = lines[number].strip()
        if not text or text.startswith(comment):
            continue
        cells = text.split()
        try:
            values = [float(cell) for cell in cells]
        except ValueError:
            bad = next(cell for cell in cells if not _is_float(cell))
            raise FormatError(f"non-numeric value {bad!r} in the data table", path=path, line=number + 1) from None
        if width is None:
            width = len(values)
        elif len(values) != width:
            raise FormatError(
                f"row has {len(values)} columns, the table has {width}", path=path, line=number + 1
            )
        if not all(np.isfinite(values)):
            raise FormatError("NaN or infinite value in the data table", path=path, line=number + 1)
        rows.append(values)
    if not rows:
        raise FormatError("no data rows found", path=path)
    return np.asarray(rows, dtype=float)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
