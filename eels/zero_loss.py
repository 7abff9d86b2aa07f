"""The zero-loss peak: position, energy resolution, alignment and where to cut it.

Which peak is the zero loss: the lowest-energy peak of the spectrum whose
prominence is at least 2 % of the spectrum's maximum, not the largest
channel. In a thick specimen (t/λ above about 1.5–2, depending on the
energy resolution and the plasmon width) the first plasmon or the plural
scattering maximum is taller than the zero-loss peak, but nothing but noise
lies below the zero loss (Egerton 2011, §4.1). The peak must lie within
``max_offset_ev`` (default ±6 eV) of 0 eV, so that an uncalibrated axis
works while a spectrum whose zero loss lies outside the range is refused
(:class:`ssbkit.errors.FitError`) instead of taking a plasmon for it.

The zero-loss intensity I0 that the log-ratio thickness needs is the sum of
the channels below a cut ``threshold_ev`` that separates the elastic peak
from the inelastic spectrum (Egerton, *Electron Energy-Loss Spectroscopy in
the Electron Microscope*, 3rd ed., Springer 2011, §5.1,
doi:10.1007/978-1-4419-9583-4). Two conventions for the cut are offered:

``"minimum"``
    the first minimum after the zero-loss peak of the spectrum smoothed
    over one FWHM, searched from where the peak has fallen below 10 % of
    its height up to the first inelastic maximum; Egerton's choice. A
    minimum counts only when the curve rises out of it by more than five
    standard deviations of its noise, so that noise in the flat valley of a
    thin specimen does not cut the peak's tail;
``"exspy"``
    the point of flattest slope between 1 and 10 eV on a zero-calibrated
    axis (a warning is raised when the peak lies more than 1 eV off 0 eV:
    align first), the automatic threshold of exspy 0.3
    (``EELSSpectrum.estimate_elastic_scattering_threshold`` with its
    defaults: window 10 eV, start 1 eV, Savitzky-Golay window 5 channels,
    order 3; one tolerance, the largest per-spectrum minimum of
    |slope|, for all spectra), so that numbers can be compared like for like.

Channel ``k`` lies below the cut when ``k < round((threshold - E_0) / dE)``
(the way HyperSpy turns an energy into a channel index for slicing).
"""

from __future__ import annotations

from dataclasses import dataclass

import warnings

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks, savgol_filter

from ssbkit.errors import FitError

from eels.data import EELSData, json_stat

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

#: Default largest distance of the zero-loss peak from 0 eV, eV.
ZLP_MAX_OFFSET_EV = 6.0

#: A valley minimum counts when the smoothed spectrum rises this many noise σ out of it.
NOISE_SIGMAS = 3.0

#: A zero-loss candidate must stand out by this fraction of the spectrum's maximum.
_MIN_PROMINENCE = 0.02


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


def _zlp_channels(data: EELSData, max_offset_ev: float = ZLP_MAX_OFFSET_EV) -> np.ndarray:
    """Channel of the zero-loss maximum of each spectrum (see the module docstring).

    Raises
    ------
    FitError
        When the lowest prominent peak of some spectrum lies more than
        ``max_offset_ev`` from 0 eV.
    """
    if not np.isfinite(max_offset_ev) or max_offset_ev <= 0:
        raise ValueError(f"max_offset_ev={max_offset_ev!r} must be finite and > 0")
    energy = data.energy_loss_ev
    counts = _flat(data)
    out = np.empty(counts.shape[0], dtype=int)
    for n, spectrum in enumerate(counts):
        top = float(spectrum.max())
        peaks, _ = find_peaks(spectrum, prominence=_MIN_PROMINENCE * top) if top > 0 else ([], None)
        # the lowest-energy prominent peak; the largest channel when there is no interior peak
        out[n] = int(peaks[0]) if len(peaks) else int(np.argmax(spectrum))
        if abs(energy[out[n]]) > max_offset_ev:
            raise FitError(
                f"{data.source or 'spectrum'}: no zero-loss peak within ±{max_offset_ev:g} eV of 0 eV "
                f"(the lowest-energy peak of spectrum {n} lies at {energy[out[n]]:.2f} eV); "
                "calibrate the energy axis or pass a larger max_offset_ev"
            )
    return out


