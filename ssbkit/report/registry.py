"""The registry through which techniques plug into the report.

A technique adds a module to :mod:`ssbkit.report.sections` that decorates one
function with :func:`register`. The function analyses one measurement of a
study and returns a :class:`Section`: a title, key numbers with units, figure
files written next to the report pages, the parameters used and a flat
summary for ``summary.csv``.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

__all__ = [
    "Quantity",
    "Figure",
    "Table",
    "SectionInput",
    "Section",
    "register",
    "section_builder",
    "registered_techniques",
    "register_comparison",
    "comparison_builder",
    "figure_prefix",
    "save_figure",
]


@dataclass(frozen=True)
class Quantity:
    """One key number shown in a section.

    Parameters
    ----------
    name : str
        What it is, e.g. ``"ionic conductivity"``.
    value : float or str
        The value (a string for a verdict such as ``"unchanged"``).
    unit : str
        Its unit, ``""`` for dimensionless numbers.
    error : float, optional
        One standard uncertainty in the same unit.
    """

    name: str
    value: float | str
    unit: str = ""
    error: float | None = None


@dataclass(frozen=True)
class Figure:
    """A figure file written into the report folder.

    Parameters
    ----------
    filename : str
        File name relative to the report folder (PNG or SVG).
    caption : str
        One-sentence caption.
    """

    filename: str
    caption: str


@dataclass(frozen=True)
class Table:
    """A small table shown in a section (e.g. fitted circuit parameters).

    Parameters
    ----------
    caption : str
        What the table lists.
    columns : tuple of str
        Column headers, units in brackets.
    rows : tuple of tuple
        Cell values, one tuple per row.
    """

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class SectionInput:
    """Everything a section builder gets for one measurement.

    Parameters
    ----------
    files : tuple of Path
        The measurement's files, absolute, in manifest order.
    parameters : Mapping
        The measurement's ``[measurements.parameters]`` table, with keys
        filled from the sample model where the manifest did not give them
        (see :func:`ssbkit.study.Study.measurement_parameters`).
    sample : ssbkit.sample.Sample
        The sample the measurement belongs to.
    label : str
        The measurement's label (unique within the study).
    figure_dir : Path
        Folder in which to write figure files (the report folder).
    figure_prefix : str
        Prefix every figure file name with it so names never collide.
    """

    files: tuple[Path, ...]
    parameters: Mapping[str, Any]
    sample: Any
    label: str
    figure_dir: Path
    figure_prefix: str


@dataclass(frozen=True)
class Section:
    """One technique's part of a sample page.

    Parameters
    ----------
    technique : str
        The technique name, e.g. ``"eis"``.
    title : str
        Heading of the section.
    quantities : tuple of Quantity
        Key numbers with units and uncertainties.
    figures : tuple of Figure
        Figure files, relative to the report folder.
    tables : tuple of Table
        Optional tables.
    parameters : dict
        Analysis parameters actually used (JSON-safe values).
    summary : dict
        Flat, JSON-safe key numbers for ``summary.csv``; units in the keys.
    result : object, optional
        The analysis result object, for Python users and comparisons.
    error : str, optional
        Set when the analysis failed; the page then shows it instead.
    warnings : tuple of str
        Warnings the analysis raised (each once), shown above its results.
    """

    technique: str
    title: str
    quantities: tuple[Quantity, ...] = ()
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    parameters: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    result: Any = None
    error: str | None = None
    warnings: tuple[str, ...] = ()


def figure_prefix(label: str) -> str:
    """A file-name-safe prefix for the figures of the measurement ``label``."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in label) + "-"


def save_figure(fig, folder: Path, filename: str, *, dpi: int = 100) -> str:
    """Write the matplotlib figure ``fig`` to ``folder / filename``, close it, return ``filename``."""
    import matplotlib.pyplot as plt

    fig.savefig(Path(folder) / filename, dpi=dpi)
    plt.close(fig)
    return filename


SectionBuilder = Callable[[SectionInput], Section]
#: ``func(items, figure_dir, figure_prefix) -> Section | None`` where ``items``
#: is a sequence of ``(sample, section)`` pairs, one per sample, of one technique.
ComparisonBuilder = Callable[[Sequence[tuple[Any, Section]], Path, str], "Section | None"]
_BUILDERS: dict[str, SectionBuilder] = {}
_COMPARISONS: dict[str, ComparisonBuilder] = {}
_LOADED = False


def register(technique: str) -> Callable[[SectionBuilder], SectionBuilder]:
    """Register ``func(SectionInput) -> Section`` as the builder of ``technique``.

    Parameters
    ----------
    technique : str
        One of the manifest's technique names.

    Returns
    -------
    callable
        A decorator that records the function and returns it unchanged.
    """

    def decorator(func: SectionBuilder) -> SectionBuilder:
        _BUILDERS[technique] = func
        return func

    return decorator


def _load_sections() -> None:
    global _LOADED
    if _LOADED:
        return
    from ssbkit.report import sections

    for info in pkgutil.iter_modules(sections.__path__):
        importlib.import_module(f"{sections.__name__}.{info.name}")
    _LOADED = True


def section_builder(technique: str) -> SectionBuilder | None:
    """The builder registered for ``technique``, or None when there is none."""
    _load_sections()
    return _BUILDERS.get(technique)


def registered_techniques() -> tuple[str, ...]:
    """Names of all techniques that have a report section, sorted."""
    _load_sections()
    return tuple(sorted(_BUILDERS))


def register_comparison(technique: str) -> Callable[[ComparisonBuilder], ComparisonBuilder]:
    """Register the builder of the comparison-page section of ``technique``.

    The builder gets the successful sections of that technique for every
    sample that has one, as ``(sample, section)`` pairs, plus the report
    folder and a figure-name prefix, and returns a :class:`Section` (or None
    when there is nothing to compare, e.g. a single sample).
    """

    def decorator(func: ComparisonBuilder) -> ComparisonBuilder:
        _COMPARISONS[technique] = func
        return func

    return decorator


def comparison_builder(technique: str) -> ComparisonBuilder | None:
    """The comparison builder registered for ``technique``, or None."""
    _load_sections()
    return _COMPARISONS.get(technique)
