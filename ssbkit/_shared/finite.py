"""Finite data or a refusal: the other half of the readers' contract.

A reader returns finite data or raises :class:`~ssbkit.errors.FormatError`.
Where a record format can lose a row without changing the meaning of the
rest (cycler logs, I-V sweeps), rows holding NaN, ±inf or an absurd
magnitude are dropped with one :class:`NonFiniteWarning` that says how many
rows and which; otherwise :func:`require_finite` refuses the file.

Examples
--------
>>> import warnings
>>> import numpy as np
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     keep = drop_nonfinite_rows({"v": np.array([1.0, np.inf, 3.0])}, path="x.csv")
>>> keep.tolist()
[True, False, True]
"""

from __future__ import annotations

import warnings

import numpy as np

from ssbkit.errors import FormatError

__all__ = ["ABSURD_MAGNITUDE", "NonFiniteWarning", "drop_nonfinite_rows", "require_finite"]

#: |value| at or above which a number read from a file counts as absurd (no
#: quantity in the canonical units s, V, A, mA, mAh, eV comes near it, and
#: products of two such numbers stay finite in float64).
ABSURD_MAGNITUDE = 1e100


class NonFiniteWarning(UserWarning):
    """Rows with NaN, ±inf or absurd values were dropped while reading a file."""


def _bad(values: np.ndarray, *, allow_nan: bool, limit: float = ABSURD_MAGNITUDE) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        bad = np.isinf(values) | (np.abs(values) >= limit)
    if not allow_nan:
        bad |= np.isnan(values)
    return bad


def _rows_text(rows: np.ndarray, first_row: int) -> str:
    shown = ", ".join(str(int(r) + first_row) for r in rows[:5])
    return shown + (f", ... ({rows.size} in all)" if rows.size > 5 else "")


def drop_nonfinite_rows(columns: dict, *, path, allow_nan=(), magnitude: dict | None = None, first_row: int = 1,
                        what: str = "data row"):
    """Mask of the rows to keep: those without NaN, ±inf or absurd values.

    Parameters
    ----------
    columns : dict of str -> array_like, each shape (n,) or None
        The columns read from the file (None entries are skipped).
    path : path-like
        The file, named in the warning.
    allow_nan : collection of str
        Columns where NaN means "not recorded" and is kept (±inf and absurd
        values still drop the row).
    magnitude : dict of str -> float, optional
        Smaller limits of ``|value|`` for some columns (e.g. ``2**53`` for
        counters stored as integers); others use :data:`ABSURD_MAGNITUDE`.
    first_row : int
        Number of the first row in the message (1-based data rows by default).
    what : str
        How the rows are called in the message.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
        True for rows to keep. When any row is dropped one
        :class:`NonFiniteWarning` says how many, which rows (first five) and
        in which columns.
    """
    present = {name: np.asarray(values, dtype=float) for name, values in columns.items() if values is not None}
    if not present:
        return np.ones(0, dtype=bool)
    n = len(next(iter(present.values())))
    bad_any = np.zeros(n, dtype=bool)
    culprits = []
    for name, values in present.items():
        bad = _bad(values, allow_nan=name in allow_nan, limit=(magnitude or {}).get(name, ABSURD_MAGNITUDE))
        if bad.any():
            culprits.append(name)
            bad_any |= bad
    if bad_any.any():
        rows = np.flatnonzero(bad_any)
        warnings.warn(
            f"{path}: dropped {rows.size} of {n} {what}s holding NaN, inf or absurd values "
            f"in {', '.join(culprits)} ({what}s {_rows_text(rows, first_row)})",
            NonFiniteWarning,
            stacklevel=3,
        )
    return ~bad_any


def require_finite(values, *, path, what: str) -> np.ndarray:
    """``values`` as a float array, or FormatError naming the file, ``what`` and the first bad index.

    NaN, ±inf and magnitudes at or above :data:`ABSURD_MAGNITUDE` are refused.
    """
    array = np.asarray(values, dtype=float)
    bad = _bad(array, allow_nan=False)
    if bad.any():
        index = np.unravel_index(int(np.flatnonzero(bad.ravel())[0]), array.shape)
        where = int(index[0]) if array.ndim == 1 else tuple(int(i) for i in index)
        raise FormatError(
            f"{what} holds {bad.sum()} NaN, infinite or absurd (|value| >= {ABSURD_MAGNITUDE:g}) value(s), "
            f"the first at index {where} ({array[index]!r})",
            path=path,
        )
    return array
