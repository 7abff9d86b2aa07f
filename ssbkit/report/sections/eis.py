"""Report section "eis": bulk resistance and ionic conductivity of a pellet.

A thin adapter. One file: the spectrum is checked with :func:`echem.lin_kk`,
R_e is found with :func:`echem.bulk_resistance` and σ = d/(R_e S) with
:func:`echem.conductivity`. Several files with one ``temperature_k`` each: every
spectrum is analysed the same way, σ(T) is fitted with :func:`echem.arrhenius`,
and the spectrum nearest 298.15 K is shown in detail. ``ssbkit params eis``
prints the declared parameters.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

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
from ssbkit.report.sample_values import cell_area_cm2, cell_thickness_cm


PARAMETERS = (
    Param("thickness_cm", "number", "pellet thickness d", "cm", minimum=0, exclusive_minimum=True, required=True,
          from_sample=cell_thickness_cm, sample_doc="cell.thickness_cm"),
    Param("area_cm2", "number", "electrode area S", "cm²", minimum=0, exclusive_minimum=True, required=True,
          from_sample=cell_area_cm2, sample_doc="cell.area_cm2, else π d²/4 from cell.diameter_cm"),
    Param("thickness_err_cm", "number", "standard uncertainty of the thickness", "cm", default=0.0, minimum=0),
    Param("area_err_cm2", "number", "standard uncertainty of the area", "cm²", default=0.0, minimum=0),
    Param("method", "string", "how R_e is found", default="fit", choices=("fit", "intercept")),
    Param("circuit", "string", "force one pellet circuit (default: chosen by AIC)",
          choices=tuple(echem.PELLET_CIRCUITS)),
    Param("temperature_k", "number_list", "measurement temperature, one per file (required for a series)", "K",
          minimum=0, exclusive_minimum=True),
    Param("sweep", "integer", "which sweep of a file holding several", default=0, minimum=0),
    Param("arrhenius_form", "string", "Arrhenius form fitted to σ(T)", default="sigma_t", choices=("sigma_t", "sigma")),
)


def _check(p, files) -> list[str]:
    temps = p["temperature_k"]
    if temps is None and len(files) > 1:
        return [f"parameter 'temperature_k' [K] is required for a series: one value per file ({len(files)})"]
    if temps is not None and files and len(temps) != len(files):
        return [f"parameter 'temperature_k': {len(temps)} value(s) for {len(files)} file(s); give one per file"]
    return []


def _load(path, sweep: int):
    data = echem.read_eis(path)
    return data.select_sweep(sweep) if data.n_sweeps > 1 else data


def _probe(files, p) -> None:
    for path in files:
        _load(path, p["sweep"])



@register("eis", parameters=PARAMETERS, files=(1, None), check=_check, probe=_probe,
          files_doc="one impedance spectrum, or one per temperature")
def build(inp: SectionInput) -> Section:
    """Analyse one pellet spectrum (or a temperature series) into R_e, σ and E_a."""
    p = inp.parameters
    geometry = {k: p[k] for k in ("thickness_cm", "area_cm2", "thickness_err_cm", "area_err_cm2")}
    temps = None if p["temperature_k"] is None else np.asarray(p["temperature_k"], dtype=float)
    method, circuit, sweep, form = p["method"], p["circuit"], p["sweep"], p["arrhenius_form"]
    main = 0 if temps is None else int(np.argmin(np.abs(temps - 298.15)))
    spectra = [_load(path, sweep) for path in inp.files]
    bulks = [echem.bulk_resistance(d, method=method, circuit=circuit) for d in spectra]
    conductivities = [
        echem.conductivity(b.resistance_ohm, geometry["thickness_cm"], geometry["area_cm2"],
                           resistance_err_ohm=b.resistance_err_ohm if b.err_available else 0.0,
                           thickness_err_cm=geometry["thickness_err_cm"],
                           area_err_cm2=geometry["area_err_cm2"])
        for b in bulks
    ]
    data, bulk, sigma = spectra[main], bulks[main], conductivities[main]
    kk = echem.lin_kk(data)
    figures = []
    if bulk.fit is not None:
        ax = bulk.fit.plot()
        ax.axvline(bulk.resistance_ohm, color="k", ls=":", lw=1)
        fig = ax.figure
    else:
        ax = bulk.plot()
        fig = ax.figure
    ax.set_title(f"{inp.sample.id}: R_e = {bulk.resistance_ohm:.4g} Ω")
    # Zoom onto the arc and the foot of the spike; the spike reaches far higher.
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlim(0, 2.5 * bulk.resistance_ohm)
    ax.set_ylim(0, 1.25 * bulk.resistance_ohm)
    figures.append(Figure(save_figure(fig, inp.figure_dir, f"{inp.figure_prefix}eis_nyquist.png"),
                          f"Nyquist plot (zoomed on the arc/spike junction) with the "
                          f"{bulk.circuit or 'intercept'} fit (dotted: R_e), Bode plot and relative "
                          "residuals."))
    quantities = [
        Quantity("bulk resistance R_e", bulk.resistance_ohm, "Ω",
                 bulk.resistance_err_ohm if bulk.err_available else None),
        Quantity("ionic conductivity σ", sigma.sigma_s_per_cm, "S/cm", sigma.sigma_err_s_per_cm),
        Quantity("equivalent circuit" + (f" ({bulk.model_choice_reason})" if bulk.model_choice_reason else ""),
                 bulk.circuit or "intercept", ""),
        Quantity("Lin-KK residual (RMS)", 100 * kk.rms_residual, "%"),
    ]
    if bulk.fit is not None and "CPE1_1" in bulk.fit.parameters and "R1" in bulk.fit.parameters:
        fitted = bulk.fit.parameters
        cap = echem.cpe_capacitance_f(fitted["R1"], fitted["CPE1_0"], fitted["CPE1_1"])
        normalised, origin = echem.capacitance_origin(cap, geometry["thickness_cm"], geometry["area_cm2"])
        quantities.append(Quantity("arc capacitance C1 (Hsu-Mansfeld)", cap, "F"))
        quantities.append(Quantity(f"C1·d/S = {normalised:.2g} F/cm suggests", origin, ""))
    summary = {
        "resistance_ohm": bulk.resistance_ohm,
        "resistance_err_ohm": bulk.resistance_err_ohm,
        "sigma_s_per_cm": sigma.sigma_s_per_cm,
        "sigma_err_s_per_cm": sigma.sigma_err_s_per_cm,
        "circuit": bulk.circuit or "intercept",
        "lin_kk_rms_residual": kk.rms_residual,
        "lin_kk_passed": kk.passed,
    }
    if temps is not None:
        summary["temperature_k"] = float(temps[main])
    tables = []
    if bulk.fit is not None:
        fit = bulk.fit
        rows = tuple((name, f"{value:.5g}", f"{fit.stderr[name]:.2g}", fit.units[name] or "-")
                     for name, value in fit.parameters.items())
        tables.append(Table(f"{fit.circuit} parameters (χ²_red = {fit.chi_square_reduced:.3g})",
                            ("parameter", "value", "std. error", "unit"), rows))
        summary["chi_square_reduced"] = fit.chi_square_reduced
    if bulk.selection is not None:
        figures.append(Figure(save_figure(bulk.selection.plot().figure, inp.figure_dir,
                                          f"{inp.figure_prefix}eis_selection.png"),
                              f"The two best-ranked circuits on the spectrum, with their residuals: "
                              f"{bulk.selection.reason}"))
        tables.append(_ranking_table(bulk.selection))
    result = bulk
    if temps is not None and len(inp.files) > 1:
        sig = np.array([c.sigma_s_per_cm for c in conductivities])
        err = np.array([c.sigma_err_s_per_cm for c in conductivities])
        act = echem.arrhenius(temps, sig, form=form, sigma_err_s_per_cm=err if np.all(err > 0) else None)
        ax = act.plot()
        ax.set_title(f"{inp.sample.id}: Arrhenius ({form})")
        figures.append(Figure(save_figure(ax.figure, inp.figure_dir, f"{inp.figure_prefix}eis_arrhenius.png"),
                              f"Arrhenius plot of the conductivities ({act.prefactor_unit} prefactor)."))
        quantities.append(Quantity("activation energy E_a", act.ea_ev, "eV", act.ea_err_ev))
        tables.append(Table("conductivity against temperature",
                            ("T (K)", "R_e (Ω)", "σ (S/cm)", "δσ (S/cm)", "circuit"),
                            tuple((f"{t:.2f}", f"{b.resistance_ohm:.4g}", f"{c.sigma_s_per_cm:.4g}",
                                   f"{c.sigma_err_s_per_cm:.2g}", b.circuit or "intercept")
                                  for t, b, c in zip(temps, bulks, conductivities))))
        summary.update(ea_ev=act.ea_ev, ea_err_ev=act.ea_err_ev, arrhenius_form=form)
    used = {"circuit": bulk.circuit or "intercept"}
    origins = {} if circuit else {"circuit": "default (chosen from the spectrum)"}
    status, reasons = _quality(bulks, kk, conductivities)
    summary["status"] = status
    return Section(technique="eis", title=f"Impedance: {inp.label}", quantities=tuple(quantities),
                   figures=tuple(figures), tables=tuple(tables), parameters=used, origins=origins,
                   summary={k: (float(v) if isinstance(v, (float, np.floating)) else v)
                            for k, v in summary.items()},
                   result=result, status=status, reasons=reasons,
                   headline=tuple(q for q in quantities if q.name in ("ionic conductivity σ", "activation energy E_a")))


def _ranking_table(selection) -> Table:
    """The circuits :func:`echem.select_circuit` fitted, best first (skipped ones left out)."""
    table = selection.table[selection.table["status"] != "skipped"].head(8)
    rows = tuple((int(r["rank"]), r["circuit"], int(r["n_parameters"]), 100 * float(r["rms_residual"]),
                  float(r["delta"]), float(r["evidence_weight"]), float(r["runs_p_value"]), r["status"])
                 for _, r in table.iterrows())
    return Table(f"Circuits ranked by {selection.criterion.upper()} "
                 "(the larger circuit must earn its parameters)",
                 ("rank", "circuit", "parameters", "RMS residual [%]", "Δ criterion", "evidence weight",
                  "runs-test p", "status"), rows)


def _quality(bulks, kk, conductivities) -> tuple[str, tuple[str, ...]]:
    """The section's verdict: the bulk-resistance verdicts of every spectrum, the Lin-KK check and the
    conductivity's plausibility (:data:`echem.MAX_PLAUSIBLE_SIGMA_S_PER_CM`)."""
    reasons = [reason for b in bulks for reason in b.quality_reasons]
    if not kk.passed:
        reasons.append(f"Lin-KK residuals {100 * kk.rms_residual:.2g} % (RMS): the spectrum may not be "
                       "linear, causal and stable, so no circuit can be trusted")
    implausible = [c.sigma_s_per_cm for c in conductivities if c.sigma_s_per_cm > echem.MAX_PLAUSIBLE_SIGMA_S_PER_CM]
    if implausible:
        reasons.append(f"σ = {max(implausible):.3g} S/cm is above any known solid Li-ion conductor (the best, "
                       "Li9.54Si1.74P1.44S11.7Cl0.3, reaches 0.025 S/cm at room temperature): check the bulk "
                       "resistance, the pellet thickness and area, or whether this spectrum is of a pellet at all")
    bad = any(b.status != "ok" for b in bulks) or not kk.passed or bool(implausible)
    return ("warning" if bad else "ok"), tuple(dict.fromkeys(reasons))


