"""Mutation testing of the rule book (rules/*.yaml): no Python mutation tool mutates YAML.

Each mutant is one small textual change to one line of the rule book, of the kind a drafter
could make by mistake:

* conditions (``condition``, ``applies_when``, ``deadline.due_on/fulfilled_on``, prerequisites'
  ``holds``, the ``when`` choosing a responsible party, the expressions of definitions.yaml):
  ``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=``, ``and`` ↔ ``or``, ``not`` dropped,
  ``is_null`` ↔ ``not_null``, ``earlier`` ↔ ``later``, an integer constant ± 1, a unary minus
  dropped, an item of an inline list dropped;
* evidence computed by an expression: the same operators (reported apart: evidence, not verdict);
* parameters (params.yaml): every default value ± 1, booleans flipped, enums switched, each list
  item dropped;
* credit points (credit.yaml): every point value, the year cap and the threshold ± 1;
* the rest of a verdict: responsible party swapped, the clause of a party override swapped for
  the rule's own, severity swapped, scope swapped, period_key replaced by another field.

The mutants are applied to a throw-away copy of the project (never to the checkout), so the
working tree stays exactly as it was even when a run is interrupted; the copy's file is also
restored after every mutant. For each mutant the fast test selection runs fail-fast, in two
stages: the rule tests (files that name the mutated rule or parameter first), then, only if they
all pass, the oracle property test with a fixed seed. A mutant is killed when a test fails,
survives when all pass, and times out when a stage exceeds its time limit.

    python tools/mutate_rules.py --list                 # the mutants, without running anything
    python tools/mutate_rules.py --budget-minutes 60    # run them (tools/mutation.py runs both sides)
"""

from __future__ import annotations

import argparse
import dataclasses
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

import yaml

ROOT = Path(__file__).resolve().parent.parent
COPY = ["checker", "rules", "schemas", "features", "policy", "tests", "pyproject.toml"]

# Stage 1: the rule tests, and the tests written to kill rule-book mutants.
STAGE1_GLOBS = ["tests/test_rules_*.py", "tests/test_rulebook_mutants.py"]
# Stage 2: the oracle, generating only, with a fixed seed so a run is reproducible.
STAGE2 = ["tests/test_oracle.py", "--hypothesis-profile=mutation", "--hypothesis-seed=0"]
PYTEST = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]

EXPRESSION_KEYS = {"condition", "applies_when", "due_on", "fulfilled_on", "holds", "expression"}
PARTY_SWAP = {"use_unit": "maintenance_unit", "maintenance_unit": "use_unit",
              "market_regulator": "district_government", "district_government": "market_regulator",
              "town_government": "use_unit", "housing_department": "market_regulator"}
SEVERITY_SWAP = {"notice": "general", "general": "major", "major": "general", "serious": "major",
                 "from_hazard": "major"}
SCOPE_SWAP = {"in_scope": "day_by_day", "day_by_day": "in_scope"}

# Operators on expression text: (pattern, replacement(match) -> str, description).
COMPARISONS = {"<=": "<", "<": "<=", ">=": ">", ">": ">=", "==": "!=", "!=": "=="}
OPERATORS = [
    (re.compile(r"<=|>=|==|!=|<|>"), lambda m: COMPARISONS[m.group()], "comparison"),
    (re.compile(r"\band\b"), lambda m: "or", "and→or"),
    (re.compile(r"\bor\b"), lambda m: "and", "or→and"),
    (re.compile(r"\bnot\s+"), lambda m: "", "not dropped"),
    (re.compile(r"\bis_null\("), lambda m: "not_null(", "is_null→not_null"),
    (re.compile(r"\bnot_null\("), lambda m: "is_null(", "not_null→is_null"),
    (re.compile(r"\bearlier\("), lambda m: "later(", "earlier→later"),
    (re.compile(r"\blater\("), lambda m: "earlier(", "later→earlier"),
    (re.compile(r"(?<![\w.])\d+(?![\w.-])"), lambda m: str(int(m.group()) + 1), "+1"),
    (re.compile(r"(?<![\w.])\d+(?![\w.-])"), lambda m: str(int(m.group()) - 1), "-1"),
    (re.compile(r"-(?=param\()"), lambda m: "", "unary minus dropped"),
]
STRING = re.compile(r'"[^"]*"')
INLINE_LIST = re.compile(r"\[([^\[\]]*)\]")


