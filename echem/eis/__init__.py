"""Impedance spectroscopy: readers, circuit fitting, Lin-KK, DRT, bulk
resistance, ionic conductivity and Arrhenius analysis.

Layers: :func:`read_eis` (files -> :class:`EISData`), pure analyses returning
frozen results (:func:`fit_circuit`, :func:`select_circuit`, :func:`lin_kk`, :func:`drt`,
:func:`bulk_resistance`, :func:`conductivity`, :func:`arrhenius`), and their
``plot()``/``summary()`` methods; :func:`fit_batch` runs many files in
worker processes.
"""

from echem.eis.batch import fit_batch
from echem.eis.bulk import (
    BULK_METHODS,
    PELLET_CIRCUITS,
    BulkResistance,
    bulk_arc,
    bulk_resistance,
)
from echem.eis.circuits import ELEMENTS, Circuit, parse_circuit
from echem.eis.conductivity import (
    ARRHENIUS_FORMS,
    BOLTZMANN_EV_PER_K,
    MAX_PLAUSIBLE_SIGMA_S_PER_CM,
    Activation,
    Conductivity,
    arrhenius,
    conductivity,
    conductivity_round_pellet,
)
from echem.eis.cpe import capacitance_origin, cpe_apex_frequency_hz, cpe_capacitance_f
from echem.eis.data import EISData, spectrum
from echem.eis.drt import DRTResult, drt
from echem.eis.fitting import FIT_STATUSES, NOISE_FLOOR, WEIGHTINGS, CircuitFit, fit_circuit, runs_test
from echem.eis.kramers_kronig import LinKKResult, lin_kk
from echem.eis.readers import FORMATS, read_eis
from echem.eis.selection import (
    CIRCUIT_LIBRARY,
    CRITERIA,
    CircuitSelection,
    RelaxationPeaks,
    information_criteria,
    relaxation_peaks,
    select_batch,
    select_circuit,
    starting_values,
)
from echem.eis.synthetic import (
    DETERMINABLE_N_SIGMA,
    IDENTIFICATION_TOPOLOGIES,
    PelletTruth,
    cramer_rao_errors,
    determinable_resistances,
    identifiable,
    pellet_impedance,
    random_circuit,
    random_pellet,
)

__all__ = [
    "DETERMINABLE_N_SIGMA",
    "ARRHENIUS_FORMS",
    "CIRCUIT_LIBRARY",
    "CRITERIA",
    "ELEMENTS",
    "FIT_STATUSES",
    "NOISE_FLOOR",
    "CircuitSelection",
    "RelaxationPeaks",
    "bulk_arc",
    "cramer_rao_errors",
    "determinable_resistances",
    "identifiable",
    "information_criteria",
    "random_circuit",
    "relaxation_peaks",
    "runs_test",
    "IDENTIFICATION_TOPOLOGIES",
    "select_batch",
    "select_circuit",
    "starting_values",
    "BOLTZMANN_EV_PER_K",
    "MAX_PLAUSIBLE_SIGMA_S_PER_CM",
    "BULK_METHODS",
    "FORMATS",
    "PELLET_CIRCUITS",
    "WEIGHTINGS",
    "Activation",
    "BulkResistance",
    "Circuit",
    "CircuitFit",
    "Conductivity",
    "DRTResult",
    "EISData",
    "LinKKResult",
    "PelletTruth",
    "arrhenius",
    "bulk_resistance",
    "capacitance_origin",
    "conductivity",
    "conductivity_round_pellet",
    "cpe_apex_frequency_hz",
    "cpe_capacitance_f",
    "drt",
    "fit_batch",
    "fit_circuit",
    "lin_kk",
    "parse_circuit",
    "pellet_impedance",
    "random_pellet",
    "read_eis",
    "spectrum",
]
