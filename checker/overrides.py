"""What a run used instead of the shipped rule book: `--params` values and `--rules` overlay files.

Two jobs, both before and after the straight line rather than inside it:
- `compile_overlay` compiles every rule an overlay brings against the columns of its fact table,
  before any data is loaded, so that a drafter's typo is reported at once, naming file and field;
- `overrides_section` says, in every report, which parameters and rules were not the shipped ones.
"""

from __future__ import annotations

import datetime as dt
import polars as pl

from checker.contract import record_types
from checker.engine import CompiledRule
from checker.errors import LiftcheckError
from checker.expressions import Compiler, ExpressionError, period_constants
from checker.facts import FACT_TABLES, FactBase
from checker.params import ParameterSet, value_at
from checker.rulebook import Rule, RuleBook
from checker.validate import Submission


def _fail(rule: Rule, field: str, zh: str, en: str) -> LiftcheckError:
    return LiftcheckError(f"规则文件 {rule.path} 字段 {field}：{zh}", f"rule file {rule.path}, field {field}: {en}")


# Columns the engine adds while judging a deadline: the fulfilment may speak of the first two,
# everything compiled after the deadline (evidence, cases of responsible and message) of all four.
_DUE = {"arises_on", "due_on"}
_DEADLINE = _DUE | {"fulfilled_on", "days_late"}


def _expressions(rule: Rule) -> list[tuple[str, str, set[str]]]:
    """(field, text, columns the engine adds for it) of every expression a rule file holds, named as
    in the file, in the order the engine compiles them."""
    later = _DEADLINE if rule.kind == "deadline" else set()
    out = []
    if "applies_when" in rule.body:
        out.append(("applies_when", rule.body["applies_when"], set()))
    out += [(f"unjudged[{i}]/when", u["when"], set()) for i, u in enumerate(rule.body.get("unjudged", []))]
    if rule.kind == "condition":
        out.append(("condition", rule.condition, set()))
    elif rule.kind == "deadline":
        out += [(f"deadline/{k}", rule.deadline[k], _DUE if k == "fulfilled_on" else set())
                for k in ("arises_on", "due_on", "fulfilled_on")]
    else:
        out += [(f"prerequisites/{p['id']}/holds", p["holds"], later) for p in rule.prerequisites]
    for item in rule.evidence:
        if isinstance(item, dict):
            (name, text), = item.items()
            out.append((f"evidence/{name}", text, later))
    for key in ("responsible", "message"):
        entries = rule.body[key] if isinstance(rule.body[key], list) else []
        out += [(f"{key}[{i}]/when", e["when"], later) for i, e in enumerate(entries) if "when" in e]
    out.append(("identity_day", rule.body["identity_day"], later))
    out += [(f"depends/{name}", text, later) for name, text in rule.body.get("depends", {}).items()]
    return out


def compile_rule(rule: Rule, facts: FactBase, params: ParameterSet, start: dt.date, end: dt.date) -> None:
    """Everything the engine will need of a rule file, checked against an empty fact base."""
    if rule.facts not in FACT_TABLES:
        raise _fail(rule, "facts", f"没有事实表「{rule.facts}」；可用：{', '.join(sorted(FACT_TABLES))}",
                    f"no fact table {rule.facts!r}; available: {', '.join(sorted(FACT_TABLES))}")
    unknown_types = [t for t in rule.requires if not set(t.split("|")) <= set(record_types())]
    if unknown_types:
        raise _fail(rule, "requires", f"没有记录类型 {unknown_types}；可用：{', '.join(record_types())}",
                    f"no record type {unknown_types}; available: {', '.join(record_types())}")
    unknown_params = [n for n in rule.parameters if n not in params.params]
    if unknown_params:
        raise _fail(rule, "parameters", f"没有参数 {unknown_params}（见 rules/params.yaml）",
                    f"no parameter {unknown_params} (see rules/params.yaml)")
    columns = set(facts.get(rule.facts).columns)
    for field, text, added in _expressions(rule):
        compiler = Compiler(params, columns | added, period_constants(start, end), where="")
        try:
            compiler.compile(text)
        except ExpressionError as exc:
            raise _fail(rule, field, exc.zh.removeprefix("："), exc.en.removeprefix(": ")) from None
        except LiftcheckError as exc:  # e.g. param("a name that does not exist")
            raise _fail(rule, field, exc.zh, exc.en) from None
    try:
        CompiledRule(rule, params, columns, start, end)  # placeholders, evidence columns, listed parameters
    except LiftcheckError as exc:  # the engine names the file alone; an overlay's lies beside a shipped namesake
        raise LiftcheckError(exc.zh.replace(rule.path.name, str(rule.path), 1),
                             exc.en.replace(rule.path.name, str(rule.path), 1)) from None


def overlay_rules(book: RuleBook) -> list[Rule]:
    """The rules of `book` that come from an overlay folder rather than the shipped files."""
    shipped_files = set(book.files)
    return [rule for rule in book if rule.path not in shipped_files]


def compile_overlay(book: RuleBook, params: ParameterSet, start: dt.date, end: dt.date) -> None:
    """Compile the rules overlays replaced or added; raises naming the file and the field."""
    rules = overlay_rules(book)
    if not rules:
        return
    nothing = Submission(tables={}, present_types=set(), problems=pl.DataFrame())
    facts = FactBase(nothing, params, start, end)
    for rule in rules:
        compile_rule(rule, facts, params, start, end)


def overrides_section(book: RuleBook, params: ParameterSet, day: dt.date) -> dict:
    """`overrides`: parameters set by --params (shipped value, value used, both as of `day`, and
    every dated value when there are several) and rules overlays replaced, added or disabled."""
    parameters = []
    for name, p in sorted(params.params.items()):
        if not p.overridden:
            continue
        entry = {"name": name, "base": value_at(p.shipped or p.values, day), "value": p.at(day)}
        if len(p.values) > 1 or len(p.shipped or []) > 1:
            entry |= {"base_values": {d.isoformat(): v for d, v in p.shipped or p.values},
                      "values": {d.isoformat(): v for d, v in p.values}}
        parameters.append(entry)
    rules = {"replaced": [], "added": [], "disabled": []}
    for rule in overlay_rules(book):
        rules["replaced" if rule.id in book.shipped else "added"].append({"rule_id": rule.id, "file": str(rule.path)})
    rules["disabled"] = [{"rule_id": r, "reason": reason} for r, reason in book.disabled.items()]
    return {"parameters": parameters, "rules": rules}