@dataclasses.dataclass
class Mutant:
    file: str           # relative to the project, e.g. rules/MAINT-INTERVAL.yaml
    line: int           # 1-based
    category: str       # condition | evidence | parameter | credit | verdict-field
    what: str           # human description
    old: str            # the original line
    new: str            # the mutated line
    focus: str          # a word whose mentions order the test files (rule id, parameter, definition)

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}:{self.what}"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _expression_mutants(line: str, start: int) -> list[tuple[str, str]]:
    """(description, mutated line) for every operator occurrence at or after column `start`,
    outside string literals."""
    out: list[tuple[str, str]] = []
    strings = [m.span() for m in STRING.finditer(line)]

    def in_string(pos: int) -> bool:
        return any(a <= pos < b for a, b in strings)

    for pattern, replace, name in OPERATORS:
        for m in pattern.finditer(line, start):
            if in_string(m.start()):
                continue
            new = line[:m.start()] + replace(m) + line[m.end():]
            out.append((f"{name} `{m.group().strip()}` at col {m.start() + 1}", new))
    for m in INLINE_LIST.finditer(line, start):
        items = [i.strip() for i in m.group(1).split(",")]
        if len(items) < 2:
            continue
        for k, item in enumerate(items):
            kept = ", ".join(items[:k] + items[k + 1:])
            out.append((f"list item {item} dropped", line[:m.start()] + f"[{kept}]" + line[m.end():]))
    return out


def rule_file_mutants(path: Path) -> list[Mutant]:
    rel = str(path.relative_to(ROOT))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    body = yaml.safe_load("".join(lines)) or {}
    is_definitions = path.name == "definitions.yaml"
    focus = body.get("id", "") if not is_definitions else ""
    main_ref = (body.get("clause") or {}).get("ref") if not is_definitions else None
    evidence_fields = [e if isinstance(e, str) else next(iter(e)) for e in body.get("evidence", [])] \
        if not is_definitions else []
    out: list[Mutant] = []
    section = ""            # current top-level key
    expr_indent = None      # indent of the key whose expression continues on the following lines
    expr_category = ""
    for n, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = _indent(line)
        if indent == 0 and re.match(r"[\w.-]+:", line):
            section = line.split(":", 1)[0]
            if is_definitions:
                focus = section
        if expr_indent is not None and indent > expr_indent:
            out += [Mutant(rel, n, expr_category, what, line, new, focus)
                    for what, new in _expression_mutants(line, indent)]
            continue
        expr_indent = None
        m = re.match(r"(\s*(?:- )?)([\w.]+):\s*(.*)$", line.rstrip("\n"))
        if not m:
            continue
        key, value = m.group(2), m.group(3)
        key_col = len(m.group(1))
        category = None
        if key in EXPRESSION_KEYS and (not is_definitions or key == "expression"):
            category = "condition"
        elif key == "when" and section == "responsible":
            category = "condition"
        elif section == "evidence" and m.group(1).strip() == "-" and value:
            category = "evidence"
        if category:
            if re.fullmatch(r"[>|][-+]?", value.strip()):
                value_col = len(line)          # a block scalar: the expression is on the next lines
            else:
                value_col = len(m.group(1)) + len(key) + 1
            out += [Mutant(rel, n, category, f"{key}: {what}", line, new, focus)
                    for what, new in _expression_mutants(line, value_col)]
            expr_indent, expr_category = key_col, category
            continue
        if is_definitions:
            continue
        # the other fields of a verdict
        if key in ("responsible", "party") and value in PARTY_SWAP:
            out.append(Mutant(rel, n, "verdict-field", f"{key} {value}→{PARTY_SWAP[value]}", line,
                              line.replace(value, PARTY_SWAP[value], 1), focus))
        elif key == "ref" and section == "responsible" and main_ref and value != main_ref:
            out.append(Mutant(rel, n, "verdict-field", f"party clause {value}→{main_ref}", line,
                              line.replace(value, main_ref, 1), focus))
        elif key == "severity" and indent == 0 and value in SEVERITY_SWAP:
            out.append(Mutant(rel, n, "verdict-field", f"severity {value}→{SEVERITY_SWAP[value]}", line,
                              line.replace(value, SEVERITY_SWAP[value], 1), focus))
        elif key == "scope" and indent == 0 and value in SCOPE_SWAP:
            out.append(Mutant(rel, n, "verdict-field", f"scope {value}→{SCOPE_SWAP[value]}", line,
                              line.replace(value, SCOPE_SWAP[value], 1), focus))
        elif key == "period_key" and indent == 0:
            current = value.strip("\"'{}")
            other = next((f for f in evidence_fields if f != current), None)
            if other:
                out.append(Mutant(rel, n, "verdict-field", f"period_key {{{current}}}→{{{other}}}", line,
                                  line.replace("{" + current + "}", "{" + other + "}", 1), focus))
    return out


