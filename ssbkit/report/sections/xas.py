"""Report section "xas": XANES before/after comparison of one edge.

A thin adapter: two files ``[before, after]`` read with :func:`xas.read_xas`,
normalised with the same ranges (the edge's preset, :func:`xas.edge_preset`,
unless the manifest overrides them) and compared with :func:`xas.compare`.
``ssbkit params xas`` prints the declared parameters.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import xas
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
from ssbkit.report.series_labels import coating_label

_RANGE_KEYS = ("pre1", "pre2", "norm1", "norm2", "nnorm")

PARAMETERS = (
    Param("element", "string", "absorbing element (default: from the files)"),
    Param("edge", "string", "absorption edge (default: from the files, else K)", choices=("K", "L1", "L2", "L3")),
    Param("pre1", "number", "start of the pre-edge line, relative to E0", "eV"),
    Param("pre2", "number", "end of the pre-edge line, relative to E0", "eV"),
    Param("norm1", "number", "start of the post-edge polynomial, relative to E0", "eV"),
    Param("norm2", "number", "end of the post-edge polynomial, relative to E0", "eV"),
    Param("nnorm", "integer", "degree of the post-edge polynomial", minimum=0, maximum=3),
    Param("window_min_ev", "number", "start of the comparison window, relative to E0", "eV", default=-20.0),
    Param("window_max_ev", "number", "end of the comparison window, relative to E0", "eV", default=50.0),
    Param("significance", "number", "false-alarm probability of the shape test", default=1e-3, minimum=0,
          exclusive_minimum=True, maximum=0.5),
    Param("min_shift_ev", "number", "smallest edge shift called a change", "eV", default=0.2, minimum=0),
    Param("group_before", "string", "Athena project group of the 'before' spectrum (for .prj files)"),
    Param("group_after", "string", "Athena project group of the 'after' spectrum (for .prj files)"),
    Param("cycles", "integer", "cycles between the two spectra (shown in the title)", minimum=0),
)


def _check(p, files) -> list[str]:
    if p["window_min_ev"] >= p["window_max_ev"]:
        return [f"parameters 'window_min_ev' ({p['window_min_ev']:g}) and 'window_max_ev' "
                f"({p['window_max_ev']:g}): the window must have min < max"]
    return []


def _read_one(path, group, key):
    try:
        return xas.read_xas(path, group=group)
    except xas.GroupChoiceError as exc:
        choice = "does not name one of" if group is not None else "must name one of"
        raise MetadataError(f"parameter {key!r}: {choice} the {len(exc.groups)} groups of the Athena project "
                            f"{path}: {', '.join(repr(g) for g in exc.groups)}") from None


def _read(files, p):
    return (_read_one(files[0], p["group_before"], "group_before"), _read_one(files[1], p["group_after"], "group_after"))


def _probe(files, p) -> None:
    _read(files, p)


@register("xas", parameters=PARAMETERS, files=(2, 2), files_doc="[before, after] spectra of one edge",
          check=_check, probe=_probe)
def build(inp: SectionInput) -> Section:
    """Normalise, compare and plot one before/after pair."""
    params = inp.parameters
    before, after = _read(inp.files, params)
    element = params["element"] or before.element
    edge = params["edge"] or before.edge or "K"
    ranges = {}
    if element:
        try:
            ranges = xas.edge_preset(element, edge).ranges()
        except ValueError:
            ranges = {}
    preset_keys = set(ranges)
    ranges.update({key: params[key] for key in _RANGE_KEYS if params[key] is not None})
    window = (params["window_min_ev"], params["window_max_ev"])
    significance, min_shift = params["significance"], params["min_shift_ev"]
    result = xas.compare(before, after, window_ev=window, significance=significance, min_shift_ev=min_shift,
                         normalization=ranges)
    edge_name = f"{element} {edge}" if element else "edge"
    fig, axes = plt.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.4]}, figsize=(6, 5))
    result.plot(ax=axes)
    axes[0].set_title(f"{inp.sample.id}: {edge_name}-edge XANES — {'changed' if result.changed else 'unchanged'}\n"
                      f"{result.shift_text()}, R = {result.r_factor:.1e}", fontsize=9)
    filename = inp.figure_prefix + "xas_before_after.png"
    fig.tight_layout()
    save_figure(fig, inp.figure_dir, filename)
    summary = {"element": element, "edge": edge}
    summary.update({k: v for k, v in result.summary().items() if k != "verdict"})
    summary["verdict"] = result.verdict
    quantities = (
        Quantity("E0 before", result.e0_before_ev, "eV"),
        Quantity("E0 after", result.e0_after_ev, "eV"),
        Quantity("edge shift (derivative alignment)", result.edge_shift_ev, "eV",
                 None if not np.isfinite(result.edge_shift_stderr_ev) else result.edge_shift_stderr_ev),
        Quantity("E0 shift (E0 after − E0 before)", result.e0_shift_ev, "eV"),
        Quantity("R-factor", result.r_factor, ""),
        Quantity("max |Δμ_norm|", result.max_abs_difference, ""),
        Quantity("noise σ of difference", result.noise_sigma, ""),
        Quantity("verdict", result.verdict, ""),
    )
    used = dict(ranges, element=element, edge=edge)
    origins = {key: f"default ({element} {edge} preset)" for key in preset_keys if params[key] is None}
    origins.update({key: "file" for key in ("element", "edge") if params[key] is None})
    return Section(
        technique="xas",
        title=f"{edge_name}-edge XANES before/after"
        + (f" {params['cycles']} cycles" if params["cycles"] is not None else ""),
        quantities=quantities,
        figures=(Figure(filename, f"{edge_name}-edge normalised XANES before and after, with the difference "
                                  "(after − before) and the ±3σ noise band underneath."),),
        parameters=used,
        origins=origins,
        summary=summary,
        result=result,
        status="warning" if result.shift_ambiguous else "ok",
        reasons=(result.verdict,) if result.shift_ambiguous else (),
        headline=(Quantity(f"{edge_name} edge shift ({'changed' if result.changed else 'unchanged'})",
                           f"n/a: shapes differ (ΔE0 {result.e0_shift_ev:+.2f})" if result.shift_ambiguous
                           else result.edge_shift_ev, "eV", None if result.shift_ambiguous else quantities[2].error),),
    )


@register_comparison("xas")
def compare(items, figure_dir, figure_prefix):
    """Edge shifts and verdicts per edge across samples (e.g. LCO vs BTO5-LCO)."""
    rows = [(sample, section) for sample, section in items if section.result is not None]
    samples = sorted({sample.id for sample, _ in rows})
    if len(samples) < 2:
        return None
    edges = sorted({f"{s.summary.get('element')} {s.summary.get('edge')}" for _, s in rows})
    fig, axes = plt.subplots(1, len(edges), figsize=(4.5 * len(edges), 3.6), squeeze=False)
    table_rows = []
    summary = {}
    for ax, edge_name in zip(axes[0], edges):
        chosen = sorted(((sample, s) for sample, s in rows
                         if f"{s.summary.get('element')} {s.summary.get('edge')}" == edge_name),
                        key=lambda pair: pair[0].coating_amount)
        offset = 0.0
        for sample, section in chosen:
            res = section.result
            ax.fill_between(res.energy_ev, offset - 3 * res.noise_sigma, offset + 3 * res.noise_sigma,
                            color="0.88")
            ax.plot(res.energy_ev, res.difference + offset, lw=0.9,
                    label=f"{sample.id}: ΔE0 {res.edge_shift_ev:+.2f} eV, {'changed' if res.changed else 'unchanged'}")
            offset += max(0.1, 1.5 * float(np.max(np.abs(res.difference))))
            table_rows.append((coating_label(sample), edge_name, round(res.edge_shift_ev, 3),
                               float(f"{res.r_factor:.3g}"), "changed" if res.changed else "unchanged"))
            key = f"{sample.id}_{edge_name.replace(' ', '')}"
            summary[f"{key}_edge_shift_ev"] = res.edge_shift_ev
            summary[f"{key}_r_factor"] = res.r_factor
            summary[f"{key}_changed"] = bool(res.changed)
        ax.set_title(f"{edge_name}-edge: after − before (offset)", fontsize=9)
        ax.set_xlabel("Energy (eV)")
        ax.set_ylabel("Δμ_norm")
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    filename = figure_prefix + "xas_difference_comparison.png"
    save_figure(fig, figure_dir, filename)
    return Section(
        technique="xas",
        title="XANES before/after: samples compared",
        figures=(Figure(filename, "Difference spectra (after − before) per edge and sample, "
                                  "with ±3σ noise bands, edge shifts and verdicts."),),
        tables=(Table("Edge shift and verdict per sample and edge",
                      ("sample", "edge", "edge shift [eV]", "R-factor", "verdict"),
                      tuple(table_rows)),),
        summary=summary,
    )
