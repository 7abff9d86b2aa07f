"""Issue 17 regressions for the powder-pattern readers: directories, size and zip bombs, corrupt archives.

Every case raises a FormatError naming the file — never FileNotFoundError for an existing path, a
MemoryError, or a raw zlib/zipfile exception.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest

from ssbkit._shared import limits
from ssbkit.errors import FormatError
from xrd import read_pattern
from xrd.pattern import make_pattern

RASX = "xrd/dara_RM20220915Si01.rasx"


def _rebuild(source, target, *, pad: int = 0):
    """Copy the zip ``source`` to ``target``, padding its profile member with ``pad`` newlines."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            data = original.read(info)
            if pad and "Profile" in info.filename and info.filename.endswith(".txt"):
                data += b"\n" * pad
            copy.writestr(info.filename, data)
    return target


def test_a_directory_is_a_format_error_not_no_such_file(tmp_path):
    folder = tmp_path / "scan.xy"
    folder.mkdir()
    with pytest.raises(FormatError, match="is a directory"):
        read_pattern(folder)
    with pytest.raises(FormatError, match="is a directory"):
        read_pattern(tmp_path)


def test_a_sparse_20_gib_xy_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.xy"
    path.write_text("10 1\n10.02 2\n")
    os.truncate(path, 20 * 2**30)
    with pytest.raises(FormatError, match=r"20480\.0 MiB, above the reader limit") as info:
        read_pattern(path)
    assert "big.xy" in str(info.value)


def test_a_rasx_padded_by_400_mib_is_refused_from_its_directory(shared_data, tmp_path):
    padded = _rebuild(shared_data / RASX, tmp_path / "padded.rasx", pad=400 * 2**20)
    assert padded.stat().st_size < 2 * 2**20  # newlines deflate ~1000:1: a small file, a big inflation
    with pytest.raises(FormatError, match=r"inflates to 400\.\d MiB, above the limit") as info:
        read_pattern(padded)
    assert "padded.rasx" in str(info.value)


def test_the_rebuilt_rasx_still_reads_like_the_original(shared_data, tmp_path):
    # the control for the test above: rebuilding alone changes nothing
    copy = _rebuild(shared_data / RASX, tmp_path / "copy.rasx")
    a, b = read_pattern(shared_data / RASX), read_pattern(copy)
    np.testing.assert_array_equal(a.two_theta_deg, b.two_theta_deg)
    np.testing.assert_array_equal(a.intensity, b.intensity)


@pytest.mark.parametrize("seed", range(4))
def test_a_corrupt_rasx_is_a_format_error_naming_the_file(shared_data, tmp_path, seed):
    raw = bytearray((shared_data / RASX).read_bytes())
    rng = np.random.default_rng(seed)
    for index in rng.integers(200, len(raw) - 200, size=20):  # inside the deflated members
        raw[index] ^= 0xFF
    path = tmp_path / "corrupt.rasx"
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError) as info:  # was zlib.error / BadZipFile (CRC)
        read_pattern(path)
    assert "corrupt.rasx" in str(info.value)


def test_a_rasx_that_is_no_zip_is_a_format_error(tmp_path):
    path = tmp_path / "fake.rasx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(FormatError, match="zip"):
        read_pattern(path)


def test_a_brml_inflating_beyond_the_limit_is_refused(tmp_path):
    path = tmp_path / "bomb.brml"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Experiment0/RawData0.xml", b" " * (2 * 2**20))
    with limits.size_limits(max_uncompressed_bytes=2**20), pytest.raises(FormatError, match="inflates to 2.0 MiB"):
        read_pattern(path)


def test_the_file_size_limit_is_overridable(tmp_path):
    path = tmp_path / "small.xy"
    path.write_text("".join(f"{10 + 0.02 * i:.2f} {i + 1}\n" for i in range(20)))
    with limits.size_limits(max_file_bytes=64), pytest.raises(FormatError, match="reader limit"):
        read_pattern(path)
    assert read_pattern(path).intensity.size == 20


@pytest.mark.parametrize(("column", "value", "message"), [
    (1, "1e300", "intensity holds 1"),
    (2, "nan", "sigma holds 1"),
    (2, "inf", "sigma holds 1"),
])
def test_absurd_intensity_or_non_finite_sigma_is_refused(tmp_path, column, value, message):
    rows = [[f"{10 + 0.02 * i:.2f}", str(i + 1), "1.0"] for i in range(20)]
    rows[5][column] = value
    path = tmp_path / "p.xye"
    path.write_text("".join(" ".join(r) + "\n" for r in rows))
    with pytest.raises(FormatError, match=message):
        read_pattern(path)


def test_implausible_kalpha2_is_refused():
    x = np.linspace(10, 20, 20)
    with pytest.raises(FormatError, match="K-alpha2"):
        make_pattern(x, x, wavelength_angstrom=1.54, wavelength2_angstrom=float("inf"), kalpha2_ratio=0.5)
    fine = make_pattern(x, x, wavelength_angstrom=1.54, wavelength2_angstrom=1.544, kalpha2_ratio=0.5)
    assert fine.kalpha2_ratio == 0.5




# --- stick-list cards (xrd.cards.read_card) --------------------------------------------------------

_CARD = ("# name: LiCoO2 lab card\n# formula: LiCoO2\n# cell: 2.8156 2.8156 14.0542 90 90 120\n# rir: 4.9\n"
         "# wavelength: 1.5406\ntwo_theta_deg, intensity, h, k, l\n18.94, 100, 0, 0, 3\n37.43, 40, 1, 0, 1\n"
         "45.27, 60, 1, 0, 4\n")


def test_a_card_directory_is_a_format_error(tmp_path):
    from xrd.cards import read_card

    folder = tmp_path / "lco.card"
    folder.mkdir()
    with pytest.raises(FormatError, match="is a directory"):
        read_card(folder)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("37.43, 40,", "37.43, inf,", "intensity holds 1"),  # was returned as an infinite stick
    ("37.43, 40,", "37.43, nan,", "intensity holds 1"),
    ("14.0542", "1e400", "cell parameters holds 1"),  # was an infinite cell
    ("# rir: 4.9", "# rir: nan", r"RIR \(I/Ic\) holds 1"),
])
def test_a_damaged_card_is_a_format_error(tmp_path, old, new, message):
    from xrd.cards import read_card

    path = tmp_path / "lco.card"
    assert old in _CARD
    path.write_text(_CARD.replace(old, new))
    with pytest.raises(FormatError, match=message) as info:
        read_card(path)
    assert "lco.card" in str(info.value)
    path.write_text(_CARD)  # the control: the undamaged card reads
    assert read_card(path).intensity.size == 3


def test_a_damaged_jcpds_number_is_a_format_error(tmp_path):
    from xrd import reference_pattern
    from xrd.cards import read_card, write_card

    path = write_card(reference_pattern("LiCoO2", two_theta_range=(10, 90)), tmp_path / "lco.jcpds")
    text = path.read_text()
    assert "\nA: 2.81560\n" in text
    path.write_text(text.replace("\nA: 2.81560\n", "\nA: 2.8x560\n"))
    with pytest.raises(FormatError, match="cannot read as a .jcpds card") as info:  # was a bare ValueError
        read_card(path)
    assert "lco.jcpds" in str(info.value)
