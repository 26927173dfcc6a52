"""The engine: each rule's condition, compiled to polars, evaluated over its whole fact table at once.

Partitioning sits here too: `partition()` splits a submission by use unit so that no part
needs another's records; evaluating the parts and concatenating gives the same verdicts
(tests/test_partition.py), on one core, on all cores, or on several machines.
"""

from __future__ import annotations

import datetime as dt
import string
import time
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from checker import deadlines
from checker.contract import record_types
from checker.errors import LiftcheckError
from checker.expressions import Compiler, period_constants
from checker.facts import FactBase
from checker.params import ParameterSet
from checker.rulebook import Rule, RuleBook
from checker.validate import Submission
from checker.verdicts import Pending, RuleStatus, Violation, fingerprint


@dataclass
class Evaluation:
    start: dt.date
    end: dt.date
    statuses: list[RuleStatus]
    violations: list[Violation]
    pending: list[Pending]
    facts: FactBase
    submission: Submission
    used_parameters: set[str] = field(default_factory=set)


def _fmt(value: Any) -> Any:
    """A fact value as evidence: ISO dates, plain numbers, lists of those."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 1)
    if isinstance(value, list):
        return [_fmt(v) for v in value]
    return value


def _text(value: Any, lang: str) -> str:
    if value is None:
        return "（无）" if lang == "zh" else "(none)"
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(str(v) for v in value)
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    return str(value)


def _template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class CompiledRule:
    """One rule file made executable against the columns of its fact table."""

    SPECIAL = {"period_key", "subject", "unmet_zh", "unmet_en"}

    def __init__(self, rule: Rule, params: ParameterSet, columns: set[str], start: dt.date, end: dt.date):
        self.rule = rule
        where = f"规则文件 {rule.path.name}"
        self.compiler = Compiler(params, columns, period_constants(start, end), where)
        c = self.compiler
        self.applies = c.compile(rule.body["applies_when"]) if "applies_when" in rule.body else None
        self.condition = c.compile(rule.condition) if rule.kind == "condition" else None
        if rule.kind == "deadline":
            dl = rule.deadline
            self.deadline = (c.compile(dl["arises_on"]), c.compile(dl["due_on"]), c.compile(dl["fulfilled_on"]))
        self.prerequisites = []
        if rule.kind == "prerequisites":
            for p in rule.prerequisites:
                if "after" in p and p["after"] not in {q["id"] for q, _ in self.prerequisites}:
                    raise LiftcheckError(f"{where} 字段 prerequisites/{p['id']}/after：「{p['after']}」应为前面列出的条件",
                                         f"{rule.path.name}, field prerequisites/{p['id']}/after: {p['after']!r} must name an earlier prerequisite")
                self.prerequisites.append((p, c.compile(p["holds"])))
        available = columns | self.SPECIAL | ({"arises_on", "due_on", "fulfilled_on", "days_late"}
                                              if rule.kind == "deadline" else set())
        for what, template in [("period_key", rule.period_key), ("message.zh", rule.message["zh"]),
                               ("message.en", rule.message["en"])]:
            unknown = _template_fields(template) - available
            if unknown:
                raise LiftcheckError(f"{where} 字段 {what}：未知占位符 {sorted(unknown)}",
                                     f"{rule.path.name}, field {what}: unknown placeholders {sorted(unknown)}")
        for col in rule.evidence + rule.subject_columns:
            if col not in available:
                raise LiftcheckError(f"{where}：证据/主体列「{col}」不在事实表 {rule.facts} 中",
                                     f"{rule.path.name}: evidence/subject column {col!r} is not in fact table {rule.facts}")
        # A listed parameter the condition does not name is applied by the shared machinery
        # (e.g. old.boundary); one the condition names must be listed.
        undeclared = c.used_params - set(rule.parameters)
        if undeclared:
            raise LiftcheckError(f"{where}：用到但未在 parameters 中列出：{sorted(undeclared)}",
                                 f"{rule.path.name}: parameters used but not listed: {sorted(undeclared)}")

    def judge(self, facts: pl.DataFrame, start: dt.date, end: dt.date) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(violations, pending) as fact rows."""
        if self.applies is not None:
            facts = facts.filter(self.applies)
        if self.rule.kind == "condition":
            return facts.filter(self.condition), facts.clear()
        if self.rule.kind == "deadline":
            judged = deadlines.judge(facts, *self.deadline, start=start, end=end)
            return judged.filter(pl.col("reported")), judged.filter(pl.col("pending"))
        # A prerequisite is judged only when the one it comes `after` was judged and held,
        # so a missing report is not also listed as "too old" or "of another elevator".
        holds: dict[str, pl.Expr] = {}
        judged: dict[str, pl.Expr] = {}
        unmet, status = [], []
        for p, expr in self.prerequisites:
            holds[p["id"]] = expr.fill_null(False)
            judged[p["id"]] = (judged[p["after"]] & holds[p["after"]]) if "after" in p else pl.lit(True)
            unmet.append(pl.when(judged[p["id"]] & ~holds[p["id"]]).then(pl.lit(p["id"])))
            # true held, false failed, empty not judged (what it rests on failed)
            status.append(pl.when(judged[p["id"]]).then(holds[p["id"]]).alias(p["id"]))
        facts = facts.with_columns(pl.concat_list(unmet).list.drop_nulls().alias("unmet"),
                                   pl.struct(status).alias("prerequisites"))
        return facts.filter(pl.col("unmet").list.len() > 0), facts.clear()


