"""Report section "eels": log-ratio thickness and core-loss line-scan profiles.

A thin adapter. A measurement lists one or more files (any format
:func:`eels.read_eels` accepts). A file whose energy axis contains 0 eV is a
low-loss spectrum (or scan) and gives the thickness (:func:`eels.thickness`);
any other file must be a core-loss line scan and gives edge profiles
(:func:`eels.edge_profiles`). E0, α and β come from the file's metadata when the
manifest does not give them; without E0 or β in either place the section fails
with a CalibrationError. ``ssbkit params eels`` prints the declaration.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass

import matplotlib.pyplot as plt

import eels
from ssbkit.errors import MetadataError
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
from ssbkit.report.sample_values import cathode_formula, sample_elements
from ssbkit.report.series_labels import coating_axis_label, sort_by_coating

_FILE_KEYS = ("beam_energy_kev", "collection_semiangle_mrad", "convergence_semiangle_mrad")

PARAMETERS = (
    Param("beam_energy_kev", "number", "beam energy E0 (default: from the file)", "keV", minimum=0,
          exclusive_minimum=True),
    Param("collection_semiangle_mrad", "number", "collection semi-angle β (default: from the file)", "mrad",
          minimum=0, exclusive_minimum=True),
    Param("convergence_semiangle_mrad", "number", "convergence semi-angle α (default: from the file)", "mrad",
          minimum=0),
    Param("composition", "string", "specimen formula for the mean free path", from_sample=cathode_formula,
          sample_doc="cathode.material"),
    Param("mfp_method", "string", "mean-free-path formula", default="malis", choices=("malis", "iakoubovskii")),
    Param("density_g_cm3", "number", "specimen density (needed by the Iakoubovskii formula)", "g/cm³", minimum=0,
          exclusive_minimum=True),
    Param("zlp_method", "string", "zero-loss cut convention", default="minimum", choices=("minimum", "exspy")),
    Param("zlp_threshold_ev", "number", "fixed zero-loss cut (default: found from the spectrum)", "eV", minimum=0,
          exclusive_minimum=True),
    Param("mfp_relative_error", "number", "relative uncertainty assumed for λ", default=0.2, minimum=0, maximum=1),
    Param("edges", "string_list", "edges to profile in a core-loss scan", default=["Li K", "Co L2,3"]),
    Param("elements", "string_list", "elements present, for the edge-overlap check", from_sample=sample_elements,
          sample_doc="elements of cathode, coating and electrolyte"),
    Param("windows", "table", "{edge = [[bg_low, bg_high], [signal_low, signal_high]]} per edge", "eV"),
    Param("interface_nm", "number", "position of the interface on the scan axis", "nm", default=0.0),
    Param("refractive_index", "number", "specimen refractive index, for the Kramers-Kronig thickness of an "
          "insulator", minimum=1, exclusive_minimum=True),
    Param("metal", "boolean", "the specimen is a metal (Kramers-Kronig thickness without a refractive index)",
          default=False),
)

#: Edges whose onsets lie too close for windows; fitted together (:func:`eels.separate_overlapping_edges`).
OVERLAPPING_PAIRS = (("Co L2,3", "Ba M4,5"),)


@dataclass(frozen=True)
class EELSSectionResult:
    """What one EELS measurement gave: a thickness, edge profiles, or both."""

    thickness: eels.Thickness | None
    profiles: eels.EdgeProfiles | None
    interface_nm: float
    kramers_kronig: eels.KramersKronigThickness | None = None
    separated: eels.SeparatedEdges | None = None


def _windows(raw) -> dict:
    out = {}
    for name, pair in (raw or {}).items():
        try:
            (b0, b1), (s0, s1) = pair
            out[name] = ((float(b0), float(b1)), (float(s0), float(s1)))
        except (TypeError, ValueError):
            raise ValueError(f"parameter 'windows': windows[{name!r}] must be [[bg_lo, bg_hi], [sig_lo, sig_hi]] "
                             f"in eV, got {pair!r}") from None
    return out


def _check(p, files) -> list[str]:
    problems = []
    if p["metal"] and p["refractive_index"] is not None:
        problems.append("parameters 'metal' and 'refractive_index': give one of them, not both")
    if p["mfp_method"] == "iakoubovskii" and p["density_g_cm3"] is None:
        problems.append("parameter 'density_g_cm3' [g/cm³] is required by mfp_method = 'iakoubovskii'")
    try:
        _windows(p["windows"])
    except ValueError as exc:
        problems.append(str(exc))
    for name in p["edges"] or ():
        try:
            eels.get_edge(name)
        except (KeyError, ValueError) as exc:
            problems.append(f"parameter 'edges': {exc}")
    return problems


def _calibrated(data, p) -> None:
    """A low-loss file needs E0 and β from the manifest or its metadata; say which key is missing."""
    if not _has_zero_loss(data):
        return
    missing = [f"{key!r} [{unit}]" for key, unit in (("beam_energy_kev", "keV"), ("collection_semiangle_mrad", "mrad"))
               if p[key] is None and getattr(data, key) is None]
    if missing:
        raise MetadataError(f"parameter(s) {' and '.join(missing)} required: {data.source} is a low-loss spectrum "
                            "whose metadata does not give them; add them to [measurements.parameters]")


def _probe(files, p) -> None:
    for path in files:
        _calibrated(eels.read_eels(path), p)


def _has_zero_loss(data: eels.EELSData) -> bool:
    return bool(data.energy_loss_ev[0] < 0.0 < data.energy_loss_ev[-1])


def _thickness(data, params):
    return eels.thickness(
        data,
        composition=params["composition"],
        beam_energy_kev=params["beam_energy_kev"],
        collection_semiangle_mrad=params["collection_semiangle_mrad"],
        convergence_semiangle_mrad=params["convergence_semiangle_mrad"],
        mfp_method=params["mfp_method"],
        density_g_cm3=params["density_g_cm3"],
        threshold_ev=params["zlp_threshold_ev"],
        zlp_method=params["zlp_method"],
        mfp_relative_error=params["mfp_relative_error"],
    )


def _kramers_kronig(data, params, thickness):
    """The λ-free thickness beside the log-ratio one, when the manifest says how (metal or n)."""
    if not params["metal"] and params["refractive_index"] is None:
        return None
    return eels.kramers_kronig_thickness(
        data, beam_energy_kev=thickness.beam_energy_kev, collection_semiangle_mrad=thickness.collection_semiangle_mrad,
        refractive_index=params["refractive_index"], metal=params["metal"], threshold_ev=params["zlp_threshold_ev"],
        zlp_method=params["zlp_method"])


def _profiles(data, params, elements):
    """Window profiles; an overlapping pair present in the specimen is fitted together instead."""
    edges = [eels.get_edge(name).name for name in params["edges"]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", eels.EdgeOverlapWarning)
        profiles = eels.edge_profiles(data, edges, windows=_windows(params["windows"]), elements=elements)
    notes = tuple(str(w.message) for w in caught if issubclass(w.category, eels.EdgeOverlapWarning))
    separated = None
    for pair in OVERLAPPING_PAIRS:
        symbols = {eels.get_edge(name).element for name in pair}
        if set(pair) <= set(edges) and symbols <= set(elements):
            separated = eels.separate_overlapping_edges(data, pair)
            fitted = {p.edge.name: p for p in separated.profiles.profiles}
            profiles = dataclasses.replace(profiles, profiles=tuple(fitted.get(p.edge.name, p)
                                                                    for p in profiles.profiles))
    return profiles, notes, separated



@register("eels", parameters=PARAMETERS, files=(1, None), check=_check, probe=_probe,
          files_doc="low-loss spectra or scans (thickness) and core-loss line scans (profiles)")
def build(inp: SectionInput) -> Section:
    """Thickness from the low-loss file(s), edge profiles from the line scan(s)."""
    params = inp.parameters
    composition = params["composition"]
    elements = tuple(params["elements"] or ())
    interface = params["interface_nm"]
    thickness_result = profiles = kk = separated = None
    notes: tuple[str, ...] = ()
    reasons: list[str] = []
    quantities, figures, tables, summary = [], [], [], {}
    for path in inp.files:
        data = eels.read_eels(path)
        _calibrated(data, params)
        if _has_zero_loss(data):
            thickness_result = _thickness(data, params)
            s = thickness_result.summary()
            summary.update(s)
            quantities += [
                Quantity("t/λ", s["t_over_lambda"], "", s["t_over_lambda_err"]),
                Quantity(f"mean free path λ ({thickness_result.mfp_method}, {composition})", s["mfp_nm"], "nm", s["mfp_err_nm"]),
                Quantity("thickness t", s["thickness_nm"], "nm", s["thickness_err_nm"]),
                Quantity("zero-loss cut", s["zlp_threshold_ev"], "eV"),
                Quantity("energy resolution (ZLP FWHM)", s["zlp_fwhm_ev"], "eV"),
            ]
            reasons += list(thickness_result.quality_reasons)
            kk = _kramers_kronig(data, params, thickness_result)
            if kk is not None:
                ks, ratio = kk.summary(), kk.compare(thickness_result)
                summary.update(ks | ratio)
                reasons += list(kk.quality_reasons)
                how = "metal" if kk.metal else f"n = {kk.refractive_index:g}"
                quantities += [
                    Quantity(f"thickness t, Kramers-Kronig sum rule ({how}, no λ needed)", ks["kk_thickness_nm"], "nm",
                             ks["kk_thickness_err_nm"]),
                    Quantity("t(Kramers-Kronig) / t(log-ratio): a check of λ and β", ratio["kk_over_log_ratio"], "",
                             ratio["kk_over_log_ratio_err"]),
                ]
            fig, ax = plt.subplots(figsize=(6.4, 4.2))
            thickness_result.plot(ax)
            figures.append(Figure(save_figure(fig, inp.figure_dir, inp.figure_prefix + "eels_lowloss.png"), "Low-loss spectrum with the zero-loss cut; the shaded area is I0."))
        else:
            profiles, notes, separated = _profiles(data, params, elements)
            if separated is not None:
                reasons += list(separated.quality_reasons)
                summary.update({k: v for k, v in separated.summary().items() if k.startswith("overlap_")})
                tables.append(Table("Overlapping edges fitted together (MLLS, Leapman & Swyt 1988): references",
                                    ("edge", "reference taken from", "positions [nm]"),
                                    tuple((name, separated.reference_source,
                                           ", ".join(f"{x:.3g}" for x in separated.reference_positions_nm[name]))
                                          for name in separated.reference_positions_nm)))
            for profile in profiles.profiles:
                key = profile.edge.name
                quantities += [
                    Quantity(f"{key} 50 % point", profile.crossing_nm(0.5) - interface, profile.position_unit),
                    Quantity(f"{key} 90–10 % width", profile.width_nm(0.9, 0.1), profile.position_unit),
                ]
            summary.update(profiles.summary())
            fig, ax = plt.subplots(figsize=(6.4, 4.2))
            profiles.plot(ax, normalize=True, interface_nm=interface)
            ax.set_title(f"{inp.label}: edge profiles", fontsize=9)
            figures.append(Figure(save_figure(fig, inp.figure_dir, inp.figure_prefix + "eels_profiles.png"), "Background-subtracted edge intensities (normalized) against distance from the interface."))
            tables.append(
                Table(
                    "Edge windows (eV)",
                    ("edge", "background", "signal", "overlapping edges"),
                    tuple(
                        (p.edge.name, f"{p.background_window_ev[0]:g}–{p.background_window_ev[1]:g}",
                         f"{p.signal_window_ev[0]:g}–{p.signal_window_ev[1]:g}", ", ".join(p.overlaps) or "none")
                        for p in profiles.profiles
                    ),
                )
            )
            if notes:
                tables.append(Table("Edge overlap warnings and remedies", ("warning",), tuple((n,) for n in notes)))
    used, origins = {}, {}
    if thickness_result is not None:
        for key in _FILE_KEYS:
            if params[key] is None:
                used[key], origins[key] = getattr(thickness_result, key), "file"
    return Section(
        technique="eels",
        title="EELS: thickness and edge profiles",
        quantities=tuple(quantities),
        figures=tuple(figures),
        tables=tuple(tables),
        parameters=used,
        origins=origins,
        summary=summary,
        result=EELSSectionResult(thickness_result, profiles, interface, kk, separated),
        headline=tuple(q for q in quantities if q.name.startswith("thickness t")),
        status="warning" if reasons else "ok",
        reasons=tuple(dict.fromkeys(reasons)),
    )


@register_comparison("eels")
def compare(items, figure_dir, figure_prefix):
    """Co and Li profiles of the samples overlaid, and their thicknesses."""
    usable = [(s, sec) for s, sec in items if isinstance(sec.result, EELSSectionResult)]
    if len(usable) < 2:
        return None
    usable = sort_by_coating(usable)
    edges = list(dict.fromkeys(p.edge.name for _, sec in usable if sec.result.profiles is not None
                               for p in sec.result.profiles.profiles))[:3]
    fig, axes = plt.subplots(1, len(edges) + 1, figsize=(4.3 * (len(edges) + 1), 4), squeeze=False)
    axes = axes[0]
    quantities, summary = [], {}
    for edge, ax in zip(edges, axes[:-1]):
        for sample, section in usable:
            profiles = section.result.profiles
            if profiles is None:
                continue
            try:
                profile = profiles[edge]
            except KeyError:
                continue
            profile.plot(ax, normalize=True, interface_nm=section.result.interface_nm, label=sample.id)
            key = edge.lower().replace(",", "").replace(" ", "_")
            width = profile.width_nm(0.9, 0.1)
            summary[f"{sample.id}_{key}_width_90_10_nm"] = width if math.isfinite(width) else None
            quantities.append(Quantity(f"{sample.id}: {edge} 90–10 % width", width, profile.position_unit))
        ax.axvline(0.0, color="0.5", ls=":", lw=1)
        ax.set_title(f"{edge} profile", fontsize=10)
    ax = axes[-1]
    for sample, section in usable:
        t = section.result.thickness
        if t is None:
            continue
        s = t.summary()
        ax.errorbar([sample.coating_amount], [s["thickness_nm"]], yerr=[s["thickness_err_nm"]],
                    fmt="o", capsize=3, label=sample.id)
        summary[f"{sample.id}_thickness_nm"] = s["thickness_nm"]
        summary[f"{sample.id}_thickness_err_nm"] = s["thickness_err_nm"]
        quantities.append(Quantity(f"{sample.id}: thickness", s["thickness_nm"], "nm", s["thickness_err_nm"]))
    ax.set_xlabel(coating_axis_label([sample for sample, _ in usable]))
    ax.set_ylabel("lamella thickness (nm)")
    ax.set_title("log-ratio thickness", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    filename = figure_prefix + "eels_comparison.png"
    save_figure(fig, figure_dir, filename)
    return Section(
        technique="eels",
        title="EELS: edge profiles across the interface and lamella thickness by sample",
        quantities=tuple(quantities),
        figures=(
            Figure(
                filename,
                "Normalized edge profiles against distance from the interface, and the lamella thicknesses.",
            ),
        ),
        summary=summary,
    )
