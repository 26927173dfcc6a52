"""The engine: each rule's condition, compiled to polars, evaluated over its whole fact table at once.

A rule file states who is responsible (per row, where it depends on the elevator), what is a
violation, its identity (subject + period key), evidence and messages; all of it is compiled
to expressions and evaluated for every fact row together. A rule's verdicts leave as the columns
of a Violation (checker/verdicts.py), checked column by column; Python makes a dict of a verdict
only where something asks for one (Evaluation.violations), and the JSON report never does.

Partitioning sits here too: `partition()` splits a submission by use unit so that no part
needs another's records; evaluating the parts and concatenating gives the same verdicts
(tests/test_partition.py), on one core, on all cores, or on several machines.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, get_args, get_origin

import polars as pl
from pydantic import TypeAdapter

from checker import deadlines, wording
from checker.contract import record_types
from checker.errors import LiftcheckError
from checker.expressions import Compiler, load_definitions, period_constants
from checker.facts import FACT_DEFINITIONS, FactBase
from checker.metrics import closed_loop_counts
from checker.params import ParameterSet
from checker.rulebook import Rule, RuleBook, load_sources
from checker.validate import Submission
from checker.verdicts import Pending, RuleStatus, Violation, fingerprint

# Pending obligations (a few hundred a city-year) become typed models; violations, tens of
# thousands, stay columns checked by column (`_verdict_rows`).
_PENDING = TypeAdapter(list[Pending])

# Who answers for a party that is an authority rather than an organisation of the submission.
AUTHORITY_NAMES = {"market_regulator": "市场监管部门", "housing_department": "房产部门"}


@dataclass
class Evaluation:
    start: dt.date
    end: dt.date
    statuses: list[RuleStatus]
    # each rule's violations (of each partition, after `merge`) as one frame whose columns are
    # a Violation's fields in the model's order, checked (`_verdict_rows`); the evidence is a
    # struct of its own shape per rule. A city-year has tens of thousands of verdicts: a model,
    # or even a dict, for each cost more than all the rules' polars.
    verdicts: list[pl.DataFrame]
    pending: list[Pending]
    facts: FactBase
    submission: Submission
    used_parameters: set[str] = field(default_factory=set)
    # elevators the day-by-day rules could not judge, with the rules concerned
    unjudged: pl.DataFrame = field(default_factory=pl.DataFrame)
    # closed-loop counts per district (metrics.closed_loop_counts), summed over partitions
    loop_counts: pl.DataFrame = field(default_factory=pl.DataFrame)
    # R3-3: the review of each emergency fund application (checker.reviews), by application day
    # and id; judged where the application's records are, like the verdicts
    fund_reviews: list[dict] = field(default_factory=list)

    @cached_property
    def violations(self) -> list[dict]:
        """The verdicts as plain dicts of a Violation's fields, rule by rule, made on first use."""
        return [row for frame in self.verdicts for row in frame.to_dicts()]


def _evidence_items(rule: Rule) -> list[tuple[str, str | None]]:
    """(name, expression or None for a plain column) for each evidence entry of a rule file."""
    out = []
    for item in rule.evidence:
        if isinstance(item, dict):
            (name, expr), = item.items()
            out.append((name, expr))
        else:
            out.append((item, None))
    return out


def _messages(rule: Rule) -> list[dict]:
    m = rule.body["message"]
    return m if isinstance(m, list) else [m]


def _parties(rule: Rule) -> list[dict]:
    r = rule.body["responsible"]
    return r if isinstance(r, list) else [{"party": r}]


