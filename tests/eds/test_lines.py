"""Line energies, windows, net intensities with Poisson errors, binning and overlap warnings."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eds
from eds.lines import EDSOverlapWarning

# exspy 0.3.2 (hyperspy 2.5.0, rosettasciio 0.15.0), run in a separate environment on
# rsciio_bruker_30x30_instructively_packed_16bit_compressed.bcf:
#   s = hs.load(f, select_type="spectrum_image"); bw = s.estimate_background_windows(xray_lines=lines)
#   s.get_lines_intensity(xray_lines=lines, background_windows=bw)  -> sum over the map, pixel [15, 20]
EXSPY_0_3_2 = {
    "Fe_Ka": (1026856.0, 1349.0), "Ca_Ka": (648603.0, 18.0), "Ti_Ka": (696658.0, 86.0),
    "Si_Ka": (1867644.0666666667, 2046.2), "P_Ka": (70248.13333333333, -24.6),
    "Al_Ka": (877112.0666666667, 1382.1333333333332), "Mg_Ka": (261513.0, 698.0),
    "Ce_La": (59474.21739130435, 20.913043478260875), "O_Ka": (1715240.3636363638, 2608.818181818182),
}
# Nd_La was in the same exspy call (its background windows merge with Ce_La's): net -15133.6 of 101636 gross
# counts; xraydb's Nd Lα1 moves the window edge by one channel, so it is compared against the gross counts
EXSPY_ND_LA = (-15133.565217391297, 101636.0)


def test_line_energies_from_xraydb():
    # xraydb 4.5 (Elam et al. 2002): Co Kα1 6930.9 eV, S Kα1 2309.5 eV, Ba Mα 780.5 eV
    assert eds.line_energy_kev("Co_Ka") == pytest.approx(6.9309, abs=1e-4)
    assert eds.line_energy_kev("S_Ka") == pytest.approx(2.3095, abs=1e-4)
    assert eds.line_energy_kev("Ba_Ma") == pytest.approx(0.7805, abs=1e-4)
    with pytest.raises(ValueError, match="Co_Q"):
        eds.line_energy_kev("Co_Q")
    with pytest.raises(ValueError, match="Element_line"):
        eds.line_energy_kev("CoKa")


def test_detector_fwhm_is_the_reference_at_mn_ka():
    # Fiori & Newbury form: FWHM(E_MnKα) = FWHM_MnKα exactly; √(2.5·(6930.9−5896.5)+130²) at Co Kα
    assert eds.detector_fwhm_kev(eds.lines._mn_ka_kev(), 130.0) == pytest.approx(0.130)
    assert eds.detector_fwhm_kev(6.9309, 130.0) == pytest.approx(np.sqrt(2.5 * (6930.9 - 5896.5) + 130**2) / 1e3,
                                                                 rel=1e-4)


def test_matches_exspy_on_the_bruker_map(shared_data):
    d = eds.read_eds(shared_data / "eds" / "rsciio_bruker_30x30_instructively_packed_16bit_compressed.bcf")
    lines = list(EXSPY_0_3_2) + ["Nd_La"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EDSOverlapWarning)
        r = eds.line_intensity(d, lines)
    assert r.map("Nd_La").sum() == pytest.approx(EXSPY_ND_LA[0], abs=0.01 * EXSPY_ND_LA[1])
    for line, (total, pixel) in EXSPY_0_3_2.items():
        assert r.map(line).sum() == pytest.approx(total, rel=0.01), line  # acceptance: within 1 %
        assert r.map(line)[15, 20] == pytest.approx(pixel, abs=max(0.01 * abs(pixel), 1.0)), line
    assert json.dumps(r.summary())


def test_poisson_error_of_net_counts_matches_the_scatter():
    # synthetic: flat background 50 counts/channel + a Gaussian Co Kα of 400 counts, 4000 Poisson draws
    rng = np.random.default_rng(0)
    e = np.arange(1024) * 0.01
    fwhm = eds.detector_fwhm_kev(6.9309)
    mean = 50 + 400 * 0.01 / (fwhm / 2.3548 * np.sqrt(2 * np.pi)) * np.exp(
        -0.5 * ((e - 6.9309) / (fwhm / 2.3548)) ** 2)
    counts = rng.poisson(mean, size=(4000, e.size))
    r = eds.line_intensity(eds.EDSData(counts, e), "Co_Ka")
    net = r.map("Co_Ka")
    assert net.mean() == pytest.approx(400 * 0.98, rel=0.02)  # ±1 FWHM window holds 98 % of the line
    assert net.std() == pytest.approx(r.sigma("Co_Ka").mean(), rel=0.05)


def test_binning_sums_counts_and_scales_pixel():
    rng = np.random.default_rng(1)
    e = np.arange(512) * 0.02
    counts = rng.poisson(5.0, size=(8, 6, 512))
    d = eds.EDSData(counts, e, pixel_size_nm=10.0)
    r1 = eds.line_intensity(d, ["S_Ka"], background=False)
    r2 = eds.line_intensity(d, ["S_Ka"], background=False, binning=2)
    assert r2.map("S_Ka").shape == (4, 3) and r2.pixel_size_nm == 20.0
    assert r2.map("S_Ka").sum() == r1.map("S_Ka").sum()
    with pytest.raises(ValueError, match="binning"):
        eds.line_intensity(d, ["S_Ka"], binning=0)


def test_lazy_map_gives_the_same_numbers():
    import dask.array as da

    rng = np.random.default_rng(2)
    counts = rng.poisson(3.0, size=(10, 12, 700)).astype(np.uint16)
    e = np.arange(700) * 0.0125
    eager = eds.line_intensity(eds.EDSData(counts, e), ["Co_Ka", "S_Ka"], warn=False)
    lazy = eds.line_intensity(eds.EDSData(da.from_array(counts, chunks=(5, 6, 700)), e), ["Co_Ka", "S_Ka"],
                              warn=False)
    assert np.array_equal(eager.net_counts, lazy.net_counts)


@pytest.mark.parametrize("line, present, other, advice", [
    ("Co_La", ["Ba"], "Ba_Ma", "Co_Ka"),
    ("Ba_La", ["Ti"], "Ti_Ka", "Ba_Lg1"),
    ("S_Ka", ["Mo"], "Mo_La", "Mo_Ka"),
    ("P_Ka", ["Zr"], "Zr_La", "Zr_Ka"),
    ("P_Ka", ["Au"], "Au_Ma", "carbon"),
])
def test_study_overlaps_warn_with_remedies(line, present, other, advice):
    # PHYSICS.md, eds: the study's overlapping pairs
    e = np.arange(2048) * 0.01
    d = eds.EDSData(np.ones((2, 2, 2048)), e, beam_energy_kev=20.0, elements=present)
    with pytest.warns(EDSOverlapWarning, match=advice):
        r = eds.line_intensity(d, [line])
    assert other in [o.other for o in r.overlaps]


def test_no_overlap_warning_for_co_ka_and_s_ka_in_lco_lpscl():
    e = np.arange(2048) * 0.01
    d = eds.EDSData(np.ones((2, 2, 2048)), e, beam_energy_kev=15.0, elements=["Li", "Co", "O", "P", "S", "Cl"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", EDSOverlapWarning)
        r = eds.line_intensity(d, ["Co_Ka", "S_Ka"])
    assert r.overlaps == ()


def test_matches_exspy_on_the_lazy_jeol_map(shared_data):
    # exspy 0.3.2 / hyperspy 2.5.0 (separate environment, benchmarks/bench_eds.py): hs.load(pts, lazy=True),
    # EDS_TEM, energy_resolution_MnKa = 130, get_lines_intensity with estimate_background_windows: map totals
    exspy_totals = {"C_Ka": 48562.0, "O_Ka": 2893.0, "S_Ka": 38389.0, "Fe_Ka": 42637.0, "Cu_Ka": 23377.0}
    d = eds.read_eds(shared_data / "eds" / "rsciio_jeol_Sample" / "00_View000" / "View000_0000006.pts", lazy=True)
    r = eds.line_intensity(d, list(exspy_totals), warn=False, resolution_ev=130.0)
    for line, total in exspy_totals.items():
        assert r.map(line).sum() == pytest.approx(total, rel=0.01), line


@settings(max_examples=30, deadline=None)
@given(level=st.floats(0.0, 1e4), scale=st.sampled_from([0.005, 0.01, 0.02]),
       line=st.sampled_from(["Co_Ka", "S_Ka", "P_Ka", "Cl_Ka", "O_Ka", "Co_La"]))
def test_a_flat_background_is_removed_exactly(level, scale, line):
    # invariant: N = S − c(B₁ + B₂) with c = w / (w₁ + w₂) cancels any constant per-channel level
    e = np.arange(int(10.0 / scale)) * scale
    flat = eds.EDSData(np.full(e.size, level), e)
    r = eds.line_intensity(flat, line, warn=False)
    assert r.net_counts[0] == pytest.approx(0.0, abs=1e-9 * max(level, 1.0) * e.size)


def test_lazy_line_maps_stay_within_a_fraction_of_the_map():
    import tracemalloc

    import dask
    import dask.array as da

    counts = da.full((256, 256, 2048), 3, dtype=np.uint16, chunks=(16, 256, 2048))  # 256 MiB if loaded
    data = eds.EDSData(counts, np.arange(2048) * 0.01, pixel_size_nm=10.0)
    tracemalloc.start()
    with dask.config.set(scheduler="threads", num_workers=2):
        r = eds.line_intensity(data, ["Co_Ka", "S_Ka"], warn=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert np.allclose(r.net_counts, 0.0)  # flat counts: nothing above background
    assert peak < counts.nbytes / 4, f"peak traced memory {peak / 2**20:.0f} MiB"
