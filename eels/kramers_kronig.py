"""Absolute thickness from the Kramers–Kronig sum rule, independent of the mean free path.

The single-scattering distribution J1(E) (counts per eV, from Fourier-log
deconvolution) of a specimen of thickness t is

    J1(E) = I0 t / (π a0 m0v²) · Im[−1/ε(E)] · ln(1 + β²/θ_E²),

and the Kramers–Kronig sum rule ∫ Im[−1/ε(E)] dE/E = (π/2)(1 − Re[1/ε(0)])
turns its weighted integral into the thickness (Egerton, *Electron
Energy-Loss Spectroscopy in the Electron Microscope*, 3rd ed., Springer 2011,
§4.2.1 eq. 4.26 and §5.1.2, doi:10.1007/978-1-4419-9583-4):

    t = 4 a0 T K / (I0 (1 − Re[1/ε(0)])),  K = ∫ J1(E) / (E ln(1 + β²/θ_E²)) dE,

with a0 the Bohr radius, T = m0v²/2 = E0 (1 + E0/2m0c²)/(1 + E0/m0c²)² and
θ_E = E/(γ m0v²) the characteristic angle. Re[1/ε(0)] = 1/n² for an
insulator of (optical) refractive index n and 0 for a metal. This is the
computation of exspy's ``kramers_kronig_analysis`` (Egerton's KRAKRO),
without the iterative surface-loss correction.

Below the zero-loss cut the deconvolved SSD is not reliable (remains of
the zero-loss peak divided by a small E). The integral starts at the cut;
below it a metal's loss function is continued at the value just above the
cut (a Drude metal's Im[−1/ε]/E tends to Γ/E_p², a constant, as E → 0) and
an insulator's is taken as zero (no losses below the band gap). Half the
continued part is counted as its uncertainty.

Not corrected: surface (begrenzung and surface-plasmon) losses, which make
the thickness of lamellae thinner than about 20 nm too large (Egerton 2011,
§3.3.1; a warning is given), and the convergence semi-angle (β is taken as
the collection semi-angle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.constants import physical_constants

from eels.data import EELSData, json_stat
from eels.deconvolution import _deconvolve
from eels.mean_free_path import relativistic_factor
from eels.synthetic import characteristic_angle_mrad
from eels.thickness import Thickness, _instrument, _scan_positions_nm
from eels.zero_loss import ZLP_MAX_OFFSET_EV, ZeroLossPeak, zero_loss_peak

__all__ = ["KramersKronigThickness", "kramers_kronig_thickness"]

_BOHR_NM = physical_constants["Bohr radius"][0] * 1e9

#: Below this thickness surface losses (not removed) bias the result upwards, nm.
SURFACE_LOSS_WARNING_NM = 20.0
#: Largest fraction of K that may come from the continuation below the cut before a warning.
LOW_ENERGY_WARNING = 0.10


@dataclass(frozen=True)
class KramersKronigThickness:
    """Kramers–Kronig (sum-rule) thickness of a low-loss measurement.

    Attributes
    ----------
    thickness_nm, thickness_err_nm : ndarray, shape navigation_shape
        Absolute thickness t and its standard uncertainty (counting
        statistics and the continuation below the cut), nm.
    t_over_lambda : ndarray, shape navigation_shape
        Log-ratio t/λ from the same zero-loss peak.
    mfp_nm : ndarray, shape navigation_shape
        The mean free path the two imply, t / (t/λ), nm: compare it with
        the Malis or Iakoubovskii λ.
    low_energy_fraction : ndarray, shape navigation_shape
        Size of the metal-like continuation below the zero-loss cut as a
        fraction of K (included for a metal, left out for an insulator).
    refractive_index : float or None
        n used, None for a metal.
    metal : bool
        True when Re[1/ε(0)] = 0 was used.
    beam_energy_kev, collection_semiangle_mrad : float
        E0 (keV) and β (mrad) used.
    zlp : ZeroLossPeak
        The zero-loss peak (I0 and the cut).
    energy_loss_ev : ndarray, shape (n_channels,)
        Energy axis of the data, eV.
    mean_ssd : ndarray, shape (n_channels,)
        Single-scattering distribution averaged over the scan, for plotting.
    quality : str
        ``"ok"`` or ``"warning"``.
    quality_reasons : tuple of str
        Why, when not ``"ok"``.
    position_nm : ndarray or None
        Positions along the last scan axis, nm, for a line scan.
    """

    thickness_nm: np.ndarray
    thickness_err_nm: np.ndarray
    t_over_lambda: np.ndarray
    mfp_nm: np.ndarray
    low_energy_fraction: np.ndarray
    refractive_index: float | None
    metal: bool
    beam_energy_kev: float
    collection_semiangle_mrad: float
    zlp: ZeroLossPeak
    energy_loss_ev: np.ndarray
    mean_ssd: np.ndarray
    quality: str = "ok"
    quality_reasons: tuple[str, ...] = ()
    position_nm: np.ndarray | None = None

    def summary(self) -> dict:
        """Flat key numbers (means over the scan), keys prefixed ``kk_``; None where undefined."""
        return {
            "kk_thickness_nm": json_stat(self.thickness_nm),
            "kk_thickness_err_nm": json_stat(self.thickness_err_nm),
            "kk_t_over_lambda": json_stat(self.t_over_lambda),
            "kk_mfp_nm": json_stat(self.mfp_nm),
            "kk_low_energy_fraction": json_stat(self.low_energy_fraction),
            "kk_refractive_index": None if self.refractive_index is None else float(self.refractive_index),
            "kk_metal": bool(self.metal),
            "kk_quality": self.quality,
            "kk_quality_reasons": "; ".join(self.quality_reasons),
        }

    def compare(self, log_ratio: Thickness) -> dict:
        """This thickness against a log-ratio one of the same data: their ratio and the two λ.

        A ratio far from 1 points at the λ parameterization (composition,
        density) or at the collection angle β, on which the two depend
        differently.

        Parameters
        ----------
        log_ratio : Thickness
            Result of :func:`eels.thickness` on the same data.

        Returns
        -------
        dict
            ``kk_over_log_ratio`` and ``kk_over_log_ratio_err`` (mean over the
            scan), ``mfp_kk_nm`` (λ implied by the sum rule) and
            ``mfp_log_ratio_nm`` (the λ the log-ratio thickness used, with its
            method in ``mfp_method``).
        """
        ratio = self.thickness_nm / log_ratio.thickness_nm
        err = np.abs(ratio) * np.hypot(
            self.thickness_err_nm / self.thickness_nm, log_ratio.thickness_err_nm / log_ratio.thickness_nm
        )
        return {
            "kk_over_log_ratio": json_stat(ratio),
            "kk_over_log_ratio_err": json_stat(err),
            "mfp_kk_nm": json_stat(self.mfp_nm),
            "mfp_log_ratio_nm": float(log_ratio.mfp_nm),
            "mfp_method": log_ratio.mfp_method,
        }

    def report(self) -> str:
        """One line of text."""
        s = self.summary()
        medium = "metal" if self.metal else f"n = {self.refractive_index:g}"
        return (
            f"t (Kramers–Kronig, {medium}) = {s['kk_thickness_nm']:.1f} ± {s['kk_thickness_err_nm']:.1f} nm, "
            f"implied λ = {s['kk_mfp_nm']:.1f} nm" + ("" if self.quality == "ok" else f" [{self.quality}]")
        )

    def plot(self, ax=None):
        """The single-scattering distribution that was integrated, with the zero-loss cut.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        ax.plot(self.energy_loss_ev, self.mean_ssd, lw=1, color="k", label="single scattering (FLD)")
        cut = float(np.nanmean(self.zlp.threshold_ev))
        ax.axvline(cut, ls="--", color="C3", label=f"integral from {cut:.2f} eV")
        ax.set_xlabel("energy loss (eV)")
        ax.set_ylabel("counts")
        ax.set_title(self.report(), fontsize=8)
        ax.legend(fontsize=8)
        return ax


