"""Study manifests: loading, provenance, every problem reported, coating series."""

import hashlib
import textwrap

import pytest

from ssbkit.errors import MetadataError
from ssbkit.study import Study

SAMPLES = """
[[samples]]
id = "LCO"
cathode = {material = "LiCoO2", active_mass_mg = 10.0}
electrolyte = {material = "Li6PS5Cl"}
cell = {kind = "assb-pellet", diameter_cm = 1.0}

[[samples]]
id = "BTO2-LCO"
cathode = {material = "LiCoO2", active_mass_mg = 10.0}
coating = {material = "BaTiO3", amount = 2, unit = "at%"}
electrolyte = {material = "Li6PS5Cl"}
cell = {kind = "assb-pellet", diameter_cm = 1.0}

[[samples]]
id = "LPSCl"
electrolyte = {material = "Li6PS5Cl"}
cell = {kind = "symmetric-pellet", thickness_cm = 0.1, area_cm2 = 0.785}
"""


def write(tmp_path, body):
    (tmp_path / "a.txt").write_bytes(b"spectrum\n")
    (tmp_path / "b.txt").write_bytes(b"other\n")
    path = tmp_path / "study.toml"
    path.write_text('[study]\nname = "t"\n' + SAMPLES + textwrap.dedent(body))
    return path


def test_load_resolves_paths_and_records_provenance(tmp_path):
    path = write(
        tmp_path,
        """
        [[measurements]]
        sample = "LPSCl"
        technique = "eis"
        file = "a.txt"
        label = "pellet"
        [measurements.parameters]
        temperature_k = 298.15

        [[measurements]]
        sample = "LCO"
        technique = "dpc"
        file = ["a.txt", "b.txt"]
        [measurements.parameters]
        bias_v = [0, 1.5]
        beam_energy_kev = 200
        thickness_nm = 80
        convergence_semiangle_mrad = 1.2
        """,
    )
    study = Study.load(path)
    assert [s.id for s in study.samples] == ["LCO", "BTO2-LCO", "LPSCl"]
    eis = study.measurements(technique="eis")[0]
    assert eis.paths == ((tmp_path / "a.txt").resolve(),)
    assert eis.files[0].sha256 == hashlib.sha256(b"spectrum\n").hexdigest()
    assert eis.files[0].size_bytes == 9
    params, origins = study.parameters(eis)
    assert params["temperature_k"] == [298.15] and origins["temperature_k"] == "manifest"
    assert params["thickness_cm"] == 0.1 and params["area_cm2"] == 0.785
    assert origins["thickness_cm"] == origins["area_cm2"] == "sample"
    assert params["method"] == "fit" and origins["method"] == "default"
    dpc = study.measurements(sample="LCO")[0]
    assert len(dpc.files) == 2 and dpc.label == "LCO-dpc-2"


def test_all_problems_reported_together(tmp_path):
    path = write(
        tmp_path,
        """
        [[measurements]]
        sample = "NOPE"
        technique = "eis"
        file = "a.txt"

        [[measurements]]
        sample = "LCO"
        technique = "raman"
        file = "missing.csv"

        [[measurements]]
        sample = "LCO"
        file = "a.txt"
        """,
    )
    with pytest.raises(MetadataError) as info:
        Study.load(path)
    problems = "\n".join(info.value.problems)
    assert "measurements[0]: key 'sample': unknown sample id 'NOPE'" in problems
    assert "measurements[1]: key 'technique'" in problems
    assert "measurements[1]: key 'file': file not found" in problems
    assert "measurements[2]: key 'technique': missing" in problems
    assert len(info.value.problems) == 4


def test_duplicate_sample_and_bad_sample_reported(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        '[study]\nname = "x"\n[[samples]]\nid = "A"\n[[samples]]\nid = "A"\n'
        '[[samples]]\nid = "B"\ncoating = {material = "BaTiO3", amount = 1, unit = "ppm"}\n'
    )
    with pytest.raises(MetadataError) as info:
        Study.load(path)
    text = "\n".join(info.value.problems)
    assert "duplicate sample id 'A'" in text and "coating.unit" in text and "'B'" in text


def test_missing_study_name_and_bad_toml(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[study]\n[[samples]]\nid = "A"\n')
    with pytest.raises(MetadataError, match="study.name"):
        Study.load(path)
    path.write_text("[study\nname=")
    with pytest.raises(MetadataError, match="not valid TOML"):
        Study.load(path)
    with pytest.raises(MetadataError, match="not found"):
        Study.load(tmp_path / "absent.toml")


def test_coating_series(tmp_path):
    study = Study.load(write(tmp_path, ""))
    series = study.coating_series()
    assert [[s.id for s in group] for group in series] == [["LCO", "BTO2-LCO"]]


def test_manifest_is_not_modified(tmp_path):
    path = write(tmp_path, "")
    before = path.read_bytes()
    Study.load(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("measurement", "expected"),
    [
        ('label = ["a", "b"]', "key 'label': must be a non-empty string"),
        ('sample = ["LCO"]', "key 'sample': unknown sample id ['LCO']"),
        ('file = [[["a.txt"]]]', "key 'file': must be a path or a non-empty list of paths"),
        ("technique = 3", "key 'technique': unknown technique 3"),
        ('parameters = "x"', "key 'parameters': must be a table"),
        ('file = ["a\\u0000.txt", "b.txt"]', "key 'file': 'a\\x00.txt' cannot be resolved"),
        (f'file = ["{"a" * 300}", "b.txt"]', "key 'file': "),
    ],
)
def test_malformed_measurement_tables_are_named_not_tracebacks(tmp_path, measurement, expected):
    """Issue 17: hostile manifest values give MetadataError naming the key (were Python tracebacks)."""
    table = {"sample": 'sample = "LCO"', "technique": 'technique = "xas"', "file": 'file = ["a.txt", "b.txt"]',
             "parameters": ""}
    key = measurement.split(" =")[0]
    table[key] = measurement
    body = "\n[[measurements]]\n" + "\n".join(v for v in table.values() if v)
    path = write(tmp_path, body)
    with pytest.raises(MetadataError) as info:
        Study.load(path)
    assert any(expected in problem for problem in info.value.problems), info.value.problems


def test_an_absurd_diameter_is_refused_not_an_overflow(tmp_path):
    path = write(tmp_path, """
        [[measurements]]
        sample = "LCO"
        technique = "eis"
        file = "a.txt"
        [measurements.parameters]
        thickness_cm = 0.1
        """)
    text = path.read_text().replace("diameter_cm = 1.0", "diameter_cm = 1e308", 1)
    assert "1e308" in text
    path.write_text(text)
    with pytest.raises(MetadataError, match="'area_cm2' from the sample .*must be a finite number, got inf"):
        Study.load(path)
