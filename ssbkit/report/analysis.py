"""Analysing a whole study: one report section per measurement, comparisons per series.

:func:`analyze` runs every measurement through its technique's registered
section builder. A measurement whose analysis fails does not stop the run:
its section carries the error and the rest goes on.
"""

from __future__ import annotations

import dataclasses
import tempfile
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from ssbkit.errors import MetadataError
from ssbkit.report.registry import (
    Section,
    SectionInput,
    comparison_builder,
    figure_prefix,
    section_spec,
)
from ssbkit.sample import Sample
from ssbkit.study import Measurement, Study

__all__ = ["MeasurementResult", "StudyResults", "analyze"]


@dataclass(frozen=True)
class MeasurementResult:
    """One measurement with its sample and its analysed section."""

    measurement: Measurement
    sample: Sample
    section: Section

    @property
    def failed(self) -> bool:
        """True when the analysis raised or no analysis exists for the technique."""
        return self.section.error is not None


def _failed(measurement: Measurement, detail: str) -> Section:
    return Section(technique=measurement.technique, title=measurement.label, error=detail, status="failed",
                   reasons=(detail,))


def _resolved_input(spec, study: Study, measurement: Measurement, figure_dir: Path, measured) -> SectionInput:
    sample = study.sample(measurement.sample_id)
    values, origins, problems = spec.problems(measurement.parameters, sample, measurement.paths, measured)
    if problems:
        raise MetadataError(f"measurement {measurement.label!r}: " + "; ".join(problems), problems=problems)
    return SectionInput(files=measurement.paths, parameters=values, sample=sample, label=measurement.label,
                        figure_dir=figure_dir, figure_prefix=figure_prefix(measurement.label), origins=origins)


def _finish(section: Section, spec, inp: SectionInput, caught) -> Section:
    """Add the parameters used with their origins, the warnings, and the status."""
    used, origins = {}, {}
    for param in spec.parameters:
        value = section.parameters.get(param.name)
        value = inp.parameters.get(param.name) if value is None else value
        if value is None:
            continue
        used[param.name] = value
        origins[param.name] = section.origins.get(param.name, inp.origins.get(param.name, "default"))
    extra = {k: v for k, v in section.parameters.items() if k not in used and v is not None}
    messages = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    warned = section.warnings + messages
    status = section.status if section.status != "ok" or not warned else "warning"
    reasons = section.reasons + tuple(m for m in messages if m not in section.reasons)
    return dataclasses.replace(section, parameters=used | extra, origins=origins | section.origins,
                               warnings=warned, status=status, reasons=reasons)


def _analyse_one(study: Study, measurement: Measurement, figure_dir: Path, measured=None) -> Section:
    spec = section_spec(measurement.technique)
    if spec is None:
        return _failed(measurement, f"no analysis is registered for technique {measurement.technique!r}")
    with warnings.catch_warnings(record=True) as caught:
        # what the analysis warns about belongs on its page; library deprecation notices do not
        warnings.simplefilter("always")
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", category)
        try:
            inp = _resolved_input(spec, study, measurement, figure_dir, measured)
            section = spec.build(inp)
        except Exception as exc:  # one failed analysis must not stop the report
            return _failed(measurement, traceback.format_exception_only(type(exc), exc)[-1].strip())
    return _finish(section, spec, inp, caught)


def _analysis_order(study: Study) -> list[Measurement]:
    """Measurements whose results other measurements' parameters use come first (e.g. EELS before DPC)."""
    providers = {param.from_measurement[0] for m in study.all_measurements
                 if (spec := section_spec(m.technique)) is not None
                 for param in spec.parameters if param.from_measurement}
    return sorted(study.all_measurements, key=lambda m: m.technique not in providers)


def _provided(measurement: Measurement, section: Section) -> dict:
    return {(measurement.technique, key): (value, measurement.label) for key, value in section.summary.items()
            if section.error is None and isinstance(value, (int, float)) and value == value}


