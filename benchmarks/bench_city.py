"""City-year benchmark: liftcheck against a DuckDB reference, measured in the same run.

    python benchmarks/bench_city.py [--data DIR] [--elevators 20000] [--from 2024-01-01] [--to 2024-12-31]
                                    [--workers 2] [--repeat 1]

Generates the sample once into benchmarks/data/ (ignored by git; or reads --data), converts
it to a Parquet dataset, then runs, each as a user would and timed whole by /usr/bin/time -v
(wall clock and peak resident memory):

  1. liftcheck check CSV --format json -o r.json         the issue-14 target: <= 12 s, <= 3 GB,
  2. benchmarks/duckdb_reference.py CSV                  <= 2x this DuckDB SQL reference
  3. liftcheck convert CSV OUT/                          once
  4. liftcheck check OUT/ …                              from Parquet (loading it: <= 2 s)
  5. liftcheck check OUT/ … --cluster local:N            N Dask worker processes
  6. the stages in one process: load, validate, derive, evaluate, render (CSV and Parquet)

and checks that the reference and liftcheck find the same DAILY-CHECK and MAINT-INTERVAL(-DENSE)
breaches and that the three liftcheck reports agree (violations, pending, unjudged, rules,
credit, metrics). Absolute times drift with whatever else the machine runs: compare the
ratios, and read the load averages printed beside each figure. Nothing here fails a build;
the exit status is 1 only when verdicts disagree.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# the installed command, as people run it (python -m checker.cli where it is not installed)
_SCRIPT = Path(sys.executable).parent / "liftcheck"
LIFTCHECK = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "checker.cli"]
TIME = "/usr/bin/time"

STAGE_SCRIPT = r"""
import datetime as dt, gc, json, resource, sys, time
from pathlib import Path
t = {}
t0 = time.perf_counter()
from checker.cli import _few_collections
from checker.load import load_submission
from checker.validate import validate
_few_collections(); gc.freeze()   # as `liftcheck check` runs
raw = load_submission(Path(sys.argv[1]))
t["load"] = time.perf_counter() - t0; t1 = time.perf_counter()
sub = validate(raw)
t["validate"] = time.perf_counter() - t1
from checker.engine import evaluate
from checker.params import load_parameters
from checker.render import report_json_bytes
from checker.report import build_report
from checker.rulebook import load_rulebook
book, params = load_rulebook(), load_parameters()
result = evaluate(sub, book, params, dt.date.fromisoformat(sys.argv[2]), dt.date.fromisoformat(sys.argv[3]), timings=t)
t3 = time.perf_counter()
Path(sys.argv[4]).write_bytes(report_json_bytes(build_report(result, book, params)) + b"\n")
t["render"] = time.perf_counter() - t3
t["records"] = sum(sub.record_counts.values())
t["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(t))
"""

SECTIONS = ("violations", "pending", "unjudged", "rules", "credit", "metrics")


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def timed(cmd: list[str], env: dict | None = None) -> dict:
    """Run a whole command under /usr/bin/time -v: wall seconds, peak RSS (MB), CPU seconds, output."""
    before = load()
    proc = subprocess.run([TIME, "-v", *cmd], capture_output=True, text=True, env=env)
    text = proc.stderr
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", text)
    hours, minutes, seconds = (float(x or 0) for x in wall.groups())
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", text).group(1)) for k in ("User", "System"))
    return {"wall": hours * 3600 + minutes * 60 + seconds, "peak_mb": rss, "cpu": cpu, "rc": proc.returncode,
            "stdout": proc.stdout, "stderr": text, "load_before": before, "load_after": load()}


def best(cmd: list[str], repeat: int, env: dict | None = None) -> dict:
    runs = [timed(cmd, env) for _ in range(repeat)]
    for r in runs:
        if r["rc"] not in (0, 1):
            sys.exit(f"command failed ({r['rc']}): {' '.join(cmd)}\n{r['stderr'][-3000:]}")
    return min(runs, key=lambda r: r["wall"])


def stages(data: Path, start: str, end: str, out: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", STAGE_SCRIPT, str(data), start, end, str(out)],
                          capture_output=True, text=True)
    if proc.returncode:
        sys.exit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def sections(path: Path) -> dict:
    report = json.loads(path.read_text(encoding="utf-8"))
    return {k: report[k] for k in SECTIONS} | {"summary": {k: v for k, v in report["summary"].items() if k != "ledger"}}


def line(name: str, r: dict, extra: str = "") -> str:
    return (f"  {name:<34} {r['wall']:7.2f} s  {r['peak_mb']:7.0f} MB  cpu {r['cpu']:6.1f} s  "
            f"load {r['load_before']} → {r['load_after']}{extra}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="an existing CSV submission (default: generate one)")
    ap.add_argument("--elevators", type=int, default=20000)
    ap.add_argument("--from", dest="start", default="2024-01-01")
    ap.add_argument("--to", dest="end", default="2024-12-31")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the local Dask cluster")
    ap.add_argument("--repeat", type=int, default=1, help="run each timed command this many times, keep the fastest")
    args = ap.parse_args()
    if not Path(TIME).exists():
        sys.exit(f"{TIME} is needed (Debian: apt-get install time)")
    data = args.data or HERE / "data" / f"city-{args.elevators}-{args.start}-{args.end}-{args.seed}"
    if not (data / "elevators.csv").exists():
        t0 = time.perf_counter()
        subprocess.run([*LIFTCHECK, "sample", str(data), "--elevators", str(args.elevators), "--from", args.start,
                        "--to", args.end, "--seed", str(args.seed)], check=True)
        print(f"generated the sample in {time.perf_counter() - t0:.1f} s")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    period = ["--from", args.start, "--to", args.end]
    size = sum(p.stat().st_size for p in data.iterdir() if p.is_file()) / 2**20
    print(f"sample: {data} ({size:.0f} MiB of CSV); machine: {os.cpu_count()} cores; "
          f"load average now {load()} (1/5/15 min); {time.strftime('%Y-%m-%d %H:%M')}")

    json_to = ["--format", "json", "--force", "-o"]   # --force: the previous run's report is replaced
    check_csv = best([*LIFTCHECK, "check", str(data), *period, *json_to, str(results / "csv.json")], args.repeat)
    duck = best([sys.executable, str(HERE / "duckdb_reference.py"), str(data), *period,
                  "-o", str(results / "duckdb.json")], args.repeat)
    dataset = results / "dataset"
    convert = timed([*LIFTCHECK, "convert", str(data), str(dataset), "--force"])
    if convert["rc"]:
        sys.exit(convert["stderr"][-3000:])
    check_pq = best([*LIFTCHECK, "check", str(dataset), *period, *json_to, str(results / "parquet.json")], args.repeat)
    check_cluster = best([*LIFTCHECK, "check", str(dataset), *period, *json_to, str(results / "cluster.json"),
                          "--cluster", f"local:{args.workers}"], args.repeat)
    workers = re.findall(r"worker (\S+): partitions (\d+), seconds ([\d.]+), peak_rss_mb (\d+)", check_cluster["stderr"])
    stage_csv = stages(data, args.start, args.end, results / "stages-csv.json")
    stage_pq = stages(dataset, args.start, args.end, results / "stages-parquet.json")

    agree = subprocess.run([sys.executable, str(HERE / "duckdb_reference.py"), str(data), *period,
                            "--compare", str(results / "csv.json")], capture_output=True, text=True)
    verdicts = json.loads(agree.stdout.strip().splitlines()[-1])
    same_pq = sections(results / "csv.json") == sections(results / "parquet.json")
    same_cluster = sections(results / "csv.json") == sections(results / "cluster.json")
    report = json.loads((results / "csv.json").read_text(encoding="utf-8"))

    ratio = check_csv["wall"] / duck["wall"]
    print("\nwhole commands (/usr/bin/time -v: wall; peak RSS of the largest process; user+system CPU of all its processes; load average before → after)")
    print(line("liftcheck check (CSV)", check_csv, f"  = {ratio:.2f}× DuckDB"))
    print(line("DuckDB reference (CSV, 3 rules)", duck))
    print(line("liftcheck convert (CSV → Parquet)", convert))
    print(line("liftcheck check (Parquet)", check_pq, f"  = {check_pq['wall'] / duck['wall']:.2f}× DuckDB"))
    print(line(f"liftcheck check --cluster local:{args.workers}", check_cluster,
               f"  = {check_cluster['wall'] / duck['wall']:.2f}× DuckDB"))
    for worker, parts, seconds, peak in workers:
        print(f"      worker {worker}: {parts} partitions, {float(seconds):.1f} s judging, peak {peak} MB")
    print("\nstages in one process (s)")
    for name, t in (("CSV", stage_csv), ("Parquet", stage_pq)):
        print(f"  {name:<8} " + "  ".join(f"{k} {t[k]:.2f}" for k in ("load", "validate", "derive", "evaluate", "render"))
              + f"  peak {t['peak_rss_mb']:.0f} MB")
    print("\nverdicts")
    print(f"  {report['summary']['violations']:,} violations, {report['summary']['pending']:,} pending, "
          f"{report['summary']['unjudged']:,} unjudged; {stage_csv['records']:,} records")
    print("  DuckDB reference vs liftcheck: " + ("agree" if verdicts["agree"] else "DISAGREE") + " — " + ", ".join(
        f"{rule} {r['duckdb']:,}/{r['liftcheck']:,}" for rule, r in verdicts["rules"].items()))
    print(f"  Parquet report = CSV report: {same_pq};  cluster report = CSV report: {same_cluster}")
    targets = {
        "check (CSV) <= 12 s": check_csv["wall"] <= 12, "peak <= 3 GB": check_csv["peak_mb"] <= 3 * 1024,
        "<= 2x DuckDB": ratio <= 2, "Parquet load <= 2 s": stage_pq["load"] + stage_pq["validate"] <= 2,
    }
    print("\ntargets (issue 14): " + "; ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in targets.items()))
    shutil.rmtree(dataset, ignore_errors=True)
    return 0 if verdicts["agree"] and same_pq and same_cluster else 1


if __name__ == "__main__":
    sys.exit(main())
