"""Peak profiles: area-normalised pseudo-Voigt, fast rendering of stick lists and of their derivatives.

The pseudo-Voigt is the weighted sum eta*L + (1-eta)*G of a Lorentzian and a
Gaussian of the same full width at half maximum (Wertheim et al., J. Electron
Spectrosc. 4 (1974) 429; Young & Wiles, J. Appl. Cryst. 15 (1982) 430,
doi:10.1107/S002188988201231X). Widths follow FWHM^2 = U tan^2(theta) + V tan(theta) + W
(Caglioti, Paoletti & Ricci, Nucl. Instrum. 3 (1958) 223, doi:10.1016/0369-643X(58)90029-X).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["caglioti_fwhm_deg", "pseudo_voigt", "render_sticks", "render_stick_derivatives"]

_LN2 = np.log(2.0)


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

    Each peak is evaluated only within ``window_fwhm`` full widths of its centre, on the grid points
    ``c - window <= x < c + window``, so the cost is proportional to the number of peaks times the
    window, not to the grid (a compiled loop, :func:`_render_kernel`).

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
    x = np.ascontiguousarray(two_theta_deg, dtype=float)
    positions_deg = np.ascontiguousarray(positions_deg, dtype=float).ravel()
    fwhm_deg = np.ascontiguousarray(np.broadcast_to(np.asarray(fwhm_deg, dtype=float), positions_deg.shape))
    areas = np.ascontiguousarray(np.broadcast_to(np.asarray(areas, dtype=float), positions_deg.shape))
    out = np.zeros(x.size)
    _render_kernel(x, positions_deg, areas, fwhm_deg, float(eta), float(window_fwhm), out)
    return out


@numba.njit(cache=True, nogil=True)
def _render_kernel(x, positions, areas, fwhm, eta, window, out):  # pragma: no cover - compiled
    """Add each peak's area-normalised pseudo-Voigt (:func:`pseudo_voigt`, peak after peak) to ``out`` on its
    window of the grid ``x``.

    Beyond 5 FWHM from the centre the Gaussian part (below exp(-69) of its peak) is left out when the
    Lorentzian part is present (eta > 1e-9): it is then under half a unit in the last place of the
    Lorentzian part, so the sum is the same."""
    gauss_norm = (1.0 - eta) * 2.0 * np.sqrt(_LN2 / np.pi)
    lorentz_norm = eta * 2.0 / np.pi
    gauss_everywhere = eta <= 1e-9
    for j in range(positions.size):
        center, inverse = positions[j], 1.0 / fwhm[j]
        half = window * fwhm[j]
        scale = areas[j] * inverse
        for i in range(np.searchsorted(x, center - half), np.searchsorted(x, center + half)):
            u = (x[i] - center) * inverse
            u2 = u * u
            value = lorentz_norm / (u2 * 4.0 + 1.0)
            if gauss_everywhere or u2 < 25.0:
                value += np.exp(u2 * (-4.0 * _LN2)) * gauss_norm
            out[i] += value * scale


def render_stick_derivatives(two_theta_deg, positions_deg, fwhm_deg, eta, weights, *, window_fwhm: float = 10.0):
    """Weighted sums of pseudo-Voigt peaks and of their analytic derivatives on a sorted 2-theta grid.

    With Ω_i the area-normalised pseudo-Voigt of peak i (:func:`pseudo_voigt`; u = (x - c_i) / w_i and
    s(u) = η L(u) + (1 - η) G(u), Ω_i = s(u) / w_i), column j of the result is

        Σ_i  V_ij Ω_i + C_ij ∂Ω_i/∂c_i + F_ij ∂Ω_i/∂w_i + E_ij ∂Ω_i/∂η

    with ∂Ω/∂c = -s'(u) / w^2, ∂Ω/∂w = -(s(u) + u s'(u)) / w^2 and ∂Ω/∂η = (L(u) - G(u)) / w (L, G and
    their derivatives in :func:`_derivative_kernel`). These are the columns of a Jacobian by the chain rule:
    the caller puts dc_i/dq_j, dw_i/dq_j, ... times the peak's area in the weights.
    The peaks are truncated exactly as :func:`render_sticks` truncates them, so the columns are the derivatives
    of its output (but for the windows' moving ends).

    Parameters
    ----------
    two_theta_deg : ndarray, shape (n,)
        Increasing grid in degrees.
    positions_deg, fwhm_deg : ndarray, shape (m,)
        Peak centres and full widths at half maximum, degrees.
    eta : float
        Lorentzian fraction.
    weights : ndarray, shape (4, m, k)
        V, C, F and E above: for column j, the derivative with respect to its parameter of peak i's area,
        and its area times the derivative of its centre (degrees), FWHM (degrees) and η.
    window_fwhm : float
        Half-width of each peak's evaluation window, in FWHM.

    Returns
    -------
    ndarray, shape (n, k)
    """
    x = np.ascontiguousarray(two_theta_deg, dtype=float)
    positions_deg = np.ascontiguousarray(positions_deg, dtype=float).ravel()
    fwhm_deg = np.ascontiguousarray(np.broadcast_to(np.asarray(fwhm_deg, dtype=float), positions_deg.shape))
    weights = np.ascontiguousarray(weights, dtype=float)
    if weights.ndim != 3 or weights.shape[:2] != (4, positions_deg.size):
        raise ValueError(f"weights has shape {weights.shape}; expected (4, {positions_deg.size}, k)")
    kinds, columns = np.nonzero(np.any(weights != 0, axis=1))  # the (kind, column) pairs that contribute
    out = np.zeros((weights.shape[2], x.size))
    _derivative_kernel(x, positions_deg, fwhm_deg, float(eta), np.ascontiguousarray(weights[kinds, :, columns].T),
                       kinds, columns, float(window_fwhm), out)
    return out.T


@numba.njit(cache=True, nogil=True)
def _derivative_kernel(x, positions, fwhm, eta, weights, kinds, columns, window, out):  # pragma: no cover - compiled
    """Accumulate the columns of :func:`render_stick_derivatives` into ``out`` (k, n), peak after peak;
    ``weights[j, t]`` is peak j's weight of kind ``kinds[t]`` (0 value, 1 centre, 2 width, 3 η derivative)
    in column ``columns[t]``, for the pairs that are not zero for every peak.

    With L(u) = (2/π) / (1 + 4u^2) and G(u) = 2 sqrt(ln 2/π) exp(-4 ln 2 u^2):
    L'(u) = -8 u L(u) / (1 + 4u^2) and G'(u) = -8 ln 2 u G(u). The Gaussian part is left out beyond 5 FWHM
    exactly where :func:`_render_kernel` leaves it out."""
    gauss_norm = 2.0 * np.sqrt(_LN2 / np.pi)
    lorentz_norm = 2.0 / np.pi
    gauss_everywhere = eta <= 1e-9
    basis = np.empty((4, x.size))
    for j in range(positions.size):
        center, inverse = positions[j], 1.0 / fwhm[j]
        half = window * fwhm[j]
        lo, hi = np.searchsorted(x, center - half), np.searchsorted(x, center + half)
        for i in range(lo, hi):
            u = (x[i] - center) * inverse
            u2 = u * u
            reciprocal = 1.0 / (u2 * 4.0 + 1.0)
            lorentz = lorentz_norm * reciprocal
            d_lorentz = -8.0 * u * lorentz * reciprocal
            gauss, d_gauss = 0.0, 0.0
            if gauss_everywhere or u2 < 25.0:
                gauss = np.exp(u2 * (-4.0 * _LN2)) * gauss_norm
                d_gauss = -8.0 * _LN2 * u * gauss
            shape = eta * lorentz + (1.0 - eta) * gauss
            d_shape = eta * d_lorentz + (1.0 - eta) * d_gauss
            basis[0, i] = shape * inverse
            basis[1, i] = -d_shape * inverse * inverse
            basis[2, i] = -(shape + u * d_shape) * inverse * inverse
            basis[3, i] = (lorentz - gauss) * inverse
        for t in range(kinds.size):
            weight, kind, column = weights[j, t], kinds[t], columns[t]
            for i in range(lo, hi):
                out[column, i] += weight * basis[kind, i]
