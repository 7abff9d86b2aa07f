"""Beam deflection maps, from segmented detectors or a centre of mass.

Conventions
-----------
Maps are indexed (scan_y, scan_x); x is array axis −1, y is axis −2, and
vector components are (x, y) in those array coordinates. A rotation by φ maps
(x, y) to (x cos φ − y sin φ, x sin φ + y cos φ); a flip negates the y
component *before* the rotation. ``rotation_deg``/``flip`` always describe
the detector → scan transform: scan vector = R(φ) · F · detector vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from ssbkit.errors import CalibrationError

from ._checks import as_map, check_choice, check_positive

__all__ = [
    "Deflection",
    "rotate_vectors",
    "segment_deflection",
    "segment_factor",
    "subtract_background",
]


def rotate_vectors(vx, vy, *, rotation_deg: float = 0.0, flip: bool = False):
    """Apply the detector → scan transform R(φ)·F to vector components.

    Parameters
    ----------
    vx, vy : array_like
        Vector components along array axis −1 (x) and −2 (y).
    rotation_deg : float
        Rotation φ in degrees, counter-clockwise in (x, y).
    flip : bool
        Negate the y component before rotating (a mirrored detector).

    Returns
    -------
    (ndarray, ndarray)
        The transformed x and y components.
    """
    vx = np.asarray(vx, dtype=float)
    vy = np.asarray(vy, dtype=float)
    if flip:
        vy = -vy
    phi = np.deg2rad(rotation_deg)
    c, s = np.cos(phi), np.sin(phi)
    return c * vx - s * vy, s * vx + c * vy


def subtract_background(values, *, method: str = "plane", mask=None) -> np.ndarray:
    """Subtract a constant or a least-squares plane from a 2D map.

    Used for descan correction: the disk position drifts linearly with the
    scan position when the descan is imperfect, so a plane fitted over a
    field-free region (``mask``) removes it.

    Parameters
    ----------
    values : array_like, shape (scan_y, scan_x)
        The map.
    method : {"plane", "mean", "none"}
        What to subtract.
    mask : array_like of bool, optional
        Pixels used for the fit (e.g. a region known to be free of field);
        all pixels when omitted.

    Returns
    -------
    ndarray
        The map minus the background.
    """
    check_choice(method, "method", {"plane", "mean", "none"})
    arr = as_map(values, "values")
    if method == "none":
        return arr.copy()
    use = np.ones(arr.shape, bool) if mask is None else np.asarray(mask, bool)
    if use.shape != arr.shape:
        raise ValueError(f"mask has shape {use.shape}, expected {arr.shape}")
    if use.sum() < 3:
        raise CalibrationError("background mask selects fewer than 3 pixels; cannot fit a background")
    if method == "mean":
        return arr - arr[use].mean()
    yy, xx = np.indices(arr.shape, dtype=float)
    design = np.column_stack([np.ones(use.sum()), xx[use], yy[use]])
    coef, *_ = np.linalg.lstsq(design, arr[use], rcond=None)
    return arr - (coef[0] + coef[1] * xx + coef[2] * yy)


@dataclass(frozen=True)
class Deflection:
    """Beam deflection angle map in the scan frame.

    Parameters
    ----------
    x_mrad, y_mrad : ndarray, shape (scan_y, scan_x)
        Deflection components along scan x (axis −1) and scan y (axis −2), mrad.
    pixel_size_nm : float
        Scan step, nm.
    image : ndarray, optional
        A simultaneous image (ADF/HAADF or total bright-field intensity) on
        the same grid, used to register scans.
    """

    x_mrad: np.ndarray
    y_mrad: np.ndarray
    pixel_size_nm: float
    image: np.ndarray | None = None

    def __post_init__(self):
        x = as_map(self.x_mrad, "x_mrad")
        y = as_map(self.y_mrad, "y_mrad", shape=x.shape)
        object.__setattr__(self, "x_mrad", x)
        object.__setattr__(self, "y_mrad", y)
        object.__setattr__(self, "pixel_size_nm", check_positive(self.pixel_size_nm, "pixel_size_nm"))
        if self.image is not None:
            object.__setattr__(self, "image", as_map(self.image, "image", shape=x.shape))

    @property
    def magnitude_mrad(self) -> np.ndarray:
        """|θ| in mrad."""
        return np.hypot(self.x_mrad, self.y_mrad)

    def rotated(self, *, rotation_deg: float, flip: bool = False) -> Deflection:
        """The same map with the vectors transformed by R(φ)·F (see module docstring)."""
        x, y = rotate_vectors(self.x_mrad, self.y_mrad, rotation_deg=rotation_deg, flip=flip)
        return Deflection(x, y, self.pixel_size_nm, self.image)

    def minus_background(self, *, method: str = "plane", mask=None) -> Deflection:
        """Subtract a plane or mean from each component (descan correction)."""
        return Deflection(
            subtract_background(self.x_mrad, method=method, mask=mask),
            subtract_background(self.y_mrad, method=method, mask=mask),
            self.pixel_size_nm,
            self.image,
        )

    def summary(self) -> dict:
        """Flat key numbers, units in the keys."""
        mag = self.magnitude_mrad
        return {
            "scan_shape": f"{mag.shape[0]}x{mag.shape[1]}",
            "pixel_size_nm": self.pixel_size_nm,
            "max_deflection_mrad": float(mag.max()),
            "mean_deflection_mrad": float(mag.mean()),
        }

    def plot(self, ax=None):
        """Deflection magnitude map |θ| in mrad; returns the Axes."""
        if ax is None:
            _, ax = plt.subplots()
        ny, nx = self.x_mrad.shape
        extent = (0, nx * self.pixel_size_nm, ny * self.pixel_size_nm, 0)
        im = ax.imshow(self.magnitude_mrad, extent=extent, cmap="magma")
        plt.colorbar(im, ax=ax, label="|θ| (mrad)")
        ax.set_xlabel("x (nm)")
        ax.set_ylabel("y (nm)")
        return ax


_QUADRANT = 2.0 * np.sqrt(2.0) / np.pi
_HALF_PLANE = 4.0 / np.pi


def segment_factor(*, geometry: str = "quadrant", inner_radius_ratio: float = 0.0,
                   outer_radius_ratio: float = np.inf) -> float:
    """Normalised difference signal per unit disk shift, k = S / (δ/R).

    A uniform bright-field disk of radius R shifted by δ ≪ R along +x gains
    the crescent R δ cos φ dφ at the rim angle φ and loses it at φ + π. A
    segment spanning φ ∈ [−β, β] therefore gains ∫ R δ cos φ dφ = 2 R δ sin β,
    the opposite segment loses as much, and the detected total is
    Σ = π (R² − r_in²) when an inner hole r_in < R cuts the disk (and
    R < r_out, so the rim lies on the segments). Hence

    * quadrants (β = π/4): (A − C)/Σ = 2√2 (δ/R) / (π (1 − ρ_in²)),
    * half-planes (β = π/2): (R − L)/Σ = 4 (δ/R) / (π (1 − ρ_in²)),

    with ρ_in = r_in/R; to first order in δ/R (the next term is O((δ/R)³)).
    The derivation is ours (as in ../shared/PHYSICS.md); the linear
    small-shift regime of segmented-detector DPC is discussed by Lohr et al.,
    Ultramicroscopy 117, 7 (2012), doi:10.1016/j.ultramic.2012.03.020.
    When the rim lies outside the segments (r_out < R) or inside the hole
    (r_in > R) a uniform disk gives no first-order signal: calibrate.

    Parameters
    ----------
    geometry : {"quadrant", "half-plane"}
        Four 90° segments, or two halves per direction.
    inner_radius_ratio, outer_radius_ratio : float
        Inner and outer detector radii over the disk radius R.

    Returns
    -------
    float
        k such that S = k · δ/R.
    """
    check_choice(geometry, "geometry", {"quadrant", "half-plane"})
    rin = float(inner_radius_ratio)
    rout = float(outer_radius_ratio)
    if not (0.0 <= rin < 1.0 < rout):
        raise CalibrationError(
            f"the bright-field disk rim (radius ratio 1) must lie on the segments "
            f"(inner ratio {rin} < 1 < outer ratio {rout}); give calibration_factor instead"
        )
    base = _QUADRANT if geometry == "quadrant" else _HALF_PLANE
    return base / (1.0 - rin**2)


def segment_deflection(a, b, c, d, *, convergence_semiangle_mrad: float, pixel_size_nm: float,
                       geometry: str = "quadrant", inner_radius_ratio: float = 0.0,
                       outer_radius_ratio: float = np.inf, calibration_factor: float | None = None,
                       image=None) -> Deflection:
    """Deflection map from the four segment images of a segmented detector.

    Segments are ordered counter-clockwise from the detector's +x axis: ``a``
    centred on +x, ``b`` on +y, ``c`` on −x, ``d`` on −y (x along array axis
    −1 and y along axis −2 of a detector image). For ``geometry="quadrant"``
    the signals are S_x = (a − c)/Σ, S_y = (b − d)/Σ with Σ = a + b + c + d;
    for ``"half-plane"`` a/c and b/d are the halves of two split detectors and
    S_x = (a − c)/(a + c), S_y = (b − d)/(b + d). The shift in disk radii is
    S/k with k from :func:`segment_factor` (or ``calibration_factor``), and
    the angle is θ = α · δ/R because the disk radius subtends the convergence
    semi-angle α. The result is in the detector frame: apply
    :meth:`Deflection.rotated` with the scan rotation.

    Parameters
    ----------
    a, b, c, d : array_like, shape (scan_y, scan_x)
        Segment images (counts or any linear signal).
    convergence_semiangle_mrad : float
        Probe convergence semi-angle α, mrad.
    pixel_size_nm : float
        Scan step, nm.
    geometry : {"quadrant", "half-plane"}
        Detector layout.
    inner_radius_ratio, outer_radius_ratio : float
        Detector inner/outer radii over the bright-field disk radius.
    calibration_factor : float, optional
        User calibration k (signal per unit δ/R); overrides the analytic one.
    image : array_like, optional
        Simultaneous ADF/HAADF image; the segment sum is used when omitted.

    Returns
    -------
    Deflection
        θ_x, θ_y in mrad.

    Examples
    --------
    >>> import numpy as np
    >>> ones = np.ones((2, 2))
    >>> k = 2 * np.sqrt(2) / np.pi
    >>> defl = segment_deflection(ones * (1 + 0.1 * k), ones, ones * (1 - 0.1 * k), ones,
    ...                           convergence_semiangle_mrad=1.0, pixel_size_nm=1.0)
    >>> round(float(defl.x_mrad[0, 0]), 3)
    0.1
    """
    check_choice(geometry, "geometry", {"quadrant", "half-plane"})
    alpha = check_positive(convergence_semiangle_mrad, "convergence_semiangle_mrad")
    seg = [as_map(s, name) for s, name in zip((a, b, c, d), "abcd")]
    for s, name in zip(seg[1:], "bcd"):
        if s.shape != seg[0].shape:
            raise ValueError(f"segment {name} has shape {s.shape}, segment a has {seg[0].shape}")
    if calibration_factor is None:
        k = segment_factor(geometry=geometry, inner_radius_ratio=inner_radius_ratio,
                           outer_radius_ratio=outer_radius_ratio)
    else:
        k = check_positive(calibration_factor, "calibration_factor")
    a_, b_, c_, d_ = seg
    if geometry == "quadrant":
        total = a_ + b_ + c_ + d_
        norm_x = norm_y = total
    else:
        norm_x, norm_y = a_ + c_, b_ + d_
        total = norm_x + norm_y
    if np.any(norm_x <= 0) or np.any(norm_y <= 0):
        raise CalibrationError("segment sum is zero or negative at some scan positions; no beam on the detector?")
    sx = (a_ - c_) / norm_x
    sy = (b_ - d_) / norm_y
    return Deflection(alpha * sx / k, alpha * sy / k, pixel_size_nm, total if image is None else image)
