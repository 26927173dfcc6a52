"""Province-year benchmark: 100,000 elevators (~40 M records) as a Parquet dataset, swept on a local Dask cluster.

    python benchmarks/bench_province.py [--elevators 100000] [--part 10000] [--workers 2] [--single]

1. Generates the province-year straight into a Parquet dataset (benchmarks/data/, ignored by
   git), part by part (checker/sample.generate_parts: --part elevators at a time, each part
   written out as CSV, loaded and validated by liftcheck itself, then added to the dataset
   with buckets of its own), so that memory stays that of one part.
2. Runs `liftcheck check DATASET --format json -o r.json --cluster local:N` as a user would,
   timed whole by /usr/bin/time -v, and reports wall time, the central process's peak memory,
   and each worker's partitions, seconds and peak memory.
3. With --single, also runs the same check on one process (all 40 M records in memory at once)
   and compares the two reports.

It then models a national sweep from the measured seconds per partition (docs/benchmarks.md).
Absolute times depend on what else runs on the machine: the load averages are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_city import LIFTCHECK, SECTIONS, load, timed  # noqa: E402

NATIONAL_ELEVATORS = 740_000


def generate(out: Path, elevators: int, part: int, start: dt.date, end: dt.date, seed: int) -> dict:
    from checker.columnar import DatasetWriter, bucket_count
    from checker.load import load_submission
    from checker.sample import SampleSpec, generate_parts, write
    from checker.validate import validate

    t0 = time.perf_counter()
    writer = DatasetWriter(out, f"liftcheck sample, {elevators} elevators, {start}..{end}, seed {seed}, parts of {part}")
    for n, tables in enumerate(generate_parts(SampleSpec(elevators, start, end, seed), part)):
        with tempfile.TemporaryDirectory(prefix="province-part-") as tmp:
            write(tables, Path(tmp))
            del tables
            sub = validate(load_submission(Path(tmp)))
        if sub.error_count:
            sys.exit(f"part {n}: the generated records do not validate ({sub.error_count} errors)")
        writer.add(sub, bucket_count(sub.table("elevators").height))  # the manufacturers of every part: once
        print(f"  part {n}: {sum(sub.record_counts.values()):,} records, {time.perf_counter() - t0:.0f} s so far",
              flush=True)
        del sub
    manifest = writer.close()
    return {"seconds": time.perf_counter() - t0, "records": sum(manifest.body["record_counts"].values()),
            "buckets": manifest.buckets, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "mib": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20}


def usable(dataset: Path) -> bool:
    """A dataset this liftcheck reads (one from another version or contract is generated again)."""
    from checker.columnar import read_manifest
    from checker.errors import LiftcheckError

    if not (dataset / "liftcheck-dataset.json").exists():
        return False
    try:
        read_manifest(dataset)
        return True
    except LiftcheckError as exc:
        print(f"generating again: {exc.en}")
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--elevators", type=int, default=100_000)
    ap.add_argument("--part", type=int, default=10_000, help="elevators generated and validated at a time")
    ap.add_argument("--from", dest="start", default="2024-01-01")
    ap.add_argument("--to", dest="end", default="2024-12-31")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the local Dask cluster")
    ap.add_argument("--single", action="store_true", help="also check on one process and compare the reports")
    ap.add_argument("--regenerate", action="store_true")
    args = ap.parse_args()
    start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    dataset = HERE / "data" / f"province-{args.elevators}-{args.start}-{args.end}-{args.seed}"
    print(f"machine: {os.cpu_count()} cores; load average now {load()}; {time.strftime('%Y-%m-%d %H:%M')}")
    if args.regenerate or not usable(dataset):
        shutil.rmtree(dataset, ignore_errors=True)
    if not (dataset / "liftcheck-dataset.json").exists():
        shutil.rmtree(dataset, ignore_errors=True)
        print(f"generating {args.elevators:,} elevators in parts of {args.part:,} → {dataset}")
        gen = generate(dataset, args.elevators, args.part, start, end, args.seed)
        print(f"generated {gen['records']:,} records in {gen['seconds']:.0f} s, {gen['buckets']} partitions, "
              f"{gen['mib']:.0f} MiB of Parquet, peak {gen['peak_mb']:.0f} MB")
    manifest = json.loads((dataset / "liftcheck-dataset.json").read_text(encoding="utf-8"))
    records, buckets = sum(manifest["record_counts"].values()), manifest["buckets"]
    elevators = manifest["record_counts"]["elevators"]
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    period = ["--from", args.start, "--to", args.end]

    cluster = timed([*LIFTCHECK, "check", str(dataset), *period, "--format", "json", "--force", "-o",
                     str(results / "province-cluster.json"), "--cluster", f"local:{args.workers}"])
    if cluster["rc"] not in (0, 1):
        sys.exit(cluster["stderr"][-3000:])
    workers = re.findall(r"worker (\S+): partitions (\d+), seconds ([\d.]+), peak_rss_mb (\d+)", cluster["stderr"])
    judged = sum(float(s) for _, _, s, _ in workers)
    per_partition = judged / buckets
    report = json.loads((results / "province-cluster.json").read_text(encoding="utf-8"))

    print(f"\nprovince-year: {elevators:,} elevators, {records:,} records, {buckets} partitions "
          f"(~{elevators / buckets:,.0f} elevators each)")
    print(f"  check --cluster local:{args.workers}: {cluster['wall']:.1f} s wall, central peak {cluster['peak_mb']:.0f} MB, "
          f"cpu {cluster['cpu']:.1f} s (all processes), load {cluster['load_before']} → {cluster['load_after']}")
    for worker, parts, seconds, peak in workers:
        print(f"    worker {worker}: {parts} partitions, {float(seconds):.1f} s judging, peak {peak} MB")
    print(f"  {report['summary']['violations']:,} violations, {report['summary']['pending']:,} pending; "
          f"{per_partition:.2f} s of worker time per partition (read + judge)")
    # the central part: starting the workers, merging, the report and its JSON; it grows with
    # the number of verdicts, so the model scales it with the elevators
    central = max(0.0, cluster["wall"] - max((float(s) for _, _, s, _ in workers), default=0.0))
    if args.single:
        single = timed([*LIFTCHECK, "check", str(dataset), *period, "--format", "json", "--force", "-o",
                        str(results / "province-single.json")])
        a = json.loads((results / "province-single.json").read_text(encoding="utf-8"))
        same = all(a[k] == report[k] for k in SECTIONS)
        print(f"  check on one process: {single['wall']:.1f} s wall, peak {single['peak_mb']:.0f} MB; "
              f"same verdicts as the cluster: {same}")
    partitions = math.ceil(NATIONAL_ELEVATORS / (elevators / buckets))
    national_central = central * NATIONAL_ELEVATORS / elevators
    print(f"\nnational model: {NATIONAL_ELEVATORS:,} elevators-year = {partitions} partitions × {per_partition:.2f} s "
          f"/ workers + central {central:.0f} s × {NATIONAL_ELEVATORS / elevators:.1f} = {national_central:.0f} s")
    for w in (2, 16, 64, 256):
        print(f"  {w:>4} workers: ~{(per_partition * partitions / w + national_central) / 60:.1f} min per year of records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