class CompiledRule:
    """One rule file made executable against the columns of its fact table."""

    SPECIAL = {"period_key", "subject", "unmet_zh", "unmet_en"}

    def __init__(self, rule: Rule, params: ParameterSet, columns: set[str], start: dt.date, end: dt.date,
                 definitions: dict | None = None):
        self.rule = rule
        self.params = params
        self._end = end
        where = f"规则文件 {rule.path.name}"
        self.where = where
        self.compiler = Compiler(params, columns, period_constants(start, end), where,
                                 definitions=definitions if definitions is not None else load_definitions())
        c = self.compiler
        self.applies = c.compile(rule.body["applies_when"]) if "applies_when" in rule.body else None
        self.condition = c.compile(rule.condition) if rule.kind == "condition" else None
        deadline_cols = set()
        if rule.kind == "deadline":
            dl = rule.deadline
            self.deadline = (c.compile(dl["arises_on"]), c.compile(dl["due_on"]))
            # the fulfilment may speak of the due day (e.g. "rectified by the due day")
            c.columns = columns | {"arises_on", "due_on"}
            self.deadline += (c.compile(dl["fulfilled_on"]),)
            deadline_cols = {"arises_on", "due_on", "fulfilled_on", "days_late"}
        c.columns = columns | deadline_cols
        self.prerequisites = []
        if rule.kind == "prerequisites":
            for p in rule.prerequisites:
                if "after" in p and p["after"] not in {q["id"] for q, _ in self.prerequisites}:
                    raise LiftcheckError(f"{where} 字段 prerequisites/{p['id']}/after：「{p['after']}」应为前面列出的条件",
                                         f"{rule.path.name}, field prerequisites/{p['id']}/after: {p['after']!r} must name an earlier prerequisite")
                self.prerequisites.append((p, c.compile(p["holds"])))
        self.evidence = [(name, c.compile(expr) if expr is not None else None) for name, expr in _evidence_items(rule)]
        # (case, party, the law laying the duty on that party, the draft sentences beside it)
        sources = load_sources()
        self.parties = [(c.compile(p["when"]) if "when" in p else None, p["party"],
                         sources[p["source"]["law"]].citation(p["source"].get("article")),
                         "、".join(dict.fromkeys(d["ref"] for d in p["draft"])))
                        for p in rule.party_entries()]
        self.identity_day = c.compile(rule.identity_day)
        # cases the rule cannot judge, each with its reason (listed, never a violation)
        self.unjudged = [(c.compile(u["when"]), u["zh"], u["en"]) for u in rule.body.get("unjudged", [])]
        declared = rule.body.get("depends", {})
        unknown = sorted(set(declared) - set(rule.parameters))
        if unknown:
            raise LiftcheckError(f"{where} 字段 depends：{unknown} 不在 parameters 中",
                                 f"{rule.path.name}, field depends: {unknown} are not among its parameters")
        self.depends = {name: c.compile(text) for name, text in declared.items()}
        self.messages = [(c.compile(m["when"]) if "when" in m else None, m) for m in _messages(rule)]
        if self.parties[-1][0] is not None or self.messages[-1][0] is not None:
            raise LiftcheckError(f"{where}：responsible 与 message 的最后一项不能有 when（它是其余情况的默认值）",
                                 f"{rule.path.name}: the last entry of responsible and of message must have no `when` (it is the default)")
        available = columns | self.SPECIAL | deadline_cols | {name for name, _ in self.evidence}
        templates = [("period_key", rule.period_key), ("title.zh", rule.title["zh"]), ("title.en", rule.title["en"])]
        templates += [(f"message[{i}].{lang}", m[lang]) for i, (_, m) in enumerate(self.messages) for lang in ("zh", "en")]
        templates += [(f"prerequisites/{p['id']}/{lang}", p[lang]) for p, _ in self.prerequisites for lang in ("zh", "en")]
        for what, template in templates:
            unknown = wording.unknown_fields(template, set() if what.startswith("title") else available, params)
            if unknown:
                raise LiftcheckError(f"{where} 字段 {what}：未知占位符 {unknown}",
                                     f"{rule.path.name}, field {what}: unknown placeholders {unknown}")
        for col in rule.subject_columns:
            if col not in available:
                raise LiftcheckError(f"{where}：主体列「{col}」不在事实表 {rule.facts} 中",
                                     f"{rule.path.name}: subject column {col!r} is not in fact table {rule.facts}")
        # A parameter the rule's own text names must be listed; those of definitions are shown with them.
        undeclared = c.used_params - set(rule.parameters) - self._definition_params()
        if undeclared:
            raise LiftcheckError(f"{where}：用到但未在 parameters 中列出：{sorted(undeclared)}",
                                 f"{rule.path.name}: parameters used but not listed: {sorted(undeclared)}")

    def _definition_params(self) -> set[str]:
        return {p for name in self.compiler.used_definitions for p in self.compiler.definitions[name].parameters}

    @property
    def used_parameters(self) -> set[str]:
        return set(self.rule.parameters) | self.compiler.used_params

    def depends_on(self) -> pl.Expr:
        """R3-6: the parameters this case's verdict read, as a list: every parameter of the rule,
        but those the rule file (`depends`) or a definition (old.boundary: only on the 15th
        anniversary) says matter only in some cases, where those cases hold."""
        parts = []
        for name in sorted(self.used_parameters):
            condition = self.depends.get(name)
            if condition is None and name not in self.rule.body.get("depends", {}):
                condition = self.compiler.read_condition(name)
            parts.append(pl.lit(name) if condition is None else pl.when(condition).then(pl.lit(name)))
        if not parts:
            return pl.lit([], dtype=pl.List(pl.String))
        return pl.concat_list(parts).list.drop_nulls()

    def judge(self, facts: pl.DataFrame, start: dt.date, end: dt.date) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(violations, pending) as fact rows."""
        if self.applies is not None:
            facts = facts.filter(self.applies)
        self.unjudged_rows = facts.clear().with_columns(pl.lit(None, pl.String).alias("reason_zh"),
                                                        pl.lit(None, pl.String).alias("reason_en"))
        if self.unjudged:
            reason_zh, reason_en, cannot = pl.lit(None, pl.String), pl.lit(None, pl.String), pl.lit(False)
            for when, zh, en in reversed(self.unjudged):
                reason_zh = pl.when(when).then(pl.lit(zh)).otherwise(reason_zh)
                reason_en = pl.when(when).then(pl.lit(en)).otherwise(reason_en)
                cannot = cannot | when
            facts = facts.with_columns(cannot.alias("_unjudged"), reason_zh.alias("reason_zh"),
                                       reason_en.alias("reason_en"))
            self.unjudged_rows = facts.filter(pl.col("_unjudged")).drop("_unjudged")
            facts = facts.filter(~pl.col("_unjudged")).drop("_unjudged", "reason_zh", "reason_en")
        self.cases = facts.height
        if self.rule.kind == "condition":
            return facts.filter(self.condition), facts.clear()
        if self.rule.kind == "deadline":
            judged = deadlines.judge(facts, *self.deadline, start=start, end=end)
            return judged.filter(pl.col("reported")), judged.filter(pl.col("pending"))
        facts = facts.with_columns(*prerequisite_columns(self.prerequisites))
        return facts.filter(pl.col("unmet").list.len() > 0), facts.clear()

    # ---- turning verdict rows into typed verdicts -----------------------------------------

    def _identity(self, rows: pl.DataFrame) -> pl.DataFrame:
        subject = pl.concat_str([pl.col(c).cast(pl.String) for c in self.rule.subject_columns], separator="|")
        rows = rows.with_columns(subject.alias("subject"))
        return rows.with_columns(wording.render(self.rule.period_key, rows.schema, self.params, "en").alias("period_key"))

    def violations(self, rows: pl.DataFrame) -> pl.DataFrame | None:
        """The verdict rows as a Violation's columns, checked (`_verdict_rows`); None for none."""
        if rows.height == 0:
            return None
        rule = self.rule
        rows = rows.with_columns([expr.alias(name) for name, expr in self.evidence if expr is not None])
        if self.prerequisites:
            for lang in ("zh", "en"):
                texts = [pl.when(pl.col("unmet").list.contains(p["id"]))
                         .then(wording.render(p[lang], rows.schema, self.params, lang)) for p, _ in self.prerequisites]
                rows = rows.with_columns(pl.concat_list(texts).list.drop_nulls()
                                         .list.join("；" if lang == "zh" else "; ").alias(f"unmet_{lang}"))
        rows = self._identity(rows)
        role, clause, draft = (pl.lit(self.parties[-1][1]), pl.lit(self.parties[-1][2]), pl.lit(self.parties[-1][3]))
        for when, party, citation, refs in reversed(self.parties[:-1]):
            role = pl.when(when).then(pl.lit(party)).otherwise(role)
            clause = pl.when(when).then(pl.lit(citation)).otherwise(clause)
            draft = pl.when(when).then(pl.lit(refs)).otherwise(draft)
        rows = rows.with_columns(role.alias("responsible_role"), clause.alias("_clause"), draft.alias("_draft"),
                                 self.identity_day.dt.strftime("%Y-%m-%d").alias("_identity_day"),
                                 self.depends_on().alias("_depends_on"))
        messages = {}
        for lang in ("zh", "en"):
            text = wording.render(self.messages[-1][1][lang], rows.schema, self.params, lang)
            for when, m in reversed(self.messages[:-1]):
                text = pl.when(when).then(wording.render(m[lang], rows.schema, self.params, lang)).otherwise(text)
            messages[lang] = text
        r = pl.col("responsible_role")
        has = lambda c: pl.col(c) if c in rows.columns else pl.lit(None, pl.String)  # noqa: E731
        district_gov = pl.when(has("district") == "江北新区").then(pl.lit("江北新区管理机构")) \
            .otherwise(pl.concat_str([has("district"), pl.lit("人民政府")]))
        out = rows.select(
            pl.lit(rule.id).alias("rule_id"),
            pl.lit(wording.render_static(rule.title["zh"], self.params, self._end, "zh")).alias("title"),
            pl.lit(wording.render_static(rule.title["en"], self.params, self._end, "en")).alias("title_en"),
            pl.col("_clause").alias("clause"),
            pl.col("_draft").alias("draft"),
            (pl.col("severity") if rule.severity == "from_hazard" else pl.lit(rule.severity)).alias("severity"),
            r,
            pl.when(r == "use_unit").then(has("use_unit_id")).when(r == "maintenance_unit")
            .then(has("maintenance_unit_id")).alias("responsible_org_id"),
            pl.when(r == "use_unit").then(has("use_unit_name")).when(r == "maintenance_unit")
            .then(has("maintenance_unit_name")).when(r == "district_government").then(district_gov)
            .when(r == "town_government").then(has("subdistrict"))
            .otherwise(r.replace_strict(AUTHORITY_NAMES, default=None)).alias("responsible_name"),
            has("elevator_id").alias("elevator_id"), has("use_unit_id").alias("use_unit_id"),
            has("use_unit_name").alias("use_unit_name"), has("maintenance_unit_id").alias("maintenance_unit_id"),
            has("district").alias("district"),
            "subject", "period_key", pl.col("_identity_day").alias("identity_day"),
            pl.col("_depends_on").alias("depends_on"),
            _evidence_struct(rows, [name for name, _ in self.evidence]
                             + (["unmet", "prerequisites"] if self.prerequisites else [])).alias("evidence"),
            messages["zh"].alias("message_zh"), messages["en"].alias("message_en"),
        )
        prints = [fingerprint(rule.id, subject, key) for subject, key in zip(out["subject"], out["period_key"])]
        return _verdict_rows(out.with_columns(pl.Series("fingerprint", prints, pl.String)))

    def pending(self, rows: pl.DataFrame) -> list[Pending]:
        if rows.height == 0:
            return []
        rule = self.rule
        rows = self._identity(rows)
        title_zh = wording.render_static(rule.title["zh"], self.params, self._end, "zh")
        title_en = wording.render_static(rule.title["en"], self.params, self._end, "en")
        due = pl.col("due_on").dt.strftime("%Y-%m-%d")
        out = rows.select(
            pl.lit(rule.id).alias("rule_id"), pl.lit(title_zh).alias("title"),
            (pl.col("elevator_id") if "elevator_id" in rows.columns else pl.lit(None, pl.String)).alias("elevator_id"),
            (pl.col("use_unit_id") if "use_unit_id" in rows.columns else pl.lit(None, pl.String)).alias("use_unit_id"),
            "subject", "period_key", pl.col("arises_on").dt.strftime("%Y-%m-%d").alias("arises_on"), due.alias("due_on"),
            pl.concat_str([pl.lit(f"{title_zh}："), pl.col("subject"), pl.lit(" 应于 "), due,
                           pl.lit(" 前完成（尚未到期）")]).alias("message_zh"),
            pl.concat_str([pl.lit(f"{title_en}: "), pl.col("subject"), pl.lit(" is due by "), due,
                           pl.lit(" (not yet due)")]).alias("message_en"),
        )
        return _PENDING.validate_python(out.to_dicts())


