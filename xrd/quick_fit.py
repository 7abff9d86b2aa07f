"""Quick linear fits that tell a phase search which candidates are worth a full refinement.

A full refinement (:func:`xrd.refinement.refine_phases`) searches cells, zero shift, widths and
texture by non-linear least squares: tenths of a second to seconds. Most candidates a search
considers (the next phase to add, an isostructural entry or polymorph in an accepted phase's
place, a preferred-orientation axis) can be ranked without it: their profile is rendered once for
a fixed cell, width and zero shift, and only the scale factors, a constant and a linear term are
solved, by weighted linear least squares on y - background (the variable-projection idea of Golub
& Pereyra, SIAM J. Numer. Anal. 10 (1973) 413, doi:10.1137/0710036, with the non-linear
parameters held fixed). The Rwp of that fit ranks the candidates; only the best few are refined.
"""

from __future__ import annotations

import numpy as np

from xrd.pattern import Pattern
from xrd.profiles import render_sticks
from xrd.refinement import bragg_two_theta_deg

__all__ = ["linear_rwp", "stick_curve"]


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


def linear_rwp(pattern: Pattern, background, sigma, columns) -> tuple[float, np.ndarray]:
    """Rwp of the weighted linear least-squares fit of y - background by the given columns.

    A constant and a linear term are fitted beside the columns (the slack of a fixed background).
    Rwp = sqrt(Σ w (y - y_calc)^2 / Σ w y^2), w = 1/σ^2 (Young, The Rietveld Method, IUCr/OUP 1993,
    ch. 1), the same agreement factor as the full refinement's.

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
    rwp : float
        As a fraction.
    coefficients : ndarray
        The scales of ``columns`` in order, then the constant and linear terms.
    """
    y = pattern.intensity.astype(float)
    x = pattern.two_theta_deg
    weights = 1.0 / np.asarray(sigma, dtype=float)
    design = np.stack(list(columns) + [np.ones_like(x), np.linspace(-1, 1, x.size)], axis=1) * weights[:, None]
    target = (y - background) * weights
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    resid = target - design @ coef
    return float(np.sqrt(resid @ resid / np.sum((y * weights) ** 2))), coef
