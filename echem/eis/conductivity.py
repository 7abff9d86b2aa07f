"""Ionic conductivity of a pellet and its Arrhenius temperature dependence.

σ = d / (R_e S) (d thickness, S electrode area, R_e bulk resistance;
e.g. Irvine, Sinclair & West, Adv. Mater. 2 (1990) 132,
doi:10.1002/adma.19900020304). Uncertainties propagate to first order
(GUM, JCGM 100:2008, eq. 10, uncorrelated inputs):
(δσ/σ)² = (δR/R)² + (δd/d)² + (δS/S)².

Arrhenius: σT = A exp(-E_a / k_B T) for ion hopping (``form="sigma_t"``) or
σ = A exp(-E_a / k_B T) (``form="sigma"``); the two give slightly different
E_a, so the form is always stated (West, Solid State Chemistry and its
Applications, 2nd ed., Wiley 2014, ch. 8).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "ARRHENIUS_FORMS",
    "BOLTZMANN_EV_PER_K",
    "MAX_PLAUSIBLE_SIGMA_S_PER_CM",
    "Activation",
    "Conductivity",
    "arrhenius",
    "conductivity",
    "conductivity_round_pellet",
]

#: Boltzmann constant, eV/K (CODATA 2018, exact).
BOLTZMANN_EV_PER_K = 8.617333262e-5
ARRHENIUS_FORMS = ("sigma_t", "sigma")
#: Largest plausible ionic conductivity of a solid Li-ion conductor, S/cm: twice the highest known at room
#: temperature, 25 mS/cm for Li9.54Si1.74P1.44S11.7Cl0.3 (Kato et al., Nat. Energy 1 (2016) 16030,
#: doi:10.1038/nenergy.2016.30). Above it, the resistance or the pellet geometry is wrong.
MAX_PLAUSIBLE_SIGMA_S_PER_CM = 0.05


def _positive(name, value):
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return v


def _nonnegative(name, value):
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return v


@dataclass(frozen=True)
class Conductivity:
    """Ionic conductivity with its propagated uncertainty.

    Attributes
    ----------
    sigma_s_per_cm, sigma_err_s_per_cm : float
        σ and one standard uncertainty, S/cm.
    resistance_ohm, thickness_cm, area_cm2 : float
        Inputs.
    resistance_err_ohm, thickness_err_cm, area_err_cm2 : float
        Their uncertainties.
    """

    sigma_s_per_cm: float
    sigma_err_s_per_cm: float
    resistance_ohm: float
    thickness_cm: float
    area_cm2: float
    resistance_err_ohm: float
    thickness_err_cm: float
    area_err_cm2: float

    def summary(self) -> dict:
        """Flat JSON-safe summary."""
        return {k: float(v) for k, v in self.__dict__.items()}

    def report(self) -> str:
        """One-line text report in mS/cm."""
        return (f"sigma = {self.sigma_s_per_cm * 1e3:.4g} ± {self.sigma_err_s_per_cm * 1e3:.2g} mS/cm "
                f"(R = {self.resistance_ohm:.4g} Ohm, d = {self.thickness_cm:g} cm, "
                f"S = {self.area_cm2:.4g} cm2)")


def conductivity(resistance_ohm, thickness_cm, area_cm2, *, resistance_err_ohm=0.0,
                 thickness_err_cm=0.0, area_err_cm2=0.0) -> Conductivity:
    """Ionic conductivity σ = d / (R S) with first-order error propagation.

    Parameters
    ----------
    resistance_ohm : float
        Bulk resistance R_e, Ohm (> 0).
    thickness_cm : float
        Pellet thickness d, cm (> 0).
    area_cm2 : float
        Electrode area S, cm² (> 0).
    resistance_err_ohm, thickness_err_cm, area_err_cm2 : float
        Standard uncertainties (>= 0), same units; NaN is not accepted.

    Returns
    -------
    Conductivity

    Examples
    --------
    >>> round(conductivity(50, 0.1, 0.785).sigma_s_per_cm, 7)
    0.0025478
    """
    r = _positive("resistance_ohm", resistance_ohm)
    d = _positive("thickness_cm", thickness_cm)
    s = _positive("area_cm2", area_cm2)
    dr = _nonnegative("resistance_err_ohm", resistance_err_ohm)
    dd = _nonnegative("thickness_err_cm", thickness_err_cm)
    ds = _nonnegative("area_err_cm2", area_err_cm2)
    with np.errstate(all="ignore"):
        sigma = float(np.float64(d) / (np.float64(r) * np.float64(s)))
        err = sigma * float(np.sqrt((dr / r) ** 2 + (dd / d) ** 2 + (ds / s) ** 2))
    if not (np.isfinite(sigma) and sigma > 0 and np.isfinite(err)):
        # each value finite and > 0, but their quotient leaves the float range (e.g. R = S = 1e-308)
        raise ValueError(f"resistance_ohm={r!r}, thickness_cm={d!r}, area_cm2={s!r} (and their errors) give "
                         f"sigma = {sigma!r} +- {err!r} S/cm: outside the float range")
    return Conductivity(sigma, err, r, d, s, dr, dd, ds)


def conductivity_round_pellet(resistance_ohm, thickness_cm, diameter_cm, *, resistance_err_ohm=0.0,
                              thickness_err_cm=0.0, diameter_err_cm=0.0) -> Conductivity:
    """Conductivity of a round pellet: S = π D²/4, δS = π D δD / 2.

    Parameters
    ----------
    resistance_ohm, thickness_cm : float
        As in :func:`conductivity`.
    diameter_cm : float
        Electrode (pellet) diameter D, cm.
    resistance_err_ohm, thickness_err_cm, diameter_err_cm : float
        Standard uncertainties.

    Returns
    -------
    Conductivity
    """
    dia = _positive("diameter_cm", diameter_cm)
    ddia = _nonnegative("diameter_err_cm", diameter_err_cm)
    return conductivity(resistance_ohm, thickness_cm, np.pi * dia**2 / 4,
                        resistance_err_ohm=resistance_err_ohm, thickness_err_cm=thickness_err_cm,
                        area_err_cm2=np.pi * dia * ddia / 2)


@dataclass(frozen=True)
class Activation:
    """Result of :func:`arrhenius`.

    Attributes
    ----------
    ea_ev, ea_err_ev : float
        Activation energy and its standard error, eV (NaN error with 2 points
        and no σ uncertainties).
    prefactor, prefactor_err : float
        A and its standard error, in ``prefactor_unit``.
    prefactor_unit : str
        ``"S K/cm"`` (form ``sigma_t``) or ``"S/cm"`` (form ``sigma``).
    form : str
        ``"sigma_t"`` or ``"sigma"``.
    r_squared : float
        Coefficient of determination of the straight line.
    temperature_k, sigma_s_per_cm : ndarray
        The data.
    """

    ea_ev: float
    ea_err_ev: float
    prefactor: float
    prefactor_err: float
    prefactor_unit: str
    form: str
    r_squared: float
    temperature_k: np.ndarray
    sigma_s_per_cm: np.ndarray

    def predict(self, temperature_k) -> np.ndarray:
        """σ (S/cm) of the fitted law at ``temperature_k`` (K)."""
        t = np.asarray(temperature_k, dtype=float)
        y = self.prefactor * np.exp(-self.ea_ev / (BOLTZMANN_EV_PER_K * t))
        return y / t if self.form == "sigma_t" else y

    def plot(self, ax=None):
        """log10 σ (or σT) against 1000/T with the fitted line; returns the Axes."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(5, 4), constrained_layout=True)
        t = self.temperature_k
        scale = t if self.form == "sigma_t" else np.ones_like(t)
        dense = np.linspace(t.min(), t.max(), 50)
        dscale = dense if self.form == "sigma_t" else np.ones_like(dense)
        ax.semilogy(1000 / t, self.sigma_s_per_cm * scale, "o", label="data")
        ax.semilogy(1000 / dense, self.predict(dense) * dscale, "-",
                    label=f"E_a = {self.ea_ev:.3f} ± {self.ea_err_ev:.3f} eV")
        ax.set_xlabel("1000 / T (1/K)")
        ax.set_ylabel("σT (S K/cm)" if self.form == "sigma_t" else "σ (S/cm)")
        ax.legend(fontsize="small")
        return ax

    def report(self) -> str:
        """One-line text report."""
        return (f"E_a = {self.ea_ev:.4f} ± {self.ea_err_ev:.4f} eV, A = {self.prefactor:.3g} "
                f"{self.prefactor_unit} ({self.form} form, R² = {self.r_squared:.4f})")

    def summary(self) -> dict:
        """Flat JSON-safe summary."""
        return {"ea_ev": float(self.ea_ev), "ea_err_ev": float(self.ea_err_ev),
                "prefactor": float(self.prefactor), "prefactor_err": float(self.prefactor_err),
                "prefactor_unit": self.prefactor_unit, "form": self.form,
                "r_squared": float(self.r_squared)}