def _subchannel(energy: np.ndarray, counts: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Parabola through channel k and its neighbours: the sub-channel peak position, eV."""
    k = np.clip(k, 1, energy.size - 2)
    rows = np.arange(counts.shape[0])
    left, mid, right = counts[rows, k - 1], counts[rows, k], counts[rows, k + 1]
    curvature = left - 2 * mid + right
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(curvature < 0, 0.5 * (left - right) / curvature, 0.0)
    delta = np.clip(delta, -0.5, 0.5)
    step = np.gradient(energy)[k]
    return energy[k] + delta * step


def zero_loss_position(data: EELSData, *, max_offset_ev: float = ZLP_MAX_OFFSET_EV) -> np.ndarray:
    """Energy of the zero-loss maximum of each spectrum, eV.

    The zero-loss peak is the lowest-energy prominent peak, not the largest
    channel (see the module docstring), so that the plasmon of a thick
    specimen is not taken for it. Its maximum channel and the two
    neighbours are fitted with a parabola, so the position is sub-channel.

    Parameters
    ----------
    data : EELSData
        Low-loss data whose axis contains 0 eV.
    max_offset_ev : float
        Largest accepted distance of the peak from 0 eV, eV.

    Returns
    -------
    ndarray, shape navigation_shape
        Peak position, eV.

    Raises
    ------
    FitError
        When the axis does not contain 0 eV, or no peak lies within
        ``max_offset_ev`` of it.

    Examples
    --------
    >>> import numpy as np
    >>> from eels import EELSData
    >>> from eels.synthetic import low_loss_spectrum
    >>> e = np.arange(-10, 200, 0.1)
    >>> thick = low_loss_spectrum(e, t_over_lambda=3.0, total_counts=1e6, zlp_fwhm_ev=2.0,
    ...                           plasmon_energy_ev=15.0, plasmon_width_ev=3.0, zlp_position_ev=-2.3)
    >>> round(float(e[np.argmax(thick)]), 1)  # the largest channel is a plasmon
    12.6
    >>> round(float(zero_loss_position(EELSData(e, thick))), 2)
    -2.3
    """
    _require_zlp(data)
    counts = _flat(data)
    k = _zlp_channels(data, max_offset_ev)
    return _subchannel(data.energy_loss_ev, counts, k).reshape(data.navigation_shape)


def _fwhm(energy: np.ndarray, spectrum: np.ndarray, k: int) -> float:
    """Full width at half maximum of the peak whose top is channel ``k``, eV."""
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


def _first_valley(smooth: np.ndarray, raw: np.ndarray, window: int) -> int:
    """Index of the first minimum of ``smooth`` that the curve rises clearly out of.

    Walks from the start keeping the running minimum; the first point that
    lies more than five noise standard deviations of the smoothed curve
    above it ends the valley. The noise is estimated from the second
    differences of the raw counts (var = 6 σ² for independent channels),
    capped at the Poisson noise of the valley's counts, so a noise-free
    spectrum cuts at its exact first minimum. Noise in a flat valley (a thin specimen) then
    does not end the walk on the zero-loss tail.
    """
    second = np.diff(raw, 2)
    if second.size:
        mad = float(np.median(np.abs(second - np.median(second))))
        sigma = 1.4826 * mad / np.sqrt(6.0 * window)
        # real fine structure on coarse channels also makes second differences: never
        # take more than the Poisson noise of the valley's counts
        sigma = min(sigma, float(np.sqrt(max(np.min(smooth), 0.0) / window)))
    else:
        sigma = 0.0
    running = np.minimum.accumulate(smooth)
    above = np.nonzero(smooth - running > NOISE_SIGMAS * sigma)[0]
    stop = int(above[0]) if above.size else smooth.size
    return int(np.argmin(smooth[:stop]))


def _threshold_minimum(energy: np.ndarray, counts: np.ndarray, fwhm: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    step = (energy[-1] - energy[0]) / (energy.size - 1)
    out = np.full(counts.shape[0], np.nan)
    for n, (spectrum, width, peak) in enumerate(zip(counts, fwhm, peaks)):
        window = max(1, int(round((width if np.isfinite(width) else step) / step)))
        smooth = uniform_filter1d(spectrum, window, mode="nearest")
        low = np.nonzero(smooth[peak:] < 0.1 * spectrum[peak])[0]
        if low.size == 0:
            continue
        start = peak + low[0]
        rest = smooth[start:]
        if rest.size < 3:
            continue
        # the valley ends at the first inelastic maximum: the first peak standing out by at
        # least a tenth of the most prominent one (the descending zero-loss tail is no peak)
        maxima, props = find_peaks(rest, prominence=0.0)
        if maxima.size:
            maxima = maxima[props["prominences"] >= 0.1 * props["prominences"].max()]
        end = int(maxima[0]) if maxima.size else int(np.argmax(rest))
        if end == 0:
            continue  # no valley: the spectrum never rises again after the peak
        valley = _first_valley(rest[: end + 1], spectrum[start : start + end + 1], window)
        out[n] = energy[start + valley]
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


def _exspy_window_check(data: EELSData, positions: np.ndarray) -> None:
    off = float(np.max(np.abs(positions)))
    if off > 1.0:
        warnings.warn(
            f"{data.source or 'spectrum'}: the zero-loss peak lies up to {off:.2f} eV off 0 eV, so the "
            "1-10 eV window of the exspy threshold convention is not where it should be; "
            "align the spectra first (align_zero_loss) or use method='minimum'",
            UserWarning,
            stacklevel=3,
        )


def zero_loss_threshold(
    data: EELSData, *, method: str = "minimum", max_offset_ev: float = ZLP_MAX_OFFSET_EV
) -> np.ndarray:
    """Energy at which the zero-loss peak is cut, eV, for each spectrum.

    Parameters
    ----------
    data : EELSData
        Low-loss data. For ``method="exspy"`` the axis must be calibrated so
        that the peak lies at 0 eV (see :func:`align_zero_loss`).
    method : {"minimum", "exspy"}
        Cut convention (see the module docstring).
    max_offset_ev : float
        Largest accepted distance of the zero-loss peak from 0 eV, eV.

    Returns
    -------
    ndarray, shape navigation_shape
        Cut energy, eV; NaN where no cut could be found.
    """
    _check_method(method)
    _require_zlp(data)
    counts = _flat(data)
    peaks = _zlp_channels(data, max_offset_ev)
    if method == "exspy":
        _exspy_window_check(data, data.energy_loss_ev[peaks])
        out = _threshold_exspy(data.energy_loss_ev, counts)
    else:
        widths = np.array([_fwhm(data.energy_loss_ev, s, k) for s, k in zip(counts, peaks)])
        out = _threshold_minimum(data.energy_loss_ev, counts, widths, peaks)
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


def align_zero_loss(
    data: EELSData, *, subchannel: bool = True, max_offset_ev: float = ZLP_MAX_OFFSET_EV
) -> EELSData:
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
        ``align_zero_loss_peak(subpixel=False)`` does (exspy takes the
        largest channel; here it is the zero-loss peak's, see the module
        docstring, which is the same for t/λ below about 1.5).
    max_offset_ev : float
        Largest accepted distance of the zero-loss peak from 0 eV, eV.

    Returns
    -------
    EELSData
        The aligned data (a new object).
    """
    _require_zlp(data)
    energy = data.energy_loss_ev
    peaks = _zlp_channels(data, max_offset_ev)
    if subchannel:
        positions = _subchannel(energy, _flat(data), peaks)
    else:
        positions = energy[peaks]
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
            "zlp_position_ev": json_stat(self.position_ev),
            "zlp_fwhm_ev": json_stat(self.fwhm_ev),
            "zlp_threshold_ev": json_stat(self.threshold_ev),
            "zlp_intensity_counts": json_stat(self.intensity),
            "total_intensity_counts": json_stat(self.total_intensity),
            "zlp_method": self.method,
        }


