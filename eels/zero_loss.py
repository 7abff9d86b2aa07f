"""The zero-loss peak: position, energy resolution, alignment and where to cut it.

The zero-loss intensity I0 that the log-ratio thickness needs is the sum of
the channels below a cut ``threshold_ev`` that separates the elastic peak
from the inelastic spectrum (Egerton, *Electron Energy-Loss Spectroscopy in
the Electron Microscope*, 3rd ed., Springer 2011, §5.1,
doi:10.1007/978-1-4419-9583-4). Two conventions for the cut are offered:

``"minimum"``
    the first minimum after the peak of the spectrum smoothed over one
    FWHM, searched from where the peak has fallen below 10 % of its
    maximum; Egerton's choice;
``"exspy"``
    the point of flattest slope between 1 and 10 eV on a zero-calibrated
    axis, the automatic threshold of exspy 0.3
    (``EELSSpectrum.estimate_elastic_scattering_threshold`` with its
    defaults: window 10 eV, start 1 eV, Savitzky-Golay window 5 channels,
    order 3; one tolerance, the largest per-spectrum minimum of
    |slope|, for all spectra), so that numbers can be compared like for like.

Channel ``k`` lies below the cut when ``k < round((threshold - E_0) / dE)``
(the way HyperSpy turns an energy into a channel index for slicing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import savgol_filter

from ssbkit.errors import FitError

from eels.data import EELSData, json_number

__all__ = [
    "ZLP_METHODS",
    "ZeroLossPeak",
    "zero_loss_peak",
    "zero_loss_position",
    "zero_loss_threshold",
    "zero_loss_intensity",
    "align_zero_loss",
]

ZLP_METHODS = ("minimum", "exspy")


def _check_method(method: str) -> None:
    if method not in ZLP_METHODS:
        raise ValueError(f"zlp_method={method!r} is not one of {ZLP_METHODS}")


def _flat(data: EELSData) -> np.ndarray:
    return data.counts.reshape(-1, data.energy_loss_ev.size)


def _require_zlp(data: EELSData) -> None:
    energy = data.energy_loss_ev
    if not energy[0] < 0.0 < energy[-1]:
        raise FitError(
            f"{data.source or 'spectrum'}: the energy axis {energy[0]:.1f}..{energy[-1]:.1f} eV "
            "does not contain 0 eV, so it holds no zero-loss peak"
        )


def zero_loss_position(data: EELSData) -> np.ndarray:
    """Energy of the zero-loss maximum of each spectrum, eV.

    The maximum channel and its two neighbours are fitted with a parabola, so
    the position is sub-channel.

    Parameters
    ----------
    data : EELSData
        Low-loss data whose axis contains 0 eV.

    Returns
    -------
    ndarray, shape navigation_shape
        Peak position, eV.
    """
    _require_zlp(data)
    counts = _flat(data)
    energy = data.energy_loss_ev
    k = np.clip(np.argmax(counts, axis=1), 1, energy.size - 2)
    rows = np.arange(counts.shape[0])
    left, mid, right = counts[rows, k - 1], counts[rows, k], counts[rows, k + 1]
    curvature = left - 2 * mid + right
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(curvature < 0, 0.5 * (left - right) / curvature, 0.0)
    delta = np.clip(delta, -0.5, 0.5)
    step = np.gradient(energy)[k]
    return (energy[k] + delta * step).reshape(data.navigation_shape)


def _fwhm(energy: np.ndarray, spectrum: np.ndarray) -> float:
    k = int(np.argmax(spectrum))
    half = spectrum[k] / 2.0
    below_left = np.nonzero(spectrum[:k] < half)[0]
    below_right = np.nonzero(spectrum[k:] < half)[0]
    if below_left.size == 0 or below_right.size == 0:
        return float("nan")
    i = below_left[-1]
    j = k + below_right[0]
    e_left = np.interp(half, spectrum[i : i + 2], energy[i : i + 2])
    e_right = np.interp(half, spectrum[j - 1 : j + 1][::-1], energy[j - 1 : j + 1][::-1])
    return float(e_right - e_left)


def _index_of(energy: np.ndarray, value: float) -> int:
    """Channel index of ``value`` rounded half away from zero (HyperSpy's rule)."""
    step = (energy[-1] - energy[0]) / (energy.size - 1)
    x = (value - energy[0]) / step
    return int(np.sign(x) * np.floor(abs(x) + 0.5))


def _threshold_minimum(energy: np.ndarray, counts: np.ndarray, fwhm: np.ndarray) -> np.ndarray:
    step = (energy[-1] - energy[0]) / (energy.size - 1)
    out = np.full(counts.shape[0], np.nan)
    for n, (spectrum, width) in enumerate(zip(counts, fwhm)):
        window = max(1, int(round((width if np.isfinite(width) else step) / step)))
        smooth = uniform_filter1d(spectrum, window, mode="nearest")
        peak = int(np.argmax(spectrum))
        low = np.nonzero(smooth[peak:] < 0.1 * spectrum[peak])[0]
        if low.size == 0:
            continue
        start = peak + low[0]
        rising = np.nonzero(np.diff(smooth[start:]) > 0)[0]
        if rising.size:
            out[n] = energy[start + rising[0]]
    return out


def _threshold_exspy(energy: np.ndarray, counts: np.ndarray) -> np.ndarray:
    lo, hi = _index_of(energy, 1.0), _index_of(energy, 10.0)
    if hi < lo + 10:
        raise FitError("the 1-10 eV window of the exspy threshold convention holds under 10 channels")
    segment = counts[:, lo:hi]
    step = (energy[-1] - energy[0]) / (energy.size - 1)
    slope = savgol_filter(segment, 5, 3, deriv=1, delta=step, axis=1)
    tol = np.max(np.abs(slope).min(axis=1))
    first = np.argmax(np.abs(slope) <= tol, axis=1)
    out = energy[lo:hi][first].astype(float)
    out[first == 0] = np.nan
    return out


def zero_loss_threshold(data: EELSData, *, method: str = "minimum") -> np.ndarray:
    """Energy at which the zero-loss peak is cut, eV, for each spectrum.

    Parameters
    ----------
    data : EELSData
        Low-loss data. For ``method="exspy"`` the axis must be calibrated so
        that the peak lies at 0 eV (see :func:`align_zero_loss`).
    method : {"minimum", "exspy"}
        Cut convention (see the module docstring).

    Returns
    -------
    ndarray, shape navigation_shape
        Cut energy, eV; NaN where no cut could be found.
    """
    _check_method(method)
    _require_zlp(data)
    counts = _flat(data)
    if method == "exspy":
        out = _threshold_exspy(data.energy_loss_ev, counts)
    else:
        widths = np.array([_fwhm(data.energy_loss_ev, s) for s in counts])
        out = _threshold_minimum(data.energy_loss_ev, counts, widths)
    return out.reshape(data.navigation_shape)


def zero_loss_intensity(data: EELSData, threshold_ev) -> np.ndarray:
    """Counts below the cut: the zero-loss intensity I0 of each spectrum.

    Parameters
    ----------
    data : EELSData
        Low-loss data.
    threshold_ev : float or ndarray of shape navigation_shape
        Cut energy, eV (one for all spectra, or one per spectrum).

    Returns
    -------
    ndarray, shape navigation_shape
        Sum of the channels ``k < round((threshold - E_0) / dE)``; NaN where
        the threshold is NaN.
    """
    counts = _flat(data)
    thresholds = np.broadcast_to(np.asarray(threshold_ev, dtype=float), data.navigation_shape).ravel()
    cumulative = np.concatenate([np.zeros((counts.shape[0], 1)), np.cumsum(counts, axis=1)], axis=1)
    out = np.full(counts.shape[0], np.nan)
    for n, thr in enumerate(thresholds):
        if np.isfinite(thr):
            k = min(max(_index_of(data.energy_loss_ev, thr), 0), data.energy_loss_ev.size)
            out[n] = cumulative[n, k]
    return out.reshape(data.navigation_shape)


def align_zero_loss(data: EELSData, *, subchannel: bool = True) -> EELSData:
    """Shift every spectrum so that its zero-loss peak lies at 0 eV.

    A single spectrum only gets its axis recalibrated. In a line scan or
    spectrum image each spectrum is moved onto a common axis by linear
    interpolation (``subchannel=True``) or by whole channels, and the axis
    is cropped to the range that every shifted spectrum covers.

    Parameters
    ----------
    data : EELSData
        Low-loss data whose axis contains 0 eV.
    subchannel : bool
        Use the sub-channel (parabola) peak position; when False the
        maximum channel itself is put at 0 eV, as exspy 0.3's
        ``align_zero_loss_peak(subpixel=False)`` does.

    Returns
    -------
    EELSData
        The aligned data (a new object).
    """
    _require_zlp(data)
    energy = data.energy_loss_ev
    if subchannel:
        positions = zero_loss_position(data).ravel()
    else:
        positions = energy[np.argmax(_flat(data), axis=1)]
    reference = float(np.mean(positions))
    if positions.size == 1:
        return data.replace(energy_loss_ev=energy - reference)
    step = (energy[-1] - energy[0]) / (energy.size - 1)
    shifts = positions - reference
    if not subchannel:
        shifts = np.round(shifts / step) * step
    tiny = 1e-9 * step
    keep = (energy + shifts.min() >= energy[0] - tiny) & (energy + shifts.max() <= energy[-1] + tiny)
    target = energy[keep]
    counts = _flat(data)
    moved = np.stack([np.interp(target + s, energy, c) for s, c in zip(shifts, counts)])
    return data.replace(
        energy_loss_ev=target - reference,
        counts=moved.reshape(data.navigation_shape + (target.size,)),
    )


@dataclass(frozen=True)
class ZeroLossPeak:
    """The zero-loss peak of each spectrum.

    Attributes
    ----------
    position_ev : ndarray, shape navigation_shape
        Peak position, eV (sub-channel).
    fwhm_ev : ndarray, shape navigation_shape
        Full width at half maximum: the energy resolution, eV.
    threshold_ev : ndarray, shape navigation_shape
        Where the peak was cut, eV.
    intensity : ndarray, shape navigation_shape
        Zero-loss intensity I0, counts.
    total_intensity : ndarray, shape navigation_shape
        Sum of all channels I_t, counts.
    method : str
        Cut convention used (``"minimum"``, ``"exspy"`` or ``"given"``).
    """

    position_ev: np.ndarray
    fwhm_ev: np.ndarray
    threshold_ev: np.ndarray
    intensity: np.ndarray
    total_intensity: np.ndarray
    method: str

    def summary(self) -> dict:
        """Mean values over the spectra, units in the keys; None where undefined."""
        return {
            "zlp_position_ev": json_number(np.nanmean(self.position_ev)),
            "zlp_fwhm_ev": json_number(np.nanmean(self.fwhm_ev)),
            "zlp_threshold_ev": json_number(np.nanmean(self.threshold_ev)),
            "zlp_intensity_counts": json_number(np.nanmean(self.intensity)),
            "total_intensity_counts": json_number(np.nanmean(self.total_intensity)),
            "zlp_method": self.method,
        }


def zero_loss_peak(data: EELSData, *, threshold_ev=None, method: str = "minimum") -> ZeroLossPeak:
    """Locate and integrate the zero-loss peak of each spectrum.

    Parameters
    ----------
    data : EELSData
        Low-loss data whose axis contains 0 eV.
    threshold_ev : float or ndarray, optional
        Cut energy, eV; found by ``method`` when omitted.
    method : {"minimum", "exspy"}
        Cut convention when ``threshold_ev`` is not given.

    Returns
    -------
    ZeroLossPeak
    """
    _check_method(method)
    _require_zlp(data)
    counts = _flat(data)
    widths = np.array([_fwhm(data.energy_loss_ev, s) for s in counts])
    if threshold_ev is not None:
        threshold = np.broadcast_to(np.asarray(threshold_ev, dtype=float), data.navigation_shape).copy()
        method = "given"
    elif method == "minimum":
        threshold = _threshold_minimum(data.energy_loss_ev, counts, widths).reshape(data.navigation_shape)
    else:
        threshold = zero_loss_threshold(data, method=method)
    fwhm = widths.reshape(data.navigation_shape)
    return ZeroLossPeak(
        position_ev=zero_loss_position(data),
        fwhm_ev=fwhm,
        threshold_ev=threshold,
        intensity=zero_loss_intensity(data, threshold),
        total_intensity=counts.sum(axis=1).reshape(data.navigation_shape),
        method=method,
    )
