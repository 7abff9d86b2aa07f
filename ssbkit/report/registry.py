"""The registry through which techniques plug into the report.

A technique adds a module to :mod:`ssbkit.report.sections` that decorates one
function with :func:`register`. The function analyses one measurement of a
study and returns a :class:`Section`: a title, key numbers with units, figure
files written next to the report pages, the parameters used and a flat
summary for ``summary.csv``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from ssbkit.errors import MetadataError
from ssbkit.report.figures import companion_files, save_figure, style
from ssbkit.report.parameters import Param, check_parameters, coerce

__all__ = [
    "SectionSpec",
    "section_spec",
    "prepare_input",
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
    "safe_name",
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
        PNG file name relative to the report folder; an SVG and a CSV of the plotted data lie beside it.
    caption : str
        One-sentence caption.
    """

    filename: str
    caption: str

    @property
    def vector_filename(self) -> str:
        """The SVG written beside the PNG (:func:`ssbkit.report.figures.save_figure`)."""
        return companion_files(self.filename)[0]

    @property
    def data_filename(self) -> str:
        """The CSV of the plotted numbers written beside the PNG."""
        return companion_files(self.filename)[1]


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
    origins : Mapping, optional
        Where each parameter's value came from (``"manifest"``, ``"sample"``,
        ``"measurement …"``, ``"default"``). None means ``parameters`` is still
        the raw manifest table; :func:`prepare_input` then resolves it.
    """

    files: tuple[Path, ...]
    parameters: Mapping[str, Any]
    sample: Any
    label: str
    figure_dir: Path
    figure_prefix: str
    origins: Mapping[str, str] | None = None


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
    status : str
        ``"ok"``, ``"warning"`` (a result to read with care: see ``reasons``)
        or ``"failed"`` (set by the runner when ``error`` is set).
    reasons : tuple of str
        Why the status is not ``"ok"``, one sentence each.
    origins : dict
        Where each parameter in ``parameters`` came from (``"file"`` for values
        the section read from the file; the runner adds the others).
    headline : tuple of Quantity
        The one to three numbers of this measurement that the overview page
        lists for its sample (e.g. σ, first-cycle capacities, phases found).
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
    status: str = "ok"
    reasons: tuple[str, ...] = ()
    origins: dict = field(default_factory=dict)
    headline: tuple[Quantity, ...] = ()


def safe_name(text: str) -> str:
    """``text`` made safe for a file name, unique: when characters had to be replaced, a short hash
    of the original is appended, so ``"m/1"`` and ``"m_1"`` never share a file."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)
    if safe != text or not safe:
        safe += "-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return safe


def figure_prefix(label: str) -> str:
    """A file-name-safe prefix, unique per label, for the figures of the measurement ``label``."""
    return safe_name(label) + "-"


SectionBuilder = Callable[[SectionInput], Section]
#: ``func(items, figure_dir, figure_prefix) -> Section | None`` where ``items``
#: is a sequence of ``(sample, section)`` pairs, one per measurement, of one technique.
ComparisonBuilder = Callable[[Sequence[tuple[Any, Section]], Path, str], "Section | None"]