def prerequisite_columns(prerequisites: list[tuple[dict, pl.Expr]]) -> tuple[pl.Expr, pl.Expr]:
    """`unmet` (the ids of the prerequisites that failed) and `prerequisites` (a struct: true held,
    false failed, empty not judged). A prerequisite is judged only when the one it comes `after`
    was judged and held, so a missing report is not also listed as "too old" or "of another
    elevator" (a rule of kind prerequisites, and the fund review)."""
    holds: dict[str, pl.Expr] = {}
    judged: dict[str, pl.Expr] = {}
    unmet, status = [], []
    for p, expr in prerequisites:
        holds[p["id"]] = expr.fill_null(False)
        judged[p["id"]] = (judged[p["after"]] & holds[p["after"]]) if "after" in p else pl.lit(True)
        unmet.append(pl.when(judged[p["id"]] & ~holds[p["id"]]).then(pl.lit(p["id"])))
        status.append(pl.when(judged[p["id"]]).then(holds[p["id"]]).alias(p["id"]))
    return pl.concat_list(unmet).list.drop_nulls().alias("unmet"), pl.struct(status).alias("prerequisites")


_VIOLATION_FIELDS = list(Violation.model_fields)
_NULLABLE = {name for name, f in Violation.model_fields.items() if type(None) in get_args(f.annotation)}
_CHOICES = {name: set(get_args(f.annotation)) for name, f in Violation.model_fields.items()
            if get_origin(f.annotation) is Literal}


