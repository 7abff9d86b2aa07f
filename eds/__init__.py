"""eds: SEM/STEM energy-dispersive X-ray spectra and maps, electron images and interface contact."""

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
