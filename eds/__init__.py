"""eds: SEM/STEM energy-dispersive X-ray spectra and maps, electron images and interface contact."""

from .data import EDSData, ElectronImage, add_scale_bar
from .io import READERS, read_eds, read_image

__all__ = ["EDSData", "ElectronImage", "READERS", "add_scale_bar", "read_eds", "read_image"]