def _pooled(values, errors) -> tuple[float, float, str]:
    """One sample's conductivity: the value and its error, or the replicates' mean and standard deviation."""
    if len(values) == 1:
        return values[0], errors[0], "1σ of the fit and geometry"
    return float(np.mean(values)), float(np.std(values, ddof=1)), f"std of {len(values)} replicates"


@register_comparison("eis")
def compare(items, figure_dir, figure_prefix):
    """Conductivity of every sample (replicate pellets pooled: mean ± standard deviation); None
    when fewer than two samples have one."""
    by_sample: dict[str, list] = {}
    for sample, sec in items:
        if "sigma_s_per_cm" in sec.summary:
            by_sample.setdefault(sample.id, []).append((sec.summary["sigma_s_per_cm"],
                                                        sec.summary.get("sigma_err_s_per_cm", 0.0)))
    if len(by_sample) < 2:
        return None
    points = [(name, *_pooled(*zip(*pairs))) for name, pairs in by_sample.items()]
    names, sigma, err, _ = zip(*points)
    fig, ax = plt.subplots(figsize=(5, 3.5), constrained_layout=True)
    ax.bar(names, np.asarray(sigma) * 1e3, yerr=np.asarray(err) * 1e3, capsize=4)
    for k, name in enumerate(names):
        replicate = [v for v, _ in by_sample[name]]
        if len(replicate) > 1:
            ax.plot(np.full(len(replicate), k), np.asarray(replicate) * 1e3, "o", color="0.3", ms=4)
    ax.set_ylabel("σ (mS/cm)")
    filename = f"{figure_prefix}eis_conductivity.png"
    save_figure(fig, figure_dir, filename)
    return Section(
        technique="eis", title="Ionic conductivity by sample",
        quantities=tuple(Quantity(f"σ {n} ({how})", s, "S/cm", e) for n, s, e, how in points),
        figures=(Figure(filename, "Ionic conductivity of each sample (error bars: 1σ of one pellet, or the "
                                  "standard deviation of replicate pellets shown as dots)."),),
        summary={f"sigma_s_per_cm_{n}": float(s) for n, s, _, _ in points},
    )
