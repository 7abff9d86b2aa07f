"""Reference patterns simulated from crystal structures, cached on disk.

Stick patterns (2-theta, integrated intensity, hkl) come from pymatgen's
``XRDCalculator`` with ``scaled=False``, i.e. intensities per unit cell
(|F|^2 times multiplicity times the Lorentz-polarisation factor), which keeps
phases comparable for quantitative analysis (Ong et al., Comput. Mater. Sci. 68
(2013) 314, doi:10.1016/j.commatsci.2012.10.028). Profiles are added by
:mod:`xrd.profiles`.

Sources of structures: the built-ins shipped in ``xrd/structures`` (each CIF
cites its publication), any CIF file or folder of CIFs, pymatgen ``Structure``
objects, and the American Mineralogist Crystal Structure Database (AMCSD) that
the ``larixite`` package ships as SQLite (Downs & Hall-Wallace, Am. Mineral. 88
(2003) 247), addressed as ``"amcsd:<id>"``.

The cache folder is ``$SSBKIT_CACHE_DIR/xrd`` when that variable is set, else
``$XDG_CACHE_HOME/ssbkit/xrd`` or ``~/.cache/ssbkit/xrd``. It holds one file per
simulated reference and, for whole-database searches, one packed file with the sticks
of every AMCSD entry (:func:`database_references`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import json
import os
import re
import sqlite3
import tempfile
import zipfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ssbkit.errors import FormatError

__all__ = [
    "ReferencePattern",
    "bragg_d_spacing_angstrom",
    "builtin_references",
    "cache_dir",
    "check_candidate",
    "cif_folder",
    "database_candidates",
    "database_references",
    "load_structure",
    "monochromator_polarization",
    "reference_pattern",
]

_CACHE_VERSION = 2
_STRUCTURES = Path(__file__).with_name("structures")


@dataclass(frozen=True)
class ReferencePattern:
    """Diffraction sticks of one crystal structure at one wavelength.

    Parameters
    ----------
    name : str
        Label (built-in name, file stem or ``amcsd:<id>``).
    formula : str
        Reduced formula, e.g. ``"BaTiO3"``.
    space_group : str
        Hermann-Mauguin symbol found by spglib (``"?"`` for disordered structures it cannot analyse).
    card : str
        Powder-diffraction card number of the reference study, ``""`` when none.
    wavelength_angstrom : float
        Wavelength the sticks were computed for, in angstrom.
    two_theta_deg : ndarray, shape (m,)
        Peak positions in degrees 2-theta.
    intensity : ndarray, shape (m,)
        Integrated intensities per unit cell (pymatgen ``scaled=False``).
    hkl : ndarray of int, shape (m, 3)
        One representative Miller index per peak (3-index, in ``lattice`` axes).
    lattice : ndarray, shape (6,)
        a, b, c in angstrom and alpha, beta, gamma in degrees of the structure.
    volume_a3 : float
        Unit-cell volume in cubic angstrom.
    cell_mass_amu : float
        Mass of the unit-cell contents (Z times the formula mass) in atomic mass units.
    source : str
        Where the structure came from.
    kind : {'structure', 'card'}
        Simulated from a structure (intensities per unit cell, Hill-Howard fractions) or read from a
        stick-list card (relative intensities; fractions by the reference intensity ratio).
    rir : float
        Reference intensity ratio I/Ic of a card (NaN when the card gives none; unused for structures).
    """

    name: str
    formula: str
    space_group: str
    card: str
    wavelength_angstrom: float
    two_theta_deg: np.ndarray
    intensity: np.ndarray
    hkl: np.ndarray
    lattice: np.ndarray
    volume_a3: float
    cell_mass_amu: float
    source: str
    kind: str = "structure"
    rir: float = float("nan")

    @property
    def elements(self) -> frozenset[str]:
        """Chemical symbols in the formula (:func:`formula_elements`)."""
        return formula_elements(self.formula)

    def d_spacing_angstrom(self) -> np.ndarray:
        """Interplanar spacings of the sticks from Bragg's law, in angstrom (:func:`bragg_d_spacing_angstrom`)."""
        return bragg_d_spacing_angstrom(self.two_theta_deg, self.wavelength_angstrom)

    def summary(self) -> dict:
        """Flat description (no arrays)."""
        a, b, c, al, be, ga = (float(v) for v in self.lattice)
        return {"name": self.name, "formula": self.formula, "space_group": self.space_group, "card": self.card,
                "a_angstrom": a, "b_angstrom": b, "c_angstrom": c, "alpha_deg": al, "beta_deg": be,
                "gamma_deg": ga, "volume_a3": self.volume_a3, "n_peaks": int(self.two_theta_deg.size)}

    def plot(self, ax=None, *, n_labels: int = 8):
        """Stick plot with the strongest reflections labelled; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3))
        rel = 100 * self.intensity / self.intensity.max()
        ax.vlines(self.two_theta_deg, 0, rel, lw=1.2)
        for i in np.argsort(rel)[::-1][:n_labels]:
            ax.annotate("".join(str(v) for v in self.hkl[i]), (self.two_theta_deg[i], rel[i]), fontsize=7,
                        ha="center", va="bottom")
        ax.set_xlabel(r"2$\theta$ (deg)")
        ax.set_ylabel("relative intensity (%)")
        ax.set_title(f"{self.name}: {self.formula} {self.space_group} (λ = {self.wavelength_angstrom:.4f} Å)",
                     fontsize=9)
        return ax


def bragg_d_spacing_angstrom(two_theta_deg, wavelength_angstrom):
    """Interplanar spacings from diffraction angles by Bragg's law, d = λ / (2 sin θ).

    Parameters
    ----------
    two_theta_deg : array_like
        Angles 2θ in degrees (without zero shift).
    wavelength_angstrom : float or array_like
        Wavelength in angstrom, broadcast with ``two_theta_deg``.

    Returns
    -------
    ndarray
        d in angstrom.
    """
    return wavelength_angstrom / (2.0 * np.sin(np.radians(two_theta_deg) / 2.0))


def cache_dir() -> Path:
    """Folder of the on-disk reference cache (see the module docstring)."""
    override = os.environ.get("SSBKIT_CACHE_DIR")
    if override:
        return Path(override) / "xrd"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ssbkit" / "xrd"


@lru_cache(maxsize=1)
def _builtin_index() -> dict[str, dict]:
    return json.loads((_STRUCTURES / "index.json").read_text(encoding="utf-8"))


def builtin_references() -> dict[str, dict]:
    """The built-in reference structures.

    Returns
    -------
    dict
        ``name -> {"file", "formula", "space_group", "card", "source"}``; each
        file lies in ``xrd/structures`` and cites its publication.
    """
    return {name: dict(info) for name, info in _builtin_index().items()}


def _larixite():
    """The larixite package with its AMCSD module. Imported with the warning filters restored
    afterwards: larixite 2026.1 calls ``warnings.filterwarnings("ignore", category=UserWarning)`` at
    import (in cif_cluster), which would silence every UserWarning of the user's process."""
    try:
        with warnings.catch_warnings():
            import larixite
            import larixite.amcsd
    except ImportError as exc:  # pragma: no cover - exercised only without larixite
        raise ImportError("the AMCSD search needs the 'larixite' package (pip install larixite)") from exc
    return larixite


