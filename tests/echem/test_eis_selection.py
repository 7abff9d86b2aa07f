"""Automatic circuit identification (select_circuit), the new elements, and the quality verdicts.

Truths: synthetic spectra from known circuits and parameters (echem.random_circuit
computes them with impedance.py 1.7.1's CustomCircuit, independently of our evaluator);
Boukamp's test circuit TC-1, R0-p(R1,C1)-p(R2,W2) with R0 = 100 Ω, R1 = 200 Ω,
C1 = 0.8 µF, R2 = 500 Ω, W: Y = 4e-4 S s^1/2 (Boukamp, J. Electrochem. Soc. 142
(1995) 1885, doi:10.1149/1.2044210), which is pyimpspec's control spectrum in
../shared/data/echem/eis (INDEX.md); analytic identities of the elements.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import echem
from echem.eis.circuits import parse_circuit

TC1 = "R0-p(R1,C1)-p(R2,W2)"

TOPOLOGIES = echem.IDENTIFICATION_TOPOLOGIES


def _identifiable_spectrum(circuit, rng, noise):
    """The first identifiable random spectrum of ``circuit`` (echem.identifiable's rule)."""
    for _ in range(50):
        data, truth = echem.random_circuit(circuit, rng, noise=noise)
        if echem.identifiable(circuit, truth, data.frequency_hz):
            return data, truth
    raise AssertionError(f"no identifiable draw of {circuit}")


def _tc1(shared_data):
    return echem.read_eis(shared_data / "echem" / "eis" / "pyimpspec__data.mpt")


def test_tc1_identified_from_default_library(shared_data):
    # Acceptance: the default library names TC-1's topology and R0 + R1 = 300 Ω within 2 %.
    selection = echem.select_circuit(_tc1(shared_data))
    assert selection.best.circuit == TC1
    r_e = selection.best.parameters["R0"] + selection.best.parameters["R1"]
    assert r_e == pytest.approx(300.0, rel=0.02)
    # W's coefficient: impedance.py's A_w = 1/(Y sqrt 2) = 1767.8 Ohm s^-1/2 for Y = 4e-4
    assert selection.best.parameters["W2"] == pytest.approx(1 / (4e-4 * np.sqrt(2)), rel=0.02)
    assert selection.best.status == "ok"
    assert len(selection.table) == len(echem.CIRCUIT_LIBRARY)
    assert selection.table.loc[0, "circuit"] == TC1 and bool(selection.table.loc[0, "chosen"])


def test_tc1_bulk_resistance_right_and_flagged(shared_data):
    # Issue 13: the default pellet circuit misfits TC-1 (R_e 228 Ω with ±8 % systematic
    # residuals); bulk_resistance must either be right within 5 % or say it is not sure.
    data = _tc1(shared_data)
    result = echem.bulk_resistance(data)
    assert result.resistance_ohm == pytest.approx(300.0, rel=0.05)
    assert result.circuit == TC1 and result.resistors == ("R0", "R1")
    assert result.status == "warning"
    assert "R0-p(R1,CPE1)-CPE2" in result.model_choice_reason and "select_circuit" in result.model_choice_reason
    assert any("systematic" in reason for reason in result.quality_reasons)
    summary = result.summary()
    json.dumps(summary)
    assert summary["status"] == "warning" and summary["quality_reasons"]
    # without the selection the wrong value is returned, but never as "ok"
    plain = echem.bulk_resistance(data, select=False)
    assert abs(plain.resistance_ohm / 300.0 - 1) > 0.05
    assert plain.status == "poor" and plain.quality_reasons


def test_identifies_nine_topologies_with_noise():
    # Acceptance (CI-sized): one identifiable random spectrum per topology, 1 % noise,
    # default library of 29 circuits. The 50-per-topology study (benchmarks/bench_eis.py
    # --study 50) ranked the true circuit first in 91.8 % of identifiable spectra at 1 % noise.
    # Resistances: every determinable one (echem.determinable_resistances: Cramer-Rao error
    # at the truth <= 2 %/3) within 2 % of the truth, and the truths inside the fits' own
    # +-3 sigma (an honest standard error covers 99.7 %; at most one of ~20 may fall outside).
    rng = np.random.default_rng(14)
    misses, determinable, outside_3_sigma, resistances = [], [], [], 0
    for circuit in TOPOLOGIES:
        data, truth = _identifiable_spectrum(circuit, rng, 0.01)
        selection = echem.select_circuit(data)
        if selection.best.circuit != circuit:
            misses.append((circuit, selection.best.circuit))
            # the chosen circuit must then fit within the noise, with no more parameters
            assert selection.best.rms_residual < 0.0125
            assert len(selection.best.parameters) <= len(parse_circuit(circuit).parameter_names)
            continue
        fit = selection.best
        for name in echem.determinable_resistances(circuit, truth, data.frequency_hz, noise=0.01):
            determinable.append(name)
            assert fit.parameters[name] == pytest.approx(truth[name], rel=0.02), (circuit, name)
        for name, kind in zip(parse_circuit(circuit).parameter_names, parse_circuit(circuit).element_kinds):
            if kind == "R":
                resistances += 1
                if abs(fit.parameters[name] - truth[name]) > 3 * fit.stderr[name]:
                    outside_3_sigma.append((circuit, name))
    assert len(misses) <= 1, misses
    assert len(determinable) >= 10 and resistances >= 15  # the checks above are not vacuous
    assert len(outside_3_sigma) <= 1, outside_3_sigma


def test_cramer_rao_errors_known_answers():
    f = np.geomspace(1e6, 0.1, 61)
    # a lone resistor: Re of every modulus-weighted residual carries it, so sigma_R/R = noise/sqrt(n)
    assert echem.cramer_rao_errors("R0", {"R0": 50.0}, f, noise=0.01)["R0"] == pytest.approx(
        0.01 / np.sqrt(61), rel=1e-12)
    # noise below the rounding level is raised to NOISE_FLOOR (1e-4)
    assert echem.cramer_rao_errors("R0", {"R0": 50.0}, f, noise=0.0)["R0"] == pytest.approx(
        1e-4 / np.sqrt(61), rel=1e-12)
    # two series resistors: only their sum is seen, no finite bound on either
    assert set(echem.cramer_rao_errors("R0-R1", {"R0": 5.0, "R1": 7.0}, f, noise=0.01).values()) == {np.inf}
    assert echem.determinable_resistances("R0-R1", {"R0": 5.0, "R1": 7.0}, f, noise=0.01) == ()


def test_cramer_rao_error_matches_the_scatter_of_fits_and_the_stated_errors():
    # Synthetic from a known truth: 60 noise draws (1 %) of one R0-p(R1,CPE1)-CPE2 pellet, each
    # fitted from the truth. The scatter of R1 must match the Cramer-Rao error at the truth
    # (sample std of 60 draws: +-9 % at 1 sigma, 30 % allowed) and so must the mean stated stderr.
    circuit = "R0-p(R1,CPE1)-CPE2"
    f = np.geomspace(1e6, 0.1, 61)
    truth = {"R0": 30.0, "R1": 400.0, "CPE1_0": 1 / (400 * (2 * np.pi * 2e4) ** 0.85), "CPE1_1": 0.85,
             "CPE2_0": 1 / (400 * (2 * np.pi * 20.0) ** 0.8), "CPE2_1": 0.8}
    values = list(truth.values())
    z = parse_circuit(circuit).impedance(values, f)
    crlb = echem.cramer_rao_errors(circuit, truth, f, noise=0.01)["R1"]
    assert 0.001 < crlb < 0.02
    rng = np.random.default_rng(3)
    errors, stated = [], []
    for _ in range(60):
        noisy = z + 0.01 * np.abs(z) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
        fit = echem.fit_circuit(echem.spectrum(f, noisy), circuit, initial_guess=values)
        errors.append(fit.parameters["R1"] / truth["R1"] - 1)
        stated.append(fit.stderr["R1"] / fit.parameters["R1"])
    assert np.std(errors) == pytest.approx(crlb, rel=0.3)
    assert np.mean(stated) == pytest.approx(crlb, rel=0.3)
    # the rule: Cramer-Rao R1 0.28 % <= 2 %/3, R0 0.76 % > 2 %/3 (this truth, 1 % noise)
    assert echem.determinable_resistances(circuit, truth, f, noise=0.01) == ("R1",)


def test_noise_free_fit_states_the_rounding_level_not_zero():
    # Regression: at 0 % noise chi2/dof ~ 1e-30 made stderr ~1e-15 of the value while the fit
    # stood up to 1e-4 from the truth (the 0 % study: truth within +-3 sigma of 62 % of resistances).
    # The residual variance is now floored at NOISE_FLOOR^2, so at an exact fit the stated error
    # equals the Cramer-Rao error for noise at the rounding level (same Jacobian, same sigma).
    circuit = "R0-p(R1,CPE1)"
    f = np.geomspace(1e6, 0.1, 61)
    truth = {"R0": 20.0, "R1": 300.0, "CPE1_0": 1e-7, "CPE1_1": 0.85}
    fit = echem.fit_circuit(echem.spectrum(f, parse_circuit(circuit).impedance(list(truth.values()), f)),
                            circuit, initial_guess=list(truth.values()))
    expected = echem.cramer_rao_errors(circuit, truth, f, noise=0.0)
    for name in ("R0", "R1"):
        assert fit.stderr[name] / fit.parameters[name] == pytest.approx(expected[name], rel=1e-3)


def test_interchangeable_arcs_are_reported_fast_first():
    # Regression: the two arcs of R0-p(R1,CPE1)-p(R2,CPE2) give the same Z in either order; a fit
    # from a swapped start returned the slow arc as R1 (0 % study: R1 -73 %, R2 +271 % at rms 5e-15).
    # Arcs now come in order of increasing time constant, so the truth is returned as written.
    circuit = "L0-R0-p(R1,CPE1)-p(R2,CPE2)"
    f = np.geomspace(1e6, 0.1, 61)
    values = [1e-7, 15.0, 200.0, 1 / (200 * (2 * np.pi * 5e4) ** 0.9), 0.9, 800.0,
              1 / (800 * (2 * np.pi * 5.0) ** 0.8), 0.8]
    swapped = values[:2] + values[5:] + values[2:5]
    data = echem.spectrum(f, parse_circuit(circuit).impedance(values, f))
    fit = echem.fit_circuit(data, circuit, initial_guess=swapped)
    np.testing.assert_allclose(list(fit.parameters.values()), values, rtol=1e-6)
    assert fit.initial_guess["R1"] == pytest.approx(200.0)  # the start is reported in the same order
    assert np.isfinite(fit.stderr["R1"]) and fit.stderr["R1"] < fit.stderr["R2"]
    # user bounds that differ between the arcs keep the order the optimiser found
    bounds = {"R1": (500.0, 1e4), "R2": (10.0, 400.0)}
    kept = echem.fit_circuit(data, circuit, initial_guess=swapped, bounds=bounds)
    assert kept.parameters["R1"] == pytest.approx(800.0, rel=1e-6)
    # arcs 0.6 % apart in tau (inside one step of the 20-per-decade search grid): the --study 50
    # draw 44 of this topology at 0 % noise (random_circuit, seed 7), returned swapped (R1 -71 %)
    # until the -Z'' peak was refined between grid points
    close = [1.0509602003312834e-07, 1.8464759532305135, 46.92130574730721, 5.531904682698283e-06,
             0.8779650901236177, 13.550060380717115, 0.00010075370626197082, 0.7019008578945146]
    data = echem.spectrum(f, parse_circuit(circuit).impedance(close, f))
    fit = echem.fit_circuit(data, circuit, initial_guess=close[:2] + close[5:] + close[2:5])
    np.testing.assert_allclose(list(fit.parameters.values()), close, rtol=1e-6)


def test_noise_free_spectrum_keeps_the_smaller_circuit():
    # Noise-free R0-p(R1,CPE1): every larger candidate fits to the rounding floor too;
    # the data cannot tell them apart, so the smallest is chosen and the runner-up named.
    f = np.geomspace(1e6, 0.1, 61)
    truth = [20.0, 300.0, 1e-7, 0.85]
    data = echem.spectrum(f, parse_circuit("R0-p(R1,CPE1)").impedance(truth, f))
    candidates = ["R0-p(R1,CPE1)-p(R2,CPE2)", "R0-p(R1,CPE1)", "L0-R0-p(R1,CPE1)", "R0-p(R1,C1)"]
    selection = echem.select_circuit(data, candidates)
    assert selection.best.circuit == "R0-p(R1,CPE1)"
    np.testing.assert_allclose(list(selection.best.parameters.values()), truth, rtol=1e-4)
    assert selection.runner_up is not None and selection.runner_up.circuit != "R0-p(R1,CPE1)"
    assert selection.evidence_ratio > 1
    summary = selection.summary()
    json.dumps(summary)
    assert summary["runner_up"] == selection.runner_up.circuit
    assert {"circuit", "n_parameters", "chi_square", "aic", "aicc", "bic", "evidence_weight",
            "runs_p_value", "success"} <= set(selection.table.columns)
    assert selection.table["evidence_weight"].sum() == pytest.approx(1.0)


def test_arcs_cut_by_the_window_are_identified():
    # First arc cut by the top of the window (apex at 400 kHz, window ends at 1 MHz),
    # second cut by its bottom (apex at 0.5 Hz, window ends at 0.1 Hz): identified, and both
    # resistances within 2 % at 0.5 % noise.
    rng = np.random.default_rng(5)
    f = np.geomspace(1e6, 0.1, 61)
    values = [15.0, 200.0, 1 / (200 * (2 * np.pi * 4e5) ** 0.9), 0.9, 800.0, 1 / (800 * (2 * np.pi * 0.5) ** 0.8), 0.8]
    circuit = "R0-p(R1,CPE1)-p(R2,CPE2)"
    z = parse_circuit(circuit).impedance(values, f)
    z = z + 0.005 * np.abs(z) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
    selection = echem.select_circuit(echem.spectrum(f, z), [circuit, "R0-p(R1,CPE1)", "p(R0,CPE0)-p(R1,CPE1)"])
    assert selection.best.circuit == circuit
    for name, true in (("R1", 200.0), ("R2", 800.0)):
        assert selection.best.parameters[name] == pytest.approx(true, rel=0.02)


def test_generalised_warburg_reduces_to_ws_at_half():
    # GFW with p = 1/2 is the transmissive finite-length Warburg (analytic identity).
    f = np.geomspace(1e5, 1e-2, 30)
    gfw = parse_circuit("GFW0").impedance([12.0, 0.3, 0.5], f)
    ws = parse_circuit("Ws0").impedance([12.0, 0.3], f)
    np.testing.assert_allclose(gfw, ws, rtol=1e-12)
    # and its low-frequency limit is R
    assert parse_circuit("GFW0").impedance([12.0, 0.3, 0.7], [1e-9])[0].real == pytest.approx(12.0, rel=1e-6)


@settings(max_examples=20, deadline=None)
@given(circuit=st.sampled_from(["L0-R0-p(R1,CPE1)-W1", "p(R0,C0)-G0-G1", "R0-p(R1,C1)-p(R2,W2)",
                                "R0-Ws0-Wo1", "R0-p(R1,CPE1)-GFW1", "R0-p(CPE1,R1-W1)"]),
       seed=st.integers(0, 10_000))
def test_analytic_jacobian_matches_central_differences(circuit, seed):
    rng = np.random.default_rng(seed)
    parsed = parse_circuit(circuit)
    roles = [(k, n) for k, n in zip(parsed.element_kinds, parsed.parameter_names)]
    p = np.array([rng.uniform(0.55, 0.95) if (k in ("CPE", "GFW") and n[-2:] in ("_1", "_2")
                                                and not (k == "GFW" and n.endswith("_1")))
                  else 10 ** rng.uniform(-3, 2) for k, n in roles])
    f = np.geomspace(1e5, 1e-2, 25)
    z, jac = parsed.impedance_and_jacobian(p, f)
    for i in range(p.size):
        h = 1e-6 * p[i]
        up, down = p.copy(), p.copy()
        up[i] += h
        down[i] -= h
        numeric = (parsed.impedance(up, f) - parsed.impedance(down, f)) / (2 * h)
        # central-difference error: truncation (relative 1e-5) plus rounding of |Z| over 2h
        allowed = 1e-5 * np.max(np.abs(jac[i])) + 1e-13 * np.max(np.abs(z)) / h
        assert np.max(np.abs(numeric - jac[i])) <= allowed, parsed.parameter_names[i]


def test_runs_test_known_answers():
    # Alternating signs: the maximum number of runs (n) -> p near 1; two blocks of
    # signs: 2 runs per sequence -> p tiny. E = 1 + 2 n+ n- / n (Wald & Wolfowitz 1940).
    alternating = np.array([1.0, -1.0] * 10)
    runs, expected, p = echem.runs_test(alternating, alternating)
    assert runs == 40 and expected == pytest.approx(2 * (1 + 2 * 10 * 10 / 20)) and p > 0.99
    blocks = np.r_[np.ones(10), -np.ones(10)]
    runs, _, p = echem.runs_test(blocks, blocks)
    assert runs == 4 and p < 1e-5


def test_fit_status_of_a_wrong_circuit_is_not_ok():
    f = np.geomspace(1e6, 0.1, 50)
    z = parse_circuit(TC1).impedance([100, 200, 8e-7, 500, 1767.8], f)
    fit = echem.fit_circuit(echem.spectrum(f, z), "R0-p(R1,CPE1)")
    assert fit.status in ("warning", "poor") and fit.quality_reasons
    good = echem.fit_circuit(echem.spectrum(f, z), TC1)
    assert good.status == "ok" and good.quality_reasons == ()
    assert "status" in fit.summary() and "!" in fit.report()


def test_selection_presentation_batch_and_options():
    rng = np.random.default_rng(2)
    data, _ = echem.random_circuit("R0-p(R1,CPE1)", rng, noise=0.01)
    candidates = ["R0-p(R1,CPE1)", "R0-p(R1,C1)", "R0-p(R1,CPE1)-p(R2,CPE2)"]
    selection = echem.select_circuit(data, candidates)
    ax = selection.plot()
    assert len(ax.figure.axes) == 2
    import matplotlib.pyplot as plt

    plt.close("all")
    assert "chosen" in selection.report()
    batch = echem.select_batch([data, data], candidates, max_workers=1, progress=False)
    assert [s.best.circuit for s in batch] == [selection.best.circuit] * 2
    with pytest.raises(ValueError, match="criterion='akaike'"):
        echem.select_circuit(data, candidates, criterion="akaike")
    with pytest.raises(ValueError, match="position"):
        echem.select_circuit(data, ["R0-p(R1,CPE1"])
    with pytest.raises(ValueError, match="empty"):
        echem.select_circuit(data, [])


def test_overlapping_processes_are_fitted_to_the_lowest_minimum():
    # Regression (issue 14 study, 1 % noise, seed 7): draw 39 of p(R0,C0)-G0-G1 has processes at
    # tau 1.5, 4.2 and 24 ms (not identifiable). The first fit stopped at weighted chi2 0.01243,
    # above the 0.01083 of the true parameters on the same data (an optimiser failure, not noise);
    # the chosen circuit is now refitted from more starts when its processes overlap.
    rng = np.random.default_rng(7)
    for circuit in TOPOLOGIES:  # replay the study's draws up to that spectrum
        for k in range(50):
            data, truth = echem.random_circuit(circuit, rng, noise=0.01)
            if circuit == "p(R0,C0)-G0-G1" and k == 39:
                break
        else:
            continue
        break
    parsed = parse_circuit("p(R0,C0)-G0-G1")
    rel = (parsed.impedance([truth[n] for n in parsed.parameter_names], data.frequency_hz) - data.z_ohm) / np.abs(data.z_ohm)
    chi2_truth = float(np.sum(rel.real**2 + rel.imag**2))
    assert chi2_truth == pytest.approx(0.01083, rel=1e-3)
    selection = echem.select_circuit(data)
    assert selection.best.circuit == "p(R0,C0)-G0-G1"
    assert selection.best.chi_square <= chi2_truth