@dataclass(frozen=True)
class StudyResults:
    """Every measurement of a study, analysed.

    Parameters
    ----------
    study : Study
        The study that was analysed.
    results : tuple of MeasurementResult
        In manifest order.
    figure_dir : Path
        Folder holding the figure files the sections name.
    """

    study: Study
    results: tuple[MeasurementResult, ...]
    figure_dir: Path

    def for_sample(self, sample_id: str) -> tuple[MeasurementResult, ...]:
        """The results of one sample."""
        return tuple(r for r in self.results if r.sample.id == sample_id)

    @property
    def failed(self) -> tuple[MeasurementResult, ...]:
        """The results whose analysis failed."""
        return tuple(r for r in self.results if r.failed)

    def compare(self, technique: str | None = None) -> tuple[tuple[tuple[Sample, ...], Section], ...]:
        """Comparison sections for every coating series of the study.

        Parameters
        ----------
        technique : str, optional
            Only this technique; all techniques with a comparison otherwise.

        Returns
        -------
        tuple of (series, Section)
            ``series`` is the tuple of samples compared (uncoated first).
        """
        out = []
        techniques = sorted({r.measurement.technique for r in self.results})
        if technique is not None:
            techniques = [t for t in techniques if t == technique]
        for series in self.study.coating_series():
            ids = [s.id for s in series]
            for name in techniques:
                builder = comparison_builder(name)
                if builder is None:
                    continue
                items = [
                    (r.sample, r.section)
                    for sid in ids
                    for r in self.for_sample(sid)
                    if r.measurement.technique == name and not r.failed
                ]
                if not items:
                    continue
                prefix = figure_prefix(f"compare-{name}-{ids[0]}")
                try:
                    section = builder(items, self.figure_dir, prefix)
                except Exception as exc:  # a failed comparison is shown, not fatal
                    detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
                    section = Section(technique=name, title=f"{name} comparison", error=detail, status="failed")
                if section is not None:
                    missing = self._missing_from(ids, name)
                    if missing:
                        section = dataclasses.replace(section, warnings=section.warnings + missing,
                                                      reasons=section.reasons + missing)
                    out.append((tuple(series), section))
        return tuple(out)

    def _missing_from(self, sample_ids, technique: str) -> tuple[str, ...]:
        """Why members of a series are absent from its ``technique`` comparison, one sentence each."""
        notes = []
        for sid in sample_ids:
            own = [r for r in self.for_sample(sid) if r.measurement.technique == technique]
            if not own:
                notes.append(f"{sid} is not compared: it has no {technique} measurement")
            elif all(r.failed for r in own):
                notes.append(f"{sid} is not compared: its {technique} analysis failed ({own[0].section.error})")
        return tuple(notes)

    def summary_table(self) -> pd.DataFrame:
        """One row per sample and measurement with the key numbers (units in column names)."""
        base = ["sample", "measurement", "technique", "status", "reasons", "error"]
        rows = []
        for r in self.results:
            row = {
                "sample": r.sample.id,
                "measurement": r.measurement.label,
                "technique": r.measurement.technique,
                "status": r.section.status,
                "reasons": " | ".join(r.section.reasons),
                "error": r.section.error or "",
            }
            row.update(r.section.summary)
            rows.append(row)
        return pd.DataFrame(rows, columns=None if rows else base)

    def _repr_html_(self) -> str:
        return self.summary_table().to_html(index=False, na_rep="")


def analyze(study: Study, *, figure_dir=None, progress: bool = True) -> StudyResults:
    """Analyse every measurement of ``study``.

    Parameters
    ----------
    study : Study
        A loaded study (:meth:`ssbkit.study.Study.load`).
    figure_dir : str or Path, optional
        Where figure files are written; a new temporary folder when omitted.
    progress : bool
        Show a progress bar.

    Returns
    -------
    StudyResults
    """
    figure_dir = Path(figure_dir) if figure_dir is not None else Path(tempfile.mkdtemp(prefix="ssbkit-"))
    figure_dir.mkdir(parents=True, exist_ok=True)
    sections: dict[int, Section] = {}
    measured: dict[str, dict] = {}  # per sample: {(technique, summary key): (value, label)}, first one wins
    for measurement in tqdm(_analysis_order(study), desc="analysing", disable=not progress, unit="meas"):
        own = measured.setdefault(measurement.sample_id, {})
        section = _analyse_one(study, measurement, figure_dir, own)
        sections[measurement.index] = section
        for key, value in _provided(measurement, section).items():
            own.setdefault(key, value)
    results = tuple(MeasurementResult(m, study.sample(m.sample_id), sections[m.index])
                    for m in study.all_measurements)
    return StudyResults(study=study, results=results, figure_dir=figure_dir)
