"""Report section "xrd": phase identification, lattice parameters and weight fractions.

One powder pattern per measurement (the first file) is read with
:func:`xrd.read_pattern`, its phases are identified among the candidates with
:func:`xrd.identify_phases` and refined together (Rietveld-like: scale, cell,
zero shift, widths; Hill-Howard weight fractions).

Parameters used from the manifest (defaults in brackets):

``candidates``
    List of built-in reference names, ``"amcsd:<id>"`` entries or CIF paths
    (relative paths are taken relative to the measurement file) [all built-ins].
``elements``
    List of chemical symbols: adds every AMCSD structure made only of them [none].
``max_phases``
    Most phases accepted [4].
``min_weight_fraction``
    Smallest weight fraction accepted, 0-1 [0.01].

The comparison page plots the BaTiO3 and BaCO3 weight fractions against the
coating amount and stacks the patterns of the coating series.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import xrd
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


def _candidates(parameters, base: Path):
    value = parameters.get("candidates")
    if value is None:
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not value:
        raise MetadataError(f"xrd parameter 'candidates' must be a non-empty list of names, got {value!r}")
    builtins = xrd.builtin_references()
    out = []
    for item in value:
        item = str(item)
        if item in builtins or item.lower().startswith("amcsd:"):
            out.append(item)
        else:
            path = Path(item)
            out.append(path if path.is_absolute() else base / path)
    return out


def _phase_table(result) -> Table:
    rows = []
    for phase in result.phases:
        a, b, c, al, be, ga = phase.lattice
        ea, eb, ec = phase.lattice_error[:3]
        angles = "/".join(f"{v:.2f}" for v in (al, be, ga))
        rows.append((phase.formula, phase.space_group, phase.card or phase.name, f"{a:.4f}({ea:.4f})",
                     f"{b:.4f}({eb:.4f})", f"{c:.4f}({ec:.4f})", angles,
                     f"{100 * phase.weight_fraction:.1f} ± {100 * phase.weight_fraction_error:.1f}",
                     f"{100 * phase.cell_strain:.2f}", f"{phase.figure_of_merit:.2f}"))
    return Table("Identified phases: refined cell (standard error), its largest deviation from the reference "
                 "cell and Hill-Howard weight fraction",
                 ("phase", "space group", "reference", "a [Å]", "b [Å]", "c [Å]", "α/β/γ [deg]", "w [wt%]",
                  "Δcell [%]", "FoM"), tuple(rows))


def _unexplained_table(result, wavelength_angstrom: float) -> Table:
    """Observed peaks no identified phase explains, with their d-spacings (Bragg: d = λ / 2 sin θ) for a
    search in a card database; the final refinement models them as free peaks."""
    positions = result.unexplained_peaks_deg
    d = wavelength_angstrom / (2 * np.sin(np.radians(positions) / 2))
    return Table("Observed peaks no identified phase explains (modelled as free peaks in the refinement)",
                 ("2θ [deg]", "d [Å]"), tuple((f"{t:.3f}", f"{v:.4f}") for t, v in zip(positions, d)))


@register("xrd")
def build(inp: SectionInput) -> Section:
    """Identify and refine the phases of one powder pattern."""
    if not inp.files:
        raise MetadataError(f"xrd measurement {inp.label!r} has no file")
    path = Path(inp.files[0])
    pattern = xrd.read_pattern(path)
    candidates = _candidates(inp.parameters, path.parent)
    elements = inp.parameters.get("elements")
    max_phases = int(inp.parameters.get("max_phases", 4))
    min_wf = float(inp.parameters.get("min_weight_fraction", 0.01))
    result = xrd.identify_phases(pattern, candidates, elements=elements, max_phases=max_phases,
                                 min_weight_fraction=min_wf)
    figures = []
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    result.plot(ax=ax)
    ax.set_title(f"{inp.label}: {', '.join(result.formulas) or 'no phase'} (Rwp = {100 * result.rwp:.2f} %)",
                 fontsize=9)
    name = f"{inp.figure_prefix}xrd_pattern.png"
    fig.tight_layout()
    fig.savefig(inp.figure_dir / name, dpi=_DPI)
    plt.close(fig)
    figures.append(Figure(name, "Observed (points), calculated (line) and difference patterns with one row of "
                                "reflection ticks per identified phase."))
    quantities = [Quantity("Rwp", 100 * result.rwp, "%")]
    for phase in result.phases:
        quantities.append(Quantity(f"{phase.formula} weight fraction", 100 * phase.weight_fraction, "wt%",
                                   100 * phase.weight_fraction_error))
        quantities.append(Quantity(f"{phase.formula} a", float(phase.lattice[0]), "Å", float(phase.lattice_error[0])))
        if abs(phase.lattice[2] - phase.lattice[0]) > 1e-6:
            quantities.append(Quantity(f"{phase.formula} c", float(phase.lattice[2]), "Å",
                                       float(phase.lattice_error[2])))
    if result.refinement is not None:
        quantities.append(Quantity("zero shift", result.refinement.zero_shift_deg, "deg",
                                   result.refinement.zero_shift_error_deg))
    quantities.append(Quantity("peaks no phase explains", float(result.unexplained_peaks_deg.size), "peaks"))
    tables = [_phase_table(result)]
    if result.unexplained_peaks_deg.size:
        tables.append(_unexplained_table(result, pattern.wavelength_angstrom))
    summary = {k: v for k, v in result.summary().items() if isinstance(v, (int, float, str, bool))}
    summary["wavelength_angstrom"] = pattern.wavelength_angstrom
    parameters = {"candidates": [str(c) for c in candidates] if candidates is not None else "built-ins",
                  "elements": list(elements) if elements else None, "max_phases": max_phases,
                  "min_weight_fraction": min_wf, "wavelength_angstrom": pattern.wavelength_angstrom,
                  "wavelength_assumed": pattern.wavelength_assumed}
    return Section(technique="xrd", title="Powder XRD: phases, lattice parameters and weight fractions",
                   quantities=tuple(quantities), figures=tuple(figures), tables=tuple(tables),
                   parameters=parameters, summary=summary, result=result)


def _wfrac(section, formula: str) -> float:
    result = section.result
    for phase in getattr(result, "phases", ()):
        if phase.formula == formula:
            return 100 * phase.weight_fraction
    return 0.0


@register_comparison("xrd")
def compare(items, figure_dir, figure_prefix) -> Section | None:
    """BaTiO3 and BaCO3 weight fractions against coating amount, and the stacked patterns."""
    series = [(sample, section) for sample, section in items
              if getattr(sample, "cathode", None) is not None and section.result is not None]
    if len(series) < 2:
        return None
    series.sort(key=lambda item: item[0].coating_amount)
    amount = np.array([s.coating_amount for s, _ in series])
    figure_dir = Path(figure_dir)
    fig, ax = plt.subplots(figsize=(5, 3.6))
    rows = []
    for formula, marker in (("BaTiO3", "o"), ("BaCO3", "s")):
        values = np.array([_wfrac(sec, formula) for _, sec in series])
        errors = np.array([next((100 * p.weight_fraction_error for p in sec.result.phases if p.formula == formula),
                                0.0) for _, sec in series])
        ax.errorbar(amount, values, yerr=errors, marker=marker, capsize=3, label=formula)
    for sample, sec in series:
        rows.append((sample.id, f"{sample.coating_amount:g}", f"{_wfrac(sec, 'LiCoO2'):.1f}",
                     f"{_wfrac(sec, 'BaTiO3'):.1f}", f"{_wfrac(sec, 'BaCO3'):.1f}",
                     f"{100 * sec.result.rwp:.2f}"))
    ax.set_xlabel("BaTiO3 coating amount (at%)")
    ax.set_ylabel("weight fraction (wt%)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    name1 = f"{figure_prefix}xrd_fractions.png"
    fig.savefig(figure_dir / name1, dpi=_DPI)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6.5, 5))
    offset = 0.0
    for sample, sec in series:
        pattern = sec.result.pattern
        y = pattern.intensity / np.max(pattern.intensity)
        ax.plot(pattern.two_theta_deg, y + offset, lw=0.7, label=f"{sample.id} ({sample.coating_amount:g} at%)")
        offset += 1.1
    ax.set_xlabel(r"2$\theta$ (deg)")
    ax.set_ylabel("normalised intensity + offset")
    ax.set_yticks([])
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    name2 = f"{figure_prefix}xrd_stacked.png"
    fig.savefig(figure_dir / name2, dpi=_DPI)
    plt.close(fig)
    summary = {f"wfrac_BaTiO3_{s.id}_pct": _wfrac(sec, "BaTiO3") for s, sec in series}
    summary.update({f"wfrac_BaCO3_{s.id}_pct": _wfrac(sec, "BaCO3") for s, sec in series})
    return Section(
        technique="xrd", title="Powder XRD across the coating series",
        figures=(Figure(name1, "BaTiO3 and BaCO3 weight fractions (Hill-Howard) against BaTiO3 coating amount."),
                 Figure(name2, "Powder patterns of the coating series, normalised and offset.")),
        tables=(Table("Weight fractions by sample", ("sample", "coating [at%]", "LiCoO2 [wt%]", "BaTiO3 [wt%]",
                                                     "BaCO3 [wt%]", "Rwp [%]"), tuple(rows)),),
        summary=summary)
