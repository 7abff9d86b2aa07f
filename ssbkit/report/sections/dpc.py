"""Report section "dpc": a DPC-STEM bias series and the simulated interface fields.

A thin adapter: one segment file per bias (anything :func:`stem.read_segments`
accepts, in the order of ``bias_v``) → :func:`stem.segment_deflection` →
:func:`stem.bias_series` (field maps, net field and net charge density per bias,
interface profiles, net charge per area and space-charge-layer width against
bias) → :func:`stem.simulate_interface` with and without the coating. The
specimen thickness defaults to the EELS thickness measured on the same sample.
``ssbkit params dpc`` prints the declaration.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from scipy.constants import elementary_charge

import stem
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
from ssbkit.report.sample_values import coating_thickness_nm
from ssbkit.report.series_labels import coating_label

#: Coating thickness of the "with coating" model when the sample gives none, nm.
MODEL_COATING_NM = 10.0


def _positive(name, doc, unit, **kw):
    return Param(name, "number", doc, unit, minimum=0, exclusive_minimum=True, **kw)


PARAMETERS = (
    Param("bias_v", "number_list", "bias of each file, in file order; must contain 0 (the unbiased reference)", "V",
          required=True),
    _positive("beam_energy_kev", "beam energy", "keV", required=True),
    _positive("thickness_nm", "specimen thickness", "nm", required=True, from_measurement=("eels", "thickness_nm")),
    _positive("convergence_semiangle_mrad", "probe convergence semi-angle", "mrad", required=True),
    _positive("pixel_size_nm", "scan pixel size (default: from the file)", "nm"),
    Param("scan_rotation_deg", "number", "detector-to-scan rotation (default: found by minimal curl)", "deg"),
    Param("scan_flip", "boolean", "detector axes flipped", default=False),
    Param("field_direction_deg", "number", "expected field direction, resolving the curl search's 180° ambiguity",
          "deg", default=0.0),
    Param("profile_start_px", "number_list", "[y, x] start of the interface profile, cathode side "
          "(default: middle row)", "px", length=2),
    Param("profile_end_px", "number_list", "[y, x] end of the interface profile, electrolyte side", "px", length=2),
    _positive("profile_width_px", "width of the band averaged across the profile", "px", default=9.0),
    Param("interface_position_nm", "number", "cathode surface along the profile "
          "(default: where the net field of the highest bias peaks)", "nm"),
    Param("coating_thickness_nm", "number", "coating between cathode and electrolyte", "nm", minimum=0,
          from_sample=coating_thickness_nm, sample_doc="coating.amount when its unit is nm"),
    _positive("relative_permittivity", "ε_r in Gauss's law (default: the electrolyte's, else 1 = total charge)", ""),
    _positive("cathode_relative_permittivity", "model: cathode ε_r (default: the model's cited value)", ""),
    _positive("electrolyte_relative_permittivity", "model: electrolyte ε_r (default: the model's cited value)", ""),
    _positive("coating_relative_permittivity", "model: coating ε_r (default: the model's cited value)", ""),
    Param("built_in_potential_v", "number", "model: built-in potential across the interface", "V", default=0.0),
)


def _check(p, files) -> list[str]:
    problems = []
    if p["bias_v"] is not None and files and len(p["bias_v"]) != len(files):
        problems.append(f"parameter 'bias_v': {len(p['bias_v'])} value(s) for {len(files)} file(s); give one per file")
    if p["bias_v"] is not None and 0.0 not in p["bias_v"]:
        problems.append("parameter 'bias_v': must include 0 V, the unbiased reference scan")
    return problems


def _probe(files, p) -> None:
    for path in files:
        stem.read_segments(path)


@dataclass(frozen=True)
class DpcSectionResult:
    """The bias series of one sample and the interface models beside it."""

    series: stem.BiasSeries
    model_bare: stem.InterfaceModel
    model_coated: stem.InterfaceModel


def _deflections(inp: SectionInput):
    p = inp.parameters
    out = []
    for path in inp.files:
        seg = stem.read_segments(path)
        pixel = p["pixel_size_nm"] if p["pixel_size_nm"] is not None else seg.pixel_size_nm
        out.append(stem.segment_deflection(seg.a, seg.b, seg.c, seg.d, pixel_size_nm=pixel,
                                           convergence_semiangle_mrad=p["convergence_semiangle_mrad"],
                                           image=seg.image))
    return out


def _models(p, bias):
    common = {k: p[k] for k in ("cathode_relative_permittivity", "electrolyte_relative_permittivity",
                                "coating_relative_permittivity") if p[k] is not None}
    coated = p["coating_thickness_nm"] or MODEL_COATING_NM
    bare = stem.simulate_interface(bias_v=bias, built_in_potential_v=p["built_in_potential_v"], **common)
    with_coat = stem.simulate_interface(bias_v=bias, built_in_potential_v=p["built_in_potential_v"],
                                        coating_thickness_nm=coated, **common)
    return bare, with_coat


def _map_grid(maps, titles, draw, path, suptitle):
    n = len(maps)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.9 * rows), squeeze=False)
    for i, (ax, m, title) in enumerate(zip(axes.flat, maps, titles)):
        draw(m, ax, i == 0)
        ax.set_title(title, fontsize=9)
        if i % cols:
            ax.set_ylabel("")
    for ax in axes.flat[n:]:
        ax.set_axis_off()
    fig.suptitle(suptitle, fontsize=10)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.08, top=0.88, wspace=0.25, hspace=0.4)
    save_figure(fig, path.parent, path.name)


def _charge_panel(charge, ax, vmax):
    ny, nx = charge.rho_c_per_m3.shape
    p = charge.pixel_size_nm
    ax.imshow(charge.rho_e_per_nm3, cmap="RdBu_r", vmin=-vmax, vmax=vmax, extent=(0, nx * p, ny * p, 0))
    ax.set_xlabel("x (nm)")
    ax.set_ylabel("y (nm)")


@register("dpc", parameters=PARAMETERS, files=(2, None), check=_check, probe=_probe,
          files_doc="one segment file per bias, in the order of bias_v")
def build(inp: SectionInput) -> Section:
    """Analyse a DPC-STEM bias series (see the module docstring)."""
    p = inp.parameters
    biases = p["bias_v"]
    eps_r = p["relative_permittivity"] or p["electrolyte_relative_permittivity"] or 1.0
    deflections = _deflections(inp)
    series = stem.bias_series(
        deflections, biases, beam_energy_kev=p["beam_energy_kev"], thickness_nm=p["thickness_nm"],
        scan_rotation_deg=p["scan_rotation_deg"], scan_flip=p["scan_flip"],
        field_direction_deg=p["field_direction_deg"], profile_start_px=p["profile_start_px"],
        profile_end_px=p["profile_end_px"], profile_width_px=p["profile_width_px"],
        interface_position_nm=p["interface_position_nm"], coating_thickness_nm=p["coating_thickness_nm"] or 0.0,
        relative_permittivity=eps_r)
    model_bare, model_coat = _models(p, max(biases))
    result = DpcSectionResult(series, model_bare, model_coat)
    fields, nets, rhos = series.fields, series.net_fields, series.charge_maps
    biased = list(zip(series.bias_v, nets))
    fprofs, rprofs = series.field_profiles, series.charge_profiles
    interface_nm, boundary_nm = series.interface_nm, series.boundary_nm
    fig_dir, pre = inp.figure_dir, inp.figure_prefix
    figures = []
    vmax = max(float(np.percentile(f.magnitude_v_per_m, 99)) for f in fields)
    name = pre + "dpc_fields.png"
    _map_grid(fields, [f"{b:g} V" for b in biases], lambda m, ax, first: m.plot(ax, vmax_v_per_m=vmax, wheel=first),
              fig_dir / name, f"{inp.label}: projected field (hue = direction, brightness = |E|, full = {vmax:.2g} V/m)")
    figures.append(Figure(name, "Electric-field maps per bias: hue gives the direction (colour wheel), brightness the magnitude."))
    nvmax = max(float(np.percentile(n.magnitude_v_per_m, 99)) for n in nets)
    name = pre + "dpc_net_fields.png"
    _map_grid(nets, [f"{b:g} V − 0 V" for b, _ in biased], lambda m, ax, first: m.plot(ax, vmax_v_per_m=nvmax, wheel=first),
              fig_dir / name, f"net field after drift registration (full brightness = {nvmax:.2g} V/m)")
    figures.append(Figure(name, "Net electric field (biased minus unbiased, registered) per bias."))
    rmax = max(float(np.percentile(np.abs(r.rho_e_per_nm3), 99)) for r in rhos)
    name = pre + "dpc_net_charge.png"
    _map_grid(rhos, [f"{b:g} V" for b, _ in biased], lambda m, ax, first: _charge_panel(m, ax, rmax),
              fig_dir / name, f"net charge density ρ = ε0·{eps_r:g}·∇·E (red +, blue −; ±{rmax:.2g} e/nm³ full scale)")
    figures.append(Figure(name, "Net charge density per bias from Gauss's law."))

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.6))
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(biased)))
    for (b, _), fp, rp, c in zip(biased, fprofs, rprofs, colors):
        fp.plot(a1, color=c, label=f"{b:g} V")
        a2.plot(rp.distance_nm, rp.value / elementary_charge / 1e27, color=c)  # C/m³ -> e/nm³
    a1.legend(fontsize=7)
    a1.set_title("net normal field across the interface")
    a2.set_xlabel("distance (nm)")
    a2.set_ylabel(f"net ρ (e/nm³, ε_r = {eps_r:g})")
    for ax in (a1, a2):
        ax.axvline(interface_nm, color="0.5", lw=0.8, ls="--")
        ax.axvline(boundary_nm, color="0.5", lw=0.8, ls=":")
    a2.set_title("net charge density across the interface")
    fig.tight_layout()
    name = pre + "dpc_profiles.png"
    save_figure(fig, fig_dir, name)
    figures.append(Figure(name, "Interface profiles (cathode → electrolyte) of the net field and net charge density per bias."))

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    series.plot(axes)
    fig.tight_layout()
    name = pre + "dpc_vs_bias.png"
    save_figure(fig, fig_dir, name)
    figures.append(Figure(name, "Net charge per interface area in the electrolyte and electrolyte space-charge-layer "
                                f"width (net field ≥ {100 * series.scl_fraction:g} % of its boundary value) "
                                "against bias."))

    fig, ax = plt.subplots(figsize=(6, 3.4))
    coating = inp.sample.coating.material if getattr(inp.sample, "coating", None) is not None else "coating"
    model_bare.plot(ax, label="cathode | electrolyte")
    model_coat.plot(ax, label=f"cathode | {coating} ({model_coat.coating_thickness_nm:g} nm) | electrolyte")
    ax.legend(fontsize=8)
    ax.set_title(f"simulated interface field at {max(biases):g} V (Mott–Schottky model)")
    fig.tight_layout()
    name = pre + "dpc_model.png"
    save_figure(fig, fig_dir, name)
    figures.append(Figure(name, f"1D Poisson model of the interface field with and without a {coating} layer."))

    top = series.top
    summary = series.summary() | {
        "model_electrolyte_charge_bare_c_per_m2": model_bare.electrolyte_charge_c_per_m2,
        "model_electrolyte_charge_coated_c_per_m2": model_coat.electrolyte_charge_c_per_m2,
    }
    quantities = (
        Quantity(f"peak net field at {series.bias_v[top]:g} V", float(series.net_field_peak_v_per_m[top]), "V/m"),
        Quantity(f"net charge (electrolyte side) at {series.bias_v[top]:g} V", float(series.net_charge_c_per_m2[top]),
                 "C/m²", float(series.net_charge_error_c_per_m2[top])),
        Quantity(f"space-charge-layer width at {series.bias_v[top]:g} V", float(series.scl_width_nm[top]), "nm"),
        Quantity("largest drift between scans", float(np.abs(series.drift_px).max()), "px"),
    )
    table = Table("Per bias", ("bias (V)", "peak net field (V/m)", "net charge (C/m²)", "SCL width (nm)",
                               "drift dy, dx (px)"),
                  tuple((float(b), float(f_), float(q), float(w), f"{d[0]:.2f}, {d[1]:.2f}") for b, f_, q, w, d in
                        zip(series.bias_v, series.net_field_peak_v_per_m, series.net_charge_c_per_m2,
                            series.scl_width_nm, series.drift_px)))
    used = {"scan_rotation_deg": series.scan_rotation_deg, "scan_flip": series.scan_flip,
            "interface_position_nm": series.interface_nm, "relative_permittivity": eps_r}
    origins = {}
    if p["scan_rotation_deg"] is None:
        origins.update(scan_rotation_deg="default (minimal curl)", scan_flip="default (minimal curl)")
    if p["interface_position_nm"] is None:
        origins["interface_position_nm"] = f"default ({series.interface_origin})"
    if p["pixel_size_nm"] is None:
        used["pixel_size_nm"], origins["pixel_size_nm"] = deflections[0].pixel_size_nm, "file"
    return Section(technique="dpc", title=f"DPC-STEM under bias — {inp.label}", quantities=quantities,
                   figures=tuple(figures), tables=(table,), parameters=used, origins=origins, summary=summary,
                   result=result, headline=(quantities[0], quantities[2]))


@register_comparison("dpc")
def compare(items, figure_dir, figure_prefix):
    """Net field and net charge against bias, coated against uncoated, and the simulated fields."""
    items = [(s, sec) for s, sec in items if isinstance(sec.result, DpcSectionResult)]
    if len({s.id for s, _ in items}) < 2:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    for sample, sec in items:
        r = sec.result.series
        label = coating_label(sample)
        axes[0].plot(r.bias_v, r.net_field_peak_v_per_m, "o-", label=label)
        axes[1].errorbar(r.bias_v, r.net_charge_c_per_m2, yerr=r.net_charge_error_c_per_m2, marker="o", label=label)
    for sample, sec in items:
        r = sec.result
        if getattr(sample, "coating", None):
            r.model_coated.plot(axes[2], label=f"model {sample.id}: {sample.coating.material} "
                                               f"{r.model_coated.coating_thickness_nm:g} nm")
        else:
            r.model_bare.plot(axes[2], label=f"model {sample.id}: no coating")
    top_bias = max(float(sec.result.series.bias_v.max()) for _, sec in items)
    axes[2].set_title(f"simulated field at {top_bias:g} V", fontsize=9)
    axes[0].set_xlabel("bias (V)")
    axes[0].set_ylabel("peak net field (V/m)")
    axes[1].set_xlabel("bias (V)")
    axes[1].set_ylabel("net charge, electrolyte side (C/m²)")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.tight_layout()
    name = figure_prefix + "dpc_compare.png"
    save_figure(fig, figure_dir, name)
    summary = {f"{s.id}_net_charge_at_max_bias_c_per_m2": float(sec.result.series.net_charge_c_per_m2[sec.result.series.top])
               for s, sec in items}
    summary.update({f"{s.id}_net_field_peak_at_max_bias_v_per_m":
                    float(sec.result.series.net_field_peak_v_per_m[sec.result.series.top]) for s, sec in items})
    return Section(technique="dpc", title="DPC-STEM: coated against uncoated",
                   figures=(Figure(name, "Peak net field and net interface charge against bias for each sample, "
                                         "and the simulated interface fields with and without the coating."),),
                   summary=summary)
