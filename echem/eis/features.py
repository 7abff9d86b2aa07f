"""Read starting values for circuit fits off the spectrum itself.

For a pellet between ion-blocking electrodes (R0-p(R1,CPE1)-CPE2) the
spectrum shows a (partial) arc and a low-frequency spike:

* the high-frequency intercept gives R0,
* the valley of -Z'' between arc and spike sits at Z' ≈ R0 + R1 = R_e,
* the arc apex frequency gives ω₀ = (R1 Q1)^(-1/α1), so Q1 = 1/(R1 ω₀^α1)
  (Hsu & Mansfeld, Corrosion 57 (2001) 747, doi:10.5006/1.3280607),
* the spike of a CPE has -Z'' = sin(απ/2) / (Q ω^α), so its log-log slope
  gives α2 and its height Q2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echem.eis.data import require_arrays

__all__ = ["SpectrumFeatures", "spectrum_features"]


@dataclass(frozen=True)
class SpectrumFeatures:
    """Features of a blocking-electrode spectrum (all in Ohm, Hz or dimensionless).

    Attributes
    ----------
    r_high_ohm : float
        Estimate of the high-frequency intercept (series resistance).
    r_valley_ohm : float
        Z' at the -Z'' valley between arc and spike (R_e estimate).
    valley_index : int
        Index of the valley point in descending-frequency order.
    apex_frequency_hz : float
        Frequency of the arc apex (extrapolated above the window when the
        arc is only partly measured).
    arc_visible : bool
        Whether an arc (a -Z'' maximum or decay before the valley) is seen.
    spike_visible : bool
        Whether -Z'' rises towards low frequency at the end of the window.
    spike_alpha : float
        CPE exponent of the spike from its log-log slope, in [0.3, 1].
    spike_q : float
        CPE coefficient of the spike, S s^α.
    """

    r_high_ohm: float
    r_valley_ohm: float
    valley_index: int
    apex_frequency_hz: float
    arc_visible: bool
    spike_visible: bool
    spike_alpha: float
    spike_q: float


def spectrum_features(frequency_hz, z_ohm, *, valley_index: int | None = None) -> SpectrumFeatures:
    """Measure the features of a (pellet) impedance spectrum.

    Parameters
    ----------
    frequency_hz : ndarray, shape (n,)
        Frequencies, Hz (any order), n >= 3.
    z_ohm : ndarray of complex, shape (n,)
        Impedance, Ohm.
    valley_index : int, optional
        Take the arc/spike junction at this index (descending-frequency
        order) instead of detecting it; used to seed alternative fit starts.

    Returns
    -------
    SpectrumFeatures

    Raises
    ------
    ValueError
        Arrays that are not finite, 1-D, of one length, with >= 3 distinct
        frequencies and no zero or absurd value (see
        :func:`echem.eis.data.require_arrays`).
    """
    require_arrays(frequency_hz, z_ohm, min_points=3)
    order = np.argsort(frequency_hz)[::-1]
    f = np.asarray(frequency_hz, dtype=float)[order]
    z = np.asarray(z_ohm, dtype=complex)[order]
    mz = -z.imag
    n = f.size
    # Valley: the point of -Z'' with the highest rise on *both* sides (arc
    # before it, spike after it); noise wiggles near the ends have one side flat.
    rise_before = np.maximum.accumulate(mz) - mz
    rise_after = np.maximum.accumulate(mz[::-1])[::-1] - mz
    depth = np.minimum(rise_before, rise_after)
    valley = int(np.argmax(depth))
    if valley_index is not None:
        valley = int(valley_index)
    elif depth[valley] <= 0.03 * np.abs(z[valley]):
        # no clear valley: either the arc is outside the window (spike from the
        # start) or the spike is (arc to the end)
        valley = n - 1 if mz[-1] <= np.max(mz[: max(1, n // 2)]) and mz[-1] < mz[n // 2] else 0
    arc_visible = valley > 0
    spike_visible = valley < n - 2 and mz[-1] > mz[valley]
    r_valley = float(z.real[valley])
    apex = int(np.argmax(mz[: valley + 1])) if arc_visible else 0
    if arc_visible and apex > 0:
        apex_f = float(f[apex])
        r_high = float(min(z.real[0], max(z.real[apex] - mz[apex], 0.0)))
    elif arc_visible:
        # Only the low-frequency side of the arc is seen: its apex lies above the window.
        apex_f = float(f[0] * 3.0)
        r_high = float(z.real[0] - max(mz[0], 0.0) * 0.5)
    else:
        apex_f = float(f[0] * 30.0)
        r_high = float(z.real[0])
    r_high = max(r_high, 1e-6 * max(abs(r_valley), 1e-12))
    r_valley = max(r_valley, r_high * (1 + 1e-3))
    tail = slice(max(n - 4, valley), n)
    ft, mt = f[tail], mz[tail]
    alpha, q = 0.85, np.nan
    if spike_visible and ft.size >= 2 and np.all(mt > 0):
        slope = np.polyfit(np.log(ft), np.log(mt), 1)[0]
        alpha = float(np.clip(-slope, 0.3, 1.0))
    if mz[-1] > 0:
        omega = 2 * np.pi * f[-1]
        q = float(np.sin(alpha * np.pi / 2) / (mz[-1] * omega**alpha))
    if not np.isfinite(q) or q <= 0:
        q = float(1.0 / (abs(z[-1]) * 2 * np.pi * f[-1]))
    return SpectrumFeatures(r_high, r_valley, int(valley), apex_f, bool(arc_visible),
                            bool(spike_visible), alpha, q)