def _amcsd_path() -> Path:
    """The AMCSD database file shipped inside larixite, found without importing the package (its import takes
    most of a second; only simulating an entry outside the packed cache needs it, :func:`_amcsd_db`)."""
    spec = importlib.util.find_spec("larixite")
    if spec is None or spec.origin is None:
        _larixite()  # raises the ImportError that says what to install
    return Path(spec.origin).with_name("amcsd_cif1.db")


def _amcsd_connect() -> sqlite3.Connection:
    return sqlite3.connect(f"file:{_amcsd_path()}?mode=ro", uri=True)


def database_candidates(elements: Iterable[str] | None = None, *, require_all: bool = False,
                        max_candidates: int | None = None, ambient_only: bool = True) -> list[str]:
    """AMCSD entries made only of the given elements (every entry when ``elements`` is None).

    Parameters
    ----------
    elements : iterable of str, optional
        Chemical symbols allowed, e.g. ``["Ti", "Zn", "O"]``; None for the whole database (a
        search of all of it loads the packed cache of :func:`database_references`).
    require_all : bool
        When True, keep only entries containing every one of ``elements``.
    max_candidates : int, optional
        Keep at most this many (lowest AMCSD ids first).
    ambient_only : bool
        Leave out entries whose publication or compound note marks them as high-pressure
        (GPa, kbar) or as a model rather than a measurement ("mathematical model",
        "hypothetical", "theoretical"), and the low-temperature solids of substances that are
        gases or liquids at 25 degC (solid CO, CO2, O2, H2O, noble gases...): they are not phases
        found in a powder at ambient conditions.

    Returns
    -------
    list of str
        Candidate names ``"amcsd:<id>"`` usable by :func:`reference_pattern`.
    """
    excluded = _amcsd_non_ambient() if ambient_only else frozenset()
    if elements is None:
        ids = [i for i in _amcsd_elements() if i not in excluded]
    else:
        allowed = {e.strip().capitalize() for e in elements}
        if not allowed:
            raise ValueError("elements is empty; give at least one chemical symbol, or None for every entry")
        ids = [i for i, found in _amcsd_elements().items()
               if found <= allowed and (not require_all or found == allowed) and i not in excluded]
    if max_candidates is not None:
        ids = ids[:max_candidates]
    return [f"amcsd:{i}" for i in ids]


@lru_cache(maxsize=1)
def _amcsd_elements() -> dict[int, frozenset[str]]:
    """AMCSD id -> set of elements, for the entries the shipped database holds."""
    with _amcsd_connect() as connection:
        present = {row[0] for row in connection.execute("SELECT id FROM cif")}
        table: dict[int, set[str]] = {}
        for cif_id, element in connection.execute("SELECT cif_id, element FROM cif_elements"):
            cif_id = int(cif_id)
            if cif_id in present:
                table.setdefault(cif_id, set()).add(element.strip())
    return {i: frozenset(table[i]) for i in sorted(table)}


_NON_AMBIENT = ("gpa", "kbar", "mathematical model", "hypothetical", "theoretical")
# Elements and compounds that are gases or liquids at 25 degC and 1 atm (melting points below 25 degC;
# CRC Handbook of Chemistry and Physics, "Physical constants of inorganic compounds"): AMCSD holds their
# low-temperature solids (alpha-CO, dry ice, solid oxygen and xenon...), which cannot be present in a powder
# measured at room temperature. Elements count whatever the written stoichiometry (e.g. "O.25").
_FLUID_ELEMENTS = frozenset({"H", "N", "O", "F", "Cl", "Br", "Hg", "He", "Ne", "Ar", "Kr", "Xe", "Rn"})
_FLUID_COMPOUNDS = frozenset({
    "CO", "CO2", "NO", "NO2", "N2O", "SO2", "H2S", "HCl", "HF", "HBr", "NH3", "CH4", "H2O", "H2O2", "CS2", "CCl4",
    "N2H4",
})


