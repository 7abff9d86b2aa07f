"""Powder X-ray diffraction: readers, reference patterns simulated from structures,
phase identification, whole-pattern refinement (lattice parameters, Hill-Howard
weight fractions) and crystallite size.

Examples
--------
>>> import xrd
>>> pattern = xrd.read_pattern("scan.xrdml")                         # doctest: +SKIP
>>> result = xrd.identify_phases(pattern)                             # doctest: +SKIP
>>> result.summary()["wfrac_BaCO3_pct"]                               # doctest: +SKIP
"""

from xrd.candidates import IMPURITIES, candidates_for_materials
from xrd.cards import card_folder, read_card, reference_intensity_ratio, write_card
from xrd.identify import (
    IdentifiedPhase,
    PhaseIdentification,
    ScreenResult,
    identify_phases,
    screen_candidates,
)
from xrd.pattern import CU_KALPHA1_ANGSTROM, CU_KALPHA2_ANGSTROM, Pattern, make_pattern
from xrd.processing import (
    PeakList,
    apply_zero_shift,
    displacement_shift_deg,
    find_peaks,
    rebin,
    snip_background,
    strip_kalpha2,
)
from xrd.profiles import caglioti_fwhm_deg, pseudo_voigt, render_sticks
from xrd.readers import FORMATS, read_pattern
from xrd.quantify import (
    AbsorptionCheck,
    BrindleyCorrection,
    QuantitativeAnalysis,
    brindley_correction,
    brindley_tau,
    microabsorption_check,
    quantify_identified,
    quantify_phases,
    with_quantified_fractions,
)
from xrd.references import (
    ReferencePattern,
    builtin_references,
    cache_dir,
    check_candidate,
    cif_folder,
    database_candidates,
    database_references,
    load_structure,
    monochromator_polarization,
    reference_pattern,
)
from xrd.refinement import (
    PhaseResult,
    Refinement,
    bragg_two_theta_deg,
    d_spacing_angstrom,
    lattice_constraints,
    refine_phases,
)
from xrd.size import CrystalliteSize, crystallite_size
from xrd.synthetic import scales_for_weight_fractions, simulate_pattern

__all__ = [
    "AbsorptionCheck",
    "BrindleyCorrection",
    "CU_KALPHA1_ANGSTROM",
    "CU_KALPHA2_ANGSTROM",
    "FORMATS",
    "IMPURITIES",
    "CrystalliteSize",
    "IdentifiedPhase",
    "Pattern",
    "PeakList",
    "PhaseIdentification",
    "PhaseResult",
    "QuantitativeAnalysis",
    "ReferencePattern",
    "Refinement",
    "ScreenResult",
    "apply_zero_shift",
    "brindley_correction",
    "brindley_tau",
    "builtin_references",
    "cache_dir",
    "caglioti_fwhm_deg",
    "candidates_for_materials",
    "card_folder",
    "check_candidate",
    "cif_folder",
    "crystallite_size",
    "bragg_two_theta_deg",
    "d_spacing_angstrom",
    "database_candidates",
    "database_references",
    "displacement_shift_deg",
    "find_peaks",
    "identify_phases",
    "lattice_constraints",
    "load_structure",
    "make_pattern",
    "microabsorption_check",
    "monochromator_polarization",
    "pseudo_voigt",
    "quantify_identified",
    "quantify_phases",
    "with_quantified_fractions",
    "read_pattern",
    "read_card",
    "rebin",
    "reference_intensity_ratio",
    "reference_pattern",
    "refine_phases",
    "render_sticks",
    "scales_for_weight_fractions",
    "screen_candidates",
    "simulate_pattern",
    "snip_background",
    "strip_kalpha2",
    "write_card",
]
