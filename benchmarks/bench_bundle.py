"""What a bundle costs (issue 28 item 4): `check --bundle` at most 1.2× `check`, `verify --data`
at most 1.5× `check`, on the same data, interleaved.

    python benchmarks/bench_bundle.py --data /work/data/city-r3 [--from 2024-01-01] [--to 2024-12-31] [--rounds 5]

Each round runs, one after the other and each timed whole by /usr/bin/time -v as a user runs it:

  1. liftcheck check DATA --format json -o r.json                           the reference
  2. liftcheck check DATA --format json -o r.json --bundle b.zip --sign-key K
  3. liftcheck verify b.zip --data DATA --key K.pub

so that the machine's load weighs on all three alike; the ratios are of the medians. A key pair
is made once with `liftcheck keys new` in a scratch folder. verify must answer "identical" (exit
0), else the run stops.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_city import LIFTCHECK, line, load, timed  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="a CSV submission, a workbook or a dataset")
    ap.add_argument("--from", dest="start", default="2024-01-01")
    ap.add_argument("--to", dest="end", default="2024-12-31")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="liftcheck-bench-bundle-"))
    try:
        keys = scratch / "keys"
        made = timed([*LIFTCHECK, "keys", "new", str(keys)])
        if made["rc"]:
            sys.exit(made["stderr"])
        period = ["--from", args.start, "--to", args.end]
        report, bundle = scratch / "r.json", scratch / "b.zip"
        commands = {
            "check": [*LIFTCHECK, "check", str(args.data), *period, "--format", "json", "-o", str(report), "--force"],
            "check --bundle": [*LIFTCHECK, "check", str(args.data), *period, "--format", "json", "-o", str(report),
                               "--force", "--bundle", str(bundle), "--sign-key", str(keys / "liftcheck-signing.key")],
            "verify --data": [*LIFTCHECK, "verify", str(bundle), "--data", str(args.data), "--key",
                              str(keys / "liftcheck-signing.pub")],
        }
        print(f"{args.data}, {args.start} to {args.end}, {os.cpu_count()} cores, load {load()}")
        runs: dict[str, list[dict]] = {name: [] for name in commands}
        for n in range(1, args.rounds + 1):
            for name, cmd in commands.items():
                r = timed(cmd)
                expected = (0,) if name.startswith("verify") else (0, 1)
                if r["rc"] not in expected:
                    sys.exit(f"{name} failed ({r['rc']}):\n{r['stdout'][-3000:]}\n{r['stderr'][-3000:]}")
                runs[name].append(r)
                print(line(f"round {n}: {name}", r))
        print(f"bundle {bundle.stat().st_size / 2**20:.1f} MiB, report {report.stat().st_size / 2**20:.1f} MiB")
        reference = statistics.median(r["wall"] for r in runs["check"])
        cpu_reference = statistics.median(r["cpu"] for r in runs["check"])
        print("\nmedians (interleaved rounds):")
        for name, rs in runs.items():
            wall = statistics.median(r["wall"] for r in rs)
            peak = max(r["peak_mb"] for r in rs)
            ratio = wall / reference
            cpu = statistics.median(r["cpu"] for r in rs)
            print(f"  {name:<16} {wall:6.2f} s  peak {peak:6.0f} MB  {ratio:5.2f}× check  "
                  f"(range {min(r['wall'] for r in rs):.2f}–{max(r['wall'] for r in rs):.2f} s)  "
                  f"cpu {cpu:5.2f} s = {cpu / cpu_reference:4.2f}×")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
