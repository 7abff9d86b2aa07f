"""I-V analysis against analytic models, and the I-V readers on the real files in
../shared/data/echem/iv (values checked against the files' own text and galvani, datalab-org fork 0.6)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import echem
from ssbkit.errors import FormatError

VT = 1.380649e-23 * 298.15 / 1.602176634e-19  # thermal voltage at 25 °C, V


def _diode_sweep(i0=1e-12, n=2.0, rs=1e6, c=0.0, rate=0.05, points=400):
    """Up-and-down sweep of V(I) = n V_t ln(1 + I/I0) + I R_s (explicit in I), plus C dV/dt."""
    current_dc = np.geomspace(1e-15, 1e-6, points)
    v = n * VT * np.log1p(current_dc / i0) + current_dc * rs
    voltage = np.r_[v, v[::-1]]
    current = np.r_[current_dc + c * rate, current_dc[::-1] - c * rate]
    return voltage, current


def test_resistor_gives_its_resistance_and_ohmic_onset():
    v = np.linspace(0.0, 2.0, 201)
    result = echem.iv_analysis(v, v / 1e6, onset_current_a=5e-7)
    np.testing.assert_allclose(result.differential_resistance_ohm[5:-5], 1e6, rtol=1e-9)
    assert result.onset_voltage_v == pytest.approx(0.5, abs=1e-9)  # V = I R
    assert result.onset_found and not result.has_hysteresis


def test_diode_differential_resistance_and_onset():
    i0, n, rs = 1e-12, 2.0, 1e6
    voltage, current = _diode_sweep(i0, n, rs)
    result = echem.iv_analysis(voltage, current, onset_current_a=1e-8)
    # dV/dI = n V_t / (I + I0) + R_s, compared where the current is well resolved
    expected = n * VT / (current + i0) + rs
    up = (result.sweep_direction > 0) & (current > 1e-10) & (current < 1e-7)
    np.testing.assert_allclose(result.differential_resistance_ohm[up], expected[up], rtol=0.02)
    onset = n * VT * np.log1p(1e-8 / i0) + 1e-8 * rs
    assert result.onset_voltage_v == pytest.approx(onset, abs=2e-3)


def test_capacitive_hysteresis_is_two_c_dvdt():
    c, rate = 2e-9, 0.05
    voltage, current = _diode_sweep(c=c, rate=rate)
    result = echem.iv_analysis(voltage, current, onset_current_a=1e-8)
    assert result.has_hysteresis
    assert result.hysteresis_current_a == pytest.approx(2 * c * rate, rel=1e-6)
    span = voltage.max() - voltage.min()
    assert result.hysteresis_area_w == pytest.approx(2 * c * rate * span, rel=1e-3)
    # the capacitive offset cancels in the mean curve, so the onset is that of the diode alone
    onset = 2.0 * VT * np.log1p(1e-8 / 1e-12) + 1e-8 * 1e6
    assert result.onset_voltage_v == pytest.approx(onset, abs=2e-3)


def test_iv_result_presentation(tmp_path):
    voltage, current = _diode_sweep(c=1e-9)
    result = echem.iv_analysis(voltage, current)
    summary = result.summary()
    assert set(summary) >= {"onset_voltage_v", "hysteresis_current_a", "min_differential_resistance_ohm"}
    assert all(isinstance(v, float) for k, v in summary.items() if not k.startswith("quality"))
    assert summary["quality"] == "ok"
    ax = result.plot()
    assert ax.get_xlabel() == "bias (V)"
    result.plot_resistance()


@pytest.mark.parametrize(
    "voltage, current, message",
    [
        (np.linspace(0, 1, 10), np.ones(9), "differ in length"),
        (np.linspace(0, 1, 3), np.ones(3), "at least 5"),
        (np.r_[np.linspace(0, 1, 9), np.nan], np.ones(10), "NaN"),
        (np.ones(10), np.ones(10), "not a sweep"),
    ],
)
def test_bad_input_raises_value_error(voltage, current, message):
    with pytest.raises(ValueError, match=message):
        echem.iv_analysis(voltage, current)


def test_gamry_cv_reads_every_curve_table(shared_data):
    data = echem.read_iv(shared_data / "echem" / "iv" / "gamryparser__cv_data.dta")
    # five CURVE tables of 10 rows; first row of CURVE1: T 0.1 s, Vf 0.49 V, Im 7.80498e-9 A (file text)
    assert data.format == "gamry_dta" and data.voltage_v.size == 50
    assert (data.time_s[0], data.voltage_v[0], data.current_a[0]) == (0.1, 0.49, 7.80498e-9)


def test_mpr_matches_galvani_and_its_mpt_export(shared_data):
    from galvani import BioLogic

    folder = shared_data / "echem" / "iv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = BioLogic.MPRfile(str(folder / "yadg__cv.mpr")).data
        mpr = echem.read_iv(folder / "yadg__cv.mpr")
    mpt = echem.read_iv(folder / "yadg__cv.mpt")
    np.testing.assert_array_equal(mpr.voltage_v, raw["Ewe/V"].astype(float))
    np.testing.assert_allclose(mpr.current_a, raw["<I>/mA"] / 1000.0)
    np.testing.assert_allclose(mpt.voltage_v, mpr.voltage_v, rtol=1e-6)
    np.testing.assert_allclose(mpt.current_a, mpr.current_a, rtol=1e-6, atol=1e-12)
    result = echem.iv_analysis(mpr.voltage_v, mpr.current_a)
    assert result.has_hysteresis and np.isfinite(result.hysteresis_current_a)


def test_every_real_iv_file_reads(shared_data):
    folder = shared_data / "echem" / "iv"
    for path in sorted(folder.iterdir()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = echem.read_iv(path)
        assert data.voltage_v.size == data.current_a.size > 0, path.name


def test_foreign_file_raises_format_error(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"\x00\x01 nothing")
    with pytest.raises(FormatError, match="x.bin"):
        echem.read_iv(path)
    with pytest.raises(ValueError, match="format='nope'"):
        echem.read_iv(path, format="nope")


def test_csv_through_a_column_mapping(tmp_path):
    path = tmp_path / "sweep.csv"
    v = np.linspace(0, 1, 11)
    path.write_text("bias (V),I (nA)\n" + "\n".join(f"{a},{a * 10}" for a in v) + "\n")
    data = echem.read_iv(path, columns={"voltage_v": "bias (V)", "current_a": ("I (nA)", 1e-9)})
    np.testing.assert_allclose(data.current_a, v * 1e-8)
