"""Model EELS spectra of known truth: plural plasmon scattering and core-loss edges.

Used to test the analyses (a known t/λ must come back) and to generate the
demo study's raw files.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve

__all__ = [
    "characteristic_angle_mrad",
    "drude_single_scattering",
    "drude_mean_free_path_nm",
    "plural_scattering",
    "low_loss_spectrum",
    "core_loss_edge",
    "power_law",
]

_ELECTRON_REST_ENERGY_KEV = 510.99895


def characteristic_angle_mrad(energy_loss_ev, beam_energy_kev: float) -> np.ndarray:
    """Characteristic scattering angle θ_E = E / (γ m0 v²), mrad.

    Egerton, *EELS in the Electron Microscope*, 3rd ed. (2011), eq. (3.28),
    doi:10.1007/978-1-4419-9583-4.

    Parameters
    ----------
    energy_loss_ev : float or ndarray
        Energy loss E, eV.
    beam_energy_kev : float
        Incident energy E0, keV.
    """
    gamma = 1.0 + beam_energy_kev / _ELECTRON_REST_ENERGY_KEV
    beta_sq = 1.0 - 1.0 / gamma**2
    m0v2_ev = _ELECTRON_REST_ENERGY_KEV * 1e3 * beta_sq
    return np.asarray(energy_loss_ev, dtype=float) / (gamma * m0v2_ev) * 1e3


def _drude_loss_function(energy_ev, plasmon_energy_ev: float, plasmon_width_ev: float):
    """Im[−1/ε(E)] = E Γ E_p² / ((E² − E_p²)² + (E Γ)²) of a Drude metal (Egerton 2011, eq. 3.43)."""
    return energy_ev * plasmon_width_ev * plasmon_energy_ev**2 / (
        (energy_ev**2 - plasmon_energy_ev**2) ** 2 + (energy_ev * plasmon_width_ev) ** 2
    )


def drude_single_scattering(
    energy_loss_ev,
    *,
    plasmon_energy_ev: float,
    plasmon_width_ev: float,
    beam_energy_kev: float,
    collection_semiangle_mrad: float,
) -> np.ndarray:
    """Single-scattering distribution of a Drude plasmon, unit area.

    dσ/dE ∝ Im[−1/ε(E)] · ln(1 + β²/θ_E²) with the Drude loss function
    Im[−1/ε] = E Γ E_p² / ((E² − E_p²)² + (E Γ)²) (Egerton 2011, eqs. 3.40
    and 3.43). Zero for E ≤ 0.

    Parameters
    ----------
    energy_loss_ev : ndarray, shape (n,)
        Uniform energy axis, eV.
    plasmon_energy_ev, plasmon_width_ev : float
        E_p and Γ, eV.
    beam_energy_kev : float
        E0, keV.
    collection_semiangle_mrad : float
        β, mrad.

    Returns
    -------
    ndarray, shape (n,)
        Probability per channel (sums to 1).
    """
    energy = np.asarray(energy_loss_ev, dtype=float)
    positive = np.clip(energy, 1e-12, None)
    loss = _drude_loss_function(positive, plasmon_energy_ev, plasmon_width_ev)
    theta_e = characteristic_angle_mrad(positive, beam_energy_kev)
    shape = np.where(energy > 0, loss * np.log1p((collection_semiangle_mrad / theta_e) ** 2), 0.0)
    return shape / shape.sum()


def drude_mean_free_path_nm(
    *,
    plasmon_energy_ev: float,
    plasmon_width_ev: float,
    beam_energy_kev: float,
    collection_semiangle_mrad: float,
) -> float:
    """Inelastic mean free path of a Drude free-electron metal, nm: the λ a Drude spectrum implies.

    1/λ = (1 / (π a0 m0v²)) ∫ Im[−1/ε(E)] ln(1 + β²/θ_E²) dE (Egerton 2011,
    eqs. 3.40, 3.43 and 4.26 with Re[1/ε(0)] = 0), integrated numerically
    from 0 to 200 E_p. With it a synthetic spectrum of t/λ = τ describes a
    specimen of absolute thickness t = τ λ, the truth for the Kramers–Kronig
    thickness (:func:`eels.kramers_kronig_thickness`).

    Parameters
    ----------
    plasmon_energy_ev, plasmon_width_ev : float
        E_p and Γ, eV.
    beam_energy_kev : float
        E0, keV.
    collection_semiangle_mrad : float
        β, mrad.

    Returns
    -------
    float
        λ, nm.

    Examples
    --------
    >>> round(drude_mean_free_path_nm(plasmon_energy_ev=23.0, plasmon_width_ev=0.01,
    ...                               beam_energy_kev=200.0, collection_semiangle_mrad=10.0), 1)
    113.5
    """
    from scipy.constants import physical_constants
    from scipy.integrate import quad

    a0_nm = physical_constants["Bohr radius"][0] * 1e9
    gamma = 1.0 + beam_energy_kev / _ELECTRON_REST_ENERGY_KEV
    m0v2_ev = _ELECTRON_REST_ENERGY_KEV * 1e3 * (1.0 - 1.0 / gamma**2)
    ep, width = plasmon_energy_ev, plasmon_width_ev

    def integrand(e):
        loss = _drude_loss_function(e, ep, width)
        theta = float(characteristic_angle_mrad(e, beam_energy_kev))
        return loss * np.log1p((collection_semiangle_mrad / theta) ** 2)

    # split at the plasmon so that quad resolves a narrow peak
    edges = sorted({1e-9, max(ep - 3 * width, 1e-6), ep + 3 * width, 200 * ep})
    value = sum(quad(integrand, lo, hi, limit=400)[0] for lo, hi in zip(edges[:-1], edges[1:]))
    return float(np.pi * a0_nm * m0v2_ev / value)


def plural_scattering(single: np.ndarray, t_over_lambda: float) -> np.ndarray:
    """Poisson plural scattering of a single-scattering distribution.

    The probability of n inelastic events is P_n = exp(−τ) τⁿ / n! with
    τ = t/λ, so the loss distribution is Σ P_n s^{*n}, whose Fourier
    transform is exp(τ (S(ν) − 1)) (Egerton 2011, §3.7 and §4.2.1).

    Parameters
    ----------
    single : ndarray, shape (n,)
        Single-scattering probability per channel on a uniform axis whose
        first channel is 0 eV; sums to 1.
    t_over_lambda : float
        τ = t/λ, ≥ 0.

    Returns
    -------
    ndarray, shape (n,)
        Probability per channel; channel 0 holds the unscattered fraction
        exp(−τ). Padding to four times the length keeps wrap-around below
        the numerical noise for τ ≤ 5.
    """
    n = single.size
    padded = np.zeros(4 * n)
    padded[:n] = single
    transform = np.fft.rfft(padded)
    result = np.fft.irfft(np.exp(t_over_lambda * (transform - 1.0)), 4 * n)[:n]
    return np.clip(result, 0.0, None)


def low_loss_spectrum(
    energy_loss_ev,
    *,
    t_over_lambda: float,
    total_counts: float,
    beam_energy_kev: float = 200.0,
    collection_semiangle_mrad: float = 10.0,
    plasmon_energy_ev: float = 22.0,
    plasmon_width_ev: float = 6.0,
    zlp_fwhm_ev: float = 1.0,
    zlp_position_ev: float = 0.0,
    rng=None,
) -> np.ndarray:
    """A low-loss spectrum: Gaussian zero-loss peak ⊗ Poisson plural plasmon scattering.

    Parameters
    ----------
    energy_loss_ev : ndarray, shape (n,)
        Uniform axis, eV, containing 0 eV.
    t_over_lambda : float
        True τ = t/λ.
    total_counts : float
        Expected counts of the whole (untruncated) spectrum.
    beam_energy_kev, collection_semiangle_mrad : float
        E0 (keV) and β (mrad) of the angular factor.
    plasmon_energy_ev, plasmon_width_ev : float
        Drude E_p and Γ, eV.
    zlp_fwhm_ev : float
        Energy resolution, eV.
    zlp_position_ev : float
        Where the zero-loss peak lies (a misaligned spectrum), eV.
    rng : numpy.random.Generator, optional
        Poisson noise is drawn when given; expected counts otherwise.

    Returns
    -------
    ndarray, shape (n,)
        Counts per channel. The true zero-loss intensity is
        ``total_counts * exp(-t_over_lambda)``.
    """
    energy = np.asarray(energy_loss_ev, dtype=float)
    step = (energy[-1] - energy[0]) / (energy.size - 1)
    n_loss = int(np.ceil((energy[-1] - min(energy[0], 0.0)) / step)) + 1
    loss_axis = step * np.arange(4 * n_loss)
    single = drude_single_scattering(
        loss_axis,
        plasmon_energy_ev=plasmon_energy_ev,
        plasmon_width_ev=plasmon_width_ev,
        beam_energy_kev=beam_energy_kev,
        collection_semiangle_mrad=collection_semiangle_mrad,
    )
    distribution = plural_scattering(single, t_over_lambda)
    sigma = zlp_fwhm_ev / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    half = int(np.ceil(8 * sigma / step)) + 1
    # kernel[j] is the Gaussian at energy[0] + j*step - zlp_position, for j covering the output
    offsets = energy[0] + step * np.arange(-4 * n_loss, energy.size + half) - zlp_position_ev
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    full = fftconvolve(kernel, distribution)
    # output channel i collects loss channel k through kernel index i + 4 n_loss - k
    expected = total_counts * full[4 * n_loss : 4 * n_loss + energy.size]
    expected = np.clip(expected, 0.0, None)
    return expected if rng is None else rng.poisson(expected).astype(float)


def power_law(energy_loss_ev, amplitude: float, exponent: float) -> np.ndarray:
    """Background A·E^(−r) (Egerton 2011, §4.4.2), energy in eV."""
    return amplitude * np.asarray(energy_loss_ev, dtype=float) ** (-exponent)


def core_loss_edge(
    energy_loss_ev,
    onset_ev: float,
    *,
    exponent: float = 3.0,
    width_ev: float = 1.0,
    white_lines_ev: tuple[float, ...] = (),
    white_line_width_ev: float = 2.0,
    white_line_strength: float = 0.0,
) -> np.ndarray:
    """A saw-tooth core-loss edge with optional white lines, unit step height.

    (E/E_onset)^(−r) above a smooth (error-function) onset of ``width_ev``,
    plus Lorentzian white lines of height ``white_line_strength`` (in units
    of the step) at ``white_lines_ev`` — the shape of L2,3 and M4,5 edges of
    transition metals and Ba (Egerton 2011, §3.6.3).
    """
    from scipy.special import erf

    energy = np.asarray(energy_loss_ev, dtype=float)
    step = 0.5 * (1.0 + erf((energy - onset_ev) / (np.sqrt(2.0) * width_ev)))
    tail = (np.clip(energy, onset_ev, None) / onset_ev) ** (-exponent)
    edge = step * tail
    hw = white_line_width_ev / 2.0
    for line in white_lines_ev:
        edge = edge + white_line_strength * hw**2 / ((energy - line) ** 2 + hw**2)
    return edge
