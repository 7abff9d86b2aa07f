"""Report section "cycling": galvanostatic charge-discharge of one cell.

A thin adapter: the declared parameters below go to :func:`echem.read_cycling`
and :func:`echem.analyze_cycling`; the comparison page uses
:func:`echem.cycling_series` (same cycle count for every cell, replicates of a
sample pooled). ``ssbkit params cycling`` prints the declaration.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

import echem
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
from ssbkit.report.sample_values import cathode_active_mass_mg, cathode_formula
from ssbkit.report.series_labels import coating_axis_label, coating_label, sort_by_coating



def _theoretical(sample) -> float | None:
    formula = cathode_formula(sample)
    try:
        return echem.theoretical_capacity_mah_g(formula) if formula else None
    except ValueError:  # a cathode without Li (e.g. a conversion material): no automatic check
        return None


PARAMETERS = (
    Param("active_mass_mg", "number", "active-material mass; capacities in mAh/g when known, else mAh", "mg",
          minimum=0, exclusive_minimum=True, from_sample=cathode_active_mass_mg,
          sample_doc="cathode.active_mass_mg"),
    Param("first_half_cycle", "string", "which half opens a cycle (a cathode: charge)", default="charge",
          choices=echem.FIRST_HALF_CYCLES),
    Param("reference_cycle", "integer", "cycle taken as 100 % retention (default: the first complete cycle)",
          minimum=1),
    Param("fade_model", "string", "model fitted to the retention", default="linear", choices=echem.FADE_MODELS),
    Param("dqdv_cycle", "integer", "cycle whose dQ/dV is plotted (default: the reference cycle)", minimum=1),
    Param("profile_cycles", "integer_list", "cycles drawn as normalized curves "
          "(default: first complete, reference and last complete)", minimum=1),
    Param("theoretical_capacity_mah_g", "number", "capacity above which a specific capacity is flagged as a "
          "mass or unit mistake", "mAh/g", minimum=0, exclusive_minimum=True, from_sample=_theoretical,
          sample_doc="Faraday's law on cathode.material, every Li extracted"),
    Param("format", "string", "reader format, to bypass content sniffing", choices=tuple(echem.CYCLING_FORMATS)),
)


def _read(path, p):
    return echem.read_cycling(path, format=p["format"], first_half_cycle=p["first_half_cycle"])


def _probe(files, p) -> None:
    _read(files[0], p)


def _figures(result: echem.CyclingAnalysis, inp: SectionInput) -> list[Figure]:
    prefix, folder, unit = inp.figure_prefix, inp.figure_dir, result.capacity_unit
    figures = []
    fig, ax = plt.subplots(figsize=(5, 3.6))
    result.first_cycle.plot(ax)
    ax.set_title(f"cycle {int(result.cycles['cycle'].iloc[0])}", fontsize=9)
    figures.append(Figure(save_figure(fig, folder, prefix + "first_cycle.png"),
                          f"First-cycle charge (solid) and discharge (dashed) voltage against capacity ({unit})."))
    fig, ax = plt.subplots(figsize=(5, 3.6))
    result.normalized.plot(ax)
    if ax.get_legend_handles_labels()[0]:  # no curve to label: no empty legend (and no matplotlib warning)
        ax.legend(fontsize=8)
    figures.append(Figure(save_figure(fig, folder, prefix + "normalized_curves.png"),
                          "Normalized charge-discharge curves: capacity of each half-cycle scaled to 0-1, "
                          "so that growing polarization shows apart from capacity loss."))
    if result.fade is not None:
        fig, ax = plt.subplots(figsize=(5, 3.6))
        result.fade.plot(ax)
        ax.set_title(f"reference cycle {result.fade.reference_cycle}, {result.fade.model} fit (dashed)", fontsize=9)
        figures.append(Figure(save_figure(fig, folder, prefix + "retention.png"),
                              "Discharge-capacity retention against cycle number with the fitted fade model."))
    if result.dqdv is not None:
        fig, ax = plt.subplots(figsize=(5, 3.6))
        result.dqdv.plot(ax)
        ax.set_title(f"cycle {result.dqdv.cycle}", fontsize=9)
        figures.append(Figure(save_figure(fig, folder, prefix + "dqdv.png"),
                              "Differential capacity dQ/dV on the monotonic voltage envelope "
                              "(Savitzky-Golay derivative; charge above zero, discharge below)."))
    return figures


def _quantities(result: echem.CyclingAnalysis, numbers: dict) -> tuple[Quantity, ...]:
    key, unit, fade = result.capacity_key, result.capacity_unit, result.fade
    first = numbers["first_cycle"]
    complete = "" if numbers["first_cycle_complete"] else ", incomplete"
    opening = (
        Quantity(f"charge capacity, cycle {first}{complete}", numbers[f"first_charge_capacity_{key}"], unit),
        Quantity(f"discharge capacity, cycle {first}{complete}", numbers[f"first_discharge_capacity_{key}"], unit),
        Quantity(f"coulombic efficiency, cycle {first}", numbers["first_coulombic_efficiency_pct"], "%"),
    )
    if not result.retention_determined:
        why = "no complete cycle" if fade is None else f"cycle {fade.reference_cycle} is the only complete cycle"
        return opening + (Quantity("retention", f"not determined ({why})", ""),)
    return opening + (
        Quantity(f"retention after {fade.last_cycle - fade.reference_cycle} cycles "
                 f"(cycle {fade.last_cycle} vs {fade.reference_cycle})", 100.0 * fade.retention, "%"),
        Quantity("fade per cycle", fade.fade_per_cycle_pct, "%/cycle",
                 fade.fade_per_cycle_pct_stderr if fade.stderr_available else None),
        Quantity(f"cycles to 80 % retention ({fade.cycles_to_80pct_status})", fade.cycles_to_80pct, ""),
    )


def _headline(result: echem.CyclingAnalysis, numbers: dict) -> tuple[Quantity, ...]:
    """Names that are the same for every cell, so the overview lines cells up in columns."""
    key, unit, fade = result.capacity_key, result.capacity_unit, result.fade
    retention = f"{100 * fade.retention:.1f} after {fade.last_cycle - fade.reference_cycle} cycles" \
        if result.retention_determined else "n/a"
    charge, discharge = numbers[f"first_charge_capacity_{key}"], numbers[f"first_discharge_capacity_{key}"]
    if not numbers["first_cycle_complete"]:  # a record that starts mid-cycle: its first half-cycles are partial
        charge = discharge = f"n/a (cycle {numbers['first_cycle']} incomplete)"
    return (Quantity("1st-cycle charge capacity", charge, unit),
            Quantity("1st-cycle discharge capacity", discharge, unit),
            Quantity("1st-cycle coulombic efficiency", numbers["first_coulombic_efficiency_pct"], "%"),
            Quantity("capacity retention", retention, "%"))


def _first_cycles_table(result: echem.CyclingAnalysis) -> Table:
    key, unit = result.capacity_key, result.capacity_unit
    rows = tuple(
        (int(r["cycle"]), float(r[f"charge_capacity_{key}"]), float(r[f"discharge_capacity_{key}"]),
         100 * float(r["coulombic_efficiency"]), "yes" if r["complete"] else "no")
        for _, r in result.cycles.iloc[:5].iterrows()
    )
    return Table("First cycles", ("cycle", f"charge [{unit}]", f"discharge [{unit}]", "CE [%]", "complete"), rows)


@register("cycling", parameters=PARAMETERS, files=(1, 1), files_doc="one cycler file", probe=_probe)
def build(inp: SectionInput) -> Section:
    """Summarise, fit the fade and plot one cycling measurement."""
    p = inp.parameters
    data = _read(inp.files[0], p)
    result = echem.analyze_cycling(
        data, active_mass_mg=p["active_mass_mg"], reference_cycle=p["reference_cycle"], fade_model=p["fade_model"],
        dqdv_cycle=p["dqdv_cycle"], profile_cycles=p["profile_cycles"],
        theoretical_capacity_mah_g=p["theoretical_capacity_mah_g"])
    numbers = result.summary()
    used = {"reference_cycle": result.fade.reference_cycle if result.fade is not None else None, "format": data.format,
            "dqdv_cycle": result.dqdv.cycle if result.dqdv is not None else p["dqdv_cycle"]}
    origins = {"format": "file" if p["format"] is None else "manifest"}
    if p["reference_cycle"] is None:
        origins["reference_cycle"] = "default (first complete cycle)"
    quantities = _quantities(result, numbers)
    return Section(technique="cycling", title=f"Galvanostatic cycling: {inp.label}",
                   quantities=quantities, figures=tuple(_figures(result, inp)),
                   tables=(_first_cycles_table(result),), parameters=used, origins=origins, summary=numbers,
                   result=result, status=result.status, reasons=result.quality_reasons,
                   headline=_headline(result, numbers))


@register_comparison("cycling")
def compare(items, figure_dir, figure_prefix) -> Section | None:
    """Retention after the same number of cycles per sample (replicates pooled), fade and curves."""
    analysed = [(s, sec) for s, sec in items if isinstance(sec.result, echem.CyclingAnalysis)]
    items = sort_by_coating([(s, sec) for s, sec in analysed if sec.result.fade is not None])
    left_out = tuple(f"{sec.result.data.source} ({s.id}) is not compared: it holds no complete cycle"
                     for s, sec in analysed if sec.result.fade is None)
    samples = list({s.id: s for s, _ in items}.values())
    if len(samples) < 2:
        return None
    series = echem.cycling_series([sec.result for _, sec in items], [s.id for s, _ in items])
    axis = coating_axis_label(samples)
    amounts = [s.coating_amount for s in samples]
    figures = []

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for sample, section in items:
        section.result.fade.plot(ax, label=sample.id)
    ax.legend(fontsize=8)
    figures.append(Figure(save_figure(fig, figure_dir, figure_prefix + "retention_all.png"),
                          "Discharge-capacity retention against cycle number for every cell."))

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    series.plot(ax, x=amounts, xlabel=axis)
    figures.append(Figure(save_figure(fig, figure_dir, figure_prefix + "retention_vs_coating.png"),
                          f"Retention after the same {series.cycles_compared} cycles from each cell's reference "
                          "cycle against coating amount: mean ± standard deviation over replicate cells "
                          "(squares) and every cell (grey dots)."))

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for k, (sample, section) in enumerate(items):
        for curve in section.result.first_cycle.curves:
            ax.plot(curve.capacity, curve.voltage_v, "-" if curve.direction == "charge" else "--", color=f"C{k}",
                    label=sample.id if curve.direction == "charge" else None)
    ax.set_xlabel(f"capacity ({items[0][1].result.first_cycle.capacity_unit})")
    ax.set_ylabel("voltage (V)")
    ax.legend(fontsize=8)
    figures.append(Figure(save_figure(fig, figure_dir, figure_prefix + "first_cycle_all.png"),
                          "First-cycle charge (solid) and discharge (dashed) curves of every cell."))

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for k, (sample, section) in enumerate(items):
        cycle = section.result.fade.reference_cycle + series.cycles_compared
        profiles = echem.voltage_profiles(section.result.data, cycles=[cycle], normalize=True)
        for curve in profiles.curves:
            ax.plot(curve.capacity, curve.voltage_v, "-" if curve.direction == "charge" else "--", color=f"C{k}",
                    label=f"{sample.id} (cycle {cycle})" if curve.direction == "charge" else None)
    ax.set_xlabel("normalized capacity")
    ax.set_ylabel("voltage (V)")
    ax.legend(fontsize=8)
    figures.append(Figure(save_figure(fig, figure_dir, figure_prefix + "normalized_common_all.png"),
                          f"Normalized charge-discharge curves {series.cycles_compared} cycles after each cell's "
                          "reference cycle: the same cycle count for every cell."))

    unit = series.capacity_unit
    rows = tuple(
        (coating_label(sample), int(series.n_replicates[k]), series.first_discharge_capacity[k],
         series.first_coulombic_efficiency_pct[k], series.retention_pct[k], series.retention_pct_std[k],
         series.fade_per_cycle_pct[k])
        for k, sample in enumerate(samples))
    table = Table(f"Coating series, compared after {series.cycles_compared} cycles from each cell's reference "
                  "cycle (the most every cell reached); std over replicate cells",
                  ("sample", "cells", f"1st discharge [{unit}]", "1st CE [%]",
                   f"retention after {series.cycles_compared} cycles [%]", "std [%]", "fade [%/cycle]"), rows)
    return Section(technique="cycling", title="Cycling: coating series", figures=tuple(figures), tables=(table,),
                   quantities=(Quantity("cycles compared (common to every cell)", series.cycles_compared, ""),),
                   summary=series.summary(), result=series, warnings=left_out, reasons=left_out)