# Every element of the fluids above, with deuterium and tritium (hydrogen to pymatgen: "O D2" is H2O); an entry
# with another symbol in its formula is not one of them
_FLUID_CANDIDATE_ELEMENTS = _FLUID_ELEMENTS | {"C", "S", "D", "T"}


@lru_cache(maxsize=1)
def _amcsd_non_ambient() -> frozenset[int]:
    """AMCSD ids that cannot be a phase of a powder at room temperature and pressure: the title or
    the compound note says high pressure or a model structure, or the substance is a gas or liquid
    at 25 degC (its entry is a low-temperature solid)."""
    from pymatgen.core import Composition

    with _amcsd_connect() as connection:
        rows = connection.execute("SELECT id, formula, compound, pub_title FROM cif").fetchall()
    excluded = set()
    for cif_id, formula, compound, title in rows:
        note = f"{title or ''} {compound or ''}".lower()
        if any(k in note for k in _NON_AMBIENT):
            excluded.add(int(cif_id))
            continue
        if not formula_elements(formula or "") <= _FLUID_CANDIDATE_ELEMENTS:
            continue  # an element no fluid holds: no need to parse the formula (thousands of them)
        try:
            composition = Composition((formula or "").replace(" ", ""))
        except ValueError:  # an unparsable formula is judged by its structure later, not here
            continue
        symbols = {el.symbol for el in composition.elements}
        if (len(symbols) == 1 and symbols <= _FLUID_ELEMENTS) or composition.reduced_formula in _FLUID_COMPOUNDS:
            excluded.add(int(cif_id))
    return frozenset(excluded)


@lru_cache(maxsize=1)
def _amcsd_db():
    return _larixite().amcsd.AMCSD(str(_amcsd_path()), read_only=True)


def _amcsd_cif_text(amcsd_id: int) -> str:
    entry = _amcsd_db().get_cif(amcsd_id)
    if entry is None:
        raise KeyError(f"no AMCSD entry {amcsd_id}")
    return entry.ciftext


def check_candidate(candidate) -> None:
    """Refuse a candidate that names nothing: a string or path must be a built-in name, an
    ``"amcsd:<id>"`` of the database, or an existing file.

    Raises
    ------
    ValueError
        Naming the candidate and the allowed forms (a mistyped name would otherwise be read as a
        missing file and the search would silently lose it).
    """
    from pymatgen.core import Structure

    if isinstance(candidate, (Structure, ReferencePattern)):
        return
    if not isinstance(candidate, (str, os.PathLike)):
        raise ValueError(f"candidate {candidate!r} ({type(candidate).__name__}) is not a built-in name, "
                         "'amcsd:<id>', a file path, a pymatgen Structure or a ReferencePattern")
    text = str(candidate)
    if text in _builtin_index():
        return
    if text.lower().startswith("amcsd:"):
        number = text.split(":", 1)[1].strip()
        if not number.isdigit():
            raise ValueError(f"candidate {text!r}: 'amcsd:' must be followed by an AMCSD id number, e.g. 'amcsd:9325'")
        if int(number) not in _amcsd_elements():
            raise ValueError(f"candidate {text!r}: no AMCSD entry {int(number)} in the shipped database")
        return
    if Path(text).is_file():
        return
    raise ValueError(f"candidate {text!r} is neither a built-in name ({', '.join(sorted(_builtin_index()))}), "
                     "an 'amcsd:<id>' nor an existing file (CIF or card)")


