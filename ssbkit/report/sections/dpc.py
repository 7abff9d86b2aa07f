"""Report section "dpc": DPC-STEM bias series — field maps, net field and net charge
density per bias, interface profiles, net charge per area and space-charge-layer width
against bias, and the simulated interface fields with and without a BaTiO3 coating.

Files: one segment file per bias (anything :func:`stem.read_segments` accepts), in
the order of ``bias_v``. Parameters used (manifest ``parameters`` table):

- ``bias_v`` (list of V, required; must contain 0 — the unbiased reference),
- ``beam_energy_kev`` (keV), ``thickness_nm`` (nm), ``convergence_semiangle_mrad`` (mrad),
  ``pixel_size_nm`` (nm; else from the file),
- ``scan_rotation_deg``/``scan_flip`` (detector → scan; found by minimal curl when absent,
  resolved with ``field_direction_deg``, default 0),
- ``profile_start_px``/``profile_end_px`` ([y, x], across the interface, cathode → electrolyte;
  default: the middle row) and ``profile_width_px`` (default 9),
- ``interface_position_nm``: distance along the profile of the cathode surface (default: where
  the net field of the highest bias peaks); the electrolyte starts ``coating_thickness_nm``
  (default 0) further on,
- ``relative_permittivity`` for the charge density (default ``electrolyte_relative_permittivity``,
  else 1 = total charge),
- model: ``cathode_relative_permittivity``, ``electrolyte_relative_permittivity``,
  ``coating_relative_permittivity``, ``coating_thickness_nm`` (model default 10 nm when the
  sample has none), ``built_in_potential_v`` (default 0).

Definitions: the electrolyte space-charge-layer width is the distance from the electrolyte
boundary to where the net normal field falls below 20 % of its value there; the net charge
per area is ∫ρ dx over the electrolyte from 2 px beyond its boundary (past the Gaussian
derivative's blur of the polarisation sheet at the permittivity step) to the profile end.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

import stem
from ssbkit.errors import MetadataError
from ssbkit.report.registry import (
    Figure,
    Quantity,
    Section,
    SectionInput,
    Table,
    register,
    register_comparison,
)

_DPI = 100


@dataclass(frozen=True)
class DpcSeries:
    """Results of one bias series (arrays over the biased scans, i.e. bias > 0)."""

    bias_v: np.ndarray
    net_field_peak_v_per_m: np.ndarray
    net_charge_c_per_m2: np.ndarray
    net_charge_error_c_per_m2: np.ndarray
    scl_width_nm: np.ndarray
    drift_px: np.ndarray
    field_profiles: tuple
    charge_profiles: tuple
    model_bare: stem.InterfaceModel
    model_coated: stem.InterfaceModel


def _param(params, key, default=None, *, required=False):
    if key in params:
        return params[key]
    if required:
        raise MetadataError(f"dpc measurement needs parameter {key!r}")
    return default


def _fields(inp, biases):
    p = inp.parameters
    if len(inp.files) != len(biases):
        raise MetadataError(f"dpc: {len(inp.files)} files but {len(biases)} bias values in 'bias_v'")
    out = []
    for path in inp.files:
        seg = stem.read_segments(path)
        pixel = float(_param(p, "pixel_size_nm", seg.pixel_size_nm))
        defl = stem.segment_deflection(seg.a, seg.b, seg.c, seg.d, pixel_size_nm=pixel,
                                       convergence_semiangle_mrad=float(_param(p, "convergence_semiangle_mrad", required=True)),
                                       image=seg.image)
        out.append(defl)
    if "scan_rotation_deg" in p:
        rot, flip = float(p["scan_rotation_deg"]), bool(p.get("scan_flip", False))
    else:
        found = stem.find_scan_rotation(out[-1], field_direction_deg=float(p.get("field_direction_deg", 0.0)))
        rot, flip = found.rotation_deg, found.flip
    energy = float(_param(p, "beam_energy_kev", required=True))
    thick = float(_param(p, "thickness_nm", required=True))
    return [stem.electric_field(d.rotated(rotation_deg=rot, flip=flip), beam_energy_kev=energy, thickness_nm=thick)
            for d in out], rot, flip


def _models(p, bias):
    coated = float(p.get("coating_thickness_nm", 0.0)) or 10.0
    common = {k: float(p[k]) for k in ("cathode_relative_permittivity", "electrolyte_relative_permittivity",
                                       "coating_relative_permittivity") if k in p}
    v_bi = float(p.get("built_in_potential_v", 0.0))
    bare = stem.simulate_interface(bias_v=bias, built_in_potential_v=v_bi, **common)
    with_coat = stem.simulate_interface(bias_v=bias, built_in_potential_v=v_bi, coating_thickness_nm=coated, **common)
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
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


def _charge_panel(charge, ax, vmax):
    ny, nx = charge.rho_c_per_m3.shape
    p = charge.pixel_size_nm
    ax.imshow(charge.rho_e_per_nm3, cmap="RdBu_r", vmin=-vmax, vmax=vmax, extent=(0, nx * p, ny * p, 0))
    ax.set_xlabel("x (nm)")
    ax.set_ylabel("y (nm)")


@register("dpc")
def build(inp: SectionInput) -> Section:
    """Analyse a DPC-STEM bias series (see module docstring for files and parameters)."""
    p = inp.parameters
    biases = [float(b) for b in _param(p, "bias_v", required=True)]
    if 0.0 not in biases:
        raise MetadataError("dpc: 'bias_v' must include 0 V, the unbiased reference scan")
    fields, rot, flip = _fields(inp, biases)
    ref = fields[biases.index(0.0)]
    ny, nx = ref.ex_v_per_m.shape
    start = tuple(_param(p, "profile_start_px", (ny / 2, 0)))
    end = tuple(_param(p, "profile_end_px", (ny / 2, nx - 1)))
    width = float(p.get("profile_width_px", 9))
    eps_r = float(p.get("relative_permittivity", p.get("electrolyte_relative_permittivity", 1.0)))
    smoothing = 1.0
    biased = [(b, f) for b, f in zip(biases, fields) if b != 0.0]
    nets = [stem.net_field(f, ref) for _, f in biased]
    fprofs = [stem.interface_profile(net, start=start, end=end, width_px=width) for net in nets]
    if "interface_position_nm" in p:
        interface_nm = float(p["interface_position_nm"])
    else:
        top_profile = fprofs[int(np.argmax([b for b, _ in biased]))]
        interface_nm = float(top_profile.distance_nm[np.argmax(np.abs(top_profile.value))])
    boundary_nm = interface_nm + float(p.get("coating_thickness_nm", 0.0))
    rhos, rprofs, widths, charges = [], [], [], []
    for net, fprof in zip(nets, fprofs):
        rho = stem.charge_density(net, relative_permittivity=eps_r, smoothing_px=smoothing)
        rprof = stem.interface_profile(rho, start=start, end=end, width_px=width)
        scl = stem.space_charge_layer_width(fprof, fraction=0.2, side="after", start_nm=boundary_nm)
        charge = stem.net_charge_per_area(rprof, start_nm=boundary_nm + 2.0 * smoothing * ref.pixel_size_nm)
        rhos.append(rho), rprofs.append(rprof), widths.append(scl.width_nm), charges.append(charge)
    drifts = [(net.registration.dy_px, net.registration.dx_px) for net in nets]
    model_bare, model_coat = _models(p, max(biases))
    result = DpcSeries(np.array([b for b, _ in biased]), np.array([np.abs(fp.value).max() for fp in fprofs]),
                       np.array([c.c_per_m2 for c in charges]), np.array([c.error_c_per_m2 for c in charges]),
                       np.array(widths), np.array(drifts), tuple(fprofs), tuple(rprofs), model_bare, model_coat)

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
        a2.plot(rp.distance_nm, rp.value / 1.602176634e-19 / 1e27, color=c)
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
    fig.savefig(fig_dir / name, dpi=_DPI)
    plt.close(fig)
    figures.append(Figure(name, "Interface profiles (cathode → electrolyte) of the net field and net charge density per bias."))

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.4))
    a1.errorbar(result.bias_v, result.net_charge_c_per_m2, yerr=result.net_charge_error_c_per_m2, marker="o")
    a1.set_xlabel("bias (V)")
    a1.set_ylabel("net charge, electrolyte side (C/m²)")
    a2.plot(result.bias_v, result.scl_width_nm, "s-")
    a2.set_xlabel("bias (V)")
    a2.set_ylabel("space-charge-layer width (nm)")
    fig.tight_layout()
    name = pre + "dpc_vs_bias.png"
    fig.savefig(fig_dir / name, dpi=_DPI)
    plt.close(fig)
    figures.append(Figure(name, "Net charge per interface area in the electrolyte and electrolyte "
                                "space-charge-layer width (net field ≥ 20 % of its boundary value) against bias."))

    fig, ax = plt.subplots(figsize=(6, 3.4))
    model_bare.plot(ax, label="LCO | LPSCl")
    model_coat.plot(ax, label=f"LCO | BaTiO3 ({model_coat.coating_thickness_nm:g} nm) | LPSCl")
    ax.legend(fontsize=8)
    ax.set_title(f"simulated interface field at {max(biases):g} V (Mott–Schottky model)")
    fig.tight_layout()
    name = pre + "dpc_model.png"
    fig.savefig(fig_dir / name, dpi=_DPI)
    plt.close(fig)
    figures.append(Figure(name, "1D Poisson model of the interface field with and without a BaTiO3 layer."))

    top = int(np.argmax(result.bias_v))
    summary = {
        "max_bias_v": float(result.bias_v[top]),
        "net_field_peak_at_max_bias_v_per_m": float(result.net_field_peak_v_per_m[top]),
        "net_charge_at_max_bias_c_per_m2": float(result.net_charge_c_per_m2[top]),
        "scl_width_at_max_bias_nm": float(result.scl_width_nm[top]),
        "max_drift_px": float(np.abs(result.drift_px).max()),
        "scan_rotation_deg": rot,
        "model_electrolyte_charge_bare_c_per_m2": model_bare.electrolyte_charge_c_per_m2,
        "model_electrolyte_charge_coated_c_per_m2": model_coat.electrolyte_charge_c_per_m2,
    }
    for b, fpk, q in zip(result.bias_v, result.net_field_peak_v_per_m, result.net_charge_c_per_m2):
        summary[f"net_field_peak_{b:g}V_v_per_m"] = float(fpk)
        summary[f"net_charge_{b:g}V_c_per_m2"] = float(q)
    quantities = (
        Quantity(f"peak net field at {result.bias_v[top]:g} V", float(result.net_field_peak_v_per_m[top]), "V/m"),
        Quantity(f"net charge (electrolyte side) at {result.bias_v[top]:g} V", float(result.net_charge_c_per_m2[top]),
                 "C/m²", float(result.net_charge_error_c_per_m2[top])),
        Quantity(f"space-charge-layer width at {result.bias_v[top]:g} V", float(result.scl_width_nm[top]), "nm"),
        Quantity("largest drift between scans", float(np.abs(result.drift_px).max()), "px"),
    )
    table = Table("Per bias", ("bias (V)", "peak net field (V/m)", "net charge (C/m²)", "SCL width (nm)", "drift dy, dx (px)"),
                  tuple((float(b), float(f_), float(q), float(w), f"{d[0]:.2f}, {d[1]:.2f}") for b, f_, q, w, d in
                        zip(result.bias_v, result.net_field_peak_v_per_m, result.net_charge_c_per_m2,
                            result.scl_width_nm, result.drift_px)))
    used = {"bias_v": biases, "beam_energy_kev": float(p["beam_energy_kev"]), "thickness_nm": float(p["thickness_nm"]),
            "convergence_semiangle_mrad": float(p["convergence_semiangle_mrad"]), "scan_rotation_deg": rot,
            "scan_flip": flip, "profile_start_px": list(start), "profile_end_px": list(end),
            "profile_width_px": width, "relative_permittivity": eps_r, "interface_position_nm": interface_nm,
            "electrolyte_boundary_nm": boundary_nm}
    return Section(technique="dpc", title=f"DPC-STEM under bias — {inp.label}", quantities=quantities,
                   figures=tuple(figures), tables=(table,), parameters=used, summary=summary, result=result)


@register_comparison("dpc")
def compare(items, figure_dir, figure_prefix):
    """Net field and net charge against bias, coated against uncoated, and the simulated fields."""
    items = [(s, sec) for s, sec in items if isinstance(sec.result, DpcSeries)]
    if len(items) < 2:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    for sample, sec in items:
        r = sec.result
        amount = getattr(getattr(sample, "coating", None), "amount", 0.0) or 0.0
        label = f"{sample.id} ({amount:g} at% BaTiO3)"
        axes[0].plot(r.bias_v, r.net_field_peak_v_per_m, "o-", label=label)
        axes[1].errorbar(r.bias_v, r.net_charge_c_per_m2, yerr=r.net_charge_error_c_per_m2, marker="o", label=label)
    for sample, sec in items:
        r = sec.result
        if getattr(sample, "coating", None):
            r.model_coated.plot(axes[2], label=f"model {sample.id}: BaTiO3 {r.model_coated.coating_thickness_nm:g} nm")
        else:
            r.model_bare.plot(axes[2], label=f"model {sample.id}: no coating")
    axes[2].set_title(f"simulated field at {max(float(sec.result.bias_v.max()) for _, sec in items):g} V", fontsize=9)
    axes[0].set_xlabel("bias (V)")
    axes[0].set_ylabel("peak net field (V/m)")
    axes[1].set_xlabel("bias (V)")
    axes[1].set_ylabel("net charge, electrolyte side (C/m²)")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.tight_layout()
    name = figure_prefix + "dpc_compare.png"
    fig.savefig(figure_dir / name, dpi=_DPI)
    plt.close(fig)
    summary = {f"{s.id}_net_charge_at_max_bias_c_per_m2": float(sec.result.net_charge_c_per_m2[-1]) for s, sec in items}
    summary.update({f"{s.id}_net_field_peak_at_max_bias_v_per_m": float(sec.result.net_field_peak_v_per_m[-1])
                    for s, sec in items})
    return Section(technique="dpc", title="DPC-STEM: coated against uncoated",
                   figures=(Figure(name, "Peak net field and net interface charge against bias for each sample, "
                                         "and the simulated interface fields with and without BaTiO3."),),
                   summary=summary)
