"""Reader for plain column text files (beamline scan files, exported .dat/.txt).

Header lines start with ``#``; the last header line with as many words as
the table has columns names the columns (otherwise they are ``col1``,
``col2``, ...). μ is taken from a μ column or built from raw channels by
name (see :mod:`xas.readers.channels`).
"""

from __future__ import annotations

from pathlib import Path

from ssbkit._shared.limits import read_text
from ssbkit.errors import FormatError
from xas.readers.channels import energy_column, energy_to_ev, mu_from_columns
from xas.readers.table import parse_table
from xas.spectrum import XASSpectrum, clean_energy_axis

__all__ = ["read_columns"]


def read_columns(path, *, mode: str = "auto", mu=None, i0=None, signal=None, energy=None) -> XASSpectrum:
    """Read a plain column file: whitespace- or comma-separated, names in a ``#`` comment or a first row.

    A table ssbkit writes (``energy_ev,mu`` from ``XASSpectrum.to_frame()``) reads back unchanged.

    Parameters
    ----------
    path : str or Path
        The text file.
    mode : {"auto", "mu", "transmission", "fluorescence", "electron_yield"}
        How μ is built; see :func:`xas.readers.channels.mu_from_columns`.
    mu, i0, signal : str, optional
        Column names for μ directly, or for I0 and the signal(s).
    energy : str, optional
        Name of the energy column (default: ``energy``/``e``, else the first).
        Its unit is read from a ``keV``/``eV`` word in the label, else guessed
        (values below 50 are keV, with a warning).

    Returns
    -------
    XASSpectrum

    Raises
    ------
    FormatError
        When there is no numeric table, or μ cannot be built.

    Examples
    --------
    >>> spec = read_columns("fexanes_a.001", mode="fluorescence", signal="Sum_Fe_Ka")  # doctest: +SKIP
    """
    path = Path(path)
    lines = read_text(path).splitlines()  # bounded by limits.MAX_FILE_BYTES
    start = 0
    header: list[str] = []
    for start, line in enumerate(lines):
        text = line.strip()
        if text and not text.startswith("#"):
            break
        header.append(text.lstrip("#").strip())
    else:
        raise FormatError("no data rows found", path=path)
    if "," in lines[start]:  # a comma-separated table (e.g. a pandas export): commas separate the columns
        lines = [line.replace(",", " ") for line in lines]
    if not _all_numbers(lines[start].split()):  # a header row of column names above the data
        header.append(lines[start].strip())
        start += 1
    table = parse_table(lines, start, path=path)
    names = [f"col{i + 1}" for i in range(table.shape[1])]
    for text in reversed(header):
        words = text.split()
        if len(words) == table.shape[1] and not _all_numbers(words):
            names = words
            break
    index = energy_column(names, name=energy, path=path)
    label = names[index].lower()
    unit = "keV" if "kev" in label else ("eV" if label.endswith("ev") else None)
    energy_ev, _ = energy_to_ev(table[:, index], unit=unit, path=path)
    mu_values, used_mode, mu_from = mu_from_columns(names, table, mode=mode, mu=mu, i0=i0,
                                                    signal=signal, path=path)
    energy_ev, mu_values = clean_energy_axis(energy_ev, mu_values, path=path)
    metadata = {"mode": used_mode, "mu_from": mu_from, "columns": names,
                "header": "\n".join(header), "format": "columns"}
    return XASSpectrum(energy_ev, mu_values, source=str(path), label=path.stem, metadata=metadata)


def _all_numbers(words: list[str]) -> bool:
    try:
        [float(word) for word in words]
    except ValueError:
        return False
    return True
