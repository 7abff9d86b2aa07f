"""Report section "eels": log-ratio thickness and core-loss line-scan profiles.

A measurement lists one or more files (any format :func:`eels.read_eels`
accepts). A file whose energy axis contains 0 eV is a low-loss spectrum (or
scan) and gives the thickness (:func:`eels.thickness`); any other file must
be a core-loss line scan and gives edge profiles (:func:`eels.edge_profiles`).

Parameters used from the manifest (all optional unless the files lack them):

``beam_energy_kev``, ``collection_semiangle_mrad``, ``convergence_semiangle_mrad``
    E0 (keV), β and α (mrad); taken from the file metadata when absent. Without
    E0 or β in either place the section fails with a CalibrationError.
``composition``
    Formula for the Malis mean free path (default: the sample's cathode material).
``mfp_method``
    ``"malis"`` (default) or ``"iakoubovskii"`` (then ``density_g_cm3`` is needed).
``density_g_cm3``
    Specimen density, g/cm³.
``zlp_method``, ``zlp_threshold_ev``
    Zero-loss cut convention (``"minimum"`` default, or ``"exspy"``) or a fixed cut, eV.
``mfp_relative_error``
    Relative uncertainty assumed for λ (default 0.2).
``edges``
    Edge names to profile (default: Li K and Co L2,3).
``elements``
    Elements present, for the overlap check (default: those of the sample's
    cathode, coating and electrolyte formulas).
``windows``
    ``{edge: [[bg_low, bg_high], [signal_low, signal_high]]}`` in eV, per edge.
``interface_nm``
    Position of the interface on the scan axis, nm (default 0); profiles are
    plotted against the distance from it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import matplotlib.pyplot as plt

import eels
from ssbkit.errors import MetadataError
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

_DEFAULT_EDGES = ("Li K", "Co L2,3")
_DPI = 100


@dataclass(frozen=True)
class EELSSectionResult:
    """What one EELS measurement gave: a thickness, edge profiles, or both."""

    thickness: eels.Thickness | None
    profiles: eels.EdgeProfiles | None
    interface_nm: float


def _number(parameters, key, default=None):
    value = parameters.get(key, default)
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MetadataError(f"eels parameter {key!r} must be a number, got {value!r}") from None


def _sample_elements(sample) -> tuple[str, ...]:
    from pymatgen.core import Composition

    formulas = []
    for part in ("cathode", "coating", "electrolyte"):
        item = getattr(sample, part, None)
        if item is not None and getattr(item, "material", None):
            formulas.extend(item.material.split("-"))
    symbols = set()
    for formula in formulas:
        symbols.update(el.symbol for el in Composition(formula))
    return tuple(sorted(symbols))


def _windows(params) -> dict:
    raw = params.get("windows") or {}
    if not isinstance(raw, dict):
        raise MetadataError("eels parameter 'windows' must be a table {edge: [[bg_lo, bg_hi], [sig_lo, sig_hi]]}")
    out = {}
    for name, pair in raw.items():
        try:
            (b0, b1), (s0, s1) = pair
            out[name] = ((float(b0), float(b1)), (float(s0), float(s1)))
        except (TypeError, ValueError):
            raise MetadataError(f"eels parameter windows[{name!r}] must be [[bg_lo, bg_hi], [sig_lo, sig_hi]] in eV") from None
    return out


def _has_zero_loss(data: eels.EELSData) -> bool:
    return bool(data.energy_loss_ev[0] < 0.0 < data.energy_loss_ev[-1])


def _thickness(data, params, composition):
    return eels.thickness(
        data,
        composition=composition,
        beam_energy_kev=_number(params, "beam_energy_kev"),
        collection_semiangle_mrad=_number(params, "collection_semiangle_mrad"),
        convergence_semiangle_mrad=_number(params, "convergence_semiangle_mrad"),
        mfp_method=params.get("mfp_method", "malis"),
        density_g_cm3=_number(params, "density_g_cm3"),
        threshold_ev=_number(params, "zlp_threshold_ev"),
        zlp_method=params.get("zlp_method", "minimum"),
        mfp_relative_error=_number(params, "mfp_relative_error", 0.2),
    )


def _profiles(data, params, elements):
    edges = [eels.get_edge(name).name for name in params.get("edges", _DEFAULT_EDGES)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", eels.EdgeOverlapWarning)
        profiles = eels.edge_profiles(data, edges, windows=_windows(params), elements=elements)
    notes = tuple(str(w.message) for w in caught if issubclass(w.category, eels.EdgeOverlapWarning))
    return profiles, notes


def _save(fig, inp: SectionInput, name: str) -> str:
    return save_figure(fig, inp.figure_dir, inp.figure_prefix + name, dpi=_DPI)


@register("eels")
def build(inp: SectionInput) -> Section:
    """Thickness from the low-loss file(s), edge profiles from the line scan(s)."""
    if not inp.files:
        raise MetadataError(f"eels measurement {inp.label!r} lists no file")
    params = dict(inp.parameters)
    cathode = getattr(inp.sample, "cathode", None)
    composition = params.get("composition") or (cathode.material if cathode is not None else None)
    elements = tuple(params.get("elements") or _sample_elements(inp.sample))
    interface = _number(params, "interface_nm", 0.0)
    thickness_result = profiles = None
    notes: tuple[str, ...] = ()
    quantities, figures, tables, summary = [], [], [], {}
    for path in inp.files:
        data = eels.read_eels(path)
        if _has_zero_loss(data):
            thickness_result = _thickness(data, params, composition)
            s = thickness_result.summary()
            summary.update(s)
            quantities += [
                Quantity("t/λ", s["t_over_lambda"], "", s["t_over_lambda_err"]),
                Quantity(f"mean free path λ ({thickness_result.mfp_method}, {composition})", s["mfp_nm"], "nm", s["mfp_err_nm"]),
                Quantity("thickness t", s["thickness_nm"], "nm", s["thickness_err_nm"]),
                Quantity("zero-loss cut", s["zlp_threshold_ev"], "eV"),
                Quantity("energy resolution (ZLP FWHM)", s["zlp_fwhm_ev"], "eV"),
            ]
            fig, ax = plt.subplots(figsize=(6.4, 4.2))
            thickness_result.plot(ax)
            figures.append(Figure(_save(fig, inp, "eels_lowloss.png"), "Low-loss spectrum with the zero-loss cut; the shaded area is I0."))
        else:
            profiles, notes = _profiles(data, params, elements)
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
            figures.append(Figure(_save(fig, inp, "eels_profiles.png"), "Background-subtracted edge intensities (normalized) against distance from the interface."))
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
    used = {
        "composition": composition,
        "elements": list(elements),
        "interface_nm": interface,
        **{k: params[k] for k in ("beam_energy_kev", "collection_semiangle_mrad", "convergence_semiangle_mrad",
                                  "mfp_method", "density_g_cm3", "zlp_method", "zlp_threshold_ev", "edges") if k in params},
    }
    return Section(
        technique="eels",
        title="EELS: thickness and edge profiles",
        quantities=tuple(quantities),
        figures=tuple(figures),
        tables=tuple(tables),
        parameters=used,
        summary=summary,
        result=EELSSectionResult(thickness_result, profiles, interface),
    )


@register_comparison("eels")
def compare(items, figure_dir, figure_prefix):
    """Co and Li profiles of the samples overlaid, and their thicknesses."""
    usable = [(s, sec) for s, sec in items if isinstance(sec.result, EELSSectionResult)]
    if len(usable) < 2:
        return None
    usable.sort(key=lambda pair: pair[0].coating_amount)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    quantities, summary = [], {}
    for edge, ax in zip(("Co L2,3", "Li K"), axes[:2]):
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
    ax = axes[2]
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
    ax.set_xlabel("BaTiO3 coating (at%)")
    ax.set_ylabel("lamella thickness (nm)")
    ax.set_title("log-ratio thickness", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    filename = figure_prefix + "eels_comparison.png"
    fig.savefig(figure_dir / filename, dpi=_DPI)
    plt.close(fig)
    return Section(
        technique="eels",
        title="EELS: Co and Li across the interface, with and without BaTiO3",
        quantities=tuple(quantities),
        figures=(
            Figure(
                filename,
                "Normalized Co L2,3 and Li K profiles against distance from the interface, and the lamella thicknesses.",
            ),
        ),
        summary=summary,
    )
