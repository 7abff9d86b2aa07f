"""Charge density by Gauss's law and projected potential by Fourier integration (iDPC)."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from scipy import constants as sc
from scipy import ndimage

from ._checks import check_positive
from .field import FieldMap

__all__ = ["ChargeMap", "PotentialMap", "charge_density", "divergence", "projected_potential"]

_C_PER_M3_TO_E_PER_NM3 = 1.0 / sc.e / 1e27


def divergence(ex, ey, pixel_size_m: float, *, smoothing_px: float = 1.0) -> np.ndarray:
    """∂Ex/∂x + ∂Ey/∂y by Gaussian-derivative filters (noise-robust), per metre.

    A derivative of a Gaussian of sigma ``smoothing_px`` is the derivative of
    the field smoothed by that Gaussian (scale-space derivative; Lindeberg,
    J. Appl. Stat. 21, 225 (1994), doi:10.1080/757582976); ``smoothing_px=0``
    uses central differences. Edges are extended (``mode="nearest"``).
    """
    if smoothing_px > 0:
        dex = ndimage.gaussian_filter(ex, smoothing_px, order=(0, 1), mode="nearest")
        dey = ndimage.gaussian_filter(ey, smoothing_px, order=(1, 0), mode="nearest")
    else:
        dex = np.gradient(ex, axis=1)
        dey = np.gradient(ey, axis=0)
    return (dex + dey) / pixel_size_m


@dataclass(frozen=True)
class ChargeMap:
    """Charge density map from Gauss's law.

    Parameters
    ----------
    rho_c_per_m3 : ndarray, shape (scan_y, scan_x)
        Charge density, C/m³ (thickness-averaged).
    pixel_size_nm : float
        Scan step, nm.
    relative_permittivity : float
        ε_r used (1: total charge, free plus bound).
    smoothing_px : float
        Gaussian sigma of the derivative, pixels.
    """

    rho_c_per_m3: np.ndarray
    pixel_size_nm: float
    relative_permittivity: float = 1.0
    smoothing_px: float = 1.0

    @property
    def rho_e_per_nm3(self) -> np.ndarray:
        """Charge density in elementary charges per nm³."""
        return self.rho_c_per_m3 * _C_PER_M3_TO_E_PER_NM3

    def summary(self) -> dict:
        """Flat key numbers, units in the keys."""
        rho = self.rho_e_per_nm3
        return {
            "max_charge_density_e_per_nm3": float(rho.max()),
            "min_charge_density_e_per_nm3": float(rho.min()),
            "rms_charge_density_e_per_nm3": float(np.sqrt(np.mean(rho**2))),
            "relative_permittivity": self.relative_permittivity,
        }

    def plot(self, ax=None, *, vmax_e_per_nm3=None):
        """Diverging colour map of ρ in e/nm³; returns the Axes."""
        if ax is None:
            _, ax = plt.subplots()
        rho = self.rho_e_per_nm3
        vmax = vmax_e_per_nm3 or float(np.percentile(np.abs(rho), 99.5)) or 1.0
        ny, nx = rho.shape
        im = ax.imshow(rho, cmap="RdBu_r", vmin=-vmax, vmax=vmax,
                       extent=(0, nx * self.pixel_size_nm, ny * self.pixel_size_nm, 0))
        plt.colorbar(im, ax=ax, label="ρ (e/nm³)")
        ax.set_xlabel("x (nm)")
        ax.set_ylabel("y (nm)")
        return ax


def charge_density(field: FieldMap, *, relative_permittivity: float = 1.0, smoothing_px: float = 1.0) -> ChargeMap:
    """Charge density by Gauss's law, ρ = ε₀ ε_r ∇·E.

    With ε_r = 1 this is the total (free plus bound) charge density of the
    projected field (PHYSICS.md, stem; Jackson, *Classical Electrodynamics*,
    3rd ed., §1.3 and §4.3); with the medium's ε_r it is the free charge of
    a linear dielectric. The divergence uses Gaussian-derivative filters
    (:func:`divergence`).

    Parameters
    ----------
    field : FieldMap
        Projected field, V/m.
    relative_permittivity : float
        ε_r of the medium, dimensionless.
    smoothing_px : float
        Gaussian sigma of the derivative, pixels (0: central differences).

    Returns
    -------
    ChargeMap
        ``rho_c_per_m3`` and ``rho_e_per_nm3``.

    Examples
    --------
    >>> import numpy as np
    >>> from stem.field import FieldMap
    >>> x = np.arange(32.0)
    >>> ex = np.tile(1e8 * x, (8, 1))           # dE/dx = 1e8 V/m per 1 nm pixel
    >>> rho = charge_density(FieldMap(ex, 0 * ex, pixel_size_nm=1.0))
    >>> round(float(rho.rho_c_per_m3[4, 16]) / (8.8541878128e-12 * 1e17), 3)
    1.0
    """
    if not isinstance(field, FieldMap):
        raise TypeError(f"field must be a FieldMap, got {type(field).__name__}")
    eps_r = check_positive(relative_permittivity, "relative_permittivity")
    if smoothing_px < 0:
        raise ValueError(f"smoothing_px must be >= 0, got {smoothing_px!r}")
    div = divergence(field.ex_v_per_m, field.ey_v_per_m, field.pixel_size_nm * 1e-9, smoothing_px=smoothing_px)
    return ChargeMap(sc.epsilon_0 * eps_r * div, field.pixel_size_nm, eps_r, float(smoothing_px))


@dataclass(frozen=True)
class PotentialMap:
    """Projected (thickness-averaged) electrostatic potential, zero mean.

    Parameters
    ----------
    potential_v : ndarray, shape (scan_y, scan_x)
        φ in V, defined up to a constant (mean set to zero).
    pixel_size_nm : float
        Scan step, nm.
    """

    potential_v: np.ndarray
    pixel_size_nm: float

    def summary(self) -> dict:
        """Flat key numbers, units in the keys."""
        return {"potential_range_v": float(np.ptp(self.potential_v))}

    def plot(self, ax=None):
        """Potential map in V; returns the Axes."""
        if ax is None:
            _, ax = plt.subplots()
        ny, nx = self.potential_v.shape
        im = ax.imshow(self.potential_v, cmap="viridis",
                       extent=(0, nx * self.pixel_size_nm, ny * self.pixel_size_nm, 0))
        plt.colorbar(im, ax=ax, label="φ (V)")
        ax.set_xlabel("x (nm)")
        ax.set_ylabel("y (nm)")
        return ax


def _mirror(ex, ey):
    """Even extension of φ to twice the size: Ex odd in x / even in y, Ey even in x / odd in y."""
    top_ex = np.concatenate([ex, -ex[:, ::-1]], axis=1)
    top_ey = np.concatenate([ey, ey[:, ::-1]], axis=1)
    return (np.concatenate([top_ex, top_ex[::-1]], axis=0),
            np.concatenate([top_ey, -top_ey[::-1]], axis=0))


def projected_potential(field: FieldMap, *, mirror: bool = True) -> PotentialMap:
    """Projected potential by Fourier integration of the field (integrated DPC).

    E = −∇φ gives φ̂(k) = i (k·Ê(k)) / |k|² (k = 2π × spatial frequency),
    the k = 0 term set to zero (Lazić et al., Ultramicroscopy 160, 265
    (2016), doi:10.1016/j.ultramic.2015.10.011). With ``mirror`` the field is
    first extended to twice the size as the field of a mirror-symmetric
    potential (Ex odd and Ey even under x → −x, and the converse in y), so
    a field that does not vanish at the edge is integrated without
    wrap-around (PHYSICS.md, stem).

    Parameters
    ----------
    field : FieldMap
        Projected field, V/m.
    mirror : bool
        Mirror-pad before the FFT.

    Returns
    -------
    PotentialMap
        φ in V with zero mean.
    """
    if not isinstance(field, FieldMap):
        raise TypeError(f"field must be a FieldMap, got {type(field).__name__}")
    ex, ey = field.ex_v_per_m, field.ey_v_per_m
    ny, nx = ex.shape
    if mirror:
        ex, ey = _mirror(ex, ey)
    step_m = field.pixel_size_nm * 1e-9
    ky = 2 * np.pi * np.fft.fftfreq(ex.shape[0], d=step_m)[:, None]
    kx = 2 * np.pi * np.fft.fftfreq(ex.shape[1], d=step_m)[None, :]
    k2 = kx**2 + ky**2
    k2[0, 0] = 1.0
    phi_hat = 1j * (kx * np.fft.fft2(ex) + ky * np.fft.fft2(ey)) / k2
    phi_hat[0, 0] = 0.0
    phi = np.fft.ifft2(phi_hat).real[:ny, :nx]
    return PotentialMap(phi - phi.mean(), field.pixel_size_nm)
