"""eds: SEM/STEM energy-dispersive X-ray spectra and maps, electron images and interface contact.

Readers (through rosettasciio): :func:`read_eds` → :class:`EDSData` (counts with the energy
axis last, lazy for large maps, with the electron images acquired with them) and
:func:`read_image` → :class:`ElectronImage`. Analysis: :func:`line_intensity` (net counts per
pixel with exspy-equivalent background windows, Poisson errors, binning, overlap warnings),
:func:`cliff_lorimer` (composition with stated k-factors), :func:`interface_contact` (contact
fraction, voids and the Co → S transition width of a cathode | electrolyte interface) and
:func:`kanaya_okayama_range_nm`. :func:`simulate_interface_map` builds a map from a known truth.

Examples
--------
>>> import eds
>>> truth = eds.simulate_interface_map((64, 64), angle_deg=30, pore_fraction=0.0, seed=0)
>>> result = eds.interface_contact(truth.data)
>>> round(result.contact_fraction, 2), result.width_is_upper_bound
(1.0, True)
"""

from .contact import InterfaceContact, interface_contact, kanaya_okayama_range_nm
from .data import EDSData, ElectronImage, add_scale_bar
from .io import READERS, read_eds, read_image, write_eds, write_image
from .lines import (
    EDSOverlapWarning,
    LineIntensities,
    Overlap,
    detector_fwhm_kev,
    find_overlaps,
    line_energy_kev,
    line_intensity,
)
from .quant import Composition, cliff_lorimer
from .synthetic import SyntheticInterface, simulate_interface_map

__all__ = [
    "Composition",
    "EDSData",
    "EDSOverlapWarning",
    "ElectronImage",
    "InterfaceContact",
    "LineIntensities",
    "Overlap",
    "READERS",
    "SyntheticInterface",
    "add_scale_bar",
    "cliff_lorimer",
    "detector_fwhm_kev",
    "find_overlaps",
    "interface_contact",
    "kanaya_okayama_range_nm",
    "line_energy_kev",
    "line_intensity",
    "read_eds",
    "read_image",
    "simulate_interface_map",
    "write_eds",
    "write_image",
]
