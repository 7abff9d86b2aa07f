"""Demo cycler files (Neware csv exports) for the coating series, and in-situ I-V sweeps.

Cycling model (the known truth): cycle 1 is a 0.05 C formation cycle, cycles
2..N run at 0.2 C in 2.6-4.3 V (1 C = 140 mAh/g nominal, 10 mg of LiCoO2).
Per sample the first charge is ``q_charge1`` mAh/g with first coulombic
efficiency ``ce1``; the 0.2 C discharge capacity starts at ``rate_factor``
times the first discharge and falls linearly by ``fade_pct`` % of it per
cycle, with efficiency ``ce`` thereafter. The BaTiO3 coating raises the first
efficiency and slows the fade (best at 5 at%), as in the reference study.
Voltage along each half-cycle follows a Q(V) made of logistic steps at the
LiCoO2 redox features (3.93, 4.07, 4.18 V vs Li) plus a linear background,
shifted by the ohmic polarization I·R, where R grows with cycling.

I-V model: a diode with ideality n and series resistance R_s,
I = n V_t / R_s · W(I_0 R_s / (n V_t) · exp((V + I_0 R_s) / (n V_t))) - I_0
(Lambert W; A. Ortiz-Conde et al., Solid-State Electron. 44 (2000) 1861,
doi:10.1016/S0038-1101(00)00132-5), plus a capacitive current C dV/dt that
changes sign between the up and down sweeps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import lambertw

__all__ = ["CYCLING_TRUTH", "IV_TRUTH", "generate"]

_SALT = 4404
ACTIVE_MASS_MG = 10.0
NOMINAL_MAH_G = 140.0
N_CYCLES = 60
V_MIN, V_MAX = 2.6, 4.3

#: per sample: first charge (mAh/g), first CE, 0.2 C / 0.05 C capacity ratio,
#: linear fade (% of cycle-2 capacity per cycle), CE at 0.2 C, resistance (ohm) and its growth per cycle
CYCLING_TRUTH = {
    "LCO": {
        "q_charge1": 158.0,
        "ce1": 0.84,
        "rate_factor": 0.88,
        "fade_pct": 0.45,
        "ce": 0.990,
        "r_ohm": 140.0,
        "r_growth": 0.020,
    },
    "BTO2-LCO": {
        "q_charge1": 160.0,
        "ce1": 0.87,
        "rate_factor": 0.91,
        "fade_pct": 0.25,
        "ce": 0.994,
        "r_ohm": 110.0,
        "r_growth": 0.010,
    },
    "BTO5-LCO": {
        "q_charge1": 161.0,
        "ce1": 0.90,
        "rate_factor": 0.94,
        "fade_pct": 0.12,
        "ce": 0.997,
        "r_ohm": 90.0,
        "r_growth": 0.004,
    },
    "BTO8-LCO": {
        "q_charge1": 157.0,
        "ce1": 0.88,
        "rate_factor": 0.92,
        "fade_pct": 0.18,
        "ce": 0.996,
        "r_ohm": 120.0,
        "r_growth": 0.006,
    },
}
#: in-situ I-V: saturation current (A), ideality, series resistance (ohm), capacitance (F)
IV_TRUTH = {
    "LCO": {"i0_a": 2e-13, "ideality": 6.0, "rs_ohm": 4e8, "c_f": 1.5e-9},
    "BTO5-LCO": {"i0_a": 2e-12, "ideality": 5.0, "rs_ohm": 1.5e8, "c_f": 1.0e-9},
}
IV_SWEEP_RATE_V_S = 0.05
IV_MAX_BIAS_V = 2.2
_PEAKS_V = np.array([3.93, 4.07, 4.18])
_WEIGHTS = np.array([0.78, 0.08, 0.06])
_WIDTHS_V = np.array([0.025, 0.015, 0.015])


def truth_capacities(sample_id: str, n_cycles: int = N_CYCLES) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free charge and discharge capacity (mAh/g) of every cycle of ``sample_id``."""
    p = CYCLING_TRUTH[sample_id]
    k = np.arange(1, n_cycles + 1)
    q_d2 = p["q_charge1"] * p["ce1"] * p["rate_factor"]
    discharge = q_d2 * (1 - p["fade_pct"] / 100.0 * (k - 2))
    charge = discharge / p["ce"]
    charge[0] = p["q_charge1"]
    discharge[0] = p["q_charge1"] * p["ce1"]
    return charge, discharge


