"""Galvanostatic cycling and current-voltage sweeps.

Readers turn cycler files (BioLogic, Neware, Arbin, Maccor, LANHE/Landt,
PEC, Battery Data Format, mapped csv) into canonical columns
(:func:`read_cycling`); pure functions make the per-cycle summary
(:func:`cycle_summary`), retention and fade (:func:`capacity_fade`),
voltage profiles (:func:`voltage_profiles`), differential capacity
(:func:`dqdv`) and C-rates (:func:`c_rate`); :func:`iv_analysis` handles
I-V sweeps read with :func:`read_iv`.
"""

from echem.cycling.analysis import CyclingAnalysis, analyze_cycling, theoretical_capacity_mah_g
from echem.cycling.canonical import FIRST_HALF_CYCLES, build_cycling_data, derive_cycles
from echem.cycling.data import CANONICAL_COLUMNS, CyclingData
from echem.cycling.dqdv import DQDVCurve, DQDVResult, dqdv
from echem.cycling.fade import FADE_MODELS, FadeResult, capacity_fade
from echem.cycling.iv import IVResult, iv_analysis
from echem.cycling.iv_readers import IV_FORMATS, IVData, read_iv
from echem.cycling.profiles import VoltageProfile, VoltageProfiles, voltage_profiles
from echem.cycling.rates import c_rate, current_for_c_rate
from echem.cycling.readers import CYCLING_FORMATS, read_cycling, sniff_cycling_format
from echem.cycling.series import CyclingSeries, cycling_series
from echem.cycling.summary import cycle_summary

__all__ = [
    "CANONICAL_COLUMNS",
    "CYCLING_FORMATS",
    "FADE_MODELS",
    "FIRST_HALF_CYCLES",
    "IV_FORMATS",
    "CyclingAnalysis",
    "CyclingData",
    "CyclingSeries",
    "DQDVCurve",
    "DQDVResult",
    "FadeResult",
    "IVData",
    "IVResult",
    "VoltageProfile",
    "VoltageProfiles",
    "analyze_cycling",
    "build_cycling_data",
    "c_rate",
    "capacity_fade",
    "current_for_c_rate",
    "cycle_summary",
    "cycling_series",
    "derive_cycles",
    "dqdv",
    "iv_analysis",
    "read_cycling",
    "read_iv",
    "sniff_cycling_format",
    "theoretical_capacity_mah_g",
    "voltage_profiles",
]
