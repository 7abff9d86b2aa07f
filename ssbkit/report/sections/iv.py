"""Report section "iv": current-voltage sweep of an in-situ cell under bias.

A thin adapter: one file read with :func:`echem.read_iv`, analysed with
:func:`echem.iv_analysis`. ``ssbkit params iv`` prints the declared parameters.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import echem
from ssbkit.report.parameters import Param
from ssbkit.report.series_labels import coating_label, sort_by_coating
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


PARAMETERS = (
    Param("onset_current_a", "number", "|I| threshold that defines the onset voltage "
          "(default 1 % of the largest |I| of the sweep)", "A", minimum=0, exclusive_minimum=True),
    Param("smoothing_points", "integer", "Savitzky-Golay window for dI/dV (odd)", default=7, minimum=3),
    Param("format", "string", "reader format, to bypass content sniffing", choices=tuple(echem.IV_FORMATS)),
)


def _check(p, files) -> list[str]:
    if p["smoothing_points"] % 2 == 0:
        return [f"parameter 'smoothing_points': must be odd, got {p['smoothing_points']}"]
    return []


def _probe(files, p) -> None:
    echem.read_iv(files[0], format=p["format"])



def _current_unit(current_a) -> tuple[str, float]:
    peak = float(np.max(np.abs(current_a))) if np.size(current_a) else 0.0
    for unit, scale in (("nA", 1e9), ("uA", 1e6), ("mA", 1e3)):
        if peak * scale < 1e4:
            return unit, scale
    return "A", 1.0


@register("iv", parameters=PARAMETERS, files=(1, 1), files_doc="one I-V sweep", check=_check, probe=_probe)
def build(inp: SectionInput) -> Section:
    """Differential resistance, onset voltage and hysteresis of one I-V sweep."""
    params = inp.parameters
    onset, window = params["onset_current_a"], params["smoothing_points"]
    data = echem.read_iv(inp.files[0], format=params["format"])
    result = echem.iv_analysis(data.voltage_v, data.current_a, onset_current_a=onset, smoothing_points=window)
    unit, scale = _current_unit(result.current_a)
    prefix = inp.figure_prefix
    fig, ax = plt.subplots(figsize=(5, 3.6))
    result.plot(ax, current_unit=unit)
    ax.set_title(inp.label)
    figures = [
        Figure(
            save_figure(fig, inp.figure_dir, prefix + "iv.png"),
            "Current against bias, rising sweep solid, falling dashed; dotted line: onset voltage.",
        )
    ]
    fig, ax = plt.subplots(figsize=(5, 3.6))
    result.plot_resistance(ax)
    figures.append(
        Figure(
            save_figure(fig, inp.figure_dir, prefix + "differential_resistance.png"),
            "Differential resistance |dV/dI| along the sweep.",
        )
    )
    summary = result.summary()
    quantities = (
        Quantity("onset voltage" + ("" if result.onset_found else " (not reached)"), result.onset_voltage_v, "V"),
        Quantity("onset threshold", result.onset_current_a * scale, unit),
        Quantity("current at maximum bias", summary["current_at_max_bias_a"] * scale, unit),
        Quantity("minimum differential resistance", summary["min_differential_resistance_ohm"], "Ω"),
        Quantity("hysteresis (mean |I_up - I_down|)", result.hysteresis_current_a * scale, unit),
    )
    return Section(
        technique="iv",
        title=f"I-V sweep: {inp.label}",
        quantities=quantities,
        figures=tuple(figures),
        parameters={"onset_current_a": result.onset_current_a, "format": data.format},
        origins={"format": "file" if params["format"] is None else "manifest"}
        | ({} if onset is not None else {"onset_current_a": "default (1 % of the largest |I|)"}),
        summary=summary,
        result=result,
        headline=quantities[:1],
        status="ok" if result.quality == "ok" else "warning",
        reasons=tuple(result.quality_reasons),
    )


@register_comparison("iv")
def compare(items, figure_dir, figure_prefix) -> Section | None:
    """I-V curves of the samples overlaid (e.g. LCO against BTO-LCO)."""
    items = [(s, sec) for s, sec in items if isinstance(sec.result, echem.IVResult)]
    if len(items) < 2:
        return None
    items = sort_by_coating(items)
    unit, scale = _current_unit(np.concatenate([sec.result.current_a for _, sec in items]))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
    for sample, section in items:
        section.result.plot(ax1, label=sample.id, current_unit=unit)
        section.result.plot_resistance(ax2, label=sample.id)
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    figure = Figure(
        save_figure(fig, figure_dir, figure_prefix + "iv_all.png"),
        "I-V curves (left) and differential resistance (right) of every sample.",
    )
    rows = tuple(
        (
            coating_label(s),
            round(sec.result.onset_voltage_v, 3),
            sec.summary["current_at_max_bias_a"] * scale,
            sec.result.hysteresis_current_a * scale,
        )
        for s, sec in items
    )
    table = Table("I-V comparison (currents in the unit of the plot)",
                  ("sample", "onset [V]", f"I at max bias [{unit}]", f"hysteresis [{unit}]"), rows)
    return Section(
        technique="iv",
        title="I-V: samples compared",
        figures=(figure,),
        tables=(table,),
        summary={f"{s.id}_onset_voltage_v": float(sec.result.onset_voltage_v) for s, sec in items},
    )
