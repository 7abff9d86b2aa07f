"""Synthetic pellet spectra with a known answer, for tests, benchmarks and demos.

The impedance of R0-p(R1,CPE1)-CPE2 is written out here with numpy alone
(Z_CPE = 1/(Q (jω)^α)), independently of :mod:`echem.eis.circuits`, so that
it can serve as the truth the fitting code is checked against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echem.eis.data import EISData, spectrum

__all__ = ["PelletTruth", "pellet_impedance", "random_pellet"]


@dataclass(frozen=True)
class PelletTruth:
    """The parameters of one synthetic pellet spectrum (impedance.py names)."""

    R0: float
    R1: float
    CPE1_0: float
    CPE1_1: float
    CPE2_0: float
    CPE2_1: float

    @property
    def resistance_ohm(self) -> float:
        """R_e = R0 + R1, Ohm."""
        return self.R0 + self.R1

    def as_list(self) -> list[float]:
        """Values in impedance.py's parameter order."""
        return [self.R0, self.R1, self.CPE1_0, self.CPE1_1, self.CPE2_0, self.CPE2_1]


def pellet_impedance(truth: PelletTruth, frequency_hz) -> np.ndarray:
    """Z (complex, Ohm) of R0-p(R1,CPE1)-CPE2 at ``frequency_hz`` (Hz)."""
    jw = 1j * 2 * np.pi * np.asarray(frequency_hz, dtype=float)
    arc = truth.R1 / (1 + truth.R1 * truth.CPE1_0 * jw**truth.CPE1_1)
    return truth.R0 + arc + 1 / (truth.CPE2_0 * jw**truth.CPE2_1)


def random_pellet(rng: np.random.Generator, *, noise: float = 0.01,
                  frequency_hz=None) -> tuple[EISData, PelletTruth]:
    """A random pellet-like spectrum with proportional complex noise.

    Draws: R1 log-uniform in 10 Ω … 100 kΩ; R0/R1 log-uniform in 0.01 … 3;
    α1 in [0.7, 1], α2 in [0.6, 0.95]; the arc apex frequency log-uniform in
    300 Hz … 3 MHz (up to half the arc above the 1 MHz top of the window);
    the frequency where |Z_CPE2| = R1 log-uniform from 1 Hz to 1/100 of the
    apex. Q1 = 1/(R1 ω_apex^α1), Q2 = 1/(R1 ω_c^α2). Noise:
    Z + noise·|Z|·(n₁ + j n₂), n standard normal.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    noise : float
        Relative noise level (0.01 = 1 %).
    frequency_hz : array_like, optional
        Default: 61 points log-spaced from 1 MHz to 0.1 Hz.

    Returns
    -------
    data : EISData
    truth : PelletTruth
    """
    f = np.geomspace(1e6, 0.1, 61) if frequency_hz is None else np.asarray(frequency_hz, float)
    r1 = 10 ** rng.uniform(1, 5)
    r0 = r1 * 10 ** rng.uniform(-2, 0.5)
    a1, a2 = rng.uniform(0.7, 1.0), rng.uniform(0.6, 0.95)
    f_apex = 10 ** rng.uniform(2.5, 6.5)
    f_cross = 10 ** rng.uniform(0, np.log10(f_apex) - 2)
    truth = PelletTruth(r0, r1, 1 / (r1 * (2 * np.pi * f_apex) ** a1), a1,
                        1 / (r1 * (2 * np.pi * f_cross) ** a2), a2)
    z = pellet_impedance(truth, f)
    z = z + noise * np.abs(z) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
    return spectrum(f, z, source="synthetic"), truth
