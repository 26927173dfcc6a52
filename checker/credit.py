"""Credit-point deductions for property service enterprises, from violations and a point schedule."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import polars as pl
import yaml
from pydantic import BaseModel

from checker.errors import LiftcheckError
from checker.resources import data_dir
from checker.params import ParameterSet
from checker.rulebook import RuleBook, load_sources
from checker.verdicts import Severity, VerdictTable


class Deduction(BaseModel):
    """One deduction, as `deductions` makes it (a dict with these fields in this order) and the
    report and the ledger hold it."""

    org_id: str
    org_name: str | None
    rule_id: str
    subject: str
    period_key: str
    fingerprint: str
    points: int
    clause: str
    severity: str
    year: int
    # R3-6: charged (the law sets the limit: ledger, totals) or provisional (暂定: shown, never
    # in the ledger or a total), with why, judged on the breach's identity day
    identity_day: str
    status: str
    provisional_zh: list[str]
    provisional_en: list[str]


@dataclass
class CreditSchedule:
    official: bool
    notice_zh: str
    notice_en: str
    year_cap: int | None
    dishonest_threshold: int | None
    points: dict[str, Any]
    path: Path

    def points_for(self, v: dict) -> int:
        """`v`: a violation's fields (Violation)."""
        p = self.points.get(v["rule_id"], 0)
        if isinstance(p, dict):
            return int(p.get(v["severity"], 0))
        return int(p)


def load_schedule(path: Path | None = None, book: RuleBook | None = None) -> CreditSchedule:
    path = path or data_dir("rules") / "credit.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LiftcheckError(f"找不到扣分标准文件：{path}", f"credit schedule not found: {path}") from None
    except yaml.YAMLError as exc:
        raise LiftcheckError(f"{path}：不是有效的 YAML：{exc}", f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("points"), dict):
        raise LiftcheckError(f"{path}：缺少 points（规则 → 分值）", f"{path}: missing `points` (rule id → points)")
    # a rule an overlay disabled keeps its points in the schedule: it simply has no violations
    known = set(book.rules) | set(book.disabled) if book is not None else set()
    for rule_id, value in raw["points"].items():
        values = value.values() if isinstance(value, dict) else [value]
        if book is not None and rule_id not in known:
            raise LiftcheckError(f"{path}：points 中的规则「{rule_id}」不存在", f"{path}: points names an unknown rule {rule_id!r}")
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in values):
            raise LiftcheckError(f"{path}：规则 {rule_id} 的分值应为非负整数", f"{path}: points of {rule_id} must be non-negative integers")
    notice = raw.get("notice") or {}
    official = bool(raw.get("official", False))
    return CreditSchedule(
        official=official,
        notice_zh=notice.get("zh", "" if official else "默认分值，非官方"),
        notice_en=notice.get("en", "" if official else "Default points, not official"),
        year_cap=raw.get("year_cap"), dishonest_threshold=raw.get("dishonest_threshold"),
        points=raw["points"], path=path)


def _provisional_reasons(candidates: pl.DataFrame, book: RuleBook, params: ParameterSet) -> pl.DataFrame:
    """Per candidate (`_i`), why its deduction cannot be charged (R3-6, R3-A 6): its rule's source
    not in force on the identity day, or an interpretation it read not adopted by that day (one
    that only narrows the law excepted). Empty lists: charged."""
    sources = load_sources()
    law_of = {(rule.id, entry["party"]): entry["source"]["law"] for rule in book for entry in rule.party_entries()}
    days = candidates.select(pl.col("identity_day").str.to_date().alias("_day"), "_i", "rule_id", "responsible_role",
                             "depends_on")
    distinct = sorted(set(days.get_column("_day").to_list()))
    parts = []
    # the source
    law_table = pl.DataFrame([{"rule_id": r, "responsible_role": party, "_law": law} for (r, party), law in law_of.items()],
                             schema={"rule_id": pl.String, "responsible_role": pl.String, "_law": pl.String})
    laws = days.join(law_table, on=["rule_id", "responsible_role"], how="left").select("_i", "_day", "_law")
    rows = []
    for law_id in sorted(set(laws.get_column("_law").drop_nulls().to_list())):
        src = sources[law_id]
        for day in distinct:
            since = src.in_force_from if src.in_force_parameter is None else params.at(src.in_force_parameter, day)
            if since is not None and since <= day:
                continue
            if since is None:
                zh = f"依据的{src.title}尚未施行（未设定施行日期）"
                en = f"its source, {src.title_en}, is not in force (no commencement set)"
            else:
                zh = f"依据的{src.title}于 {since} 施行，晚于违规日 {day}"
                en = f"its source, {src.title_en}, is in force from {since}, after the breach's day {day}"
            rows.append({"_law": law_id, "_day": day, "_zh": zh, "_en": en})
    if rows:
        parts.append(laws.join(pl.DataFrame(rows, schema={"_law": pl.String, "_day": pl.Date, "_zh": pl.String,
                                                          "_en": pl.String}), on=["_law", "_day"])
                     .select("_i", pl.lit(0).alias("_order"), "_zh", "_en"))
    # the parameters
    read = days.select("_i", "_day", pl.col("depends_on").alias("_param")).explode("_param").drop_nulls("_param")
    rows = []
    for name in sorted(set(read.get_column("_param").to_list())):
        p = params[name]
        for day in distinct:
            if not p.binds_on(day):
                rows.append({"_param": name, "_day": day, "_zh": f"依据解释性参数 {name}（未经正式采纳）",
                             "_en": f"rests on the interpretation {name} (not adopted)"})
    if rows:
        parts.append(read.join(pl.DataFrame(rows, schema={"_param": pl.String, "_day": pl.Date, "_zh": pl.String,
                                                          "_en": pl.String}), on=["_param", "_day"])
                     .select("_i", pl.lit(1).alias("_order"), "_zh", "_en"))
    if not parts:
        return candidates.select("_i").with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("provisional_zh"),
                                                    pl.lit([], dtype=pl.List(pl.String)).alias("provisional_en"))
    reasons = (pl.concat(parts).sort("_i", "_order", "_zh")
               .group_by("_i", maintain_order=True).agg(pl.col("_zh").alias("provisional_zh"),
                                                        pl.col("_en").alias("provisional_en")))
    return (candidates.select("_i").join(reasons, on="_i", how="left")
            .with_columns(pl.col("provisional_zh").fill_null(pl.lit([], dtype=pl.List(pl.String))),
                          pl.col("provisional_en").fill_null(pl.lit([], dtype=pl.List(pl.String)))))


