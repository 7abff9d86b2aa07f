"""Normalization of many spectra on one energy grid (a XANES map or a series).

The work is vectorised across spectra (E0 search, pre-edge and post-edge
least squares as masked normal equations, all rows at once); only chunks of
rows are looped over, to bound memory, with a progress bar.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from xas.normalization import normalize_arrays

__all__ = ["BatchNormalization", "normalize_many"]


@dataclass(frozen=True)
class BatchNormalization:
    """Normalization results for ``m`` spectra on a common grid.

    Attributes
    ----------
    energy_ev : ndarray, shape (n,)
        Common energy grid, eV.
    e0_ev, edge_step : ndarray, shape (m,)
        Edge energy (eV) and edge step per spectrum.
    norm, flat, pre_edge, post_edge : ndarray, shape (m, n)
        As :class:`xas.normalization.NormalizedXAS`, one row per spectrum.
    pre1_ev, pre2_ev, norm1_ev, norm2_ev : ndarray, shape (m,)
        Ranges used, eV relative to each E0.
    nnorm : ndarray of int, shape (m,)
        Post-edge degree used.
    e0_found : ndarray of bool, shape (m,)
        False where the E0 search fell back.
    """

    energy_ev: np.ndarray
    e0_ev: np.ndarray
    edge_step: np.ndarray
    norm: np.ndarray
    flat: np.ndarray
    pre_edge: np.ndarray
    post_edge: np.ndarray
    pre1_ev: np.ndarray
    pre2_ev: np.ndarray
    norm1_ev: np.ndarray
    norm2_ev: np.ndarray
    nnorm: np.ndarray
    e0_found: np.ndarray

    def summary(self) -> dict:
        """Flat statistics over the batch (units in the keys)."""
        return {
            "n_spectra": int(self.e0_ev.size),
            "e0_mean_ev": float(np.mean(self.e0_ev)), "e0_std_ev": float(np.std(self.e0_ev)),
            "e0_min_ev": float(np.min(self.e0_ev)), "e0_max_ev": float(np.max(self.e0_ev)),
            "edge_step_mean": float(np.mean(self.edge_step)),
            "n_e0_fallback": int(np.sum(~self.e0_found)),
        }

    def report(self) -> str:
        """One-line plain-text report."""
        s = self.summary()
        return (f"{s['n_spectra']} spectra: E0 {s['e0_mean_ev']:.2f} ± {s['e0_std_ev']:.2f} eV "
                f"({s['e0_min_ev']:.2f}–{s['e0_max_ev']:.2f}), mean edge step {s['edge_step_mean']:.4g}, "
                f"{s['n_e0_fallback']} E0 fallbacks")

    def plot(self, ax=None, *, max_curves: int = 50):
        """Overlay up to ``max_curves`` normalised spectra; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        step = max(1, self.norm.shape[0] // max_curves)
        for row in self.norm[::step]:
            ax.plot(self.energy_ev, row, lw=0.6, alpha=0.6)
        ax.set_xlabel("Energy (eV)")
        ax.set_ylabel("normalised μ(E)")
        return ax


def normalize_many(energy_ev, mu, *, e0=None, pre1=None, pre2=None, norm1=None, norm2=None, nnorm=None,
                   nvict=0, chunk_size: int = 1000, progress: bool = True) -> BatchNormalization:
    """Normalise many spectra sharing one energy grid, vectorised.

    Same conventions and defaults as :func:`xas.normalize` (Athena/Larch
    pre-edge line, post-edge polynomial, edge step at E0), applied to every
    row of ``mu``; ranges given here apply relative to each row's own E0.

    Parameters
    ----------
    energy_ev : array_like, shape (n,)
        Common energy grid, eV, strictly increasing.
    mu : array_like, shape (m, n) or (..., n)
        Spectra; leading dimensions (e.g. a map's rows and columns) are
        flattened, row-major, into one axis of m spectra.
    e0 : float or array_like of shape (m,), optional
        Edge energies, eV; found per spectrum when None.
    pre1, pre2, norm1, norm2, nnorm, nvict : optional
        As :func:`xas.normalize`.
    chunk_size : int
        Spectra processed per vectorised step (bounds memory).
    progress : bool
        Show a tqdm progress bar over the chunks.

    Returns
    -------
    BatchNormalization

    Raises
    ------
    ValueError
        For mismatched shapes, non-finite values or a non-increasing grid.

    Examples
    --------
    >>> import numpy as np
    >>> e = np.linspace(2440, 2540, 201)
    >>> shifts = np.array([0.0, 1.0])
    >>> mu = 0.5 + np.arctan((e[None, :] - 2472 - shifts[:, None]) / 0.7) / np.pi
    >>> batch = normalize_many(e, mu, progress=False)
    >>> batch.e0_ev
    array([2472., 2473.])
    """
    energy = np.asarray(energy_ev, dtype=float)
    mu = np.asarray(mu, dtype=float)
    if mu.ndim < 1 or mu.shape[-1] != energy.size:
        raise ValueError(f"mu has shape {mu.shape}; its last axis must match energy_ev ({energy.size} points)")
    mu = mu.reshape(-1, energy.size)
    m = mu.shape[0]
    if m == 0:
        raise ValueError("mu holds no spectra")
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size={chunk_size!r} must be a positive integer")
    e0_rows = None if e0 is None else np.broadcast_to(np.asarray(e0, dtype=float), (m,))
    names = ("e0_ev", "edge_step", "norm", "flat", "pre_edge", "post_edge", "pre1", "pre2", "norm1", "norm2",
             "nnorm", "e0_found", "negative_step")
    parts: dict[str, list] = {name: [] for name in names}
    starts = range(0, m, int(chunk_size))
    for start in tqdm(starts, desc="normalizing", unit="chunk", disable=not progress):
        stop = min(start + int(chunk_size), m)
        out = normalize_arrays(energy, mu[start:stop], e0=None if e0_rows is None else e0_rows[start:stop],
                               pre1=pre1, pre2=pre2, norm1=norm1, norm2=norm2, nnorm=nnorm, nvict=nvict)
        for name in names:
            parts[name].append(out[name])
    joined = {name: np.concatenate(parts[name]) for name in names}
    if joined["negative_step"].any():
        warnings.warn(f"{int(joined['negative_step'].sum())} spectra have a non-positive fitted edge step "
                      "(their magnitude is used)", RuntimeWarning, stacklevel=2)
    return BatchNormalization(
        energy_ev=energy, e0_ev=joined["e0_ev"], edge_step=joined["edge_step"], norm=joined["norm"],
        flat=joined["flat"], pre_edge=joined["pre_edge"], post_edge=joined["post_edge"],
        pre1_ev=joined["pre1"], pre2_ev=joined["pre2"], norm1_ev=joined["norm1"], norm2_ev=joined["norm2"],
        nnorm=joined["nnorm"], e0_found=joined["e0_found"],
    )
