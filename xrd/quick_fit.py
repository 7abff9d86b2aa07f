"""Quick linear fits that tell a phase search which candidates are worth a full refinement.

A full refinement (:func:`xrd.refinement.refine_phases`) searches cells, zero shift, widths and
texture by non-linear least squares: tenths of a second to seconds. Most candidates a search
considers (the next phase to add, an isostructural entry or polymorph in an accepted phase's
place, a preferred-orientation axis) can be ranked without it: their profile is rendered once for
a fixed cell, width and zero shift, and only the scale factors, a constant and a linear term are
solved, by weighted linear least squares on y - background (the variable-projection idea of Golub
& Pereyra, SIAM J. Numer. Anal. 10 (1973) 413, doi:10.1137/0710036, with the non-linear
parameters held fixed). The Rwp of that fit ranks the candidates; only the best few are refined. The
fit of the fixed profiles is solved once and each candidate added to it as one more column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xrd.pattern import Pattern
from xrd.profiles import render_sticks
from xrd.refinement import bragg_two_theta_deg

__all__ = ["LinearFit", "linear_fit", "stick_curve"]


def stick_curve(pattern: Pattern, d_angstrom, intensity, *, zero_shift_deg: float, fwhm_deg, eta: float = 0.5):
    """Unit-scale profile of a set of reflections on the pattern's grid.

    Positions follow Bragg's law, 2θ = 2 asin(λ / 2d) + zero shift, at the pattern's K-alpha1
    wavelength and, with its K-alpha2/K-alpha1 ratio, at the K-alpha2 wavelength. Profiles are
    area-normalised pseudo-Voigts (:func:`xrd.profiles.render_sticks`).

    Parameters
    ----------
    pattern : Pattern
        Supplies the 2θ grid (degrees), wavelengths (angstrom) and K-alpha2 ratio.
    d_angstrom : array_like, shape (m,)
        Interplanar spacings, angstrom (e.g. :func:`xrd.refinement.d_spacing_angstrom` of a cell).
    intensity : array_like, shape (m,)
        Integrated intensities (any unit; the fit scales them).
    zero_shift_deg : float
        Zero shift added to every position, degrees.
    fwhm_deg : float or callable
        FWHM in degrees, or a function of 2θ (degrees) returning it (e.g.
        :meth:`xrd.refinement.PhaseResult.fwhm_deg`).
    eta : float
        Lorentzian fraction of the pseudo-Voigt (0-1).

    Returns
    -------
    ndarray, shape (n,)
        The profile, counts per unit scale.
    """
    x = pattern.two_theta_deg
    curve = np.zeros(x.size)
    intensity = np.asarray(intensity, dtype=float)
    if intensity.size == 0:
        return curve
    d = np.asarray(d_angstrom, dtype=float)
    for wavelength, weight in ((pattern.wavelength_angstrom, 1.0),
                               (pattern.wavelength2_angstrom, pattern.kalpha2_ratio)):
        if not weight > 0:
            continue
        positions, ok = bragg_two_theta_deg(d, wavelength)
        positions = positions + zero_shift_deg
        width = fwhm_deg(positions) if callable(fwhm_deg) else fwhm_deg
        curve += render_sticks(x, positions, weight * intensity[ok], width, eta)
    return curve


@dataclass(frozen=True)
class LinearFit:
    """The weighted linear least-squares fit of y - background by fixed columns, a constant and a linear term.

    It keeps an orthonormal basis of its columns' span and its residual, so that the fit with one column
    more is had without solving again (:meth:`with_column`).

    Attributes
    ----------
    rwp : float
        Rwp = sqrt(Σ w (y - y_calc)^2 / Σ w y^2), w = 1/σ^2 (Young, The Rietveld Method, IUCr/OUP 1993,
        ch. 1), the same agreement factor as the full refinement's; a fraction.
    coefficients : ndarray
        The scales of the columns in order (unconstrained in sign), then the constant and linear terms.
    weights : ndarray, shape (n,)
        1/σ.
    basis : ndarray, shape (n, rank)
        Orthonormal basis of the weighted columns' span (left singular vectors above the rank cut-off).
    residual : ndarray, shape (n,)
        Weighted residual, (y - y_calc) / σ.
    observed_norm2 : float
        Σ w y^2.
    """

    rwp: float
    coefficients: np.ndarray
    weights: np.ndarray
    basis: np.ndarray
    residual: np.ndarray
    observed_norm2: float

    def with_column(self, curve) -> tuple[float, float]:
        """Rwp and scale of the fit with one more column, ``curve`` (counts per unit scale, shape (n,)).

        Least squares updated by one column (Björck, Numerical Methods for Least Squares Problems, SIAM
        1996, ch. 3, modified problems): with c' the weighted curve's part orthogonal to the fitted columns
        and r the weighted residual, the new scale is c'.r / c'.c' and the squared residual falls by
        (c'.r)^2 / c'.c'; the other coefficients would change, the Rwp and the new scale are exact. A curve
        within the columns' span (or zero) changes nothing: scale 0, the same Rwp.
        """
        c = np.asarray(curve, dtype=float) * self.weights
        orthogonal = c - self.basis @ (self.basis.T @ c)
        norm2 = orthogonal @ orthogonal
        if not norm2 > 1e-24 * (c @ c):
            return self.rwp, 0.0
        along = orthogonal @ self.residual
        remaining = self.residual @ self.residual - along * along / norm2
        return float(np.sqrt(max(remaining, 0.0) / self.observed_norm2)), float(along / norm2)


def linear_fit(pattern: Pattern, background, sigma, columns) -> LinearFit:
    """Weighted linear least-squares fit of y - background by the given columns (:class:`LinearFit`).

    A constant and a linear term are fitted beside the columns (the slack of a fixed background); the
    solution is the minimum-norm one by singular values, those below ``max(n, k)`` machine epsilons of the
    largest being cut (as ``numpy.linalg.lstsq`` does).

    Parameters
    ----------
    pattern : Pattern
        Observed counts.
    background : ndarray, shape (n,)
        Fixed background, counts.
    sigma : ndarray, shape (n,)
        Standard deviations of the counts.
    columns : sequence of ndarray, shape (n,)
        Profiles whose scales are solved (unconstrained in sign).

    Returns
    -------
    LinearFit
    """
    y = pattern.intensity.astype(float)
    x = pattern.two_theta_deg
    weights = 1.0 / np.asarray(sigma, dtype=float)
    design = np.stack(list(columns) + [np.ones_like(x), np.linspace(-1, 1, x.size)], axis=1) * weights[:, None]
    target = (y - background) * weights
    u, singular, vt = np.linalg.svd(design, full_matrices=False)
    rank = int(np.sum(singular > singular[0] * max(design.shape) * np.finfo(float).eps))
    u, singular, vt = u[:, :rank], singular[:rank], vt[:rank]
    coefficients = vt.T @ ((u.T @ target) / singular)
    residual = target - design @ coefficients
    observed_norm2 = float(np.sum((y * weights) ** 2))
    return LinearFit(float(np.sqrt(residual @ residual / observed_norm2)), coefficients, weights, u, residual,
                     observed_norm2)
