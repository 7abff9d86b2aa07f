"""xas: X-ray absorption near-edge spectroscopy (XANES).

Readers for XDI, Athena projects and column files; Athena/Larch-compatible
pre-edge subtraction and normalization (one spectrum or many, vectorised);
tabulated edge energies and P/S K-edge presets; energy alignment by
derivative matching; before/after comparison with a noise-aware verdict;
linear combination fitting.

Examples
--------
>>> import xas
>>> spec = xas.read_xas("P_CAMD.prj", group="AlPO4")  # doctest: +SKIP
>>> norm = xas.normalize(spec)  # doctest: +SKIP
>>> norm.e0_ev, norm.edge_step  # doctest: +SKIP
(2148.27, 0.2467)
"""

from xas.alignment import AlignmentResult, align
from xas.batch import BatchNormalization, normalize_many
from xas.comparison import XASComparison, compare, estimate_noise
from xas.e0 import find_e0
from xas.edges import EDGE_PRESETS, EdgePreset, check_e0, edge_energy, edge_preset
from xas.lcf import LCFFit, LCFResult, lcf
from xas.normalization import NormalizedXAS, normalize
from xas.readers import (
    FORMATS,
    GroupChoiceError,
    athena_normalization,
    list_athena_groups,
    read_athena_project,
    read_xas,
    sniff_format,
)
from xas.spectrum import XASSpectrum

__all__ = [
    "XASSpectrum",
    "read_xas",
    "GroupChoiceError",
    "list_athena_groups",
    "read_athena_project",
    "athena_normalization",
    "sniff_format",
    "FORMATS",
    "find_e0",
    "normalize",
    "NormalizedXAS",
    "normalize_many",
    "BatchNormalization",
    "edge_energy",
    "edge_preset",
    "EdgePreset",
    "EDGE_PRESETS",
    "check_e0",
    "align",
    "AlignmentResult",
    "compare",
    "XASComparison",
    "estimate_noise",
    "lcf",
    "LCFResult",
    "LCFFit",
]
