"""Calibrations: scan–detector rotation and flip, and detector pixels → mrad."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ssbkit.errors import CalibrationError

from ._checks import as_map, check_positive
from .deflection import rotate_vectors

__all__ = ["BrightFieldDisk", "ScanRotation", "bright_field_disk", "find_scan_rotation"]


@dataclass(frozen=True)
class ScanRotation:
    """Detector → scan rotation and flip that make the deflection field curl-free.

    Parameters
    ----------
    rotation_deg : float
        Rotation φ in degrees: in [0, 180) when unresolved, else in [0, 360); apply with ``flip`` as
        ``to_deflection(rotation_deg=..., flip=...)``.
    flip : bool
        Whether the detector y axis is mirrored.
    alternative_rotation_deg : float
        φ + 180°, which curl minimisation cannot tell apart from φ.
    resolved : bool
        True when the 180° ambiguity was resolved by a known field direction.
    curl_fraction : float
        Residual Σ(∇×θ)² / Σ[(∇×θ)² + (∇·θ)²] at the optimum (0 for a
        perfectly curl-free field).
    curl_fraction_other_flip : float
        The same for the best rotation with the other flip setting.
    """

    rotation_deg: float
    flip: bool
    alternative_rotation_deg: float
    resolved: bool
    curl_fraction: float
    curl_fraction_other_flip: float

    def summary(self) -> dict:
        """Flat key numbers, units in the keys."""
        return {"scan_rotation_deg": self.rotation_deg, "scan_flip": self.flip,
                "scan_rotation_alternative_deg": self.alternative_rotation_deg,
                "scan_rotation_resolved": self.resolved, "curl_fraction": self.curl_fraction}


def _components(com):
    for names in (("com_x", "com_y"), ("x_mrad", "y_mrad")):
        if hasattr(com, names[0]):
            x = getattr(com, names[0])
            y = getattr(com, names[1])
            if names[0] == "com_x":  # CoM in detector pixels: measure from the detector centre
                done = com.compute()
                ny, nx = done.detector_shape
                x, y = np.asarray(done.com_x) - (nx - 1) / 2, np.asarray(done.com_y) - (ny - 1) / 2
            return as_map(x, names[0]), as_map(y, names[1])
    raise TypeError(f"com must be a CenterOfMass or a Deflection, got {type(com).__name__}")


def _best_rotation(ux, uy, smoothing_px):
    """Minimise Σ curl² of R(φ)u: curl(R(φ)u) = sin φ · div u + cos φ · curl u."""
    gx = ndimage.gaussian_filter(ux, smoothing_px, order=(0, 1), mode="nearest")
    gxy = ndimage.gaussian_filter(ux, smoothing_px, order=(1, 0), mode="nearest")
    gyx = ndimage.gaussian_filter(uy, smoothing_px, order=(0, 1), mode="nearest")
    gy = ndimage.gaussian_filter(uy, smoothing_px, order=(1, 0), mode="nearest")
    div = (gx + gy).ravel()
    curl = (gyx - gxy).ravel()
    # quadratic form in (cos φ, sin φ): [[Σ curl², Σ curl·div], [Σ curl·div, Σ div²]]
    q = np.array([[curl @ curl, curl @ div], [curl @ div, div @ div]])
    values, vectors = np.linalg.eigh(q)
    total = values.sum()
    if total <= 0:
        raise CalibrationError("the deflection field has no spatial variation; scan rotation cannot be found")
    c, s = vectors[:, 0]
    return float(np.degrees(np.arctan2(s, c)) % 360.0), float(values[0] / total)


def find_scan_rotation(com, *, flip: bool | None = None, field_direction_deg: float | None = None,
                       smoothing_px: float = 1.0) -> ScanRotation:
    """Scan–detector rotation (and flip) that minimises the curl of the deflection.

    An electrostatic deflection field has no curl, so the right detector →
    scan transform R(φ)·F makes Σ|∇×θ|² vanish (PHYSICS.md, stem; Savitzky
    et al., Microsc. Microanal. 27, 712 (2021), doi:10.1017/S1431927621000350,
    py4DSTEM). Because curl(R(φ)u) = sin φ · ∇·u + cos φ · ∇×u, Σ curl² is a
    quadratic form in (cos φ, sin φ); its smallest eigenvector gives φ in
    closed form, up to φ + 180°, which curl cannot distinguish (py4DSTEM;
    quantem issue #123). The ambiguity is resolved when the mean field
    direction is known (``field_direction_deg``): the deflection is opposite
    to the field. Both flip settings are tried unless ``flip`` is given.

    Parameters
    ----------
    com : CenterOfMass or Deflection
        The detector-frame centre of mass (taken from the detector centre) or
        deflection map; descan should
        be removed first only if it is not linear (a constant or plane has
        constant derivatives that Gaussian smoothing does not remove, but
        they contribute little when the field varies).
    flip : bool, optional
        Fix the flip instead of testing both.
    field_direction_deg : float, optional
        Known direction of the mean in-plane field in the scan frame,
        degrees counter-clockwise from +x (array axis −1) towards +y (axis −2).
    smoothing_px : float
        Gaussian sigma of the derivatives, pixels.

    Returns
    -------
    ScanRotation
    """
    ux, uy = _components(com)
    check_positive(smoothing_px, "smoothing_px")
    flips = [False, True] if flip is None else [bool(flip)]
    found = {}
    for f in flips:
        vx, vy = (ux, -uy) if f else (ux, uy)
        found[f] = _best_rotation(vx, vy, smoothing_px)
    best = min(found, key=lambda f: found[f][1])
    angle, fraction = found[best]
    other = found[not best][1] if len(found) == 2 else float("nan")
    angle, resolved = angle % 180.0, False
    if field_direction_deg is not None:
        sx, sy = rotate_vectors(ux.mean(), uy.mean(), rotation_deg=angle, flip=best)
        expected = np.radians(float(field_direction_deg) + 180.0)
        if sx * np.cos(expected) + sy * np.sin(expected) < 0:
            angle = (angle + 180.0) % 360.0
        resolved = True
    return ScanRotation(angle, best, (angle + 180.0) % 360.0, resolved, fraction, other)


@dataclass(frozen=True)
class BrightFieldDisk:
    """Bright-field disk found in a mean diffraction pattern.

    Parameters
    ----------
    radius_px : float
        Disk radius R from its area, R = √(N/π), pixels.
    center_y_px, center_x_px : float
        Disk centre (centre of mass of the disk mask), pixels.
    mrad_per_pixel : float
        α / R, mrad per detector pixel (NaN when no α was given).
    """

    radius_px: float
    center_y_px: float
    center_x_px: float
    mrad_per_pixel: float

    def summary(self) -> dict:
        """Flat key numbers, units in the keys."""
        return {"disk_radius_px": self.radius_px, "disk_center_y_px": self.center_y_px,
                "disk_center_x_px": self.center_x_px, "mrad_per_pixel": self.mrad_per_pixel}


def bright_field_disk(pattern, *, convergence_semiangle_mrad: float | None = None,
                      threshold_fraction: float = 0.5) -> BrightFieldDisk:
    """Locate the bright-field disk and calibrate the detector, mrad/pixel = α / R.

    The disk is the connected region above ``threshold_fraction`` × the
    pattern maximum that holds the brightest pixel; its area N gives
    R = √(N/π) (PHYSICS.md, stem: a uniform disk of semi-angle α and radius R
    pixels gives α/R mrad per pixel).

    Parameters
    ----------
    pattern : array_like, shape (detector_y, detector_x)
        A mean (or single) diffraction pattern.
    convergence_semiangle_mrad : float, optional
        α, mrad; without it ``mrad_per_pixel`` is NaN.
    threshold_fraction : float
        Threshold relative to the maximum.

    Raises
    ------
    CalibrationError
        When no disk is found (empty pattern) or it touches the detector edge.
    """
    image = as_map(pattern, "pattern")
    top = image.max()
    if not top > 0:
        raise CalibrationError("the pattern holds no intensity; no bright-field disk to calibrate the detector")
    labels, _ = ndimage.label(image >= threshold_fraction * top)
    disk = labels == labels[np.unravel_index(np.argmax(image), image.shape)]
    rows, cols = np.nonzero(disk)
    if rows.min() == 0 or cols.min() == 0 or rows.max() == image.shape[0] - 1 or cols.max() == image.shape[1] - 1:
        raise CalibrationError("the bright-field disk touches the detector edge; its radius cannot be measured")
    radius = float(np.sqrt(disk.sum() / np.pi))
    mrad = float("nan") if convergence_semiangle_mrad is None else \
        check_positive(convergence_semiangle_mrad, "convergence_semiangle_mrad") / radius
    return BrightFieldDisk(radius, float(rows.mean()), float(cols.mean()), mrad)
