"""Peak profiles: area-normalised pseudo-Voigt and fast rendering of stick lists.

The pseudo-Voigt is the weighted sum eta*L + (1-eta)*G of a Lorentzian and a
Gaussian of the same full width at half maximum (Wertheim et al., J. Electron
Spectrosc. 4 (1974) 429; Young & Wiles, J. Appl. Cryst. 15 (1982) 430,
doi:10.1107/S002188988201231X). Widths follow FWHM^2 = U tan^2(theta) + V tan(theta) + W
(Caglioti, Paoletti & Ricci, Nucl. Instrum. 3 (1958) 223, doi:10.1016/0369-643X(58)90029-X).
"""

from __future__ import annotations

import threading

import numpy as np

__all__ = ["caglioti_fwhm_deg", "pseudo_voigt", "render_sticks"]

_LN2 = np.log(2.0)
_SCRATCH = threading.local()


def _scratch(name, rows, columns, dtype):
    """A (rows, columns) work array, reused across calls (one per name and thread).

    The peaks-by-window arrays of :func:`render_sticks` are hundreds of kB; allocated afresh on
    every call, malloc hands such blocks back to the system and every call page-faults them in
    again, which costs more than the arithmetic on them.
    """
    size = rows * columns
    buffer = getattr(_SCRATCH, name, None)
    if buffer is None or buffer.size < size:
        buffer = np.empty(size, dtype)
        setattr(_SCRATCH, name, buffer)
    return buffer[:size].reshape(rows, columns)


def pseudo_voigt(x, center, fwhm, eta):
    """Area-normalised pseudo-Voigt.

    Parameters
    ----------
    x : array_like
        Abscissa (degrees 2-theta).
    center, fwhm : array_like
        Peak centre and full width at half maximum, same unit as ``x``; broadcast with ``x``.
    eta : float or array_like
        Lorentzian fraction, 0 (Gaussian) to 1 (Lorentzian).

    Returns
    -------
    ndarray
        Profile values; the integral over x is 1.
    """
    work = np.subtract(x, center, dtype=float)
    if np.ndim(work) == 0:  # scalar arguments: a 0-d array, so that the in-place steps apply
        work = np.array(work)
    return _pseudo_voigt_in_place(work, fwhm, eta, np.empty_like(work))


def _pseudo_voigt_in_place(work, fwhm, eta, gauss):
    """The pseudo-Voigt of :func:`pseudo_voigt` computed in place.

    Parameters
    ----------
    work : ndarray of float
        x - center on input; the profile values on output.
    fwhm, eta : float or ndarray
        As in :func:`pseudo_voigt`, broadcast with ``work``.
    gauss : ndarray of float, shape of ``work``
        Scratch space for the Gaussian part.

    Returns
    -------
    ndarray
        ``work``.
    """
    work /= fwhm
    np.square(work, out=work)  # (Δ/FWHM)^2
    np.multiply(work, -4.0 * _LN2, out=gauss)
    np.exp(gauss, out=gauss)
    gauss *= (1.0 - eta) * 2.0 * np.sqrt(_LN2 / np.pi)
    work *= 4.0
    work += 1.0
    np.divide(eta * 2.0 / np.pi, work, out=work)  # the Lorentzian part
    work += gauss
    work /= fwhm
    return work


def caglioti_fwhm_deg(two_theta_deg, u_deg2, v_deg2, w_deg2):
    """FWHM in degrees from the Caglioti relation (see the module docstring)."""
    t = np.tan(np.radians(np.asarray(two_theta_deg)) / 2.0)
    return np.sqrt(np.maximum(u_deg2 * t * t + v_deg2 * t + w_deg2, 1e-8))


def render_sticks(two_theta_deg, positions_deg, areas, fwhm_deg, eta, *, window_fwhm: float = 10.0):
    """Sum of pseudo-Voigt peaks on a sorted 2-theta grid.

    Each peak is evaluated only within ``window_fwhm`` full widths of its
    centre, all peaks at once (one gather, one ``bincount``), so the cost is
    proportional to the number of peaks times the window, not to the grid.

    Parameters
    ----------
    two_theta_deg : ndarray, shape (n,)
        Increasing grid in degrees.
    positions_deg, areas, fwhm_deg : ndarray, shape (m,)
        Peak centres (degrees), integrated areas (intensity x degrees) and widths (degrees).
    eta : float
        Lorentzian fraction of the pseudo-Voigt.
    window_fwhm : float
        Half-width of the evaluation window in units of the FWHM.

    Returns
    -------
    ndarray, shape (n,)
        The rendered pattern (areas are conserved up to the truncated tails).
    """
    x = np.asarray(two_theta_deg, dtype=float)
    positions_deg = np.asarray(positions_deg, dtype=float)
    fwhm_deg = np.broadcast_to(np.asarray(fwhm_deg, dtype=float), positions_deg.shape)
    areas = np.broadcast_to(np.asarray(areas, dtype=float), positions_deg.shape)
    half = window_fwhm * fwhm_deg
    lo = np.searchsorted(x, positions_deg - half)
    count = np.searchsorted(x, positions_deg + half) - lo
    keep = count > 0
    if not np.any(keep):
        return np.zeros(x.size)
    lo, count = lo[keep], count[keep]
    shape = lo.size, int(count.max())
    steps = np.arange(shape[1])
    idx = np.add(lo[:, None], steps, out=_scratch("index", *shape, np.intp))
    # the padding of shorter windows reads NaN (a distant angle would make exp() underflow, on a slow
    # path) and is summed into a spare bin past the grid
    idx[steps >= count[:, None]] = x.size
    work = np.take(np.append(x, np.nan), idx, out=_scratch("work", *shape, float), mode="clip")
    work -= positions_deg[keep, None]
    values = _pseudo_voigt_in_place(work, fwhm_deg[keep, None], eta, _scratch("gauss", *shape, float))
    values *= areas[keep, None]
    return np.bincount(idx.ravel(), weights=values.ravel(), minlength=x.size + 1)[:x.size]
