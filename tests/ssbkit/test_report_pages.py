"""The demo report as a researcher reads it (issue 19) and a report folder that harms no file (issue 17)."""

from __future__ import annotations

import re
import struct

import pytest

from ssbkit.cli import main
from ssbkit.errors import ReportFolderError
from ssbkit.report.folder import OWNER_FILE, claim_folder, finish_folder, write_file
from ssbkit.report.html import page_names


def _png_width(path) -> int:
    """Width in pixels from the PNG IHDR chunk (bytes 16-20, big-endian; PNG spec §11.2.2)."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">I", header[16:20])[0]


def _pages(out):
    return {path.name: path.read_text(encoding="utf-8") for path in out.glob("*.html")}


def test_every_figure_has_a_wide_png_a_vector_copy_and_its_data(demo_report):
    out, _ = demo_report
    pages = _pages(out)
    images = {name for text in pages.values() for name in re.findall(r'<img src="([^"]+)"', text)}
    assert len(images) > 40
    for name in images:
        stem = name.rsplit(".", 1)[0]
        assert _png_width(out / name) >= 1000, name
        for companion in (f"{stem}.svg", f"{stem}.csv"):
            assert (out / companion).stat().st_size > 0, companion
            assert any(f'href="{companion}"' in text for text in pages.values()), f"{companion} not linked"


def test_figure_data_holds_the_plotted_numbers(demo_report):
    import pandas as pd

    out, _ = demo_report
    data = pd.read_csv(next(out.glob("LCO_galvanostatic*-first_cycle.csv")))
    assert list(data.columns) == ["panel", "series", "x", "y", "value"]
    # the first-cycle curves reach the charge capacity shown on the page (mAh/g), as the plot does
    summary = pd.read_csv(out / "summary.csv")
    lco = summary[(summary["sample"] == "LCO") & (summary["technique"] == "cycling")].iloc[0]
    assert data["x"].max() == pytest.approx(lco["first_charge_capacity_mah_g"], rel=1e-6)


def test_no_zero_uncertainty_and_no_raw_keys_as_labels(demo_report):
    out, _ = demo_report
    pages = _pages(out)
    for name, text in pages.items():
        assert "± 0<" not in text and "± 0.0<" not in text and "(0.0000)" not in text, name
        assert not re.search(r"± 0(\.0+)?(?![.\d])", text), name
    for name in ("index.html", "comparison.html"):
        cells = re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", pages[name])
        raw = [c for c in cells if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", c.strip())]
        assert raw == [], f"{name}: raw keys shown as labels: {raw[:5]}"


def test_overview_leads_with_the_headline_numbers(demo_report):
    out, _ = demo_report
    index = _pages(out)["index.html"]
    head = index.split("<h2>Samples</h2>")[0]
    assert "ionic conductivity σ [S/cm]" in head
    assert "1st-cycle charge capacity [mAh/g]" in head and "1st-cycle discharge capacity [mAh/g]" in head
    assert "capacity retention [%]" in head and "phases found" in head and "thickness t [nm]" in head
    header = re.search(r"<tr><th>quantity</th>(.*?)</tr>", head, re.S).group(1)
    samples = re.findall(r'<th><a href="[^"]+">([^<]+)</a></th>', header)
    assert samples == ["LCO", "BTO2-LCO", "BTO5-LCO", "BTO8-LCO", "LPSCl"]
    rows = {m.group(1): re.findall(r'<td class="num">(.*?)</td>', m.group(2), re.S)
            for m in re.finditer(r"<tr><td>([^<]+)</td>(.*?)</tr>", head, re.S)}
    for row in ("1st-cycle charge capacity [mAh/g]", "1st-cycle discharge capacity [mAh/g]", "capacity retention [%]"):
        cells = dict(zip(samples, rows[row]))
        for sample in ("LCO", "BTO2-LCO", "BTO5-LCO", "BTO8-LCO"):  # the cycled samples of the demo
            assert '<a href="' in cells[sample] and f"{sample}.html#" in cells[sample], (row, sample)
        assert cells["LPSCl"] == ""
    sigma = dict(zip(samples, rows["ionic conductivity σ [S/cm]"]))
    assert "e-3" in sigma["LPSCl"] and sigma["LCO"] == ""  # σ of the pellet, linked to its section
    assert "after 58 cycles" in rows["capacity retention [%]"][0]


def test_page_names_never_collide_or_take_the_reports_own():
    names = page_names(["index", "Comparison", "a/b", "a_b", "LCO"])
    assert names["LCO"] == "LCO.html" and names["a_b"] == "a_b.html"
    assert len(set(names.values())) == 5
    assert not {"index.html", "comparison.html"} & {names["index"], names["Comparison"]}


def test_the_report_folder_is_its_own(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ReportFolderError, match="not empty and holds no ssbkit report"):
        claim_folder(foreign)
    assert claim_folder(foreign, force=True) == set()
    assert (foreign / "notes.txt").read_text() == "mine"
    a_file = tmp_path / "file.html"
    a_file.write_text("x")
    with pytest.raises(ReportFolderError, match="is a file"):
        claim_folder(a_file)
    with pytest.raises(ReportFolderError, match="not a plain file name"):
        write_file(foreign, "../escape.html", "x")


def test_a_planted_symlink_is_replaced_not_followed_and_stale_files_go(tmp_path):
    out, outside = tmp_path / "report", tmp_path / "outside.txt"
    outside.write_text("precious")
    out.mkdir()
    finish_folder(out, {"old.png"}, set())  # an earlier report that wrote old.png
    (out / "old.png").write_bytes(b"old")
    (out / "index.html").symlink_to(outside)
    previous = claim_folder(out)
    written = {write_file(out, "index.html", "<html></html>")}
    finish_folder(out, written, previous)
    assert outside.read_text() == "precious"
    assert not (out / "index.html").is_symlink() and (out / "index.html").read_text() == "<html></html>"
    assert not (out / "old.png").exists() and (out / OWNER_FILE).is_file()


def test_cli_refuses_a_foreign_folder_and_a_file(tmp_path, capsys):
    foreign = tmp_path / "f"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("k")
    assert main(["--quiet", "demo", "--out", str(foreign)]) == 1
    assert "--force" in capsys.readouterr().err
    assert sorted(p.name for p in foreign.iterdir()) == ["keep.txt"]
    target = tmp_path / "a-file"
    target.write_text("x")
    assert main(["--quiet", "demo", "--out", str(target)]) == 1
    assert "is a file" in capsys.readouterr().err and target.read_text() == "x"
