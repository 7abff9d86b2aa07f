"""Analysing a whole study: one report section per measurement, comparisons per series.

:func:`analyze` runs every measurement through its technique's registered
section builder. A measurement whose analysis fails does not stop the run:
its section carries the error and the rest goes on.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from ssbkit.report.execution import failed_section, run_measurements
from ssbkit.report.folder import CACHE_FOLDER
from ssbkit.report.registry import Section, comparison_builder, figure_prefix
from ssbkit.report.results_table import add_summary
from ssbkit.sample import Sample
from ssbkit.study import Measurement, Study

__all__ = ["MeasurementResult", "StudyResults", "analyze"]


@dataclass(frozen=True)
class MeasurementResult:
    """One measurement with its sample and its analysed section.

    Parameters
    ----------
    measurement : Measurement
    sample : Sample
    section : Section
    log : str
        Where and how long the analysis ran, its warnings and, for a failure, the traceback.
    seconds : float
        Wall time of the analysis, s (of the run that computed it when ``cached``).
    cached : bool
        True when the section was restored from the result cache.
    """

    measurement: Measurement
    sample: Sample
    section: Section
    log: str = ""
    seconds: float = math.nan
    cached: bool = False

    @property
    def failed(self) -> bool:
        """True when the analysis raised or no analysis exists for the technique."""
        return self.section.error is not None


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
                members = [r for sid in ids for r in self.for_sample(sid)
                           if r.measurement.technique == name and not r.failed]
                if not members:
                    continue
                items = [(r.sample, r.section) for r in members]
                prefix = figure_prefix(f"compare-{name}-{ids[0]}")
                try:
                    section = builder(items, self.figure_dir, prefix)
                except Exception as exc:  # a failed comparison is shown, not fatal
                    detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
                    section = failed_section(name, f"{name} comparison", detail)
                if section is not None:
                    missing = self._missing_from(ids, name)
                    flagged = _member_warnings(members)
                    if missing or flagged:
                        status = "failed" if section.status == "failed" else "warning"
                        section = dataclasses.replace(section, warnings=section.warnings + missing,
                                                      reasons=section.reasons + missing + flagged, status=status)
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
            rows.append(add_summary(row, r.section.summary))
        return pd.DataFrame(rows, columns=None if rows else base)

    def _repr_html_(self) -> str:
        return self.summary_table().to_html(index=False, na_rep="")


def _member_warnings(members) -> tuple[str, ...]:
    """One reason per compared measurement whose own section carries a warning: a comparison is no surer
    than what it compares."""
    out = []
    for r in members:
        if r.section.status != "warning":
            continue
        first = r.section.reasons[0] if r.section.reasons else "see its section"
        more = f" (and {len(r.section.reasons) - 1} more reason(s) on its page)" if len(r.section.reasons) > 1 else ""
        out.append(f"{r.measurement.label} ({r.sample.id}) carries a warning: {first}{more}")
    return tuple(out)


def analyze(study: Study, *, figure_dir=None, progress: bool = True, workers: int | None = None,
            client=None, cache=None) -> StudyResults:
    """Analyse every measurement of ``study``.

    Serial, ``workers=N`` and ``client=`` give the same sections in manifest
    order: every mode runs each measurement through the same function
    (:func:`ssbkit.report.execution.run_task`), and a measurement whose
    parameters come from another measurement's result (a DPC thickness from
    an EELS thickness of the same sample) starts when that one has finished.

    Parameters
    ----------
    study : Study
        A loaded study (:meth:`ssbkit.study.Study.load`).
    figure_dir : str or Path, optional
        Where figure files are written; a new temporary folder when omitted.
    progress : bool
        Show a progress bar.
    workers : int, optional
        Number of local worker processes (None or 1: in this process).
    client : distributed.Client, optional
        A dask.distributed client; the measurements run as tasks on its cluster.
    cache : bool, str, Path or ResultCache, optional
        A result-cache folder (:mod:`ssbkit.report.cache`); True means
        ``figure_dir / ".ssbkit-cache"`` (:data:`ssbkit.report.folder.CACHE_FOLDER`); None or False: no cache. A cached
        measurement is restored (section, result and figure files) instead of
        analysed again when its files, resolved parameters, sample and the
        ssbkit code are unchanged.

    Returns
    -------
    StudyResults

    Raises
    ------
    ValueError
        For ``workers`` below 1, or both ``workers > 1`` and ``client``.

    Notes
    -----
    Worker processes start with ``forkserver`` (``spawn`` where there is no
    forkserver), which imports the calling script again: a script that calls
    ``analyze(..., workers=N)`` keeps its code under ``if __name__ ==
    "__main__":``, as for every :mod:`multiprocessing` or dask program
    (notebooks and the ``ssbkit`` command need nothing). The driver keeps
    every section with its result object, which the comparison pages use
    (pickled sizes in the demo: impedance 6.5 kB, 60-cycle cycling 0.40 MB,
    XRD 0.20-0.27 MB, DPC bias series 1.6 MB; 6.4 MB for its 21
    measurements); a worker holds one measurement at a time.

    Examples
    --------
    >>> results = analyze(study, figure_dir="report", workers=2, cache=True)   # doctest: +SKIP
    """
    figure_dir = Path(figure_dir) if figure_dir is not None else Path(tempfile.mkdtemp(prefix="ssbkit-"))
    figure_dir.mkdir(parents=True, exist_ok=True)
    if cache is True:
        cache = figure_dir / CACHE_FOLDER
    outcomes = run_measurements(study, figure_dir, workers=workers, client=client,
                                cache=cache if cache else None, progress=progress)
    results = tuple(MeasurementResult(m, study.sample(m.sample_id), outcomes[m.index].section,
                                      outcomes[m.index].log, outcomes[m.index].seconds, outcomes[m.index].cached)
                    for m in study.all_measurements)
    return StudyResults(study=study, results=results, figure_dir=figure_dir)
