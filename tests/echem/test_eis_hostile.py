"""Issue 17 regressions for the impedance readers and analyses: hostile files and degenerate spectra.

Every case raises an ssbkit error (FormatError for a file, FitError for a failed inversion) or a
ValueError naming the argument — never a raw numpy/scipy exception, a MemoryError or a number.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest

import echem
from echem.eis.circuits import parse_circuit
from ssbkit._shared import limits
from ssbkit.errors import FitError, FormatError

F_HZ = np.logspace(5, -1, 40)
SWEEP = np.zeros(40, dtype=int)


def _rc(scale: float) -> echem.EISData:
    """R0-p(R1,C1) with R0 = R1 = scale Ohm, tau = 1 ms (analytic impedance)."""
    z = parse_circuit("R0-p(R1,C1)").impedance([scale, scale, 1e-3 / scale], F_HZ)
    return echem.EISData(F_HZ, z, SWEEP)


# --- readers -------------------------------------------------------------------------------------

def test_a_directory_is_a_format_error_not_no_such_file(tmp_path):
    folder = tmp_path / "spectrum.csv"
    folder.mkdir()
    with pytest.raises(FormatError, match="is a directory"):
        echem.read_eis(folder)
    with pytest.raises(FormatError, match="is a directory"):
        echem.read_eis(tmp_path)


def test_a_sparse_20_gib_table_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("freq,zr,zi\n1,2,3\n")
    os.truncate(path, 20 * 2**30)  # sparse: no disk used, but a whole-file read would need 20 GiB
    with pytest.raises(FormatError, match=r"20480\.0 MiB, above the reader limit") as info:
        echem.read_eis(path)
    assert "big.csv" in str(info.value)


def test_the_size_limit_is_overridable(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text("f,zr,zi\n1000,10,-1\n100,11,-2\n10,12,-3\n")
    with limits.size_limits(max_file_bytes=16), pytest.raises(FormatError, match="reader limit"):
        echem.read_eis(path)
    assert echem.read_eis(path).frequency_hz.size == 3  # default limit restored


def test_an_xlsx_inflating_beyond_the_limit_is_refused(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (2 * 2**20))  # 2 MiB of spaces, ~2 kB zipped
    with limits.size_limits(max_uncompressed_bytes=2**20), pytest.raises(FormatError, match="inflates to 2.0 MiB"):
        echem.read_eis(path)


@pytest.mark.parametrize(("rows", "message"), [
    ("1,0,0\n2,0,0\n3,0,0\n", "every impedance value is zero"),
    ("1,1e300,-1\n2,3,-1\n3,4,-1\n", "absurd value"),
    ("1e150,1,-1\n2,3,-1\n3,4,-1\n", "absurd value"),
])
def test_all_zero_or_absurd_impedance_is_refused_by_the_reader(tmp_path, rows, message):
    path = tmp_path / "z.csv"
    path.write_text("freq,zr,zi\n" + rows)
    with pytest.raises(FormatError, match=message):
        echem.read_eis(path)




# --- analyses on degenerate spectra the EISData constructor accepts ------------------------------

ZERO = echem.EISData(F_HZ, np.zeros(40, dtype=complex), SWEEP)


@pytest.mark.parametrize("analysis", [
    echem.lin_kk,  # was numpy LinAlgError "SVD did not converge"
    echem.drt,  # was scipy ValueError "array must not contain infs or NaNs"
    lambda d: echem.fit_circuit(d, "R0-p(R1,C1)"),  # was ValueError "bounds: need lower < upper"
    echem.bulk_resistance,
    lambda d: echem.bulk_resistance(d, method="intercept"),
])
def test_an_all_zero_spectrum_is_refused_naming_z_ohm(analysis):
    with pytest.raises(ValueError, match="z_ohm is zero at every point"):
        analysis(ZERO)


@pytest.mark.parametrize("scale", [1e300, 1e200, 1e-200])
@pytest.mark.parametrize("analysis", [
    lambda d: echem.bulk_resistance(d, method="intercept"),
    echem.lin_kk,
    echem.drt,
    lambda d: echem.fit_circuit(d, "R0-p(R1,C1)"),
])
def test_absurd_impedance_magnitudes_are_refused(analysis, scale):
    with pytest.raises(ValueError, match=r"outside \[1e-100, 1e\+100\)"):
        analysis(_rc(scale))


def test_one_zero_point_is_refused_naming_it():
    data = _rc(1.0)
    z = data.z_ohm.copy()
    z[7] = 0
    with pytest.raises(ValueError, match="point 7 .*zero or absurd"):
        echem.lin_kk(echem.EISData(F_HZ, z, SWEEP))


@pytest.mark.parametrize("scale", [1e99, 1.0, 1e-99])
def test_intercept_bulk_resistance_scales_with_the_data(scale):
    # R0 + R1 = 2 scale (analytic); the lowest point (0.1 Hz, omega tau = 6e-4) sits 4e-7 below it,
    # so the intercept read off the data is 2 scale within 1e-6 at every scale inside the accepted range
    result = echem.bulk_resistance(_rc(scale), method="intercept")
    assert result.resistance_ohm == pytest.approx(2 * scale, rel=1e-6)


def test_fit_below_the_default_parameter_range_names_the_way_out():
    with pytest.raises(ValueError, match="below the default parameter range.*pass bounds="):
        echem.fit_circuit(_rc(1e-30), "R0-p(R1,C1)")
    # with bounds around the data the same spectrum fits to its truth (R0 = R1 = 1e-30, C1 = 1e27)
    fit = echem.fit_circuit(_rc(1e-30), "R0-p(R1,C1)",
                            bounds={"R0": (1e-33, 1e-27), "R1": (1e-33, 1e-27), "C1": (1e24, 1e30)})
    assert fit.parameters["R1"] == pytest.approx(1e-30, rel=1e-6)


def test_linalg_failure_in_lin_kk_becomes_a_fit_error(monkeypatch):
    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("SVD did not converge in Linear Least Squares")

    monkeypatch.setattr(np.linalg, "lstsq", broken)
    with pytest.raises(FitError, match="Lin-KK least squares"):
        echem.lin_kk(_rc(1.0))


def test_scipy_failure_in_drt_becomes_a_fit_error(monkeypatch):
    import sys

    drt_module = sys.modules["echem.eis.drt"]  # the package re-exports the function under the module's name
    def broken(*args, **kwargs):
        raise ValueError("array must not contain infs or NaNs")

    monkeypatch.setattr(drt_module, "nnls", broken)
    with pytest.raises(FitError, match="DRT inversion failed"):
        echem.drt(_rc(1.0), regularization=1e-3)


@pytest.mark.parametrize("scale", [1e-60, 1e-3, 1e3, 1e5, 1e7, 1e60])
def test_drt_is_scale_invariant(scale):
    # R0 = R1 = scale, tau = 0.1 ms: the DRT of the scaled spectrum is the scale-1 DRT scaled (one peak,
    # R_inf and R_pol within 1e-9 relative). Was: 1.9 % off at 1 kOhm and a TypeError at 100 kOhm.
    f = np.logspace(6, -1, 60)
    circuit = parse_circuit("R0-p(R1,C1)")
    unit = echem.drt(echem.spectrum(f, circuit.impedance([1.0, 1.0, 1e-4], f)))
    scaled = echem.drt(echem.spectrum(f, circuit.impedance([scale, scale, 1e-4 / scale], f)))
    assert scaled.regularization == unit.regularization
    assert scaled.r_inf_ohm == pytest.approx(scale * unit.r_inf_ohm, rel=1e-9)
    assert scaled.polarization_ohm == pytest.approx(scale * unit.polarization_ohm, rel=1e-9)
    np.testing.assert_allclose(scaled.peak_tau_s, unit.peak_tau_s, rtol=1e-9)
    np.testing.assert_allclose(scaled.peak_resistance_ohm, scale * unit.peak_resistance_ohm, rtol=1e-9)
    # the truth: R_inf = R0, one peak at tau = R1 C1 = 1e-4 s carrying R1 (analytic; 0.3 % / 0.5 % off)
    assert unit.r_inf_ohm == pytest.approx(1.0, rel=2e-3)
    assert unit.peak_tau_s.size == 1 and unit.peak_tau_s[0] == pytest.approx(1e-4, rel=5e-3)
    assert unit.peak_resistance_ohm[0] == pytest.approx(1.0, rel=5e-3)


def test_a_fit_leaning_on_the_default_bounds_is_flagged():
    # R0 = R1 = 1e30 Ohm, C1 = 1e-33 F lies below the default lower bound 1e-20: the fit cannot reach the
    # truth, so it must say so instead of returning C1 = 1e-20 as an answer
    fit = echem.fit_circuit(_rc(1e30), "R0-p(R1,C1)")
    assert fit.status != "ok"
    assert any("ended at a bound" in reason and "C1" in reason for reason in fit.quality_reasons)
    # the control: the same circuit at 1 Ohm fits its truth exactly, status ok, no bound named
    fine = echem.fit_circuit(_rc(1.0), "R0-p(R1,C1)")
    assert fine.status == "ok" and not any("bound" in reason for reason in fine.quality_reasons)
    assert fine.parameters["C1"] == pytest.approx(1e-3, rel=1e-6)


@pytest.mark.parametrize("analysis", [
    echem.lin_kk, echem.drt, echem.bulk_resistance,
    lambda d: echem.bulk_resistance(d, method="intercept"),
    lambda d: echem.fit_circuit(d, "R0-p(R1,C1)"),
])
def test_one_frequency_repeated_is_not_a_spectrum(analysis):
    # 40 rows at 10 Hz (a logger writing one point over and over): was a Lin-KK verdict, a DRT and a
    # bulk resistance of 4.59 Ohm from a fit of a spectrum that has no frequency dependence to fit
    data = echem.EISData(np.full(40, 10.0), np.full(40, 5 - 1j), SWEEP)
    with pytest.raises(ValueError, match="1 distinct value"):
        analysis(data)


def test_array_helpers_refuse_degenerate_arrays():
    from echem.eis.features import spectrum_features

    with pytest.raises(ValueError, match="zero at every point"):  # was scipy "must not contain infs or NaNs"
        echem.relaxation_peaks(F_HZ, np.zeros(40, dtype=complex))
    with pytest.raises(ValueError, match="zero at every point"):  # was a divide-by-zero RuntimeWarning
        spectrum_features(F_HZ, np.zeros(40, dtype=complex))
    with pytest.raises(ValueError, match="1-D of equal length"):
        echem.relaxation_peaks(F_HZ, np.ones(39, dtype=complex))
    peaks = echem.relaxation_peaks(F_HZ, _rc(1.0).z_ohm)  # the control: one process, tau = 1 ms
    assert peaks.tau_s.size == 1 and peaks.tau_s[0] == pytest.approx(1e-3, rel=0.2)


def test_conductivity_outside_the_float_range_is_a_value_error():
    import sys

    conductivity = sys.modules["echem.eis.conductivity"].conductivity
    # each argument finite and > 0, sigma = d / (R S) = 1e308 / 1e-616: was ZeroDivisionError
    with pytest.raises(ValueError, match="outside the float range"):
        conductivity(1e-308, 1e308, 1e-308)
    assert conductivity(50, 0.1, 0.785).sigma_s_per_cm == pytest.approx(0.1 / (50 * 0.785))  # analytic


@pytest.mark.parametrize("scale", [1e-90, 1e90])
def test_intercept_on_a_real_spectrum_is_unit_free_and_never_hangs(shared_data, scale):
    # yadg peis.mpt in Ohm and scaled by 1e+-90: the intercept scales with it (within 1e-12). At 1e-90 the
    # parabola's x**2 column underflowed, LAPACK received a NaN and numpy.lstsq hung forever.
    data = echem.read_eis(shared_data / "echem" / "eis" / "yadg__peis.mpt").select_sweep(0)
    unit = echem.bulk_resistance(data, method="intercept")
    scaled = echem.bulk_resistance(echem.EISData(data.frequency_hz, data.z_ohm * scale, data.sweep),
                                   method="intercept")
    assert scaled.resistance_ohm == pytest.approx(scale * unit.resistance_ohm, rel=1e-12)
    assert scaled.status == unit.status


def test_intercept_of_a_pure_reactance_is_flagged_poor(shared_data):
    # Z' = 0 at every point: an intercept of 0 Ohm was returned with status ok
    data = echem.read_eis(shared_data / "echem" / "eis" / "yadg__peis.mpt").select_sweep(0)
    result = echem.bulk_resistance(echem.EISData(data.frequency_hz, 1j * data.z_ohm.imag, data.sweep),
                                   method="intercept")
    assert result.status == "poor"
    assert any("not positive" in reason for reason in result.quality_reasons)


def test_intercept_next_to_a_huge_point_never_hangs(shared_data):
    # vsp_peis_with.mpr with its second point set to 1e95 Ohm: the max|Z| scaling of an earlier fix
    # squared the valley points to ~1e-380, LAPACK got a NaN and lstsq hung; the result is finite
    data = echem.read_eis(shared_data / "echem" / "eis" / "yadg__vsp_peis_with.mpr").select_sweep(0)
    z = data.z_ohm.copy()
    z[1] = 1e95
    result = echem.bulk_resistance(echem.EISData(data.frequency_hz, z, data.sweep), method="intercept")
    assert np.isfinite(result.resistance_ohm) and np.isfinite(result.resistance_err_ohm)
