"""EELS: log-ratio and Kramers–Kronig thickness, mean free paths, zero-loss handling,
core-loss line-scan profiles, overlapping edges separated.

Readers (:func:`read_eels`, through rosettasciio) give an :class:`EELSData`;
pure analysis functions give frozen result objects with ``summary()`` and
``plot()``. Formulas and sources are in each module's docstring.
"""

from eels.core_loss import (
    BACKGROUND_MODELS,
    EdgeOverlapWarning,
    EdgeProfile,
    EdgeProfiles,
    EdgeRatio,
    PowerLawFit,
    default_windows,
    edge_profile,
    edge_profiles,
    edge_ratio,
    fit_overlapping_edges,
    fit_power_law,
)
from eels.data import EELSData, NavigationAxis
from eels.deconvolution import fourier_log_deconvolution
from eels.edges import EDGES, Edge, edges_between, get_edge, overlapping_edges
from eels.io import READERS, read_eels, sniff_format
from eels.kramers_kronig import KramersKronigThickness, kramers_kronig_thickness
from eels.overlap import SeparatedEdges, separate_overlapping_edges
from eels.mean_free_path import (
    MFP_METHODS,
    atomic_fractions,
    effective_atomic_number,
    mean_free_path,
    relativistic_factor,
)
from eels.thickness import (
    Thickness,
    ThicknessWarning,
    relative_thickness,
    relative_thickness_error,
    thickness,
    thickness_quality,
    truncation_bias,
)
from eels.zero_loss import (
    ZLP_METHODS,
    ZeroLossPeak,
    align_zero_loss,
    zero_loss_intensity,
    zero_loss_peak,
    zero_loss_position,
    zero_loss_threshold,
)

__all__ = [
    "read_eels",
    "sniff_format",
    "READERS",
    "EELSData",
    "NavigationAxis",
    "ZLP_METHODS",
    "ZeroLossPeak",
    "zero_loss_peak",
    "zero_loss_position",
    "zero_loss_threshold",
    "zero_loss_intensity",
    "align_zero_loss",
    "relative_thickness",
    "relative_thickness_error",
    "Thickness",
    "ThicknessWarning",
    "thickness",
    "thickness_quality",
    "truncation_bias",
    "MFP_METHODS",
    "mean_free_path",
    "effective_atomic_number",
    "atomic_fractions",
    "relativistic_factor",
    "EDGES",
    "Edge",
    "get_edge",
    "edges_between",
    "overlapping_edges",
    "BACKGROUND_MODELS",
    "EdgeOverlapWarning",
    "PowerLawFit",
    "fit_power_law",
    "default_windows",
    "EdgeProfile",
    "EdgeProfiles",
    "EdgeRatio",
    "edge_profile",
    "edge_profiles",
    "edge_ratio",
    "fit_overlapping_edges",
    "SeparatedEdges",
    "separate_overlapping_edges",
    "fourier_log_deconvolution",
    "KramersKronigThickness",
    "kramers_kronig_thickness",
]