@dataclass(frozen=True)
class SectionSpec:
    """A technique's report section and what it declares about its input.

    Parameters
    ----------
    technique : str
        The manifest technique name.
    build : callable
        ``func(SectionInput) -> Section``.
    parameters : tuple of Param
        Every manifest parameter the section reads.
    min_files, max_files : int
        How many files a measurement lists (``max_files=None``: no limit).
    files_doc : str
        What the files are, for the parameter reference.
    check : callable, optional
        ``func(parameters, files) -> list[str]``: problems between parameters
        and files (e.g. one bias value per file), given typed parameters.
    probe : callable, optional
        ``func(files, parameters) -> None``: opens the files with the
        technique's readers and raises an ssbkit error when one cannot be
        analysed (used by ``ssbkit validate``).
    """

    technique: str
    build: SectionBuilder
    parameters: tuple[Param, ...] = ()
    min_files: int = 1
    max_files: int | None = 1
    files_doc: str = ""
    check: Callable[[Mapping[str, Any], tuple[Path, ...]], list[str]] | None = None
    probe: Callable[[tuple[Path, ...], Mapping[str, Any]], None] | None = None

    def files_text(self) -> str:
        """How many files and what they are, e.g. ``"2 file(s): [before, after] spectra"``."""
        low, high = self.min_files, self.max_files
        wanted = f"{low}" if low == high else (f"at least {low}" if high is None else f"{low} to {high}")
        return f"{wanted} file(s): {self.files_doc}"

    def file_count_problem(self, n: int) -> str | None:
        """A sentence when ``n`` files do not fit the declaration, else None."""
        if n >= self.min_files and (self.max_files is None or n <= self.max_files):
            return None
        return f"key 'file': {self.technique} needs {self.files_text()}; got {n}"

    def resolve(self, raw: Mapping[str, Any], sample, measured: Mapping[tuple[str, str], tuple[Any, str]] | None = None,
                *, pending: Sequence[str] = ()) -> tuple[dict, dict, list[str]]:
        """Typed values of every declared parameter, their origins, and the problems.

        Parameters
        ----------
        raw : Mapping
            The manifest's parameters table.
        sample : ssbkit.sample.Sample or None
            The measured sample (its model fills declared gaps).
        measured : Mapping, optional
            ``{(technique, summary_key): (value, label)}`` from measurements of
            the same sample already analysed.
        pending : sequence of str
            Techniques the same sample has measurements of that are not yet
            analysed (validation time): a parameter they will provide is not
            reported missing.

        Returns
        -------
        values, origins : dict
            One entry per declared parameter (None when nothing gives a value).
        problems : list of str
        """
        values, problems = check_parameters(self.parameters, raw)
        origins = {name: "manifest" for name in values}
        measured = measured or {}
        for param in self.parameters:
            if param.name in values:
                continue
            value, origin = None, "default"
            implied = param.from_sample(sample) if (param.from_sample and sample is not None) else None
            if implied is not None:
                try:
                    value, origin = coerce(param, implied), "sample"
                except ValueError as exc:
                    problems.append(f"parameter {param.name!r} from the sample ({param.sample_doc}): {exc}")
            elif param.from_measurement and param.from_measurement in measured:
                value, label = measured[param.from_measurement]
                origin = f"measurement {label} ({param.from_measurement[0]} {param.from_measurement[1]})"
            elif param.from_measurement and param.from_measurement[0] in pending:
                origin = f"measurement ({param.from_measurement[0]} of the same sample)"
            else:
                value = param.default
            if value is None and param.required and not origin.startswith("measurement"):
                ways = ["give it in [measurements.parameters]"]
                if param.from_sample is not None:
                    ways.append(f"in the sample ({param.sample_doc})")
                if param.from_measurement is not None:
                    ways.append(f"or add a measurement of technique {param.from_measurement[0]!r} on the same sample")
                unit = f" [{param.unit}]" if param.unit else ""
                problems.append(f"parameter {param.name!r}{unit} is required ({param.doc}): " + ", ".join(ways))
            values[param.name], origins[param.name] = value, origin
        return values, origins, problems

    def problems(self, raw: Mapping[str, Any], sample, files: tuple[Path, ...],
                 measured=None, *, pending: Sequence[str] = ()) -> tuple[dict, dict, list[str]]:
        """:meth:`resolve` plus the file-count and cross checks of the declaration."""
        values, origins, problems = self.resolve(raw, sample, measured, pending=pending)
        count = self.file_count_problem(len(files))
        if count:
            problems.insert(0, count)
        if self.check is not None and not problems:
            problems.extend(self.check(values, tuple(files)))
        return values, origins, problems


_SPECS: dict[str, SectionSpec] = {}
_COMPARISONS: dict[str, ComparisonBuilder] = {}
_LOADED = False


