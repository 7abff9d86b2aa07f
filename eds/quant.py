"""Composition from net line intensities: Cliff–Lorimer k-factors.

For a thin (STEM) specimen the Cliff–Lorimer ratio C_A / C_B = k_AB I_A / I_B
holds without absorption and fluorescence corrections; with k-factors
relative to one reference line, the weight fractions are C_i = k_i I_i / Σ_j k_j I_j.
For a bulk (SEM) specimen without standards and without ZAF corrections the
same arithmetic gives only a semi-quantitative composition, and the result
says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from eds.data import json_number
from eds.lines import LineIntensities

__all__ = ["Composition", "cliff_lorimer"]


@dataclass(frozen=True)
class Composition:
    """Element concentrations per pixel (or for one spectrum).

    Attributes
    ----------
    lines : tuple of str
        Lines quantified, one per element.
    elements : tuple of str
    weight_percent, weight_percent_err : ndarray, shape (n_elements, *navigation_shape)
    atomic_percent, atomic_percent_err : ndarray, shape (n_elements, *navigation_shape)
        Concentrations and their Poisson standard errors (from the net-count errors; the
        k-factors' own uncertainty is not included).
    k_factors : dict
        The k-factor of each line, as given.
    k_factor_source : str
        Where the k-factors come from (stated by the caller).
    method : str
        "Cliff–Lorimer (thin specimen)" or "semi-quantitative (bulk specimen, no ZAF correction)".
    semi_quantitative : bool
    """

    lines: tuple[str, ...]
    elements: tuple[str, ...]
    weight_percent: np.ndarray
    weight_percent_err: np.ndarray
    atomic_percent: np.ndarray
    atomic_percent_err: np.ndarray
    k_factors: dict = field(repr=False)
    k_factor_source: str = ""
    method: str = ""
    semi_quantitative: bool = False

    def mean_atomic_percent(self) -> dict[str, float]:
        """Atomic percent of each element averaged over the pixels."""
        return {el: float(np.mean(self.atomic_percent[i])) for i, el in enumerate(self.elements)}

    def summary(self) -> dict:
        """Flat JSON-safe means per element, with the method and k-factor source."""
        out = {"method": self.method, "semi_quantitative": bool(self.semi_quantitative),
               "k_factor_source": self.k_factor_source}
        for i, el in enumerate(self.elements):
            out[f"{el}_atomic_percent"] = json_number(np.mean(self.atomic_percent[i]))
            out[f"{el}_weight_percent"] = json_number(np.mean(self.weight_percent[i]))
            out[f"{el}_k_factor"] = float(self.k_factors[self.lines[i]])
        return out

    def report(self) -> str:
        """One line per element and the method label."""
        rows = [f"{self.method}; k-factors: {self.k_factor_source}"]
        for i, el in enumerate(self.elements):
            rows.append(f"{el} ({self.lines[i]}): {np.mean(self.atomic_percent[i]):.3g} at% "
                        f"({np.mean(self.weight_percent[i]):.3g} wt%)")
        return "\n".join(rows)

    def plot(self, ax=None):
        """Bar chart of the mean atomic percent; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        means = self.mean_atomic_percent()
        ax.bar(list(means), list(means.values()))
        ax.set_ylabel("at%" + (" (semi-quantitative)" if self.semi_quantitative else ""))
        return ax


def _fractions(weights: np.ndarray, intensity: np.ndarray, sigma: np.ndarray):
    """x_i = w_i I_i / Σ w_j I_j and its propagated standard error."""
    w = weights.reshape((-1,) + (1,) * (intensity.ndim - 1))
    terms = w * intensity
    total = terms.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = terms / total
        # ∂x_i/∂I_j = (δ_ij w_i − x_i w_j) / S
        var = ((w * sigma) ** 2 * (1 - x) ** 2 + x**2 * (((w * sigma) ** 2).sum(axis=0) - (w * sigma) ** 2)) / total**2
    return x, np.sqrt(var)


def cliff_lorimer(intensities: LineIntensities, k_factors: dict, *, k_factor_source: str,
                  specimen: str = "thin") -> Composition:
    """Composition from net line intensities with stated k-factors.

    C_i = k_i I_i / Σ_j k_j I_j (weight fractions); atomic fractions divide each
    term by the atomic mass A_i.

    Parameters
    ----------
    intensities : LineIntensities
        Net counts (e.g. from :func:`eds.line_intensity`), one line per element.
    k_factors : dict
        k-factor of each line to quantify (relative to any common reference, e.g. Si Kα = 1).
    k_factor_source : str
        Where the k-factors come from (standard, vendor table, calculation), stated in the result.
    specimen : {"thin", "bulk"}
        "thin": Cliff–Lorimer for a (S)TEM lamella; "bulk": an SEM specimen, labelled semi-quantitative.

    Returns
    -------
    Composition

    References
    ----------
    G. Cliff and G. W. Lorimer, J. Microsc. 103 (1975) 203, doi:10.1111/j.1365-2818.1975.tb03895.x.

    Examples
    --------
    >>> import dataclasses
    >>> import numpy as np
    >>> from eds.data import EDSData
    >>> from eds.lines import line_intensity
    >>> e = np.arange(1024) * 0.01
    >>> r = line_intensity(EDSData(np.ones(1024), e), ["Co_Ka", "S_Ka"], warn=False)
    >>> r = dataclasses.replace(r, net_counts=np.array([100.0, 200.0]))
    >>> c = cliff_lorimer(r, {"Co_Ka": 2.0, "S_Ka": 1.0}, k_factor_source="example")
    >>> [round(float(v), 1) for v in c.weight_percent]
    [50.0, 50.0]
    """
    import xraydb

    if specimen not in ("thin", "bulk"):
        raise ValueError(f"specimen={specimen!r}; allowed: 'thin', 'bulk'")
    if not isinstance(k_factor_source, str) or not k_factor_source.strip():
        raise ValueError("k_factor_source must say where the k-factors come from")
    lines = tuple(k_factors)
    missing = [line for line in lines if line not in intensities.lines]
    if missing:
        raise ValueError(f"k_factors name lines {missing} that the intensities lack ({', '.join(intensities.lines)})")
    if len(lines) < 2:
        raise ValueError("Cliff–Lorimer needs at least two lines")
    elements = tuple(line.split("_")[0] for line in lines)
    if len(set(elements)) != len(elements):
        raise ValueError(f"one line per element, got {lines}")
    k = np.array([float(k_factors[line]) for line in lines])
    if not np.all(k > 0):
        raise ValueError(f"k-factors must be positive, got {k_factors}")
    index = [intensities.lines.index(line) for line in lines]
    intensity = np.asarray(intensities.net_counts[index], dtype=float)
    sigma = np.asarray(intensities.sigma_counts[index], dtype=float)
    mass = np.array([xraydb.atomic_mass(el) for el in elements])
    weight, weight_err = _fractions(k, intensity, sigma)
    atomic, atomic_err = _fractions(k / mass, intensity, sigma)
    method = ("Cliff–Lorimer (thin specimen)" if specimen == "thin"
              else "semi-quantitative (bulk specimen, no ZAF correction)")
    return Composition(lines, elements, 100 * weight, 100 * weight_err, 100 * atomic, 100 * atomic_err,
                       dict(k_factors), k_factor_source, method, specimen == "bulk")
