"""A DPC-STEM bias series analysed as a whole: net field, net charge and space-charge width per bias.

:func:`bias_series` takes the deflection maps of one region scanned at several
biases (0 V among them), turns them into electric fields with one scan rotation,
subtracts the registered unbiased field from every biased one (the net field,
:func:`stem.net_field`), takes Gauss's law for the net charge density
(:func:`stem.charge_density`), and reads interface profiles, the net charge per
area on the electrolyte side and the electrolyte space-charge-layer width from
them. The definitions follow PHYSICS.md (stem — DPC) and the reference study.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .calibration import find_scan_rotation
from .charge import ChargeMap, charge_density
from .deflection import Deflection
from .field import FieldMap, electric_field, net_field
from .profile import Profile, interface_profile, net_charge_per_area, space_charge_layer_width

__all__ = ["BiasSeries", "bias_series"]


@dataclass(frozen=True)
class BiasSeries:
    """Results of one DPC bias series; per-bias arrays run over the biased scans (bias ≠ 0).

    Parameters
    ----------
    bias_v : numpy.ndarray
        Biases of the biased scans, V.
    fields : tuple of FieldMap
        Field maps of every scan, unbiased included, in input order.
    all_bias_v : numpy.ndarray
        Bias of each entry of ``fields``, V.
    net_fields : tuple of FieldMap
        Biased minus registered unbiased field, per biased scan.
    charge_maps : tuple of ChargeMap
        Net charge density per biased scan.
    net_field_peak_v_per_m : numpy.ndarray
        Largest |net normal field| along the profile, V/m.
    net_charge_c_per_m2, net_charge_error_c_per_m2 : numpy.ndarray
        Net charge per interface area on the electrolyte side and its standard error, C/m².
    scl_width_nm : numpy.ndarray
        Electrolyte space-charge-layer width, nm (NaN when the field does not fall
        below the fraction within the profile).
    drift_px : numpy.ndarray, shape (n, 2)
        Registration shift (dy, dx) of each biased scan against the unbiased one, px.
    field_profiles, charge_profiles : tuple of Profile
        Interface profiles (cathode → electrolyte) of the net normal field and net charge density.
    interface_nm : float
        Distance along the profile of the cathode surface, nm.
    boundary_nm : float
        Where the electrolyte starts (``interface_nm`` + coating thickness), nm.
    interface_origin : str
        ``"given"`` or ``"peak of the net field at the highest bias"``.
    scan_rotation_deg : float
        Detector-to-scan rotation used, degrees.
    scan_flip : bool
        Whether the detector axes were flipped.
    relative_permittivity : float
        ε_r used in Gauss's law (1 gives the total charge).
    scl_fraction : float
        Fraction of the boundary field that defines the space-charge-layer edge.
    """

    bias_v: np.ndarray
    fields: tuple[FieldMap, ...]
    all_bias_v: np.ndarray
    net_fields: tuple[FieldMap, ...]
    charge_maps: tuple[ChargeMap, ...]
    net_field_peak_v_per_m: np.ndarray
    net_charge_c_per_m2: np.ndarray
    net_charge_error_c_per_m2: np.ndarray
    scl_width_nm: np.ndarray
    drift_px: np.ndarray
    field_profiles: tuple[Profile, ...]
    charge_profiles: tuple[Profile, ...]
    interface_nm: float
    boundary_nm: float
    interface_origin: str
    scan_rotation_deg: float
    scan_flip: bool
    relative_permittivity: float
    scl_fraction: float

    @property
    def top(self) -> int:
        """Index of the highest bias among the biased scans."""
        return int(np.argmax(self.bias_v))

    def summary(self) -> dict:
        """Flat, JSON-safe numbers, units in the keys (per bias and at the highest bias)."""
        top = self.top
        out = {
            "max_bias_v": float(self.bias_v[top]),
            "net_field_peak_at_max_bias_v_per_m": float(self.net_field_peak_v_per_m[top]),
            "net_charge_at_max_bias_c_per_m2": float(self.net_charge_c_per_m2[top]),
            "net_charge_err_at_max_bias_c_per_m2": float(self.net_charge_error_c_per_m2[top]),
            "scl_width_at_max_bias_nm": float(self.scl_width_nm[top]),
            "max_drift_px": float(np.abs(self.drift_px).max()),
            "scan_rotation_deg": float(self.scan_rotation_deg),
            "interface_position_nm": float(self.interface_nm),
        }
        for b, peak, q in zip(self.bias_v, self.net_field_peak_v_per_m, self.net_charge_c_per_m2):
            out[f"net_field_peak_{b:g}V_v_per_m"] = float(peak)
            out[f"net_charge_{b:g}V_c_per_m2"] = float(q)
        return out

    def plot(self, ax=None):
        """Net charge (electrolyte side) and space-charge-layer width against bias.

        Parameters
        ----------
        ax : sequence of two matplotlib Axes, optional

        Returns
        -------
        numpy.ndarray of Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(1, 2, figsize=(10, 3.4))
        a1, a2 = ax
        a1.errorbar(self.bias_v, self.net_charge_c_per_m2, yerr=self.net_charge_error_c_per_m2, marker="o")
        a1.set_xlabel("bias (V)")
        a1.set_ylabel("net charge, electrolyte side (C/m²)")
        a2.plot(self.bias_v, self.scl_width_nm, "s-")
        a2.set_xlabel("bias (V)")
        a2.set_ylabel("space-charge-layer width (nm)")
        return np.asarray(ax)

    def report(self) -> str:
        """The summary as lines of text."""
        return "\n".join(f"{k}: {v}" for k, v in self.summary().items())


