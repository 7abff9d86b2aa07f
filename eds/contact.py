"""Interface contact from a cathode and an electrolyte X-ray map; X-ray generation range.

The two net-count maps (by default Co Kα for LiCoO2 and S Kα for Li6PS5Cl)
are smoothed, normalised to their bulk levels, and combined into a phase
contrast φ = c − s (+1 cathode, −1 electrolyte, 0 in a pore or at the
interface) and a total signal t = c + s (≈ 1 in dense material, also across a
complementary interdiffusion profile, ≈ 0 in a pore). The interface normal is
the direction of the mean gradient of φ, so any orientation is found; the
interface is then traced column by column along it (φ = 0 crossings where t
stays high, fitted by a low-order polynomial). Along the trace, a column is
in contact when t stays above the segmentation threshold everywhere within a
band around the interface, and a pore otherwise. Because that answer depends
on the threshold, the contact fraction is also given over a span of
thresholds. The Co → S transition width is the 10–90 % width of an erf fit of
the un-smoothed maps across the interface, on contact columns only; in an
SEM it is compared with the Kanaya–Okayama range, below which it is an upper
bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import gaussian_filter, map_coordinates
from scipy.optimize import curve_fit
from scipy.special import erf, erfc

from ssbkit.errors import FitError

from eds.data import EDSData, add_scale_bar, json_number
from eds.lines import LineIntensities, line_intensity

__all__ = ["InterfaceContact", "interface_contact", "kanaya_okayama_range_nm"]

#: 10–90 % width of a Gaussian-blurred step in units of its σ: 2 √2 erf⁻¹(0.8).
_ERF_10_90 = 2.0 * math.sqrt(2.0) * 0.9061938024368232


def _mean_z_and_a(formula: str) -> tuple[float, float]:
    """Mass-fraction-weighted atomic number and atomic mass of a formula."""
    import xraydb

    try:
        parts = xraydb.chemparse(formula)
    except Exception:  # noqa: BLE001
        raise ValueError(f"formula={formula!r} cannot be parsed") from None
    masses = {el: n * xraydb.atomic_mass(el) for el, n in parts.items()}
    total = sum(masses.values())
    z = sum(m / total * xraydb.atomic_number(el) for el, m in masses.items())
    a = sum(m / total * xraydb.atomic_mass(el) for el, m in masses.items())
    return z, a


def kanaya_okayama_range_nm(beam_energy_kev: float, density_g_cm3: float, *, formula: str | None = None,
                            atomic_number: float | None = None, atomic_mass: float | None = None) -> float:
    """Electron range in a bulk specimen by Kanaya & Okayama.

    R (µm) = 0.0276 A E₀^1.67 / (Z^0.889 ρ), with E₀ in keV, A in g/mol and ρ
    in g/cm³; for a compound Z and A are mass-fraction-weighted means. The
    X-ray generation volume is no wider than this range.

    Parameters
    ----------
    beam_energy_kev : float
        Beam energy E₀, keV.
    density_g_cm3 : float
        Density ρ, g/cm³.
    formula : str, optional
        Chemical formula (e.g. ``"LiCoO2"``), for Z and A.
    atomic_number, atomic_mass : float, optional
        Z and A when no formula is given.

    Returns
    -------
    float
        Range, nm.

    References
    ----------
    K. Kanaya and S. Okayama, J. Phys. D: Appl. Phys. 5 (1972) 43, doi:10.1088/0022-3727/5/1/308.
    J. I. Goldstein et al., *Scanning Electron Microscopy and X-Ray Microanalysis*, 4th ed.,
    Springer 2018, doi:10.1007/978-1-4939-6676-9 (ch. 1 and 4).

    Examples
    --------
    >>> round(kanaya_okayama_range_nm(20.0, 19.3, atomic_number=79, atomic_mass=196.97))
    862
    """
    if not beam_energy_kev > 0 or not density_g_cm3 > 0:
        raise ValueError(f"beam_energy_kev={beam_energy_kev!r} and density_g_cm3={density_g_cm3!r} must be positive")
    if formula is not None:
        atomic_number, atomic_mass = _mean_z_and_a(formula)
    if atomic_number is None or atomic_mass is None:
        raise ValueError("give formula=, or both atomic_number= and atomic_mass=")
    return 1e3 * 0.0276 * atomic_mass * beam_energy_kev**1.67 / (atomic_number**0.889 * density_g_cm3)


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of a 1-D sample (256 bins)."""
    hist, edges = np.histogram(values, bins=256)
    centers = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centers)
    mu0 = m0 / np.maximum(w0, 1)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mu0 - mu1) ** 2
    return float(centers[np.argmax(between)])


def _bulk_level(smoothed: np.ndarray) -> float:
    high = smoothed[smoothed > _otsu(smoothed.ravel())]
    return float(np.median(high)) if high.size else float(np.max(smoothed))