def _fraction_of_v(voltage_v: np.ndarray, v_low: float, v_high: float) -> np.ndarray:
    """Normalized Q(V) on [v_low, v_high]: logistic steps at the LiCoO2 features + background."""
    steps = (_WEIGHTS / (1 + np.exp(-(voltage_v[:, None] - _PEAKS_V) / _WIDTHS_V))).sum(axis=1)
    raw = steps + (1 - _WEIGHTS.sum()) * (voltage_v - v_low) / (v_high - v_low)
    return (raw - raw[0]) / (raw[-1] - raw[0])


def _half_cycle_voltage(fraction: np.ndarray, charging: bool, eta_v: float) -> np.ndarray:
    """Voltage at the given fractions of a half-cycle (charge rises to 4.3 V, discharge falls to 2.6 V)."""
    grid = np.linspace(V_MIN, V_MAX, 2001)
    f_grid = _fraction_of_v(grid, V_MIN, V_MAX)
    if charging:
        # a charge starts from the relaxed, slightly lithium-deficient state (2 % in)
        volts = np.minimum(np.interp(0.02 + 0.98 * fraction, f_grid, grid) + eta_v, V_MAX)
        volts[-1] = V_MAX
    else:
        volts = np.maximum(np.interp(1 - fraction, f_grid, grid) - eta_v, V_MIN)
        volts[-1] = V_MIN
    return volts


def _cycling_record(sample_id: str, rng: np.random.Generator) -> pd.DataFrame:
    p = CYCLING_TRUTH[sample_id]
    charge, discharge = truth_capacities(sample_id)
    jitter = 1 + 0.002 * rng.standard_normal((2, N_CYCLES))
    charge_mah = charge * jitter[0] * ACTIVE_MASS_MG / 1000.0
    discharge_mah = discharge * jitter[1] * ACTIVE_MASS_MG / 1000.0
    columns = {name: [] for name in ("cycle", "step", "kind", "step_time", "time", "current_ma", "voltage", "q")}
    t = 0.0
    step_no = 0
    for k in range(N_CYCLES):
        rate = 0.05 if k == 0 else 0.2
        current = rate * NOMINAL_MAH_G * ACTIVE_MASS_MG / 1000.0
        points = 120 if k == 0 else 50
        eta = current * 1e-3 * p["r_ohm"] * (1 + p["r_growth"] * k)
        for kind, q in (("rest", 0.0), ("charge", charge_mah[k]), ("rest", 0.0), ("discharge", discharge_mah[k])):
            step_no += 1
            if kind == "rest":
                tau = np.array([0.0, 300.0, 600.0])
                after_charge = columns["kind"][-1:] == ["charge"]
                volts = np.full(3, 3.9 if step_no == 1 else (V_MAX - 0.1 if after_charge else 3.4))
                amps = np.zeros(3)
                passed = np.zeros(3)
            else:
                duration = q / current * 3600.0
                tau = np.linspace(0.0, duration, points)
                fraction = tau / duration
                volts = _half_cycle_voltage(fraction, kind == "charge", eta)
                amps = np.full(points, current if kind == "charge" else -current)
                passed = q * fraction
            volts = volts + 0.001 * rng.standard_normal(volts.size)
            for name, values in (
                ("step_time", tau),
                ("time", t + tau),
                ("current_ma", amps),
                ("voltage", volts),
                ("q", passed),
            ):
                columns[name].extend(values.tolist())
            columns["cycle"].extend([k + 1] * tau.size)
            columns["step"].extend([step_no] * tau.size)
            columns["kind"].extend([kind] * tau.size)
            t += tau[-1] + 1.0
    return pd.DataFrame(columns)


def _clock(seconds) -> list[str]:
    s = np.rint(np.asarray(seconds)).astype(np.int64)
    return [f"{v // 3600:02d}:{(v // 60) % 60:02d}:{v % 60:02d}" for v in s]


