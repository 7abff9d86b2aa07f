"""stem: DPC-STEM — deflection from segmented detectors and 4D-STEM, electric field,
net field under bias, charge density, projected potential, interface profiles and a
1D electrostatic model of a cathode | coating | electrolyte interface.

Conventions (PHYSICS.md, stem): 4D arrays are (scan_y, scan_x, detector_y,
detector_x); x is the last axis of each pair; vectors are (x, y) in array
coordinates.
"""

from .bias_series import BiasSeries, bias_series
from .calibration import (
    BrightFieldDisk,
    ScanRotation,
    bright_field_disk,
    find_scan_rotation,
)
from .charge import ChargeMap, PotentialMap, charge_density, projected_potential
from .com import CenterOfMass, center_of_mass
from .constants import pv_over_e_volt
from .deflection import (
    Deflection,
    segment_deflection,
    segment_factor,
    subtract_background,
)
from .field import FieldMap, electric_field, net_field
from .interface_model import InterfaceModel, simulate_interface
from .profile import (
    InterfaceCharge,
    Profile,
    SpaceChargeWidth,
    interface_profile,
    net_charge_per_area,
    space_charge_layer_width,
)
from .readers import FourDSTEM, SegmentImages, lazy_memmap, read_4dstem, read_segments
from .registration import Registration, register_images, shift_image
from .synthetic import (
    SegmentSignals,
    deflection_from_field,
    simulate_4dstem,
    simulate_segments,
)

__all__ = [
    "BiasSeries",
    "BrightFieldDisk",
    "CenterOfMass",
    "ChargeMap",
    "Deflection",
    "FieldMap",
    "FourDSTEM",
    "InterfaceCharge",
    "InterfaceModel",
    "PotentialMap",
    "Profile",
    "Registration",
    "ScanRotation",
    "SegmentImages",
    "SegmentSignals",
    "SpaceChargeWidth",
    "bias_series",
    "bright_field_disk",
    "center_of_mass",
    "charge_density",
    "deflection_from_field",
    "electric_field",
    "find_scan_rotation",
    "interface_profile",
    "lazy_memmap",
    "net_charge_per_area",
    "net_field",
    "projected_potential",
    "pv_over_e_volt",
    "read_4dstem",
    "read_segments",
    "register_images",
    "segment_deflection",
    "segment_factor",
    "shift_image",
    "simulate_4dstem",
    "simulate_interface",
    "simulate_segments",
    "space_charge_layer_width",
    "subtract_background",
]
from .images import STEMImage, read_image; __all__ += ["STEMImage", "read_image"]  # noqa: E402,E702
