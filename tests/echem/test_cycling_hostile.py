"""Issue 17 regressions for the cycler and I-V readers and iv_analysis.

Known answers: synthetic files whose rows are known, so the number of
dropped rows and their positions are exact.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from echem.cycling import iv_analysis, read_cycling, read_iv
from ssbkit._shared import NonFiniteWarning, limits
from ssbkit.errors import FormatError

_MAP = {"time_s": "t", "voltage_v": "v", "current_ma": "i"}


def _table(path, rows):
    path.write_text("t,v,i\n" + "".join(f"{t},{v},{i}\n" for t, v, i in rows))
    return path


def _charge_discharge():
    rows = [(10.0 * k, 3.5 + 0.01 * k, 1.0) for k in range(20)]
    rows += [(10.0 * k, 3.7 - 0.01 * (k - 20), -1.0) for k in range(20, 40)]
    return rows


@pytest.mark.parametrize("token", ["inf", "-inf", "1e300", "1e400"])
def test_inf_and_absurd_cycler_values_dropped_with_a_warning(tmp_path, token):
    rows = _charge_discharge()
    rows[5] = (rows[5][0], rows[5][1], token)  # current of data row 6
    rows[30] = (token, rows[30][1], rows[30][2])  # time of data row 31
    path = _table(tmp_path / "cell.csv", rows)
    with pytest.warns(NonFiniteWarning, match=r"cell.csv: dropped 2 of 40 data rows .* \(data rows 6, 31\)"):
        data = read_cycling(path, format="csv", columns=_MAP)
    assert len(data.data) == 38 and data.metadata["dropped_nonfinite_records"] == 2
    assert np.isfinite(data.data.to_numpy(dtype=float)).all()
    # charge step: records at 0..190 s, 1 mA, row 6 (50 s) dropped: the trapezoid still spans 190 s -> 190 mA s
    first = data.data[data.data.cycle == 1]
    assert first.charge_capacity_mah.max() == pytest.approx(190.0 / 3600.0)


def test_huge_cycle_numbers_are_absurd(tmp_path):
    rows = _charge_discharge()
    path = tmp_path / "cyc.csv"
    path.write_text("t,v,i,c\n" + "".join(f"{t},{v},{i},{'99999999999999999999999' if k == 3 else 1}\n"
                                          for k, (t, v, i) in enumerate(rows)))
    with pytest.warns(NonFiniteWarning, match=r"dropped 1 of 40 .* in cycle \(data rows 4\)"):
        data = read_cycling(path, format="csv", columns={**_MAP, "cycle": "c"})
    assert set(data.data.cycle) == {1}


def test_missing_times_still_dropped_silently(tmp_path):
    rows = _charge_discharge()
    rows[7] = ("", rows[7][1], rows[7][2])
    path = _table(tmp_path / "blank.csv", rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NonFiniteWarning)
        data = read_cycling(path, format="csv", columns=_MAP)
    assert data.metadata["dropped_records"] == 1 and data.metadata["dropped_nonfinite_records"] == 0


def test_oversized_and_directory_refused(tmp_path):
    path = _table(tmp_path / "cell.csv", _charge_discharge())
    with limits.size_limits(max_file_bytes=100):
        with pytest.raises(FormatError, match="above the reader limit"):
            read_cycling(path, format="csv", columns=_MAP)
        with pytest.raises(FormatError, match="above the reader limit"):
            read_iv(path, columns={"voltage_v": "v", "current_a": "i"})
    for reader in (read_cycling, read_iv):
        with pytest.raises(FormatError, match="is a directory"):
            reader(tmp_path)


def test_half_truncated_arbin_res(shared_data, tmp_path):
    raw = (shared_data / "echem" / "cycling" / "navani__arbin_example.res").read_bytes()
    path = tmp_path / "half.res"
    path.write_bytes(raw[: len(raw) // 2])  # was pandas ValueError "If using all scalar values..."
    with pytest.raises(FormatError, match="half.res"):
        read_cycling(path)
    odd = tmp_path / "odd.res"
    odd.write_bytes(raw[: len(raw) - 1000])  # not a whole number of 4 KiB pages
    with pytest.raises(FormatError, match="not a whole number of 4096-byte pages: truncated"):
        read_cycling(odd)


def test_iv_nonfinite_records_dropped(tmp_path):
    path = tmp_path / "iv.csv"
    volts = np.linspace(0.0, 1.0, 21)
    currents = [str(v / 100.0) for v in volts]
    currents[4], currents[9] = "nan", "inf"
    path.write_text("v,i\n" + "".join(f"{v},{c}\n" for v, c in zip(volts, currents, strict=True)))
    with pytest.warns(NonFiniteWarning, match=r"iv.csv: dropped 2 of 21 records .* \(records 5, 10\)"):
        data = read_iv(path, columns={"voltage_v": "v", "current_a": "i"})
    assert data.voltage_v.size == 19 and np.isfinite(data.current_a).all()
    assert data.metadata["dropped_nonfinite_records"] == 2


def test_iv_gamry_inf_dropped(shared_data, tmp_path):
    lines = (shared_data / "echem" / "iv" / "gamryparser__cv_data.dta").read_text(encoding="latin-1").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("\t") and line.split("\t")[1].strip().isdigit())
    fields = lines[row].split("\t")
    fields[4] = "INF"  # Im of the first data row (columns: Pt T Vf Im ...)
    lines[row] = "\t".join(fields)
    path = tmp_path / "cv.dta"
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    clean = read_iv(shared_data / "echem" / "iv" / "gamryparser__cv_data.dta")
    with pytest.warns(NonFiniteWarning, match="dropped 1 of"):
        data = read_iv(path)
    assert data.current_a.size == clean.current_a.size - 1


@pytest.mark.parametrize("current", [1e-6, 0.0])
def test_iv_analysis_constant_current_is_flagged(current):
    # was min_differential_resistance_ohm 8.4e19 from rounding noise, unflagged
    result = iv_analysis(np.linspace(0.0, 2.0, 50), np.full(50, current))
    summary = result.summary()
    assert np.isnan(summary["min_differential_resistance_ohm"])
    assert np.isnan(result.differential_resistance_ohm).all()
    assert result.quality == "poor" and "does not change" in summary["quality_reasons"]
    assert not result.onset_found


def test_iv_analysis_ohmic_unchanged():
    # analytic: 100 Ohm resistor
    result = iv_analysis(np.linspace(0.0, 1.0, 51), np.linspace(0.0, 1.0, 51) / 100.0)
    assert result.quality == "ok"
    assert np.nanmedian(result.differential_resistance_ohm) == pytest.approx(100.0)


def test_clock_with_huge_hours_does_not_wrap_around():
    # analytic: (10**18 - 1) h = 3.6e21 s; the int64 fast path used to wrap to 2.88e18 s
    import pandas as pd

    from echem.cycling.readers.tables import clock_seconds

    seconds = clock_seconds(pd.Series(["999999999999999999:00:00", "12:34:56"]), what="t")
    assert seconds[0] == pytest.approx(3.6e21, rel=1e-12)
    assert seconds[1] == 12 * 3600 + 34 * 60 + 56
