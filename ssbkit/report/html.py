"""Writing a study's report: HTML pages, figures and machine-readable summaries.

The folder gets ``index.html`` (headline results, samples, measurements, provenance),
one ``<sample-id>.html`` per sample, ``comparison.html`` when the study has a
coating series, ``style.css`` (no CDN: pages work offline and print well),
the figure files next to the pages, ``summary.csv`` / ``summary.json`` and the
``results*.parquet`` tables (:mod:`ssbkit.report.results_table`).
"""

from __future__ import annotations

import json
import math
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import jinja2
import pandas as pd

from ssbkit.report.figures import DPI, png_width
from ssbkit.report.folder import claim_folder, finish_folder, write_file
from ssbkit.report.results_table import write_results_tables
from ssbkit.report.analysis import StudyResults
from ssbkit.report.formatting import format_measurement, format_number, key_label
from ssbkit.report.registry import Quantity, figure_prefix, safe_name

__all__ = ["write_report", "page_names"]


def _version() -> str:
    try:
        return version("ssbkit")
    except PackageNotFoundError:  # running from a source tree
        return "unknown"


#: File names of the report's own pages; no sample page may take one.
RESERVED_PAGES = ("index", "comparison", "style", "summary", "results")


def page_names(sample_ids) -> dict[str, str]:
    """File name of each sample's page: the id made file-safe (:func:`safe_name`), never one of
    :data:`RESERVED_PAGES` (``"index"`` becomes ``"sample-index-<hash>"``)."""
    names = {}
    for sid in sample_ids:
        name = safe_name(sid)
        if name.lower() in RESERVED_PAGES:
            name = safe_name(f"sample {sid}")
        names[sid] = name + ".html"
    return names


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ssbkit.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["measurement"] = lambda q: format_measurement(q.value, q.error)
    env.filters["number"] = format_number
    env.filters["anchor"] = anchor
    return env


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write_summaries(table: pd.DataFrame, out: Path) -> set[str]:
    records = [{k: _json_safe(v) for k, v in row.items()} for row in table.to_dict(orient="records")]
    return {write_file(out, "summary.csv", table.to_csv(index=False)),
            write_file(out, "summary.json", json.dumps(records, indent=2, default=str))}


def anchor(label: str) -> str:
    """The HTML id of a measurement's section: its figure prefix without the trailing dash."""
    return figure_prefix(label).rstrip("-")


def _headline_table(results: StudyResults, page_of: dict) -> tuple[list[str], list[list]]:
    """Overview: one column per sample, one row per headline quantity; each cell links to its section."""
    columns: list[str] = []
    cells: dict[tuple[str, str], list] = {}
    for r in results.results:
        href = f"{page_of[r.sample.id]}#{anchor(r.measurement.label)}"
        quantities = r.section.headline if not r.failed else (Quantity(r.measurement.technique, "failed"),)
        for q in quantities:
            column = f"{q.name} [{q.unit}]" if q.unit else q.name
            if column not in columns:
                columns.append(column)
            text = format_measurement(q.value, q.error)
            cells.setdefault((r.sample.id, column), []).append((text, href, r.section.status))
    samples = [sample.id for sample in results.study.samples]
    rows = [[column, *(cells.get((sid, column), []) for sid in samples)] for column in columns]
    return samples, rows


def _key_number_tables(table: pd.DataFrame) -> list[tuple[str, list[str], list[list]]]:
    """Per technique: one column per successful measurement, one row per summary number that any has.

    ``table`` is :meth:`StudyResults.summary_table`.
    """
    if table.empty:
        return []
    usable = table[table["status"] != "failed"]
    tables = []
    for technique, group in usable.groupby("technique", sort=False):
        numbers = [
            c
            for c in group.columns
            if c not in ("sample", "measurement", "technique", "status", "reasons", "error")
            and group[c].notna().any()
            and pd.api.types.is_numeric_dtype(group[c])
            and not pd.api.types.is_bool_dtype(group[c])
        ]
        if numbers:
            header = ["quantity", *(f"{s}: {m}" for s, m in zip(group["sample"], group["measurement"]))]
            rows = [[key_label(name), *(format_number(v) for v in group[name].astype(object))] for name in numbers]
            tables.append((technique, header, rows))
    return tables


def _display_width(png: Path) -> int | None:
    """CSS width of a report PNG: its pixels at 100 dpi (figures are written at :data:`DPI`)."""
    try:
        return png_width(png) * 100 // DPI
    except (OSError, ValueError):  # missing or not a PNG: the browser sizes it
        return None


def _figure_names(sections) -> set[str]:
    names = set()
    for section in sections:
        for figure in section.figures:
            names.update((figure.filename, figure.vector_filename, figure.data_filename))
    return names


def write_report(results: StudyResults, out, *, force: bool = False) -> Path:
    """Write the report of ``results`` into the folder ``out``.

    The folder is the report's own (:mod:`ssbkit.report.folder`): a new or
    empty folder, or one holding an earlier ssbkit report, whose stale files
    are removed; any other non-empty folder is refused unless ``force``.
    Every file is written atomically by name, so no symlink in ``out`` is
    followed and no file outside it is written.

    Parameters
    ----------
    results : StudyResults
        From :func:`ssbkit.report.analyze`.
    out : str or Path
        Output folder, created if missing. Figures are copied there when
        they were written elsewhere.
    force : bool
        Write into a non-empty folder that holds no earlier report.

    Returns
    -------
    Path
        The path of ``index.html``.

    Raises
    ------
    ssbkit.errors.ReportFolderError
        When ``out`` is a file or a foreign non-empty folder (without ``force``).
    """
    out = Path(out)
    same_folder = out.exists() and results.figure_dir.resolve() == out.resolve()
    study = results.study
    comparisons: dict[tuple, list] = {}
    for series, section in results.compare():
        comparisons.setdefault(series, []).append(section)
    figures = _figure_names([r.section for r in results.results]
                            + [sec for sections in comparisons.values() for sec in sections])
    previous = claim_folder(out, force=force, ours=figures if same_folder else ())
    summary = results.summary_table()
    key_numbers = _key_number_tables(summary)
    page_of = page_names(s.id for s in study.samples)
    env = _environment()
    env.filters["display_width"] = lambda name: _display_width(results.figure_dir / name)
    common = {
        "study": study,
        "page_of": page_of,
        "has_comparison": bool(comparisons or key_numbers),
        "version": _version(),
    }
    written = {write_file(out, "style.css", resources.files("ssbkit.report").joinpath("templates/style.css")
                          .read_text(encoding="utf-8"))}
    written.add(write_file(out, "index.html", env.get_template("index.html").render(
        title=study.name, results=results.results, headline=_headline_table(results, page_of), **common)))
    for sample in study.samples:
        written.add(write_file(out, page_of[sample.id], env.get_template("sample.html").render(
            title=sample.display_name, sample=sample, results=results.for_sample(sample.id), **common)))
    if comparisons or key_numbers:
        written.add(write_file(out, "comparison.html", env.get_template("comparison.html").render(
            title="Comparison of samples", comparisons=list(comparisons.items()), key_numbers=key_numbers, **common)))
    for name in sorted(figures):
        source = results.figure_dir / name
        if not same_folder and source.is_file():
            write_file(out, name, source.read_bytes())
        if (out / name).is_file():
            written.add(name)
    written |= _write_summaries(summary, out)
    written |= {path.name for path in write_results_tables(results, out)}
    finish_folder(out, written, previous)
    return out / "index.html"