def _verdict_rows(out: pl.DataFrame) -> pl.DataFrame:
    """The verdicts, with exactly a Violation's fields as columns, checked as the model would
    check each (text where it says text, null only where it allows None, a severity and a
    responsible role from their lists, evidence an object) but once per column.
    tests/test_report_verdicts.py validates every verdict of a sample against the model itself."""
    if out.columns != _VIOLATION_FIELDS:
        raise ValueError(f"verdict columns {out.columns} are not Violation's {_VIOLATION_FIELDS}")
    for name, dtype in out.schema.items():
        if name == "evidence":
            ok = isinstance(dtype, pl.Struct)
        elif name == "depends_on":
            ok = dtype == pl.List(pl.String) and out.get_column(name).null_count() == 0
        else:
            ok = dtype in (pl.String, pl.Null) and (name in _NULLABLE or out.get_column(name).null_count() == 0)
        if ok and name in _CHOICES:
            ok = set(out.get_column(name).unique().to_list()) <= _CHOICES[name]
        if not ok:
            raise ValueError(f"verdict column {name} ({dtype}) does not fit Violation.{name}")
    return out


def _evidence_struct(rows: pl.DataFrame, names: list[str]) -> pl.Expr:
    """The evidence as plain JSON values: ISO dates, whole numbers without .0, a span of time
    (an overlay's `b - a`) as an ISO 8601 duration ("P29D"), a 32-bit float as the 64-bit float
    it is."""
    parts = []
    for name in names:
        dtype = rows.schema[name]
        col = pl.col(name)
        if dtype == pl.Date:
            col = col.dt.strftime("%Y-%m-%d")
        elif isinstance(dtype, pl.Datetime):
            col = col.dt.strftime("%Y-%m-%d %H:%M:%S")
        elif isinstance(dtype, pl.Duration):
            col = col.dt.to_string("iso")
        elif dtype == pl.Float32:
            col = col.cast(pl.Float64)
        elif isinstance(dtype, pl.List) and dtype.inner == pl.Date:
            col = col.list.eval(pl.element().dt.strftime("%Y-%m-%d"))
        parts.append(col.alias(name))
    return pl.struct(parts) if parts else pl.struct(pl.lit(None).alias("_"))


