"""Electrochemistry: impedance spectra (:mod:`echem.eis`), galvanostatic
cycling and I-V curves (:mod:`echem.cycling`)."""

from echem.cycling import *  # noqa: F401,F403
from echem.cycling import __all__ as _cycling_all
from echem.eis import *  # noqa: F401,F403
from echem.eis import __all__ as _eis_all

__all__ = [*_eis_all, *_cycling_all]
