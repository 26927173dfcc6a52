"""`liftcheck compare`: the drafter's what-if — two rule books judged over the same records.

The base is the shipped rule book (or `--params`/`--rules`); the proposal is the base changed by
`--proposal-params` and/or `--proposal-rules`. The submission is loaded and validated once; the
fact tables are derived once when the two parameter sets agree on every parameter that shapes
them, else a second time for the proposal. Each side is then reported exactly as `check` would
report it, and the two reports are compared: by rule, by district, by firm, and violation by
violation (matched by fingerprint). The result is one dict (the JSON contract); renderers live
in `checker.render_whatif`.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

from checker import facts as facts_module
from checker import metrics as metrics_module
from checker.credit import load_schedule
from checker.engine import evaluate
from checker.errors import LiftcheckError
from checker.expressions import load_definitions
from checker.overrides import compile_overlay
from checker.params import ParameterSet, apply_overrides, load_parameters
from checker.pipeline import judged_submission, rule_book_and_parameters
from checker.report import build_report
from checker.rulebook import RuleBook, lay_overlay

# What makes two versions of one violation (same fingerprint) differ for a reader, beside its evidence.
_COMPARED = {"severity": ("severity",), "responsible": ("responsible_role", "responsible_org_id")}
_PARAMETER_ONLY = re.compile(r"""\s*param\(\s*["'][^"']+["']\s*\)\s*""")


@dataclass
class Side:
    book: RuleBook
    params: ParameterSet


@functools.cache
def _literals_of_fact_modules() -> frozenset[str]:
    found = set()
    for module in (facts_module, metrics_module):
        tree = ast.parse(inspect.getsource(module))
        docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                found.add(node.value)
    return frozenset(found)


def fact_parameters(names) -> set[str]:
    """Of `names`, the parameters that shape the fact tables and the metrics themselves (the
    inspection cycle, the stop deadline, old on a hazard's day...), not only a rule's condition:
    every parameter facts.py or metrics.py names, and every parameter of a definition
    (rules/definitions.yaml) they apply. Read from their source, so that one the fact base starts
    to use is never missed; a name built at run time from a literal prefix counts too."""
    literals = _literals_of_fact_modules()
    words = {w for text in literals for w in re.findall(r"[A-Za-z_]\w*", text)}
    defined = {p for name, d in load_definitions().items() if name in words for p in d.parameters}
    prefixes = [s for s in literals if s.endswith(".")]
    return {n for n in names if n in literals or n in defined or any(n.startswith(p) for p in prefixes)}


def same_facts(a: ParameterSet, b: ParameterSet) -> bool:
    return all(a[n].values == b[n].values for n in fact_parameters(a.params))


def _sides(start: dt.date, end: dt.date, params_file: Path | None, rules_dir: Path | None,
           proposal_params: Path | None, proposal_rules: Path | None) -> tuple[Side, Side]:
    if proposal_params is None and proposal_rules is None:
        raise LiftcheckError("请给出拟议方案：--proposal-params 文件和/或 --proposal-rules 文件夹",
                             "give the proposal: --proposal-params FILE and/or --proposal-rules DIR")
    base = Side(*rule_book_and_parameters(start, end, params_file, rules_dir))
    book = base.book if proposal_rules is None else lay_overlay(base.book, proposal_rules)   # base left as it is
    params = load_parameters(params_file)   # a parameter set of its own
    if proposal_params is not None:
        apply_overrides(params, proposal_params)
    compile_overlay(book, params, start, end)
    return base, Side(book, params)


def run_compare(path: Path, start: dt.date, end: dt.date, proposal_params: Path | None = None,
                proposal_rules: Path | None = None, params_file: Path | None = None, rules_dir: Path | None = None,
                credit_file: Path | None = None, skip_invalid: bool = False) -> dict:
    """Everything is checked before the data is read: both rule books, both parameter sets."""
    base, proposal = _sides(start, end, params_file, rules_dir, proposal_params, proposal_rules)
    schedules = load_schedule(credit_file, base.book), load_schedule(credit_file, proposal.book)
    submission = judged_submission(path, skip_invalid)
    base_eval = evaluate(submission, base.book, base.params, start, end)
    shared = base_eval.facts if same_facts(base.params, proposal.params) else None
    proposal_eval = evaluate(submission, proposal.book, proposal.params, start, end, facts=shared)
    reports = (build_report(base_eval, base.book, base.params, schedules[0]),
               build_report(proposal_eval, proposal.book, proposal.params, schedules[1]))
    out = compare_reports(*reports, base, proposal)
    out["facts_shared"] = shared is not None
    out["rejected_records"] = submission.error_count
    return out


def _differing_parameters(base: ParameterSet, proposal: ParameterSet, day: dt.date) -> tuple[list, list]:
    names = [n for n in sorted(base.params) if base[n].values != proposal[n].values]

    def entry(p):
        return {"name": p.name, "value": p.at(day), "values": {d.isoformat(): v for d, v in p.values},
                "unit": p.unit, "description_zh": p.description_zh}

    return [entry(base[n]) for n in names], [entry(proposal[n]) for n in names]


def _rule_changes(base: Side, proposal: Side, day: dt.date) -> dict:
    """What the proposal's rule book changed in the base's: replaced, added, disabled (each with its title)."""
    changed = {"replaced": [], "added": [], "disabled": []}
    for rule in proposal.book:
        title = _title(rule, proposal.params, day)
        if rule.id not in base.book.rules:
            changed["added"].append({"rule_id": rule.id, "title": title, "file": str(rule.path)})
        elif rule.body != base.book.rules[rule.id].body:
            changed["replaced"].append({"rule_id": rule.id, "title": title, "file": str(rule.path)})
    changed["disabled"] = [{"rule_id": r.id, "title": _title(r, base.params, day), "reason": proposal.book.disabled.get(r.id, "")}
                           for r in base.book if r.id not in proposal.book.rules]
    return changed


def _title(rule, params: ParameterSet, day: dt.date, lang: str = "zh") -> str:
    """A rule's title as a report prints it: its parameters as of the period's end."""
    from checker.wording import render_static

    return render_static(rule.body["title"][lang], params, day, lang)


def prerequisite_wording(book: RuleBook, params: ParameterSet, day: dt.date, lang: str = "zh") -> dict[str, dict[str, str]]:
    """Per prerequisite rule, each prerequisite's failure wording (for the evidence `unmet`)."""
    from checker.wording import render_static

    return {rule.id: {p["id"]: render_static(p[lang], params, day, lang) for p in rule.prerequisites}
            for rule in book if rule.body.get("kind") == "prerequisites"}


def _firms(base: dict, proposal: dict) -> list[dict]:
    """Property service enterprises with deductions in either report."""
    b = {f["org_id"]: f for f in base["credit"]}
    p = {f["org_id"]: f for f in proposal["credit"]}
    rows = []
    for org in sorted(set(b) | set(p)):
        fb, fp = b.get(org), p.get(org)
        items_b = {i["fingerprint"] for i in fb["items"]} if fb else set()
        items_p = {i["fingerprint"] for i in fp["items"]} if fp else set()
        points_b, points_p = fb["points"] if fb else 0, fp["points"] if fp else 0
        rows.append({"org_id": org, "name": (fb or fp)["name"],
                     "base_violations": len(items_b), "proposal_violations": len(items_p),
                     "base_points": points_b, "proposal_points": points_p,
                     "affected": items_b != items_p or points_b != points_p})
    return sorted(rows, key=lambda f: (-abs(f["proposal_points"] - f["base_points"]), not f["affected"], f["org_id"]))


def _parameter_echoes(*books: RuleBook) -> dict[str, set[str]]:
    """Per rule, the evidence entries that only restate a parameter (limit_days: param("...")):
    a proposal that changes the parameter changes them in every violation, which says nothing new."""
    out: dict[str, set[str]] = {}
    for book in books:
        for rule in book:
            for item in rule.evidence:
                if isinstance(item, dict):
                    (name, text), = item.items()
                    if _PARAMETER_ONLY.fullmatch(str(text)):
                        out.setdefault(rule.id, set()).add(name)
    return out


def _changed(b: dict, p: dict, echoes: set[str]) -> list[str]:
    differs = [what for what, fields in _COMPARED.items() if any(b[f] != p[f] for f in fields)]
    evidence_b = {k: v for k, v in b["evidence"].items() if k not in echoes}
    evidence_p = {k: v for k, v in p["evidence"].items() if k not in echoes}
    return differs + (["evidence"] if evidence_b != evidence_p else [])


def compare_reports(base: dict, proposal: dict, base_side: Side, proposal_side: Side) -> dict:
    """The comparison of two check reports over the same submission and period."""
    day = dt.date.fromisoformat(base["period"]["to"])
    vb = {v["fingerprint"]: v for v in base["violations"]}
    vp = {v["fingerprint"]: v for v in proposal["violations"]}
    added = [v for f, v in vp.items() if f not in vb]
    removed = [v for f, v in vb.items() if f not in vp]
    changed = []
    echoes = _parameter_echoes(base_side.book, proposal_side.book)
    for f in vb.keys() & vp.keys():
        differs = _changed(vb[f], vp[f], echoes.get(vb[f]["rule_id"], set()))
        if differs:
            changed.append({"fingerprint": f, "rule_id": vb[f]["rule_id"], "subject": vb[f]["subject"],
                            "period_key": vb[f]["period_key"], "differs": differs, "base": vb[f], "proposal": vp[f]})
    changed.sort(key=lambda c: (c["rule_id"], c["subject"], c["period_key"]))

    rule_ids = [*base_side.book.rules, *(r for r in proposal_side.book.rules if r not in base_side.book.rules)]
    titles = {r["rule_id"]: r["title"] for r in proposal["rules"]} | {r["rule_id"]: r["title"] for r in base["rules"]}
    not_evaluated = ({r["rule_id"]: r["reason_zh"] for r in base["rules"] if not r["evaluated"]},
                     {r["rule_id"]: r["reason_zh"] for r in proposal["rules"] if not r["evaluated"]})
    by_rule = [{"rule_id": r, "title": titles.get(r, r), "base": base["summary"]["by_rule"].get(r),
                "proposal": proposal["summary"]["by_rule"].get(r),
                "note_zh": _not_judged_note(r, base_side, proposal_side, *not_evaluated)}
               for r in rule_ids]
    districts = set(base["summary"]["by_district"]) | set(proposal["summary"]["by_district"])
    by_district = [{"district": d, "base": base["summary"]["by_district"].get(d, 0),
                    "proposal": proposal["summary"]["by_district"].get(d, 0)} for d in districts]
    by_district.sort(key=lambda d: (-abs(d["proposal"] - d["base"]), d["district"]))
    firms = _firms(base, proposal)
    gained = sum(max(f["proposal_points"] - f["base_points"], 0) for f in firms)
    lost = sum(max(f["base_points"] - f["proposal_points"], 0) for f in firms)
    affected = sum(f["affected"] for f in firms)
    for f in firms:
        del f["affected"]
    params_b, params_p = _differing_parameters(base_side.params, proposal_side.params, day)
    zh = (f"拟议方案新增违规 {len(added)} 条、减少 {len(removed)} 条；影响 {affected} 家物业企业，"
          f"扣分合计 +{gained}/−{lost}")
    en = (f"The proposal adds {len(added)} violations and removes {len(removed)}; it affects {affected} property "
          f"service enterprises, points +{gained}/−{lost} in total")
    if changed:
        zh += f"；另有 {len(changed)} 条违规的严重程度、责任方或证据改变"
        en += f"; {len(changed)} more violations change in severity, responsible party or evidence"
    return {
        "period": base["period"],
        "conclusion_zh": zh + "。",
        "conclusion_en": en + ".",
        "summary": {"added": len(added), "removed": len(removed), "changed": len(changed),
                    "firms_affected": affected, "points_added": gained, "points_removed": lost},
        "base": {"ruleset": base["ruleset"], "parameters": params_b, "overrides": base["overrides"],
                 "violations": base["summary"]["violations"], "credit_points": base["summary"]["credit_points"],
                 "not_evaluated": base["summary"]["not_evaluated"]},
        "proposal": {"ruleset": proposal["ruleset"], "parameters": params_p,
                     "rules": _rule_changes(base_side, proposal_side, day), "overrides": proposal["overrides"],
                     "violations": proposal["summary"]["violations"],
                     "credit_points": proposal["summary"]["credit_points"],
                     "not_evaluated": proposal["summary"]["not_evaluated"]},
        "by_rule": by_rule,
        "by_district": by_district,
        "by_firm": firms,
        "added": added,
        "removed": removed,
        "changed": changed,
        "credit_schedule": proposal["credit_schedule"],
        # each prerequisite's failure wording, so that an evidence `unmet` reads as words
        "prerequisites": prerequisite_wording(base_side.book, base_side.params, day)
        | prerequisite_wording(proposal_side.book, proposal_side.params, day),
    }


def _not_judged_note(rule_id: str, base: Side, proposal: Side, base_reasons: dict, proposal_reasons: dict) -> str | None:
    """Why one side has no count for a rule: not in its rule book (added, disabled), or not evaluated."""
    notes = []
    for side, name, reasons in ((base, "基准", base_reasons), (proposal, "拟议", proposal_reasons)):
        if rule_id not in side.book.rules:
            notes.append(f"{name}规则集中没有这条规则" if name == "基准" else "拟议方案停用了这条规则")
        elif rule_id in reasons:
            notes.append(f"{name}未评判：{reasons[rule_id]}")
    return "；".join(notes) or None