def _scope_filter(rule: Rule, facts: FactBase, df: pl.DataFrame) -> pl.DataFrame:
    if "elevator_id" not in df.columns:
        return df
    ids = facts.in_service_ids if rule.scope == "in_service" else facts.not_scrapped_ids
    return df.filter(pl.col("elevator_id").is_in(ids.implode()))


def _not_evaluated_reason(rule: Rule, sub: Submission) -> tuple[str, str] | None:
    missing = [t for t in rule.requires if t not in sub.present_types]
    if not missing:
        return None
    types = record_types()
    zh = "、".join(f"{t}（{types[t].label}）" for t in missing)
    return f"未评判：未提交 {zh}", f"not evaluated: no {', '.join(missing)} submitted"


def _identity(rule: Rule, values: dict[str, Any], texts_en: dict[str, str]) -> tuple[str, str]:
    """(subject, period key) of a fact row: with the rule id, what a fingerprint is made of."""
    return "|".join(str(values[c]) for c in rule.subject_columns), rule.period_key.format_map(texts_en)


def _violations(rule: Rule, rows: pl.DataFrame) -> list[Violation]:
    out = []
    prereq_text = {p["id"]: (p["zh"], p["en"]) for p in rule.body.get("prerequisites", [])}
    for row in rows.iter_rows(named=True):
        values = {k: _fmt(v) for k, v in row.items()}
        texts_zh = {k: _text(v, "zh") for k, v in values.items()}
        texts_en = {k: _text(v, "en") for k, v in values.items()}
        subject, period_key = _identity(rule, values, texts_en)
        if "unmet" in values:
            texts_zh["unmet_zh"] = "；".join(prereq_text[u][0] for u in values["unmet"])
            texts_en["unmet_en"] = "; ".join(prereq_text[u][1] for u in values["unmet"])
            texts_zh["unmet_en"] = texts_en["unmet_en"]
            texts_en["unmet_zh"] = texts_zh["unmet_zh"]
        for t in (texts_zh, texts_en):
            t["period_key"] = period_key
            t["subject"] = subject
        severity = values["severity"] if rule.severity == "from_hazard" else rule.severity
        responsible_org = {"use_unit": values.get("use_unit_id"),
                           "maintenance_unit": values.get("maintenance_unit_id")}.get(rule.responsible)
        evidence = {k: values[k] for k in rule.evidence}
        if "unmet" in values:
            evidence["unmet"] = values["unmet"]
            evidence["prerequisites"] = values["prerequisites"]
        out.append(Violation(
            rule_id=rule.id, title=rule.title["zh"], title_en=rule.title["en"], clause=rule.clause["ref"],
            severity=severity, responsible_role=rule.responsible, responsible_org_id=responsible_org,
            elevator_id=values.get("elevator_id"), use_unit_id=values.get("use_unit_id"),
            district=values.get("district"), subject=subject, period_key=period_key, evidence=evidence,
            message_zh=rule.message["zh"].format_map(texts_zh), message_en=rule.message["en"].format_map(texts_en),
            fingerprint=fingerprint(rule.id, subject, period_key),
        ))
    return out


def _pending(rule: Rule, rows: pl.DataFrame) -> list[Pending]:
    out = []
    for row in rows.iter_rows(named=True):
        values = {k: _fmt(v) for k, v in row.items()}
        subject, period_key = _identity(rule, values, {k: _text(v, "en") for k, v in values.items()})
        out.append(Pending(
            rule_id=rule.id, title=rule.title["zh"], elevator_id=values.get("elevator_id"),
            use_unit_id=values.get("use_unit_id"), subject=subject, period_key=period_key,
            arises_on=values["arises_on"], due_on=values["due_on"],
            message_zh=f"{rule.title['zh']}：{subject} 应于 {values['due_on']} 前完成（尚未到期）",
            message_en=f"{rule.title['en']}: {subject} is due by {values['due_on']} (not yet due)",
        ))
    return out