def register(technique: str, *, parameters: Sequence[Param] = (), files: tuple[int, int | None] = (1, 1),
             files_doc: str = "", check=None, probe=None) -> Callable[[SectionBuilder], SectionBuilder]:
    """Register ``func(SectionInput) -> Section`` as the builder of ``technique``.

    Parameters
    ----------
    technique : str
        The manifest's technique name.
    parameters : sequence of Param
        The parameters the section reads (its whole declaration).
    files : (int, int or None)
        Smallest and largest number of files of one measurement.
    files_doc : str
        What the files are.
    check, probe : callable, optional
        See :class:`SectionSpec`.

    Returns
    -------
    callable
        A decorator that records the function and returns it wrapped so that
        a :class:`SectionInput` with raw manifest parameters is resolved first
        (:func:`prepare_input`).

    Raises
    ------
    ValueError
        When ``technique`` is registered twice or a parameter is declared twice.
    """
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise ValueError(f"section {technique!r}: a parameter is declared twice in {names}")

    def decorator(func: SectionBuilder) -> SectionBuilder:
        known = _SPECS.get(technique)
        if known is not None and known.build.__module__ != func.__module__:
            raise ValueError(f"a section for technique {technique!r} is already registered by {known.build.__module__}")

        @functools.wraps(func)
        def build(inp: SectionInput) -> Section:
            with style():
                return func(prepare_input(_SPECS[technique], inp))

        _SPECS[technique] = SectionSpec(technique, build, tuple(parameters), files[0], files[1], files_doc,
                                        check, probe)
        return build

    return decorator


def _load_sections() -> None:
    global _LOADED
    if _LOADED:
        return
    from ssbkit.report import sections

    for info in pkgutil.iter_modules(sections.__path__):
        importlib.import_module(f"{sections.__name__}.{info.name}")
    _LOADED = True


def section_spec(technique: str) -> SectionSpec | None:
    """The declaration of ``technique``'s section, or None when there is none."""
    _load_sections()
    return _SPECS.get(technique)


def prepare_input(spec: SectionSpec, inp: SectionInput) -> SectionInput:
    """``inp`` with its raw manifest parameters resolved through ``spec``.

    Unchanged when ``inp.origins`` is already set.

    Raises
    ------
    ssbkit.errors.MetadataError
        Listing every parameter problem, each naming its manifest key.
    """
    if inp.origins is not None:
        return inp
    values, origins, problems = spec.problems(inp.parameters, inp.sample, inp.files)
    if problems:
        raise MetadataError(f"{spec.technique} measurement {inp.label!r}: " + "; ".join(problems),
                            problems=problems)
    return SectionInput(inp.files, values, inp.sample, inp.label, inp.figure_dir, inp.figure_prefix, origins)


def section_builder(technique: str) -> SectionBuilder | None:
    """The builder of ``technique`` (raw parameters are resolved first), or None."""
    spec = section_spec(technique)
    return None if spec is None else spec.build


def registered_techniques() -> tuple[str, ...]:
    """Names of all techniques that have a report section, sorted."""
    _load_sections()
    return tuple(sorted(_SPECS))


def register_comparison(technique: str) -> Callable[[ComparisonBuilder], ComparisonBuilder]:
    """Register the builder of the comparison-page section of ``technique``.

    The builder gets the successful sections of that technique for every
    sample that has one, as ``(sample, section)`` pairs, plus the report
    folder and a figure-name prefix, and returns a :class:`Section` (or None
    when there is nothing to compare, e.g. a single sample).
    """

    def decorator(func: ComparisonBuilder) -> ComparisonBuilder:
        @functools.wraps(func)
        def compare(items, figure_dir, prefix):
            with style():
                return func(items, Path(figure_dir), prefix)

        _COMPARISONS[technique] = compare
        return compare

    return decorator


def comparison_builder(technique: str) -> ComparisonBuilder | None:
    """The comparison builder registered for ``technique``, or None."""
    _load_sections()
    return _COMPARISONS.get(technique)
