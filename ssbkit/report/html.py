"""Writing a study's report: HTML pages, figures and machine-readable summaries.

The folder gets ``index.html`` (samples, measurements, provenance),
one ``<sample-id>.html`` per sample, ``comparison.html`` when the study has a
coating series, ``style.css`` (no CDN: pages work offline and print well),
the figure files next to the pages, and ``summary.csv`` / ``summary.json``.
"""

from __future__ import annotations

import json
import math
import shutil
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import jinja2
import pandas as pd

from ssbkit.report.analysis import StudyResults
from ssbkit.report.formatting import format_measurement, format_number

__all__ = ["write_report", "page_names"]


def _version() -> str:
    try:
        return version("ssbkit")
    except PackageNotFoundError:  # running from a source tree
        return "unknown"


def page_names(sample_ids) -> dict[str, str]:
    """File name of each sample's page: the id with unsafe characters replaced."""
    return {sid: "".join(c if c.isalnum() or c in "-_." else "_" for c in sid) + ".html" for sid in sample_ids}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ssbkit.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["measurement"] = lambda q: format_measurement(q.value, q.error)
    env.filters["number"] = format_number
    return env


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write_summaries(results: StudyResults, out: Path) -> None:
    table = results.summary_table()
    table.to_csv(out / "summary.csv", index=False)
    records = [{k: _json_safe(v) for k, v in row.items()} for row in table.to_dict(orient="records")]
    (out / "summary.json").write_text(json.dumps(records, indent=2, default=str), encoding="utf-8")


def _cell(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if pd.isna(value) else value


def _key_number_tables(results: StudyResults) -> list[tuple[str, list[str], list[list]]]:
    """Per technique: one column per successful measurement, one row per summary number."""
    table = results.summary_table()
    if table.empty:
        return []
    ok = table[table["status"] == "ok"]
    tables = []
    for technique, group in ok.groupby("technique", sort=False):
        numbers = [
            c
            for c in group.columns
            if c not in ("sample", "measurement", "technique", "status", "error")
            and group[c].notna().any()
            and pd.api.types.is_numeric_dtype(group[c])
        ]
        if numbers:
            header = ["quantity", *(f"{s}: {m}" for s, m in zip(group["sample"], group["measurement"]))]
            rows = [[name, *(_cell(v) for v in group[name].astype(object))] for name in numbers]
            tables.append((technique, header, rows))
    return tables


def write_report(results: StudyResults, out) -> Path:
    """Write the report of ``results`` into the folder ``out``.

    Parameters
    ----------
    results : StudyResults
        From :func:`ssbkit.report.analyze`.
    out : str or Path
        Output folder, created if missing. Figures are copied there when
        they were written elsewhere.

    Returns
    -------
    Path
        The path of ``index.html``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    study = results.study
    comparisons: dict[tuple, list] = {}
    for series, section in results.compare():
        comparisons.setdefault(series, []).append(section)
    key_numbers = _key_number_tables(results)
    page_of = page_names(s.id for s in study.samples)
    env = _environment()
    common = {
        "study": study,
        "page_of": page_of,
        "has_comparison": bool(comparisons or key_numbers),
        "version": _version(),
    }
    (out / "style.css").write_text(
        resources.files("ssbkit.report").joinpath("templates/style.css").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    index = out / "index.html"
    index.write_text(
        env.get_template("index.html").render(title=study.name, results=results.results, **common),
        encoding="utf-8",
    )
    for sample in study.samples:
        page = env.get_template("sample.html").render(
            title=sample.display_name, sample=sample, results=results.for_sample(sample.id), **common
        )
        (out / page_of[sample.id]).write_text(page, encoding="utf-8")
    if comparisons or key_numbers:
        (out / "comparison.html").write_text(
            env.get_template("comparison.html").render(
                title="Comparison of samples", comparisons=list(comparisons.items()), key_numbers=key_numbers, **common
            ),
            encoding="utf-8",
        )
    if results.figure_dir.resolve() != out.resolve():
        for figure in results.figure_dir.iterdir():
            if figure.is_file():
                shutil.copy2(figure, out / figure.name)
    _write_summaries(results, out)
    return index