@dataclass(frozen=True)
class InterfaceContact:
    """How well a cathode and an electrolyte touch along their interface.

    Attributes
    ----------
    contact_fraction : float
        Share of the traced interface length where the phases meet without a
        pore between them, at ``threshold``.
    contact_fraction_range : (float, float)
        Lowest and highest contact fraction over ``threshold_span``.
    void_fraction : float
        Share of the band along the interface (± ``band_half_width_nm``) that is pore, at ``threshold``.
    void_fraction_range : (float, float)
        Its range over ``threshold_span``.
    interdiffusion_width_nm, interdiffusion_width_err_nm : float
        10–90 % width of the erf fit of the Co → S transition and its standard
        error, nm (NaN when the map has no pixel size; see ``..._px``).
    interdiffusion_width_px, interdiffusion_width_err_px : float
        The same in pixels.
    width_is_upper_bound : bool
        True when the width is below the X-ray generation range: the true
        interdiffusion can be narrower.
    generation_range_nm : float or None
        Kanaya–Okayama range of the less dense phase at the beam energy
        (None for a thin, STEM specimen or unknown beam energy).
    cathode_range_nm, electrolyte_range_nm : float or None
        The range in each phase.
    interface_angle_deg : float
        Direction of the interface from the +x (column) axis towards +y (row), degrees in [0, 180).
    normal_xy : (float, float)
        Unit normal (x, y) from the cathode into the electrolyte.
    interface_length_nm : float
        Length of the traced interface (NaN without pixel size).
    threshold, threshold_span : float, (float, float)
        Segmentation threshold on the normalised total signal and the span scanned.
    band_half_width_nm, band_half_width_px : float
        Half-width of the band searched for pores.
    trace_xy_px : ndarray, shape (n, 2)
        Traced interface points (x, y), pixels, one per column along it.
    contact : ndarray of bool, shape (n,)
        Contact (True) or pore (False) at each trace point.
    profile_distance_px, profile_cathode, profile_electrolyte, profile_err : ndarray
        Binned profile across the interface (normalised signals and their standard error).
    fit_params : dict
        Erf-fit parameters (``center_px``, ``sigma_px``, amplitudes and offsets).
    cathode_map, electrolyte_map : ndarray
        Net-count maps used.
    pixel_size_nm : float or None
    cathode_line, electrolyte_line : str
    success : bool
        The erf fit converged.
    message : str
    quality : {"ok", "warning", "poor"}
    reasons : tuple of str
        Why the quality is not "ok".
    notes : tuple of str
        What the numbers mean beyond that (e.g. the width is an upper bound).
    images : tuple of ElectronImage
        Electron images acquired with the map (for figures).

    Notes
    -----
    Trace coordinates and ``..._px`` quantities are in pixels of the analysed map (after ``binning``).
    Pores shorter along the interface than about the transition width are blurred away by the
    X-ray generation volume and cannot be seen; the interface is assumed straight or gently curved
    (a polynomial of degree ``trace_degree`` about its mean direction).
    """

    contact_fraction: float
    contact_fraction_range: tuple[float, float]
    void_fraction: float
    void_fraction_range: tuple[float, float]
    interdiffusion_width_nm: float
    interdiffusion_width_err_nm: float
    interdiffusion_width_px: float
    interdiffusion_width_err_px: float
    width_is_upper_bound: bool
    generation_range_nm: float | None
    cathode_range_nm: float | None
    electrolyte_range_nm: float | None
    interface_angle_deg: float
    normal_xy: tuple[float, float]
    interface_length_nm: float
    threshold: float
    threshold_span: tuple[float, float]
    band_half_width_nm: float
    band_half_width_px: float
    trace_xy_px: np.ndarray = field(repr=False)
    contact: np.ndarray = field(repr=False)
    profile_distance_px: np.ndarray = field(repr=False)
    profile_cathode: np.ndarray = field(repr=False)
    profile_electrolyte: np.ndarray = field(repr=False)
    profile_err: np.ndarray = field(repr=False)
    fit_params: dict = field(repr=False)
    cathode_map: np.ndarray = field(repr=False)
    electrolyte_map: np.ndarray = field(repr=False)
    pixel_size_nm: float | None
    cathode_line: str
    electrolyte_line: str
    success: bool
    message: str
    quality: str
    reasons: tuple[str, ...]
    notes: tuple[str, ...] = ()
    images: tuple = field(default=(), repr=False)

    def summary(self) -> dict:
        """Flat JSON-safe numbers."""
        return {
            "cathode_line": self.cathode_line, "electrolyte_line": self.electrolyte_line,
            "contact_fraction": float(self.contact_fraction),
            "contact_fraction_min": float(self.contact_fraction_range[0]),
            "contact_fraction_max": float(self.contact_fraction_range[1]),
            "void_fraction": float(self.void_fraction),
            "void_fraction_min": float(self.void_fraction_range[0]),
            "void_fraction_max": float(self.void_fraction_range[1]),
            "interdiffusion_width_nm": json_number(self.interdiffusion_width_nm),
            "interdiffusion_width_err_nm": json_number(self.interdiffusion_width_err_nm),
            "interdiffusion_width_px": json_number(self.interdiffusion_width_px),
            "width_is_upper_bound": bool(self.width_is_upper_bound),
            "generation_range_nm": json_number(self.generation_range_nm),
            "interface_angle_deg": float(self.interface_angle_deg),
            "interface_length_nm": json_number(self.interface_length_nm),
            "threshold": float(self.threshold), "threshold_min": float(self.threshold_span[0]),
            "threshold_max": float(self.threshold_span[1]),
            "band_half_width_nm": json_number(self.band_half_width_nm),
            "pixel_size_nm": json_number(self.pixel_size_nm),
            "n_trace_points": int(self.contact.size), "success": bool(self.success),
            "quality": self.quality, "reasons": "; ".join(self.reasons), "notes": "; ".join(self.notes),
        }

    def report(self) -> str:
        """A few lines for a text report."""
        lo, hi = self.contact_fraction_range
        unit, width, err = ("nm", self.interdiffusion_width_nm, self.interdiffusion_width_err_nm) \
            if self.pixel_size_nm is not None else ("px", self.interdiffusion_width_px, self.interdiffusion_width_err_px)
        bound = "≤ " if self.width_is_upper_bound else ""
        lines = [
            f"contact fraction {self.contact_fraction:.3f} (range {lo:.3f}–{hi:.3f} over thresholds "
            f"{self.threshold_span[0]:g}–{self.threshold_span[1]:g}), void fraction of the ±"
            f"{self.band_half_width_px:.1f} px band {self.void_fraction:.3f}",
            f"{self.cathode_line} → {self.electrolyte_line} 10–90 % width {bound}{width:.3g} ± {err:.2g} {unit}"
            + (f" (below the {self.generation_range_nm:.3g} nm Kanaya–Okayama range: an upper bound)"
               if self.width_is_upper_bound else ""),
            f"interface at {self.interface_angle_deg:.1f}° over {self.contact.size} px; quality {self.quality}"
            + (": " + "; ".join(self.reasons) if self.reasons else ""),
        ]
        return "\n".join(lines)

    def plot(self, ax=None):
        """Maps, overlay with the traced interface (green contact, red pores) and the profile with its fit.

        Parameters
        ----------
        ax : sequence of 4 matplotlib Axes, optional
            Drawn on a new 1 × 4 figure when omitted.

        Returns
        -------
        ndarray of matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt
        from matplotlib.collections import LineCollection

        if ax is None:
            _, ax = plt.subplots(1, 4, figsize=(15, 3.8))
        axes = np.asarray(ax).ravel()
        width = self.cathode_map.shape[1]
        c = self.cathode_map / max(np.percentile(self.cathode_map, 99), 1e-12)
        s = self.electrolyte_map / max(np.percentile(self.electrolyte_map, 99), 1e-12)
        for a, image, title, cmap in ((axes[0], self.cathode_map, self.cathode_line, "Reds"),
                                      (axes[1], self.electrolyte_map, self.electrolyte_line, "Greens")):
            a.imshow(image, cmap=cmap)
            a.set_title(f"{title} (net counts)")
            a.set_axis_off()
            add_scale_bar(a, self.pixel_size_nm, width, color="black")
        rgb = np.clip(np.stack([c, s, np.zeros_like(c)], axis=-1), 0, 1)
        axes[2].imshow(rgb)
        points = self.trace_xy_px
        if len(points) > 1:
            segments = np.stack([points[:-1], points[1:]], axis=1)
            colors = np.where(self.contact[:-1] & self.contact[1:], "lime", "red")
            axes[2].add_collection(LineCollection(segments, colors=colors, linewidths=2.5))
        axes[2].set_title(f"contact {self.contact_fraction:.2f} ({self.contact_fraction_range[0]:.2f}–"
                          f"{self.contact_fraction_range[1]:.2f})")
        axes[2].set_axis_off()
        add_scale_bar(axes[2], self.pixel_size_nm, width)
        scale, unit = (self.pixel_size_nm, "nm") if self.pixel_size_nm is not None else (1.0, "px")
        d = self.profile_distance_px * scale
        axes[3].errorbar(d, self.profile_cathode, self.profile_err, fmt=".", color="tab:red", ms=3,
                         label=self.cathode_line)
        axes[3].errorbar(d, self.profile_electrolyte, self.profile_err, fmt=".", color="tab:green", ms=3,
                         label=self.electrolyte_line)
        if self.success:
            fine = np.linspace(self.profile_distance_px.min(), self.profile_distance_px.max(), 400)
            cat, ele = _profile_model(fine, **self.fit_params)
            axes[3].plot(fine * scale, cat, color="tab:red", lw=1)
            axes[3].plot(fine * scale, ele, color="tab:green", lw=1)
        axes[3].set_xlabel(f"distance ({unit}): cathode < 0 < electrolyte")
        axes[3].set_ylabel("normalised signal")
        axes[3].legend(frameon=False)
        return axes


def _profile_model(d, center_px, sigma_px, cathode_amplitude, cathode_offset, electrolyte_amplitude,
                   electrolyte_offset):
    z = (d - center_px) / (math.sqrt(2.0) * sigma_px)
    return (cathode_amplitude * 0.5 * erfc(z) + cathode_offset,
            electrolyte_amplitude * 0.5 * (1.0 + erf(z)) + electrolyte_offset)


_PARAMS = ("center_px", "sigma_px", "cathode_amplitude", "cathode_offset", "electrolyte_amplitude",
           "electrolyte_offset")


def _fit_profile(distance, cathode, electrolyte, err):
    """Joint erf fit of the two normalised profiles (shared centre and σ)."""
    n = distance.size

    def model(d2, *p):
        cat, ele = _profile_model(d2[:n], **dict(zip(_PARAMS, p)))
        return np.concatenate([cat, ele])

    y = np.concatenate([cathode, electrolyte])
    sigma = np.concatenate([err, err])
    p0 = [0.0, 2.0, 1.0, 0.0, 1.0, 0.0]
    bounds = ([distance.min(), 0.05, 0.0, -1.0, 0.0, -1.0], [distance.max(), np.ptp(distance), 5.0, 1.0, 5.0, 1.0])
    try:
        popt, pcov = curve_fit(model, np.concatenate([distance, distance]), y, p0=p0, sigma=sigma,
                               absolute_sigma=True, bounds=bounds, maxfev=20000)
    except (RuntimeError, ValueError) as err_:
        return None, None, f"erf fit failed: {err_}"
    residual = (y - model(np.concatenate([distance, distance]), *popt)) / sigma
    dof = max(y.size - len(popt), 1)
    redchi = float(np.sum(residual**2) / dof)
    perr = np.sqrt(np.clip(np.diag(pcov), 0, None)) * math.sqrt(max(redchi, 1.0))
    return dict(zip(_PARAMS, map(float, popt))), dict(zip(_PARAMS, map(float, perr))), \
        f"erf fit converged, reduced χ² {redchi:.2f}"


def _specimen_ranges(specimen, beam_energy_kev, cathode, electrolyte):
    if specimen == "auto":
        specimen = "bulk" if beam_energy_kev is not None and beam_energy_kev <= 40 else "thin"
    if specimen == "thin" or beam_energy_kev is None:
        return None, None
    return (kanaya_okayama_range_nm(beam_energy_kev, cathode[1], formula=cathode[0]),
            kanaya_okayama_range_nm(beam_energy_kev, electrolyte[1], formula=electrolyte[0]))


def _robust_poly(v, u, degree, scale_px):
    """Polynomial u(v) fitted with 3 rounds of outlier rejection (3 × MAD, at least ``scale_px``)."""
    keep = np.ones(v.size, bool)
    coef = np.zeros(degree + 1)
    for _ in range(4):
        coef = np.polyfit(v[keep], u[keep], degree)
        resid = u - np.polyval(coef, v)
        mad = 1.4826 * np.median(np.abs(resid[keep]))
        keep = np.abs(resid) <= max(3 * mad, scale_px)
    return coef


#: Net counts of a whole map, in standard deviations, below which a line is taken as absent.
MIN_SIGNAL_SIGMA = 3.0


def _require_signal(line: str, counts: np.ndarray, sigma: np.ndarray) -> None:
    """Refuse a map in which ``line`` is not above its Poisson noise: there is then no phase to find an
    interface of (the map's net counts against their standard deviation, pixels independent)."""
    total = float(np.nansum(counts))
    error = float(np.sqrt(np.nansum(np.asarray(sigma, dtype=float) ** 2)))
    if not total > MIN_SIGNAL_SIGMA * error:
        raise FitError(f"no interface can be traced: {line} is not above the noise in this map (net counts "
                       f"{total:.0f} ± {error:.0f}, below {MIN_SIGNAL_SIGMA:g} σ); is the line right for this "
                       "specimen?")


def interface_contact(data, *, cathode_line: str = "Co_Ka", electrolyte_line: str = "S_Ka",
                      threshold: float = 0.5, threshold_span: tuple[float, float] = (0.3, 0.7),
                      smoothing_px: float | None = None, band_half_width_nm: float | None = None, binning: int = 1,
                      trace_degree: int = 2, specimen: str = "auto",
                      cathode_formula: str = "LiCoO2", cathode_density_g_cm3: float = 5.06,
                      electrolyte_formula: str = "Li6PS5Cl", electrolyte_density_g_cm3: float = 1.64,
                      beam_energy_kev: float | None = None) -> InterfaceContact:
    """Contact fraction, voids and transition width of a cathode | electrolyte interface.

    Parameters
    ----------
    data : EDSData or LineIntensities
        A map (n_y, n_x, n_channels), or line intensities already computed
        from one (they must contain both lines).
    cathode_line, electrolyte_line : str
        X-ray lines marking each phase (Co Kα for LiCoO2, S Kα for Li6PS5Cl).
    threshold : float
        Segmentation threshold on the total signal normalised to the dense
        phases (0 pore, 1 dense); default halfway.
    threshold_span : (float, float)
        Thresholds scanned for the range of the contact fraction (default 0.3–0.7: the
        answer should not hinge on where between pore and dense the cut is made).
    smoothing_px : float, optional
        σ of the Gaussian smoothing of the maps for the segmentation, pixels
        (the width is fitted on the un-smoothed maps). Default: 1 px for
        tracing, then half the fitted transition σ (at least 1 px) for the
        pore search: the X-ray generation volume already blurs pores that much,
        and the smoothing keeps Poisson noise from opening false pores.
    band_half_width_nm : float, optional
        Half-width of the band searched for pores; default max(3 px, the fitted 10–90 % width).
    binning : int
        Pixels binned before the analysis (noisy maps); passed to :func:`line_intensity`.
    trace_degree : int
        Degree of the polynomial that follows the interface (0–3; 1 for a straight interface).
    specimen : {"auto", "bulk", "thin"}
        Bulk (SEM) specimens get the Kanaya–Okayama range; "auto" is bulk at beam energies ≤ 40 keV.
    cathode_formula, cathode_density_g_cm3, electrolyte_formula, electrolyte_density_g_cm3
        Phases for the generation range (defaults LiCoO2 5.06 g/cm³, Li6PS5Cl 1.64 g/cm³).
    beam_energy_kev : float, optional
        Overrides the file's beam energy.

    Returns
    -------
    InterfaceContact

    Raises
    ------
    FitError
        No interface can be found (a line not above its noise in the whole map — one phase missing
        or the wrong line — or no contact anywhere).

    References
    ----------
    N. Otsu, IEEE Trans. Syst. Man Cybern. 9 (1979) 62, doi:10.1109/TSMC.1979.4310076 (bulk levels).
    K. Kanaya and S. Okayama, J. Phys. D: Appl. Phys. 5 (1972) 43, doi:10.1088/0022-3727/5/1/308.

    Examples
    --------
    >>> from eds.synthetic import simulate_interface_map
    >>> truth = simulate_interface_map((96, 96), angle_deg=30, pore_fraction=0.25, seed=1)
    >>> r = interface_contact(truth.data)
    >>> abs(r.contact_fraction - truth.contact_fraction_at(r.trace_xy_px)) < 0.05
    True
    """
    if specimen not in ("auto", "bulk", "thin"):
        raise ValueError(f"specimen={specimen!r}; allowed: 'auto', 'bulk', 'thin'")
    lo_t, hi_t = threshold_span
    if not 0 < lo_t <= threshold <= hi_t < 1:
        raise ValueError(f"threshold={threshold!r} and threshold_span={threshold_span!r}: need 0 < low ≤ threshold "
                         "≤ high < 1")
    if isinstance(trace_degree, bool) or trace_degree not in (0, 1, 2, 3):
        raise ValueError(f"trace_degree={trace_degree!r}; allowed: 0, 1, 2, 3")
    if smoothing_px is not None and not smoothing_px >= 0:
        raise ValueError(f"smoothing_px={smoothing_px!r}; expected ≥ 0 or None")
    if isinstance(data, LineIntensities):
        intensities = data
        energy = beam_energy_kev
    elif isinstance(data, EDSData):
        if len(data.navigation_shape) != 2:
            raise ValueError(f"interface_contact needs a map; the data have navigation shape {data.navigation_shape}")
        intensities = line_intensity(data, [cathode_line, electrolyte_line], binning=binning)
        energy = beam_energy_kev if beam_energy_kev is not None else data.beam_energy_kev
    else:
        raise TypeError(f"data must be EDSData or LineIntensities, not {type(data).__name__}")
    cmap, smap = intensities.map(cathode_line), intensities.map(electrolyte_line)
    csig, ssig = intensities.sigma(cathode_line), intensities.sigma(electrolyte_line)
    if cmap.ndim != 2:
        raise ValueError(f"interface_contact needs 2-D maps, got shape {cmap.shape}")
    for line, counts, sigma in ((cathode_line, cmap, csig), (electrolyte_line, smap, ssig)):
        _require_signal(line, counts, sigma)
    pixel = intensities.pixel_size_nm
    geometry = _trace_interface(cmap, smap, 1.0 if smoothing_px is None else smoothing_px, threshold, trace_degree)
    if band_half_width_nm is not None and pixel is None:
        raise ValueError("band_half_width_nm needs a calibrated map (pixel_size_nm is None)")
    thresholds = np.linspace(lo_t, hi_t, 9)
    fit = _transition_width(cmap, smap, csig, ssig, geometry)
    for _ in range(2):  # refit on contact columns away from pores (pore edges dim the profile), re-classify
        width_px = fit["width_px"] if np.isfinite(fit["width_px"]) else 3.0
        band_px = band_half_width_nm / pixel if band_half_width_nm is not None else max(3.0, width_px)
        smooth = smoothing_px if smoothing_px is not None else max(1.0, 0.5 * width_px / _ERF_10_90)
        contact, voids = _classify(geometry, _total_signal(cmap, smap, geometry["levels"], smooth), band_px,
                                   thresholds, threshold)
        away = _erode(contact["mask"], int(math.ceil(max(width_px, band_px))))
        if away.all():
            break
        if away.sum() < 10:
            fit["reasons"].append("no stretch of the interface lies a transition width away from every pore: "
                                  "the width is fitted next to pores and may be too wide")
            break
        geometry["good_v"] = contact["v"][away]
        fit = _transition_width(cmap, smap, csig, ssig, geometry)
    width_px, width_err_px = fit["width_px"], fit["width_err_px"]
    ranges = _specimen_ranges(specimen, energy, (cathode_formula, cathode_density_g_cm3),
                              (electrolyte_formula, electrolyte_density_g_cm3))
    generation = None if ranges[0] is None else max(ranges)
    to_nm = (lambda x: x * pixel) if pixel is not None else (lambda x: float("nan"))
    width_nm = to_nm(width_px)
    upper = bool(generation is not None and np.isfinite(width_nm) and width_nm <= generation)
    reasons = list(fit["reasons"]) + list(geometry["reasons"])
    if contact["range"][1] - contact["range"][0] > 0.2:
        reasons.append(f"contact fraction depends strongly on the threshold ({contact['range'][0]:.2f}–"
                       f"{contact['range'][1]:.2f})")
    sigma_px = fit["params"].get("sigma_px", float("nan"))
    if geometry["trace_rms_px"] > 0.35 * sigma_px:  # σ_measured² ≈ σ² + rms²: more than ~6 % broadening
        hint = f"; try trace_degree={trace_degree + 1}" if trace_degree < 3 else ""
        reasons.append(f"the traced interface misses the φ = 0 crossings by {geometry['trace_rms_px']:.1f} px RMS "
                       f"(bowed or rough interface): the width is broadened{hint}")
    notes = []
    if upper:
        notes.append(f"transition width below the X-ray generation range ({generation:.3g} nm): an upper bound")
    if intensities.overlaps:
        reasons.append("line overlaps: " + "; ".join(f"{o.line}/{o.other}" for o in intensities.overlaps))
    poor = not fit["success"] or geometry["n_columns"] < 20
    quality = "poor" if poor else ("warning" if reasons else "ok")
    tangent = geometry["tangent"]
    angle = math.degrees(math.atan2(tangent[1], tangent[0])) % 180.0
    return InterfaceContact(
        contact_fraction=contact["value"], contact_fraction_range=contact["range"],
        void_fraction=voids["value"], void_fraction_range=voids["range"],
        interdiffusion_width_nm=width_nm, interdiffusion_width_err_nm=to_nm(width_err_px),
        interdiffusion_width_px=width_px, interdiffusion_width_err_px=width_err_px,
        width_is_upper_bound=upper, generation_range_nm=generation,
        cathode_range_nm=ranges[0], electrolyte_range_nm=ranges[1], interface_angle_deg=angle,
        normal_xy=tuple(float(x) for x in geometry["normal"]),
        interface_length_nm=to_nm(float(np.sum(np.hypot(*np.diff(contact["trace_xy"], axis=0).T)))),
        threshold=float(threshold), threshold_span=(float(lo_t), float(hi_t)),
        band_half_width_nm=to_nm(band_px), band_half_width_px=float(band_px),
        trace_xy_px=contact["trace_xy"], contact=contact["mask"],
        profile_distance_px=fit["distance"], profile_cathode=fit["cathode"], profile_electrolyte=fit["electrolyte"],
        profile_err=fit["err"], fit_params=fit["params"], cathode_map=cmap, electrolyte_map=smap,
        pixel_size_nm=pixel, cathode_line=cathode_line, electrolyte_line=electrolyte_line,
        success=fit["success"], message=fit["message"], quality=quality, reasons=tuple(reasons),
        notes=tuple(notes), images=intensities.images)


def _trace_interface(cmap, smap, smoothing_px, threshold, degree):
    """Normalise the maps, find the interface normal and trace the interface column by column."""
    cs = gaussian_filter(cmap.astype(float), smoothing_px) if smoothing_px > 0 else cmap.astype(float)
    ss = gaussian_filter(smap.astype(float), smoothing_px) if smoothing_px > 0 else smap.astype(float)
    lc, ls = _bulk_level(cs), _bulk_level(ss)
    if not (lc > 0 and ls > 0):
        raise FitError("one of the two maps has no signal: no interface to find")
    ny, nx = cmap.shape
    yy, xx = np.mgrid[0:ny, 0:nx].astype(float)
    center = np.array([(nx - 1) / 2, (ny - 1) / 2])
    normal = None
    for _ in range(2):  # second pass with bulk levels taken away from the interface
        phi = cs / lc - ss / ls
        total = cs / lc + ss / ls
        gy, gx = np.gradient(gaussian_filter(phi, max(2.0, smoothing_px)))
        g = np.array([gx.sum(), gy.sum()])
        if not np.hypot(*g) > 1e-9 * phi.size:
            raise FitError("no interface found: the phase contrast has no mean gradient")
        normal = -g / np.hypot(*g)  # φ falls from cathode (+1) to electrolyte (−1)
        u = (xx - center[0]) * normal[0] + (yy - center[1]) * normal[1]
        dense = total > threshold
        if dense.sum() < 10:
            raise FitError("no interface found: almost no pixel reaches the dense level")
        offset = float(np.quantile(u[dense], np.mean(phi[dense] > 0)))
        far = max(6.0, 3 * smoothing_px + 3)
        cathode_bulk, electrolyte_bulk = cs[u < offset - far], ss[u > offset + far]
        if cathode_bulk.size < 20 or electrolyte_bulk.size < 20:
            raise FitError("no interface found: one phase covers (almost) the whole map")
        lc, ls = float(np.median(cathode_bulk)), float(np.median(electrolyte_bulk))
    phi, total = cs / lc - ss / ls, cs / lc + ss / ls
    tangent = np.array([-normal[1], normal[0]])
    v_all = (xx - center[0]) * tangent[0] + (yy - center[1]) * tangent[1]
    v_cols = np.arange(math.ceil(v_all.min()), math.floor(v_all.max()) + 1, 1.0)
    reach = max(12.0, 6 * smoothing_px)
    u_grid = np.arange(-reach, reach + 0.25, 0.5)

    def sample(image, v, u):
        x = center[0] + u * normal[0] + v * tangent[0]
        y = center[1] + u * normal[1] + v * tangent[1]
        inside = (x >= 0) & (x <= nx - 1) & (y >= 0) & (y <= ny - 1)
        values = map_coordinates(image, [y, x], order=1, mode="nearest")
        return np.where(inside, values, np.nan)

    vv, uu = np.meshgrid(v_cols, offset + u_grid, indexing="ij")
    phi_s, tot_s = sample(phi, vv, uu), sample(total, vv, uu)
    crossings_v, crossings_u = [], []
    for k in range(v_cols.size):
        p, t = phi_s[k], tot_s[k]
        sign_change = np.nonzero((p[:-1] > 0) & (p[1:] <= 0))[0]
        best = None
        for i in sign_change:
            if not (np.isfinite(p[i]) and np.isfinite(p[i + 1])):
                continue
            frac = p[i] / (p[i] - p[i + 1])
            near = t[max(i - 1, 0):i + 3]
            if not np.all(np.isfinite(near)) or near.min() < threshold:
                continue
            pos = u_grid[i] + frac * (u_grid[i + 1] - u_grid[i])
            if best is None or abs(pos) < abs(best):
                best = pos
        if best is not None:
            crossings_v.append(v_cols[k])
            crossings_u.append(offset + best)
    crossings_v, crossings_u = np.array(crossings_v), np.array(crossings_u)
    if crossings_v.size < max(5, degree + 2):
        raise FitError(f"no interface found: only {crossings_v.size} columns show the two phases meeting")
    coef = _robust_poly(crossings_v, crossings_u, degree, 1.5)
    residual = crossings_u - np.polyval(coef, crossings_v)
    trace_rms = float(np.sqrt(np.mean(np.clip(residual, -3, 3) ** 2)))
    trace_u = np.polyval(coef, v_cols)
    x = center[0] + trace_u * normal[0] + v_cols * tangent[0]
    y = center[1] + trace_u * normal[1] + v_cols * tangent[1]
    keep = (x >= 0) & (x <= nx - 1) & (y >= 0) & (y <= ny - 1)
    slope = coef[-2] if degree >= 1 else 0.0
    direction = tangent + slope * normal
    direction = direction / np.hypot(*direction)
    reasons = []
    if crossings_v.size < 0.2 * keep.sum():
        reasons.append(f"the two phases meet in only {crossings_v.size} of {keep.sum()} columns")
    return {"normal": normal, "tangent": direction, "center": center, "levels": (lc, ls), "phi": phi,
            "total": total, "coef": coef, "v_cols": v_cols[keep], "trace_u": trace_u[keep],
            "trace_xy": np.stack([x[keep], y[keep]], axis=1), "n_columns": int(crossings_v.size),
            "good_v": crossings_v, "sample": sample, "reasons": reasons, "trace_rms_px": trace_rms}


def _erode(mask: np.ndarray, n: int) -> np.ndarray:
    """True where ``mask`` holds for ``n`` neighbours on both sides along the trace."""
    from scipy.ndimage import binary_erosion

    return binary_erosion(mask, structure=np.ones(2 * n + 1, bool), border_value=1) if n > 0 else mask


def _transition_width(cmap, smap, csig, ssig, geometry):
    """Erf fit across the interface; the fitted span grows to 3 widths when the transition is wide."""
    reach = 13.0
    limit = max(13.0, min(cmap.shape) / 2 - 2)
    for _ in range(4):
        fit = _fit_width(cmap, smap, csig, ssig, geometry, reach)
        if not fit["success"] or fit["width_px"] <= reach / 3 or reach >= limit:
            return fit
        reach = min(3.0 * fit["width_px"] + 3.0, limit)
    return fit


def _total_signal_dip(distance, total, err, params):
    """1 − (mean total signal within ±σ of the interface) / (mean beyond 2.5 σ), with its standard error."""
    d = np.abs(distance - params["center_px"])
    near, far = d <= max(params["sigma_px"], 0.5), d >= 2.5 * params["sigma_px"]
    if near.sum() < 2 or far.sum() < 2:
        return 0.0, float("inf")
    a, b = np.mean(total[near]), np.mean(total[far])
    sa = np.sqrt(2 * np.sum(err[near] ** 2)) / near.sum()  # err is per profile; the total adds two
    sb = np.sqrt(2 * np.sum(err[far] ** 2)) / far.sum()
    return float(1 - a / b), float(np.hypot(sa / b, a * sb / b**2))


def _fit_width(cmap, smap, csig, ssig, geometry, reach):
    """Erf fit of the un-smoothed, normalised maps across the interface, on columns where the phases meet."""
    ny, nx = cmap.shape
    yy, xx = np.mgrid[0:ny, 0:nx].astype(float)
    center, normal = geometry["center"], geometry["normal"]
    tangent0 = np.array([-normal[1], normal[0]])
    u = (xx - center[0]) * normal[0] + (yy - center[1]) * normal[1]
    v = (xx - center[0]) * tangent0[0] + (yy - center[1]) * tangent0[1]
    good = np.zeros(u.shape, bool)
    good_cols = np.round(geometry["good_v"]).astype(int)
    col_of_pixel = np.round(v).astype(int)
    good |= np.isin(col_of_pixel, good_cols)
    d = u - np.polyval(geometry["coef"], v)
    sel = good & (np.abs(d) <= reach)
    lc, ls = geometry["levels"]
    bins = np.arange(-reach, reach + 0.5, 0.5)
    which = np.digitize(d[sel], bins) - 1
    nb = bins.size - 1
    count = np.bincount(which, minlength=nb)[:nb]
    ok = count >= 3
    cat = np.bincount(which, cmap[sel] / lc, minlength=nb)[:nb]
    ele = np.bincount(which, smap[sel] / ls, minlength=nb)[:nb]
    var = np.bincount(which, (csig[sel] / lc) ** 2 + (ssig[sel] / ls) ** 2, minlength=nb)[:nb] / 2
    distance = (bins[:-1] + bins[1:])[ok] / 2
    cat, ele = cat[ok] / count[ok], ele[ok] / count[ok]
    err = np.sqrt(var[ok]) / count[ok]
    err = np.where(err > 0, err, np.max(err) if np.any(err > 0) else 1.0)
    reasons = []
    if distance.size < 8:
        return {"width_px": float("nan"), "width_err_px": float("nan"), "distance": distance, "cathode": cat,
                "electrolyte": ele, "err": err, "params": {}, "success": False,
                "message": "too few pixels across the interface for an erf fit", "reasons": ["no width fit"]}
    params, perr, message = _fit_profile(distance, cat, ele, err)
    if params is None:
        return {"width_px": float("nan"), "width_err_px": float("nan"), "distance": distance, "cathode": cat,
                "electrolyte": ele, "err": err, "params": {}, "success": False, "message": message,
                "reasons": [message]}
    width = _ERF_10_90 * params["sigma_px"]
    width_err = _ERF_10_90 * perr["sigma_px"]
    if width > reach / 1.5:
        reasons.append(f"transition ({width:.1f} px) too wide for the fitted span (±{reach:.0f} px)")
    if width < 1.0:
        reasons.append(f"transition ({width:.2f} px) narrower than a pixel: not resolved")
    dip, dip_err = _total_signal_dip(distance, cat + ele, err, params)
    if dip > max(0.05, 3 * dip_err):
        reasons.append(f"the total signal dips by {100 * dip:.0f} % at the interface where the phases were taken "
                       "to meet: pores or a gap smaller than the resolution (contact overestimated, width broadened)")
    return {"width_px": float(width), "width_err_px": float(width_err), "distance": distance, "cathode": cat,
            "electrolyte": ele, "err": err, "params": params, "success": True, "message": message,
            "reasons": reasons}


def _total_signal(cmap, smap, levels, smoothing_px):
    """Smoothed total signal c/L_c + s/L_s (1 dense, 0 pore)."""
    if smoothing_px <= 0:
        return cmap / levels[0] + smap / levels[1]
    return gaussian_filter(cmap.astype(float), smoothing_px) / levels[0] + \
        gaussian_filter(smap.astype(float), smoothing_px) / levels[1]


def _classify(geometry, total_map, band_px, thresholds, threshold):
    """Contact per trace column and void share of the band, for each threshold."""
    sample = geometry["sample"]
    offsets = np.arange(-band_px, band_px + 0.25, 0.5)
    vv = geometry["v_cols"][:, None] + 0 * offsets[None, :]
    uu = geometry["trace_u"][:, None] + offsets[None, :]
    total = sample(total_map, vv, uu)
    inside = np.all(np.isfinite(total), axis=1)
    total = total[inside]
    if total.shape[0] == 0:
        raise FitError("the band around the interface leaves the map everywhere; use a larger map")
    lowest = total.min(axis=1)
    trace_xy = geometry["trace_xy"][inside]  # only columns whose whole band lies in the map
    contact_values = [float(np.mean(lowest >= th)) for th in thresholds]
    void_values = [float(np.mean(total < th)) for th in thresholds]
    return ({"value": float(np.mean(lowest >= threshold)), "range": (min(contact_values), max(contact_values)),
             "mask": lowest >= threshold, "v": geometry["v_cols"][inside], "trace_xy": trace_xy},
            {"value": float(np.mean(total < threshold)), "range": (min(void_values), max(void_values))})