def _write_neware(record: pd.DataFrame, path: Path) -> None:
    kinds = {"rest": "Rest", "charge": "CC Chg", "discharge": "CC DChg"}
    charge = np.where(record["kind"] == "charge", record["q"], 0.0) / 1e3
    discharge = np.where(record["kind"] == "discharge", record["q"], 0.0) / 1e3
    pd.DataFrame(
        {
            "DataPoint": np.arange(1, len(record) + 1),
            "Cycle Index": record["cycle"],
            "Step Index": record["step"],
            "Step Type": record["kind"].map(kinds),
            "Time": _clock(record["step_time"]),
            "Cumulative Time": _clock(record["time"]),
            "Current(A)": record["current_ma"] / 1e3,
            "Voltage(V)": record["voltage"].round(4),
            "Capacity(Ah)": charge + discharge,
            "Chg. Cap.(Ah)": charge,
            "DChg. Cap.(Ah)": discharge,
        }
    ).to_csv(path, index=False, float_format="%.9f")


def diode_current_a(voltage_v, *, i0_a: float, ideality: float, rs_ohm: float, temperature_k: float = 298.15):
    """Steady-state current (A) of a diode with series resistance at bias ``voltage_v`` (V), via Lambert W."""
    vt = 1.380649e-23 * temperature_k / 1.602176634e-19
    nvt = ideality * vt
    arg = i0_a * rs_ohm / nvt * np.exp((np.asarray(voltage_v, dtype=float) + i0_a * rs_ohm) / nvt)
    return nvt / rs_ohm * np.real(lambertw(arg)) - i0_a


def _iv_sweep(sample_id: str, rng: np.random.Generator) -> pd.DataFrame:
    p = IV_TRUTH[sample_id]
    up = np.linspace(0.0, IV_MAX_BIAS_V, 221)
    bias = np.r_[up, up[-2::-1]]
    direction = np.r_[np.ones(up.size), -np.ones(up.size - 1)]
    time_s = np.r_[0.0, np.cumsum(np.abs(np.diff(bias)) / IV_SWEEP_RATE_V_S)]
    current = diode_current_a(bias, i0_a=p["i0_a"], ideality=p["ideality"], rs_ohm=p["rs_ohm"])
    current = current + p["c_f"] * IV_SWEEP_RATE_V_S * direction + 2e-12 * rng.standard_normal(bias.size)
    return pd.DataFrame({"time/s": time_s, "control/V": bias, "Ewe/V": bias, "<I>/mA": current * 1e3})


def _write_mpt(table: pd.DataFrame, path: Path, technique: str) -> None:
    header = ["EC-Lab ASCII FILE", "Nb header lines : 6", "", technique, "", ""]
    body = table.to_csv(sep="\t", index=False, float_format="%.7E", lineterminator="\n")
    path.write_text("\n".join(header[:5]) + "\n" + body, encoding="latin-1")


def generate(directory: Path, *, seed: int) -> list[dict]:
    """Write the demo cycling and I-V files below ``directory`` and return their manifest entries."""
    rng = np.random.default_rng([seed, _SALT])
    measurements = []
    folder = Path(directory) / "cycling"
    folder.mkdir(parents=True, exist_ok=True)
    for sample_id in CYCLING_TRUTH:
        name = f"{sample_id}_0.05C-formation_0.2C-cycling.csv"
        _write_neware(_cycling_record(sample_id, rng), folder / name)
        measurements.append(
            {
                "sample": sample_id,
                "technique": "cycling",
                "file": f"cycling/{name}",
                "label": f"{sample_id} galvanostatic cycling 2.6-4.3 V",
                "parameters": {
                    "first_half_cycle": "charge",
                    "reference_cycle": 2,
                    "dqdv_cycle": 2,
                },
            }
        )
    folder = Path(directory) / "iv"
    folder.mkdir(parents=True, exist_ok=True)
    for sample_id in IV_TRUTH:
        name = f"{sample_id}_in-situ_bias_sweep.mpt"
        _write_mpt(_iv_sweep(sample_id, rng), folder / name, "Linear Sweep Voltammetry")
        measurements.append(
            {
                "sample": sample_id,
                "technique": "iv",
                "file": f"iv/{name}",
                "label": f"{sample_id} in-situ I-V 0-{IV_MAX_BIAS_V} V",
                "parameters": {"onset_current_a": 1e-9},
            }
        )
    return measurements
