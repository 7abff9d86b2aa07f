"""The ``ssbkit`` command.

``ssbkit demo [--out DIR] [--data DIR] [--seed N]``
    Generate the embedded demo study, analyse it and write its report.
``ssbkit report MANIFEST --out DIR [--force] [--workers N] [--scheduler ADDRESS|local] [--cache-dir DIR] [--no-cache]``
    Analyse a user's study and write its report and ``results.parquet``;
    exit 1 listing the measurements whose analysis failed (the rest of the
    report is written). Unchanged measurements come from the result cache
    (``DIR/.ssbkit-cache``); ``--workers`` runs local worker processes,
    ``--scheduler`` a dask.distributed cluster.
    DIR must be new, empty or hold an earlier report (``--force`` otherwise).
``ssbkit validate MANIFEST``
    Check a manifest (every parameter against its technique's declaration,
    and every file opened with its technique's reader); exit 1 printing every
    problem.
``ssbkit params [TECHNIQUE]``
    Print the manifest parameters each technique reads: type, unit, allowed
    values, default, and whether the sample or another measurement supplies it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ssbkit import __version__
from ssbkit.errors import MetadataError, ReportFolderError
from ssbkit.report.folder import CACHE_FOLDER

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ssbkit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"ssbkit {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or messages")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="generate, analyse and report the embedded demo study")
    demo.add_argument("--out", type=Path, default=Path("ssbkit-demo"), help="report folder (default: ssbkit-demo)")
    demo.add_argument("--data", type=Path, default=None, help="folder for the generated raw files (default: OUT/data)")
    demo.add_argument("--seed", type=int, default=0, help="random seed of the generated data (default: 0)")
    demo.add_argument("--force", action="store_true",
                      help="write into a non-empty folder that holds no earlier report")

    report = sub.add_parser("report", help="analyse a study manifest and write its report")
    report.add_argument("manifest", type=Path)
    report.add_argument("--out", type=Path, required=True, help="report folder (new, empty, or an earlier report's)")
    report.add_argument("--force", action="store_true",
                        help="write into a non-empty folder that holds no earlier report")
    report.add_argument("--workers", type=_positive_int, default=None,
                        help="analyse in N local worker processes (default: one, in this process); with "
                             "--scheduler local: the cluster's number of workers")
    report.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run the measurements on a dask.distributed scheduler at ADDRESS "
                             "(e.g. tcp://10.0.0.5:8786); 'local' starts a LocalCluster")
    report.add_argument("--cache-dir", type=Path, default=None,
                        help="result cache folder (default: OUT/.ssbkit-cache)")
    report.add_argument("--no-cache", action="store_true",
                        help="analyse every measurement again and leave the cache untouched")

    validate = sub.add_parser("validate", help="check a study manifest and its files, list every problem")
    validate.add_argument("manifest", type=Path)

    params = sub.add_parser("params", help="print the manifest parameters of each technique")
    params.add_argument("technique", nargs="?", default=None, help="one technique (default: all)")
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _say(args, message: str) -> None:
    if not args.quiet:
        print(message)


def _load(path: Path, *, read_files: bool = False, strict: bool = True):
    from ssbkit.study import Study

    try:
        return Study.load(path, read_files=read_files, strict=strict)
    except MetadataError as exc:
        print(f"error: {path}: {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return None


def _claim(out: Path, force: bool) -> bool:
    """Take ``out`` as the report folder before anything is written; print why not and return False."""
    from ssbkit.report.folder import claim_folder

    try:
        claim_folder(out, force=force)
    except ReportFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    return True


def _client(address: str | None, workers: int | None):
    """A dask.distributed client for ``--scheduler`` (None without one) and what to close afterwards."""
    if address is None:
        return None, ()
    from distributed import Client, LocalCluster

    if address == "local":
        cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        return client, (client, cluster)
    client = Client(address)
    return client, (client,)


def _analyze_options(args, out: Path) -> dict:
    """analyze()'s execution options from the report flags (the demo: in this process, cached)."""
    scheduler = getattr(args, "scheduler", None)
    cache = None if getattr(args, "no_cache", False) else (getattr(args, "cache_dir", None) or out / CACHE_FOLDER)
    return {"workers": None if scheduler else getattr(args, "workers", None), "cache": cache}


def _report(args, manifest: Path, out: Path, *, claimed: bool = False) -> int:
    import tempfile

    from ssbkit.report import analyze, write_report

    study = _load(manifest, strict=False)  # a measurement with a problem fails alone; `validate` lists them all
    if study is None or not (claimed or _claim(out, args.force)):
        return 1
    with tempfile.TemporaryDirectory(prefix="ssbkit-figures-") as figures:
        # figures go to a private folder first; write_report then puts them into `out` by name, atomically
        client, to_close = _client(getattr(args, "scheduler", None), getattr(args, "workers", None))
        try:
            results = analyze(study, figure_dir=figures, progress=not args.quiet, client=client,
                              **_analyze_options(args, out))
        finally:
            for item in to_close:
                item.close()
        index = write_report(results, out, force=True)
    cached = sum(r.cached for r in results.results)
    _say(args, f"report written: {index} ({cached} of {len(results.results)} measurements from the cache)")
    if results.failed:
        print(f"error: {len(results.failed)} measurement(s) failed:", file=sys.stderr)
        for failed in results.failed:
            print(f"  - {failed.measurement.label} ({failed.measurement.technique}): {failed.section.error}", file=sys.stderr)
        return 1
    return 0


def _params(technique: str | None) -> int:
    from ssbkit.report.parameters import parameter_reference
    from ssbkit.report.registry import registered_techniques, section_spec

    names = registered_techniques()
    if technique is not None and technique not in names:
        print(f"error: unknown technique {technique!r} (known: {', '.join(names)})", file=sys.stderr)
        return 1
    for name in [technique] if technique else names:
        spec = section_spec(name)
        print(parameter_reference(name, spec.parameters, files=spec.files_text()))
        print()
    return 0


def main(argv=None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")  # the command only writes figure files
    if args.command == "params":
        return _params(args.technique)
    if args.command == "validate":
        study = _load(args.manifest, read_files=True)
        if study is None:
            return 1
        _say(args, f"{args.manifest}: ok ({len(study.samples)} samples, {len(study.all_measurements)} measurements)")
        return 0
    if args.command == "report":
        return _report(args, args.manifest, args.out)
    from ssbkit.demo import write_demo_study

    if not _claim(args.out, args.force):
        return 1
    data = args.data if args.data is not None else args.out / "data"
    manifest = write_demo_study(data, seed=args.seed)
    _say(args, f"demo study written: {manifest}")
    return _report(args, manifest, args.out, claimed=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
