"""Per-cycle summary, fade, voltage profiles, dQ/dV and C-rates against analytic answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import echem
from ssbkit.errors import FormatError


def _record(halves, *, points=21, rest=3, volt=None):
    """Canonical data from a list of (direction, capacity_mAh) half-cycles at 1 mA.

    ``volt(direction, fraction)`` gives the voltage; default a linear ramp
    3.6 -> 4.2 V on charge and back on discharge.
    """
    volt = volt or (lambda d, f: 3.6 + 0.6 * f if d > 0 else 4.2 - 0.6 * f)
    t, out = 0.0, []
    for direction, q in halves:
        for tau in np.linspace(0, 60.0, rest):
            out.append((t + tau, 3.9, 0.0))
        t += 61.0
        duration = q * 3600.0
        for f in np.linspace(0, 1, points):
            out.append((t + f * duration, volt(direction, f), float(direction)))
        t += duration + 1.0
    arr = np.array(out)
    return echem.build_cycling_data(time_s=arr[:, 0], voltage_v=arr[:, 1], current_ma=arr[:, 2])


def test_summary_energy_and_mean_voltage_of_a_linear_ramp():
    # charge 2 mAh on a ramp 3.6 -> 4.2 V: E = Q * 3.9 V (trapezoid is exact for a linear ramp)
    data = _record([(1, 2.0), (-1, 1.8)])
    s = echem.cycle_summary(data, active_mass_mg=20.0)
    row = s.iloc[0]
    assert row.charge_capacity_mah == pytest.approx(2.0, rel=1e-9)
    assert row.discharge_capacity_mah == pytest.approx(1.8, rel=1e-9)
    assert row.coulombic_efficiency == pytest.approx(0.9, rel=1e-9)
    assert row.charge_energy_mwh == pytest.approx(2.0 * 3.9, rel=1e-9)
    assert row.mean_discharge_voltage_v == pytest.approx(3.9, rel=1e-9)
    assert row.charge_capacity_mah_g == pytest.approx(100.0, rel=1e-9)


def test_summary_rejects_bad_input():
    data = _record([(1, 1.0), (-1, 1.0)])
    with pytest.raises(ValueError, match="active_mass_mg"):
        echem.cycle_summary(data, active_mass_mg=-1.0)
    with pytest.raises(ValueError, match="first_half_cycle"):
        echem.cycle_summary(data, first_half_cycle="sideways")
    with pytest.raises(FormatError, match="no records"):
        echem.cycle_summary(data.data.iloc[:0])
    with pytest.raises(FormatError, match="canonical columns"):
        echem.cycle_summary(pd.DataFrame({"time_s": [0.0]}))


def test_records_without_time_or_voltage_are_dropped_and_counted():
    time_s = np.array([0.0, 1.0, np.nan, 3.0, 4.0])
    voltage = np.array([3.0, 3.1, 3.2, np.nan, 3.4])
    data = echem.build_cycling_data(time_s=time_s, voltage_v=voltage, current_ma=np.ones(5))
    assert len(data.data) == 3 and data.metadata["dropped_records"] == 2


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(2, 6), st.integers(0, 4)), min_size=1, max_size=12),
    st.sampled_from(["charge", "discharge"]),
    st.sampled_from([1, -1]),
)
def test_derive_cycles_counts_pairs_of_half_cycles(halves, first_half, start):
    """Alternating half-cycles (random lengths and rests) starting with ``start``: a cycle
    opens at every half-cycle in the convention's direction, a leading opposite one is cycle 1."""
    current, expected = [], []
    sign = 1 if first_half == "charge" else -1
    cycle = 1
    direction = start
    for k, (length, rest) in enumerate(halves):
        if direction == sign and k > 0:
            cycle += 1
        current += [direction * 0.5] * length + [0.0] * rest
        expected += [cycle] * (length + rest)
        direction = -direction
    got = echem.derive_cycles(np.array(current), first_half_cycle=first_half)
    assert got.tolist() == expected


def test_capacity_fade_recovers_linear_fade_and_extrapolates_80pct():
    cycles = np.arange(1, 51)
    q = 1.4 * (1 - 0.002 * (cycles - 1))  # 0.2 % of cycle 1 per cycle -> 80 % at cycle 101
    summary = pd.DataFrame({"cycle": cycles, "discharge_capacity_mah": q, "charge_capacity_mah": q, "complete": True})
    fade = echem.capacity_fade(summary)
    assert fade.fade_per_cycle_pct == pytest.approx(0.2, rel=1e-9)
    assert fade.retention == pytest.approx(q[-1] / q[0])
    assert fade.cycles_to_80pct == pytest.approx(101.0, rel=1e-9)
    assert fade.cycles_to_80pct_status == "extrapolated"
    assert fade.success and fade.stderr_available
    assert fade.summary()["retention_pct"] == pytest.approx(100 * q[-1] / q[0])


