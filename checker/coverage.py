"""`liftcheck coverage`: which clause each rule encodes, and which scenarios test each rule."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from checker.resources import data_dir
from checker.rulebook import RuleBook

_SCENARIO = re.compile(r"^\s*(场景大纲|剧本大纲|场景|剧本)\s*[:：]\s*(.+?)\s*$")
_FEATURE = re.compile(r"^\s*功能\s*[:：]\s*([A-Z][A-Z0-9-]+)")
_EXAMPLE_ROW = re.compile(r"^\s*\|")


def scenarios_by_rule(folder: Path) -> dict[str, list[dict]]:
    """Rule id (from each feature's 功能 title) -> its scenarios, with how many example rows each runs."""
    out: dict[str, list[dict]] = {}
    for path in sorted(folder.glob("*.feature")):
        rule, current, in_examples = None, None, False
        for line in path.read_text(encoding="utf-8").splitlines():
            if m := _FEATURE.match(line):
                rule = m.group(1)
                out.setdefault(rule, [])
            elif (m := _SCENARIO.match(line)) and rule:
                current = {"file": path.name, "name": m.group(2), "outline": m.group(1) in ("场景大纲", "剧本大纲"), "runs": 1}
                out[rule].append(current)
                in_examples = False
            elif line.strip().startswith("例子") and current:
                in_examples, current["runs"] = True, -1  # header row is not a run
            elif in_examples and current and _EXAMPLE_ROW.match(line):
                current["runs"] += 1
    return out


def _overlaps(a: str, b: str) -> bool:
    strip = lambda s: re.sub(r"[\s。，、；：“”‘’\"'《》（）()]", "", s)  # noqa: E731
    a, b = strip(a), strip(b)
    return bool(a) and bool(b) and (a in b or b in a)


def coverage(book: RuleBook, features: Path | None = None) -> dict:
    clauses = yaml.safe_load((data_dir("rules") / "clauses.yaml").read_text(encoding="utf-8"))
    scenarios = scenarios_by_rule(features or data_dir("features"))
    rows, claimed = [], set()
    for c in clauses:
        rules = [r.id for r in book if r.clause["ref"] == c["ref"] and _overlaps(r.clause["text"], c["text"])]
        claimed |= set(rules)
        rows.append({"ref": c["ref"], "text": c["text"], "rules": rules, "not_encoded": c.get("not_encoded"),
                     "scenarios": {r: len(scenarios.get(r, [])) for r in rules},
                     "flag": None if rules or c.get("not_encoded") else "clause_without_rule"})
    rule_rows = [{"rule_id": r.id, "clause": r.clause["ref"], "scenarios": scenarios.get(r.id, []),
                  "flags": [f for f, bad in (("rule_without_clause", r.id not in claimed),
                                             ("rule_without_scenario", not scenarios.get(r.id))) if bad]}
                 for r in book]
    return {"clauses": rows, "rules": rule_rows,
            "problems": [{"clause": c["ref"], "text": c["text"], "flag": c["flag"]} for c in rows if c["flag"]]
            + [{"rule_id": r["rule_id"], "flag": f} for r in rule_rows for f in r["flags"]]}


def markdown(cov: dict) -> str:
    lines = ["# 条款覆盖 Clause coverage", "", "| 条款 | 义务 | 规则 | 场景数 |", "|---|---|---|---|"]
    for c in cov["clauses"]:
        rules = "、".join(c["rules"]) or (f"未编码：{c['not_encoded']}" if c["not_encoded"] else "**没有规则**")
        count = "、".join(f"{r} {n}" for r, n in c["scenarios"].items())
        lines.append(f"| {c['ref']} | {c['text']} | {rules} | {count} |")
    lines += ["", "## 问题 Problems", ""] + ([f"- {p}" for p in cov["problems"]] or ["- 无 none"])
    return "\n".join(lines) + "\n"
