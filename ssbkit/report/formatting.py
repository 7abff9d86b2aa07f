"""Numbers as a reader should see them: a value to the precision its uncertainty allows.

The rule of the GUM (JCGM 100:2008, §7.2.6, doi:10.59161/JCGM100-2008E): the
standard uncertainty with two significant digits and the value rounded to the
same decimal place; a value without an uncertainty to four significant
digits (five without one). An uncertainty of zero or one that cannot be
estimated is not printed (never "± 0"); very large or small values share one
power of ten; an uncertainty below a millionth of the value (a noise-free
synthetic input) does not stretch the value past seven digits.

Examples
--------
>>> format_measurement(1.234567e-3, 2.3e-5)
'(1.235 ± 0.023)e-3'
>>> format_measurement(92.61, 0.0801)
'92.610 ± 0.080'
>>> format_measurement(2149.4567, None)
'2149.5'
>>> format_measurement(2149.4567, 0.0)
'2149.5'
>>> format_measurement(299.9999998, 1.9e-6)
'300 ± 1.9e-06'
>>> format_measurement(3.395305e-4, 2.2e-12)
'3.395305e-4 ± 2.2e-12'
>>> format_measurement(228.3, 34.1)
'228 ± 34'
"""

from __future__ import annotations

import math

__all__ = ["format_measurement", "format_number", "key_label"]

#: Unit suffixes of summary keys (units in names, DESIGN.md) and how a reader writes them.
UNIT_SUFFIXES = (
    ("_s_per_cm", "S/cm"), ("_v_per_m", "V/m"), ("_c_per_m2", "C/m²"), ("_c_per_m3", "C/m³"),
    ("_mah_g", "mAh/g"), ("_mah", "mAh"), ("_mwh", "mWh"), ("_ohm", "Ω"), ("_pct", "%"), ("_nm", "nm"),
    ("_ev", "eV"), ("_kev", "keV"), ("_mrad", "mrad"), ("_deg", "deg"), ("_angstrom", "Å"), ("_px", "px"),
    ("_cm2", "cm²"), ("_cm", "cm"), ("_k", "K"), ("_s", "s"), ("_v", "V"), ("_a", "A"), ("_f", "F"),
    ("_mg", "mg"), ("_g_cm3", "g/cm³"),
)


def format_number(value, digits: int = 5) -> str:
    """``value`` to ``digits`` significant digits (``"n/a"`` for NaN, text unchanged)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if not math.isfinite(value):
        return "n/a"
    if isinstance(value, int):
        return str(value)
    small_or_large = value != 0 and not 1e-3 <= abs(value) < 1e6
    text = f"{value:.{digits - 1}e}" if small_or_large else f"{value:.{digits}g}"
    if "e" in text:  # 3.2724e+08 -> 3.2724e8, as the values with an error print
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def key_label(key: str) -> str:
    """A summary key as a table label with its unit: ``"first_charge_capacity_mah_g"`` → ``"first charge capacity [mAh/g]"``.

    Examples
    --------
    >>> key_label("sigma_err_s_per_cm")
    'sigma err [S/cm]'
    >>> key_label("n_complete_cycles")
    'n complete cycles'
    """
    for suffix, unit in UNIT_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return f"{key[: -len(suffix)].replace('_', ' ')} [{unit}]"
    return key.replace("_", " ")


def format_measurement(value, error=None) -> str:
    """``value ± error`` with two significant digits of the error (GUM §7.2.6).

    Parameters
    ----------
    value : float
        The value, any unit.
    error : float, optional
        One standard uncertainty in the same unit; None, zero or NaN print the
        value alone.

    Returns
    -------
    str
    """
    if error is None or isinstance(value, str) or not isinstance(error, (int, float)) \
            or not math.isfinite(error) or error <= 0 or not math.isfinite(value):
        return format_number(value)
    place = math.floor(math.log10(error)) - 1  # decimal place of the error's second significant digit
    magnitude = math.floor(math.log10(abs(value))) if value else place + 1
    if magnitude - place > 7:
        return f"{format_number(value, 7)} ± {error:.1e}"
    if magnitude >= 5 or magnitude <= -3:
        scale = magnitude if value else place + 1
        value, error, place = value / 10**scale, error / 10**scale, place - scale
        decimals = max(-place, 0)
        return f"({value:.{decimals}f} ± {error:.{decimals}f})e{scale}"
    decimals = max(-place, 0)
    if place > 0:
        value, error = round(value, -place), round(error, -place)
    return f"{value:.{decimals}f} ± {error:.{decimals}f}"
