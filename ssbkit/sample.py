"""The sample-metadata model shared by every part of a study.

A :class:`Sample` describes what was measured: the cathode, an optional
coating, the electrolyte, the anode and the cell or pellet geometry. It is
validated on construction (formulas through pymatgen's ``Composition``,
amounts finite and non-negative, units and cell kinds from fixed sets) and
round-trips through plain dicts, JSON and TOML. Validation is done with
pydantic; every failure is re-raised as :class:`ssbkit.errors.MetadataError`
naming the sample and the key.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any, Literal, Optional

import tomli_w
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ssbkit.errors import MetadataError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "COATING_UNITS",
    "CELL_KINDS",
    "Cathode",
    "Coating",
    "Electrolyte",
    "Anode",
    "Cell",
    "Sample",
    "check_formula",
]

COATING_UNITS = ("at%", "wt%", "nm")
CELL_KINDS = ("coin", "assb-pellet", "in-situ-tem-lamella", "symmetric-pellet")


def check_formula(formula: str) -> str:
    """Check that ``formula`` is a chemical formula pymatgen understands.

    Alloys and composites written with hyphens (``"In-Li"``) are accepted
    when every part is a formula.

    Parameters
    ----------
    formula : str
        E.g. ``"LiCoO2"``, ``"Li6PS5Cl"``, ``"In-Li"``.

    Returns
    -------
    str
        The formula, stripped of surrounding white space.

    Raises
    ------
    ValueError
        When a part is not a formula.
    """
    from pymatgen.core import Composition, Element

    text = formula.strip()
    if not text:
        raise ValueError("empty formula")
    for part in text.split("-"):
        try:
            comp = Composition(part)
        except Exception as exc:  # pymatgen raises several types here
            raise ValueError(f"{part!r} is not a chemical formula ({exc})") from None
        if comp.num_atoms <= 0:
            raise ValueError(f"{part!r} is not a chemical formula")
        unknown = [str(el) for el in comp.elements if not isinstance(el, Element)]
        if unknown:
            raise ValueError(f"{part!r} contains unknown element(s) {', '.join(unknown)}")
    return text


def _finite_nonnegative(value: float | None) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"must be finite and >= 0, got {value!r}")
    return value


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Cathode(_Part):
    """The positive electrode.

    Parameters
    ----------
    material : str
        Active material formula, e.g. ``"LiCoO2"``.
    active_mass_mg : float, optional
        Mass of active material in the cell, mg.
    loading_mg_cm2 : float, optional
        Areal loading of active material, mg/cm².
    """

    material: str
    active_mass_mg: Optional[float] = None
    loading_mg_cm2: Optional[float] = None

    _formula = field_validator("material")(check_formula)
    _amounts = field_validator("active_mass_mg", "loading_mg_cm2")(_finite_nonnegative)


class Coating(_Part):
    """A coating on the cathode particles.

    Parameters
    ----------
    material : str
        Coating formula, e.g. ``"BaTiO3"``.
    amount : float
        Amount of coating in ``unit``.
    unit : {"at%", "wt%", "nm"}
        Unit of ``amount``.
    method : str, optional
        How it was applied, e.g. ``"sol-gel"``.
    """

    material: str
    amount: float
    unit: Literal["at%", "wt%", "nm"]
    method: Optional[str] = None

    _formula = field_validator("material")(check_formula)
    _amounts = field_validator("amount")(_finite_nonnegative)


class Electrolyte(_Part):
    """The (solid) electrolyte.

    Parameters
    ----------
    material : str
        Formula, e.g. ``"Li6PS5Cl"``.
    """

    material: str

    _formula = field_validator("material")(check_formula)


class Anode(_Part):
    """The negative electrode.

    Parameters
    ----------
    material : str
        Formula or hyphenated alloy, e.g. ``"In-Li"``.
    """

    material: str

    _formula = field_validator("material")(check_formula)


class Cell(_Part):
    """Cell or pellet geometry.

    Parameters
    ----------
    kind : {"coin", "assb-pellet", "in-situ-tem-lamella", "symmetric-pellet"}
        What kind of cell.
    area_cm2 : float, optional
        Electrode area, cm².
    thickness_cm : float, optional
        Pellet (electrolyte) thickness, cm.
    diameter_cm : float, optional
        Pellet diameter, cm.
    """

    kind: Literal["coin", "assb-pellet", "in-situ-tem-lamella", "symmetric-pellet"]
    area_cm2: Optional[float] = None
    thickness_cm: Optional[float] = None
    diameter_cm: Optional[float] = None

    _amounts = field_validator("area_cm2", "thickness_cm", "diameter_cm")(_finite_nonnegative)

    @property
    def electrode_area_cm2(self) -> float | None:
        """The electrode area in cm²: ``area_cm2``, else π d²/4 from the diameter."""
        if self.area_cm2 is not None:
            return self.area_cm2
        if self.diameter_cm is not None:
            return math.pi * self.diameter_cm * self.diameter_cm / 4.0  # inf, not OverflowError, for 1e308
        return None


class _SampleModel(_Part):
    id: str
    label: Optional[str] = None
    cathode: Optional[Cathode] = None
    coating: Optional[Coating] = None
    electrolyte: Optional[Electrolyte] = None
    anode: Optional[Anode] = None
    cell: Optional[Cell] = None
    tags: tuple[str, ...] = ()
    notes: str = ""

    @field_validator("id")
    @classmethod
    def _id_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("sample id must not be blank")
        return value


def _describe(error: ValidationError, sample_id: str) -> list[str]:
    problems = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "<sample>"
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"sample {sample_id!r}: key {key!r}: {message}")
    return problems


class Sample(_SampleModel):
    """One sample of a study, validated on construction.

    Parameters
    ----------
    id : str
        Unique identifier within a study, e.g. ``"BTO5-LCO"``.
    label : str, optional
        Human-readable name.
    cathode, coating, electrolyte, anode, cell : optional
        The structured parts (:class:`Cathode`, :class:`Coating`,
        :class:`Electrolyte`, :class:`Anode`, :class:`Cell`); a mapping is
        accepted for each.
    tags : tuple of str
        Free tags.
    notes : str
        Free text.

    Raises
    ------
    ssbkit.errors.MetadataError
        Naming the sample and every key that is wrong.

    Examples
    --------
    >>> s = Sample(id="BTO5-LCO", cathode={"material": "LiCoO2"},
    ...            coating={"material": "BaTiO3", "amount": 5, "unit": "at%"})
    >>> s.coating.amount
    5.0
    >>> Sample.from_dict(s.to_dict()) == s
    True
    """

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            problems = _describe(exc, str(data.get("id", "<no id>")))
            raise MetadataError("; ".join(problems), problems=problems) from None

    @classmethod
    def from_dict(cls, data: dict) -> "Sample":
        """Build a sample from a plain dict (the manifest's ``[[samples]]`` table)."""
        if not isinstance(data, dict):
            raise MetadataError(f"a sample must be a table, got {type(data).__name__}")
        return cls(**data)

    def to_dict(self) -> dict:
        """The sample as a plain dict with no ``None`` entries (TOML-safe)."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self) -> str:
        """The sample as a JSON string."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Sample":
        """Build a sample from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))

    def to_toml(self) -> str:
        """The sample as a TOML document (one table per part)."""
        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_toml(cls, text: str) -> "Sample":
        """Build a sample from :meth:`to_toml` output."""
        try:
            return cls.from_dict(tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise MetadataError(f"sample TOML does not parse: {exc}") from None

    @property
    def display_name(self) -> str:
        """The label when given, else the id."""
        return self.label or self.id

    def without_coating(self) -> dict:
        """The sample's description with id, label, coating, tags and notes removed.

        Two samples with equal ``without_coating()`` differ only in their
        coating and so belong to one coating series.
        """
        data = self.to_dict()
        for key in ("id", "label", "coating", "tags", "notes"):
            data.pop(key, None)
        return data

    @property
    def coating_amount(self) -> float:
        """Coating amount (0 for an uncoated sample), in the coating's unit."""
        return 0.0 if self.coating is None else self.coating.amount
