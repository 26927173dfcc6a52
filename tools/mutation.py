"""Mutation testing of the verdict path, bounded in time: the rule book and the Python that judges.

    python tools/mutation.py --budget-minutes 60                 # both, half the budget each at most
    python tools/mutation.py --budget-minutes 45 --rules-only    # tools/mutate_rules.py: rules/*.yaml
    python tools/mutation.py --budget-minutes 45 --python-only   # mutmut over checker/'s verdict path

Rule book: tools/mutate_rules.py makes one mutant at a time of the conditions, definitions,
parameter defaults, credit points and verdict fields, in a throw-away copy of the project.

Python: mutmut 3 (mutation by function, each mutant switched on at run time by a trampoline, so
one copy of the source serves every mutant, and only the tests that reach the mutated function
run, fail-fast). It runs in a throw-away copy of the project too, with its configuration written
there (MUTMUT_CONFIG below), so neither the checkout nor pyproject.toml carries mutmut's files.
Workers come from a fork server that has imported nothing: polars' thread pool does not survive
a fork from a process that has already run polars, and every mutant then hangs until its timeout.
Modules run in PYTHON_MODULES order until the budget is spent; `--keep` leaves the copy so that
`cd COPY && mutmut browse` shows each survivor.

Both print a score and every survivor; the exit status is 1 when anything survived.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mutate_rules  # noqa: E402

ROOT = mutate_rules.ROOT

# The code that decides a verdict, most decisive first. Loading, validation of input, rendering
# and the portal are left out: they decide whether a submission is read, not what is judged.
PYTHON_MODULES = [
    "checker/deadlines.py",     # deadline rules: due, fulfilled, late, pending
    "checker/verdicts.py",      # fingerprints, ordering, the verdict rows
    "checker/credit.py",        # points, caps, the dishonest register
    "checker/expressions.py",   # the condition language compiled to polars
    "checker/engine.py",        # judging a rule: scope, parties, severity, period keys
    "checker/params.py",        # the parameter value in force on a day
    "checker/dates.py",         # add_years/add_months at month ends
    "checker/facts.py",         # derived facts (intervals, gaps, months, weeks)
    "checker/wording.py",       # period_key and messages rendered from templates
]
TEST_SELECTION = ["tests/test_rules_assessment_hazard_fund.py", "tests/test_rules_maintenance_inspection.py",
                  "tests/test_rules_revision2.py", "tests/test_rules_stop_order_defect.py",
                  "tests/test_rules_use_management.py", "tests/test_rulebook_mutants.py"]


def mutmut_config(modules: list[str]) -> str:
    def block(key: str, values: list[str]) -> str:
        return f"{key} =\n" + "".join(f"    {v}\n" for v in values)

    return ("[mutmut]\nsource_paths = checker\n"
            + block("only_mutate", modules)
            + block("also_copy", ["rules", "schemas", "features", "policy"])
            + block("pytest_add_cli_args_test_selection", [t for t in TEST_SELECTION if (ROOT / t).exists()])
            + block("pytest_add_cli_args", ["-p", "no:cacheprovider"])
            + "use_git_change_detection = false\n"
            + "process_isolation = forkserver\n"
            + "forkserver_warmup = none\n")


def run_python(budget_s: float, modules: list[str], keep: bool) -> dict:
    start = time.monotonic()
    copy = Path(tempfile.mkdtemp(prefix="liftcheck-mutmut-"))
    for name in mutate_rules.COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "mutants"))
        else:
            shutil.copy2(src, copy / name)
    (copy / "setup.cfg").write_text(mutmut_config(modules), encoding="utf-8")
    mutmut = [sys.executable, "-m", "mutmut"]
    ran: list[str] = []
    cut_short = None
    try:
        for module in modules:
            left = budget_s - (time.monotonic() - start)
            if left < 60:
                cut_short = module
                break
            name = module.removesuffix(".py").replace("/", ".") + ".*"
            print(f"mutmut: {module} ({left / 60:.0f} min left)", flush=True)
            proc = subprocess.Popen(mutmut + ["run", "--max-children", "1", name], cwd=copy,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                    start_new_session=True)
            try:
                _, err = proc.communicate(timeout=left)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGINT)
                try:
                    proc.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.communicate()
                cut_short = module
                ran.append(module)
                break
            if proc.returncode != 0:
                print(err[-2000:], file=sys.stderr)
            ran.append(module)
        out = subprocess.run(mutmut + ["results", "--all", "true"], cwd=copy, capture_output=True, text=True).stdout
        statuses: dict[str, str] = {}
        for line in out.splitlines():
            m = re.match(r"\s*(\S+): (.+)$", line)
            if m:
                statuses[m.group(1)] = m.group(2).strip()
        survivors = []
        for name, status in sorted(statuses.items()):
            if status in ("survived", "no tests"):
                diff = subprocess.run(mutmut + ["show", name], cwd=copy, capture_output=True, text=True).stdout
                survivors.append({"name": name, "status": status, "diff": diff})
        counts: dict[str, int] = {}
        for status in statuses.values():
            counts[status] = counts.get(status, 0) + 1
        by_module: dict[str, dict[str, int]] = {}
        for name, status in statuses.items():
            mod = name.split(".x_")[0].split(".xǁ")[0]
            c = by_module.setdefault(mod, {})
            c[status] = c.get(status, 0) + 1
        tested = sum(v for k, v in counts.items() if k not in ("not checked", "skipped"))
        killed = counts.get("killed", 0) + counts.get("timeout", 0)
        return {"modules_run": ran, "cut_short_in": cut_short, "counts": counts, "by_module": by_module,
                "score": round(100 * killed / tested, 1) if tested else None, "tested": tested, "killed": killed,
                "seconds": round(time.monotonic() - start), "survivors": survivors,
                "copy": str(copy) if keep else None}
    finally:
        if not keep:
            shutil.rmtree(copy, ignore_errors=True)


def print_python(summary: dict) -> None:
    print(f"\nPython (mutmut): {summary['killed']}/{summary['tested']} mutants killed "
          f"(score {summary['score']}%), {summary['seconds']} s; modules {', '.join(summary['modules_run'])}"
          + (f"; cut short in {summary['cut_short_in']}" if summary["cut_short_in"] else ""))
    for mod, counts in sorted(summary["by_module"].items()):
        print(f"  {mod:22} " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for s in summary["survivors"]:
        print(f"SURVIVED {s['name']} ({s['status']})\n{s['diff']}")
    if summary["copy"]:
        print(f"copy kept: cd {summary['copy']} && mutmut browse")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget-minutes", type=float, default=90)
    side = ap.add_mutually_exclusive_group()
    side.add_argument("--rules-only", action="store_true")
    side.add_argument("--python-only", action="store_true")
    ap.add_argument("--modules", nargs="*", help=f"Python modules to mutate (default: {' '.join(PYTHON_MODULES)})")
    ap.add_argument("--keep", action="store_true", help="keep mutmut's copy of the project for `mutmut browse`")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args(argv)
    mutate_rules.stop_cleanly_on_signals()
    budget = args.budget_minutes * 60
    both = not (args.rules_only or args.python_only)
    report: dict = {}
    start = time.monotonic()
    if not args.python_only:
        report["rules"] = mutate_rules.run(mutate_rules.all_mutants(), budget / 2 if both else budget, None)
        mutate_rules.print_summary(report["rules"])
    if not args.rules_only:
        left = budget - (time.monotonic() - start)
        report["python"] = run_python(left, args.modules or PYTHON_MODULES, args.keep)
        print_python(report["python"])
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if any(side_report["survivors"] for side_report in report.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