def zero_loss_peak(
    data: EELSData, *, threshold_ev=None, method: str = "minimum", max_offset_ev: float = ZLP_MAX_OFFSET_EV
) -> ZeroLossPeak:
    """Locate and integrate the zero-loss peak of each spectrum.

    Parameters
    ----------
    data : EELSData
        Low-loss data whose axis contains 0 eV.
    threshold_ev : float or ndarray, optional
        Cut energy, eV; found by ``method`` when omitted.
    method : {"minimum", "exspy"}
        Cut convention when ``threshold_ev`` is not given.
    max_offset_ev : float
        Largest accepted distance of the zero-loss peak from 0 eV, eV.

    Returns
    -------
    ZeroLossPeak

    Raises
    ------
    FitError
        When the axis does not contain 0 eV or no peak lies within
        ``max_offset_ev`` of it.
    """
    _check_method(method)
    _require_zlp(data)
    counts = _flat(data)
    energy = data.energy_loss_ev
    peaks = _zlp_channels(data, max_offset_ev)
    widths = np.array([_fwhm(energy, s, k) for s, k in zip(counts, peaks)])
    if threshold_ev is not None:
        threshold = np.broadcast_to(np.asarray(threshold_ev, dtype=float), data.navigation_shape).copy()
        method = "given"
    elif method == "minimum":
        threshold = _threshold_minimum(energy, counts, widths, peaks).reshape(data.navigation_shape)
    else:
        _exspy_window_check(data, energy[peaks])
        threshold = _threshold_exspy(energy, counts).reshape(data.navigation_shape)
    fwhm = widths.reshape(data.navigation_shape)
    return ZeroLossPeak(
        position_ev=_subchannel(energy, counts, peaks).reshape(data.navigation_shape),
        fwhm_ev=fwhm,
        threshold_ev=threshold,
        intensity=zero_loss_intensity(data, threshold),
        total_intensity=counts.sum(axis=1).reshape(data.navigation_shape),
        method=method,
    )
