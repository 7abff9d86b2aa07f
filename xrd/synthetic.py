"""Synthetic powder patterns from reference sticks: a known truth for tests and the demo."""

from __future__ import annotations

import numpy as np

from xrd.pattern import CU_KALPHA1_ANGSTROM, CU_KALPHA2_ANGSTROM, Pattern, make_pattern
from xrd.profiles import render_sticks
from xrd.refinement import bragg_two_theta_deg

__all__ = ["scales_for_weight_fractions", "simulate_pattern"]


def scales_for_weight_fractions(references, weight_fractions, *, total_counts_scale: float = 1.0) -> np.ndarray:
    """Scale factors S_p giving the requested weight fractions.

    Inverts Hill & Howard (J. Appl. Cryst. 20 (1987) 467, doi:10.1107/S0021889887086199):
    S_p proportional to W_p / (ZMV)_p.

    Parameters
    ----------
    references : sequence of ReferencePattern
    weight_fractions : sequence of float
        Fractions (summing to 1).
    total_counts_scale : float
        Common multiplier.
    """
    w = np.asarray(weight_fractions, dtype=float)
    if w.shape != (len(references),) or np.any(w < 0) or not np.isclose(w.sum(), 1.0, atol=1e-6):
        raise ValueError(f"weight_fractions={weight_fractions!r} must be {len(references)} non-negative numbers "
                         "summing to 1")
    zmv = np.array([ref.cell_mass_amu * ref.volume_a3 for ref in references])
    return total_counts_scale * w / zmv


def simulate_pattern(references, scales, *, two_theta_deg=None, fwhm_w_deg2=0.01, fwhm_u_deg2=0.0, eta=0.5,
                     zero_shift_deg=0.0, background=None, peak_counts: float = 2e4,
                     wavelength_angstrom=CU_KALPHA1_ANGSTROM, wavelength2_angstrom=CU_KALPHA2_ANGSTROM,
                     kalpha2_ratio=0.5, rng=None, source="synthetic") -> Pattern:
    """Render reference sticks into a pattern with background and Poisson noise.

    Parameters
    ----------
    references : sequence of ReferencePattern
        Phases (their sticks' lattices are used as they are; strain a structure before
        computing its reference to shift peaks).
    scales : sequence of float
        Relative scale factors (e.g. from :func:`scales_for_weight_fractions`); the
        pattern is normalised so that its highest point above background is ``peak_counts``.
    two_theta_deg : ndarray, optional
        Grid (default 10-90 deg in 0.02 deg steps).
    fwhm_w_deg2, fwhm_u_deg2 : float or sequence
        Width parameters per phase, FWHM^2 = W + U tan^2 θ (deg^2).
    eta : float
        Pseudo-Voigt Lorentzian fraction.
    zero_shift_deg : float
        Added to every peak position.
    background : ndarray or callable, optional
        Background counts on the grid, or ``f(two_theta_deg)``; default a smooth decaying curve.
    peak_counts : float
        Counts of the highest net point.
    wavelength_angstrom, wavelength2_angstrom, kalpha2_ratio : float
        Radiation (K-alpha2 is rendered when the ratio is positive); the
        references must have been computed for ``wavelength_angstrom``.
    rng : numpy.random.Generator, optional
        Source of the Poisson noise; ``None`` returns the noise-free expectation.
    source : str
        Stored as the pattern's ``source``.

    Returns
    -------
    Pattern
    """
    x = np.arange(10.0, 90.0 + 1e-9, 0.02) if two_theta_deg is None else np.asarray(two_theta_deg, dtype=float)
    n = len(references)
    w = np.broadcast_to(np.asarray(fwhm_w_deg2, dtype=float), (n,))
    u = np.broadcast_to(np.asarray(fwhm_u_deg2, dtype=float), (n,))
    net = np.zeros_like(x)
    for ref, s, wp, up in zip(references, scales, w, u):
        d = ref.d_spacing_angstrom()
        lines = [(wavelength_angstrom, 1.0)] + ([(wavelength2_angstrom, kalpha2_ratio)] if kalpha2_ratio > 0 else [])
        for lam, weight in lines:
            pos, ok = bragg_two_theta_deg(d, lam)
            pos = pos + zero_shift_deg
            t = np.tan(np.radians(pos) / 2)
            net += render_sticks(x, pos, s * weight * ref.intensity[ok], np.sqrt(wp + up * t * t), eta)
    net *= peak_counts / net.max()
    if background is None:
        bg = 150.0 + 400.0 * np.exp(-(x - x[0]) / 15.0)
    elif callable(background):
        bg = np.asarray(background(x), dtype=float)
    else:
        bg = np.asarray(background, dtype=float)
    expected = net + bg
    counts = expected if rng is None else rng.poisson(expected).astype(float)
    return make_pattern(x, counts, source=source, wavelength_angstrom=wavelength_angstrom,
                        wavelength2_angstrom=wavelength2_angstrom if kalpha2_ratio > 0 else None,
                        kalpha2_ratio=kalpha2_ratio if kalpha2_ratio > 0 else None,
                        metadata={"format": "synthetic"})