def cif_folder(folder) -> list[Path]:
    """All ``*.cif`` files in a folder (sorted), as candidates for :func:`identify_phases`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    return sorted(folder.glob("*.cif"))


def _parse_cif_text(text: str, source: str):
    from pymatgen.io.cif import CifParser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            structures = CifParser.from_str(text).parse_structures(primitive=False)
        except Exception as exc:  # noqa: BLE001 - pymatgen raises many kinds on bad CIFs
            raise FormatError(f"pymatgen cannot build a structure from this CIF ({exc})", path=source) from None
    if not structures:
        raise FormatError("the CIF holds no structure", path=source)
    return structures[0]


def load_structure(source):
    """A pymatgen ``Structure`` and its provenance from any supported source.

    Parameters
    ----------
    source : str, Path or pymatgen.core.Structure
        A built-in name (see :func:`builtin_references`), ``"amcsd:<id>"``,
        a CIF path, or a structure.

    Returns
    -------
    structure : pymatgen.core.Structure
    info : dict
        ``name``, ``card``, ``source`` and ``text`` (the text hashed for the cache).
    """
    from pymatgen.core import Structure

    if isinstance(source, Structure):
        return source, {"name": source.composition.reduced_formula, "card": "", "source": "Structure",
                        "text": json.dumps(source.as_dict(), sort_keys=True, default=str)}
    index = _builtin_index()
    if isinstance(source, str) and source in index:
        path = _STRUCTURES / index[source]["file"]
        text = path.read_text(encoding="utf-8")
        return _parse_cif_text(text, str(path)), {"name": source, "card": index[source].get("card", ""),
                                                  "source": f"built-in {index[source]['file']}", "text": text}
    if isinstance(source, str) and source.lower().startswith("amcsd:"):
        amcsd_id = int(source.split(":", 1)[1])
        text = _amcsd_cif_text(amcsd_id)
        return _parse_cif_text(text, source), {"name": f"amcsd:{amcsd_id}", "card": "", "source": source,
                                               "text": text}
    path = Path(source)
    if path.suffix.lower() == ".cif" or path.is_file():
        if not path.is_file():
            raise FileNotFoundError(f"no such CIF file: {path}")
        text = path.read_text(encoding="utf-8", errors="replace")
        return _parse_cif_text(text, str(path)), {"name": path.stem, "card": "", "source": str(path), "text": text}
    raise ValueError(f"source={source!r} is not a built-in name ({sorted(index)}), 'amcsd:<id>', a CIF path "
                     "or a pymatgen Structure")


def _three_index(hkl) -> tuple[int, int, int]:
    hkl = tuple(int(v) for v in hkl)
    return (hkl[0], hkl[1], hkl[3]) if len(hkl) == 4 else hkl


def _simulate(structure, info, wavelength_angstrom, two_theta_range, corrections=False, monochromator=None):
    from pymatgen.analysis.diffraction.xrd import XRDCalculator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pattern = XRDCalculator(wavelength=wavelength_angstrom).get_pattern(
            structure, scaled=False, two_theta_range=two_theta_range)
        try:
            space_group = structure.get_space_group_info(symprec=0.01)[0]
        except Exception:  # noqa: BLE001 - spglib refuses some disordered structures
            space_group = "?"
    hkl = np.array([_three_index(fam[0]["hkl"]) for fam in pattern.hkls], dtype=int).reshape(-1, 3)
    lat = structure.lattice
    intensity = np.asarray(pattern.y, dtype=float)
    if corrections:
        intensity = intensity * _dispersion_and_displacement(structure, info.get("text", ""), pattern,
                                                             wavelength_angstrom)
    if monochromator is not None:
        intensity = intensity * monochromator_polarization(np.asarray(pattern.x, dtype=float), monochromator)
    return {
        "two_theta_deg": np.asarray(pattern.x, dtype=float),
        "intensity": intensity,
        "hkl": hkl,
        "lattice": np.array([lat.a, lat.b, lat.c, lat.alpha, lat.beta, lat.gamma]),
        "meta": {"name": info["name"], "formula": structure.composition.reduced_formula, "space_group": space_group,
                 "card": info["card"], "source": info["source"], "volume_a3": float(lat.volume),
                 "cell_mass_amu": float(structure.composition.weight)},
    }


def _key(text: str, wavelength_angstrom: float, two_theta_range, model: str = "") -> str:
    payload = f"{_CACHE_VERSION}|{text}|{wavelength_angstrom:.6f}|{two_theta_range[0]:.3f}|{two_theta_range[1]:.3f}"
    payload += f"|{model}" if model else ""
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


@lru_cache(maxsize=None)
def formula_elements(formula: str) -> frozenset[str]:
    """The element symbols of a formula ("La(HO)3", "Li9.584Mn14.416O31.776", AMCSD's "O17 D34"): a capital
    letter and an optional lower-case one, amounts not parsed (cached; a whole-database search asks for
    thousands)."""
    return frozenset(re.findall(r"[A-Z][a-z]?", formula))


# An amount this close to a whole number is that number (a refined occupancy of 0.99998 printed into a formula)
_WHOLE_AMOUNT = 1e-3


@lru_cache(maxsize=None)
def _tidy_formula(formula: str) -> str:
    """The reduced formula with amounts within ``_WHOLE_AMOUNT`` of a whole number rounded to it: AMCSD 20312
    (LiMn2O4, oxygen occupancy 0.99999) is "LiMn2O4", not "Li8Mn16O31.99968". Formulas without such an amount
    are returned as they are (without parsing, for the thousands of a whole-database load)."""
    def whole(v):
        return round(v) >= 1 and abs(v - round(v)) < _WHOLE_AMOUNT

    if not any(whole(float(v)) for v in re.findall(r"\d+\.\d+", formula)):
        return formula
    from pymatgen.core import Composition

    tidy = {el: round(v) if whole(v) else v for el, v in Composition(formula).get_el_amt_dict().items()}
    return Composition(tidy).reduced_formula


def _from_arrays(data, wavelength_angstrom) -> ReferencePattern:
    meta = data["meta"]
    return ReferencePattern(
        meta["name"], _tidy_formula(meta["formula"]), meta["space_group"], meta["card"], float(wavelength_angstrom),
        data["two_theta_deg"], data["intensity"], data["hkl"], data["lattice"], meta["volume_a3"],
        meta["cell_mass_amu"], meta["source"])


def _cache_key_for(source) -> str:
    """Cache text of a source without parsing it when possible (built-ins, CIF files, AMCSD ids)."""
    from pymatgen.core import Structure

    if isinstance(source, Structure):
        return json.dumps(source.as_dict(), sort_keys=True, default=str)
    index = _builtin_index()
    if isinstance(source, str) and source in index:
        return "builtin:" + (_STRUCTURES / index[source]["file"]).read_text(encoding="utf-8") + source
    if isinstance(source, str) and source.lower().startswith("amcsd:"):
        return f"amcsd-v1:{int(source.split(':', 1)[1])}"
    path = Path(source)
    if path.is_file():
        return "file:" + path.read_text(encoding="utf-8", errors="replace")
    return ""


CARD_SUFFIXES = (".dif", ".jcpds", ".card")


def reference_pattern(source, *, wavelength_angstrom: float = 1.5406, two_theta_range=(10, 90),
                      use_cache: bool = True, intensity_corrections: bool = False,
                      monochromator_two_theta_deg: float | None = None) -> ReferencePattern:
    """Simulated stick pattern of a structure, from the disk cache when available.

    Parameters
    ----------
    source : str, Path or pymatgen.core.Structure
        Built-in name (:func:`builtin_references`), ``"amcsd:<id>"``, CIF path or structure.
    wavelength_angstrom : float
        Wavelength in angstrom (default Cu K-alpha1 1.5406).
    two_theta_range : (float, float)
        2-theta range in degrees.
    use_cache : bool
        Read and write the disk cache (:func:`cache_dir`).
    intensity_corrections : bool
        Intensities for quantitative analysis: anomalous dispersion (f' and f'' of Chantler at the
        wavelength) and isotropic displacement parameters from the CIF (see
        :func:`_dispersion_and_displacement`). pymatgen's default omits both, which puts a
        Zn-, Fe-, Co- or Ni-bearing phase several wt% low with Cu K-alpha.
    monochromator_two_theta_deg : float, optional
        Bragg angle 2-theta_M of a monochromator in the beam (26.6 deg for graphite 002 with Cu
        K-alpha): the polarisation factor becomes (1 + cos^2 2θ cos^2 2θ_M) / (1 + cos^2 2θ_M)
        instead of (1 + cos^2 2θ) / 2 (:func:`monochromator_polarization`).

    Returns
    -------
    ReferencePattern

    Examples
    --------
    >>> ref = reference_pattern("LiCoO2")  # doctest: +SKIP
    >>> round(float(ref.two_theta_deg[np.argmax(ref.intensity)]), 2)  # doctest: +SKIP
    18.92
    """
    if isinstance(source, (str, os.PathLike)) and Path(source).suffix.lower() in CARD_SUFFIXES:
        from xrd.cards import read_card

        return read_card(source, wavelength_angstrom=wavelength_angstrom, two_theta_range=two_theta_range)
    lo, hi = (float(v) for v in two_theta_range)
    if not 0 <= lo < hi <= 180:
        raise ValueError(f"two_theta_range={two_theta_range!r} must satisfy 0 <= min < max <= 180 (degrees)")
    if not 0.05 < wavelength_angstrom < 5:
        raise ValueError(f"wavelength_angstrom={wavelength_angstrom!r} is not a plausible X-ray wavelength")
    text = _cache_key_for(source)
    if monochromator_two_theta_deg is not None and not 0 <= monochromator_two_theta_deg < 90:
        raise ValueError(f"monochromator_two_theta_deg={monochromator_two_theta_deg!r} must be in [0, 90) degrees")
    model = (f"corrected-adp{_ADP_VERSION}" if intensity_corrections else "") + \
        (f"|mono{monochromator_two_theta_deg:.4f}" if monochromator_two_theta_deg is not None else "")
    path = None
    if use_cache and text:
        path = cache_dir() / f"{_key(text, wavelength_angstrom, (lo, hi), model)}.npz"
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as stored:
                    data = {k: stored[k] for k in ("two_theta_deg", "intensity", "hkl", "lattice")}
                    data["meta"] = json.loads(str(stored["meta"]))
                return _from_arrays(data, wavelength_angstrom)
            except (OSError, ValueError, KeyError):
                path.unlink(missing_ok=True)  # a broken cache entry of ours: recompute it
    failed = None if path is None else path.with_suffix(".failed")
    if failed is not None and failed.is_file():
        raise FormatError(failed.read_text(encoding="utf-8"), path=str(source))
    try:
        structure, info = load_structure(source)
    except FormatError as exc:
        if failed is not None:  # remember structures pymatgen cannot build, so a search does not retry them
            failed.parent.mkdir(parents=True, exist_ok=True)
            failed.write_text(str(exc), encoding="utf-8")
        raise
    data = _simulate(structure, info, wavelength_angstrom, (lo, hi), intensity_corrections,
                     monochromator_two_theta_deg)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, two_theta_deg=data["two_theta_deg"], intensity=data["intensity"], hkl=data["hkl"],
                 lattice=data["lattice"], meta=np.array(json.dumps(data["meta"])))
        os.replace(tmp, path)
    return _from_arrays(data, wavelength_angstrom)


def monochromator_polarization(two_theta_deg, monochromator_two_theta_deg: float) -> np.ndarray:
    """Polarisation correction for a monochromator, relative to pymatgen's unpolarised (1 + cos^2 2θ) / 2.

    P_M(2θ) = (1 + cos^2 2θ cos^2 2θ_M) / (1 + cos^2 2θ_M) for a monochromator whose diffraction
    plane is parallel to the sample's (Azároff, Acta Cryst. 8 (1955) 701,
    doi:10.1107/S0365110X55002168); the function returns P_M / [(1 + cos^2 2θ) / 2], which is
    1 for 2θ_M = 0.

    Parameters
    ----------
    two_theta_deg : array_like
        Diffraction angles, degrees.
    monochromator_two_theta_deg : float
        Bragg angle 2-theta of the monochromator crystal, degrees (26.6 for graphite 002 with Cu K-alpha).

    Returns
    -------
    ndarray
        Dimensionless factors.
    """
    c2 = np.cos(np.radians(np.asarray(two_theta_deg, dtype=float))) ** 2
    cm = np.cos(np.radians(monochromator_two_theta_deg)) ** 2
    return (1 + c2 * cm) / (1 + cm) * 2 / (1 + c2)


# Isotropic displacement parameter (angstrom^2) assumed for atoms whose CIF gives none: room-temperature B of
# ordered inorganic solids lie between about 0.2 and 1 A^2 (Willis & Pryor, Thermal Vibrations in
# Crystallography, Cambridge University Press 1975, ch. 7).
DEFAULT_B_ISO_A2 = 0.5
_HC_EV_ANGSTROM = 12398.419843320026  # h c in eV angstrom (CODATA 2018)


# Version of the displacement-parameter reading, part of the cache key of corrected intensities.
_ADP_VERSION = 2
# AMCSD entries whose "_atom_site_aniso_U_ij" values are the dimensionless β_ij of exp(-Σ β_ij h_i h_j), not
# U_ij in square angstrom. 5203, zincite at 293 K (Kihara & Donnay, Can. Mineral. 23 (1985) 647): read as U the
# values give Zn U11 = 0.0182 and U33 = 0.0054 A^2 (B = 1.10 A^2); read as β, U11 = β11 / (2 π^2 a*^2) = 0.0073
# and U33 = 0.0074 A^2 (B = 0.58 A^2), nearly isotropic as expected for wurtzite ZnO at room temperature. The β
# reading fits the round robin's pure zincite pattern better (Rwp 10.41 % against 11.68 %, same model otherwise)
# and lowers Rwp on every sample-1 mixture (1c, 94 wt% zincite: 10.31 % against 11.57 %).
_AMCSD_ANISO_AS_BETA = frozenset({5203})


def _cif_b_iso(text: str) -> dict[str, float]:
    """Mean isotropic B (angstrom^2) per element from a CIF's displacement parameters: B_iso, U_iso
    (B = 8 π^2 U) or the mean of U11, U22, U33 of the anisotropic block; labels are mapped to
    elements by their leading letters. For the AMCSD entries of ``_AMCSD_ANISO_AS_BETA`` the
    anisotropic values are β_ij, converted by U_ii = β_ii / (2 π^2 a*_i^2) (Trueblood et al.,
    Acta Cryst. A52 (1996) 770, doi:10.1107/S0108767396005697)."""
    import re

    from pymatgen.io.cif import CifParser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            block = next(iter(CifParser.from_str(text).as_dict().values()))
    except Exception:  # noqa: BLE001 - no displacement parameters then; defaults apply
        return {}

    def numbers(key):
        # CIF "." (inapplicable) and "?" (unknown) are no numbers: NaN, as any non-numeric entry
        return [float(re.sub(r"\(.*\)", "", v)) if re.match(r"^[-+]?(\d|\.\d)", v) else np.nan
                for v in block.get(key, [])]

    values: dict[str, list[float]] = {}
    labels = block.get("_atom_site_label", [])
    for key, factor in (("_atom_site_B_iso_or_equiv", 1.0), ("_atom_site_U_iso_or_equiv", 8 * np.pi ** 2)):
        for label, v in zip(labels, numbers(key)):
            if np.isfinite(v) and v > 0:
                values.setdefault(re.match(r"[A-Z][a-z]?", label).group(0), []).append(factor * v)
    if not values and "_atom_site_aniso_label" in block:
        diag = np.array([numbers(f"_atom_site_aniso_U_{k}") for k in ("11", "22", "33")])
        code = re.search(r"_database_code_amcsd\s+(\d+)", text)
        if code and int(code.group(1)) in _AMCSD_ANISO_AS_BETA:
            diag = diag / (2 * np.pi ** 2 * _reciprocal_lengths(block)[:, None] ** 2)
        for label, u in zip(block["_atom_site_aniso_label"], diag.T):
            if np.all(np.isfinite(u)) and np.all(u > 0):
                values.setdefault(re.match(r"[A-Z][a-z]?", label).group(0), []).append(8 * np.pi ** 2 * u.mean())
    return {el: float(np.mean(v)) for el, v in values.items()}


def _reciprocal_lengths(block) -> np.ndarray:
    """a*, b*, c* (1/angstrom) from a parsed CIF block's cell."""
    from pymatgen.core import Lattice

    cell = [float(str(block[f"_cell_{k}"]).split("(")[0]) for k in
            ("length_a", "length_b", "length_c", "angle_alpha", "angle_beta", "angle_gamma")]
    return np.array(Lattice.from_parameters(*cell).reciprocal_lattice_crystallographic.abc)


