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

from ssbkit.report.registry import (
    Section,
    SectionInput,
    comparison_builder,
    figure_prefix,
    section_builder,
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


def _analyse_one(study: Study, measurement: Measurement, figure_dir: Path) -> Section:
    builder = section_builder(measurement.technique)
    if builder is None:
        return Section(
            technique=measurement.technique,
            title=measurement.label,
            error=f"no analysis is registered for technique {measurement.technique!r}",
        )
    inp = SectionInput(
        files=measurement.paths,
        parameters=study.measurement_parameters(measurement),
        sample=study.sample(measurement.sample_id),
        label=measurement.label,
        figure_dir=figure_dir,
        figure_prefix=figure_prefix(measurement.label),
    )
    with warnings.catch_warnings(record=True) as caught:
        # what the analysis warns about belongs on its page; library deprecation notices do not
        warnings.simplefilter("always")
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", category)
        try:
            section = builder(inp)
        except Exception as exc:  # one failed analysis must not stop the report
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            section = Section(technique=measurement.technique, title=measurement.label, error=detail)
    messages = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return dataclasses.replace(section, warnings=section.warnings + messages) if messages else section


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
                    section = Section(technique=name, title=f"{name} comparison", error=detail)
                if section is not None:
                    out.append((tuple(series), section))
        return tuple(out)

    def summary_table(self) -> pd.DataFrame:
        """One row per sample and measurement with the key numbers (units in column names)."""
        base = ["sample", "measurement", "technique", "status", "error"]
        rows = []
        for r in self.results:
            row = {
                "sample": r.sample.id,
                "measurement": r.measurement.label,
                "technique": r.measurement.technique,
                "status": "failed" if r.failed else "ok",
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
    results = []
    for measurement in tqdm(study.all_measurements, desc="analysing", disable=not progress, unit="meas"):
        section = _analyse_one(study, measurement, figure_dir)
        results.append(MeasurementResult(measurement, study.sample(measurement.sample_id), section))
    return StudyResults(study=study, results=tuple(results), figure_dir=figure_dir)