def arrhenius(temperature_k, sigma_s_per_cm, *, form: str = "sigma_t",
              sigma_err_s_per_cm=None) -> Activation:
    """Activation energy from conductivities at several temperatures.

    Fits ln y = ln A − E_a / (k_B T) by (weighted) linear least squares, with
    y = σT (``form="sigma_t"``) or y = σ (``form="sigma"``).

    Parameters
    ----------
    temperature_k : array_like, shape (n,)
        Temperatures, K (> 0), n >= 2, not all equal.
    sigma_s_per_cm : array_like, shape (n,)
        Conductivities, S/cm (> 0).
    form : {"sigma_t", "sigma"}
        Which Arrhenius law.
    sigma_err_s_per_cm : array_like, shape (n,), optional
        Standard uncertainties of σ; used as weights (δ ln y = δσ/σ) and the
        parameter errors are then not rescaled by the scatter.

    Returns
    -------
    Activation

    Examples
    --------
    >>> t = np.array([250.0, 300.0, 350.0])
    >>> s = 1e3 / t * np.exp(-0.3 / (BOLTZMANN_EV_PER_K * t))
    >>> round(arrhenius(t, s).ea_ev, 6)
    0.3
    """
    if form not in ARRHENIUS_FORMS:
        raise ValueError(f"form={form!r} is not one of {ARRHENIUS_FORMS}")
    t = np.asarray(temperature_k, dtype=float)
    s = np.asarray(sigma_s_per_cm, dtype=float)
    if t.ndim != 1 or t.shape != s.shape or t.size < 2:
        raise ValueError("temperature_k and sigma_s_per_cm must be 1-D, equal length, >= 2 points")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(s)) and np.all(t > 0) and np.all(s > 0)):
        raise ValueError("temperature_k and sigma_s_per_cm must be finite and > 0")
    if np.ptp(t) == 0:
        raise ValueError("temperature_k must not all be equal")
    y = np.log(s * t) if form == "sigma_t" else np.log(s)
    x = 1.0 / t
    if sigma_err_s_per_cm is not None:
        ds = np.asarray(sigma_err_s_per_cm, dtype=float)
        if ds.shape != s.shape or not np.all(np.isfinite(ds)) or np.any(ds <= 0):
            raise ValueError("sigma_err_s_per_cm must match sigma_s_per_cm and be finite, > 0")
        w = s / ds
    else:
        w = np.ones_like(x)
    design = np.column_stack([x, np.ones_like(x)]) * w[:, None]
    coef, *_ = np.linalg.lstsq(design, y * w, rcond=None)
    resid = y - (coef[0] * x + coef[1])
    cov = np.linalg.inv(design.T @ design)
    if sigma_err_s_per_cm is None:
        dof = x.size - 2
        cov = cov * (np.sum(resid**2) / dof) if dof > 0 else np.full((2, 2), np.nan)
    slope, intercept = coef
    ss_tot = np.sum((y - y.mean()) ** 2)
    r2 = float(1 - np.sum(resid**2) / ss_tot) if ss_tot > 0 else float("nan")
    a = float(np.exp(intercept))
    return Activation(
        ea_ev=float(-slope * BOLTZMANN_EV_PER_K),
        ea_err_ev=float(np.sqrt(cov[0, 0]) * BOLTZMANN_EV_PER_K),
        prefactor=a, prefactor_err=float(a * np.sqrt(cov[1, 1])),
        prefactor_unit="S K/cm" if form == "sigma_t" else "S/cm",
        form=form, r_squared=r2, temperature_k=t, sigma_s_per_cm=s,
    )
