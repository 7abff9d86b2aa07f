"""eds: SEM/STEM energy-dispersive X-ray spectra and maps, electron images and interface contact."""

from .data import EDSData, ElectronImage, add_scale_bar
from .io import READERS, read_eds, read_image
from .lines import (
    EDSOverlapWarning,
    LineIntensities,
    Overlap,
    detector_fwhm_kev,
    find_overlaps,
    line_energy_kev,
    line_intensity,
)

__all__ = [
    "EDSData",
    "EDSOverlapWarning",
    "ElectronImage",
    "LineIntensities",
    "Overlap",
    "READERS",
    "add_scale_bar",
    "detector_fwhm_kev",
    "find_overlaps",
    "line_energy_kev",
    "line_intensity",
    "read_eds",
    "read_image",
]
