"""Fit many spectra (a folder, a list of files, a temperature series) in worker processes."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from echem.eis.bulk import BULK_METHODS, bulk_resistance
from echem.eis.conductivity import conductivity
from echem.eis.data import EISData
from echem.eis.fitting import fit_circuit
from echem.eis.readers import read_eis
from ssbkit.errors import SsbkitError

__all__ = ["fit_batch"]


def _work(index: int, source, circuit: str | None, method: str) -> list[dict]:
    """Analyse one source (every sweep of it); errors become rows with success False."""
    name = str(source) if not isinstance(source, EISData) else (source.source or f"<data {index}>")
    try:
        data = read_eis(source) if not isinstance(source, EISData) else source
        sweeps = data.split_sweeps() if data.n_sweeps > 1 else [data]
    except (SsbkitError, ValueError, OSError) as exc:
        return [{"index": index, "source": name, "sweep": 0, "success": False,
                 "message": f"{type(exc).__name__}: {exc}"}]
    rows = []
    for k, sweep in enumerate(sweeps):
        row = {"index": index, "source": name, "sweep": k}
        try:
            if circuit is None:
                result = bulk_resistance(sweep, method=method)
                row.update(resistance_ohm=result.resistance_ohm,
                           resistance_err_ohm=result.resistance_err_ohm,
                           circuit=result.circuit, success=bool(result.fit is None or result.fit.success),
                           message=result.message, status=result.status,
                           quality_reasons=" ".join(result.quality_reasons),
                           model_choice_reason=result.model_choice_reason)
            else:
                fit = fit_circuit(sweep, circuit)
                row.update(fit.summary(), success=fit.success, message=fit.message)
        except (SsbkitError, ValueError) as exc:
            row.update(success=False, message=f"{type(exc).__name__}: {exc}")
        rows.append(row)
    return rows


def _expand(sources) -> list:
    if isinstance(sources, (str, Path)):
        folder = Path(sources)
        if not folder.is_dir():
            raise ValueError(f"sources={str(sources)!r} is not a folder; pass a folder or a list")
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise ValueError(f"folder {folder} holds no files")
        return files
    items = list(sources)
    if not items:
        raise ValueError("sources is empty")
    return items


def fit_batch(sources, *, circuit: str | None = None, method: str = "fit", temperature_k=None,
              thickness_cm: float | None = None, area_cm2: float | None = None,
              thickness_err_cm: float = 0.0, area_err_cm2: float = 0.0,
              max_workers: int | None = None, progress: bool = True) -> pd.DataFrame:
    """Bulk resistance (or a given circuit's fit) of many spectra, in parallel.

    Parameters
    ----------
    sources : str, Path or sequence
        A folder (every file in it, sorted by name) or a sequence of paths
        and/or :class:`EISData`. Files with several sweeps give one row per
        sweep.
    circuit : str, optional
        Fit this circuit (all parameters become columns); None computes the
        bulk resistance with ``method``.
    method : {"fit", "intercept"}
        Passed to :func:`bulk_resistance`.
    temperature_k : sequence of float, optional
        One temperature (K) per source: a ``temperature_k`` column.
    thickness_cm, area_cm2 : float, optional
        Pellet geometry; with both given (and no ``circuit``), ``sigma_s_per_cm``
        and ``sigma_err_s_per_cm`` columns are added.
    thickness_err_cm, area_err_cm2 : float
        Their uncertainties.
    max_workers : int, optional
        Worker processes (default: min(4, CPUs)); 1 runs in this process.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    pandas.DataFrame
        One row per source and sweep, in input order, with ``source``,
        ``sweep``, ``success``, ``message`` and the results. Files that
        cannot be read give a row with ``success`` False and the reason.
    """
    if method not in BULK_METHODS:
        raise ValueError(f"method={method!r} is not one of {BULK_METHODS}")
    items = _expand(sources)
    if temperature_k is not None:
        temperature_k = np.asarray(temperature_k, dtype=float)
        if temperature_k.shape != (len(items),):
            raise ValueError(f"temperature_k needs {len(items)} values, got shape {temperature_k.shape}")
    if max_workers is not None and max_workers < 1:
        raise ValueError(f"max_workers must be >= 1, got {max_workers!r}")
    workers = max_workers or min(4, os.cpu_count() or 1)
    rows: list[dict] = []
    bar = tqdm(total=len(items), desc="EIS fits", disable=not progress)
    if workers == 1:
        for i, item in enumerate(items):
            rows.extend(_work(i, item, circuit, method))
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_work, i, item, circuit, method) for i, item in enumerate(items)]
            for future in as_completed(futures):
                rows.extend(future.result())
                bar.update()
    bar.close()
    frame = pd.DataFrame(rows).sort_values(["index", "sweep"]).reset_index(drop=True)
    if temperature_k is not None:
        frame.insert(2, "temperature_k", temperature_k[frame["index"].to_numpy()])
    if circuit is None:
        for column in ("resistance_ohm", "resistance_err_ohm"):
            if column not in frame:
                frame[column] = np.nan
    if circuit is None and thickness_cm is not None and area_cm2 is not None:
        sig, err = [], []
        for r, dr in zip(frame["resistance_ohm"], frame["resistance_err_ohm"]):
            if np.isfinite(r) and r > 0:
                c = conductivity(r, thickness_cm, area_cm2,
                                 resistance_err_ohm=dr if np.isfinite(dr) else 0.0,
                                 thickness_err_cm=thickness_err_cm, area_err_cm2=area_err_cm2)
                sig.append(c.sigma_s_per_cm)
                err.append(c.sigma_err_s_per_cm if np.isfinite(dr) else np.nan)
            else:
                sig.append(np.nan)
                err.append(np.nan)
        frame["sigma_s_per_cm"] = sig
        frame["sigma_err_s_per_cm"] = err
    return frame.drop(columns="index")
