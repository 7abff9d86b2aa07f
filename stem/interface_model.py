"""1D electrostatic model of a cathode | optional dielectric coating | electrolyte interface.

Poisson's equation d/dx(ε₀ ε_r dφ/dx) = −ρ(x) in three layers in series
(PHYSICS.md, stem): a space-charge layer in the cathode, a charge-free linear
dielectric coating of thickness d (e.g. BaTiO3), and a space-charge layer in
the electrolyte; the displacement D = ε₀ ε_r E is continuous at both
interfaces (no free interface charge) and the potential drops add up to the
built-in potential plus the applied bias. Each space-charge layer is either

* ``"mott-schottky"``: full depletion/accumulation of a mobile species of
  concentration N, uniform ρ = ±eN over a width W = |D|/(eN), drop
  D²/(2 ε₀ ε_r e N) (Sze & Ng, *Physics of Semiconductor Devices*, 3rd ed.
  2007, ch. 2, doi:10.1002/0470068329), or
* ``"gouy-chapman"``: Poisson–Boltzmann screening by a 1:1 pair of
  concentration n each, drop (2kT/e) asinh(e λ_D D / (2 ε₀ ε_r kT)) and the
  analytic profile φ(s) = (4kT/e) artanh(tanh(eφ₀/4kT) e^{−s/λ_D})
  (Bard & Faulkner, *Electrochemical Methods*, 2nd ed. 2001, §13.3).

Both are parametrised by a Debye length, λ_D = √(ε₀ ε_r k T / (2 n e²))
for Gouy–Chapman (PHYSICS.md) and λ = √(ε₀ ε_r k T / (e² N)) for
Mott–Schottky (the extrinsic Debye length). This kind of continuum model of
the space-charge layer at a LiCoO2 | solid-electrolyte interface follows de
Klerk & Wagemaker, ACS Appl. Energy Mater. 1, 5609 (2018),
doi:10.1021/acsaem.8b01141. A high-ε dielectric in series takes part of
the drop in proportion to d/ε_r and so lowers the field and the charge of
the space-charge layers (Yada et al., Adv. Energy Mater. 4, 1301416
(2014), doi:10.1002/aenm.201301416, for BaTiO3 at cathode | sulfide
interfaces).

The default material constants are **assumptions of order of magnitude**
chosen to give few-nanometre layers and 10⁸ V/m fields; set them for your
materials.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from scipy import constants as sc
from scipy import optimize

from ._checks import check_choice, check_positive

__all__ = ["InterfaceModel", "simulate_interface"]

_MODELS = {"mott-schottky", "gouy-chapman"}


class _Layer:
    """A space-charge layer: drop(D) and profiles versus distance s from the interface."""

    def __init__(self, model, eps_r, debye_m, kt_v):
        self.model, self.eps, self.lam, self.kt = model, sc.epsilon_0 * eps_r, debye_m, kt_v
        if model == "mott-schottky":
            self.conc = self.eps * kt_v / (sc.e * debye_m**2)  # N, m^-3
        else:
            self.conc = self.eps * kt_v / (2 * sc.e * debye_m**2)  # n per species, m^-3

    def drop(self, d):
        if self.model == "mott-schottky":
            return np.sign(d) * d**2 / (2 * self.eps * sc.e * self.conc)
        return 2 * self.kt * np.arcsinh(d * self.lam / (2 * self.eps * self.kt))

    def profiles(self, d, s):
        """(ψ, E, ρ) at distances s ≥ 0 for interface displacement d; ψ, E have the sign of d, ρ the opposite."""
        sign = 1.0 if d >= 0 else -1.0
        mag = abs(d)
        if self.model == "mott-schottky":
            width = mag / (sc.e * self.conc)
            inside = s < width
            e_field = np.where(inside, mag / self.eps * (1 - s / max(width, 1e-30)), 0.0)
            psi = np.where(inside, sc.e * self.conc / (2 * self.eps) * (width - s) ** 2, 0.0)
            rho = np.where(inside, -sc.e * self.conc, 0.0)
        else:
            psi0 = abs(self.drop(mag))
            psi = 4 * self.kt * np.arctanh(np.tanh(psi0 / (4 * self.kt)) * np.exp(-s / self.lam))
            e_field = 2 * self.kt / self.lam * np.sinh(psi / (2 * self.kt))
            rho = -2 * sc.e * self.conc * np.sinh(psi / self.kt)
        return sign * psi, sign * e_field, sign * rho

    def width(self, d):
        if self.model == "mott-schottky":
            return abs(d) / (sc.e * self.conc)
        return self.lam * np.log(10.0)  # where ψ falls below a tenth of its surface value (small drops)


@dataclass(frozen=True)
class InterfaceModel:
    """Profiles of the 1D interface model; cathode at x < 0, coating 0 ≤ x < d, electrolyte beyond.

    Parameters
    ----------
    x_nm : ndarray
        Position, nm.
    potential_v : ndarray
        φ(x), V (electrolyte bulk at 0).
    field_v_per_m : ndarray
        E(x) = −dφ/dx, V/m.
    rho_c_per_m3 : ndarray
        Free charge density ε₀ ε_r dE/dx, C/m³.
    relative_permittivity : ndarray
        ε_r(x).
    bias_v, total_drop_v : float
        Applied bias and bias plus built-in potential, V.
    displacement_c_per_m2 : float
        D = ε₀ ε_r E at the interfaces, C/m²; equal to the charge per area
        of the cathode layer and minus that of the electrolyte layer.
    cathode_drop_v, coating_drop_v, electrolyte_drop_v : float
        Potential drops across each layer, V.
    electrolyte_layer_width_nm, cathode_layer_width_nm : float
        Space-charge-layer widths (Mott–Schottky: depletion width; Gouy–Chapman: λ_D ln 10).
    coating_thickness_nm : float
        d, nm (0 without coating).
    """

    x_nm: np.ndarray
    potential_v: np.ndarray
    field_v_per_m: np.ndarray
    rho_c_per_m3: np.ndarray
    relative_permittivity: np.ndarray
    bias_v: float
    total_drop_v: float
    displacement_c_per_m2: float
    cathode_drop_v: float
    coating_drop_v: float
    electrolyte_drop_v: float
    electrolyte_layer_width_nm: float
    cathode_layer_width_nm: float
    coating_thickness_nm: float

    @property
    def electrolyte_charge_c_per_m2(self) -> float:
        """Net charge per area of the electrolyte space-charge layer, C/m² (= −D)."""
        return -self.displacement_c_per_m2

    def field_at(self, x_nm) -> np.ndarray:
        """E at arbitrary positions (linear interpolation; 0 beyond the modelled range), V/m."""
        return np.interp(x_nm, self.x_nm, self.field_v_per_m, left=0.0, right=0.0)

    def summary(self) -> dict:
        """Flat key numbers, units in the keys."""
        electrolyte = self.x_nm >= self.coating_thickness_nm
        return {
            "bias_v": self.bias_v,
            "interface_displacement_c_per_m2": self.displacement_c_per_m2,
            "electrolyte_charge_c_per_m2": self.electrolyte_charge_c_per_m2,
            "max_electrolyte_field_v_per_m": float(np.abs(self.field_v_per_m[electrolyte]).max()),
            "cathode_drop_v": self.cathode_drop_v,
            "coating_drop_v": self.coating_drop_v,
            "electrolyte_drop_v": self.electrolyte_drop_v,
            "electrolyte_layer_width_nm": self.electrolyte_layer_width_nm,
        }

    def plot(self, ax=None, **kwargs):
        """Field profile E(x) in V/m with the coating shaded; returns the Axes."""
        if ax is None:
            _, ax = plt.subplots()
        ax.plot(self.x_nm, self.field_v_per_m, **kwargs)
        if self.coating_thickness_nm > 0:
            ax.axvspan(0, self.coating_thickness_nm, color="0.85", lw=0)
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_xlabel("x (nm): cathode < 0 < electrolyte")
        ax.set_ylabel("E (V/m)")
        return ax


def simulate_interface(*, bias_v: float, coating_thickness_nm: float = 0.0,
                       coating_relative_permittivity: float = 100.0,
                       cathode_relative_permittivity: float = 10.0,
                       electrolyte_relative_permittivity: float = 20.0,
                       cathode_debye_length_nm: float = 0.5, electrolyte_debye_length_nm: float = 1.0,
                       built_in_potential_v: float = 0.0, temperature_k: float = 298.15,
                       model: str = "mott-schottky", cathode_extent_nm: float = 30.0,
                       electrolyte_extent_nm: float = 40.0, step_nm: float = 0.05) -> InterfaceModel:
    """Field, potential and charge across cathode | coating | electrolyte under a bias.

    Solves V_bi + V = Δφ_cathode(D) + D d/(ε₀ ε_coat) + Δφ_electrolyte(D)
    for the interface displacement D (Brent's method; every term is odd and
    increasing in D) and evaluates the analytic layer profiles (see module
    docstring for the models and sources). A positive bias raises the
    cathode potential, depletes the cathode of Li⁺ near the interface
    (positive layer) and charges the electrolyte side negatively.

    Parameters
    ----------
    bias_v : float
        Applied bias, V (cathode positive).
    coating_thickness_nm : float
        Dielectric coating thickness d, nm; 0 for a bare interface.
    coating_relative_permittivity : float
        ε_r of the coating (assumed 100 for nanoscale BaTiO3, far below bulk).
    cathode_relative_permittivity, electrolyte_relative_permittivity : float
        ε_r of LiCoO2 and Li6PS5Cl (assumed 10 and 20).
    cathode_debye_length_nm, electrolyte_debye_length_nm : float
        Debye lengths setting the mobile-charge concentrations, nm (assumed 0.5 and 1).
    built_in_potential_v : float
        Potential difference already present at zero bias, V.
    temperature_k : float
        Temperature, K.
    model : {"mott-schottky", "gouy-chapman"}
        Space-charge model of both layers.
    cathode_extent_nm, electrolyte_extent_nm, step_nm : float
        Modelled range on each side and grid step, nm.

    Returns
    -------
    InterfaceModel

    Examples
    --------
    >>> bare = simulate_interface(bias_v=1.0)
    >>> coated = simulate_interface(bias_v=1.0, coating_thickness_nm=10.0)
    >>> bool(abs(coated.electrolyte_charge_c_per_m2) < abs(bare.electrolyte_charge_c_per_m2))
    True
    """
    check_choice(model, "model", _MODELS)
    kt = sc.k * check_positive(temperature_k, "temperature_k") / sc.e
    if coating_thickness_nm < 0:
        raise ValueError(f"coating_thickness_nm must be >= 0, got {coating_thickness_nm!r}")
    cathode = _Layer(model, check_positive(cathode_relative_permittivity, "cathode_relative_permittivity"),
                     check_positive(cathode_debye_length_nm, "cathode_debye_length_nm") * 1e-9, kt)
    electrolyte = _Layer(model, check_positive(electrolyte_relative_permittivity, "electrolyte_relative_permittivity"),
                         check_positive(electrolyte_debye_length_nm, "electrolyte_debye_length_nm") * 1e-9, kt)
    eps_coat = sc.epsilon_0 * check_positive(coating_relative_permittivity, "coating_relative_permittivity")
    d_m = float(coating_thickness_nm) * 1e-9
    total = float(built_in_potential_v) + float(bias_v)

    def mismatch(disp):
        return cathode.drop(disp) + disp * d_m / eps_coat + electrolyte.drop(disp) - total

    if total == 0:
        disp = 0.0
    else:
        hi = 1e-4
        while np.sign(mismatch(np.sign(total) * hi)) != np.sign(total):
            hi *= 4
            if hi > 1e12:
                raise ValueError(f"no interface charge carries a drop of {total} V with these parameters")
        disp = optimize.brentq(mismatch, 0.0, np.sign(total) * hi, xtol=1e-16, rtol=1e-13)

    step = check_positive(step_nm, "step_nm")
    x_nm = np.arange(-float(cathode_extent_nm), float(coating_thickness_nm) + float(electrolyte_extent_nm) + step / 2, step)
    phi = np.zeros_like(x_nm)
    field = np.zeros_like(x_nm)
    rho = np.zeros_like(x_nm)
    eps_r = np.empty_like(x_nm)
    drop_c, drop_e = float(cathode.drop(disp)), float(electrolyte.drop(disp))
    drop_d = disp * d_m / eps_coat

    cat = x_nm < 0
    psi, e_c, r_c = cathode.profiles(disp, -x_nm[cat] * 1e-9)
    phi[cat], field[cat], rho[cat], eps_r[cat] = total - psi, e_c, -r_c, cathode_relative_permittivity
    coat = (x_nm >= 0) & (x_nm < coating_thickness_nm)
    phi[coat] = drop_e + drop_d * (1 - x_nm[coat] / max(float(coating_thickness_nm), 1e-30))
    field[coat] = disp / eps_coat
    eps_r[coat] = coating_relative_permittivity
    ele = x_nm >= coating_thickness_nm
    psi, e_e, r_e = electrolyte.profiles(disp, (x_nm[ele] - coating_thickness_nm) * 1e-9)
    phi[ele], field[ele], rho[ele], eps_r[ele] = psi, e_e, r_e, electrolyte_relative_permittivity
    return InterfaceModel(x_nm, phi, field, rho, eps_r, float(bias_v), total, float(disp), drop_c, float(drop_d),
                          drop_e, float(electrolyte.width(disp)) * 1e9, float(cathode.width(disp)) * 1e9,
                          float(coating_thickness_nm))
