"""Report section "xas": XANES before/after comparison of one edge.

A measurement has two files, ``[before, after]`` (any format
:func:`xas.read_xas` accepts). Both are normalised with the same ranges and
compared with :func:`xas.compare`.

Parameters used from the manifest (all optional):

``element``, ``edge``
    Absorber and edge (default: from the files' metadata). With a preset
    (P K, S K; :func:`xas.edge_preset`) its normalization ranges are the defaults.
``pre1``, ``pre2``, ``norm1``, ``norm2``, ``nnorm``
    Normalization ranges (eV relative to E0) and post-edge degree; override
    the preset (or Larch's defaults when there is no preset).
``window_min_ev``, ``window_max_ev``
    Comparison window relative to E0, eV (default −20, 50).
``significance``
    False-alarm probability of the shape test (default 1e-3).
``min_shift_ev``
    Smallest edge shift called a change, eV (default 0.2).
``group_before``, ``group_after``
    Athena project group names, when the files are ``.prj`` projects.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import xas
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

_RANGE_KEYS = ("pre1", "pre2", "norm1", "norm2", "nnorm")


def _number(parameters, key, default):
    value = parameters.get(key, default)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MetadataError(f"xas parameter {key!r} must be a number, got {value!r}") from None


@register("xas")
def build(inp: SectionInput) -> Section:
    """Normalise, compare and plot one before/after pair."""
    if len(inp.files) != 2:
        raise MetadataError(f"xas measurement {inp.label!r} needs two files [before, after], got {len(inp.files)}")
    params = dict(inp.parameters)
    before = xas.read_xas(inp.files[0], group=params.get("group_before"))
    after = xas.read_xas(inp.files[1], group=params.get("group_after"))
    element = params.get("element") or before.element
    edge = params.get("edge") or before.edge or "K"
    ranges = {}
    if element:
        try:
            ranges = xas.edge_preset(element, edge).ranges()
        except ValueError:
            ranges = {}
    for key in _RANGE_KEYS:
        if key in params:
            ranges[key] = int(params[key]) if key == "nnorm" else _number(params, key, None)
    window = (_number(params, "window_min_ev", -20.0), _number(params, "window_max_ev", 50.0))
    significance = _number(params, "significance", 1e-3)
    min_shift = _number(params, "min_shift_ev", 0.2)
    result = xas.compare(before, after, window_ev=window, significance=significance, min_shift_ev=min_shift,
                         normalization=ranges)
    edge_name = f"{element} {edge}" if element else "edge"
    fig, axes = plt.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.4]}, figsize=(6, 5))
    result.plot(ax=axes)
    axes[0].set_title(f"{inp.sample.id}: {edge_name}-edge XANES — {'changed' if result.changed else 'unchanged'}\n"
                      f"ΔE0 = {result.edge_shift_ev:+.2f} eV, R = {result.r_factor:.1e}", fontsize=9)
    filename = inp.figure_prefix + "xas_before_after.png"
    fig.tight_layout()
    fig.savefig(inp.figure_dir / filename, dpi=100)
    plt.close(fig)
    summary = {"element": element, "edge": edge}
    summary.update({k: v for k, v in result.summary().items() if k != "verdict"})
    summary["verdict"] = result.verdict
    quantities = (
        Quantity("E0 before", round(result.e0_before_ev, 2), "eV"),
        Quantity("E0 after", round(result.e0_after_ev, 2), "eV"),
        Quantity("edge shift", result.edge_shift_ev, "eV",
                 None if not np.isfinite(result.edge_shift_stderr_ev) else result.edge_shift_stderr_ev),
        Quantity("R-factor", result.r_factor, ""),
        Quantity("max |Δμ_norm|", result.max_abs_difference, ""),
        Quantity("noise σ of difference", result.noise_sigma, ""),
        Quantity("verdict", result.verdict, ""),
    )
    used = dict(ranges)
    used.update(element=element, edge=edge, window_min_ev=window[0], window_max_ev=window[1],
                significance=significance, min_shift_ev=min_shift)
    return Section(
        technique="xas",
        title=f"{edge_name}-edge XANES before/after",
        quantities=quantities,
        figures=(Figure(filename, f"{edge_name}-edge normalised XANES before and after, with the difference "
                                  "(after − before) and the ±3σ noise band underneath."),),
        parameters=used,
        summary=summary,
        result=result,
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
            table_rows.append((sample.id, sample.coating_amount, edge_name, round(res.edge_shift_ev, 3),
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
    fig.savefig(figure_dir / filename, dpi=100)
    plt.close(fig)
    return Section(
        technique="xas",
        title="XANES of the electrolyte after cycling: bare vs coated cathode",
        figures=(Figure(filename, "Difference spectra (after − before 100 cycles) per edge and sample, "
                                  "with ±3σ noise bands, edge shifts and verdicts."),),
        tables=(Table("Edge shift and verdict per sample and edge",
                      ("sample", "coating [at%]", "edge", "edge shift [eV]", "R-factor", "verdict"),
                      tuple(table_rows)),),
        summary=summary,
    )
