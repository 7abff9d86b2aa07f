"""Report section "eds": SEM/STEM X-ray maps and the contact of a cathode | electrolyte interface.

A thin adapter. The file (anything :func:`eds.read_eds` reads) is a map or a
single spectrum. For every file the net line intensities come from
:func:`eds.line_intensity` (background windows, Poisson errors, overlap check
against the sample's elements); a map then goes to
:func:`eds.interface_contact` (contact fraction with its range over the
segmentation thresholds, void fraction, the 10–90 % transition width, an
upper bound when it is below the Kanaya–Okayama range). The beam energy and
the detector resolution come from the file when the manifest does not give
them. The defaults of the analysis options are :func:`eds.interface_contact`'s
own. ``ssbkit params eds`` prints the declaration.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

import eds
from ssbkit.errors import FormatError
from ssbkit.report.formatting import format_measurement, format_number
from ssbkit.report.parameters import Param
from ssbkit.report.registry import (
    Figure,
    Quantity,
    Section,
    SectionInput,
    Table,
    register,
    register_comparison,
    save_figure,
)
from ssbkit.report.sample_values import cathode_formula, electrolyte_formula, sample_elements
from ssbkit.report.series_labels import coating_axis_label, coating_label, sort_by_coating

#: The options of :func:`eds.interface_contact` as the package defines them (one home for the defaults).
_CONTACT_DEFAULTS = {name: p.default for name, p in inspect.signature(eds.interface_contact).parameters.items()
                     if p.default is not inspect.Parameter.empty}
#: Highest line energy picked for a phase by default, keV (an SEM beam of 15–20 kV excites it well).
_MAX_DEFAULT_LINE_KEV = 10.0


def _line_of(formula: str | None) -> str | None:
    """The X-ray line that marks a phase: the most abundant element heavier than O (then the heaviest),
    its Kα when below 10 keV, else its Lα, else its Mα (LiCoO2 → Co_Ka, Li6PS5Cl → S_Ka, Li7La3Zr2O12 → La_La)."""
    if not formula:
        return None
    from pymatgen.core import Composition

    try:
        composition = Composition(formula)
    except Exception:  # noqa: BLE001 - an unparsable material name implies nothing
        return None
    heavy = [(amount, element.Z, element.symbol) for element, amount in composition.items() if element.Z > 8]
    if not heavy:
        return None
    symbol = max(heavy)[2]
    for name in ("Ka", "La", "Ma"):
        try:
            if eds.line_energy_kev(f"{symbol}_{name}") <= _MAX_DEFAULT_LINE_KEV:
                return f"{symbol}_{name}"
        except ValueError:
            continue
    return None


def _cathode_line(sample) -> str | None:
    return _line_of(cathode_formula(sample))


def _electrolyte_line(sample) -> str | None:
    return _line_of(electrolyte_formula(sample))


PARAMETERS = (
    Param("cathode_line", "string", "X-ray line marking the cathode phase", default=_CONTACT_DEFAULTS["cathode_line"],
          from_sample=_cathode_line, sample_doc="most abundant element heavier than O in cathode.material: Kα "
          "below 10 keV, else Lα"),
    Param("electrolyte_line", "string", "X-ray line marking the electrolyte phase",
          default=_CONTACT_DEFAULTS["electrolyte_line"], from_sample=_electrolyte_line,
          sample_doc="most abundant element heavier than O in electrolyte.material: Kα below 10 keV, else Lα"),
    Param("cathode_formula", "string", "cathode phase, for its X-ray generation range",
          default=_CONTACT_DEFAULTS["cathode_formula"], from_sample=cathode_formula, sample_doc="cathode.material"),
    Param("electrolyte_formula", "string", "electrolyte phase, for its X-ray generation range",
          default=_CONTACT_DEFAULTS["electrolyte_formula"], from_sample=electrolyte_formula,
          sample_doc="electrolyte.material"),
    Param("cathode_density_g_cm3", "number", f"cathode density (default {_CONTACT_DEFAULTS['cathode_density_g_cm3']:g} "
          f"for {_CONTACT_DEFAULTS['cathode_formula']}; required for another bulk cathode)", "g/cm³", minimum=0,
          exclusive_minimum=True),
    Param("electrolyte_density_g_cm3", "number", "electrolyte density (default "
          f"{_CONTACT_DEFAULTS['electrolyte_density_g_cm3']:g} for {_CONTACT_DEFAULTS['electrolyte_formula']}; "
          "required for another bulk electrolyte)", "g/cm³", minimum=0, exclusive_minimum=True),
    Param("threshold", "number", "segmentation threshold on the total signal (0 pore, 1 dense)",
          default=_CONTACT_DEFAULTS["threshold"], minimum=0, maximum=1, exclusive_minimum=True),
    Param("threshold_span", "number_list", "[low, high] thresholds scanned for the range of the contact fraction",
          default=list(_CONTACT_DEFAULTS["threshold_span"]), length=2, minimum=0, maximum=1),
    Param("band_half_width_nm", "number", "half-width of the band searched for pores (default: max(3 px, the "
          "fitted width))", "nm", minimum=0, exclusive_minimum=True),
    Param("smoothing_px", "number", "σ of the smoothing for the segmentation (default: half the fitted σ)", "px",
          minimum=0),
    Param("binning", "integer", "pixels summed along each scan axis before the analysis (noisy maps)",
          default=_CONTACT_DEFAULTS["binning"], minimum=1),
    Param("trace_degree", "integer", "degree of the polynomial that follows the interface (1: straight)",
          default=_CONTACT_DEFAULTS["trace_degree"], minimum=0, maximum=3),
    Param("specimen", "string", "bulk (SEM) specimens get the Kanaya-Okayama range; auto: bulk up to 40 keV",
          default=_CONTACT_DEFAULTS["specimen"], choices=("auto", "bulk", "thin")),
    Param("beam_energy_kev", "number", "beam energy (default: from the file)", "keV", minimum=0,
          exclusive_minimum=True),
    Param("resolution_ev", "number", "detector FWHM at Mn Kα (default: from the file, else 130 eV)", "eV",
          minimum=0, exclusive_minimum=True),
    Param("elements", "string_list", "elements that may be present besides the file's, for the overlap check",
          from_sample=sample_elements, sample_doc="elements of cathode, coating and electrolyte"),
    Param("dataset_index", "integer", "which EDS dataset of a file holding several (default: the map)", minimum=0),
)


@dataclass(frozen=True)
class EDSSectionResult:
    """What one EDS measurement gave: line intensities, and the interface contact of a map."""

    label: str
    intensities: eds.LineIntensities
    contact: eds.InterfaceContact | None
    beam_energy_kev: float | None


def _check(p, files) -> list[str]:
    problems = []
    for key in ("cathode_line", "electrolyte_line"):
        try:
            eds.line_energy_kev(p[key])
        except ValueError as exc:
            problems.append(f"parameter {key!r}: {exc}")
    if p["cathode_line"] == p["electrolyte_line"]:
        problems.append(f"parameters 'cathode_line' and 'electrolyte_line': both are {p['cathode_line']!r}; "
                        "each phase needs its own line")
    low, high = p["threshold_span"]
    if not low <= p["threshold"] <= high or not 0 < low < high < 1:
        problems.append(f"parameters 'threshold' and 'threshold_span': need 0 < low ≤ threshold ≤ high < 1, got "
                        f"{p['threshold']:g} and {[low, high]}")
    if p["specimen"] != "thin":
        for phase in ("cathode", "electrolyte"):
            if p[f"{phase}_density_g_cm3"] is None and p[f"{phase}_formula"] != _CONTACT_DEFAULTS[f"{phase}_formula"]:
                problems.append(f"parameter '{phase}_density_g_cm3' [g/cm³] is required for {phase}_formula = "
                                f"{p[f'{phase}_formula']!r} (its X-ray generation range in a bulk specimen), "
                                "or set specimen = 'thin'")
    return problems


def _read(path, p) -> eds.EDSData:
    return eds.read_eds(path, index=p["dataset_index"])


def _probe(files, p) -> None:
    data = eds.read_eds(files[0], index=p["dataset_index"], lazy=True)
    for key in ("cathode_line", "electrolyte_line"):
        energy = eds.line_energy_kev(p[key])
        if not data.energy_kev[0] < energy < data.energy_kev[-1]:
            raise FormatError(f"parameter {key!r}: {p[key]} at {energy:.3f} keV lies outside the spectrum "
                              f"({data.energy_kev[0]:.3f}–{data.energy_kev[-1]:.3f} keV)", path=files[0])
    if len(data.navigation_shape) not in (0, 2):
        raise FormatError(f"holds a line scan (navigation shape {data.navigation_shape}); the eds section takes "
                          "a map or a single spectrum", path=files[0])


def _density(p, phase: str) -> float:
    value = p[f"{phase}_density_g_cm3"]
    return _CONTACT_DEFAULTS[f"{phase}_density_g_cm3"] if value is None else value


def _from_file(p, data: eds.EDSData) -> tuple[dict, dict]:
    """Beam energy and detector resolution: the manifest's, else the file's (origin "file")."""
    used, origins = {}, {}
    for key, value in (("beam_energy_kev", data.beam_energy_kev), ("resolution_ev", data.energy_resolution_ev)):
        if p[key] is None and value is not None:
            used[key], origins[key] = value, "file"
    return used, origins


def _spectrum_figure(data, intensities, inp) -> Figure:
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    data.plot(ax)
    for k, line in enumerate(intensities.lines):
        lo, hi = intensities.integration_windows_kev[k]
        ax.axvspan(lo, hi, color=f"C{k + 1}", alpha=0.3, label=f"{line} window")
        if intensities.background_windows_kev is not None:
            b = intensities.background_windows_kev[k]
            for a, c in ((b[0], b[1]), (b[2], b[3])):
                ax.axvspan(a, c, color=f"C{k + 1}", alpha=0.12)
    ax.set_xlim(0, min(float(data.energy_kev[-1]), 1.3 * float(np.max(intensities.line_energy_kev)) + 1.0))
    ax.legend(fontsize=8)
    ax.set_title(f"{inp.label}: sum spectrum", fontsize=9)
    return Figure(save_figure(fig, inp.figure_dir, inp.figure_prefix + "eds_spectrum.png"),
                  "Sum spectrum with the integration window of each line (dark) and its background windows (light).")


def _contact_figure(contact, inp) -> Figure:
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
    contact.plot(axes)
    fig.tight_layout()
    return Figure(save_figure(fig, inp.figure_dir, inp.figure_prefix + "eds_contact.png"),
                  f"Net-count maps of {contact.cathode_line} and {contact.electrolyte_line}, their overlay with the "
                  "traced interface (green: contact, red: pore) and the profile across the interface with its erf "
                  "fit.")


def _image_figures(data, inp) -> list[Figure]:
    figures = []
    for k, image in enumerate(data.images[:3]):
        fig, ax = plt.subplots(figsize=(5, 5))
        image.plot(ax)
        figures.append(Figure(save_figure(fig, inp.figure_dir, f"{inp.figure_prefix}eds_image_{k + 1}.png"),
                              f"Electron image acquired with the map: {image.report()}."))
    return figures


def _lines_table(intensities) -> Table:
    s = intensities.summary()
    rows = []
    for k, line in enumerate(intensities.lines):
        lo, hi = intensities.integration_windows_kev[k]
        rows.append((line, f"{intensities.line_energy_kev[k]:.3f}", f"{lo:.3f}–{hi:.3f}",
                     format_measurement(s[f"{line}_net_counts"], s[f"{line}_net_counts_err"]),
                     format_number(s[f"{line}_mean_net_counts_per_pixel"], 4)))
    return Table(f"Net line intensities (background windows subtracted, binning {intensities.binning})",
                 ("line", "energy [keV]", "window [keV]", "net counts", "per pixel"), tuple(rows))


def _width_text(contact) -> tuple[str | float, float | None]:
    """The width as shown: ``"≤ w"`` when it is an upper bound (then without an error), else the value and error."""
    width, err = contact.interdiffusion_width_nm, contact.interdiffusion_width_err_nm
    if contact.pixel_size_nm is None:
        width, err = contact.interdiffusion_width_px, contact.interdiffusion_width_err_px
    if contact.width_is_upper_bound:
        return f"≤ {format_number(width, 3)}", None
    return width, err


def _contact_quantities(contact) -> list[Quantity]:
    lo, hi = contact.contact_fraction_range
    vlo, vhi = contact.void_fraction_range
    t0, t1 = contact.threshold_span
    unit = "nm" if contact.pixel_size_nm is not None else "px"
    width, err = _width_text(contact)
    band = contact.band_half_width_nm if contact.pixel_size_nm is not None else contact.band_half_width_px
    out = [
        Quantity(f"contact fraction (threshold {contact.threshold:g})", f"{contact.contact_fraction:.3f}", ""),
        Quantity(f"contact fraction range over thresholds {t0:g}–{t1:g}", f"{lo:.3f}–{hi:.3f}", ""),
        Quantity(f"void fraction of the ±{format_number(band, 3)} {unit} band", f"{contact.void_fraction:.3f}", ""),
        Quantity(f"void fraction range over thresholds {t0:g}–{t1:g}", f"{vlo:.3f}–{vhi:.3f}", ""),
        Quantity(f"{contact.cathode_line} → {contact.electrolyte_line} 10–90 % width"
                 + (" (upper bound: below the X-ray generation range)" if contact.width_is_upper_bound else ""),
                 width, unit, err),
    ]
    if contact.generation_range_nm is not None:
        out.append(Quantity("X-ray generation range (Kanaya–Okayama, less dense phase)",
                            f"{contact.generation_range_nm:.0f}", "nm"))
    length = contact.interface_length_nm if unit == "nm" else contact.contact.size
    out += [Quantity("interface angle (from +x towards +y)", f"{contact.interface_angle_deg:.1f}", "deg"),
            Quantity("traced interface length", f"{length:.0f}", unit)]
    return out


def _headline(contact) -> tuple[Quantity, ...]:
    if contact is None:
        return (Quantity("interface contact fraction", "n/a (single spectrum)", ""),)
    lo, hi = contact.contact_fraction_range
    width, err = _width_text(contact)
    return (Quantity("interface contact fraction", f"{contact.contact_fraction:.2f} (range {lo:.2f}–{hi:.2f})", ""),
            Quantity("interdiffusion width (10–90 %)", width, "nm" if contact.pixel_size_nm is not None else "px",
                     err))


@register("eds", parameters=PARAMETERS, files=(1, 1), check=_check, probe=_probe,
          files_doc="one EDS map (interface contact) or spectrum (line intensities)")
def build(inp: SectionInput) -> Section:
    """Line intensities of a map or spectrum; contact, voids and transition width of a map."""
    p = inp.parameters
    data = _read(inp.files[0], p)
    used, origins = _from_file(p, data)
    lines = [p["cathode_line"], p["electrolyte_line"]]
    binning = p["binning"] if len(data.navigation_shape) == 2 else 1
    # the overlaps are kept in the result and become reasons of the contact, so they are not warned twice
    intensities = eds.line_intensity(data, lines, binning=binning, resolution_ev=p["resolution_ev"],
                                     also_present=tuple(p["elements"] or ()), warn=False)
    energy = p["beam_energy_kev"] if p["beam_energy_kev"] is not None else data.beam_energy_kev
    summary = {"beam_energy_kev": energy, "navigation_shape": data.summary()["navigation_shape"],
               **intensities.summary()}
    figures, tables, quantities, reasons = [], [_lines_table(intensities)], [], []
    contact = None
    if len(data.navigation_shape) == 2:
        contact = eds.interface_contact(
            intensities, cathode_line=p["cathode_line"], electrolyte_line=p["electrolyte_line"],
            threshold=p["threshold"], threshold_span=tuple(p["threshold_span"]), smoothing_px=p["smoothing_px"],
            band_half_width_nm=p["band_half_width_nm"], trace_degree=p["trace_degree"], specimen=p["specimen"],
            cathode_formula=p["cathode_formula"], cathode_density_g_cm3=_density(p, "cathode"),
            electrolyte_formula=p["electrolyte_formula"], electrolyte_density_g_cm3=_density(p, "electrolyte"),
            beam_energy_kev=energy)
        summary.update(contact.summary())
        quantities += _contact_quantities(contact)
        figures.append(_contact_figure(contact, inp))
        if contact.quality != "ok":
            reasons += [f"interface contact quality {contact.quality}"] + list(contact.reasons)
        if contact.notes:
            tables.append(Table("Notes on the contact result", ("note",), tuple((n,) for n in contact.notes)))
        for phase in ("cathode", "electrolyte"):
            if p[f"{phase}_density_g_cm3"] is None and contact.generation_range_nm is not None:
                used[f"{phase}_density_g_cm3"] = _density(p, phase)
                origins[f"{phase}_density_g_cm3"] = f"default ({p[f'{phase}_formula']})"
    else:
        reasons.extend(f"line overlap: {o.message()}" for o in intensities.overlaps)
        quantities += [Quantity(f"{line} net counts", summary[f"{line}_net_counts"], "",
                                summary[f"{line}_net_counts_err"]) for line in intensities.lines]
    if intensities.overlaps:
        tables.append(Table("Line overlaps and remedies", ("overlap",),
                            tuple((o.message(),) for o in intensities.overlaps)))
    figures.append(_spectrum_figure(data, intensities, inp))
    figures += _image_figures(data, inp)
    if energy is not None:
        quantities.append(Quantity("beam energy", energy, "keV"))
    if data.pixel_size_nm is not None:
        quantities.append(Quantity("pixel size (after binning)", intensities.pixel_size_nm, "nm"))
    return Section(technique="eds", title=f"EDS: {inp.label}", quantities=tuple(quantities), figures=tuple(figures),
                   tables=tuple(tables), parameters=used, origins=origins, summary=summary,
                   result=EDSSectionResult(inp.label, intensities, contact, energy),
                   status="warning" if reasons else "ok", reasons=tuple(dict.fromkeys(reasons)),
                   headline=_headline(contact))


@register_comparison("eds")
def compare(items, figure_dir, figure_prefix) -> Section | None:
    """Contact fraction (threshold range as error bars) and transition width per sample against coating amount."""
    usable = sort_by_coating([(s, sec) for s, sec in items
                              if isinstance(sec.result, EDSSectionResult) and sec.result.contact is not None])
    if len({s.id for s, _ in usable}) < 2:
        return None
    fig, (ax_c, ax_w) = plt.subplots(1, 2, figsize=(10, 3.8))
    rows, summary, quantities = [], {}, []
    units = {"nm" if sec.result.contact.pixel_size_nm is not None else "px" for _, sec in usable}
    for k, (sample, section) in enumerate(usable):
        c = section.result.contact
        lo, hi = c.contact_fraction_range
        x = float(sample.coating_amount or 0.0)
        ax_c.errorbar([x], [c.contact_fraction], yerr=[[c.contact_fraction - lo], [hi - c.contact_fraction]],
                      fmt="o", capsize=4, color=f"C{k}", label=section.result.label)
        nm = c.pixel_size_nm is not None
        width = c.interdiffusion_width_nm if nm else c.interdiffusion_width_px
        err = c.interdiffusion_width_err_nm if nm else c.interdiffusion_width_err_px
        if c.width_is_upper_bound:
            ax_w.plot([x], [width], "v", ms=9, color=f"C{k}", label=f"{section.result.label} (upper bound)")
        else:
            ax_w.errorbar([x], [width], yerr=[err], fmt="o", capsize=4, color=f"C{k}", label=section.result.label)
        key = section.result.label.replace(" ", "_")
        summary.update({f"{key}_contact_fraction": float(c.contact_fraction), f"{key}_contact_fraction_min": float(lo),
                        f"{key}_contact_fraction_max": float(hi),
                        f"{key}_interdiffusion_width_{'nm' if nm else 'px'}": float(width),
                        f"{key}_width_is_upper_bound": bool(c.width_is_upper_bound)})
        shown, shown_err = _width_text(c)
        quantities.append(Quantity(f"{section.result.label}: contact fraction", f"{c.contact_fraction:.2f} "
                                   f"(range {lo:.2f}–{hi:.2f})", ""))
        rows.append((coating_label(sample), section.result.label, f"{c.contact_fraction:.3f}", f"{lo:.3f}–{hi:.3f}",
                     f"{c.void_fraction:.3f}",
                     shown if isinstance(shown, str) else format_measurement(shown, shown_err),
                     format_number(c.generation_range_nm, 3) if c.generation_range_nm is not None else "-",
                     c.quality))
    axis = coating_axis_label([s for s, _ in usable])
    ax_c.set_xlabel(axis)
    ax_c.set_ylabel("contact fraction")
    ax_c.set_ylim(0, 1.05)
    ax_c.set_title("interface contact (bars: threshold range)", fontsize=10)
    ax_c.legend(fontsize=8)
    unit = units.pop() if len(units) == 1 else "nm or px"
    ax_w.set_xlabel(axis)
    ax_w.set_ylabel(f"10–90 % transition width ({unit})")
    ax_w.set_ylim(0, 1.15 * max(ax_w.get_ylim()[1], 1e-9))
    ax_w.set_title("interdiffusion width (▼: upper bound)", fontsize=10)
    ax_w.legend(fontsize=8)
    fig.tight_layout()
    filename = save_figure(fig, figure_dir, figure_prefix + "eds_comparison.png")
    table = Table("Interface contact by sample", ("sample", "measurement", "contact fraction", "range", "void fraction",
                                                  f"width [{unit}]", "generation range [nm]", "quality"), tuple(rows))
    reasons = tuple(f"{sec.result.label}: contact quality {sec.result.contact.quality}" for _, sec in usable
                    if sec.result.contact.quality != "ok")
    return Section(technique="eds", title="EDS: interface contact and transition width by sample",
                   quantities=tuple(quantities), tables=(table,), summary=summary, reasons=reasons,
                   status="warning" if reasons else "ok",
                   figures=(Figure(filename, "Contact fraction (bars: lowest and highest over the threshold span) "
                                   "and 10–90 % cathode → electrolyte transition width (▼: an upper bound, below the X-ray "
                                   "generation range) against coating amount."),))