def definitions_used(rule: Rule, params: ParameterSet) -> list:
    """The definitions a rule leans on: in scope, those its fact table applies, those its own
    text calls (old(a), dense(a), …), and the unjudged case for the day-by-day rules."""
    definitions = load_definitions()
    day = dt.date.today()
    empty = Submission(tables={}, present_types=set(), problems=pl.DataFrame())
    table = FactBase(empty, params, day, day).get(rule.facts)
    compiled = CompiledRule(rule, params, set(table.columns), day, day)
    names = ["in_scope", *FACT_DEFINITIONS.get(rule.facts, [])]
    if rule.scope == "day_by_day":
        names.append("stopped_status_without_record")
    names += sorted(compiled.compiler.used_definitions)
    return [definitions[n] for n in dict.fromkeys(names)]


def _scope_filter(rule: Rule, facts: FactBase, df: pl.DataFrame) -> pl.DataFrame:
    """Facts are about in-scope elevators only; `day_by_day` rules also leave out the unjudged."""
    if rule.scope != "day_by_day" or "elevator_id" not in df.columns:
        return df
    return df.filter(pl.col("elevator_id").is_in(facts.day_by_day_ids.implode()))


def _not_evaluated_reason(rule: Rule, sub: Submission) -> tuple[str, str] | None:
    """A rule is not evaluated when a record type it requires is absent altogether; `a|b` in
    `requires` asks for either (DEFECT-REPAIR: daily checks or entrapments)."""
    missing = [t for t in rule.requires if not set(t.split("|")) & sub.present_types]
    if not missing:
        return None
    types = record_types()
    zh = "、".join("或".join(f"{n}（{types[n].label}）" for n in t.split("|")) for t in missing)
    en = ", ".join(" or ".join(t.split("|")) for t in missing)
    return f"未评判：未提交 {zh}", f"not evaluated: no {en} submitted"