def evaluate(sub: Submission, book: RuleBook, params: ParameterSet, start: dt.date, end: dt.date,
             timings: dict | None = None, only: list[str] | None = None, progress=None) -> Evaluation:
    if end < start:
        raise LiftcheckError(f"检查期间有误：--to {end} 早于 --from {start}", f"bad period: --to {end} is before --from {start}")
    facts = FactBase(sub, params, start, end)
    statuses, violations, pending = [], [], []
    used: set[str] = set()
    derive = judge_time = 0.0
    rules = [book.get(r) for r in only] if only else list(book)
    for rule in rules:
        reason = _not_evaluated_reason(rule, sub)
        if reason:
            statuses.append(RuleStatus(rule_id=rule.id, title=rule.title["zh"], evaluated=False,
                                       reason_zh=reason[0], reason_en=reason[1]))
            if progress:
                progress(rule.id, len(rules))
            continue
        t0 = time.perf_counter()
        table = _scope_filter(rule, facts, facts.get(rule.facts))
        t1 = time.perf_counter()
        compiled = CompiledRule(rule, params, set(table.columns), start, end)
        bad, due_later = compiled.judge(table, start, end)
        found = _violations(rule, bad)
        waiting = _pending(rule, due_later)
        t2 = time.perf_counter()
        derive += t1 - t0
        judge_time += t2 - t1
        used |= set(rule.parameters)
        violations.extend(found)
        pending.extend(waiting)
        statuses.append(RuleStatus(rule_id=rule.id, title=rule.title["zh"], evaluated=True,
                                   violations=len(found), pending=len(waiting)))
        if progress:
            progress(rule.id, len(rules))
    if timings is not None:
        timings["derive"] = derive
        timings["evaluate"] = judge_time
    return Evaluation(start, end, statuses, violations, pending, facts, sub, used)


def partition(sub: Submission, parts: int) -> list[Submission]:
    """Split a submission by use unit: each part holds its units' elevators and all their records,
    plus the assessment reports its fund applications name."""
    if parts <= 1:
        return [sub]
    elevators = sub.table("elevators")
    units = elevators.select("use_unit_id").unique().sort("use_unit_id").with_row_index("_i")
    unit_part = units.with_columns((pl.col("_i") % parts).alias("_part")).drop("_i")
    elevator_part = elevators.join(unit_part, on="use_unit_id").select("elevator_id", "_part")
    out = []
    for k in range(parts):
        ids = elevator_part.filter(pl.col("_part") == k).get_column("elevator_id")
        unit_ids = unit_part.filter(pl.col("_part") == k).get_column("use_unit_id")
        tables = {}
        # A fund application may name another elevator's report, perhaps another unit's:
        # its part carries that report too (the assessment rules see it only through its
        # own elevator, which is not in this part, so nothing is judged twice).
        named = sub.table("fund_applications").filter(pl.col("elevator_id").is_in(ids.implode()))
        named_reports = named.get_column("assessment_id").drop_nulls()
        for name, df in sub.tables.items():
            if name == "organizations":
                tables[name] = df
            elif name == "assessments":
                tables[name] = df.filter(pl.col("elevator_id").is_in(ids.implode())
                                         | pl.col("assessment_id").is_in(named_reports.implode()))
            elif "elevator_id" in df.columns:
                tables[name] = df.filter(pl.col("elevator_id").is_in(ids.implode()))
            elif "use_unit_id" in df.columns:
                tables[name] = df.filter(pl.col("use_unit_id").is_in(unit_ids.implode()))
            else:
                tables[name] = df
        out.append(Submission(tables=tables, present_types=set(sub.present_types), problems=sub.problems.clear(),
                              unknown_files=[], record_counts={}, rejected_counts={}))
    return out


def evaluate_partitioned(sub: Submission, book: RuleBook, params: ParameterSet, start: dt.date, end: dt.date,
                         parts: int, workers: int | None = None, only: list[str] | None = None) -> Evaluation:
    """Evaluate each use-unit partition on its own (threads: polars releases the GIL) and merge."""
    from concurrent.futures import ThreadPoolExecutor

    pieces = partition(sub, parts)
    with ThreadPoolExecutor(max_workers=workers or parts) as pool:
        results = list(pool.map(lambda p: evaluate(p, book, params, start, end, only=only), pieces))
    statuses = []
    for i, status in enumerate(results[0].statuses):
        statuses.append(status.model_copy(update={
            "violations": sum(r.statuses[i].violations for r in results),
            "pending": sum(r.statuses[i].pending for r in results)}))
    return Evaluation(start, end, statuses, [v for r in results for v in r.violations],
                      [p for r in results for p in r.pending], FactBase(sub, params, start, end), sub,
                      set().union(*(r.used_parameters for r in results)))
