"""The measured powder pattern: canonical arrays plus what the file said."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ssbkit._shared.finite import require_finite
from ssbkit.errors import FormatError

__all__ = ["CU_KALPHA1_ANGSTROM", "CU_KALPHA2_ANGSTROM", "Pattern", "make_pattern"]

#: Cu K-alpha1 and K-alpha2 wavelengths in angstrom (Hoelzer et al., Phys. Rev. A 56
#: (1997) 4554, doi:10.1103/PhysRevA.56.4554), as used by PANalytical and Rigaku software.
CU_KALPHA1_ANGSTROM = 1.540598
CU_KALPHA2_ANGSTROM = 1.544426


@dataclass(frozen=True)
class Pattern:
    """A powder diffraction pattern on a 2-theta axis.

    Parameters
    ----------
    two_theta_deg : ndarray, shape (n,)
        Scattering angle 2-theta in degrees, strictly increasing.
    intensity : ndarray, shape (n,)
        Intensity in counts (or counts per second when the file says cps).
    wavelength_angstrom : float
        Primary wavelength (K-alpha1 for a laboratory tube) in angstrom.
    wavelength2_angstrom : float
        K-alpha2 wavelength in angstrom, NaN when the radiation is monochromatic.
    kalpha2_ratio : float
        Intensity ratio I(K-alpha2)/I(K-alpha1); 0 for monochromatic radiation.
    wavelength_assumed : bool
        True when the file did not state the wavelength and Cu K-alpha was assumed.
    sigma : ndarray, shape (n,), optional
        One-standard-deviation uncertainty of ``intensity`` when the file gives it.
    source : str
        The file the pattern was read from (``""`` when built in memory).
    metadata : dict
        Vendor metadata (sample name, scan settings, ...), JSON-safe values.
    """

    two_theta_deg: np.ndarray
    intensity: np.ndarray
    wavelength_angstrom: float = CU_KALPHA1_ANGSTROM
    wavelength2_angstrom: float = CU_KALPHA2_ANGSTROM
    kalpha2_ratio: float = 0.5
    wavelength_assumed: bool = False
    sigma: np.ndarray | None = None
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.two_theta_deg.size)

    def to_frame(self):
        """The pattern as a pandas DataFrame with columns ``two_theta_deg`` and ``intensity``.

        Written with ``to_csv(path, index=False)`` it reads back with
        :func:`xrd.read_pattern` unchanged (the wavelength is not in the table:
        pass it again, or Cu Kα1 is assumed and flagged).
        """
        import pandas as pd

        return pd.DataFrame({"two_theta_deg": self.two_theta_deg, "intensity": self.intensity})

    @property
    def step_deg(self) -> float:
        """Median 2-theta step in degrees."""
        return float(np.median(np.diff(self.two_theta_deg)))

    def crop(self, two_theta_min_deg: float, two_theta_max_deg: float) -> Pattern:
        """The part of the pattern with ``min <= 2theta <= max`` (degrees)."""
        keep = (self.two_theta_deg >= two_theta_min_deg) & (self.two_theta_deg <= two_theta_max_deg)
        if keep.sum() < 10:
            raise ValueError(
                f"crop({two_theta_min_deg}, {two_theta_max_deg}) keeps {int(keep.sum())} points; "
                f"the pattern covers {self.two_theta_deg[0]:.2f}-{self.two_theta_deg[-1]:.2f} deg"
            )
        sigma = None if self.sigma is None else self.sigma[keep]
        return Pattern(
            self.two_theta_deg[keep], self.intensity[keep], self.wavelength_angstrom,
            self.wavelength2_angstrom, self.kalpha2_ratio, self.wavelength_assumed, sigma,
            self.source, dict(self.metadata),
        )

    def summary(self) -> dict:
        """Flat, JSON-safe description of the pattern."""
        return {
            "n_points": len(self),
            "two_theta_min_deg": float(self.two_theta_deg[0]),
            "two_theta_max_deg": float(self.two_theta_deg[-1]),
            "step_deg": self.step_deg,
            "wavelength_angstrom": self.wavelength_angstrom,
            "wavelength2_angstrom": self.wavelength2_angstrom,
            "kalpha2_ratio": self.kalpha2_ratio,
            "wavelength_assumed": self.wavelength_assumed,
            "max_intensity": float(np.max(self.intensity)),
            "source": self.source,
        }

    def plot(self, ax=None, **kwargs):
        """Plot intensity against 2-theta; returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.5))
        ax.plot(self.two_theta_deg, self.intensity, lw=0.8, **kwargs)
        ax.set_xlabel(r"2$\theta$ (deg)")
        ax.set_ylabel("intensity (counts)")
        title = Path(self.source).name if self.source else "pattern"
        ax.set_title(f"{title}  (λ = {self.wavelength_angstrom:.5f} Å)", fontsize=9)
        return ax