UNJUDGED_REASON = (
    "状态为停用，但没有未结束的停用记录：提交的数据没有说明从哪天起停用，无法逐日判断",
    "status is stopped but there is no open stop record: the submission does not say since when it is stopped, "
    "so it cannot be judged day by day",
)
# The report's list of what could not be judged, one row per elevator (or unit, or case) and
# reason: the rules concerned, the case (`subject`, empty for a whole elevator) and, for a span
# before a declared history start, its first and last day.
UNJUDGED_SCHEMA = {"rules": pl.List(pl.String), "elevator_id": pl.String, "use_unit_id": pl.String,
                   "use_unit_name": pl.String, "district": pl.String, "subject": pl.String, "period_key": pl.String,
                   "span_from": pl.Date, "span_to": pl.Date, "reason_zh": pl.String, "reason_en": pl.String}


def _unjudged_frame(df: pl.DataFrame, rules: pl.Expr, subject: pl.Expr, reason_zh: pl.Expr, reason_en: pl.Expr,
                    span: tuple[pl.Expr, pl.Expr] | None = None, period_key: pl.Expr | None = None) -> pl.DataFrame:
    has = lambda c: pl.col(c) if c in df.columns else pl.lit(None, pl.String)  # noqa: E731
    return df.select(
        rules.alias("rules"), has("elevator_id").alias("elevator_id"), has("use_unit_id").alias("use_unit_id"),
        has("use_unit_name").alias("use_unit_name"), has("district").alias("district"), subject.alias("subject"),
        (period_key if period_key is not None else pl.lit(None, pl.String)).alias("period_key"),
        (span[0] if span else pl.lit(None, pl.Date)).alias("span_from"),
        (span[1] if span else pl.lit(None, pl.Date)).alias("span_to"),
        reason_zh.alias("reason_zh"), reason_en.alias("reason_en")).cast(UNJUDGED_SCHEMA)


