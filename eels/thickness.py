"""Specimen thickness by the log-ratio method.

t/λ = ln(I_t / I_0), with I_t the counts of the whole spectrum and I_0 the
zero-loss counts (Egerton, *Electron Energy-Loss Spectroscopy in the
Electron Microscope*, 3rd ed., Springer 2011, §5.1,
doi:10.1007/978-1-4419-9583-4); t follows with λ from
:func:`eels.mean_free_path.mean_free_path`.

Where the number can mislead, a :class:`ThicknessWarning` is raised and the
result's ``quality`` says so:

* t/λ above 3 (``"warning"``) or 4 (``"poor"``): the zero-loss peak holds
  under 5 % (2 %) of the electrons, so its noise, the cut and any
  non-Poisson (surface, retardation) scattering weigh heavily, and the
  spectrum must reach several hundred eV (Egerton 2011, §5.1.1, who gives
  the log-ratio method as reliable up to t/λ ≈ 3–4);
* a range too short for the plural scattering of that thickness: the
  counts beyond the last channel are missing from I_t, so t/λ comes out
  low. The missing counts are estimated by a power law A·E^(−r) fitted to
  the last 15 % (at least 20 eV) of the loss range and integrated to
  infinity, ∫ A E^(−r) dE = A E_end^(1−r)/(r−1); when the tail does not yet
  decay faster than E^(−2) (the plural-scattering maximum is near or past
  the end, or a dark offset or edges flatten it) r = 3 is used, the
  high-energy decay of the Drude loss function Im[−1/ε] ∝ E^(−3)
  (Egerton 2011, eq. 3.43). Checked on synthetic Drude spectra cut at
  60–250 eV: the estimate is within a factor of about 2.5 of the true bias.
  Above 5 % of t/λ the result is ``"warning"``, above 15 % ``"poor"``
  (the real spectra of exspy and hyperspy-demos give 2–12 %: real tails
  carry core edges and offsets, so the estimate is an upper figure there).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ssbkit.errors import CalibrationError

from eels.core_loss import fit_power_law
from eels.data import EELSData, json_stat
from eels.mean_free_path import mean_free_path
from eels.zero_loss import ZLP_MAX_OFFSET_EV, ZeroLossPeak, zero_loss_intensity, zero_loss_peak

__all__ = [
    "ThicknessWarning",
    "relative_thickness",
    "relative_thickness_error",
    "truncation_bias",
    "thickness_quality",
    "Thickness",
    "thickness",
]

#: t/λ above which the log-ratio result is flagged "warning" / "poor".
T_OVER_LAMBDA_WARNING = 3.0
T_OVER_LAMBDA_POOR = 4.0
#: Estimated relative truncation bias of t/λ above which the result is flagged "warning" / "poor".
TRUNCATION_WARNING = 0.05
TRUNCATION_POOR = 0.15


class ThicknessWarning(UserWarning):
    """The log-ratio t/λ may be biased: a very thick specimen or a too-short energy range."""


def truncation_bias(data: EELSData, zlp: ZeroLossPeak) -> np.ndarray:
    """Estimated t/λ lost because the spectrum ends before its plural scattering does.

    ln(1 + I_miss / I_t), with I_miss the counts beyond the last channel from
    a power law fitted to the end of the spectrum (see the module
    docstring). The measured t/λ is low by about this much.

    Parameters
    ----------
    data : EELSData
        Low-loss data.
    zlp : ZeroLossPeak
        Its zero-loss peak (positions and total intensities).

    Returns
    -------
    ndarray, shape navigation_shape
        Estimated bias, ≥ 0; NaN where the tail could not be fitted.
    """
    energy = data.energy_loss_ev
    step = data.dispersion_ev_per_channel
    counts = data.counts.reshape(-1, energy.size)
    positions = np.broadcast_to(zlp.position_ev, data.navigation_shape).ravel()
    totals = np.broadcast_to(zlp.total_intensity, data.navigation_shape).ravel()
    out = np.full(counts.shape[0], np.nan)
    for n, (spectrum, position, total) in enumerate(zip(counts, positions, totals)):
        loss = energy - position
        end = float(loss[-1])
        tail = loss >= end - max(20.0, 0.15 * end)
        tail &= loss > 0
        if tail.sum() < 5:
            continue
        fit = fit_power_law(loss[tail], spectrum[tail][None, :])
        if not fit.success[0]:
            continue
        exponent = max(float(fit.exponent[0]), 3.0)
        at_end = float(fit.amplitude[0]) * end ** (-float(fit.exponent[0]))
        missing = at_end * end / ((exponent - 1.0) * step)
        out[n] = np.log1p(max(missing, 0.0) / total)
    return out.reshape(data.navigation_shape)


def thickness_quality(t_over_lambda, bias) -> tuple[str, tuple[str, ...]]:
    """Verdict ("ok", "warning" or "poor") on log-ratio t/λ values, with its reasons.

    Parameters
    ----------
    t_over_lambda : ndarray
        Measured t/λ.
    bias : ndarray
        Estimated truncation bias of t/λ (:func:`truncation_bias`), same shape.

    Returns
    -------
    (str, tuple of str)
        ``"poor"`` with a reason when any t/λ is NaN (undetermined).
    """
    tau = np.atleast_1d(np.asarray(t_over_lambda, dtype=float))
    bias = np.atleast_1d(np.asarray(bias, dtype=float))
    reasons, level = [], 0
    undetermined = int(np.sum(~np.isfinite(tau)))
    if undetermined:
        level = 2
        reasons.append(
            f"t/λ undetermined in {undetermined} of {tau.size} spectra: no zero-loss cut was found "
            "(no inelastic signal beside the zero-loss peak, e.g. a zero-loss-only or vacuum spectrum); "
            "give threshold_ev or check the energy range"
        )
    top = float(np.nanmax(tau)) if np.any(np.isfinite(tau)) else float("nan")
    if top > T_OVER_LAMBDA_WARNING:
        level = max(level, 2 if top > T_OVER_LAMBDA_POOR else 1)
        reasons.append(
            f"t/λ = {top:.2f} > {T_OVER_LAMBDA_WARNING:g}: the log-ratio method loses accuracy on so thick "
            "a specimen (zero-loss peak under 5 % of the electrons); cross-check with "
            "kramers_kronig_thickness or measure a thinner region"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = bias / tau
    if np.any(np.isfinite(relative)):
        k = int(np.nanargmax(relative))
        if relative[k] > TRUNCATION_WARNING:
            level = max(level, 2 if relative[k] > TRUNCATION_POOR else 1)
            reasons.append(
                f"the energy range ends before the plural scattering of this thickness does: t/λ is "
                f"low by about {bias[k]:.3f} ({100 * relative[k]:.0f} %, estimated from the tail; "
                "record a longer range)"
            )
    return ("ok", "warning", "poor")[level], tuple(reasons)


def _warn(reasons, source) -> None:
    for reason in reasons:
        warnings.warn(f"{source or 'spectrum'}: {reason}", ThicknessWarning, stacklevel=3)


def relative_thickness(
    data: EELSData,
    *,
    threshold_ev=None,
    zlp_method: str = "minimum",
    zlp_max_offset_ev: float = ZLP_MAX_OFFSET_EV,
) -> np.ndarray:
    """t/λ = ln(I_t / I_0) of each spectrum (Egerton 2011, §5.1).

    Parameters
    ----------
    data : EELSData
        Low-loss data whose axis contains 0 eV.
    threshold_ev : float or ndarray, optional
        Where the zero-loss peak is cut, eV, on the data's axis; found with
        ``zlp_method`` when omitted (see :mod:`eels.zero_loss`).
    zlp_method : {"minimum", "exspy"}
        Cut convention when ``threshold_ev`` is not given.
    zlp_max_offset_ev : float
        Largest accepted distance of the zero-loss peak from 0 eV, eV.

    Returns
    -------
    ndarray, shape navigation_shape
        t/λ (a 0-d array for one spectrum); NaN where no cut was found.

    Warns
    -----
    ThicknessWarning
        Above t/λ = 3, or when the range is too short (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from eels import EELSData
    >>> from eels.synthetic import low_loss_spectrum
    >>> e = np.arange(-5, 200, 0.1)
    >>> counts = low_loss_spectrum(e, t_over_lambda=0.5, total_counts=1e6)
    >>> round(float(relative_thickness(EELSData(e, counts))), 2)
    0.5
    """
    zlp = zero_loss_peak(data, threshold_ev=threshold_ev, method=zlp_method, max_offset_ev=zlp_max_offset_ev)
    tau = np.log(zlp.total_intensity / zlp.intensity)
    _warn(thickness_quality(tau, truncation_bias(data, zlp))[1], data.source)
    return tau


def relative_thickness_error(zlp: ZeroLossPeak, data: EELSData) -> np.ndarray:
    """Standard uncertainty of t/λ: counting statistics and the position of the cut.

    Counting: with I_t = I_0 + I_in and Poisson counts,
    var(ln(I_t/I_0)) = I_in / (I_t I_0). The cut: half the change of t/λ
    when the cut moves by ± max(FWHM/2, one channel). The two add in
    quadrature.

    Parameters
    ----------
    zlp : ZeroLossPeak
        The zero-loss peak the t/λ was computed from.
    data : EELSData
        The same data.

    Returns
    -------
    ndarray, shape navigation_shape
    """
    total, zero = zlp.total_intensity, zlp.intensity
    counting = np.sqrt(np.clip(total - zero, 0, None) / (total * zero))
    delta = np.fmax(np.nan_to_num(zlp.fwhm_ev, nan=0.0) / 2.0, data.dispersion_ev_per_channel)
    low = zero_loss_intensity(data, zlp.threshold_ev - delta)
    high = zero_loss_intensity(data, zlp.threshold_ev + delta)
    cut = 0.5 * np.abs(np.log(total / low) - np.log(total / high))
    return np.hypot(counting, cut)


@dataclass(frozen=True)
class Thickness:
    """Log-ratio thickness of a low-loss measurement.

    Attributes
    ----------
    t_over_lambda, t_over_lambda_err : ndarray, shape navigation_shape
        t/λ and its standard uncertainty.
    mfp_nm, mfp_err_nm : float
        Mean free path λ and its assumed uncertainty, nm.
    thickness_nm, thickness_err_nm : ndarray, shape navigation_shape
        Absolute thickness t and its uncertainty, nm.
    zlp : ZeroLossPeak
        Zero-loss peak positions, widths, cuts and intensities.
    mfp_method : str
        ``"malis"`` or ``"iakoubovskii"``.
    composition : str or None
        Composition used for λ.
    density_g_cm3 : float or None
        Density used for λ.
    beam_energy_kev, collection_semiangle_mrad, convergence_semiangle_mrad : float
        Instrument parameters used (keV, mrad, mrad).
    energy_loss_ev : ndarray, shape (n_channels,)
        Energy axis, eV.
    mean_counts : ndarray, shape (n_channels,)
        Spectrum averaged over the scan, for plotting.
    position_nm : ndarray or None
        Positions along the first scan axis, nm, for a line scan.
    truncation_bias : ndarray, shape navigation_shape
        Estimated amount by which t/λ is low because the range ends early.
    quality : str
        ``"ok"``, ``"warning"`` or ``"poor"`` (see the module docstring).
    quality_reasons : tuple of str
        Why, when not ``"ok"``.
    """

    t_over_lambda: np.ndarray
    t_over_lambda_err: np.ndarray
    mfp_nm: float
    mfp_err_nm: float
    thickness_nm: np.ndarray
    thickness_err_nm: np.ndarray
    zlp: ZeroLossPeak
    mfp_method: str
    composition: str | None
    density_g_cm3: float | None
    beam_energy_kev: float
    collection_semiangle_mrad: float
    convergence_semiangle_mrad: float
    energy_loss_ev: np.ndarray
    mean_counts: np.ndarray
    position_nm: np.ndarray | None = None
    truncation_bias: np.ndarray | None = None
    quality: str = "ok"
    quality_reasons: tuple[str, ...] = ()

    def summary(self) -> dict:
        """Flat key numbers (means over the scan), units in the keys; None where undefined."""
        out = {
            "t_over_lambda": json_stat(self.t_over_lambda),
            "t_over_lambda_err": json_stat(self.t_over_lambda_err),
            "mfp_nm": float(self.mfp_nm),
            "mfp_err_nm": float(self.mfp_err_nm),
            "thickness_nm": json_stat(self.thickness_nm),
            "thickness_err_nm": json_stat(self.thickness_err_nm),
            "mfp_method": self.mfp_method,
            "beam_energy_kev": float(self.beam_energy_kev),
            "collection_semiangle_mrad": float(self.collection_semiangle_mrad),
            "n_spectra": int(np.size(self.t_over_lambda)),
            "truncation_bias_t_over_lambda": _largest(self.truncation_bias),
            "quality": self.quality,
            "quality_reasons": "; ".join(self.quality_reasons),
        }
        out.update(self.zlp.summary())
        if np.size(self.t_over_lambda) > 1:
            out["thickness_min_nm"] = json_stat(self.thickness_nm, np.min)
            out["thickness_max_nm"] = json_stat(self.thickness_nm, np.max)
        return out

    def report(self) -> str:
        """One line of text."""
        s = self.summary()
        return (
            f"t/λ = {s['t_over_lambda']:.3f} ± {s['t_over_lambda_err']:.3f}, "
            f"λ = {s['mfp_nm']:.1f} ± {s['mfp_err_nm']:.1f} nm ({self.mfp_method}), "
            f"t = {s['thickness_nm']:.1f} ± {s['thickness_err_nm']:.1f} nm"
            + ("" if self.quality == "ok" else f" [{self.quality}]")
        )

    def plot(self, ax=None):
        """Low-loss spectrum (log scale) with the zero-loss cut and I0 shaded.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        energy, counts = self.energy_loss_ev, self.mean_counts
        positive = np.where(counts > 0, counts, np.nan)
        ax.semilogy(energy, positive, lw=1, color="k", label="spectrum")
        cut = float(np.nanmean(self.zlp.threshold_ev))
        below = energy < cut
        ax.fill_between(energy[below], positive[below], alpha=0.3, label="zero loss $I_0$")
        ax.axvline(cut, ls="--", color="C3", label=f"cut {cut:.2f} eV")
        ax.set_xlabel("energy loss (eV)")
        ax.set_ylabel("counts")
        ax.set_title(self.report(), fontsize=8)
        ax.legend(fontsize=8)
        return ax


def _largest(values) -> float | None:
    """Largest finite value, or None."""
    if values is None or not np.any(np.isfinite(values)):
        return None
    return json_stat(values, np.max)


def _resolve(given, found):
    return given if given is not None else found


def _instrument(data: EELSData, beam_energy_kev, collection_semiangle_mrad, caller: str) -> tuple[float, float]:
    """E0 and β, given or from the file's metadata; CalibrationError naming the missing ones."""
    beam = _resolve(beam_energy_kev, data.beam_energy_kev)
    beta = _resolve(collection_semiangle_mrad, data.collection_semiangle_mrad)
    missing = [
        name
        for name, value in (("beam_energy_kev", beam), ("collection_semiangle_mrad", beta))
        if value is None
    ]
    if missing:
        raise CalibrationError(
            f"{data.source or 'data'}: {' and '.join(missing)} neither given nor in the "
            f"file's metadata; pass them to {caller}()"
        )
    return float(beam), float(beta)


def _scan_positions_nm(data: EELSData) -> np.ndarray | None:
    """Positions along the last scan axis, nm; None for one spectrum or an uncalibrated scan."""
    if not data.navigation_axes:
        return None
    try:
        return data.navigation_axes[-1].values_nm
    except ValueError:
        return None


def thickness(
    data: EELSData,
    *,
    composition=None,
    beam_energy_kev: float | None = None,
    collection_semiangle_mrad: float | None = None,
    convergence_semiangle_mrad: float | None = None,
    mfp_method: str = "malis",
    density_g_cm3: float | None = None,
    threshold_ev=None,
    zlp_method: str = "minimum",
    mfp_relative_error: float = 0.2,
    zlp_max_offset_ev: float = ZLP_MAX_OFFSET_EV,
) -> Thickness:
    """Absolute thickness t = (t/λ)·λ with its uncertainty.

    Parameters
    ----------
    data : EELSData
        Low-loss data whose axis contains 0 eV.
    composition : str, optional
        Formula of the specimen (``"LiCoO2"``), for the Malis λ.
    beam_energy_kev : float, optional
        E0, keV; taken from ``data`` when omitted.
    collection_semiangle_mrad : float, optional
        β, mrad; taken from ``data`` when omitted.
    convergence_semiangle_mrad : float, optional
        α, mrad; taken from ``data`` when omitted, else 0.
    mfp_method : {"malis", "iakoubovskii"}
        λ parameterization (see :func:`eels.mean_free_path.mean_free_path`).
    density_g_cm3 : float, optional
        Density, g/cm³, for ``"iakoubovskii"``.
    threshold_ev : float or ndarray, optional
        Zero-loss cut, eV; found with ``zlp_method`` when omitted.
    zlp_method : {"minimum", "exspy"}
        Cut convention (see :mod:`eels.zero_loss`).
    mfp_relative_error : float
        Relative standard uncertainty assumed for λ. The default 0.2 is a
        conservative figure for either parameterization applied to an
        unmeasured compound; use a smaller one after calibrating λ.
    zlp_max_offset_ev : float
        Largest accepted distance of the zero-loss peak from 0 eV, eV.

    Returns
    -------
    Thickness

    Warns
    -----
    ThicknessWarning
        Above t/λ = 3, or when the range is too short (also in ``quality``).

    Raises
    ------
    CalibrationError
        When the beam energy or the collection semi-angle is neither given
        nor in the file's metadata (the message names which).
    """
    beam, beta = _instrument(data, beam_energy_kev, collection_semiangle_mrad, "thickness")
    alpha = _resolve(convergence_semiangle_mrad, data.convergence_semiangle_mrad) or 0.0
    if not np.isfinite(mfp_relative_error) or mfp_relative_error < 0:
        raise ValueError(f"mfp_relative_error={mfp_relative_error!r} must be finite and >= 0")
    mfp = mean_free_path(
        beam_energy_kev=beam,
        collection_semiangle_mrad=beta,
        composition=composition,
        method=mfp_method,
        density_g_cm3=density_g_cm3,
        convergence_semiangle_mrad=alpha,
    )
    zlp = zero_loss_peak(data, threshold_ev=threshold_ev, method=zlp_method, max_offset_ev=zlp_max_offset_ev)
    tau = np.log(zlp.total_intensity / zlp.intensity)
    bias = truncation_bias(data, zlp)
    quality, reasons = thickness_quality(tau, bias)
    _warn(reasons, data.source)
    tau_err = relative_thickness_error(zlp, data)
    mfp_err = mfp * mfp_relative_error
    t = tau * mfp
    t_err = np.abs(t) * np.sqrt((tau_err / tau) ** 2 + mfp_relative_error**2)
    return Thickness(
        t_over_lambda=tau,
        t_over_lambda_err=tau_err,
        mfp_nm=mfp,
        mfp_err_nm=mfp_err,
        thickness_nm=t,
        thickness_err_nm=t_err,
        zlp=zlp,
        mfp_method=mfp_method,
        composition=None if composition is None else str(composition),
        density_g_cm3=density_g_cm3,
        beam_energy_kev=float(beam),
        collection_semiangle_mrad=float(beta),
        convergence_semiangle_mrad=float(alpha),
        energy_loss_ev=data.energy_loss_ev,
        mean_counts=data.mean_spectrum(),
        position_nm=_scan_positions_nm(data),
        truncation_bias=bias,
        quality=quality,
        quality_reasons=reasons,
    )
