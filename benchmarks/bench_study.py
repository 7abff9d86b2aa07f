"""Benchmark: a generated study analysed serially, in 2 worker processes, on a 2-worker dask LocalCluster,
then rerun unchanged and with one file changed (both from the result cache).

The study (:func:`ssbkit.report.generated_study.write_generated_study`) is
mostly impedance spectra and short cycling records, plus the demo's XRD and
XAS measurements. Each phase runs in its own Python process (``--phase``), so
its peak memory is its own; the driver's peak and every worker's peak (from
the per-measurement logs) are printed with the wall times and the ratios.

Run::

    .venv/bin/python benchmarks/bench_study.py --n 2000        # the issue's size
    .venv/bin/python benchmarks/bench_study.py --n 100         # a quick look

Never part of the test run.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _phase(args) -> None:
    """One timed analyze() call in this process; prints one JSON line."""
    import matplotlib

    matplotlib.use("Agg")
    import ssbkit

    start = time.perf_counter()
    study = ssbkit.Study.load(args.manifest)
    loaded = time.perf_counter() - start
    options = {"figure_dir": args.figures, "progress": False}
    if args.phase in ("serial", "rerun", "changed"):
        from ssbkit.report.cache import ResultCache

        # one code version for every phase: others may edit the checkout while the benchmark runs
        options["cache"] = ResultCache(args.cache, version=args.version)
    if args.phase == "workers":
        options["workers"] = 2
    cluster = client = None
    if args.phase == "cluster":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        options["client"] = client
    t0 = time.perf_counter()
    results = ssbkit.analyze(study, **options)
    analysed = time.perf_counter() - t0
    if client is not None:
        client.close()
        cluster.close()
    workers: dict[str, float] = {}
    for r in results.results:
        found = re.search(r"pid (\d+) \(peak RSS (\d+) MiB\)", r.log)
        if found and not r.cached:
            workers[found[1]] = max(workers.get(found[1], 0.0), float(found[2]))
    table = results.summary_table()
    numeric = table.select_dtypes("number")
    print(json.dumps({
        "phase": args.phase, "load_s": loaded, "analyze_s": analysed, "total_s": loaded + analysed,
        "cached": sum(r.cached for r in results.results), "n": len(results.results),
        "failed": len(results.failed), "driver_peak_mib": _peak_mib(),
        "worker_peak_mib": sorted(workers.values()),
        "checksum": float(numeric.fillna(0).to_numpy().sum()),
    }))


def _run(phase: str, manifest: Path, work: Path, cache: Path, version: str) -> dict:
    figures = work / f"figures-{phase}"
    command = [sys.executable, __file__, "--phase", phase, "--manifest", str(manifest), "--figures", str(figures),
               "--cache", str(cache), "--version", version]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"phase {phase} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="measurements (default 2000)")
    parser.add_argument("--phase", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--manifest", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--figures", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--version", help=argparse.SUPPRESS)
    parser.add_argument("--skip", nargs="*", default=(), help="phases to leave out (workers cluster)")
    args = parser.parse_args()
    if args.phase:
        _phase(args)
        return
    from ssbkit.report.cache import code_version
    from ssbkit.report.generated_study import write_generated_study

    version = code_version()

    work = Path(tempfile.mkdtemp(prefix="bench-study-"))
    try:
        t0 = time.perf_counter()
        manifest = write_generated_study(work / "study", args.n, eis_fraction=0.55, n_cycles=4, n_replicates=25,
                                         demo_techniques=("xrd", "xas"))
        print(f"generated {args.n} measurements in {time.perf_counter() - t0:.1f} s: {manifest}", flush=True)
        cache = work / "cache"
        rows = {}
        for phase in ("serial", "workers", "cluster"):     # the serial run is the first run: it fills the cache
            if phase not in args.skip:
                rows[phase] = _run(phase, manifest, work, cache, version)
                print(json.dumps(rows[phase]), flush=True)
        rows["rerun"] = _run("rerun", manifest, work, cache, version)
        print(json.dumps(rows["rerun"]), flush=True)
        changed = work / "study" / "eis" / "pellet_00000.csv"
        text = changed.read_text().splitlines()
        text[1] = text[1].replace(",", ",1", 1)        # one frequency of one spectrum edited
        changed.write_text("\n".join(text) + "\n")
        rows["changed"] = _run("changed", manifest, work, cache, version)
        print(json.dumps(rows["changed"]), flush=True)
        first = rows["serial"]["total_s"]
        print(f"\n{'phase':10s} {'load s':>8s} {'analyze s':>10s} {'total s':>8s} {'cached':>7s} "
              f"{'driver MiB':>10s}  worker peaks MiB")
        for name, row in rows.items():
            print(f"{name:10s} {row['load_s']:8.1f} {row['analyze_s']:10.1f} {row['total_s']:8.1f} "
                  f"{row['cached']:7d} {row['driver_peak_mib']:10.0f}  {row['worker_peak_mib'][:4]}")
        if "serial" in rows and "workers" in rows:
            print(f"speed-up, 2 workers / serial (analyze): {rows['serial']['analyze_s'] / rows['workers']['analyze_s']:.2f}x")
        if "serial" in rows and "cluster" in rows:
            print(f"speed-up, LocalCluster(2) / serial (analyze): {rows['serial']['analyze_s'] / rows['cluster']['analyze_s']:.2f}x")
        print(f"unchanged rerun: {first / rows['rerun']['total_s']:.1f}x faster than the first run (load included), "
              f"{rows['serial']['analyze_s'] / rows['rerun']['analyze_s']:.1f}x (analyze only)")
        print(f"one file changed: {first / rows['changed']['total_s']:.1f}x faster than the first run")
        sums = {name: row["checksum"] for name, row in rows.items() if name != "changed"}
        print(f"summary checksums equal across serial/workers/cluster/rerun: {len(set(sums.values())) == 1}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
