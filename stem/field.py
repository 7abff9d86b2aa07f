"""Projected in-plane electric field from the beam deflection, and the net field under bias.

θ = E t / (p v / e) with the deflection opposite to E (force −eE), so
E = −θ · (p v / e) / t (PHYSICS.md, stem; Reimer & Kohl, *Transmission
Electron Microscopy*, 5th ed. 2008, doi:10.1007/978-0-387-40093-8; Lubk &
Zweck, Phys. Rev. A 91, 023805 (2015), doi:10.1103/PhysRevA.91.023805).
E is the field averaged along the beam path through the specimen thickness t.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import hsv_to_rgb

from ssbkit.errors import CalibrationError

from ._checks import as_map, check_choice, check_positive
from .constants import pv_over_e_volt
from .deflection import Deflection
from .registration import Registration, register_images, shift_image

__all__ = ["FieldMap", "add_color_wheel", "electric_field", "net_field", "vector_colors"]


def vector_colors(vx, vy, *, vmax=None) -> np.ndarray:
    """RGB image of a vector field: hue = direction, brightness = magnitude.

    The usual DPC display (e.g. Shibata et al., Nat. Phys. 8, 611 (2012),
    doi:10.1038/nphys2337): hue encodes the angle atan2(vy, vx), value encodes
    |v| / vmax (saturated above vmax).
    """
    vx = np.asarray(vx, float)
    vy = np.asarray(vy, float)
    mag = np.hypot(vx, vy)
    vmax = float(np.percentile(mag, 99.5)) if vmax is None else float(vmax)
    hue = (np.arctan2(vy, vx) / (2 * np.pi)) % 1.0
    value = np.clip(mag / vmax, 0, 1) if vmax > 0 else np.zeros_like(mag)
    return hsv_to_rgb(np.stack([hue, np.ones_like(hue), value], axis=-1))


def add_color_wheel(ax, *, size: float = 0.22, loc=(0.76, 0.76)):
    """Inset colour wheel (hue = direction, brightness = magnitude) in the corner of ``ax``.

    The wheel uses the same image orientation as the maps (y down).
    """
    inset = ax.inset_axes([loc[0], loc[1], size, size])
    yy, xx = np.mgrid[-1:1:101j, -1:1:101j]
    rgb = vector_colors(xx, yy, vmax=1.0)
    rgb[np.hypot(xx, yy) > 1] = 1.0
    inset.imshow(rgb, origin="upper")
    inset.set_axis_off()
    return inset


@dataclass(frozen=True)
class FieldMap:
    """Projected in-plane electric field map.

    Parameters
    ----------
    ex_v_per_m, ey_v_per_m : ndarray, shape (scan_y, scan_x)
        Field along scan x (axis −1) and scan y (axis −2), V/m, averaged through the thickness.
    pixel_size_nm : float
        Scan step, nm.
    image : ndarray, optional
        Simultaneous ADF/HAADF (or bright-field) image for registration.
    registration : Registration, optional
        Set on a net field: the drift that was corrected.
    """

    ex_v_per_m: np.ndarray
    ey_v_per_m: np.ndarray
    pixel_size_nm: float
    image: np.ndarray | None = None
    registration: Registration | None = None

    def __post_init__(self):
        ex = as_map(self.ex_v_per_m, "ex_v_per_m")
        object.__setattr__(self, "ex_v_per_m", ex)
        object.__setattr__(self, "ey_v_per_m", as_map(self.ey_v_per_m, "ey_v_per_m", shape=ex.shape))
        object.__setattr__(self, "pixel_size_nm", check_positive(self.pixel_size_nm, "pixel_size_nm"))
        if self.image is not None:
            object.__setattr__(self, "image", as_map(self.image, "image", shape=ex.shape))

    @property
    def magnitude_v_per_m(self) -> np.ndarray:
        """|E| in V/m."""
        return np.hypot(self.ex_v_per_m, self.ey_v_per_m)

    @property
    def extent_nm(self):
        """(left, right, bottom, top) for ``imshow`` in nm."""
        ny, nx = self.ex_v_per_m.shape
        return (0.0, nx * self.pixel_size_nm, ny * self.pixel_size_nm, 0.0)

    def summary(self) -> dict:
        """Flat key numbers, units in the keys."""
        mag = self.magnitude_v_per_m
        out = {
            "pixel_size_nm": self.pixel_size_nm,
            "max_field_v_per_m": float(mag.max()),
            "mean_field_v_per_m": float(mag.mean()),
            "mean_ex_v_per_m": float(self.ex_v_per_m.mean()),
            "mean_ey_v_per_m": float(self.ey_v_per_m.mean()),
        }
        if self.registration is not None:
            out.update(self.registration.summary())
        return out

    def plot(self, ax=None, *, style: str = "color", vmax_v_per_m=None, wheel: bool = True):
        """Draw the field: ``"color"`` (hue = direction, brightness = |E|, colour wheel) or ``"arrows"``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        check_choice(style, "style", {"color", "arrows"})
        if ax is None:
            _, ax = plt.subplots()
        if style == "color":
            vmax = vmax_v_per_m or float(np.percentile(self.magnitude_v_per_m, 99.5)) or 1.0
            ax.imshow(vector_colors(self.ex_v_per_m, self.ey_v_per_m, vmax=vmax), extent=self.extent_nm)
            ax.set_title(f"E field (full brightness = {vmax:.2g} V/m)", fontsize=9)
            if wheel:
                add_color_wheel(ax)
        else:
            ny, nx = self.ex_v_per_m.shape
            step = max(1, max(ny, nx) // 20)
            yy, xx = np.mgrid[0:ny:step, 0:nx:step]
            base = self.image if self.image is not None else self.magnitude_v_per_m
            ax.imshow(base, cmap="gray", extent=self.extent_nm)
            p = self.pixel_size_nm
            # angles="xy": arrows follow the data axes, whose y runs downwards like the array's
            ax.quiver((xx + 0.5) * p, (yy + 0.5) * p, self.ex_v_per_m[::step, ::step],
                      self.ey_v_per_m[::step, ::step], color="tab:orange", angles="xy")
            ax.set_title("E field", fontsize=9)
        ax.set_xlabel("x (nm)")
        ax.set_ylabel("y (nm)")
        return ax


def electric_field(deflection: Deflection, *, beam_energy_kev: float, thickness_nm: float) -> FieldMap:
    """Projected in-plane electric field from a deflection map.

    E = −θ · (p v / e) / t with relativistic p v / e = γ m₀ c² β² / e
    (343.7 kV at 200 keV). θ = e E t / (γ m₀ v²) follows from the transverse
    impulse Δp = −e E t / v on an electron of momentum p = γ m₀ v crossing
    thickness t at speed v (small-angle approximation; Reimer & Kohl 2008,
    doi:10.1007/978-0-387-40093-8; Lubk & Zweck 2015,
    doi:10.1103/PhysRevA.91.023805). Fields that vary along the beam are
    averaged over the thickness.

    Parameters
    ----------
    deflection : Deflection
        Deflection in the scan frame, mrad.
    beam_energy_kev : float
        Beam energy, keV.
    thickness_nm : float
        Specimen thickness, nm (e.g. from EELS log-ratio).

    Returns
    -------
    FieldMap

    Examples
    --------
    >>> import numpy as np
    >>> from stem.deflection import Deflection
    >>> defl = Deflection(np.full((2, 2), -0.1), np.zeros((2, 2)), pixel_size_nm=1.0)
    >>> field = electric_field(defl, beam_energy_kev=200, thickness_nm=80)
    >>> round(float(field.ex_v_per_m[0, 0]) / 1e8, 3)   # 1e-4 rad * 343.7 kV / 80 nm
    4.297
    """
    if not isinstance(deflection, Deflection):
        raise TypeError(f"deflection must be a Deflection, got {type(deflection).__name__}")
    t_m = check_positive(thickness_nm, "thickness_nm") * 1e-9
    factor = -pv_over_e_volt(beam_energy_kev) / t_m * 1e-3  # mrad → rad
    return FieldMap(deflection.x_mrad * factor, deflection.y_mrad * factor, deflection.pixel_size_nm,
                    deflection.image)


def net_field(biased: FieldMap, unbiased: FieldMap, *, register: bool = True, smoothing_px: float = 1.0) -> FieldMap:
    """Net field under bias: biased minus unbiased map, after registering the scans.

    The drift (dy, dx) of the biased scan is found from the simultaneous
    images (``FieldMap.image``) by :func:`stem.register_images` and the
    biased field is shifted back by (−dy, −dx) (cubic spline, edges extended)
    before the difference (PHYSICS.md, stem).

    Parameters
    ----------
    biased, unbiased : FieldMap
        Maps of the same region and pixel size.
    register : bool
        Correct the drift between the scans.
    smoothing_px : float
        Gaussian sigma used in the registration.

    Returns
    -------
    FieldMap
        The net field, with the unbiased image and the ``registration``.

    Raises
    ------
    CalibrationError
        When ``register`` is requested but a map has no image.
    """
    if biased.ex_v_per_m.shape != unbiased.ex_v_per_m.shape:
        raise ValueError(f"maps differ in shape: {biased.ex_v_per_m.shape} vs {unbiased.ex_v_per_m.shape}")
    if not np.isclose(biased.pixel_size_nm, unbiased.pixel_size_nm, rtol=1e-6):
        raise ValueError(f"maps differ in pixel size: {biased.pixel_size_nm} vs {unbiased.pixel_size_nm} nm")
    ex, ey, reg = biased.ex_v_per_m, biased.ey_v_per_m, None
    if register:
        if biased.image is None or unbiased.image is None:
            raise CalibrationError("registration needs the simultaneous image of both scans (FieldMap.image)")
        reg = register_images(unbiased.image, biased.image, smoothing_px=smoothing_px)
        ex = shift_image(ex, -reg.dy_px, -reg.dx_px)
        ey = shift_image(ey, -reg.dy_px, -reg.dx_px)
    return FieldMap(ex - unbiased.ex_v_per_m, ey - unbiased.ey_v_per_m, unbiased.pixel_size_nm,
                    unbiased.image, reg)