def _medium(refractive_index, metal: bool) -> float:
    """1 − Re[1/ε(0)] for the given medium."""
    if metal and refractive_index is not None:
        raise ValueError("give either refractive_index or metal=True, not both")
    if metal:
        return 1.0
    if refractive_index is None:
        raise ValueError(
            "kramers_kronig_thickness needs the medium: refractive_index=n for an insulator "
            "or metal=True for a metal (Re[1/ε(0)] = 1/n² or 0)"
        )
    n = float(refractive_index)
    if not np.isfinite(n) or n <= 1.0:
        raise ValueError(f"refractive_index={refractive_index!r} must be a finite number > 1")
    return 1.0 - 1.0 / n**2


def _sum_rule_integral(loss, ssd, raw, cut_loss, angular_factor, step):
    """K = Σ J1/(E ln(1+β²/θ_E²)) above the cut, its metal-like continuation below, var(K).

    The continuation holds J1/(E ln) at its mean over the first eV above the
    cut down to 0 eV; the variance is that of Poisson counts in the raw
    spectrum, propagated through the weights.
    """
    above = loss >= cut_loss
    weight = np.zeros_like(loss)
    weight[above] = 1.0 / (loss[above] * angular_factor[above])
    k_main = float(np.sum(ssd * weight))
    variance = float(np.sum(np.clip(raw, 0.0, None) * weight**2))
    near = above & (loss < cut_loss + max(1.0, 3 * step))
    low = float(np.mean(ssd[near] * weight[near])) * max(cut_loss, 0.0) / step if near.any() else 0.0
    return k_main, abs(low), variance