def _dispersion_and_displacement(structure, cif_text, pattern, wavelength_angstrom) -> np.ndarray:
    """Factor per reflection turning pymatgen's |F|^2 (neutral-atom f0, atoms at rest) into
    |F|^2 with f = (f0 + f' + i f'') exp(-B s^2), s = sin θ / λ.

    f' and f'' are Chantler's (J. Phys. Chem. Ref. Data 29 (2000) 597, doi:10.1063/1.1321055, via
    xraydb) at the photon energy of the wavelength; B per element from the CIF
    (:func:`_cif_b_iso`), else ``DEFAULT_B_ISO_A2``. Friedel mates are averaged (f'' breaks
    Friedel's law in non-centrosymmetric structures) and the families merged into one peak
    weighted by multiplicity. f0 is pymatgen's, so the factor is 1 without f', f'' and B.
    """
    import xraydb
    from pymatgen.analysis.diffraction.xrd import ATOMIC_SCATTERING_PARAMS

    energy = _HC_EV_ANGSTROM / wavelength_angstrom
    b_cif = _cif_b_iso(cif_text) if cif_text else {}
    groups: dict[str, list] = {}
    for site in structure:
        for species, occupancy in site.species.items():
            groups.setdefault(species.symbol, []).append((site.frac_coords, occupancy))
    table = {}
    for symbol, sites in groups.items():
        from pymatgen.core import Element

        coords = np.array([c for c, _ in sites])
        occupancy = np.array([o for _, o in sites])
        table[symbol] = (Element(symbol).Z, np.asarray(ATOMIC_SCATTERING_PARAMS[symbol]), coords, occupancy,
                         float(xraydb.f1_chantler(symbol, energy)), float(xraydb.f2_chantler(symbol, energy)),
                         b_cif.get(symbol, DEFAULT_B_ISO_A2))
    factors = np.ones(len(pattern.x))
    for i, (two_theta, families) in enumerate(zip(pattern.x, pattern.hkls)):
        s2 = (np.sin(np.radians(two_theta / 2)) / wavelength_angstrom) ** 2
        ideal = corrected = 0.0
        for family in families:
            h = np.array(_three_index(family["hkl"]), dtype=float)
            f_ideal = f_plus = f_minus = 0j
            for z, coeff, coords, occupancy, f1, f2, b_iso in table.values():
                f0 = z - 41.78214 * s2 * np.sum(coeff[:, 0] * np.exp(-coeff[:, 1] * s2))
                phase = occupancy @ np.exp(2j * np.pi * coords @ h)
                f = (f0 + f1 + 1j * f2) * np.exp(-b_iso * s2)
                f_ideal += f0 * phase
                f_plus += f * phase
                f_minus += f * np.conj(phase)
            m = family["multiplicity"]
            ideal += m * abs(f_ideal) ** 2
            corrected += m * 0.5 * (abs(f_plus) ** 2 + abs(f_minus) ** 2)
        factors[i] = corrected / ideal if ideal > 0 else 1.0
    return factors