def _unjudged(facts: FactBase, day_by_day_rules: list[str], cases: list[pl.DataFrame],
              evaluated: set[str]) -> pl.DataFrame:
    """Elevators stopped without a stop record (the day-by-day rules), the spans before a
    declared history start (R3-A 1), and the cases a rule could not judge, with their reasons."""
    parts = list(cases)
    if day_by_day_rules:
        parts.append(_unjudged_frame(facts.unjudged, pl.lit(day_by_day_rules, dtype=pl.List(pl.String)),
                                     pl.lit(None, pl.String), pl.lit(UNJUDGED_REASON[0]), pl.lit(UNJUDGED_REASON[1])))
    gaps = facts.declared_gaps
    if gaps.height:
        gaps = gaps.with_columns(pl.col("rules").list.eval(pl.element().filter(pl.element().is_in(list(evaluated)))))
        gaps = gaps.filter(pl.col("rules").list.len() > 0)
        parts.append(_unjudged_frame(gaps, pl.col("rules"), pl.lit(None, pl.String), pl.lit(DECLARED_REASON[0]),
                                     pl.lit(DECLARED_REASON[1]), (pl.col("span_from"), pl.col("span_to"))))
    if not parts:
        return pl.DataFrame(schema=UNJUDGED_SCHEMA)
    return pl.concat(parts, how="vertical")


DECLARED_REASON = ("声明起始日前未提交记录", "no records submitted before the declared start (records_from)")


