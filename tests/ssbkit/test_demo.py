"""The embedded demo study: deterministic generation and the end-to-end report."""

import hashlib
import re
from pathlib import Path

import pandas as pd

from ssbkit.demo import DEMO_SAMPLES, write_demo_study
from ssbkit.study import Study


def _digests(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_demo_generation_is_deterministic(tmp_path):
    first = write_demo_study(tmp_path / "a", seed=3)
    second = write_demo_study(tmp_path / "b", seed=3)
    assert _digests(first.parent) == _digests(second.parent)
    study = Study.load(first)
    assert {s.id for s in study.samples} == {"LCO", "BTO2-LCO", "BTO5-LCO", "BTO8-LCO", "LPSCl"}
    assert [len(series) for series in study.coating_series()] == [4]


def test_demo_end_to_end(demo_report):
    out, status = demo_report
    assert status == 0
    assert (out / "index.html").is_file()
    for sample in DEMO_SAMPLES:
        page = (out / f"{sample.id}.html").read_text()
        for src in re.findall(r'<img src="([^"]+)"', page):
            assert (out / src).is_file(), f"{sample.id}.html names a missing figure {src}"
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["status"]) == {"ok"}
    assert set(summary["sample"]) == {s.id for s in DEMO_SAMPLES}
    # the reference study's techniques are all there, and every section shows a figure
    assert set(summary["technique"]) == {"eis", "cycling", "iv", "xrd", "xas", "eels", "dpc", "eds", "image"}
    for page in [*(out / f"{s.id}.html" for s in DEMO_SAMPLES), out / "comparison.html"]:
        sections = page.read_text().split('<section class="technique"')[1:]
        assert sections, page.name
        for block in sections:
            assert "<img " in block, f"{page.name}: a section without a figure: {block[:120]}"
    comparison = (out / "comparison.html").read_text()
    for technique in ("cycling", "iv", "xrd", "xas", "eels", "dpc", "eds"):
        assert f"<small>({technique})</small>" in comparison, technique


def _demo_copy_and_lco_xas(demo_report, tmp_path):
    """A copy of the demo study, the study, and LCO's first XAS measurement in the copy (to alter)."""
    import shutil

    out, _ = demo_report
    data = tmp_path / "data"
    shutil.copytree(out / "data", data)
    study = Study.load(data / "study.toml")
    return data, study, study.measurements(sample="LCO", technique="xas")[0]


def test_one_corrupt_file_fails_only_its_section(demo_report, tmp_path, capsys):
    """Issue 9 acceptance: one corrupt file -> that section marked failed, every other present."""
    from ssbkit.cli import main

    data, study, victim = _demo_copy_and_lco_xas(demo_report, tmp_path)
    path = victim.paths[0]
    path.write_bytes(path.read_bytes()[:300])  # truncated mid-header
    report = tmp_path / "report"
    assert main(["--quiet", "report", str(data / "study.toml"), "--out", str(report)]) == 1
    assert victim.label in capsys.readouterr().err
    summary = pd.read_csv(report / "summary.csv")
    failed = summary[summary["status"] == "failed"]
    assert list(failed["measurement"]) == [victim.label]
    assert len(summary) == len(study.all_measurements)
    assert "Analysis failed" in (report / "LCO.html").read_text()


def test_analysis_warnings_are_shown_on_the_page(demo_report, tmp_path):
    """A warning raised while a measurement is analysed appears in its section, which still succeeds."""
    from ssbkit.cli import main

    data, _, victim = _demo_copy_and_lco_xas(demo_report, tmp_path)
    path = victim.paths[0]
    lines = path.read_text().splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    lines[first], lines[first + 1] = lines[first + 1], lines[first]  # two energies out of order
    path.write_text("".join(lines))
    report = tmp_path / "report"
    assert main(["--quiet", "report", str(data / "study.toml"), "--out", str(report)]) == 0
    page = (report / "LCO.html").read_text()
    assert "Read with care:" in page and "not monotonic; sorted them" in page
    assert "Analysis failed" not in page