def test_capacity_fade_exponential_and_reached():
    cycles = np.arange(1, 201)
    q = 2.0 * np.exp(-0.003 * (cycles - 2))
    summary = pd.DataFrame(
        {"cycle": cycles, "discharge_capacity_mah": q, "charge_capacity_mah": q, "complete": cycles != 1}
    )  # a flagged formation cycle is ignored
    fade = echem.capacity_fade(summary, reference_cycle=2, model="exponential")
    assert fade.fade_per_cycle_pct == pytest.approx(100 * (1 - np.exp(-0.003)), rel=1e-6)
    # exp(-0.003 (N - 2)) < 0.8 first at N = 2 + ceil(ln(1/0.8)/0.003) = 77
    assert fade.cycles_to_80pct == 77 and fade.cycles_to_80pct_status == "reached"


def test_capacity_fade_rejects_bad_options():
    summary = pd.DataFrame(
        {"cycle": [1, 2], "discharge_capacity_mah": [1.0, 0.9], "charge_capacity_mah": [1, 1], "complete": [True, True]}
    )
    with pytest.raises(ValueError, match="model='cubic'"):
        echem.capacity_fade(summary, model="cubic")
    with pytest.raises(ValueError, match="reference_cycle=7"):
        echem.capacity_fade(summary, reference_cycle=7)
    one = echem.capacity_fade(summary.iloc[:1].assign(cycle=[1]))
    assert not one.success and np.isnan(one.fade_per_cycle_pct)


def test_voltage_profiles_normalized_run_zero_to_one_and_totals_match_summary():
    data = _record([(1, 2.0), (-1, 1.9), (1, 1.9), (-1, 1.8)])
    summary = echem.cycle_summary(data)
    raw = echem.voltage_profiles(data, cycles=[1, 2])
    norm = echem.voltage_profiles(data, cycles=[1, 2], normalize=True)
    for cycle in (1, 2):
        row = summary[summary.cycle == cycle].iloc[0]
        assert raw.curve(cycle, "charge").capacity[-1] == pytest.approx(row.charge_capacity_mah)
        assert raw.curve(cycle, "discharge").capacity[-1] == pytest.approx(row.discharge_capacity_mah)
        for direction in ("charge", "discharge"):
            c = norm.curve(cycle, direction).capacity
            assert c[0] == 0.0 and c[-1] == pytest.approx(1.0) and np.all(np.diff(c) >= 0)
    assert raw.curve(1, "charge").voltage_v[-1] == pytest.approx(4.2)
    with pytest.raises(ValueError, match=r"cycles \[9\]"):
        echem.voltage_profiles(data, cycles=[9])


def _logistic_volt(peaks, widths, weights, v0, v1):
    """V(f) inverse of Q(V) = sum w_i / (1 + exp(-(V - V_i)/a_i)) + 5 % linear, normalized on [v0, v1]."""
    grid = np.linspace(v0, v1, 20001)
    q = sum(w / (1 + np.exp(-(grid - p) / a)) for p, a, w in zip(peaks, widths, weights, strict=True))
    q = q + 0.05 * (grid - v0) / (v1 - v0)
    q = (q - q[0]) / (q[-1] - q[0])
    return lambda f: np.interp(f, q, grid)


