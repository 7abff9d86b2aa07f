"""Report section "xrd": phase identification, lattice parameters and weight fractions.

A thin adapter: one powder pattern read with :func:`xrd.read_pattern`, its phases
identified among the candidates with :func:`xrd.identify_phases` and refined
together (Rietveld-like; Hill-Howard weight fractions). Without candidates the
search is the built-in references plus every AMCSD structure made only of the
sample's elements (cathode, coating, electrolyte) and C, H, O (carbonates,
hydroxides, oxides: the usual impurities), so no phase with an element foreign
to the sample can be reported. Named candidates (structures, or a lab's stick-list cards and
folders of them, matched search-match style) are searched as named, and a phase found among them
with an element the sample model does not list is a warning. ``cards`` label the phases found
(their PDF numbers) without being searched. The phases found are refined once more for their
weight fractions with the full intensity model (:func:`xrd.quantify_identified`: anomalous dispersion,
displacement parameters, a declared monochromator's polarisation, Brindley's microabsorption correction
for a declared particle size). ``ssbkit params xrd`` prints the declaration.

The comparison page plots the coating material's weight fraction (and any
carbonate's) against the coating amount and stacks the patterns of the series.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import xrd
from ssbkit.errors import FitError
from ssbkit.report.formatting import format_measurement
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
from ssbkit.report.sample_values import sample_elements
from ssbkit.report.series_labels import coating_axis_label, coating_label, sort_by_coating

#: Elements of the usual impurities added to a sample's own: carbonates, hydroxides, oxides.
IMPURITY_ELEMENTS = ("C", "H", "O")


def _search_elements(sample) -> list[str] | None:
    own = sample_elements(sample)
    return sorted(set(own) | set(IMPURITY_ELEMENTS)) if own else None


PARAMETERS = (
    Param("candidates", "string_list", "reference phases searched: built-in names, 'amcsd:<id>', CIF or card "
          "files (.dif, .jcpds, .card) or folders of cards, paths relative to the pattern file; default: the "
          "search described by 'elements'"),
    Param("cards", "string_list", "card files or folders of cards (.dif, .jcpds, .card) that name the phases "
          "found (e.g. with their PDF numbers) without being searched: the structure refines, the card labels it"),
    Param("elements", "string_list", "allowed chemical symbols: candidates with other elements are discarded; "
          "without candidates, every AMCSD structure made only of them is searched",
          from_sample=_search_elements, sample_doc="elements of cathode, coating and electrolyte, plus C, H, O"),
    Param("monochromator_two_theta_deg", "number", "2θ of a monochromator crystal in the beam, for its "
          "polarisation in the weight fractions (26.6 for graphite 002 with Cu Kα); none: no monochromator",
          unit="deg", minimum=0, maximum=180, exclusive_minimum=True),
    Param("particle_size_um", "number", "particle diameter of the powder: applies Brindley's microabsorption "
          "correction to the weight fractions; none: no correction, a warning where absorption contrast is strong",
          unit="µm", minimum=0, exclusive_minimum=True),
    Param("max_phases", "integer", "most phases accepted", default=4, minimum=1, maximum=10),
    Param("min_weight_fraction", "number", "smallest weight fraction accepted (0-1)", default=0.01, minimum=0,
          maximum=1),
)


def _files(item: str, base: Path, key: str) -> list[Path] | None:
    """The file ``item`` names (relative to ``base``), the card files of a folder, or None when neither exists."""
    path = Path(item) if Path(item).is_absolute() else base / item
    if path.is_dir():
        found = xrd.card_folder(path)
        if not found:
            raise ValueError(f"parameter {key!r}: the folder {path} holds no card file (.dif, .jcpds, .card)")
        return found
    return [path] if path.is_file() else None


def _candidates(names, base: Path):
    """Built-in names and AMCSD ids as they are; a folder gives its card files; anything else must be an
    existing CIF or card file."""
    if names is None:
        return None
    builtins = xrd.builtin_references()
    out = []
    for item in names:
        if item in builtins or item.lower().startswith("amcsd:"):
            out.append(item)
            continue
        found = _files(item, base, "candidates")
        if found is None:
            raise ValueError(f"parameter 'candidates': {item!r} is neither a built-in reference "
                             f"({', '.join(sorted(builtins))}), an 'amcsd:<id>' entry nor an existing CIF or card "
                             f"file or folder (looked in {base})")
        out.extend(found)
    return out


def _cards(names, base: Path) -> list[Path]:
    """The card files named by the 'cards' parameter (a folder gives all of its cards)."""
    out = []
    for item in names or ():
        found = _files(item, base, "cards")
        if found is None:
            raise ValueError(f"parameter 'cards': {item!r} is neither a card file nor a folder (looked in {base})")
        out.extend(found)
    return out


def _check(p, files) -> list[str]:
    base = Path(files[0]).parent if files else Path.cwd()
    problems = []
    for check in (lambda: _candidates(p["candidates"], base), lambda: _cards(p["cards"], base)):
        try:
            check()
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def _probe(files, p) -> None:
    pattern = xrd.read_pattern(files[0])
    for card in _cards(p["cards"], Path(files[0]).parent):
        xrd.read_card(card, wavelength_angstrom=pattern.wavelength_angstrom)


def _phase_label(phase, *, card: bool = True) -> str:
    """Formula (with its card label) and the candidates the pattern cannot tell from it (``equally_good``):
    'TiO / NiO / VN' says the search could not decide."""
    label = f"{phase.formula} ({phase.card})" if card and phase.card else phase.formula
    return " / ".join([label] + [name.split(" (")[0] for name in phase.equally_good])


def _phase_table(result) -> Table:
    rows = []
    for phase in result.phases:
        a, b, c, al, be, ga = phase.lattice
        ea, eb, ec = phase.lattice_error[:3]
        angles = "/".join(f"{v:.2f}" for v in (al, be, ga))
        rows.append((_phase_label(phase, card=False), phase.space_group, phase.card or phase.name,
                     format_measurement(a, ea), format_measurement(b, eb), format_measurement(c, ec), angles,
                     format_measurement(100 * phase.weight_fraction, 100 * phase.weight_fraction_error),
                     f"{100 * phase.weight_fraction_stat_error:.2g} / {100 * phase.weight_fraction_sys_error:.2g}",
                     f"{100 * phase.cell_strain:.2f}", f"{phase.figure_of_merit:.2f}"))
    return Table("Identified phases: refined cell (± standard error), its largest deviation from the reference "
                 "cell and Hill-Howard weight fraction, refined again with anomalous dispersion and displacement "
                 "parameters (± total standard error: the statistical part and the intensity model's systematic "
                 "part, from refits of separate angular segments, in quadrature)",
                 ("phase", "space group", "reference", "a [Å]", "b [Å]", "c [Å]", "α/β/γ [deg]", "w [wt%]",
                  "w error stat / sys [wt%]", "Δcell [%]", "FoM"), tuple(rows))


def _unexplained_table(result, wavelength_angstrom: float) -> Table:
    """Observed peaks no identified phase explains, with their d-spacings (Bragg: d = λ / 2 sin θ) for a
    search in a card database; the final refinement models them as free peaks."""
    positions = result.unexplained_peaks_deg
    d = wavelength_angstrom / (2 * np.sin(np.radians(positions) / 2))
    return Table("Observed peaks no identified phase explains (modelled as free peaks in the refinement)",
                 ("2θ [deg]", "d [Å]"), tuple((f"{t:.3f}", f"{v:.4f}") for t, v in zip(positions, d)))


def _quantified(result, candidates, p) -> tuple:
    """The identification with the weight fractions of :func:`xrd.quantify_identified` (anomalous dispersion,
    displacement parameters, the monochromator and Brindley's correction as declared), and the reasons to
    read them with care; the search's fractions, said to be so, when the quantification cannot run."""
    if not result.phases:
        return result, []
    try:
        qpa = xrd.quantify_identified(result, candidates, monochromator_two_theta_deg=p["monochromator_two_theta_deg"],
                                      particle_size_um=p["particle_size_um"])
    except (ValueError, FitError) as exc:
        return result, [f"the weight fractions are the search's, without anomalous dispersion and displacement "
                        f"parameters (biased by several wt% where absorption differs): {exc}"]
    return xrd.with_quantified_fractions(result, qpa), list(qpa.quality_reasons)


def _foreign_phases(result, sample_elements) -> list[str]:
    """A reason for every identified phase holding an element the sample model does not list."""
    from pymatgen.core import Composition

    allowed = set(sample_elements)
    out = []
    for phase in result.phases:
        foreign = sorted({el.symbol for el in Composition(phase.formula)} - allowed)
        if foreign:
            out.append(f"{phase.formula} (from the named candidates) holds {', '.join(foreign)}, which the sample "
                       "model does not list: an impurity, or a sample entry to complete")
    return out


@register("xrd", parameters=PARAMETERS, files=(1, 1), files_doc="one powder pattern", check=_check, probe=_probe)
def build(inp: SectionInput) -> Section:
    """Identify and refine the phases of one powder pattern."""
    path = Path(inp.files[0])
    pattern = xrd.read_pattern(path)
    candidates = _candidates(inp.parameters["candidates"], path.parent)
    elements = inp.parameters["elements"]
    if candidates is not None and inp.origins.get("elements") == "sample":
        elements = None  # the sample's elements bound the search, not the references the manifest names
    max_phases, min_wf = inp.parameters["max_phases"], inp.parameters["min_weight_fraction"]
    cards = _cards(inp.parameters["cards"], path.parent)
    result = xrd.identify_phases(pattern, candidates, elements=elements, max_phases=max_phases,
                                 min_weight_fraction=min_wf, cards=cards)
    result, quantified = _quantified(result, candidates, inp.parameters)
    figures = []
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    result.plot(ax=ax)
    found = ", ".join(_phase_label(phase, card=False) for phase in result.phases)
    ax.set_title(f"{inp.label}: {found or 'no phase'} (Rwp = {100 * result.rwp:.2f} %)",
                 fontsize=9)
    name = f"{inp.figure_prefix}xrd_pattern.png"
    fig.tight_layout()
    save_figure(fig, inp.figure_dir, name)
    figures.append(Figure(name, "Observed (points), calculated (line) and difference patterns with one row of "
                                "reflection ticks per identified phase."))
    quantities = [Quantity("Rwp", 100 * result.rwp, "%")]
    for phase in result.phases:
        label = _phase_label(phase, card=False)  # 'TiO / NiO' where the pattern cannot tell them apart
        quantities.append(Quantity(f"{label} weight fraction", 100 * phase.weight_fraction, "wt%",
                                   100 * phase.weight_fraction_error))
        quantities.append(Quantity(f"{label} a", float(phase.lattice[0]), "Å", float(phase.lattice_error[0])))
        for k, axis in ((1, "b"), (2, "c")):  # the cell lengths the symmetry does not tie to a
            if abs(phase.lattice[k] - phase.lattice[0]) > 1e-6:
                quantities.append(Quantity(f"{label} {axis}", float(phase.lattice[k]), "Å",
                                           float(phase.lattice_error[k])))
    if result.refinement is not None:
        quantities.append(Quantity("zero shift", result.refinement.zero_shift_deg, "deg",
                                   result.refinement.zero_shift_error_deg))
    quantities.append(Quantity("peaks no phase explains", int(result.unexplained_peaks_deg.size), "peaks"))
    if result.no_match:
        quantities.insert(0, Quantity("phases", "no match among the references searched", ""))
    tables = [_phase_table(result)] if result.phases else []
    if result.unexplained_peaks_deg.size:
        tables.append(_unexplained_table(result, pattern.wavelength_angstrom))
    summary = {k: v for k, v in result.summary().items() if isinstance(v, (int, float, str, bool))}
    summary["wavelength_angstrom"] = pattern.wavelength_angstrom
    parameters = {"candidates": [str(c) for c in candidates] if candidates is not None
                  else "built-ins and AMCSD structures of the elements", "wavelength_angstrom": pattern.wavelength_angstrom}
    origins = {"candidates": "manifest" if candidates is not None else "default",
               "wavelength_angstrom": "default (Cu Kα1 assumed)" if pattern.wavelength_assumed else "file"}
    reasons = list(result.quality_reasons) + quantified
    if elements is None and inp.parameters["elements"]:
        reasons += _foreign_phases(result, inp.parameters["elements"])
    status = "ok" if result.status == "ok" and len(reasons) == len(result.quality_reasons) else "warning"
    return Section(technique="xrd", title="Powder XRD: phases, lattice parameters and weight fractions",
                   quantities=tuple(quantities), figures=tuple(figures), tables=tuple(tables),
                   parameters=parameters, origins=origins, summary=summary, result=result, status=status,
                   reasons=tuple(reasons),
                   headline=(Quantity("phases found", ", ".join(_phase_label(ph) for ph in result.phases) or "none",
                                      ""),))


def _wfrac(section, formula: str) -> tuple[float, float]:
    """Weight fraction and its error of ``formula`` in a section's result, wt% (0, 0 when absent)."""
    for phase in getattr(section.result, "phases", ()):
        if phase.formula == formula:
            return 100 * phase.weight_fraction, 100 * phase.weight_fraction_error
    return 0.0, 0.0


@register_comparison("xrd")
def compare(items, figure_dir, figure_prefix) -> Section | None:
    """Weight fraction of every identified phase against coating amount, and the stacked patterns."""
    series = sort_by_coating([(sample, section) for sample, section in items if section.result is not None])
    if len({s.id for s, _ in series}) < 2:
        return None
    samples = [s for s, _ in series]
    formulas = list(dict.fromkeys(p.formula for _, sec in series for p in sec.result.phases))
    amount = np.array([s.coating_amount for s in samples])
    axis = coating_axis_label(samples)
    figure_dir = Path(figure_dir)
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for k, formula in enumerate(formulas):
        values = np.array([_wfrac(sec, formula) for _, sec in series])
        ax.errorbar(amount, values[:, 0], yerr=values[:, 1], marker="os^vD<>"[k % 7], capsize=3, label=formula)
    ax.set_xlabel(axis)
    ax.set_ylabel("weight fraction (wt%)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    name1 = f"{figure_prefix}xrd_fractions.png"
    save_figure(fig, figure_dir, name1)
    fig, ax = plt.subplots(figsize=(6.5, 5))
    for k, (sample, sec) in enumerate(series):
        pattern = sec.result.pattern
        ax.plot(pattern.two_theta_deg, pattern.intensity / np.max(pattern.intensity) + 1.1 * k, lw=0.7,
                label=coating_label(sample))
    ax.set_xlabel(r"2$\theta$ (deg)")
    ax.set_ylabel("normalised intensity + offset")
    ax.set_yticks([])
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    name2 = f"{figure_prefix}xrd_stacked.png"
    save_figure(fig, figure_dir, name2)
    rows = tuple((coating_label(s), *(f"{_wfrac(sec, f)[0]:.1f}" for f in formulas), f"{100 * sec.result.rwp:.2f}")
                 for s, sec in series)
    summary = {f"wfrac_{f}_{s.id}_pct": _wfrac(sec, f)[0] for f in formulas for s, sec in series}
    return Section(
        technique="xrd", title="Powder XRD across the coating series",
        figures=(Figure(name1, f"Weight fraction (Hill-Howard) of every identified phase against {axis}."),
                 Figure(name2, "Powder patterns of the coating series, normalised and offset.")),
        tables=(Table("Weight fractions by sample (0: not identified)",
                      ("sample", *(f"{f} [wt%]" for f in formulas), "Rwp [%]"), rows),),
        summary=summary)
