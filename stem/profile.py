"""Profiles across an interface, space-charge-layer width and net interface charge."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from scipy import constants as sc
from scipy import integrate, ndimage

from ._checks import as_map, check_choice, check_positive
from .charge import ChargeMap, PotentialMap
from .field import FieldMap

__all__ = [
    "InterfaceCharge",
    "Profile",
    "SpaceChargeWidth",
    "interface_profile",
    "net_charge_per_area",
    "space_charge_layer_width",
]


@dataclass(frozen=True)
class Profile:
    """A line profile averaged across a band.

    Parameters
    ----------
    distance_nm : ndarray
        Distance from ``start`` along the line, nm.
    value : ndarray
        Mean over the band width at each distance.
    error : ndarray
        Standard error of the mean over the band width.
    quantity : str
        What was profiled (e.g. ``"E_normal"``, ``"rho"``).
    unit : str
        Unit of ``value``.
    """

    distance_nm: np.ndarray
    value: np.ndarray
    error: np.ndarray
    quantity: str
    unit: str

    def summary(self) -> dict:
        """Flat key numbers, units in the keys."""
        i = int(np.argmax(np.abs(self.value)))
        unit = {"V/m": "v_per_m", "C/m^3": "c_per_m3", "V": "v"}.get(self.unit, "value")
        return {
            "profile_length_nm": float(self.distance_nm[-1] - self.distance_nm[0]),
            f"profile_peak_{unit}": float(self.value[i]),
            "profile_peak_position_nm": float(self.distance_nm[i]),
        }

    def plot(self, ax=None, **kwargs):
        """Value against distance with a ±1 standard-error band; returns the Axes."""
        if ax is None:
            _, ax = plt.subplots()
        line, = ax.plot(self.distance_nm, self.value, **kwargs)
        ax.fill_between(self.distance_nm, self.value - self.error, self.value + self.error,
                        color=line.get_color(), alpha=0.25, lw=0)
        ax.set_xlabel("distance (nm)")
        ax.set_ylabel(f"{self.quantity} ({self.unit})")
        return ax


def _sample_band(image, start, end, width_px):
    start = np.asarray(start, float)
    end = np.asarray(end, float)
    length = float(np.hypot(*(end - start)))
    if length < 2:
        raise ValueError(f"profile line from {tuple(start)} to {tuple(end)} is shorter than 2 px")
    n = int(np.floor(length)) + 1
    along = (end - start) / length
    across = np.array([along[1], -along[0]])
    half = max(0.0, (float(width_px) - 1) / 2)
    offsets = np.linspace(-half, half, max(1, round(width_px)))
    t = np.arange(n, dtype=float)
    coords = start[:, None, None] + along[:, None, None] * t[None, :, None] + across[:, None, None] * offsets[None, None, :]
    samples = ndimage.map_coordinates(image, coords, order=1, mode="nearest")
    return t, samples, along


def interface_profile(map_, *, start, end, width_px: float = 5, pixel_size_nm: float | None = None,
                      component: str = "normal") -> Profile:
    """Profile from ``start`` to ``end`` (y, x in pixels), averaged over ``width_px`` across.

    Drawn perpendicular to an interface, a field profile gives the normal
    field E·n with n the unit vector from ``start`` to ``end``
    (``component="normal"``); ``"tangential"`` gives the in-plane component
    along the interface and ``"magnitude"`` |E|. Samples are 1 px apart,
    bilinearly interpolated.

    Parameters
    ----------
    map_ : FieldMap, ChargeMap, PotentialMap or 2D array
        The map; a plain array needs ``pixel_size_nm``.
    start, end : (float, float)
        Line end points (y, x), pixels.
    width_px : float
        Band width over which to average, pixels.
    pixel_size_nm : float, optional
        Scan step for a plain array, nm.
    component : {"normal", "tangential", "magnitude"}
        Field component for a FieldMap.

    Returns
    -------
    Profile
    """
    check_choice(component, "component", {"normal", "tangential", "magnitude"})
    if isinstance(map_, FieldMap):
        step = map_.pixel_size_nm
        _, sx, along = _sample_band(map_.ex_v_per_m, start, end, width_px)
        t, sy, _ = _sample_band(map_.ey_v_per_m, start, end, width_px)
        # along is (dy, dx) in array coordinates
        if component == "normal":
            samples, quantity = sx * along[1] + sy * along[0], "E normal"
        elif component == "tangential":
            samples, quantity = -sx * along[0] + sy * along[1], "E tangential"
        else:
            samples, quantity = np.hypot(sx, sy), "|E|"
        unit = "V/m"
    elif isinstance(map_, ChargeMap):
        step = map_.pixel_size_nm
        t, samples, _ = _sample_band(map_.rho_c_per_m3, start, end, width_px)
        quantity, unit = "rho", "C/m^3"
    elif isinstance(map_, PotentialMap):
        step = map_.pixel_size_nm
        t, samples, _ = _sample_band(map_.potential_v, start, end, width_px)
        quantity, unit = "phi", "V"
    else:
        if pixel_size_nm is None:
            raise ValueError("a plain array needs pixel_size_nm")
        step = check_positive(pixel_size_nm, "pixel_size_nm")
        t, samples, _ = _sample_band(as_map(map_, "map_"), start, end, width_px)
        quantity, unit = "value", ""
    n = samples.shape[1]
    error = samples.std(axis=1, ddof=1) / np.sqrt(n) if n > 1 else np.full(len(t), np.nan)
    return Profile(t * step, samples.mean(axis=1), error, quantity, unit)


@dataclass(frozen=True)
class SpaceChargeWidth:
    """Width of the space-charge layer from a profile.

    Parameters
    ----------
    width_nm : float
        Full width of the region where |value| ≥ fraction × peak, nm.
    start_nm, end_nm : float
        Its limits along the profile, nm (linearly interpolated crossings).
    peak_nm : float
        Position of the peak of |value|, nm.
    peak_value : float
        Value at the peak (profile unit).
    fraction : float
        Threshold fraction of the peak used.
    success : bool
        False when the region touches an end of the profile (width is a lower bound).
    message : str
        Explanation when ``success`` is False.
    """

    width_nm: float
    start_nm: float
    end_nm: float
    peak_nm: float
    peak_value: float
    fraction: float
    success: bool
    message: str

    def summary(self) -> dict:
        """Flat key numbers, units in the keys."""
        return {"space_charge_layer_width_nm": self.width_nm, "space_charge_layer_start_nm": self.start_nm,
                "space_charge_layer_end_nm": self.end_nm, "space_charge_layer_fraction": self.fraction,
                "space_charge_layer_found": self.success}


def space_charge_layer_width(profile: Profile, *, fraction: float = 0.1, side: str = "both",
                             start_nm: float | None = None, end_nm: float | None = None,
                             smoothing_px: float = 0.0) -> SpaceChargeWidth:
    """Space-charge-layer width: the width of the contiguous region around the
    peak of |profile| where |profile| ≥ ``fraction`` × peak.

    ``side="both"`` gives the full width of that region; ``"after"`` only its
    part from the peak towards the end of the profile (e.g. the electrolyte
    side of a profile drawn cathode → electrolyte, whose field peaks at the
    interface), ``"before"`` the part from the start to the peak.

    Applied to the normal net field it spans both charge layers of the
    double layer (the field is non-zero only inside them); applied to the
    charge density it gives one layer. For a Mott–Schottky (uniform) layer of
    width W the field falls linearly to zero and the result is (1 − f)·W per
    side; for a Gouy–Chapman layer with Debye length λ it is λ ln(1/f) per side
    (Bard & Faulkner, *Electrochemical Methods*, 2nd ed. 2001, §13.3).

    Parameters
    ----------
    profile : Profile
        E.g. the net-field profile across the interface.
    fraction : float
        Threshold fraction of the peak, 0 < fraction < 1.
    side : {"both", "after", "before"}
        Which part of the region to measure.
    start_nm, end_nm : float, optional
        Use only this range of the profile (e.g. from the electrolyte
        boundary on, so that a field peak in another medium is not taken).
    smoothing_px : float
        Optional Gaussian smoothing of |profile| before thresholding, samples.

    Returns
    -------
    SpaceChargeWidth
    """
    check_choice(side, "side", {"both", "after", "before"})
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1), got {fraction!r}")
    x = np.asarray(profile.distance_nm, float)
    values = np.asarray(profile.value, float)
    keep = (x >= (x[0] if start_nm is None else start_nm)) & (x <= (x[-1] if end_nm is None else end_nm))
    if keep.sum() < 3:
        raise ValueError(f"range {start_nm}..{end_nm} nm keeps fewer than 3 profile points")
    x, values = x[keep], values[keep]
    mag = np.abs(values)
    if smoothing_px > 0:
        mag = ndimage.gaussian_filter1d(mag, smoothing_px, mode="nearest")
    i = int(np.argmax(mag))
    level = fraction * mag[i]
    above = mag >= level
    lo = i
    while lo > 0 and above[lo - 1]:
        lo -= 1
    hi = i
    while hi < len(mag) - 1 and above[hi + 1]:
        hi += 1

    def crossing(inside, outside):
        frac = (mag[inside] - level) / (mag[inside] - mag[outside])
        return x[inside] + frac * (x[outside] - x[inside])

    start = crossing(lo, lo - 1) if lo > 0 else x[0]
    end = crossing(hi, hi + 1) if hi < len(mag) - 1 else x[-1]
    ok = {"both": lo > 0 and hi < len(mag) - 1, "after": hi < len(mag) - 1, "before": lo > 0}[side]
    if side == "after":
        start = x[i]
    elif side == "before":
        end = x[i]
    message = "" if ok else "the layer reaches an end of the profile; the width is a lower bound"
    return SpaceChargeWidth(float(end - start), float(start), float(end), float(x[i]), float(values[i]),
                            float(fraction), ok, message)


@dataclass(frozen=True)
class InterfaceCharge:
    """Net charge per unit interface area.

    Parameters
    ----------
    c_per_m2 : float
        σ in C/m².
    error_c_per_m2 : float
        Standard error propagated from the profile errors, C/m².
    start_nm, end_nm : float
        Integration range along the profile, nm.
    """

    c_per_m2: float
    error_c_per_m2: float
    start_nm: float
    end_nm: float

    @property
    def e_per_nm2(self) -> float:
        """σ in elementary charges per nm²."""
        return self.c_per_m2 / sc.e / 1e18

    def summary(self) -> dict:
        """Flat key numbers, units in the keys."""
        return {"net_charge_c_per_m2": self.c_per_m2, "net_charge_error_c_per_m2": self.error_c_per_m2,
                "net_charge_e_per_nm2": self.e_per_nm2}


def net_charge_per_area(profile: Profile, *, start_nm: float | None = None, end_nm: float | None = None) -> InterfaceCharge:
    """Net charge per interface area, σ = ∫ ρ dx over a charge-density profile.

    By Gauss's law this equals ε₀ ε_r (E_n(end) − E_n(start)), the jump of
    the normal field across the range (Jackson, *Classical Electrodynamics*,
    3rd ed., §1.5). Trapezoidal rule over ``start_nm``..``end_nm``.

    Parameters
    ----------
    profile : Profile
        A charge-density profile (unit C/m^3), e.g. from a ChargeMap.
    start_nm, end_nm : float, optional
        Integration range along the profile (default: all of it).

    Returns
    -------
    InterfaceCharge
    """
    if profile.unit != "C/m^3":
        raise ValueError(f"net_charge_per_area needs a charge-density profile (C/m^3), got unit {profile.unit!r}")
    x = profile.distance_nm
    lo = x[0] if start_nm is None else float(start_nm)
    hi = x[-1] if end_nm is None else float(end_nm)
    sel = (x >= lo) & (x <= hi)
    if sel.sum() < 2:
        raise ValueError(f"integration range {lo}..{hi} nm holds fewer than 2 profile points")
    xs = x[sel] * 1e-9
    sigma = float(integrate.trapezoid(profile.value[sel], xs))
    weights = np.gradient(xs) if len(xs) > 1 else np.ones(1)
    err = profile.error[sel]
    error = float(np.sqrt(np.nansum((weights * err) ** 2))) if np.any(np.isfinite(err)) else float("nan")
    return InterfaceCharge(sigma, error, float(lo), float(hi))
