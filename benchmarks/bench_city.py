"""City-year benchmark: 20,000 elevators, one year (~8 M records), by stage.

    python benchmarks/bench_city.py [--elevators 20000] [--from 2024-01-01] [--to 2024-12-31]

Generates the sample once into benchmarks/data/ (ignored by git), then times each stage
of the straight line in a fresh process and reports wall time and peak memory (ru_maxrss).
Targets on the 2-core, 24 GB machine: load + validate <= 10 s and <= 3 GB; the full check
<= 30 s and <= 4 GB. Figures only: no assertion, nothing here fails a build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

STAGE_SCRIPT = r"""
import datetime as dt, json, resource, sys, time
from pathlib import Path
t = {}
t0 = time.perf_counter()
from checker.load import load_submission
from checker.validate import validate
raw = load_submission(Path(sys.argv[1]))
t["load"] = time.perf_counter() - t0; t1 = time.perf_counter()
sub = validate(raw)
t["validate"] = time.perf_counter() - t1
records = sum(sub.record_counts.values())
if sys.argv[2] == "check":
    from checker.engine import evaluate
    from checker.report import build_report
    from checker.params import load_parameters
    from checker.rulebook import load_rulebook
    period = (dt.date.fromisoformat(sys.argv[3]), dt.date.fromisoformat(sys.argv[4]))
    t2 = time.perf_counter()
    book = load_rulebook(); params = load_parameters()
    result = evaluate(sub, book, params, *period, timings=t)
    t3 = time.perf_counter()
    report = build_report(result, book, params)
    out = Path(sys.argv[5]); out.write_text(json.dumps(report, ensure_ascii=False, default=str))
    t["render"] = time.perf_counter() - t3
    t["violations"] = len(report["violations"])
t["records"] = records
t["total"] = time.perf_counter() - t0
t["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(t))
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--elevators", type=int, default=20000)
    ap.add_argument("--from", dest="start", default="2024-01-01")
    ap.add_argument("--to", dest="end", default="2024-12-31")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stage", choices=["validate", "check", "both"], default="both")
    args = ap.parse_args()
    data = HERE / "data" / f"city-{args.elevators}-{args.start}-{args.end}-{args.seed}"
    if not (data / "elevators.csv").exists():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "checker.cli", "sample", str(data), "--elevators", str(args.elevators),
                        "--from", args.start, "--to", args.end, "--seed", str(args.seed)], check=True)
        print(f"generated sample in {time.perf_counter() - t0:.1f} s")
    size = sum(p.stat().st_size for p in data.iterdir()) / 2**20
    print(f"sample: {data} ({size:.0f} MiB CSV); machine: {os.cpu_count()} cores")
    stages = ["validate", "check"] if args.stage == "both" else [args.stage]
    for stage in stages:
        out = HERE / "results" / "report.json"
        out.parent.mkdir(exist_ok=True)
        proc = subprocess.run([sys.executable, "-c", STAGE_SCRIPT, str(data), stage, args.start, args.end, str(out)],
                              capture_output=True, text=True)
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"[{stage}] " + "  ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                                       for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
