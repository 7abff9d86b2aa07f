"""Running a study's measurements: serially, in local worker processes or on a dask.distributed cluster.

A measurement is the unit of work. The driver (the process that called
:func:`ssbkit.analyze`) resolves each measurement's parameters, looks it up
in the result cache (:mod:`ssbkit.report.cache`), and hands the misses to a
pool as :class:`Task` objects; :func:`run_task` analyses one measurement in a
private temporary figure folder and sends back the :class:`Outcome`: the
section, the bytes of its figure files and a log. The driver writes the
figures into the report folder and the entry into the cache. The same
:func:`run_task` runs in every mode, so serial, ``workers=N`` and a dask
client give the same sections.

Measurements whose results fill other measurements' parameters (an EELS
thickness for a DPC measurement of the same sample, see
:attr:`ssbkit.report.parameters.Param.from_measurement`) are analysed first:
a measurement is submitted once every measurement of its sample that can
provide one of its parameters has finished, and the values it gets are
collected in analysis order (stage, then manifest order; the first one wins),
whatever order the workers finish in.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import math
import multiprocessing
import os
import socket
import sys
import tempfile
import threading
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from ssbkit.errors import MetadataError
from ssbkit.report.cache import CacheEntry, ResultCache, entry_key
from ssbkit.report.registry import Section, SectionInput, figure_prefix, registered_techniques, section_spec

__all__ = ["Outcome", "Task", "analysis_stages", "run_measurements", "run_task"]

# pyplot and warnings.catch_warnings are process-global: one measurement at a time per process
_RUN_LOCK = threading.Lock()


@dataclass(frozen=True)
class Task:
    """One measurement to analyse, with its parameters already resolved.

    Parameters
    ----------
    index : int
        The measurement's manifest index.
    technique : str
        Its technique.
    inp : SectionInput
        The builder's input (``figure_dir`` is replaced by a private folder where it runs).
    """

    index: int
    technique: str
    inp: SectionInput


@dataclass(frozen=True)
class Outcome:
    """What analysing one measurement gave.

    Parameters
    ----------
    index : int
        The measurement's manifest index.
    section : Section
        The section (``status="failed"`` and ``error`` set when the analysis raised).
    figures : dict
        ``{file name: bytes}`` of the figure files written (emptied once the driver wrote them).
    log : str
        Where and how long it ran, the warnings, and the traceback of a failure.
    seconds : float
        Wall time of the analysis, s (of the original run for a cached outcome).
    cached : bool
        True when the outcome came from the result cache.
    """

    index: int
    section: Section
    figures: dict
    log: str = ""
    seconds: float = math.nan
    cached: bool = False


def failed_section(technique: str, label: str, detail: str) -> Section:
    """The section of a measurement whose analysis could not run."""
    return Section(technique=technique, title=label, error=detail, status="failed", reasons=(detail,))


def finish_section(section: Section, spec, inp: SectionInput, caught) -> Section:
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
    # a warning repeating one of the section's reasons (e.g. "<file>: <reason>") is not shown twice
    messages = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught
                                   if not any(r and str(w.message).endswith(r) for r in section.reasons)))
    warned = section.warnings + messages
    status = section.status if section.status != "ok" or not warned else "warning"
    reasons = section.reasons + tuple(m for m in messages if m not in section.reasons)
    return dataclasses.replace(section, parameters=used | extra, origins=origins | section.origins,
                               warnings=warned, status=status, reasons=reasons)


def _build(spec, inp: SectionInput) -> tuple[Section, str]:
    """Run the builder with warnings recorded; a failure becomes a failed section and its traceback."""
    with warnings.catch_warnings(record=True) as caught:
        # what the analysis warns about belongs on its page; library deprecation notices do not
        warnings.simplefilter("always")
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", category)
        try:
            section = spec.build(inp)
        except Exception as exc:  # one failed analysis must not stop the report
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            return failed_section(spec.technique, inp.label, detail), traceback.format_exc()
    return finish_section(section, spec, inp, caught), ""


def run_task(task: Task) -> Outcome:
    """Analyse one measurement in a private figure folder; return the section and the figure bytes.

    Runs in whatever process the pool chose; never raises for a failing analysis.
    """
    with _RUN_LOCK:
        return _run_task(task)


def run_task_on_worker(task: Task) -> Outcome:
    """:func:`run_task` as a dask.distributed task.

    The task leaves the worker's thread pool while it runs (``secede``), so
    that a measurement holding lazy data (a chunked 4D-STEM dataset) computes
    its own dask graph on the same cluster — dask sends a ``compute`` inside
    a task to the worker's client — without waiting for its own slot.
    """
    from distributed import rejoin, secede

    secede()
    try:
        return run_task(task)
    finally:
        rejoin()


def _peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (NaN where the platform does not say)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return math.nan
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _run_task(task: Task) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="ssbkit-measurement-") as tmp:
        spec = section_spec(task.technique)
        start = time.perf_counter()
        if spec is None:
            detail = f"no analysis is registered for technique {task.technique!r}"
            section, trace = failed_section(task.technique, task.inp.label, detail), ""
        else:
            section, trace = _build(spec, dataclasses.replace(task.inp, figure_dir=Path(tmp)))
        seconds = time.perf_counter() - start
        figures = {p.name: p.read_bytes() for p in sorted(Path(tmp).iterdir()) if p.is_file()}
    lines = [f"{task.inp.label} ({task.technique}): {section.status} in {seconds:.2f} s on "
             f"{socket.gethostname()} pid {os.getpid()} (peak RSS {_peak_rss_mib():.0f} MiB)"]
    lines += [f"warning: {w}" for w in section.warnings]
    if section.error:
        lines.append(f"error: {section.error}")
    if trace:
        lines.append(trace.rstrip())
    return Outcome(task.index, section, figures, "\n".join(lines), seconds)


def _providers_of() -> dict[str, set[str]]:
    """Per technique, the techniques whose results fill its parameters."""
    out: dict[str, set[str]] = {}
    for technique in registered_techniques():
        spec = section_spec(technique)
        out[technique] = {p.from_measurement[0] for p in spec.parameters if p.from_measurement} - {technique}
    return out


def analysis_stages(study) -> list[list]:
    """The study's measurements grouped in stages: a stage uses results of earlier stages only.

    A technique's stage is one more than the largest stage of the techniques
    providing its parameters (0 when none does); within a stage, manifest order.
    """
    providers = _providers_of()
    stage: dict[str, int] = {}

    def level(technique: str, seen: frozenset = frozenset()) -> int:
        if technique not in stage:
            above = [level(p, seen | {technique}) for p in providers.get(technique, ()) if p not in seen]
            stage[technique] = 1 + max(above) if above else 0
        return stage[technique]

    stages: dict[int, list] = {}
    for m in study.all_measurements:
        stages.setdefault(level(m.technique), []).append(m)
    return [stages[k] for k in sorted(stages)]


def provided_values(measurement, section: Section) -> dict:
    """``{(technique, summary key): (value, label)}``: the numbers a section offers other measurements."""
    return {(measurement.technique, key): (value, measurement.label) for key, value in section.summary.items()
            if section.error is None and isinstance(value, (int, float)) and value == value}


def resolved_input(spec, study, measurement, figure_dir: Path, measured) -> SectionInput:
    """The builder's input for ``measurement`` with every declared parameter resolved.

    Raises
    ------
    ssbkit.errors.MetadataError
        Naming every parameter problem.
    """
    sample = study.sample(measurement.sample_id)
    values, origins, problems = spec.problems(measurement.parameters, sample, measurement.paths, measured)
    if problems:
        raise MetadataError(f"measurement {measurement.label!r}: " + "; ".join(problems), problems=problems)
    return SectionInput(files=measurement.paths, parameters=values, sample=sample, label=measurement.label,
                        figure_dir=figure_dir, figure_prefix=figure_prefix(measurement.label), origins=origins)


# ---------------------------------------------------------------- pools


def _init_worker() -> None:
    """Start-up of a local worker process: no GUI backend, one BLAS thread, sections registered."""
    import matplotlib

    matplotlib.use("Agg")
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # pragma: no cover - threadpoolctl is a dependency; limiting threads is an optimisation
        pass
    registered_techniques()


class _SerialPool:
    """Runs each task when it is submitted, in this process."""

    capacity = 1

    def submit(self, task: Task):
        future = cf.Future()
        future.set_result(run_task(task))
        return future

    def wait_any(self, pending):
        return list(pending)

    def close(self):
        pass


class _ProcessPool:
    """``workers`` local processes (forkserver where the platform has it, else spawn)."""

    def __init__(self, workers: int):
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            from ssbkit.report import sections

            context.set_forkserver_preload([__name__, sections.__name__])
        self._executor = cf.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker)
        self.capacity = 2 * workers

    def submit(self, task: Task):
        return self._executor.submit(run_task, task)

    def wait_any(self, pending):
        done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def close(self):
        self._executor.shutdown(wait=True, cancel_futures=True)


class _DaskPool:
    """Tasks on a dask.distributed client (one task per measurement)."""

    def __init__(self, client):
        self._client = client
        workers = len(client.scheduler_info().get("workers", {})) or 1
        self.capacity = 2 * workers

    def submit(self, task: Task):
        key = f"ssbkit-measurement-{task.index}-{os.urandom(4).hex()}"
        return self._client.submit(run_task_on_worker, task, pure=False, key=key)

    def wait_any(self, pending):
        from distributed import wait

        done, _ = wait(list(pending), return_when="FIRST_COMPLETED")
        return list(done)

    def close(self):
        pass


def _pool(workers: int | None, client):
    if client is not None:
        return _DaskPool(client)
    if workers is not None and workers > 1:
        return _ProcessPool(workers)
    return _SerialPool()


# ---------------------------------------------------------------- driver


def _write_figures(figures: dict, figure_dir: Path) -> None:
    for name, data in figures.items():
        (figure_dir / name).write_bytes(data)


def _as_cache(cache) -> ResultCache | None:
    if cache is None or cache is False:
        return None
    return cache if isinstance(cache, ResultCache) else ResultCache(cache)


class _Driver:
    """Hands measurements to a pool as their providers finish, and collects the outcomes."""

    def __init__(self, study, figure_dir: Path, pool, cache: ResultCache | None, bar):
        self.study, self.figure_dir, self.pool, self.cache, self.bar = study, figure_dir, pool, cache, bar
        self.order = [m for stage in analysis_stages(study) for m in stage]
        self.rank = {m.index: k for k, m in enumerate(self.order)}
        providers = _providers_of()
        by_sample: dict[str, list] = {}
        for m in study.all_measurements:
            by_sample.setdefault(m.sample_id, []).append(m)
        self.needs = {m.index: [o for o in by_sample[m.sample_id]
                                if o.technique in providers.get(m.technique, ()) and o is not m]
                      for m in self.order}
        self.outcomes: dict[int, Outcome] = {}
        self.n_cached = 0
        self.keys: dict[int, str] = {}
        self.version = cache.version if cache is not None else None

    def _measured(self, m) -> dict:
        measured: dict = {}
        for provider in sorted(self.needs[m.index], key=lambda o: self.rank[o.index]):
            for key, value in provided_values(provider, self.outcomes[provider.index].section).items():
                measured.setdefault(key, value)
        return measured

    def _done(self, outcome: Outcome) -> None:
        if outcome.figures:
            _write_figures(outcome.figures, self.figure_dir)
        key = self.keys.get(outcome.index)
        if key is not None and not outcome.cached and outcome.section.error is None:
            self.cache.put(key, CacheEntry(outcome.section, outcome.figures, outcome.log, outcome.seconds))
        self.outcomes[outcome.index] = dataclasses.replace(outcome, figures={})
        if outcome.cached:
            self.n_cached += 1
            self.bar.set_postfix_str(f"{self.n_cached} from the cache", refresh=False)
        self.bar.update(1)

    def _task(self, m):
        """A Task for ``m``, or None when it was settled here (parameter problem or cache hit)."""
        spec = section_spec(m.technique)
        if spec is None:
            return Task(m.index, m.technique, SectionInput(m.paths, dict(m.parameters), None, m.label,
                                                           self.figure_dir, figure_prefix(m.label), {}))
        try:
            inp = resolved_input(spec, self.study, m, self.figure_dir, self._measured(m))
        except MetadataError as exc:
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            self._done(Outcome(m.index, failed_section(m.technique, m.label, detail), {}, f"error: {detail}", 0.0))
            return None
        if self.cache is not None:
            key = entry_key(technique=m.technique, label=m.label, sample=inp.sample.to_dict(), files=m.files,
                            parameters=inp.parameters, origins=inp.origins, version=self.version)
            entry = self.cache.get(key)
            if entry is not None:
                self._done(Outcome(m.index, entry.section, entry.figures, entry.log, entry.seconds, cached=True))
                return None
            self.keys[m.index] = key
        return Task(m.index, m.technique, inp)

    def run(self) -> dict[int, Outcome]:
        waiting = list(self.order)
        pending: dict = {}
        while waiting or pending:
            still = []
            for k, m in enumerate(waiting):
                if len(pending) >= self.pool.capacity:
                    still.extend(waiting[k:])
                    break
                if not all(o.index in self.outcomes for o in self.needs[m.index]):
                    still.append(m)
                    continue
                task = self._task(m)
                if task is not None:
                    pending[self.pool.submit(task)] = m
            if len(still) == len(waiting) and not pending:
                raise RuntimeError("measurements wait on each other: " + ", ".join(m.label for m in still))
            waiting = still
            for future in self.pool.wait_any(pending) if pending else ():
                m = pending.pop(future)
                self._done(self._result(future, m))
        return self.outcomes

    @staticmethod
    def _result(future, m) -> Outcome:
        try:
            return future.result()
        except Exception as exc:  # the worker died or the task could not be shipped: this measurement fails
            detail = f"the worker running it failed: {type(exc).__name__}: {exc}"
            return Outcome(m.index, failed_section(m.technique, m.label, detail), {},
                           "error: " + detail + "\n" + "".join(traceback.format_exception(exc)), math.nan)


def run_measurements(study, figure_dir, *, workers: int | None = None, client=None, cache=None,
                     progress: bool = True) -> dict[int, Outcome]:
    """Analyse every measurement of ``study``; return ``{manifest index: Outcome}``.

    Parameters
    ----------
    study : Study
        The loaded study.
    figure_dir : Path
        Where the figure files end up.
    workers : int, optional
        Local worker processes (None or 1: this process).
    client : distributed.Client, optional
        Run the measurements on this dask.distributed client instead.
    cache : str, Path or ResultCache, optional
        Result cache folder (or a :class:`ResultCache`); None: no cache.
    progress : bool
        Show a progress bar (one step per measurement, cached ones included).
    """
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
        raise ValueError(f"workers={workers!r} must be a positive integer or None")
    if workers is not None and workers > 1 and client is not None:
        raise ValueError("give either workers= (local processes) or client= (dask.distributed), not both")
    figure_dir = Path(figure_dir)
    cache = _as_cache(cache)
    if cache is not None:
        cache.remove_stale_temporaries()
    pool = _pool(workers, client)
    with tqdm(total=len(study.all_measurements), desc="analysing", unit="meas", disable=not progress) as bar:
        try:
            return _Driver(study, figure_dir, pool, cache, bar).run()
        finally:
            pool.close()
