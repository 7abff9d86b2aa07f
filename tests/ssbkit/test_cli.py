"""The ssbkit command: validate, report (with a failing analysis), demo, --version."""

import textwrap

import pytest

import ssbkit
from ssbkit.cli import main
from ssbkit.report import registry
from ssbkit.report.registry import Quantity, Section, SectionSpec

MANIFEST = """
[study]
name = "cli"

[[samples]]
id = "LCO"
cathode = {material = "LiCoO2"}

[[samples]]
id = "BTO2-LCO"
cathode = {material = "LiCoO2"}
coating = {material = "BaTiO3", amount = 2, unit = "at%"}

[[measurements]]
sample = "LCO"
technique = "xas"
file = "good.dat"
label = "good"

[[measurements]]
sample = "BTO2-LCO"
technique = "xas"
file = "bad.dat"
label = "bad"
"""


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert ssbkit.__version__ in capsys.readouterr().out


def test_validate_lists_every_problem(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(
        textwrap.dedent(
            """
            [study]
            name = "bad"
            [[samples]]
            id = "A"
            coating = {material = "BaTiO3", amount = 2, unit = "mol%"}
            [[measurements]]
            sample = "B"
            technique = "eis"
            file = "nothing-here.z"
            """
        )
    )
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "key 'coating.unit'" in err
    assert "key 'sample': unknown sample id 'B'" in err
    assert "key 'file': file not found" in err


def _fake_spec(build, probe=None):
    """A stand-in "xas" declaration: one file, no parameters."""
    return SectionSpec("xas", build, (), 1, 1, "a number", None, probe)


def _probe(files, parameters):
    int(files[0].read_text())


def test_validate_ok(tmp_path, capsys, monkeypatch):
    registry._load_sections()
    monkeypatch.setitem(registry._SPECS, "xas", _fake_spec(_fake_xas, _probe))
    (tmp_path / "good.dat").write_text("1\n")
    (tmp_path / "bad.dat").write_text("2\n")
    path = tmp_path / "study.toml"
    path.write_text(MANIFEST)
    assert main(["validate", str(path)]) == 0
    assert "2 samples, 2 measurements" in capsys.readouterr().out


def _fake_xas(inp):
    """A stand-in analysis: reads an integer from the file, fails on anything else."""
    value = int(inp.files[0].read_text())
    if value != 1:
        raise ValueError(f"{inp.files[0].name}: corrupt")
    return Section(technique="xas", title="fake", quantities=(Quantity("x", 1.0, "eV"),), summary={"x_ev": 1.0})


def test_report_marks_failed_section_and_exits_nonzero(tmp_path, capsys, monkeypatch):
    registry._load_sections()
    monkeypatch.setitem(registry._SPECS, "xas", _fake_spec(_fake_xas))
    monkeypatch.setitem(registry._COMPARISONS, "xas", lambda items, d, p: None)
    (tmp_path / "good.dat").write_text("1\n")
    (tmp_path / "bad.dat").write_text("2\n")
    path = tmp_path / "study.toml"
    path.write_text(MANIFEST)
    out = tmp_path / "report"
    assert main(["--quiet", "report", str(path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "bad (xas)" in err and "corrupt" in err
    assert "Analysis failed" in (out / "BTO2-LCO.html").read_text()
    assert "Analysis failed" not in (out / "LCO.html").read_text()
    summary = (out / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("sample,measurement,technique,status,reasons,error")
    assert len(summary) == 3


def test_report_refuses_bad_manifest(tmp_path, capsys):
    path = tmp_path / "study.toml"
    path.write_text("[study]\n")
    assert main(["report", str(path), "--out", str(tmp_path / "o")]) == 1
    assert "study.name" in capsys.readouterr().err


def test_analyze_api_and_comparison_page(tmp_path, monkeypatch):
    """Two samples of one coating series: the comparison builder gets both, in coating order."""
    registry._load_sections()
    seen = []

    def compare(items, figure_dir, prefix):
        seen.append([sample.id for sample, _ in items])
        return Section(technique="xas", title="xas across the series", quantities=(Quantity("n", len(items)),))

    monkeypatch.setitem(registry._SPECS, "xas", _fake_spec(_fake_xas))
    monkeypatch.setitem(registry._COMPARISONS, "xas", compare)
    (tmp_path / "good.dat").write_text("1\n")
    (tmp_path / "bad.dat").write_text("1\n")
    path = tmp_path / "study.toml"
    path.write_text(MANIFEST)
    study = ssbkit.Study.load(path)
    results = ssbkit.analyze(study, figure_dir=tmp_path / "r", progress=False)
    assert results.failed == ()
    assert "x_ev" in results._repr_html_() and "cli" in study._repr_html_()
    ssbkit.write_report(results, tmp_path / "r")
    assert seen[-1] == ["LCO", "BTO2-LCO"]
    assert "xas across the series" in (tmp_path / "r" / "comparison.html").read_text()
    assert "x_ev" in (tmp_path / "r" / "summary.json").read_text()


def test_one_absurd_sample_fails_alone_in_the_report(tmp_path, capsys, shared_data):
    """Issue 17: a sample with diameter_cm = 1e308 (area overflows to inf) fails its own EIS section;
    validate names it, and the report still has its overview and the other sample's section."""
    eis = shared_data / "echem/eis/pyimpspec__data.mpt"
    manifest = tmp_path / "study.toml"
    manifest.write_text(textwrap.dedent(f"""
        [study]
        name = "absurd"
        [[samples]]
        id = "good"
        cell = {{kind = "symmetric-pellet", diameter_cm = 1.0, thickness_cm = 0.1}}
        [[samples]]
        id = "absurd"
        cell = {{kind = "symmetric-pellet", diameter_cm = 1e308, thickness_cm = 0.1}}
        [[measurements]]
        sample = "good"
        technique = "eis"
        file = "{eis}"
        label = "good pellet"
        [[measurements]]
        sample = "absurd"
        technique = "eis"
        file = "{eis}"
        label = "absurd pellet"
        """))
    assert main(["validate", str(manifest)]) == 1
    assert "(absurd pellet, sample absurd, eis): parameter 'area_cm2' from the sample" in capsys.readouterr().err
    out = tmp_path / "report"
    assert main(["--quiet", "report", str(manifest), "--out", str(out)]) == 1
    assert "absurd pellet (eis)" in capsys.readouterr().err
    assert "good pellet" in (out / "index.html").read_text()
    assert "Analysis failed" not in (out / "good.html").read_text()
    assert "must be a finite number, got inf" in (out / "absurd.html").read_text()
