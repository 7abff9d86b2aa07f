"""Circuit parsing and fitting.

Truths: synthetic spectra built from known parameters (echem.eis.synthetic writes
the impedance out with numpy, independently of the circuit evaluator), impedance.py
1.7.1's CustomCircuit for the evaluator, and the parameter values impedance.py's
own test suite asserts for data/exampleData.csv (INDEX.md).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import echem
from echem.eis.circuits import parse_circuit
from ssbkit.errors import FitError

PELLET = "R0-p(R1,CPE1)-CPE2"


def test_acceptance_random_pellets_without_initial_guess():
    # Issue 3 acceptance: random pellet-like circuits, values over several decades,
    # 1 % noise -> R_e = R0 + R1 within 2 % in >= 98 % of cases, no initial guess.
    rng = np.random.default_rng(20261126)
    n_cases, good, worst = 50, 0, []
    for _ in range(n_cases):
        data, truth = echem.random_pellet(rng, noise=0.01)
        fit = echem.fit_circuit(data, PELLET)
        r_e = fit.parameters["R0"] + fit.parameters["R1"]
        error = abs(r_e / truth.resistance_ohm - 1)
        good += error < 0.02
        worst.append(error)
    assert good / n_cases >= 0.98, f"{good}/{n_cases} within 2 %, worst {max(worst):.3g}"


def test_noise_free_pellet_recovers_every_parameter():
    rng = np.random.default_rng(7)
    data, truth = echem.random_pellet(rng, noise=0.0)
    fit = echem.fit_circuit(data, PELLET)
    np.testing.assert_allclose([fit.parameters[k] for k in truth.__dataclass_fields__],
                               truth.as_list(), rtol=1e-4)
    assert fit.success


@pytest.mark.filterwarnings("ignore:Simulating circuit based on initial parameters")
@settings(max_examples=25, deadline=None)
@given(
    r0=st.floats(1e-2, 1e4), r1=st.floats(1e-1, 1e5), q1=st.floats(1e-10, 1e-4),
    a1=st.floats(0.5, 1.0), q2=st.floats(1e-7, 1e-3), a2=st.floats(0.5, 1.0),
)
def test_circuit_evaluator_matches_impedance_py(r0, r1, q1, a1, q2, a2):
    from impedance.models.circuits import CustomCircuit

    f = np.geomspace(1e6, 1e-2, 17)
    params = [r0, r1, q1, a1, q2, a2]
    reference = CustomCircuit(PELLET, initial_guess=params).predict(f, use_initial=True)
    np.testing.assert_allclose(parse_circuit(PELLET).impedance(params, f), reference, rtol=1e-12)


def test_parameter_names_follow_impedance_py():
    from impedance.models.circuits import CustomCircuit
    from impedance.models.circuits.fitting import calculateCircuitLength

    for circuit in (PELLET, "R0-p(R1,C1)-p(R2-Wo1,C2)", "L0-R0-p(R1,CPE1)-W1"):
        guess = [1.0] * calculateCircuitLength(circuit)
        names, _ = CustomCircuit(circuit, initial_guess=guess).get_param_names()
        assert parse_circuit(circuit).parameter_names == tuple(names)


@pytest.mark.parametrize("bad, position", [
    ("R0-p(R1,CPE1", 12),   # unclosed p(
    ("R0--R1", 3),          # empty series member
    ("R0-X1", 3),           # unknown element type
    ("R0-p(R1)", 7),        # parallel with one branch
    ("R0-R0", 3),           # duplicate name
    ("R0)R1", 2),           # stray character
])
def test_bad_circuit_string_says_where(bad, position):
    with pytest.raises(ValueError, match=f"position {position}"):
        echem.fit_circuit(echem.spectrum([1e3, 1e2, 10, 1], [1, 2, 3, 4]), bad)


def test_fit_matches_impedance_py_reference_values(shared_data):
    # impedance.py 1.7.1 test_fitting on data/exampleData.csv after ignoreBelowX
    # (drop points with Z'' > 0): guess [.01,.01,100,.01,.05,100,1] gives
    # [1.65e-2, 8.68e-3, 3.32, 5.39e-3, 6.31e-2, 2.33e2, 2.20e-1] (unit weights) and
    # [1.64e-2, 9.06e-3, 3.06, 5.29e-3, 1.45e-1, 1.32e3, 2.02e-1] (weight_by_modulus), rtol 1e-2.
    data = echem.read_eis(shared_data / "echem" / "eis" / "impedancepy__exampleData.csv")
    keep = data.z_ohm.imag < 0
    data = echem.spectrum(data.frequency_hz[keep], data.z_ohm[keep])
    assert data.frequency_hz.size == 57
    circuit = "R0-p(R1,C1)-p(R2-Wo1,C2)"
    guess = [0.01, 0.01, 100, 0.01, 0.05, 100, 1]
    unit = echem.fit_circuit(data, circuit, initial_guess=guess, weighting="unit")
    np.testing.assert_allclose(list(unit.parameters.values()),
                               [1.65e-2, 8.68e-3, 3.32, 5.39e-3, 6.31e-2, 2.33e2, 2.20e-1], rtol=3e-2)
    modulus = [1.64e-2, 9.06e-3, 3.06, 5.29e-3, 1.45e-1, 1.32e3, 2.02e-1]
    fit = echem.fit_circuit(data, circuit, initial_guess=guess)
    np.testing.assert_allclose(list(fit.parameters.values()), modulus, rtol=1e-2)
    # and the same minimum with no guess at all
    auto = echem.fit_circuit(data, circuit)
    np.testing.assert_allclose(list(auto.parameters.values()), modulus, rtol=1e-2)


def test_stderr_matches_scatter_over_noise_realisations():
    # The reported standard error of R1 should match the spread of R1 over
    # independent noise draws of the same spectrum (ratio 0.4-1.6; 20 draws give the
    # sample standard deviation to about 16 %).
    rng = np.random.default_rng(3)
    truth = echem.PelletTruth(20.0, 80.0, 1e-8, 0.9, 1e-6, 0.85)
    f = np.geomspace(1e6, 1, 40)
    z0 = echem.pellet_impedance(truth, f)
    values, errors = [], []
    for _ in range(20):
        z = z0 + 0.01 * np.abs(z0) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
        fit = echem.fit_circuit(echem.spectrum(f, z), PELLET)
        values.append(fit.parameters["R1"])
        errors.append(fit.stderr["R1"])
    assert np.std(values, ddof=1) / np.median(errors) == pytest.approx(1.0, abs=0.6)


def test_result_presentation_and_sum_error():
    rng = np.random.default_rng(11)
    data, _ = echem.random_pellet(rng)
    fit = echem.fit_circuit(data, PELLET)
    value, err = fit.parameter_sum(["R0", "R1"])
    assert value == pytest.approx(fit.parameters["R0"] + fit.parameters["R1"])
    var = fit.stderr["R0"] ** 2 + fit.stderr["R1"] ** 2 + 2 * fit.covariance[0, 1]
    assert err == pytest.approx(np.sqrt(var))
    summary = fit.summary()
    assert summary["R0_ohm"] == fit.parameters["R0"] and "CPE1_0_S_s^a" in summary
    import json

    json.dumps(summary)
    ax = fit.plot()
    assert len(ax.figure.axes) >= 3
    for kind in ("nyquist", "bode", "residuals"):
        fit.plot(kind=kind)
    import matplotlib.pyplot as plt

    plt.close("all")
    assert "R0" in fit.report()


def test_options_are_checked():
    data = echem.spectrum(np.geomspace(1e5, 1, 20), np.linspace(10, 50, 20) - 1j)
    with pytest.raises(ValueError, match="weighting='square'"):
        echem.fit_circuit(data, PELLET, weighting="square")
    with pytest.raises(ValueError, match="initial_guess"):
        echem.fit_circuit(data, PELLET, initial_guess=[1, 2])
    with pytest.raises(ValueError, match="bounds"):
        echem.fit_circuit(data, PELLET, bounds={"R9": (0, 1)})
    with pytest.raises(ValueError, match="point"):
        echem.fit_circuit(echem.spectrum([10.0, 1.0], [1, 2]), PELLET)
    assert issubclass(FitError, RuntimeError)


def test_initial_guess_dict_and_bounds_respected():
    truth = echem.PelletTruth(5.0, 50.0, 1e-7, 0.9, 1e-5, 0.8)
    f = np.geomspace(1e6, 0.1, 50)
    data = echem.spectrum(f, echem.pellet_impedance(truth, f))
    fit = echem.fit_circuit(data, PELLET, initial_guess=dict(zip(parse_circuit(PELLET).parameter_names,
                                                                  truth.as_list())),
                            bounds={"CPE1_1": (0.5, 0.85)})
    assert fit.parameters["CPE1_1"] <= 0.85 + 1e-9


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(1e-3, 1e3))
def test_scaling_the_impedance_scales_the_resistances(seed, scale):
    # Invariant: Z -> k Z maps R -> k R, Q -> Q / k, alpha unchanged; a fit without
    # initial guess must follow (the data-derived starts scale with the data).
    data, truth = echem.random_pellet(np.random.default_rng(seed), noise=0.0)
    fit = echem.fit_circuit(data, PELLET)
    scaled = echem.fit_circuit(echem.spectrum(data.frequency_hz, scale * data.z_ohm), PELLET)
    assert scaled.parameters["R0"] + scaled.parameters["R1"] == pytest.approx(
        scale * truth.resistance_ohm, rel=1e-3)
    assert scaled.parameters["CPE2_1"] == pytest.approx(fit.parameters["CPE2_1"], rel=1e-3)


def test_nan_in_hand_built_data_is_refused():
    f = np.geomspace(1e5, 1, 10)
    z = 10 + 0 * f - 1j * f**-0.5
    z[3] = np.nan
    data = echem.EISData(f, z, np.zeros(10, int))
    for analysis in (lambda d: echem.fit_circuit(d, "R0-CPE1"), echem.bulk_resistance, echem.lin_kk):
        with pytest.raises(ValueError, match="finite"):
            analysis(data)
