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
from checker.rulebook import RuleBook
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


def deductions(verdicts: VerdictTable, org_kinds: dict[str, str], schedule: CreditSchedule,
               year: int) -> list[dict]:
    """One deduction (Deduction's fields, in order) per violation of a property service
    enterprise under a rule with points, in the report's order of the violations. Found by
    column over the verdicts (a city-year has ~30,000 deductions among 53,000 violations);
    every value comes from a verdict already checked (engine._verdict_rows) or from the
    schedule, whose points load_schedule checks."""
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
    return found.select(
        pl.col("responsible_org_id").cast(pl.String).alias("org_id"),
        pl.col("responsible_name").cast(pl.String).alias("org_name"),
        "rule_id", "subject", "period_key", "fingerprint", "points", "clause", "severity",
        pl.lit(year, pl.Int64).alias("year"),
    ).to_dicts()


def per_firm(items: list[dict], schedule: CreditSchedule, names: dict[str, str] | None = None) -> list[dict]:
    """Totals per firm, ranked: points by year (capped), the 失信 flag, and every item.

    Serves the report (items of one sweep) and the ledger (items of every sweep, some with a
    `revoked` entry: listed, but counting nothing).
    """
    firms: dict[str, dict] = {}
    for item in sorted(items, key=lambda i: (i["org_id"], i["rule_id"], i["subject"], i["period_key"])):
        f = firms.setdefault(item["org_id"], {"years": {}, "items": [], "revoked": 0})
        f["items"].append(item)
        if item.get("revoked"):
            f["revoked"] += item["points"]
        else:
            f["years"][item["year"]] = f["years"].get(item["year"], 0) + item["points"]
    out = []
    for org_id, f in firms.items():
        capped = {y: min(p, schedule.year_cap) if schedule.year_cap is not None else p
                  for y, p in sorted(f["years"].items())}
        out.append({"org_id": org_id, "name": (names or {}).get(org_id), "points": sum(capped.values()),
                    "points_by_year": capped, "uncapped_points": sum(f["years"].values()),
                    "revoked_points": f["revoked"],
                    "dishonest_register": schedule.dishonest_threshold is not None
                    and any(p >= schedule.dishonest_threshold for p in capped.values()),
                    "items": f["items"]})
    return sorted(out, key=lambda f: (-f["points"], f["org_id"]))
