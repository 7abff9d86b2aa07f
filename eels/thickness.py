"""Specimen thickness by the log-ratio method.

t/λ = ln(I_t / I_0), with I_t the counts of the whole spectrum and I_0 the
zero-loss counts (Egerton, *Electron Energy-Loss Spectroscopy in the
Electron Microscope*, 3rd ed., Springer 2011, §5.1,
doi:10.1007/978-1-4419-9583-4); t follows with λ from
:func:`eels.mean_free_path.mean_free_path`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ssbkit.errors import CalibrationError

from eels.data import EELSData, json_number
from eels.mean_free_path import mean_free_path
from eels.zero_loss import ZeroLossPeak, zero_loss_intensity, zero_loss_peak

__all__ = ["relative_thickness", "relative_thickness_error", "Thickness", "thickness"]


def relative_thickness(data: EELSData, *, threshold_ev=None, zlp_method: str = "minimum") -> np.ndarray:
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

    Returns
    -------
    ndarray, shape navigation_shape
        t/λ (a 0-d array for one spectrum); NaN where no cut was found.

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
    zlp = zero_loss_peak(data, threshold_ev=threshold_ev, method=zlp_method)
    return np.log(zlp.total_intensity / zlp.intensity)


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

    def summary(self) -> dict:
        """Flat key numbers (means over the scan), units in the keys; None where undefined."""
        out = {
            "t_over_lambda": json_number(np.nanmean(self.t_over_lambda)),
            "t_over_lambda_err": json_number(np.nanmean(self.t_over_lambda_err)),
            "mfp_nm": float(self.mfp_nm),
            "mfp_err_nm": float(self.mfp_err_nm),
            "thickness_nm": json_number(np.nanmean(self.thickness_nm)),
            "thickness_err_nm": json_number(np.nanmean(self.thickness_err_nm)),
            "mfp_method": self.mfp_method,
            "beam_energy_kev": float(self.beam_energy_kev),
            "collection_semiangle_mrad": float(self.collection_semiangle_mrad),
            "n_spectra": int(np.size(self.t_over_lambda)),
        }
        out.update(self.zlp.summary())
        if np.size(self.t_over_lambda) > 1:
            out["thickness_min_nm"] = json_number(np.nanmin(self.thickness_nm))
            out["thickness_max_nm"] = json_number(np.nanmax(self.thickness_nm))
        return out

    def report(self) -> str:
        """One line of text."""
        s = self.summary()
        return (
            f"t/λ = {s['t_over_lambda']:.3f} ± {s['t_over_lambda_err']:.3f}, "
            f"λ = {s['mfp_nm']:.1f} ± {s['mfp_err_nm']:.1f} nm ({self.mfp_method}), "
            f"t = {s['thickness_nm']:.1f} ± {s['thickness_err_nm']:.1f} nm"
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


def _resolve(given, found):
    return given if given is not None else found


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

    Returns
    -------
    Thickness

    Raises
    ------
    CalibrationError
        When the beam energy or the collection semi-angle is neither given
        nor in the file's metadata (the message names which).
    """
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
            "file's metadata; pass them to thickness()"
        )
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
    zlp = zero_loss_peak(data, threshold_ev=threshold_ev, method=zlp_method)
    tau = np.log(zlp.total_intensity / zlp.intensity)
    tau_err = relative_thickness_error(zlp, data)
    mfp_err = mfp * mfp_relative_error
    t = tau * mfp
    t_err = np.abs(t) * np.sqrt((tau_err / tau) ** 2 + mfp_relative_error**2)
    position = None
    if data.navigation_axes:
        try:
            position = data.navigation_axes[-1].values_nm
        except ValueError:
            position = None
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
        position_nm=position,
    )