def evaluate(sub: Submission, book: RuleBook, params: ParameterSet, start: dt.date, end: dt.date,
             timings: dict | None = None, only: list[str] | None = None, progress=None,
             facts: FactBase | None = None) -> Evaluation:
    """`facts`: a fact base already derived for this submission and period, to judge a second rule
    book over the same facts (`liftcheck compare`); the caller vouches that its parameters shape
    the facts as `params` would."""
    if end < start:
        raise LiftcheckError(f"检查期间有误：--to {end} 早于 --from {start}", f"bad period: --to {end} is before --from {start}")
    if facts is None:
        facts = FactBase(sub, params, start, end)
    elif facts.sub is not sub or (facts.start, facts.end) != (start, end):
        raise ValueError("evaluate(facts=...) needs a fact base of the same submission and period")
    statuses, verdicts, pending = [], [], []
    used: set[str] = set()
    day_by_day: list[str] = []
    cannot: list[pl.DataFrame] = []
    derive = judge_time = 0.0
    rules = [book.get(r) for r in only] if only else list(book)
    for rule in rules:
        reason = _not_evaluated_reason(rule, sub)
        if reason:
            statuses.append(RuleStatus(rule_id=rule.id, title=wording.render_static(rule.title["zh"], params, end),
                                       evaluated=False, sweep=rule.sweep, reason_zh=reason[0], reason_en=reason[1]))
            if progress:
                progress(rule.id, len(rules))
            continue
        t0 = time.perf_counter()
        table = _scope_filter(rule, facts, facts.get(rule.facts))
        t1 = time.perf_counter()
        compiled = CompiledRule(rule, params, set(table.columns), start, end)
        bad, due_later = compiled.judge(table, start, end)
        if compiled.unjudged_rows.height:
            rows = compiled._identity(compiled.unjudged_rows)
            cannot.append(_unjudged_frame(rows, pl.lit([rule.id], dtype=pl.List(pl.String)), pl.col("subject"),
                                          pl.col("reason_zh"), pl.col("reason_en"), period_key=pl.col("period_key")))
        found = compiled.violations(bad)
        waiting = compiled.pending(due_later)
        population = facts.population(rule.facts)
        t2 = time.perf_counter()
        derive += t1 - t0
        judge_time += t2 - t1
        used |= compiled.used_parameters
        if rule.scope == "day_by_day":
            day_by_day.append(rule.id)
        if found is not None:
            verdicts.append(found)
        pending.extend(waiting)
        statuses.append(RuleStatus(rule_id=rule.id, title=wording.render_static(rule.title["zh"], params, end),
                                   evaluated=True, sweep=rule.sweep, violations=0 if found is None else found.height,
                                   pending=len(waiting),
                                   cases=compiled.cases if population is None else population))
        if progress:
            progress(rule.id, len(rules))
    if timings is not None:
        timings["derive"] = derive
        timings["evaluate"] = judge_time
    reviews = []
    if "fund_applications" in sub.present_types:
        from checker.reviews import review_fund_applications

        reviews = review_fund_applications(facts, params)
    return Evaluation(start, end, statuses, verdicts, pending, facts, sub, used,
                      unjudged=_unjudged(facts, day_by_day, cannot, {st.rule_id for st in statuses if st.evaluated}),
                      loop_counts=closed_loop_counts(facts), fund_reviews=reviews)


def partition(sub: Submission, parts: int) -> list[Submission]:
    """Split a submission by use unit: each part holds its units' elevators and all their records,
    plus the assessment reports its fund applications name. Each part keeps the whole
    submission's history starts (R3-7: the submission's, not the part's)."""
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
                              unknown_files=[], record_counts={}, rejected_counts={},
                              history=sub.history, declared_from=sub.declared_from,
                              declared_by_unit=sub.declared_by_unit))
    return out


def merge(results: list[Evaluation], sub: Submission, params: ParameterSet) -> Evaluation:
    """One evaluation from the evaluations of a submission's partitions."""
    first = results[0]
    statuses = [status.model_copy(update={"violations": sum(r.statuses[i].violations for r in results),
                                          "pending": sum(r.statuses[i].pending for r in results),
                                          "cases": sum(r.statuses[i].cases for r in results)})
                for i, status in enumerate(first.statuses)]
    return Evaluation(first.start, first.end, statuses, [f for r in results for f in r.verdicts],
                      [p for r in results for p in r.pending], FactBase(sub, params, first.start, first.end), sub,
                      set().union(*(r.used_parameters for r in results)),
                      unjudged=pl.concat([r.unjudged for r in results], how="vertical"),
                      loop_counts=pl.concat([r.loop_counts for r in results], how="vertical")
                      .group_by("district").agg(pl.col("hazards").sum(), pl.col("closed").sum()),
                      fund_reviews=sorted((f for r in results for f in r.fund_reviews),
                                          key=lambda f: (f["applied_on"], f["application_id"])))


def evaluate_partitioned(sub: Submission, book: RuleBook, params: ParameterSet, start: dt.date, end: dt.date,
                         parts: int, workers: int | None = None, only: list[str] | None = None) -> Evaluation:
    """Evaluate each use-unit partition on its own (threads: polars releases the GIL) and merge."""
    from concurrent.futures import ThreadPoolExecutor

    pieces = partition(sub, parts)
    with ThreadPoolExecutor(max_workers=workers or parts) as pool:
        results = list(pool.map(lambda p: evaluate(p, book, params, start, end, only=only), pieces))
    return merge(results, sub, params)