def _fields(deflections, *, beam_energy_kev, thickness_nm, scan_rotation_deg, scan_flip, field_direction_deg):
    if scan_rotation_deg is None:
        found = find_scan_rotation(deflections[-1], field_direction_deg=field_direction_deg)
        scan_rotation_deg, scan_flip = found.rotation_deg, found.flip
    fields = tuple(electric_field(d.rotated(rotation_deg=scan_rotation_deg, flip=scan_flip),
                                  beam_energy_kev=beam_energy_kev, thickness_nm=thickness_nm) for d in deflections)
    return fields, float(scan_rotation_deg), bool(scan_flip)


def bias_series(deflections: Sequence[Deflection], bias_v: Sequence[float], *, beam_energy_kev: float,
                thickness_nm: float, scan_rotation_deg: float | None = None, scan_flip: bool = False,
                field_direction_deg: float = 0.0, profile_start_px=None, profile_end_px=None,
                profile_width_px: float = 9, interface_position_nm: float | None = None,
                coating_thickness_nm: float = 0.0, relative_permittivity: float = 1.0,
                scl_fraction: float = 0.2, smoothing_px: float = 1.0) -> BiasSeries:
    """Analyse the DPC scans of one region under several biases.

    The net field of each biased scan is its field minus the registered
    unbiased field (:func:`stem.net_field`); the net charge density is
    ρ = ε0 ε_r ∇·E_net (Gauss's law, :func:`stem.charge_density`). Along the
    profile (cathode → electrolyte) the electrolyte space-charge-layer width is
    the distance from the electrolyte boundary to where the net normal field
    falls below ``scl_fraction`` of its value there
    (:func:`stem.space_charge_layer_width`), and the net charge per area is
    ∫ρ dx over the electrolyte from 2 ``smoothing_px`` beyond its boundary (past
    the blur of the polarisation sheet at the permittivity step) to the profile
    end (:func:`stem.net_charge_per_area`). References: Müller et al., Nat.
    Commun. 5, 5653 (2014), doi:10.1038/ncomms6653 (DPC field); Jackson,
    *Classical Electrodynamics*, 3rd ed. 1999, §1.3 (Gauss's law).

    Parameters
    ----------
    deflections : sequence of Deflection
        One deflection map per scan (:func:`stem.segment_deflection` or
        :func:`stem.center_of_mass`), same shape and pixel size.
    bias_v : sequence of float
        Bias of each scan, V; must contain 0 (the unbiased reference).
    beam_energy_kev : float
        Beam energy, keV.
    thickness_nm : float
        Specimen thickness, nm (the field is the projected field over it).
    scan_rotation_deg : float, optional
        Detector-to-scan rotation, degrees; found by minimal curl of the
        highest-bias scan when omitted (:func:`stem.find_scan_rotation`).
    scan_flip : bool
        Whether the detector axes are flipped (with a given rotation).
    field_direction_deg : float
        Expected field direction, resolving the 180° ambiguity of the curl search, degrees.
    profile_start_px, profile_end_px : (float, float), optional
        [y, x] ends of the interface profile, cathode → electrolyte; default the middle row.
    profile_width_px : float
        Width of the band averaged across the profile, px.
    interface_position_nm : float, optional
        Distance along the profile of the cathode surface, nm; default where the
        net field of the highest bias peaks.
    coating_thickness_nm : float
        Coating between cathode and electrolyte, nm; the electrolyte starts that much further on.
    relative_permittivity : float
        ε_r in Gauss's law (1: total charge).
    scl_fraction : float
        Fraction (0-1) of the boundary field that defines the layer edge (0.2 as in the study).
    smoothing_px : float
        Gaussian smoothing of the divergence, px.

    Returns
    -------
    BiasSeries

    Raises
    ------
    ValueError
        When the counts differ, 0 V is missing, there is no biased scan, or a number is out of range.
    """
    biases = [float(b) for b in bias_v]
    if len(biases) != len(deflections):
        raise ValueError(f"bias_v has {len(biases)} values for {len(deflections)} deflection maps; give one per map")
    if 0.0 not in biases or len(biases) < 2:
        raise ValueError(f"bias_v={biases!r} must contain 0 V (the unbiased reference) and at least one other bias")
    if not (beam_energy_kev > 0 and thickness_nm > 0 and relative_permittivity > 0 and 0 < scl_fraction < 1):
        raise ValueError("beam_energy_kev, thickness_nm and relative_permittivity must be > 0 and scl_fraction in (0, 1); "
                         f"got {beam_energy_kev!r}, {thickness_nm!r}, {relative_permittivity!r}, {scl_fraction!r}")
    fields, rotation, flip = _fields(list(deflections), beam_energy_kev=beam_energy_kev, thickness_nm=thickness_nm,
                                     scan_rotation_deg=scan_rotation_deg, scan_flip=scan_flip,
                                     field_direction_deg=field_direction_deg)
    ref = fields[biases.index(0.0)]
    ny, nx = ref.ex_v_per_m.shape
    start = tuple(profile_start_px) if profile_start_px is not None else (ny / 2, 0)
    end = tuple(profile_end_px) if profile_end_px is not None else (ny / 2, nx - 1)
    biased = [(b, f) for b, f in zip(biases, fields) if b != 0.0]
    nets = tuple(net_field(f, ref) for _, f in biased)
    fprofs = tuple(interface_profile(net, start=start, end=end, width_px=profile_width_px) for net in nets)
    if interface_position_nm is None:
        top_profile = fprofs[int(np.argmax([b for b, _ in biased]))]
        interface_nm = float(top_profile.distance_nm[np.argmax(np.abs(top_profile.value))])
        origin = "peak of the net field at the highest bias"
    else:
        interface_nm, origin = float(interface_position_nm), "given"
    boundary_nm = interface_nm + float(coating_thickness_nm)
    rhos, rprofs, widths, charges = [], [], [], []
    for net, fprof in zip(nets, fprofs):
        rho = charge_density(net, relative_permittivity=relative_permittivity, smoothing_px=smoothing_px)
        rprof = interface_profile(rho, start=start, end=end, width_px=profile_width_px)
        widths.append(space_charge_layer_width(fprof, fraction=scl_fraction, side="after", start_nm=boundary_nm).width_nm)
        charges.append(net_charge_per_area(rprof, start_nm=boundary_nm + 2.0 * smoothing_px * ref.pixel_size_nm))
        rhos.append(rho)
        rprofs.append(rprof)
    return BiasSeries(
        bias_v=np.array([b for b, _ in biased]), fields=fields, all_bias_v=np.array(biases), net_fields=nets,
        charge_maps=tuple(rhos), net_field_peak_v_per_m=np.array([np.abs(fp.value).max() for fp in fprofs]),
        net_charge_c_per_m2=np.array([c.c_per_m2 for c in charges]),
        net_charge_error_c_per_m2=np.array([c.error_c_per_m2 for c in charges]), scl_width_nm=np.array(widths),
        drift_px=np.array([(n.registration.dy_px, n.registration.dx_px) for n in nets]), field_profiles=fprofs,
        charge_profiles=tuple(rprofs), interface_nm=interface_nm, boundary_nm=boundary_nm, interface_origin=origin,
        scan_rotation_deg=rotation, scan_flip=flip, relative_permittivity=float(relative_permittivity),
        scl_fraction=float(scl_fraction))
