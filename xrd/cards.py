"""Stick-list cards as references: AMCSD/RRUFF ``.dif``, Dioptas ``.jcpds`` and a plain CSV layout.

Laboratories hold powder-diffraction cards rather than structures. A card gives reflection
positions (2-theta at a stated wavelength, or d), relative intensities, Miller indices and the
cell, and often the reference intensity ratio I/Ic. :func:`read_card` turns one into a
:class:`~xrd.references.ReferencePattern` of kind ``"card"`` at the pattern's wavelength
(positions through d by Bragg's law; relative intensities as given, without a change of
Lorentz-polarisation factor between wavelengths), so the search, the refinement of the cell and
the explained-peaks bookkeeping work as for structures. A card path (``.dif``, ``.jcpds``,
``.card``) is accepted wherever a CIF path is, e.g. as a candidate of :func:`xrd.identify_phases`.

Weight fractions of card phases come from the reference intensity ratio (Chung, J. Appl.
Cryst. 7 (1974) 519, doi:10.1107/S0021889874010375; Hubbard & Snyder, Powder Diffr. 3 (1988) 74,
doi:10.1017/S0885715600013257): W_p ∝ I_p / RIR_p with I_p the refined intensity of its
strongest line; in the Hill-Howard sum used for structures this is the "ZMV" of a card,
I_max,p (ZMV)_c / (RIR_p I_113,c), with c corundum simulated at the same wavelength (AMCSD 9325).
They are semi-quantitative (RIR values of cards carry 10-30 % errors) and NaN for a card without
RIR.

Layouts
-------
``.dif`` (AMCSD and RRUFF, written by XPOW; Downs et al., Am. Mineral. 78 (1993) 1104): free
header lines, ``CELL PARAMETERS: a b c alpha beta gamma``, ``SPACE GROUP: ...``,
``X-RAY WAVELENGTH: λ``, then a header line starting ``2-THETA`` and rows
``2theta intensity d h k l [multiplicity]``, ended by a line of ``=``. The formula, which AMCSD
files do not state, is read from ``CHEMICAL FORMULA: ...`` (or passed as ``formula=``); the RIR
from ``I/Ic: ...`` when present.

``.jcpds`` (Dioptas, version 4): ``KEY: value`` lines ``VERSION: 4``, ``COMMENT:``, ``A:``,
``B:``, ``C:``, ``ALPHA:``, ``BETA:``, ``GAMMA:`` and one ``DIHKL: d I h k l`` line per
reflection; ``FORMULA:``, ``RIR:`` and ``CARD:`` lines are read when present.

``.card`` (this package's plain CSV layout, easy to write by hand from a PDF card)::

    # name: LiCoO2 (lab card)
    # formula: LiCoO2
    # card: PDF#70-2685
    # cell: 2.8156 2.8156 14.0542 90 90 120
    # space_group: R-3m
    # rir: 4.9
    # wavelength: 1.5406          (only needed when the first column is 2-theta)
    d_angstrom, intensity, h, k, l      (or: two_theta_deg, intensity, h, k, l)
    4.6847, 100, 0, 0, 3
    ...
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from ssbkit._shared.finite import require_finite
from ssbkit._shared.limits import read_text, regular_file
from ssbkit.errors import FormatError
from xrd.references import CARD_SUFFIXES, ReferencePattern, bragg_d_spacing_angstrom, reference_pattern

__all__ = ["CARD_SUFFIXES", "card_folder", "card_mass_volume", "read_card", "reference_intensity_ratio",
           "write_card"]

_CORUNDUM = "amcsd:9325"
_CORUNDUM_113 = (1, 1, 3)
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def _composition(formula, path):
    from pymatgen.core import Composition, Element

    try:
        composition = Composition(formula)
    except (ValueError, KeyError):
        composition = None
    if composition is None or not composition.elements or \
            not all(isinstance(el, Element) for el in composition.elements):
        raise FormatError(f"{formula!r} is not a chemical formula", path=path)
    return composition


def _volume(lattice) -> float:
    a, b, c = lattice[:3]
    ca, cb, cg = np.cos(np.radians(lattice[3:6]))
    return float(a * b * c * math.sqrt(max(1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg, 0.0)))


def _card(path, *, name, formula, card, space_group, lattice, d, intensity, hkl, rir, wavelength_angstrom,
          two_theta_range) -> ReferencePattern:
    if formula is None:
        raise FormatError("the card states no chemical formula (add a 'CHEMICAL FORMULA:' / 'FORMULA:' / "
                          "'# formula:' line or pass formula=)", path=path)
    if lattice is None:
        raise FormatError("the card states no cell parameters; they are needed to refine its cell", path=path)
    d = require_finite(d, path=path, what="d-spacing")
    intensity = require_finite(intensity, path=path, what="intensity")
    lattice = require_finite(lattice, path=path, what="cell parameters")
    if rir is not None:
        require_finite([rir], path=path, what="RIR (I/Ic)")
    if d.size == 0:
        raise FormatError("the card lists no reflections", path=path)
    if np.any(d <= 0) or np.any(intensity < 0):
        raise FormatError("non-positive d-spacing or negative intensity among the reflections", path=path)
    lattice = np.asarray(lattice, dtype=float)
    composition = _composition(formula, path)
    sin = wavelength_angstrom / (2 * d)
    two_theta = np.where(sin < 1, np.degrees(2 * np.arcsin(np.clip(sin, -1, 1))), np.inf)
    lo, hi = two_theta_range
    keep = (two_theta >= lo) & (two_theta <= hi)
    order = np.argsort(two_theta[keep])
    volume = _volume(lattice)
    # cell_mass_amu: mass of the cell contents when the density is unknown is not needed for a card (its
    # fractions come from the RIR); the formula mass is recorded for the absorption estimates
    return ReferencePattern(
        name, composition.reduced_formula, space_group or "?", card, float(wavelength_angstrom),
        two_theta[keep][order], intensity[keep][order], np.asarray(hkl, dtype=int).reshape(-1, 3)[keep][order],
        lattice, volume, float(composition.weight), str(path), "card", float(rir) if rir is not None else math.nan)


def _read_dif(path: Path):
    lines = read_text(path, encoding="latin-1").splitlines()
    info = {"formula": None, "rir": None, "lattice": None, "space_group": "", "wavelength": None, "card": ""}
    rows, in_table = [], False
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        upper = text.upper()
        if in_table:
            if not text:
                continue
            if text.startswith("="):
                break
            fields = text.split()
            try:
                values = [float(v) for v in fields[:6]]
            except ValueError:
                raise FormatError(f"non-numeric reflection row {text[:40]!r}", path=path, line=number) from None
            if len(values) < 6:
                raise FormatError("a reflection row needs 2-theta, intensity, d, h, k, l", path=path, line=number)
            rows.append(values)
        elif upper.startswith("2-THETA"):
            in_table = True
        elif upper.startswith("CELL PARAMETERS:"):
            numbers = re.findall(_NUMBER, text.split(":", 1)[1])
            if len(numbers) != 6:
                raise FormatError("CELL PARAMETERS needs a b c alpha beta gamma", path=path, line=number)
            info["lattice"] = [float(v) for v in numbers]
        elif upper.startswith("SPACE GROUP:"):
            info["space_group"] = text.split(":", 1)[1].strip()
        elif upper.startswith("X-RAY WAVELENGTH:"):
            info["wavelength"] = float(re.findall(_NUMBER, text.split(":", 1)[1])[0])
        elif upper.startswith("CHEMICAL FORMULA:"):
            info["formula"] = text.split(":", 1)[1].strip().replace(" ", "")
        elif upper.startswith("I/IC:"):
            info["rir"] = float(re.findall(_NUMBER, text.split(":", 1)[1])[0])
        elif "_database_code_amcsd" in text:
            info["card"] = "AMCSD " + text.split()[-1]
    if not rows:
        raise FormatError("no reflection table (a header line '2-THETA INTENSITY D-SPACING H K L' and rows)",
                          path=path)
    table = np.array(rows)
    name = next((l.strip() for l in lines if l.strip()), path.stem)
    return info, name, table[:, 2], table[:, 1], table[:, 3:6]


def _read_jcpds(path: Path):
    info = {"formula": None, "rir": None, "lattice": None, "space_group": "", "card": ""}
    cell, rows, version = {}, [], None
    for number, line in enumerate(read_text(path, encoding="latin-1").splitlines(), start=1):
        key, _, value = line.partition(":")
        key = key.strip().upper()
        value = value.strip()
        if key == "VERSION":
            version = value
        elif key in ("A", "B", "C", "ALPHA", "BETA", "GAMMA"):
            cell[key] = float(value)
        elif key == "DIHKL":
            try:
                rows.append([float(v) for v in value.split()[:5]])
            except ValueError:
                raise FormatError(f"non-numeric DIHKL {value[:40]!r}", path=path, line=number) from None
            if len(rows[-1]) < 5:
                raise FormatError("DIHKL needs d, I, h, k, l", path=path, line=number)
        elif key == "FORMULA":
            info["formula"] = value.replace(" ", "")
        elif key == "RIR":
            info["rir"] = float(value)
        elif key == "CARD":
            info["card"] = value
        elif key == "SPACE_GROUP":
            info["space_group"] = value
        elif key == "COMMENT":
            info.setdefault("comment", value)
    if version is None or version.split(".")[0] != "4":
        raise FormatError(f"JCPDS version {version!r}: only the Dioptas version 4 layout (KEY: value lines) is "
                          "read", path=path, line=1)
    if not rows:
        raise FormatError("no DIHKL lines", path=path)
    a = cell.get("A")
    if a is not None:
        b, c = cell.get("B", a), cell.get("C", a)
        info["lattice"] = [a, b, c, cell.get("ALPHA", 90.0), cell.get("BETA", 90.0), cell.get("GAMMA", 90.0)]
    table = np.array(rows)
    return info, info.get("comment") or path.stem, table[:, 0], table[:, 1], table[:, 2:5]


def _read_csv_card(path: Path):
    info = {"formula": None, "rir": None, "lattice": None, "space_group": "", "card": "", "wavelength": None}
    name, rows, columns = path.stem, [], None
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        text = line.strip()
        if not text:
            continue
        if text.startswith("#"):
            key, _, value = text.lstrip("# ").partition(":")
            key, value = key.strip().lower(), value.strip()
            if key == "name":
                name = value
            elif key == "formula":
                info["formula"] = value.replace(" ", "")
            elif key == "card":
                info["card"] = value
            elif key == "space_group":
                info["space_group"] = value
            elif key == "cell":
                numbers = re.findall(_NUMBER, value)
                if len(numbers) != 6:
                    raise FormatError("'# cell:' needs a b c alpha beta gamma", path=path, line=number)
                info["lattice"] = [float(v) for v in numbers]
            elif key == "rir":
                info["rir"] = float(value)
            elif key == "wavelength":
                info["wavelength"] = float(re.findall(_NUMBER, value)[0])
            continue
        fields = [f.strip() for f in re.split(r"[,;\t]", text) if f.strip()]
        if columns is None:
            columns = [f.lower() for f in fields]
            if columns[:2] not in (["d_angstrom", "intensity"], ["two_theta_deg", "intensity"]) or \
                    columns[2:5] != ["h", "k", "l"]:
                raise FormatError("the column line must be 'd_angstrom, intensity, h, k, l' or "
                                  "'two_theta_deg, intensity, h, k, l'", path=path, line=number)
            continue
        try:
            rows.append([float(v) for v in fields[:5]])
        except ValueError:
            raise FormatError(f"non-numeric row {text[:40]!r}", path=path, line=number) from None
        if len(rows[-1]) < 5:
            raise FormatError("a row needs 5 values", path=path, line=number)
    if columns is None or not rows:
        raise FormatError("no column line and reflection rows", path=path)
    table = np.array(rows)
    if columns[0] == "two_theta_deg":
        if info["wavelength"] is None:
            raise FormatError("2-theta positions need a '# wavelength:' line", path=path)
        d = bragg_d_spacing_angstrom(table[:, 0], info["wavelength"])
    else:
        d = table[:, 0]
    return info, name, d, table[:, 1], table[:, 2:5]


def read_card(path, *, wavelength_angstrom: float = 1.5406, two_theta_range=(0, 180),
              formula: str | None = None) -> ReferencePattern:
    """Read a stick-list card (``.dif``, ``.jcpds`` or ``.card``; see the module docstring).

    Parameters
    ----------
    path : str or Path
        The card file.
    wavelength_angstrom : float
        Wavelength of the pattern it will be matched against, angstrom.
    two_theta_range : (float, float)
        Reflections kept, degrees 2-theta at that wavelength.
    formula : str, optional
        Chemical formula when the card does not state one (AMCSD ``.dif`` files do not).

    Returns
    -------
    ReferencePattern
        ``kind="card"``, ``rir`` from the card (NaN when absent).

    Raises
    ------
    ssbkit.errors.FormatError
        A missing file ("no such file"), a broken card, a directory or special file, or a file larger than
        ``ssbkit._shared.limits.MAX_FILE_BYTES`` (checked before reading).
    """
    path = Path(path)
    path = regular_file(path)  # a directory or a pipe: FormatError; the size is checked by read_text
    suffix = path.suffix.lower()
    readers = {".dif": _read_dif, ".jcpds": _read_jcpds, ".card": _read_csv_card, ".csv": _read_csv_card}
    if suffix not in readers:
        raise FormatError(f"unknown card extension {suffix!r} (known: {sorted(readers)})", path=path)
    try:
        info, name, d, intensity, hkl = readers[suffix](path)
    except FormatError:
        raise
    except (ValueError, IndexError, KeyError, OverflowError) as exc:  # a float()/int() on a damaged field
        raise FormatError(f"cannot read as a {suffix} card ({type(exc).__name__}: {exc})", path=path) from None
    return _card(path, name=name, formula=formula or info["formula"], card=info["card"],
                 space_group=info["space_group"], lattice=info["lattice"], d=d, intensity=intensity, hkl=hkl,
                 rir=info["rir"], wavelength_angstrom=wavelength_angstrom,
                 two_theta_range=tuple(float(v) for v in two_theta_range))


def card_folder(folder) -> list[Path]:
    """All card files (``.dif``, ``.jcpds``, ``.card``) in a folder, sorted, as candidates."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in CARD_SUFFIXES)