def kramers_kronig_thickness(
    data: EELSData,
    *,
    beam_energy_kev: float | None = None,
    collection_semiangle_mrad: float | None = None,
    refractive_index: float | None = None,
    metal: bool = False,
    threshold_ev=None,
    zlp_method: str = "minimum",
    zlp_max_offset_ev: float = ZLP_MAX_OFFSET_EV,
) -> KramersKronigThickness:
    """Absolute thickness from the Kramers–Kronig sum rule (Egerton 2011, eq. 4.26), no λ needed.

    Parameters
    ----------
    data : EELSData
        Low-loss data whose axis contains 0 eV; one spectrum, a line scan or
        a spectrum image. The range should reach several plasmon energies.
    beam_energy_kev : float, optional
        E0, keV; taken from ``data`` when omitted.
    collection_semiangle_mrad : float, optional
        β, mrad; taken from ``data`` when omitted.
    refractive_index : float, optional
        Optical refractive index n > 1 of an insulating specimen
        (Re[1/ε(0)] = 1/n²). LiCoO2 is a semiconductor with n ≈ 2 in the
        visible; the result scales with 1/(1 − 1/n²), so n = 2.0 ± 0.2
        means ± 4 %.
    metal : bool
        True for a metal or a Drude-like conductor (Re[1/ε(0)] = 0).
        Exactly one of ``refractive_index`` and ``metal=True`` is required.
    threshold_ev : float or ndarray, optional
        Zero-loss cut, eV; found with ``zlp_method`` when omitted.
    zlp_method : {"minimum", "exspy"}
        Cut convention (see :mod:`eels.zero_loss`).
    zlp_max_offset_ev : float
        Largest accepted distance of the zero-loss peak from 0 eV, eV.

    Returns
    -------
    KramersKronigThickness

    Raises
    ------
    ValueError
        When the medium is missing or given twice, or n ≤ 1.
    CalibrationError
        When E0 or β is neither given nor in the file's metadata.
    FitError
        When no zero-loss peak or cut is found.

    Examples
    --------
    A Drude metal 150 nm thick (t/λ from the Drude λ of the same model):

    >>> import numpy as np
    >>> from eels import EELSData
    >>> from eels.synthetic import drude_mean_free_path_nm, low_loss_spectrum
    >>> e = np.arange(-10, 300, 0.1)
    >>> lam = drude_mean_free_path_nm(plasmon_energy_ev=23, plasmon_width_ev=7,
    ...                               beam_energy_kev=200, collection_semiangle_mrad=10)
    >>> counts = low_loss_spectrum(e, t_over_lambda=150 / lam, total_counts=1e7,
    ...                            plasmon_energy_ev=23, plasmon_width_ev=7)
    >>> kk = kramers_kronig_thickness(EELSData(e, counts), beam_energy_kev=200,
    ...                               collection_semiangle_mrad=10, metal=True)
    >>> bool(abs(float(kk.thickness_nm) / 150 - 1) < 0.02)
    True
    """
    factor = _medium(refractive_index, metal)
    beam, beta = _instrument(data, beam_energy_kev, collection_semiangle_mrad, "kramers_kronig_thickness")
    zlp = zero_loss_peak(data, threshold_ev=threshold_ev, method=zlp_method, max_offset_ev=zlp_max_offset_ev)
    ssd = _deconvolve(data, zlp, None)
    energy = data.energy_loss_ev
    step = data.dispersion_ev_per_channel
    kinetic_ev = beam * relativistic_factor(beam) * 1e3  # T = m0v²/2
    shape = data.navigation_shape
    positions = np.broadcast_to(zlp.position_ev, shape).ravel()
    cuts = np.broadcast_to(zlp.threshold_ev, shape).ravel()
    i0 = np.broadcast_to(zlp.intensity, shape).ravel()
    raw = data.counts.reshape(-1, energy.size)
    spectra = ssd.counts.reshape(-1, energy.size)
    t = np.full(raw.shape[0], np.nan)
    t_err = np.full(raw.shape[0], np.nan)
    low_fraction = np.full(raw.shape[0], np.nan)
    for n in range(raw.shape[0]):
        loss = energy - positions[n]
        with np.errstate(divide="ignore", invalid="ignore"):
            theta = characteristic_angle_mrad(np.clip(loss, 1e-6, None), beam)
            angular = np.log1p((beta / theta) ** 2)
        k_main, k_low, variance = _sum_rule_integral(loss, spectra[n], raw[n], cuts[n] - positions[n], angular, step)
        # a metal's losses continue below the cut; an insulator's stop at its gap (taken above the cut)
        total = k_main + (k_low if metal else 0.0)
        t[n] = 4.0 * _BOHR_NM * kinetic_ev * total / (i0[n] * factor)
        relative = np.sqrt(variance / total**2 + 1.0 / i0[n] + (0.5 * k_low / total) ** 2)
        t_err[n] = abs(t[n]) * relative
        low_fraction[n] = k_low / total
    tau = np.log(np.broadcast_to(zlp.total_intensity, shape).ravel() / i0)
    reasons = _reasons(t, low_fraction, metal)
    return KramersKronigThickness(
        thickness_nm=t.reshape(shape),
        thickness_err_nm=t_err.reshape(shape),
        t_over_lambda=tau.reshape(shape),
        mfp_nm=(t / tau).reshape(shape),
        low_energy_fraction=low_fraction.reshape(shape),
        refractive_index=None if metal else float(refractive_index),
        metal=bool(metal),
        beam_energy_kev=beam,
        collection_semiangle_mrad=beta,
        zlp=zlp,
        energy_loss_ev=energy,
        mean_ssd=spectra.mean(axis=0),
        quality="warning" if reasons else "ok",
        quality_reasons=reasons,
        position_nm=_scan_positions_nm(data),
    )


def _reasons(t, low_fraction, metal) -> tuple[str, ...]:
    reasons = []
    if np.any(t < SURFACE_LOSS_WARNING_NM):
        reasons.append(
            f"thinner than {SURFACE_LOSS_WARNING_NM:g} nm ({np.nanmin(t):.1f} nm): surface losses are not "
            "removed and make the Kramers–Kronig thickness too large"
        )
    if np.any(low_fraction > LOW_ENERGY_WARNING):
        what = "continued below the zero-loss cut" if metal else "would be missing below the cut if the band gap lay below it"
        reasons.append(
            f"up to {100 * np.nanmax(low_fraction):.0f} % of the sum-rule integral {what}: "
            "a narrower zero-loss peak (or a lower cut) makes the result firmer"
        )
    return tuple(reasons)