def params_mutants(path: Path) -> list[Mutant]:
    rel = str(path.relative_to(ROOT))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    body = yaml.safe_load("".join(lines))
    out: list[Mutant] = []
    name = ""
    for n, line in enumerate(lines, 1):
        if re.match(r"[\w.]+:", line):
            name = line.split(":", 1)[0]
        m = re.match(r"(\s+values:\s*\{)([0-9-]+):\s*(.*)\}\s*$", line)
        if not m:
            continue
        head, day, raw = m.groups()
        value = yaml.safe_load(raw)

        def put(new_raw: str, what: str) -> None:
            out.append(Mutant(rel, n, "parameter", f"{name} {what}", line,
                              f"{head}{day}: {new_raw}}}\n", name))

        if isinstance(value, bool):
            put(str(not value).lower(), f"{raw}→{str(not value).lower()}")
        elif isinstance(value, int):
            put(str(value + 1), f"{value}→{value + 1}")
            put(str(value - 1), f"{value}→{value - 1}")
        elif isinstance(value, list):
            for k, item in enumerate(value):
                kept = value[:k] + value[k + 1:]
                put("[" + ", ".join(kept) + "]", f"item {item} dropped")
        elif isinstance(value, str):
            for other in body[name].get("choices", []):
                if other != value:
                    put(other, f"{value}→{other}")
    return out


def credit_mutants(path: Path) -> list[Mutant]:
    rel = str(path.relative_to(ROOT))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out: list[Mutant] = []
    for n, line in enumerate(lines, 1):
        if line.lstrip().startswith("#"):
            continue
        m = re.match(r"\s*([\w-]+):\s*(.*)$", line.rstrip("\n"))
        if not m:
            continue
        key = m.group(1)
        for num in re.finditer(r"(?<![\w.])\d+(?![\w.])", line):
            for delta in (1, -1):
                new = line[:num.start()] + str(int(num.group()) + delta) + line[num.end():]
                # name the number: a severity inside {general: 2, …} or the key itself
                sub = re.findall(r"(\w+):\s*$", line[:num.start()]) if "{" in line[:num.start()] else []
                label = f"{key}.{sub[-1]}" if sub else key
                out.append(Mutant(rel, n, "credit", f"{label} {num.group()}→{int(num.group()) + delta}",
                                  line, new, key))
    return out


def all_mutants() -> list[Mutant]:
    rules = ROOT / "rules"
    out: list[Mutant] = []
    for path in sorted(rules.glob("*.yaml")):
        if path.name == "params.yaml":
            out += params_mutants(path)
        elif path.name == "credit.yaml":
            out += credit_mutants(path)
        elif path.name == "coverage.yaml":
            continue        # accounts for sentences of the draft; decides no verdict
        else:
            out += rule_file_mutants(path)
    # conditions and parameters first: a run cut short by its budget has judged those
    order = {"condition": 0, "parameter": 1, "credit": 2, "evidence": 3, "verdict-field": 4}
    return sorted(out, key=lambda m: order[m.category])