@lru_cache(maxsize=8)
def _corundum_113(wavelength_angstrom: float) -> tuple[float, float]:
    """(per-cell integrated intensity of corundum 113, Z M V of corundum) at a wavelength."""
    from xrd.refinement import d_spacing_angstrom

    ref = reference_pattern(_CORUNDUM, wavelength_angstrom=wavelength_angstrom, two_theta_range=(5, 175))
    d113 = d_spacing_angstrom(np.array([_CORUNDUM_113]), ref.lattice)[0]
    nearest = int(np.argmin(np.abs(ref.d_spacing_angstrom() - d113)))
    return float(ref.intensity[nearest]), ref.cell_mass_amu * ref.volume_a3


def reference_intensity_ratio(reference: ReferencePattern) -> float:
    """I/Ic of a structure reference: its strongest line over corundum's 113 in a 1:1 mixture by weight.

    With per-cell intensities the diffracted intensity of a line is proportional to
    W I_hkl / (Z M V) (Hill & Howard, J. Appl. Cryst. 20 (1987) 467, doi:10.1107/S0021889887086199),
    so I/Ic = [I_max / ZMV]_phase / [I_113 / ZMV]_corundum (Hubbard & Snyder, Powder Diffr. 3 (1988)
    74, doi:10.1017/S0885715600013257).
    """
    if reference.kind != "structure":
        raise ValueError(f"{reference.name} is a card; its I/Ic is the card's ({reference.rir})")
    i113, zmv_c = _corundum_113(reference.wavelength_angstrom)
    return float(reference.intensity.max() / (reference.cell_mass_amu * reference.volume_a3) / (i113 / zmv_c))


