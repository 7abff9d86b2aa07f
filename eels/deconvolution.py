"""Fourier-log deconvolution: removing plural scattering from a low-loss spectrum.

With Poisson plural scattering the measured spectrum is
J(ν) = Z(ν) exp(S(ν)/I0) in Fourier space, Z the zero-loss peak and S the
single-scattering distribution (SSD). Hence

    S(ν) = I0 · G(ν) · ln[J(ν) / Z(ν)],

where G is the transform of a unit-area Gaussian (the reconvolution
function, of the zero-loss width) that keeps the noise from being amplified
(Egerton, *Electron Energy-Loss Spectroscopy in the Electron Microscope*,
3rd ed., Springer 2011, §4.2.1, eqs. 4.8–4.11, doi:10.1007/978-1-4419-9583-4;
Johnson & Spence, J. Phys. D 7 (1974) 771, doi:10.1088/0022-3727/7/6/304).
The complex logarithm is taken with an unwrapped phase. To avoid the step at
the end of the recorded range, the spectrum is continued to zero by a
half-cosine over a quarter of its length inside the zero padding.
"""

from __future__ import annotations

import numpy as np

from ssbkit.errors import FitError

from eels.data import EELSData
from eels.zero_loss import ZLP_MAX_OFFSET_EV, ZeroLossPeak, _index_of, zero_loss_peak

__all__ = ["fourier_log_deconvolution"]


def _continued(spectrum: np.ndarray, length: int) -> np.ndarray:
    n = spectrum.size
    tail = n // 4
    out = np.zeros(length)
    out[:n] = spectrum
    out[n : n + tail] = spectrum[-1] * 0.5 * (1 + np.cos(np.pi * np.arange(1, tail + 1) / tail))
    return out


def fourier_log_deconvolution(
    data: EELSData,
    *,
    threshold_ev=None,
    zlp_method: str = "minimum",
    reconvolution_fwhm_ev: float | None = None,
    zlp_max_offset_ev: float = ZLP_MAX_OFFSET_EV,
) -> EELSData:
    """Single-scattering distribution of each low-loss spectrum (Egerton 2011, §4.2.1).

    Parameters
    ----------
    data : EELSData
        Low-loss data whose axis contains 0 eV and the zero-loss peak.
    threshold_ev : float or ndarray, optional
        Where the zero-loss peak ends, eV; found with ``zlp_method`` when omitted.
        The zero-loss peak Z is the spectrum below the cut.
    zlp_method : {"minimum", "exspy"}
        Cut convention (see :mod:`eels.zero_loss`).
    reconvolution_fwhm_ev : float, optional
        FWHM of the Gaussian reconvolution function, eV; the measured
        zero-loss FWHM when omitted.
    zlp_max_offset_ev : float
        Largest accepted distance of the zero-loss peak from 0 eV, eV.

    Raises
    ------
    FitError
        When no zero-loss cut is found in some spectrum (pass ``threshold_ev``).

    Returns
    -------
    EELSData
        Same axes; counts are the SSD (zero-loss removed), on the loss scale
        of the input (the zero-loss position is kept at its energy). The
        sum of the SSD divided by I0 is t/λ.
    """
    zlp = zero_loss_peak(data, threshold_ev=threshold_ev, method=zlp_method, max_offset_ev=zlp_max_offset_ev)
    return _deconvolve(data, zlp, reconvolution_fwhm_ev)


def _deconvolve(data: EELSData, zlp: ZeroLossPeak, reconvolution_fwhm_ev: float | None) -> EELSData:
    """The SSD of each spectrum of ``data`` given its zero-loss peak (see the module docstring)."""
    energy = data.energy_loss_ev
    n = energy.size
    step = data.dispersion_ev_per_channel
    length = 1 << int(np.ceil(np.log2(2 * n)))
    freq = np.fft.rfftfreq(length)
    counts = data.counts.reshape(-1, n)
    thresholds = np.broadcast_to(zlp.threshold_ev, data.navigation_shape).ravel()
    positions = np.broadcast_to(zlp.position_ev, data.navigation_shape).ravel()
    widths = np.broadcast_to(zlp.fwhm_ev, data.navigation_shape).ravel()
    missing = np.nonzero(~np.isfinite(thresholds))[0]
    if missing.size:
        raise FitError(
            f"{data.source or 'data'}: no zero-loss cut found in spectra {missing.tolist()[:10]}; "
            "pass threshold_ev"
        )
    out = np.empty_like(counts)
    for i, (spectrum, thr, pos, width) in enumerate(zip(counts, thresholds, positions, widths)):
        cut = min(max(_index_of(energy, thr), 1), n)
        zero = np.zeros(length)
        zero[:cut] = spectrum[:cut]
        i0 = zero.sum()
        j_nu = np.fft.rfft(_continued(spectrum, length))
        z_nu = np.fft.rfft(zero)
        ratio = j_nu / z_nu
        log_ratio = np.log(np.abs(ratio)) + 1j * np.unwrap(np.angle(ratio))
        fwhm = reconvolution_fwhm_ev or (width if np.isfinite(width) else 2 * step)
        sigma_channels = fwhm / step / (2 * np.sqrt(2 * np.log(2)))
        gauss = np.exp(-2 * (np.pi * freq * sigma_channels) ** 2)
        # move loss 0 to the zero-loss position on the input axis (sub-channel shift)
        shift = (energy[0] - pos) / step
        ssd = np.fft.irfft(i0 * gauss * log_ratio * np.exp(2j * np.pi * freq * shift), length)
        out[i] = ssd[:n]
    return data.replace(counts=out.reshape(data.counts.shape), title=(data.title + " SSD").strip())
