"""What each page and endpoint shows, cut from a snapshot to the caller's scope.

Pages (Jinja2) and the JSON API call the same functions, so a firm sees the same rows in
its browser, in its API client and in the xlsx it exports.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache

import polars as pl

from checker.contract import record_types
from checker.dates import quarter_end
from checker.errors import LiftcheckError
from checker.portal import access
from checker.portal.access import Principal
from checker.portal.models import (CreditEntry, PublicAssessment, PublicElevator, PublicHazard, Statistics,
                                   Table)
from checker.portal.snapshot import NESTED_MARK, Snapshot
from checker.rulebook import load_rulebook


class NotVisible(Exception):
    """Not there, or not the caller's: both answer 404, alike."""


class BadParameter(LiftcheckError):
    """A query parameter out of its range: 400, in both languages, naming the parameter."""

    def __init__(self, name: str, value: str, zh_range: str, en_range: str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        super().__init__(f"参数 {name} 的值「{shown}」无效：应为{zh_range}", f"parameter {name}: {shown!r} is invalid; "
                         f"expected {en_range}")


FORMATS = ("html", "xlsx")
FIRST_QUARTER_YEAR = 2000   # the old-elevator list of an earlier quarter is not asked for


def check_format(value: str) -> str:
    if value not in FORMATS:
        raise BadParameter("format", value, " html 或 xlsx", "html or xlsx")
    return value


def page_number(value: str | None, rows: int, size: int) -> tuple[int, int]:
    """(page, pages) for a list of `rows`: page 1 to the last, else BadParameter."""
    pages = max(1, -(-rows // size))
    text = (value or "1").strip()
    if not re.fullmatch(r"[0-9]{1,12}", text) or not 1 <= int(text) <= pages:
        raise BadParameter("page", text, f" 1 至 {pages} 之间的整数（共 {pages} 页）", f"a whole number from 1 to {pages}")
    return int(text), pages


def parse_quarter(value: str, snap: Snapshot) -> dt.date:
    """The last day of a quarter written 2024Q3, between FIRST_QUARTER_YEAR and the data's year."""
    text = value.strip()
    match = re.fullmatch(r"([0-9]{4})[Qq]([1-4])", text)
    last = snap.end.year
    if not match or not FIRST_QUARTER_YEAR <= int(match[1]) <= last:
        raise BadParameter("quarter", text, f" {FIRST_QUARTER_YEAR}Q1 至 {last}Q4 之间的季度（如 {last}Q3）",
                           f"a quarter from {FIRST_QUARTER_YEAR}Q1 to {last}Q4 (e.g. {last}Q3)")
    return quarter_end(text)


def _labels(record_type: str, field: str) -> dict[str, str]:
    return record_types()[record_type].field(field).enum_labels


PROGRESS_ZH = {"rectified": "已整改", "in_progress": "整改中", "overdue": "逾期未整改"}
SEVERITY_ZH = {"serious": "严重", "major": "较重", "general": "一般", "notice": "提示"}


@lru_cache(maxsize=1)
def rules_of_party() -> dict[str, list[str]]:
    """party -> the rules it may answer for (rules/*.yaml `responsible`: one party, or one per case)."""
    out: dict[str, list[str]] = {}
    for rule in load_rulebook():
        for party in rule.parties:
            out.setdefault(party, []).append(rule.id)
    return out


# ---- elevators ------------------------------------------------------------------------------

def scoped_elevators(snap: Snapshot, p: Principal) -> pl.DataFrame:
    return snap.elevators.filter(access.elevator_filter(p))


def find_elevator(snap: Snapshot, p: Principal, elevator_id: str) -> dict:
    row = snap.elevator(elevator_id)
    if row is None or not _visible(p, row):
        raise NotVisible(elevator_id)
    return row


def _visible(p: Principal, row: dict) -> bool:
    if p.role == "use_unit":
        return row["use_unit_id"] == p.org_id
    if p.role == "maintenance_unit":
        return row["maintenance_unit_id"] == p.org_id
    if p.role == "district_government":
        return row["district"] == p.district
    return p.role in access.CITY_ROLES


def lookup_code(snap: Snapshot, code: str) -> str | None:
    """An elevator id from what an owner types: the 设备代码 or the 6-digit rescue code."""
    code = (code or "").strip().replace(" ", "")
    if code in snap.index:
        return code
    return snap.by_rescue_code.get(code)


def public_facts(snap: Snapshot, elevator_id: str) -> PublicElevator:
    """What an owner may know, made once per elevator and snapshot (owners' lookups are many)."""
    facts = snap.public.get(elevator_id)
    if facts is None:
        facts = snap.public[elevator_id] = _public_facts(snap, elevator_id)
    return facts


def _public_facts(snap: Snapshot, elevator_id: str) -> PublicElevator:
    row = snap.elevator(elevator_id)
    if row is None:
        raise NotVisible(elevator_id)
    overdue = snap.overdue_hazards
    hazards = []
    for h in snap.hazards_of.get(elevator_id, []):
        progress = "overdue" if h["progress"] != "rectified" and h["hazard_id"] in overdue else h["progress"]
        hazards.append(PublicHazard(
            hazard_id=h["hazard_id"], found_on=h["found_on"], severity=h["severity"],
            severity_zh=_labels("hazards", "severity").get(h["severity"], h["severity"]),
            deadline=h["deadline"], rectified_on=h["rectified_on"], listed_on=h["listed_on"],
            progress=progress, progress_zh=PROGRESS_ZH[progress]))
    assessment = None
    if row["assessment_applied_on"] is not None:
        assessment = PublicAssessment(
            applied_on=row["assessment_applied_on"], completed_on=row["assessment_completed_on"],
            conclusion=row["assessment_conclusion"],
            conclusion_zh=_labels("assessments", "conclusion").get(row["assessment_conclusion"] or ""))
    return PublicElevator(
        elevator_id=row["elevator_id"], district=row["district"], subdistrict=row["subdistrict"],
        community=row["community"], residential=row["residential"], status=row["status"],
        status_zh=_labels("elevators", "status").get(row["status"], row["status"]),
        commissioned_on=row["commissioned_on"], age_years=row["age_years"], old=row["old"],
        inspection_valid_until=row["inspection_valid_until"], latest_inspection_on=row["latest_inspection_on"],
        latest_inspection_conclusion=row["latest_inspection_conclusion"],
        latest_screening_on=row["latest_screening_on"], latest_risk_level=row["latest_risk_level"],
        latest_risk_level_zh=_labels("screenings", "risk_level").get(row["latest_risk_level"] or ""),
        latest_assessment=assessment, hazards=hazards,
        open_hazards=sum(1 for h in hazards if h.progress != "rectified"),
        last_maintenance_on=row["last_maintenance_on"], data_as_of=snap.end)


# ---- violations, pending, organisations --------------------------------------------------------

def scoped_violations(snap: Snapshot, p: Principal, rule_id: str | None = None,
                      elevator_id: str | None = None) -> pl.DataFrame:
    if p.role not in access.CAN_SEE_VIOLATIONS or snap.violations.height == 0:
        return snap.violations.clear()
    v = snap.violations.filter(access.violation_filter(p))
    if rule_id:
        v = v.filter(pl.col("rule_id") == rule_id)
    if elevator_id:
        v = v.filter(pl.col("elevator_id") == elevator_id)
    return v


def scoped_pending(snap: Snapshot, p: Principal, elevator_id: str | None = None) -> pl.DataFrame:
    pending = snap.pending
    if p.role not in access.CAN_SEE_VIOLATIONS or pending.height == 0:
        return pending.clear()
    # A pending item names no party; a firm sees those of rules it may answer for, about its own
    # elevators or unit (where the party depends on the case, e.g. affordable housing, it sees them too).
    answers = pl.col("rule_id").is_in(rules_of_party().get(p.role, []))
    mine = scoped_elevators(snap, p).get_column("elevator_id")
    if p.role == "use_unit":
        keep = answers & (pl.col("use_unit_id") == p.org_id)
    elif p.role == "maintenance_unit":
        keep = answers & pl.col("elevator_id").is_in(mine.implode())
    elif p.role == "district_government":
        units = scoped_elevators(snap, p).get_column("use_unit_id").unique()
        keep = pl.col("elevator_id").is_in(mine.implode()) | (
            pl.col("elevator_id").is_null() & pl.col("use_unit_id").is_in(units.implode()))
    else:
        keep = pl.lit(True)
    out = pending.filter(keep)
    return out.filter(pl.col("elevator_id") == elevator_id) if elevator_id else out


def visible_orgs(snap: Snapshot, p: Principal) -> pl.Series:
    if p.is_org:
        return pl.Series([p.org_id])
    if p.role == "district_government":
        e = scoped_elevators(snap, p)
        return pl.concat([e.get_column("use_unit_id"), e.get_column("maintenance_unit_id")]).unique()
    if p.role in ("market_regulator", "housing_department"):
        return snap.organizations.get_column("org_id")
    return pl.Series([], dtype=pl.String)


def find_org(snap: Snapshot, p: Principal, org_id: str) -> dict:
    hit = snap.organizations.filter(pl.col("org_id") == org_id)
    if hit.height == 0 or org_id not in set(visible_orgs(snap, p).to_list()):
        raise NotVisible(org_id)
    return hit.row(0, named=True)


def org_view(snap: Snapshot, p: Principal, org_id: str) -> dict:
    """An organisation as the caller may see it: its elevators and the violations it answers
    for, within the caller's scope (a district sees the firm's doings in the district only)."""
    org = find_org(snap, p, org_id)
    in_scope = scoped_elevators(snap, p)
    used = in_scope.filter(pl.col("use_unit_id") == org_id)
    maintained = in_scope.filter(pl.col("maintenance_unit_id") == org_id)
    answerable = Principal(None, org["name"], "use_unit", org_id)
    sees = p.role in access.CAN_SEE_VIOLATIONS
    v = scoped_violations(snap, answerable) if sees else None
    pend = None
    if sees:
        pend = pl.concat([scoped_pending(snap, Principal(None, "", "use_unit", org_id)),
                          scoped_pending(snap, Principal(None, "", "maintenance_unit", org_id))], how="diagonal_relaxed")
    if p.role == "district_government" and v is not None:
        v = v.filter(pl.col("district") == p.district)
        pend = pend.filter(pl.col("elevator_id").is_in(in_scope.get_column("elevator_id").implode()))
    return {"org": org, "elevators_used": used.height, "elevators_maintained": maintained.height,
            "violations": v, "pending": pend,
            "credit": (credit_of(snap, org_id, p.district if p.role == "district_government" else None)
                       if p.role in access.CAN_SEE_CREDIT else None),
            "credit_applies": org["kind"] == "property_service_enterprise"}


def credit_of(snap: Snapshot, org_id: str, district: str | None = None) -> CreditEntry | None:
    """A firm's credit entry; with `district`, made of the deductions for its violations in
    that district only (what a district government sees: docs/portal.md)."""
    for entry in snap.report.get("credit", []):
        if entry.get("org_id") == org_id:
            if district is not None:
                return district_credit(snap, district).get(org_id)
            return CreditEntry(**{k: v for k, v in entry.items() if k != "items"})
    return None


def district_credit(snap: Snapshot, district: str) -> dict[str, CreditEntry]:
    """Per firm, its points for violations in `district` (by year, capped by year as the
    schedule says), and whether those alone reach the 失信 threshold. Unit-level violations
    (weekly reviews, monthly dispatches, plans, drills) belong to no district and count in none."""
    v = snap.violations
    if v.height == 0 or "fingerprint" not in v.columns:
        return {}
    here = set(v.filter(pl.col("district") == district).get_column("fingerprint").to_list())
    schedule = snap.report.get("credit_schedule", {})
    cap, threshold = schedule.get("year_cap"), schedule.get("dishonest_threshold")
    out = {}
    for entry in snap.report.get("credit", []):
        by_year: dict[int, int] = {}
        for item in entry.get("items", []):
            if item.get("fingerprint") in here and not item.get("revoked"):
                by_year[item["year"]] = by_year.get(item["year"], 0) + item["points"]
        if not by_year:
            continue
        capped = {y: min(n, cap) if cap is not None else n for y, n in sorted(by_year.items())}
        out[entry["org_id"]] = CreditEntry(
            org_id=entry["org_id"], name=entry.get("name"), points=sum(capped.values()), points_by_year=capped,
            dishonest_register=threshold is not None and any(n >= threshold for n in capped.values()), scope=district)
    return out


def records_of(frame: pl.DataFrame) -> list[dict]:
    """Frame rows back as report items: nested values (evidence …) become mappings again."""
    out = []
    for row in frame.iter_rows(named=True):
        for key, value in row.items():
            if isinstance(value, str) and value.startswith(NESTED_MARK):
                row[key] = json.loads(value[len(NESTED_MARK):])
        out.append(row)
    return out


# ---- statistics (四（三）、四（四）) ---------------------------------------------------------------

def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def statistics(snap: Snapshot, district: str | None = None) -> Statistics:
    """Per district (or one district): old elevators, screening and assessment coverage,
    closed-loop rate, violations by rule and by district, firms ranked by points."""
    e = snap.elevators if district is None else snap.elevators.filter(pl.col("district") == district)
    window = snap.report.get("parameters", {}).get("screening.window_months", {}).get("value", 12)
    since = (pl.lit(snap.end).dt.offset_by(f"-{window}mo") + pl.duration(days=1))
    scope = e.filter(pl.col("residential") & (pl.col("status") != "scrapped"))
    per = (scope.group_by("district").agg(
        pl.len().alias("elevators"),
        pl.col("old").fill_null(False).sum().alias("old"),
        (pl.col("old").fill_null(False) & (pl.col("latest_screening_on") >= since)).sum().alias("screened"),
        (pl.col("old").fill_null(False) & pl.col("assessment_applied_on").is_not_null()).sum().alias("applied"),
        (pl.col("old").fill_null(False) & (pl.col("assessment_completed_on") <= snap.end)).sum().alias("assessed"),
        (pl.col("open_hazards") > 0).sum().alias("with_open_hazards"),
    ).sort("district"))
    loop = snap.report.get("metrics", {}).get("closed_loop_rate", {}).get("by_district", {})
    v = snap.violations if district is None or snap.violations.height == 0 else \
        snap.violations.filter(pl.col("district") == district)
    by_district_v = dict(v.group_by("district").len().iter_rows()) if v.height else {}
    rows = []
    for r in per.iter_rows(named=True):
        cl = loop.get(r["district"], {})
        rows.append({"district": r["district"], "elevators": r["elevators"], "old": r["old"],
                     "screened": r["screened"], "screening_coverage": _rate(r["screened"], r["old"]),
                     "applied": r["applied"], "assessed": r["assessed"],
                     "assessment_coverage": _rate(r["assessed"], r["old"]),
                     "hazards": cl.get("hazards", 0), "closed": cl.get("closed", 0), "closed_loop_rate": cl.get("rate"),
                     "violations": by_district_v.get(r["district"], 0)})
    if district is None and rows:
        total = {k: sum(r[k] for r in rows) for k in ("elevators", "old", "screened", "applied", "assessed",
                                                       "hazards", "closed", "violations")}
        overall = snap.report.get("metrics", {}).get("closed_loop_rate", {}).get("overall", {})
        total["violations"] = v.height   # with the unit-level ones, which belong to no district
        rows.append({"district": "全市合计", **total, "screening_coverage": _rate(total["screened"], total["old"]),
                     "assessment_coverage": _rate(total["assessed"], total["old"]),
                     "closed_loop_rate": overall.get("rate")})
    district_table = Table(name="districts", title="各区老旧电梯筛查、评估与隐患闭环", columns=DISTRICT_COLUMNS,
                           rows=[{k: r.get(k) for k in DISTRICT_COLUMNS} for r in rows])
    by_rule = (v.group_by("rule_id", "title").agg(pl.len().alias("violations")).sort("violations", "rule_id",
                                                                                    descending=[True, False])
               if v.height else pl.DataFrame(schema={"rule_id": pl.String, "title": pl.String, "violations": pl.Int64}))
    rule_table = Table(name="violations_by_rule", title="违规按规则", columns=RULE_COLUMNS, rows=by_rule.to_dicts())
    dist_rows = sorted(({"district": k or UNIT_LEVEL, "violations": n} for k, n in by_district_v.items()),
                       key=lambda r: (-r["violations"], r["district"] or ""))
    dist_table = Table(name="violations_by_district", title="违规按区", columns=VDISTRICT_COLUMNS, rows=dist_rows)
    firms = snap.report.get("credit", [])
    if district is not None:   # points for what the firms did in this district, as its other tables
        firms = [f.model_dump() for f in district_credit(snap, district).values()]
    firm_rows = [{"rank": i, "org_id": f.get("org_id"), "name": f.get("name"), "points": f.get("points"),
                  "dishonest_register": "是" if f.get("dishonest_register") else "否"}
                 for i, f in enumerate(sorted(firms, key=lambda f: (-f.get("points", 0), f.get("org_id", ""))), 1)]
    firm_table = Table(name="firms", title="物业服务企业扣分排名", columns=FIRM_COLUMNS, rows=firm_rows)
    return Statistics(scope=district or "全市", period_from=snap.start, period_to=snap.end, data_version=snap.version,
                      tables=[district_table, rule_table, dist_table, firm_table])


UNIT_LEVEL = "单位层面（不分区）"   # violations of a use unit's duties (周排查, 月调度, 预案, 演练)
DISTRICT_COLUMNS = {"district": "区", "elevators": "住宅电梯", "old": "15年以上老旧电梯", "screened": "已预诊筛查",
                    "screening_coverage": "筛查覆盖率", "applied": "已申请全面评估", "assessed": "已完成全面评估",
                    "assessment_coverage": "评估覆盖率", "hazards": "隐患", "closed": "已闭环",
                    "closed_loop_rate": "隐患闭环率", "violations": "违规"}
RULE_COLUMNS = {"rule_id": "规则", "title": "名称", "violations": "违规数"}
VDISTRICT_COLUMNS = {"district": "区", "violations": "违规数"}
FIRM_COLUMNS = {"rank": "名次", "org_id": "统一社会信用代码", "name": "单位名称", "points": "扣分",
                "dishonest_register": "达到失信标准"}


def quarters(snap: Snapshot) -> list[str]:
    year = snap.end.year
    return [f"{year}Q{q}" for q in range(1, 5) if quarter_end(f"{year}Q{q}") <= max(snap.end, dt.date(year, 3, 31))]


def old_list_for(snap: Snapshot, p: Principal, quarter: str | None, district: str | None) -> tuple[dt.date, pl.DataFrame]:
    """The old-elevator list (四（二）) as of a quarter's last day (or the data's day), in scope."""
    if quarter:
        day = parse_quarter(quarter, snap)
        listing = snap.old_list_on(day)
    else:
        day, listing = snap.end, snap.old
    listing = listing.join(snap.elevators.select("elevator_id", "maintenance_unit_id"), on="elevator_id", how="left")
    listing = listing.filter(access.elevator_filter(p))
    if district:
        listing = listing.filter(pl.col("district") == district)
    return day, listing


OLD_LIST_COLUMNS = {"elevator_id": "设备代码", "district": "所在区", "subdistrict": "街道/镇", "community": "小区",
                    "use_unit_id": "使用单位", "commissioned_on": "投用日期", "age_years": "投用年限",
                    "affordable_housing": "保障房", "households_served": "服务户数", "dense": "高梯户比",
                    "latest_screening_on": "最近筛查", "latest_risk_level": "风险等级",
                    "latest_assessment_id": "评估报告编号", "assessment_status": "全面评估",
                    "assessment_completed_on": "评估完成", "assessment_conclusion": "评估结论",
                    "open_hazards": "未整改隐患", "open_major_hazards": "其中重大及以上"}
ELEVATOR_COLUMNS = {"elevator_id": "设备代码", "district": "所在区", "community": "小区", "use_unit_id": "使用单位",
                    "maintenance_unit_id": "维保单位", "status": "状态", "age_years": "投用年限", "old": "老旧",
                    "inspection_valid_until": "检验有效期至", "last_maintenance_on": "最近维保",
                    "latest_risk_level": "筛查风险", "assessment_conclusion": "评估结论", "open_hazards": "未整改隐患"}
VIOLATION_COLUMNS = {"rule_id": "规则", "title": "名称", "clause": "条款", "severity": "严重程度",
                     "responsible_role": "责任方", "responsible_org_id": "责任单位", "elevator_id": "设备代码",
                     "district": "所在区", "period_key": "期间", "message_zh": "说明"}
PENDING_COLUMNS = {"rule_id": "规则", "title": "名称", "elevator_id": "设备代码", "use_unit_id": "使用单位",
                   "arises_on": "起算日", "due_on": "到期日", "message_zh": "说明"}
QUEUE_COLUMNS = {"assessment_id": "申请编号", "elevator_id": "设备代码", "district": "所在区", "community": "小区",
                 "use_unit_id": "使用单位", "use_unit_name": "使用单位名称", "applied_on": "申请日期",
                 "waiting_days": "已等待（天）"}