def make_pattern(two_theta_deg, intensity, *, source="", sigma=None, wavelength_angstrom=None,
                 wavelength2_angstrom=None, kalpha2_ratio=None, metadata=None) -> Pattern:
    """Validate arrays and build a :class:`Pattern`.

    A missing wavelength means Cu K-alpha1/K-alpha2 (ratio 0.5) is assumed and
    recorded as such (``wavelength_assumed=True``). A descending axis is
    reversed; NaNs, a non-monotonic axis, fewer than 10 points or a
    non-positive wavelength raise :class:`~ssbkit.errors.FormatError` naming
    the file.

    Parameters
    ----------
    two_theta_deg, intensity : array_like, shape (n,)
        2-theta in degrees and intensity in counts.
    source : str or Path
        File name for messages and provenance.
    sigma : array_like, shape (n,), optional
        Intensity uncertainties.
    wavelength_angstrom, wavelength2_angstrom : float, optional
        K-alpha1 and K-alpha2 wavelengths in angstrom.
    kalpha2_ratio : float, optional
        I(K-alpha2)/I(K-alpha1).
    metadata : dict, optional
        Vendor metadata.
    """
    source = str(source)
    x = np.asarray(two_theta_deg, dtype=float).ravel()
    y = np.asarray(intensity, dtype=float).ravel()
    s = None if sigma is None else np.asarray(sigma, dtype=float).ravel()
    if x.size != y.size or (s is not None and s.size != x.size):
        raise FormatError(f"2-theta ({x.size}) and intensity ({y.size}) lengths differ", path=source)
    if x.size < 10:
        raise FormatError(f"only {x.size} data points; a powder pattern needs at least 10", path=source)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        bad = int(np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))[0])
        raise FormatError(f"non-finite value (NaN or inf) at data point {bad + 1}", path=source)
    for name, values in (("2-theta", x), ("intensity", y), ("sigma", s)):
        if values is not None:
            require_finite(values, path=source, what=name)  # also NaN/inf sigma and |value| >= 1e100
    if x[0] > x[-1]:
        x, y = x[::-1], y[::-1]
        s = None if s is None else s[::-1]
    dx = np.diff(x)
    if np.any(dx <= 0):
        bad = int(np.flatnonzero(dx <= 0)[0])
        raise FormatError(
            f"2-theta axis is not strictly increasing at point {bad + 2} ({x[bad]} then {x[bad + 1]})",
            path=source,
        )
    if x[0] < 0 or x[-1] > 180:
        raise FormatError(
            f"2-theta range {x[0]:g}-{x[-1]:g} is outside 0-180 deg; is the axis in degrees 2-theta?",
            path=source,
        )
    assumed = wavelength_angstrom is None
    if assumed:
        wavelength_angstrom, wavelength2_angstrom, kalpha2_ratio = (
            CU_KALPHA1_ANGSTROM, CU_KALPHA2_ANGSTROM, 0.5)
    if wavelength2_angstrom is None or kalpha2_ratio is None or not kalpha2_ratio > 0:
        wavelength2_angstrom, kalpha2_ratio = float("nan"), 0.0
    if not (np.isfinite(wavelength_angstrom) and 0.05 < wavelength_angstrom < 5.0):
        raise FormatError(f"wavelength {wavelength_angstrom!r} angstrom is not plausible", path=source)
    if kalpha2_ratio > 0 and not (np.isfinite(wavelength2_angstrom) and 0.05 < wavelength2_angstrom < 5.0
                                  and kalpha2_ratio < 10):
        raise FormatError(f"K-alpha2 wavelength {wavelength2_angstrom!r} angstrom with ratio {kalpha2_ratio!r} "
                          "is not plausible", path=source)
    return Pattern(
        x, y, float(wavelength_angstrom), float(wavelength2_angstrom), float(kalpha2_ratio),
        bool(assumed), s, source, dict(metadata or {}),
    )