def _stage1_files(copy: Path, focus: str) -> list[str]:
    """The stage-1 files: the small file of tests written against mutants first, then the rule
    tests, those naming the mutated rule, parameter or definition most often first."""
    files = sorted({str(p.relative_to(copy)) for g in STAGE1_GLOBS for p in copy.glob(g)})
    if focus:
        files.sort(key=lambda f: -(copy / f).read_text(encoding="utf-8").count(focus))
    files.sort(key=lambda f: f != STAGE1_GLOBS[-1])
    return files


def _run(cmd: list[str], cwd: Path, timeout: float) -> str:
    env = dict(os.environ, PYTHONPATH=str(cwd), PYTHONDONTWRITEBYTECODE="1")
    try:
        r = subprocess.run(cmd, cwd=cwd, env=env, timeout=timeout, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return "timeout"
    if r.returncode == 0:
        return "passed"
    if r.returncode == 1:
        return "failed"
    # 2: interrupted (a collection error: the mutant broke loading), 3/4: internal/usage errors
    return "failed" if r.returncode == 2 else f"error {r.returncode}: {r.stdout[-500:]}{r.stderr[-500:]}"


def make_copy() -> Path:
    copy = Path(tempfile.mkdtemp(prefix="liftcheck-rule-mutants-"))
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "mutants"))
        else:
            shutil.copy2(src, copy / name)
    # the copy's checker, not the editable install's, must be the one the tests import
    probe = subprocess.run([sys.executable, "-c", "import checker.resources as r; print(r.data_dir('rules'))"],
                           cwd=copy, env=dict(os.environ, PYTHONPATH=str(copy)), capture_output=True, text=True)
    if Path(probe.stdout.strip()) != copy / "rules":
        raise SystemExit(f"the copy's rules are not the ones loaded: {probe.stdout}{probe.stderr}")
    return copy


def run(mutants: list[Mutant], budget_s: float, out_json: Path | None, verbose: bool = True,
        only_tests: list[str] | None = None, skip_baseline: bool = False) -> dict:
    """Run the mutants; `only_tests` (a quick check while writing a test) replaces both stages
    by these test files and skips the baseline."""
    start = time.monotonic()
    copy = make_copy()
    results: list[dict] = []
    try:
        limit = 600.0
        if not only_tests and not skip_baseline:
            t0 = time.monotonic()
            base1 = _run(PYTEST + _stage1_files(copy, ""), copy, 1800)
            base2 = _run(PYTEST + STAGE2, copy, 1800)
            baseline_s = time.monotonic() - t0
            if base1 != "passed" or base2 != "passed":
                raise SystemExit(f"the unmutated rule book does not pass the selection: {base1} / {base2}")
            limit = max(120.0, 3 * baseline_s)
            if verbose:
                print(f"baseline: selection passes in {baseline_s:.0f} s; per-stage limit {limit:.0f} s; "
                      f"{len(mutants)} mutants", flush=True)
        for i, mutant in enumerate(mutants, 1):
            if time.monotonic() - start > budget_s:
                results += [dict(dataclasses.asdict(m), id=m.id, status="not run") for m in mutants[i - 1:]]
                break
            target = copy / mutant.file
            original = target.read_bytes()
            text = original.decode("utf-8").splitlines(keepends=True)
            assert text[mutant.line - 1] == mutant.old, mutant.id
            text[mutant.line - 1] = mutant.new
            t = time.monotonic()
            try:
                target.write_text("".join(text), encoding="utf-8")
                status = _run(PYTEST + (only_tests or _stage1_files(copy, mutant.focus)), copy, limit)
                stage = 1
                if status == "passed" and not only_tests:
                    shutil.rmtree(copy / ".hypothesis", ignore_errors=True)
                    status = _run(PYTEST + STAGE2, copy, limit)
                    stage = 2
            finally:
                target.write_bytes(original)
            verdict = {"passed": "survived", "failed": "killed", "timeout": "timeout"}.get(status, status)
            results.append(dict(dataclasses.asdict(mutant), id=mutant.id, status=verdict, stage=stage,
                                seconds=round(time.monotonic() - t, 1)))
            if verbose:
                print(f"[{i}/{len(mutants)}] {verdict:8} s{stage} {time.monotonic() - t:5.0f}s  {mutant.id}",
                      flush=True)
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    summary = summarise(results, time.monotonic() - start)
    if out_json:
        out_json.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return summary