def deductions(verdicts: VerdictTable, org_kinds: dict[str, str], schedule: CreditSchedule,
               year: int, book: RuleBook | None = None, params: ParameterSet | None = None) -> list[dict]:
    """One deduction (Deduction's fields, in order) per violation of a property service
    enterprise under a rule with points, in the report's order of the violations, charged or
    provisional (R3-6). Found by column over the verdicts (a city-year has ~30,000 deductions
    among 53,000 violations); every value comes from a verdict already checked
    (engine._verdict_rows) or from the schedule, whose points load_schedule checks."""
    from checker.params import load_parameters
    from checker.rulebook import load_rulebook

    book = book or load_rulebook()
    params = params or load_parameters()
    v = verdicts.flat
    severities = list(get_args(Severity))
    rules = sorted(set(v.get_column("rule_id").to_list()))
    points = pl.DataFrame({"rule_id": [r for r in rules for _ in severities],
                           "severity": [s for _ in rules for s in severities],
                           "points": [schedule.points_for({"rule_id": r, "severity": s}) for r in rules for s in severities]},
                          schema={"rule_id": pl.String, "severity": pl.String, "points": pl.Int64})
    kinds = (pl.col("responsible_org_id").cast(pl.String)   # a rule's all-null column may be typed Null
             .replace_strict(org_kinds, default=None, return_dtype=pl.String))
    found = (v.with_row_index("_i")
             .filter((pl.col("responsible_role") == "use_unit") & pl.col("responsible_org_id").is_not_null()
                     & (kinds == "property_service_enterprise"))
             .join(points, on=["rule_id", "severity"], how="left", maintain_order="left")
             .filter(pl.col("points") > 0)
             .sort("_i"))
    found = found.join(_provisional_reasons(found, book, params), on="_i", how="left", maintain_order="left")
    return found.select(
        pl.col("responsible_org_id").cast(pl.String).alias("org_id"),
        pl.col("responsible_name").cast(pl.String).alias("org_name"),
        "rule_id", "subject", "period_key", "fingerprint", "points", "clause", "severity",
        pl.lit(year, pl.Int64).alias("year"), pl.col("identity_day").cast(pl.String),
        pl.when(pl.col("provisional_zh").list.len() > 0).then(pl.lit("provisional")).otherwise(pl.lit("charged"))
        .alias("status"), "provisional_zh", "provisional_en",
    ).to_dicts()


def per_firm(items: list[dict], schedule: CreditSchedule, names: dict[str, str] | None = None) -> list[dict]:
    """Totals per firm, ranked: points by year (capped), the 失信 flag, and every item.

    Serves the report (items of one sweep) and the ledger (items of every sweep, some with a
    `revoked` entry: listed, but counting nothing).
    """
    firms: dict[str, dict] = {}
    for item in sorted(items, key=lambda i: (i["org_id"], i["rule_id"], i["subject"], i["period_key"])):
        f = firms.setdefault(item["org_id"], {"years": {}, "items": [], "revoked": 0, "provisional": [],
                                              "provisional_points": 0})
        if item.get("status") == "provisional":   # R3-6: shown, never in a total
            f["provisional"].append(item)
            f["provisional_points"] += item["points"]
            continue
        f["items"].append(item)
        if item.get("revoked"):
            f["revoked"] += item["points"]
        elif item.get("not_charged"):   # a ledger row Revision 3 would not charge (credit migrate)
            f["not_charged"] = f.get("not_charged", 0) + item["points"]
        else:
            f["years"][item["year"]] = f["years"].get(item["year"], 0) + item["points"]
            if item.get("state") == "proposed":
                f["proposed"] = f.get("proposed", 0) + item["points"]
            else:
                final = f.setdefault("final_years", {})
                final[item["year"]] = final.get(item["year"], 0) + item["points"]
    out = []
    for org_id, f in firms.items():
        capped = {y: min(p, schedule.year_cap) if schedule.year_cap is not None else p
                  for y, p in sorted(f["years"].items())}
        out.append({"org_id": org_id, "name": (names or {}).get(org_id), "points": sum(capped.values()),
                    "points_by_year": capped, "uncapped_points": sum(f["years"].values()),
                    "revoked_points": f["revoked"],
                    "dishonest_register": schedule.dishonest_threshold is not None
                    and any(p >= schedule.dishonest_threshold for p in capped.values()),
                    "items": f["items"], "provisional_points": f["provisional_points"],
                    "provisional_items": f["provisional"],
                    # R3-A 6 (a ledger's rows): proposed until the objection window has passed;
                    # rows Revision 3 would not charge, kept and not counted
                    "proposed_points": f.get("proposed", 0), "not_charged_points": f.get("not_charged", 0),
                    # what the official register receives: final points only, capped per year
                    "final_points": sum(min(p, schedule.year_cap) if schedule.year_cap is not None else p
                                        for p in f.get("final_years", {}).values())})
    return sorted(out, key=lambda f: (-f["points"], f["org_id"]))