# --------------------------------------------------------------------------------------------------------------------
# The whole AMCSD as one packed file: the sticks of every entry computed once, loaded in one read.

_PACK_VERSION = 1
#: a search naming at least this many AMCSD entries builds the packed database cache when it is missing
#: (the per-entry cache would read as many files at every search); smaller searches use the packed cache
#: only when it exists already
PACK_MIN_CANDIDATES = 1000


@lru_cache(maxsize=1)
def _amcsd_file_hash() -> str:
    return hashlib.sha256(_amcsd_path().read_bytes()).hexdigest()[:16]


def _pack_upper_deg(two_theta_hi: float) -> float:
    """Upper 2-theta of the packed sticks: the pattern's upper limit rounded up to 15 degrees, so that
    patterns of similar ranges share one packed file (the sticks are cut to each pattern's range)."""
    return float(min(180.0, 15.0 * math.ceil(two_theta_hi / 15.0 - 1e-9)))


def _pack_path(wavelength_angstrom: float, upper_deg: float) -> Path:
    from importlib.metadata import version

    payload = (f"{_PACK_VERSION}|{_CACHE_VERSION}|pymatgen {version('pymatgen')}|{_amcsd_file_hash()}|"
               f"{wavelength_angstrom:.6f}|{upper_deg:.1f}")
    return cache_dir() / f"amcsd-pack-{hashlib.sha256(payload.encode()).hexdigest()[:24]}.npz"