def card_mass_volume(reference: ReferencePattern) -> float:
    """The "Z M V" a card stands for in the Hill-Howard sum (see the module docstring); NaN without RIR."""
    if not reference.rir > 0:
        return math.nan
    i113, zmv_c = _corundum_113(reference.wavelength_angstrom)
    return float(reference.intensity.max() * zmv_c / (reference.rir * i113))


def write_card(reference: ReferencePattern, path, *, rir: float | None = None, min_intensity: float = 0.5) -> Path:
    """Write a reference as a card (layout from the extension: ``.dif``, ``.jcpds`` or ``.card``).

    Intensities are scaled to 100 for the strongest line and lines below ``min_intensity`` are left
    out, as on a printed card; the RIR of a structure is computed (:func:`reference_intensity_ratio`)
    unless given. Never overwrites an existing file.
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; write_card does not overwrite files")
    suffix = path.suffix.lower()
    if suffix not in CARD_SUFFIXES:
        raise ValueError(f"card extension {suffix!r} is not one of {CARD_SUFFIXES}")
    if rir is None:
        rir = reference.rir if reference.kind == "card" else reference_intensity_ratio(reference)
    rel = 100 * reference.intensity / reference.intensity.max()
    keep = rel >= min_intensity
    d = reference.d_spacing_angstrom()[keep]
    tt, rel, hkl = reference.two_theta_deg[keep], rel[keep], reference.hkl[keep]
    a, b, c, al, be, ga = (float(v) for v in reference.lattice)
    if suffix == ".dif":
        lines = [f"      {reference.name}", f"      CHEMICAL FORMULA: {reference.formula}",
                 f"      I/Ic: {rir:.4f}", "",
                 f"      CELL PARAMETERS: {a:9.4f} {b:9.4f} {c:9.4f} {al:8.3f} {be:8.3f} {ga:8.3f}",
                 f"      SPACE GROUP: {reference.space_group}",
                 f"      X-RAY WAVELENGTH: {reference.wavelength_angstrom:12.6f}",
                 "         2-THETA      INTENSITY    D-SPACING   H   K   L"]
        lines += [f"      {t:10.3f} {i:13.2f} {dd:12.5f} {h[0]:4d}{h[1]:4d}{h[2]:4d}" for t, i, dd, h in zip(tt, rel, d, hkl)]
        lines.append("      " + "=" * 60)
    elif suffix == ".jcpds":
        lines = ["VERSION: 4", f"COMMENT: {reference.name}", f"FORMULA: {reference.formula}", f"RIR: {rir:.4f}",
                 f"CARD: {reference.card}", f"SPACE_GROUP: {reference.space_group}", f"A: {a:.5f}", f"B: {b:.5f}",
                 f"C: {c:.5f}", f"ALPHA: {al:.4f}", f"BETA: {be:.4f}", f"GAMMA: {ga:.4f}"]
        lines += [f"DIHKL: {dd:.5f} {i:.2f} {h[0]} {h[1]} {h[2]}" for dd, i, h in zip(d, rel, hkl)]
    else:
        lines = [f"# name: {reference.name}", f"# formula: {reference.formula}", f"# card: {reference.card}",
                 f"# cell: {a:.5f} {b:.5f} {c:.5f} {al:.4f} {be:.4f} {ga:.4f}",
                 f"# space_group: {reference.space_group}", f"# rir: {rir:.4f}", "d_angstrom, intensity, h, k, l"]
        lines += [f"{dd:.5f}, {i:.2f}, {h[0]}, {h[1]}, {h[2]}" for dd, i, h in zip(d, rel, hkl)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
