"""Report section "eis": bulk resistance and ionic conductivity of a pellet.

One file: the spectrum is checked with Lin-KK, R_e is found with
:func:`echem.bulk_resistance` and σ = d/(R_e S) with
:func:`echem.conductivity`. Several files with one ``temperature_k`` each:
every spectrum is analysed the same way, σ(T) is
fitted with :func:`echem.arrhenius`, and the spectrum nearest 298.15 K is
the one shown in detail.

Parameters used from the manifest (defaults in brackets):

``thickness_cm``, ``area_cm2``
    Pellet thickness and electrode area [from the sample's cell:
    ``thickness_cm`` and ``electrode_area_cm2``]. Required one way or the other.
``thickness_err_cm``, ``area_err_cm2``
    Their standard uncertainties [0].
``method``
    ``"fit"`` or ``"intercept"`` [``"fit"``].
``circuit``
    Force one of :data:`echem.PELLET_CIRCUITS` [chosen by AIC].
``temperature_k``
    Measurement temperature(s), K: a number, or a list with one value per
    file (required for a series of several files).
``sweep``
    Which sweep to analyse in files holding several [0].
``arrhenius_form``
    ``"sigma_t"`` or ``"sigma"`` [``"sigma_t"``].
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

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


def _number(parameters, key, default, *, positive=False):
    value = parameters.get(key, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise MetadataError(f"eis parameter {key!r} must be a number, got {value!r}") from None
    if not np.isfinite(number) or number < 0 or (positive and number == 0):
        raise MetadataError(f"eis parameter {key!r} must be finite and {'> 0' if positive else '>= 0'}, "
                            f"got {value!r}")
    return number


def _geometry(inp: SectionInput) -> dict:
    params = inp.parameters
    cell = getattr(inp.sample, "cell", None)
    thickness = params.get("thickness_cm", getattr(cell, "thickness_cm", None))
    area = params.get("area_cm2", getattr(cell, "electrode_area_cm2", None))
    if thickness is None or area is None:
        raise MetadataError(
            f"eis measurement {inp.label!r}: thickness_cm and area_cm2 are needed "
            "(manifest parameters or the sample's cell thickness_cm and diameter_cm/area_cm2)")
    return {
        "thickness_cm": _number({"v": thickness}, "v", None, positive=True),
        "area_cm2": _number({"v": area}, "v", None, positive=True),
        "thickness_err_cm": _number(params, "thickness_err_cm", 0.0),
        "area_err_cm2": _number(params, "area_err_cm2", 0.0),
    }


def _temperatures(inp: SectionInput) -> np.ndarray | None:
    value = inp.parameters.get("temperature_k")
    if value is None:
        if len(inp.files) > 1:
            raise MetadataError(f"eis measurement {inp.label!r}: {len(inp.files)} files need a "
                                "temperature_k list, one value per file")
        return None
    values = np.atleast_1d(np.asarray(value, dtype=float))
    if values.size != len(inp.files) or np.any(~np.isfinite(values)) or np.any(values <= 0):
        raise MetadataError(f"eis parameter 'temperature_k' must give one positive temperature per "
                            f"file ({len(inp.files)}), got {value!r}")
    return values


def _load(path, sweep: int):
    data = echem.read_eis(path)
    return data.select_sweep(sweep) if data.n_sweeps > 1 else data


def _save(fig, inp: SectionInput, name: str) -> str:
    return save_figure(fig, inp.figure_dir, f"{inp.figure_prefix}{name}.png", dpi=_DPI)


@register("eis")
def build(inp: SectionInput) -> Section:
    """Analyse one pellet spectrum (or a temperature series) into R_e, σ and E_a."""
    if not inp.files:
        raise MetadataError(f"eis measurement {inp.label!r} has no files")
    geometry = _geometry(inp)
    temps = _temperatures(inp)
    method = str(inp.parameters.get("method", "fit"))
    circuit = inp.parameters.get("circuit")
    sweep = int(_number(inp.parameters, "sweep", 0))
    form = str(inp.parameters.get("arrhenius_form", "sigma_t"))
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
    figures.append(Figure(_save(fig, inp, "eis_nyquist"),
                          f"Nyquist plot (zoomed on the arc/spike junction) with the "
                          f"{bulk.circuit or 'intercept'} fit (dotted: R_e), Bode plot and relative "
                          "residuals."))
    quantities = [
        Quantity("bulk resistance R_e", bulk.resistance_ohm, "Ω",
                 bulk.resistance_err_ohm if bulk.err_available else None),
        Quantity("ionic conductivity σ", sigma.sigma_s_per_cm, "S/cm", sigma.sigma_err_s_per_cm),
        Quantity("equivalent circuit", bulk.circuit or "intercept", ""),
        Quantity("Lin-KK residual (RMS)", 100 * kk.rms_residual, "%"),
    ]
    if bulk.fit is not None and "CPE1_1" in bulk.fit.parameters and "R1" in bulk.fit.parameters:
        p = bulk.fit.parameters
        cap = echem.cpe_capacitance_f(p["R1"], p["CPE1_0"], p["CPE1_1"])
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
    result = bulk
    if temps is not None and len(inp.files) > 1:
        sig = np.array([c.sigma_s_per_cm for c in conductivities])
        err = np.array([c.sigma_err_s_per_cm for c in conductivities])
        act = echem.arrhenius(temps, sig, form=form, sigma_err_s_per_cm=err if np.all(err > 0) else None)
        ax = act.plot()
        ax.set_title(f"{inp.sample.id}: Arrhenius ({form})")
        figures.append(Figure(_save(ax.figure, inp, "eis_arrhenius"),
                              f"Arrhenius plot of the conductivities ({act.prefactor_unit} prefactor)."))
        quantities.append(Quantity("activation energy E_a", act.ea_ev, "eV", act.ea_err_ev))
        tables.append(Table("conductivity against temperature",
                            ("T (K)", "R_e (Ω)", "σ (S/cm)", "δσ (S/cm)", "circuit"),
                            tuple((f"{t:.2f}", f"{b.resistance_ohm:.4g}", f"{c.sigma_s_per_cm:.4g}",
                                   f"{c.sigma_err_s_per_cm:.2g}", b.circuit or "intercept")
                                  for t, b, c in zip(temps, bulks, conductivities))))
        summary.update(ea_ev=act.ea_ev, ea_err_ev=act.ea_err_ev, arrhenius_form=form)
    used = {"method": method, "circuit": bulk.circuit or "intercept", "sweep": sweep, **geometry}
    if temps is not None:
        used["temperature_k"] = [float(t) for t in temps] if temps.size > 1 else float(temps[0])
    if temps is not None and temps.size > 1:
        used["arrhenius_form"] = form
    return Section(technique="eis", title=f"Impedance: {inp.label}", quantities=tuple(quantities),
                   figures=tuple(figures), tables=tuple(tables), parameters=used,
                   summary={k: (float(v) if isinstance(v, (float, np.floating)) else v)
                            for k, v in summary.items()},
                   result=result)


@register_comparison("eis")
def compare(items, figure_dir, figure_prefix):
    """Conductivity of every sample with an EIS section (the first section of each
    sample); None when fewer than two samples have one."""
    points, seen = [], set()
    for sample, sec in items:
        if "sigma_s_per_cm" in sec.summary and sample.id not in seen:
            seen.add(sample.id)
            points.append((sample.id, sec.summary["sigma_s_per_cm"],
                           sec.summary.get("sigma_err_s_per_cm", 0.0)))
    if len(points) < 2:
        return None
    names, sigma, err = zip(*points)
    fig, ax = plt.subplots(figsize=(5, 3.5), constrained_layout=True)
    ax.bar(names, np.asarray(sigma) * 1e3, yerr=np.asarray(err) * 1e3, capsize=4)
    ax.set_ylabel("σ (mS/cm)")
    filename = f"{figure_prefix}eis_conductivity.png"
    fig.savefig(figure_dir / filename, dpi=_DPI)
    plt.close(fig)
    return Section(
        technique="eis", title="Ionic conductivity by sample",
        quantities=tuple(Quantity(f"σ {n}", s, "S/cm", e) for n, s, e in points),
        figures=(Figure(filename, "Ionic conductivity of each sample (error bars: 1σ)."),),
        summary={f"sigma_s_per_cm_{n}": float(s) for n, s, _ in points},
    )