def summarise(results: list[dict], seconds: float) -> dict:
    by_cat: dict[str, dict[str, int]] = {}
    for r in results:
        c = by_cat.setdefault(r["category"], {})
        c[r["status"]] = c.get(r["status"], 0) + 1
    ran = [r for r in results if r["status"] != "not run"]
    killed = sum(r["status"] in ("killed", "timeout") for r in ran)
    return {"mutants": len(results), "ran": len(ran), "killed_or_timeout": killed,
            "score": round(100 * killed / len(ran), 1) if ran else None, "seconds": round(seconds),
            "by_category": by_cat,
            "survivors": [r for r in results if r["status"] == "survived"],
            "errors": [r for r in results if r["status"].startswith("error")],
            "not_run": [r["id"] for r in results if r["status"] == "not run"],
            "results": results}


def print_summary(summary: dict) -> None:
    print(f"\nrule book: {summary['killed_or_timeout']}/{summary['ran']} mutants killed "
          f"(score {summary['score']}%), {summary['mutants'] - summary['ran']} not run, {summary['seconds']} s")
    for cat, counts in sorted(summary["by_category"].items()):
        print(f"  {cat:14} " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for r in summary["survivors"]:
        print(f"SURVIVED [{r['category']}] {r['id']}\n    - {r['old'].strip()}\n    + {r['new'].strip()}")
    for r in summary["errors"]:
        print(f"ERROR {r['id']}: {r['status']}")


def stop_cleanly_on_signals() -> None:
    """SIGTERM, and SIGINT even where a background shell set it to be ignored, end the run through
    the `finally` clauses: the running pytest is killed and the throw-away copy removed."""
    def stop(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def main(argv: list[str] | None = None) -> int:
    stop_cleanly_on_signals()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget-minutes", type=float, default=90)
    ap.add_argument("--list", action="store_true", help="print the mutants and stop")
    ap.add_argument("--only", nargs="+", help="run only mutants whose id contains one of these texts")
    ap.add_argument("--category", nargs="+", help="run only mutants of these categories")
    ap.add_argument("--json", type=Path, help="write every result here")
    ap.add_argument("--no-baseline", action="store_true",
                    help="do not first check that the unmutated book passes (it just did: a full pytest)")
    ap.add_argument("--reverse", action="store_true",
                    help="run the mutants last to first (a second run sharing the work from the other end)")
    ap.add_argument("--with-tests", nargs="+", metavar="TEST_FILE",
                    help="check the selected mutants against these tests only (no baseline, no oracle stage)")
    args = ap.parse_args(argv)
    mutants = all_mutants()
    if args.only:
        mutants = [m for m in mutants if any(o in m.id for o in args.only)]
    if args.category:
        mutants = [m for m in mutants if m.category in args.category]
    if args.reverse:
        mutants.reverse()
    if args.list:
        for m in mutants:
            print(f"[{m.category}] {m.id}\n    - {m.old.strip()}\n    + {m.new.strip()}")
        print(len(mutants), "mutants")
        return 0
    summary = run(mutants, args.budget_minutes * 60, args.json, only_tests=args.with_tests,
                  skip_baseline=args.no_baseline)
    print_summary(summary)
    return 1 if summary["survivors"] else 0


if __name__ == "__main__":
    sys.exit(main())
