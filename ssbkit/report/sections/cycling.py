"""Report section "cycling": galvanostatic charge-discharge of one cell.

The measurement has one cycler file (any format :func:`echem.read_cycling`
accepts). Parameters used from the manifest (all optional):

``active_mass_mg``
    Active-material mass, mg (default: the sample's ``cathode.active_mass_mg``);
    capacities are given in mAh/g when known, else in mAh.
``first_half_cycle``
    ``"charge"`` (default, a cathode cycled charge-first) or ``"discharge"``.
``reference_cycle``
    Cycle taken as 100 % retention (default 1; 2 skips a formation cycle).
``fade_model``
    ``"linear"`` (default) or ``"exponential"``.
``dqdv_cycle``
    Cycle whose dQ/dV is plotted (default: the reference cycle).
``profile_cycles``
    Cycles drawn as normalized curves (default: 1, the reference cycle,
    and the last complete cycle).
``format``
    Reader format name, when the content sniffing should be bypassed.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import echem
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

_DPI = 100


@dataclass(frozen=True)
class CyclingSectionResult:
    """What the cycling section computed, for comparisons and Python users."""

    summary: pd.DataFrame
    fade: echem.FadeResult
    first_cycle: echem.VoltageProfiles
    normalized: echem.VoltageProfiles
    dqdv: echem.DQDVResult | None
    active_mass_mg: float | None


def _int(params, key, default):
    value = params.get(key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MetadataError(f"cycling parameter {key!r} must be an integer, got {value!r}") from None


def _mass(inp: SectionInput) -> float | None:
    value = inp.parameters.get("active_mass_mg")
    if value is None:
        cathode = getattr(inp.sample, "cathode", None)
        value = getattr(cathode, "active_mass_mg", None)
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise MetadataError(f"cycling parameter 'active_mass_mg' must be a number, got {value!r}") from None
    if not value > 0:
        raise MetadataError(f"cycling parameter 'active_mass_mg' must be positive, got {value!r}")
    return value


def _save(fig, inp_dir, name) -> str:
    fig.tight_layout()
    return save_figure(fig, inp_dir, name, dpi=_DPI)


def analyse(inp: SectionInput) -> tuple[CyclingSectionResult, dict]:
    """Read and analyse the measurement; returns the result and the parameters used."""
    if len(inp.files) != 1:
        raise MetadataError(f"cycling measurement {inp.label!r} needs one file, got {len(inp.files)}")
    params = dict(inp.parameters)
    first_half = params.get("first_half_cycle", "charge")
    data = echem.read_cycling(inp.files[0], format=params.get("format"), first_half_cycle=first_half)
    mass = _mass(inp)
    summary = echem.cycle_summary(data, active_mass_mg=mass)
    reference = _int(params, "reference_cycle", 1)
    model = params.get("fade_model", "linear")
    fade = echem.capacity_fade(summary, reference_cycle=reference, model=model)
    complete = summary.loc[summary["complete"], "cycle"].to_numpy()
    default_cycles = sorted({int(complete[0]), reference, int(complete[-1])})
    cycles = [int(c) for c in params.get("profile_cycles", default_cycles)]
    first_cycle = echem.voltage_profiles(data, cycles=[int(summary["cycle"].iloc[0])], active_mass_mg=mass)
    normalized = echem.voltage_profiles(data, cycles=cycles, normalize=True)
    dqdv_cycle = _int(params, "dqdv_cycle", reference)
    try:
        dqdv = echem.dqdv(data, cycle=dqdv_cycle, active_mass_mg=mass)
    except ValueError:
        dqdv = None  # a cycle too short for dQ/dV: the section shows the rest
    used = {
        "active_mass_mg": mass,
        "first_half_cycle": first_half,
        "reference_cycle": reference,
        "fade_model": model,
        "dqdv_cycle": dqdv_cycle,
        "profile_cycles": cycles,
        "format": data.format,
    }
    return CyclingSectionResult(summary, fade, first_cycle, normalized, dqdv, mass), used


def key_numbers(result: CyclingSectionResult) -> dict:
    """Flat key numbers of a cycling result (units in the keys)."""
    summary, fade = result.summary, result.fade
    first = summary.iloc[0]
    per_g = "charge_capacity_mah_g" in summary
    unit = "mah_g" if per_g else "mah"
    out = {
        f"first_charge_capacity_{unit}": float(first[f"charge_capacity_{unit}"]),
        f"first_discharge_capacity_{unit}": float(first[f"discharge_capacity_{unit}"]),
        "first_coulombic_efficiency_pct": 100.0 * float(first["coulombic_efficiency"]),
        "n_cycles": int(summary["cycle"].nunique()),
        "n_complete_cycles": int(summary["complete"].sum()),
        "mean_coulombic_efficiency_after_first_pct": 100.0
        * float(summary.loc[summary["complete"], "coulombic_efficiency"].iloc[1:].mean()),
    }
    out.update(fade.summary())
    return out


@register("cycling")
def build(inp: SectionInput) -> Section:
    """Summarise, fit the fade and plot one cycling measurement."""
    result, used = analyse(inp)
    numbers = key_numbers(result)
    unit = "mAh/g" if result.active_mass_mg else "mAh"
    key = "mah_g" if result.active_mass_mg else "mah"
    prefix = inp.figure_prefix
    figures = []

    fig, ax = plt.subplots(figsize=(5, 3.6))
    result.first_cycle.plot(ax)
    ax.set_title(f"{inp.label}: first cycle")
    figures.append(
        Figure(
            _save(fig, inp.figure_dir, prefix + "first_cycle.png"),
            f"First-cycle charge (solid) and discharge (dashed) voltage against capacity ({unit}).",
        )
    )

    fig, ax = plt.subplots(figsize=(5, 3.6))
    result.normalized.plot(ax)
    ax.legend(fontsize=8)
    figures.append(
        Figure(
            _save(fig, inp.figure_dir, prefix + "normalized_curves.png"),
            "Normalized charge-discharge curves: capacity of each half-cycle scaled to 0-1, "
            "so that growing polarization shows apart from capacity loss.",
        )
    )

    fig, ax = plt.subplots(figsize=(5, 3.6))
    result.fade.plot(ax)
    ax.set_title(f"reference cycle {result.fade.reference_cycle}, {result.fade.model} fit (dashed)")
    figures.append(
        Figure(
            _save(fig, inp.figure_dir, prefix + "retention.png"),
            "Discharge-capacity retention against cycle number with the fitted fade model.",
        )
    )

    if result.dqdv is not None:
        fig, ax = plt.subplots(figsize=(5, 3.6))
        result.dqdv.plot(ax)
        ax.set_title(f"cycle {result.dqdv.cycle}")
        figures.append(
            Figure(
                _save(fig, inp.figure_dir, prefix + "dqdv.png"),
                "Differential capacity dQ/dV on the monotonic voltage envelope "
                "(Savitzky-Golay derivative; charge above zero, discharge below).",
            )
        )

    fade = result.fade
    quantities = (
        Quantity("first-cycle charge capacity", numbers[f"first_charge_capacity_{key}"], unit),
        Quantity("first-cycle discharge capacity", numbers[f"first_discharge_capacity_{key}"], unit),
        Quantity("first-cycle coulombic efficiency", numbers["first_coulombic_efficiency_pct"], "%"),
        Quantity(
            f"retention after {fade.last_cycle - fade.reference_cycle} cycles "
            f"(cycle {fade.last_cycle} vs {fade.reference_cycle})",
            100.0 * fade.retention,
            "%",
        ),
        Quantity(
            "fade per cycle",
            fade.fade_per_cycle_pct,
            "%/cycle",
            fade.fade_per_cycle_pct_stderr if fade.stderr_available else None,
        ),
        Quantity(f"cycles to 80 % retention ({fade.cycles_to_80pct_status})", fade.cycles_to_80pct, ""),
    )
    summary = result.summary
    rows = tuple(
        (
            int(r.cycle),
            round(float(r.charge_capacity_mah), 5),
            round(float(r.discharge_capacity_mah), 5),
            round(100 * float(r.coulombic_efficiency), 2) if np.isfinite(r.coulombic_efficiency) else "",
            bool(r.complete),
        )
        for r in summary.iloc[: min(len(summary), 5)].itertuples()
    )
    table = Table("First cycles", ("cycle", "charge [mAh]", "discharge [mAh]", "CE [%]", "complete"), rows)
    return Section(
        technique="cycling",
        title=f"Galvanostatic cycling: {inp.label}",
        quantities=quantities,
        figures=tuple(figures),
        tables=(table,),
        parameters=used,
        summary=numbers,
        result=result,
    )


def _coating(sample) -> float:
    return float(getattr(sample, "coating_amount", 0.0) or 0.0)


@register_comparison("cycling")
def compare(items, figure_dir, figure_prefix) -> Section | None:
    """Retention and curves of several samples overlaid; retention and fade against coating amount."""
    items = [(s, sec) for s, sec in items if isinstance(sec.result, CyclingSectionResult)]
    if len(items) < 2:
        return None
    items.sort(key=lambda pair: _coating(pair[0]))
    figures = []

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for sample, section in items:
        section.result.fade.plot(ax, label=sample.id)
    ax.legend(fontsize=8)
    figures.append(
        Figure(
            _save(fig, figure_dir, figure_prefix + "retention_all.png"),
            "Discharge-capacity retention against cycle number for every sample.",
        )
    )

    coating = np.array([_coating(s) for s, _ in items])
    retention = np.array([100 * sec.result.fade.retention for _, sec in items])
    fade = np.array([sec.result.fade.fade_per_cycle_pct for _, sec in items])
    fade_err = np.array([sec.result.fade.fade_per_cycle_pct_stderr for _, sec in items])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.4))
    ax1.plot(coating, retention, "o-")
    ax1.set_xlabel("BaTiO3 coating (at%)")
    ax1.set_ylabel("final retention (%)")
    ax2.errorbar(coating, fade, yerr=np.nan_to_num(fade_err), fmt="s-", capsize=3)
    ax2.set_xlabel("BaTiO3 coating (at%)")
    ax2.set_ylabel("fade per cycle (%/cycle)")
    figures.append(
        Figure(
            _save(fig, figure_dir, figure_prefix + "retention_vs_coating.png"),
            "Final retention and fitted fade per cycle against coating amount.",
        )
    )

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for k, (sample, section) in enumerate(items):
        for curve in section.result.first_cycle.curves:
            ax.plot(
                curve.capacity,
                curve.voltage_v,
                "-" if curve.direction == "charge" else "--",
                color=f"C{k}",
                label=sample.id if curve.direction == "charge" else None,
            )
    ax.set_xlabel(f"capacity ({items[0][1].result.first_cycle.capacity_unit})")
    ax.set_ylabel("voltage (V)")
    ax.legend(fontsize=8)
    figures.append(
        Figure(
            _save(fig, figure_dir, figure_prefix + "first_cycle_all.png"),
            "First-cycle charge (solid) and discharge (dashed) curves of every sample.",
        )
    )

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for k, (sample, section) in enumerate(items):
        last = section.result.fade.last_cycle
        curves = [c for c in section.result.normalized.curves if c.cycle == last] or list(
            section.result.normalized.curves[-2:]
        )
        for curve in curves:
            ax.plot(
                curve.capacity,
                curve.voltage_v,
                "-" if curve.direction == "charge" else "--",
                color=f"C{k}",
                label=f"{sample.id} (cycle {curve.cycle})" if curve.direction == "charge" else None,
            )
    ax.set_xlabel("normalized capacity")
    ax.set_ylabel("voltage (V)")
    ax.legend(fontsize=8)
    figures.append(
        Figure(
            _save(fig, figure_dir, figure_prefix + "normalized_last_all.png"),
            "Normalized charge-discharge curves of the last complete cycle of every sample.",
        )
    )

    rows = []
    for sample, section in items:
        s = section.summary
        key = "mah_g" if "first_charge_capacity_mah_g" in s else "mah"
        rows.append(
            (
                sample.id,
                _coating(sample),
                round(s[f"first_charge_capacity_{key}"], 1),
                round(s[f"first_discharge_capacity_{key}"], 1),
                round(s["first_coulombic_efficiency_pct"], 1),
                round(s["retention_pct"], 1),
                round(s["fade_per_cycle_pct"], 3),
            )
        )
    unit = "mAh/g" if key == "mah_g" else "mAh"
    table = Table(
        "Coating series",
        (
            "sample",
            "coating [at%]",
            f"1st charge [{unit}]",
            f"1st discharge [{unit}]",
            "1st CE [%]",
            "retention [%]",
            "fade [%/cycle]",
        ),
        tuple(rows),
    )
    best = items[int(np.nanargmax(retention))][0].id
    return Section(
        technique="cycling",
        title="Cycling: coating series",
        quantities=(Quantity("best final retention", f"{best} ({np.nanmax(retention):.1f} %)", ""),),
        figures=tuple(figures),
        tables=(table,),
        summary={f"{s.id}_retention_pct": float(r) for (s, _), r in zip(items, retention, strict=True)}
        | {f"{s.id}_fade_per_cycle_pct": float(f) for (s, _), f in zip(items, fade, strict=True)},
    )
