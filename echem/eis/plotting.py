"""Nyquist, Bode and residual plots shared by the EIS result objects."""

from __future__ import annotations

import numpy as np

__all__ = ["decade_label", "plain_log_ticks", "plot_bode", "plot_nyquist", "plot_residuals"]


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def decade_label(value: float, pos=None) -> str:
    """Tick label of a log axis: decades only, "0.01" … "1000" as numbers, beyond as 10 with a
    superscript exponent ("10⁴", "10⁻³"), in plain text (no mathtext); "" between decades."""
    if not value > 0:
        return ""
    exponent = np.log10(value)
    if abs(exponent - round(exponent)) > 1e-6:
        return ""
    exponent = int(round(exponent))
    if -2 <= exponent <= 3:
        return f"{10.0 ** exponent:g}"
    return "10" + str(exponent).translate(_SUPERSCRIPT)


def plain_log_ticks(*axes) -> None:
    """Label log axes at decades only (:func:`decade_label`), without minor ticks.

    Mathtext labels and dozens of minor ticks make figure layout slow; the
    report draws many of these figures.
    """
    from matplotlib.ticker import FuncFormatter, NullLocator

    for axis in axes:
        if axis.get_scale() == "log":
            axis.set_major_formatter(FuncFormatter(decade_label))
            axis.set_minor_locator(NullLocator())


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5, 4), constrained_layout=True)
    return ax


def plot_nyquist(z_ohm, *, ax=None, label="data"):
    """Nyquist plot (-Z'' up) with equal axis scales; returns the Axes."""
    ax = _axes(ax)
    ax.plot(np.real(z_ohm), -np.imag(z_ohm), "o", ms=3, label=label)
    ax.set_xlabel("Z' (Ω)")
    ax.set_ylabel("-Z'' (Ω)")
    ax.set_aspect("equal", adjustable="datalim")
    return ax


def plot_bode(frequency_hz, z_ohm, *, ax=None, fit=None):
    """|Z| (left axis) and phase (right axis) against frequency; returns the |Z| Axes."""
    ax = _axes(ax)
    ax.loglog(frequency_hz, np.abs(z_ohm), "o", ms=3, label="|Z|")
    twin = ax.twinx()
    twin.semilogx(frequency_hz, -np.angle(z_ohm, deg=True), "s", ms=3, color="C1", label="-phase")
    if fit is not None:
        f_fit, z_fit = fit
        ax.loglog(f_fit, np.abs(z_fit), "-", color="C0")
        twin.semilogx(f_fit, -np.angle(z_fit, deg=True), "-", color="C1")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("|Z| (Ω)")
    twin.set_ylabel("-phase (°)")
    plain_log_ticks(ax.xaxis, ax.yaxis, twin.xaxis)
    return ax


def plot_residuals(frequency_hz, residual_real, residual_imag, *, ax=None, threshold=None):
    """Relative residuals (%) of real and imaginary parts against frequency."""
    ax = _axes(ax)
    ax.semilogx(frequency_hz, 100 * np.asarray(residual_real), "o-", ms=3, label="Δ Z'/|Z|")
    ax.semilogx(frequency_hz, 100 * np.asarray(residual_imag), "s-", ms=3, label="Δ Z''/|Z|")
    if threshold is not None:
        for sign in (-1, 1):
            ax.axhline(sign * 100 * threshold, color="gray", ls="--", lw=0.8)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("residual (%)")
    plain_log_ticks(ax.xaxis)
    ax.legend(fontsize="small")
    return ax
