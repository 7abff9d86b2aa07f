"""Benchmark: EDS line maps and interface contact on 512 × 512 × 4096 maps, against exspy, same run.

1. Line maps on the real JEOL .pts map (512 × 512 × 4096, ../shared/data/eds):
   ``eds.read_eds`` (lazy) + ``eds.line_intensity`` with background windows for
   C, O, S, Fe and Cu Kα, against exspy's ``hs.load(lazy=True)`` +
   ``get_lines_intensity(background_windows=estimate_background_windows())``.
   Each runs in its own process (exspy from a separate environment, never a
   project dependency), which reports wall time, peak resident memory and the
   map totals, so the numbers are compared too.
2. Interface contact on a synthetic lazy (dask) 512 × 512 × 4096 map from
   ``eds.simulate_interface_map(lazy=True)``: time for the line maps (which
   include drawing the Poisson counts block by block) and for the contact
   analysis, peak memory, and the answers against the truth. exspy has no
   interface-contact analysis, so this part has no anchor.

Run: ``.venv/bin/python benchmarks/bench_eds.py [--exspy-python /tmp/exspy-venv/bin/python]``.
The exspy environment: ``python3 -m venv /tmp/exspy-venv && /tmp/exspy-venv/bin/pip install exspy``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

LINES = ["C_Ka", "O_Ka", "S_Ka", "Fe_Ka", "Cu_Ka"]
PTS = Path("rsciio_jeol_Sample") / "00_View000" / "View000_0000006.pts"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_ssbkit_lines(path):
    import eds

    t0 = time.perf_counter()
    data = eds.read_eds(path, lazy=True)
    t1 = time.perf_counter()
    r = eds.line_intensity(data, LINES, warn=False, resolution_ev=130.0)
    t2 = time.perf_counter()
    return {"read_s": t1 - t0, "lines_s": t2 - t1, "peak_mib": _peak_mib(),
            "sums": {line: float(r.map(line).sum()) for line in LINES}}


def worker_exspy_lines(path):
    import exspy
    import hyperspy.api as hs

    t0 = time.perf_counter()
    s = hs.load(path, lazy=True)
    s.set_signal_type("EDS_TEM")
    s.metadata.Acquisition_instrument.TEM.Detector.EDS.energy_resolution_MnKa = 130.0
    t1 = time.perf_counter()
    bw = s.estimate_background_windows(xray_lines=LINES)
    maps = s.get_lines_intensity(xray_lines=LINES, background_windows=bw)
    sums = {line: float(m.data.sum().compute() if hasattr(m.data, "compute") else m.data.sum())
            for line, m in zip(LINES, maps)}
    t2 = time.perf_counter()
    return {"read_s": t1 - t0, "lines_s": t2 - t1, "peak_mib": _peak_mib(), "sums": sums,
            "version": f"exspy {exspy.__version__}, hyperspy {hs.__version__}"}


def worker_ssbkit_contact(_):
    import eds

    t0 = time.perf_counter()
    truth = eds.simulate_interface_map((512, 512), n_channels=4096, energy_scale_kev=0.005, pixel_size_nm=20.0,
                                       width_nm=200.0, pore_fraction=0.2, n_pores=6, angle_deg=25.0, seed=3,
                                       lazy=True)
    t1 = time.perf_counter()
    lines = eds.line_intensity(truth.data, ["Co_Ka", "S_Ka"])
    t2 = time.perf_counter()
    r = eds.interface_contact(lines, beam_energy_kev=15.0)
    t3 = time.perf_counter()
    return {"build_s": t1 - t0, "lines_s": t2 - t1, "contact_s": t3 - t2, "peak_mib": _peak_mib(),
            "map_gib": truth.data.counts.nbytes / 2**30, "contact": r.contact_fraction,
            "contact_truth": truth.contact_fraction_at(r.trace_xy_px), "width_nm": r.interdiffusion_width_nm,
            "width_err_nm": r.interdiffusion_width_err_nm, "width_truth_nm": truth.width_nm}


WORKERS = {"ssbkit-lines": worker_ssbkit_lines, "exspy-lines": worker_exspy_lines,
           "ssbkit-contact": worker_ssbkit_contact}


def _run(python, worker, path):
    out = subprocess.run([python, __file__, "--worker", worker, "--path", str(path)], capture_output=True,
                         text=True, check=False, cwd=Path(__file__).resolve().parents[1])
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=sorted(WORKERS))
    parser.add_argument("--path", default="")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "eds"))
    parser.add_argument("--exspy-python", default="/tmp/exspy-venv/bin/python")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.path)))
        return
    path = Path(args.data) / PTS
    print(f"1. line maps, JEOL .pts 512 x 512 x 4096 ({path.name}), lines {' '.join(LINES)}, background windows")
    ours = _run(sys.executable, "ssbkit-lines", path)
    if "error" in ours:
        print("   ssbkit failed:", ours["error"])
        return
    print(f"   ssbkit  read {ours['read_s']:6.1f} s  line maps {ours['lines_s']:6.1f} s  peak {ours['peak_mib']:6.0f} MiB")
    if os.path.exists(args.exspy_python):
        ref = _run(args.exspy_python, "exspy-lines", path)
        if "error" in ref:
            print("   exspy failed:", ref["error"])
        else:
            print(f"   {ref['version']}: read {ref['read_s']:6.1f} s  line maps {ref['lines_s']:6.1f} s  "
                  f"peak {ref['peak_mib']:6.0f} MiB")
            for line in LINES:
                a, b = ours["sums"][line], ref["sums"][line]
                print(f"   {line:6s} net total ssbkit {a:12.1f}  exspy {b:12.1f}  difference {a - b:+10.1f} "
                      f"({(a - b) / max(abs(b), 1):+.2%})")
    else:
        print(f"   exspy not run: {args.exspy_python} not found")
    print("2. interface contact, synthetic lazy 512 x 512 x 4096 map (Co Ka | S Ka, 20 nm pixels)")
    c = _run(sys.executable, "ssbkit-contact", path)
    if "error" in c:
        print("   failed:", c["error"])
        return
    print(f"   map {c['map_gib']:.1f} GiB if loaded; build {c['build_s']:.1f} s, line maps (with drawing the counts) "
          f"{c['lines_s']:.1f} s, contact {c['contact_s']:.2f} s, peak {c['peak_mib']:.0f} MiB")
    print(f"   contact {c['contact']:.3f} (truth {c['contact_truth']:.3f}), width {c['width_nm']:.1f} ± "
          f"{c['width_err_nm']:.1f} nm (truth {c['width_truth_nm']:.0f} nm)")


if __name__ == "__main__":
    main()