def _pack_one(job):
    """Worker: the sticks of one AMCSD entry from 0 to ``upper`` degrees, or the reason it fails."""
    amcsd_id, wavelength_angstrom, upper = job
    try:
        structure, info = load_structure(f"amcsd:{amcsd_id}")
        return amcsd_id, _simulate(structure, info, wavelength_angstrom, (0.0, upper))
    except Exception as exc:  # noqa: BLE001 - a CIF pymatgen cannot build is recorded as failed, not fatal
        return amcsd_id, f"{type(exc).__name__}: {str(exc)[:160]}"


def _write_pack(path: Path, ids, wavelength_angstrom: float, upper_deg: float, *, workers=None,
                progress: bool = False) -> None:
    """Simulate ``ids`` and write them as one packed file (a temporary file renamed into place, so a
    concurrent reader sees either no file or a whole one, and two writers the same content)."""
    jobs = [(int(i), float(wavelength_angstrom), float(upper_deg)) for i in ids]
    workers = max(1, min(os.cpu_count() or 1, 8) if workers is None else int(workers))
    if workers > 1 and len(jobs) > 50:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(workers)
        results = pool.map(_pack_one, jobs, chunksize=32)
    else:
        pool, results = None, map(_pack_one, jobs)
    if progress:
        from tqdm.auto import tqdm

        results = tqdm(results, total=len(jobs), desc="AMCSD sticks", leave=False)
    try:
        done = list(results)
    finally:
        if pool is not None:
            pool.shutdown()
    good = [(i, d) for i, d in done if isinstance(d, dict)]
    failed = [(i, d) for i, d in done if not isinstance(d, dict)]
    counts = np.array([d["two_theta_deg"].size for _, d in good], dtype=np.int64)
    empty2, empty3 = np.zeros(0), np.zeros((0, 3), dtype=np.int32)
    arrays = {
        "ids": np.array([i for i, _ in good], dtype=np.int64),
        "offsets": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "two_theta_deg": np.concatenate([d["two_theta_deg"] for _, d in good] or [empty2]),
        "intensity": np.concatenate([d["intensity"] for _, d in good] or [empty2]),
        "hkl": np.concatenate([d["hkl"] for _, d in good] or [empty3]).astype(np.int32),
        "lattice": np.array([d["lattice"] for _, d in good]).reshape(-1, 6),
        "volume_a3": np.array([d["meta"]["volume_a3"] for _, d in good]),
        "cell_mass_amu": np.array([d["meta"]["cell_mass_amu"] for _, d in good]),
        "meta": np.array(json.dumps({"formula": [d["meta"]["formula"] for _, d in good],
                                     "space_group": [d["meta"]["space_group"] for _, d in good],
                                     "failed": {str(i): msg for i, msg in failed}})),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{path.stem}.", suffix=".tmp.npz")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


@dataclass(frozen=True)
class _Pack:
    ids: np.ndarray
    offsets: np.ndarray
    two_theta_deg: np.ndarray
    intensity: np.ndarray
    hkl: np.ndarray
    lattice: np.ndarray
    volume_a3: np.ndarray
    cell_mass_amu: np.ndarray
    formula: list
    space_group: list
    failed: dict
    wavelength_angstrom: float

    def position(self) -> dict[int, int]:
        return {int(i): k for k, i in enumerate(self.ids)}


_PACKS: dict[Path, _Pack] = {}


def _read_pack(path: Path, wavelength_angstrom: float) -> _Pack | None:
    if path in _PACKS:
        return _PACKS[path]
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {k: stored[k] for k in ("ids", "offsets", "two_theta_deg", "intensity", "hkl", "lattice",
                                             "volume_a3", "cell_mass_amu")}
            meta = json.loads(str(stored["meta"]))
        pack = _Pack(**arrays, formula=meta["formula"], space_group=meta["space_group"],
                     failed={int(k): v for k, v in meta["failed"].items()},
                     wavelength_angstrom=float(wavelength_angstrom))
        if pack.offsets.size != pack.ids.size + 1 or pack.offsets[-1] != pack.two_theta_deg.size:
            raise ValueError("inconsistent packed cache")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        path.unlink(missing_ok=True)  # a broken cache file of ours: rebuilt by the caller
        return None
    _PACKS.clear()  # keep one pack in memory (a few tens of MB)
    _PACKS[path] = pack
    return pack


def database_references(ids=None, *, wavelength_angstrom: float = 1.5406, two_theta_range=(10, 90),
                        build: bool = True, workers: int | None = None, progress: bool = False):
    """Reference patterns of many AMCSD entries from one packed cache file.

    The sticks of every entry of the shipped AMCSD database are simulated once (pymatgen, as
    :func:`reference_pattern`, from 0 degrees to the range's upper limit rounded up to 15 degrees)
    and stored in one file of the cache folder, keyed by the database file's hash, the code's
    cache version, the pymatgen version and the wavelength; later searches load it in one read
    (tens of milliseconds for the whole database) instead of one file per entry.

    Parameters
    ----------
    ids : iterable of int or str, optional
        AMCSD ids (``9325`` or ``"amcsd:9325"``); default every entry of the database.
    wavelength_angstrom : float
        Wavelength in angstrom.
    two_theta_range : (float, float)
        2-theta range (degrees) the sticks are cut to.
    build : bool
        Build the packed file when it is missing (minutes for the whole database: about 0.1 s
        per entry and worker); with False, return None instead.
    workers : int, optional
        Processes that simulate the entries when building (default: the CPU count, at most 8).
        Call from a script under ``if __name__ == "__main__":`` when more than one.
    progress : bool
        Show a progress bar while building.

    Returns
    -------
    references : list of ReferencePattern
        In the order of ``ids``, without the entries pymatgen cannot build.
    failed : list of str
        ``"amcsd:<id>: <reason>"`` for those.
    Or None when the packed file is missing and ``build`` is False.

    Examples
    --------
    >>> refs, failed = database_references([9325, 5203], two_theta_range=(10, 80))  # doctest: +SKIP
    >>> refs[0].formula  # doctest: +SKIP
    'Al2O3'
    """
    lo, hi = (float(v) for v in two_theta_range)
    if not 0 <= lo < hi <= 180:
        raise ValueError(f"two_theta_range={two_theta_range!r} must satisfy 0 <= min < max <= 180 (degrees)")
    if not 0.05 < wavelength_angstrom < 5:
        raise ValueError(f"wavelength_angstrom={wavelength_angstrom!r} is not a plausible X-ray wavelength")
    known = _amcsd_elements()
    wanted = list(known) if ids is None else [_amcsd_number(i) for i in ids]
    missing = [i for i in wanted if i not in known]
    if missing:
        raise ValueError(f"ids: no AMCSD entry {missing[0]} in the shipped database")
    upper = _pack_upper_deg(hi)
    path = _pack_path(wavelength_angstrom, upper)
    pack = _read_pack(path, wavelength_angstrom)
    if pack is None:
        if not build:
            return None
        _write_pack(path, list(known), wavelength_angstrom, upper, workers=workers, progress=progress)
        pack = _read_pack(path, wavelength_angstrom)
        if pack is None:  # pragma: no cover - written a moment ago
            raise OSError(f"the packed AMCSD cache {path} could not be read back")
    return _pack_references(pack, wanted, lo, hi)


def _amcsd_number(value) -> int:
    text = str(value)
    number = text.split(":", 1)[1] if text.lower().startswith("amcsd:") else text
    if not number.strip().isdigit():
        raise ValueError(f"ids: {value!r} is not an AMCSD id (e.g. 9325 or 'amcsd:9325')")
    return int(number)


def _pack_references(pack: _Pack, wanted, lo: float, hi: float):
    """ReferencePatterns of the wanted ids, their sticks cut to [lo, hi] degrees (views of the pack)."""
    keep = (pack.two_theta_deg >= lo) & (pack.two_theta_deg <= hi)
    offsets = np.concatenate([[0], np.cumsum(keep)])[pack.offsets]
    index = np.flatnonzero(keep)  # take() on indices: boolean indexing of the (n, 3) hkl array is ten times slower
    x, y, hkl = pack.two_theta_deg.take(index), pack.intensity.take(index), pack.hkl.take(index, axis=0)
    where = pack.position()
    # plain Python numbers and row views made once: this loop runs for every entry of a whole-database search
    offsets, volume, mass, lattice = offsets.tolist(), pack.volume_a3.tolist(), pack.cell_mass_amu.tolist(), \
        list(pack.lattice)
    refs, failed = [], []
    for amcsd_id in wanted:
        k = where.get(amcsd_id)
        if k is None:
            failed.append(f"amcsd:{amcsd_id}: {pack.failed.get(amcsd_id, 'not in the packed cache')}")
            continue
        a, b = offsets[k], offsets[k + 1]
        name = f"amcsd:{amcsd_id}"
        refs.append(ReferencePattern(name, _tidy_formula(pack.formula[k]), pack.space_group[k], "",
                                     pack.wavelength_angstrom,
                                     x[a:b], y[a:b], hkl[a:b], lattice[k], volume[k], mass[k], name))
    return refs, failed