def test_dqdv_peaks_sit_where_the_model_puts_them_despite_noise_and_a_cv_hold():
    """dQ/dV of Q(V) with logistic steps peaks at their centres (3.90 and 4.10 V); a CV hold at 4.3 V
    and voltage reversals (navani issue #15) must neither move them nor create spikes."""
    inverse = _logistic_volt([3.90, 4.10], [0.02, 0.02], [0.6, 0.35], 3.5, 4.3)
    rng = np.random.default_rng(1)
    f = np.linspace(0, 1, 2000)
    v = inverse(f) + 0.0005 * rng.standard_normal(f.size)  # noise makes V non-monotonic
    q_total = 2.0
    time_s = f * q_total * 3600.0
    # CV hold: voltage fixed at the top while 0.2 mAh more pass at falling current
    hold_t = time_s[-1] + np.linspace(1, 1800, 60)
    hold_i = 0.8 * np.exp(-np.linspace(0, 3, 60))
    time_s = np.r_[time_s, hold_t]
    v = np.r_[v, np.full(60, 4.3)]
    current = np.r_[np.ones(f.size), hold_i]
    data = echem.build_cycling_data(time_s=time_s, voltage_v=v, current_ma=current)
    result = echem.dqdv(data, cycle=1, voltage_step_v=0.002, smoothing_v=0.02)
    curve = result.curve("charge")
    assert np.all(np.isfinite(curve.dqdv))
    peaks = np.sort(curve.peak_voltages_v)
    assert len(peaks) == 2
    np.testing.assert_allclose(peaks, [3.90, 4.10], atol=0.005)
    assert result.summary()["charge_main_peak_v"] == pytest.approx(3.90, abs=0.005)
    assert np.argmax(curve.dqdv) != curve.dqdv.size - 1  # no spike at the CV end


def test_dqdv_discharge_is_negative_and_rejects_bad_options():
    data = _record([(1, 2.0), (-1, 1.9)], points=200)
    result = echem.dqdv(data, cycle=1, voltage_step_v=0.01, smoothing_v=0.05)
    assert np.all(result.curve("discharge").dqdv < 0)
    # linear ramp of 0.6 V over 2 mAh: dQ/dV = 2 / 0.6 mAh/V everywhere
    np.testing.assert_allclose(result.curve("charge").dqdv, 2.0 / 0.6, rtol=1e-6)
    with pytest.raises(ValueError, match="cycle 5"):
        echem.dqdv(data, cycle=5)
    with pytest.raises(ValueError, match="positive"):
        echem.dqdv(data, cycle=1, voltage_step_v=0.0)


def test_c_rate_and_its_inverse():
    # 10 mg at 140 mAh/g: 1 C = 1.4 mA, so 0.28 mA is 0.2 C and 0.05 C is 0.07 mA
    assert echem.c_rate(0.28, 10.0, 140.0) == pytest.approx(0.2)
    assert echem.c_rate(-0.28, 10.0, 140.0) == pytest.approx(0.2)
    assert echem.current_for_c_rate(0.05, 10.0, 140.0) == pytest.approx(0.07)
    np.testing.assert_allclose(echem.c_rate(np.array([0.07, 1.4]), 10.0, 140.0), [0.05, 1.0])
    with pytest.raises(ValueError, match="active_mass_mg"):
        echem.c_rate(0.28, 0.0, 140.0)
    with pytest.raises(ValueError, match="rate"):
        echem.current_for_c_rate(-1.0, 10.0, 140.0)


@settings(max_examples=30, deadline=None)
@given(st.floats(1e-3, 50.0), st.floats(0.1, 100.0), st.floats(10.0, 400.0))
def test_c_rate_round_trip(rate, mass, capacity):
    assert echem.c_rate(echem.current_for_c_rate(rate, mass, capacity), mass, capacity) == pytest.approx(rate)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(0.05, 5.0), st.floats(0.5, 1.0)), min_size=1, max_size=6))
def test_summary_recovers_random_half_cycle_capacities(cycles):
    """Charge Q_k then discharge CE_k * Q_k at 1 mA, integrated from the current alone:
    every cycle's capacities and efficiency come back (trapezoid rule exact at constant current)."""
    halves = []
    for q, ce in cycles:
        halves += [(1, q), (-1, ce * q)]
    summary = echem.cycle_summary(_record(halves))
    np.testing.assert_allclose(summary["charge_capacity_mah"], [q for q, _ in cycles], rtol=1e-9)
    np.testing.assert_allclose(summary["discharge_capacity_mah"], [q * ce for q, ce in cycles], rtol=1e-9)
    np.testing.assert_allclose(summary["coulombic_efficiency"], [ce for _, ce in cycles], rtol=1e-9)


def test_small_cycle_after_a_large_one_is_kept():
    """Regression (found by the property test above): a 0.0625 mAh cycle after a 2 mAh one was
    merged into it when steps passing < 5 % of the largest step's charge counted as rest."""
    summary = echem.cycle_summary(_record([(1, 2.0), (-1, 2.0), (1, 0.0625), (-1, 0.0625)]))
    np.testing.assert_allclose(summary["charge_capacity_mah"], [2.0, 0.0625], rtol=1e-9)
