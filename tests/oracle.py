"""A deliberately simple, day-by-day, plain-Python reading of rules.md (Revision 3), independent of the engine.

Written from the words of /work/shared/spec/rules.md, never from the engine: no polars, no shared
machinery, no cleverness. Loops over calendar days; one function per rule; each returns the
verdicts it finds as plain dicts (rule_id, subject, period_key, responsible_role, evidence, ...)
so that tests/test_oracle.py can compare the engine's report with it field by field, and
tests/test_sweeps.py can cut a span into sweeps and compare the breaches.

The records are the generator's rows with Python types (dates as datetime.date, datetimes as
datetime.datetime, booleans as bool, absent values as None).
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib

ONE = dt.timedelta(days=1)

DEFAULTS = {
    "old.min_age_years": 15,
    "old.boundary": "inclusive",
    "dense.min_households": 70,
    "daily_check.max_missing_days_per_month": 0,
    "drill.window_months": 12,
    "alarm.repair_within_days": 3,
    "rescue.max_arrival_minutes": 30,
    "maintenance.max_interval_days": 15,
    "maintenance.dense_max_interval_days": 10,
    "maintenance.min_star": 4,
    "inspection.cycle_months": 12,
    "screening.with_inspection_days": 30,
    "assessment.apply_within_days": 30,
    "assessment.workgroup_within_days": 60,
    "assessment.workgroup_conclusions": ["repair", "major_repair", "renovate", "replace"],
    "hazard.deadline_days.general": 30,
    "hazard.deadline_days.major": 90,
    "hazard.deadline_days.serious": 90,
    "hazard.listing_within_days": 15,
    "hazard.stop_within_days": 1,
    "hazard.order_within_days": 3,
    "defect.repair_within_days": 3,
    "fund.report_max_age_months": 12,
    "fund.require_plan": False,
    # Revision 3
    "rescue.notify_within_minutes": 5,
    "fund.emergency_decision_days": 7,
    "assessment.funding_plan_within_days": 60,
    "assessment.complete_within_days": 90,
    "opinion.in_force_from": None,
}
# R3-6: the parameters rules.md calls interpretations (a number liftcheck chose); a verdict that
# read one not adopted on its identity day is provisional. hazard.stop_within_days only narrows
# the law (narrows_law): it never makes a verdict provisional.
INTERPRETATIONS = {"drill.window_months", "alarm.repair_within_days", "maintenance.min_star",
                   "assessment.apply_within_days", "assessment.workgroup_conclusions", "assessment.workgroup_within_days",
                   "hazard.deadline_days.general", "hazard.deadline_days.major", "hazard.deadline_days.serious",
                   "hazard.listing_within_days", "hazard.order_within_days", "defect.repair_within_days",
                   "fund.report_max_age_months", "fund.require_plan", "rescue.notify_within_minutes",
                   "screening.with_inspection_days", "fund.emergency_decision_days",
                   "assessment.funding_plan_within_days", "assessment.complete_within_days", "old.boundary",
                   "credit.objection_days", "inspection.cycle_months"}
# R3-1 and R3-A 6: the law that lays each use-unit duty (the only ones that deduct) and its commencement
SOURCE_IN_FORCE = {
    "DAILY-CHECK": dt.date(2023, 5, 5), "WEEKLY-REVIEW": dt.date(2023, 5, 5), "MONTHLY-DISPATCH": dt.date(2023, 5, 5),
    "EMERGENCY-PLAN": dt.date(2014, 1, 1), "EMERGENCY-DRILL": dt.date(2014, 1, 1),
    "INSPECTION-VALID": dt.date(2014, 1, 1), "HAZARD-SERIOUS-STOP": dt.date(2014, 1, 1),
    "HAZARD-OVERDUE": dt.date(2014, 1, 1), "DEFECT-REPAIR": dt.date(2014, 1, 1),
    "ASSESSMENT-AFTER-HIGH-RISK": dt.date(2021, 11, 1),   # 《南京市电梯安全条例》 (the 按规定 of the draft)
    "ALARM-FAULT": "opinion", "RESCUE-COORDINATION": "opinion", "MAINT-PROVIDER": "opinion",
    "ASSESSMENT-WORKGROUP": "opinion",
}

# the rules table of rules.md: severity and responsible party (before the affordable-housing switch)
SEVERITY = {
    "DAILY-CHECK": "general", "WEEKLY-REVIEW": "general", "MONTHLY-DISPATCH": "general",
    "EMERGENCY-PLAN": "general", "EMERGENCY-DRILL": "general", "ALARM-FAULT": "major", "RESCUE-ARRIVAL": "major",
    "RESCUE-COORDINATION": "major", "MAINT-INTERVAL": "general", "MAINT-INTERVAL-DENSE": "major",
    "MAINT-PROVIDER": "general", "INSPECTION-VALID": "serious", "SCREENING-AT-INSPECTION": "notice",
    "ASSESSMENT-AFTER-HIGH-RISK": "major", "ASSESSMENT-AFFORDABLE": "notice", "ASSESSMENT-WORKGROUP": "major",
    "HAZARD-OVERDUE": None, "HAZARD-LISTED": "notice", "HAZARD-SERIOUS-STOP": "serious", "HAZARD-STOP-ORDER": "notice",
    "DEFECT-REPAIR": "general", "FUND-DECISION-TIME": "notice", "ASSESSMENT-COMPLETION": "notice",
    "AFFORDABLE-FUNDING-PLAN": "notice",
}
RESPONSIBLE = {
    "DAILY-CHECK": "use_unit", "WEEKLY-REVIEW": "use_unit", "MONTHLY-DISPATCH": "use_unit",
    "EMERGENCY-PLAN": "use_unit", "EMERGENCY-DRILL": "use_unit", "ALARM-FAULT": "use_unit",
    "RESCUE-ARRIVAL": "maintenance_unit", "RESCUE-COORDINATION": "use_unit", "MAINT-INTERVAL": "maintenance_unit",
    "MAINT-INTERVAL-DENSE": "maintenance_unit", "MAINT-PROVIDER": "use_unit", "INSPECTION-VALID": "use_unit",
    "SCREENING-AT-INSPECTION": "market_regulator", "ASSESSMENT-AFTER-HIGH-RISK": "use_unit",
    "ASSESSMENT-AFFORDABLE": "market_regulator", "ASSESSMENT-WORKGROUP": "use_unit", "HAZARD-OVERDUE": "use_unit",
    "HAZARD-LISTED": "district_government", "HAZARD-SERIOUS-STOP": "use_unit", "HAZARD-STOP-ORDER": "market_regulator",
    "DEFECT-REPAIR": "use_unit", "FUND-DECISION-TIME": "housing_department", "ASSESSMENT-COMPLETION": "town_government",
    "AFFORDABLE-FUNDING-PLAN": "town_government",
}
STATE_RULES = ("EMERGENCY-PLAN", "EMERGENCY-DRILL", "MAINT-PROVIDER", "ASSESSMENT-AFFORDABLE")
DAY_BY_DAY = ("DAILY-CHECK", "MAINT-INTERVAL", "MAINT-INTERVAL-DENSE", "INSPECTION-VALID", "HAZARD-SERIOUS-STOP")
# "Not evaluated, per rule, when its record type is absent" (Precise readings): each entry is a
# tuple of record types of which one must be present
NEEDS = {
    "DAILY-CHECK": [("daily_checks",)], "WEEKLY-REVIEW": [("weekly_reviews",)],
    "MONTHLY-DISPATCH": [("monthly_dispatches",)], "EMERGENCY-PLAN": [("emergency_plans",)],
    "EMERGENCY-DRILL": [("drills",)], "ALARM-FAULT": [("alarm_tests",)], "RESCUE-ARRIVAL": [("entrapments",)],
    "RESCUE-COORDINATION": [("entrapments",)],
    "MAINT-INTERVAL": [("maintenance",)], "MAINT-INTERVAL-DENSE": [("maintenance",)],
    "INSPECTION-VALID": [("inspections",)], "SCREENING-AT-INSPECTION": [("inspections",), ("screenings",)],
    "ASSESSMENT-AFTER-HIGH-RISK": [("screenings",), ("assessments",)],
    "ASSESSMENT-AFFORDABLE": [("assessments",)], "ASSESSMENT-WORKGROUP": [("assessments",)],
    "HAZARD-OVERDUE": [("hazards",)], "HAZARD-LISTED": [("hazards",)],
    "HAZARD-SERIOUS-STOP": [("hazards",), ("stop_periods",)], "HAZARD-STOP-ORDER": [("hazards",)],
    "DEFECT-REPAIR": [("daily_checks", "entrapments")], "FUND-DECISION-TIME": [("fund_applications",)],
    "ASSESSMENT-COMPLETION": [("assessments",)], "AFFORDABLE-FUNDING-PLAN": [("assessments",)],
    "MAINT-PROVIDER": [],
}
NO_POINTS = ("HAZARD-STOP-ORDER", "HAZARD-LISTED", "SCREENING-AT-INSPECTION", "ASSESSMENT-AFFORDABLE", "MAINT-INTERVAL",
             "MAINT-INTERVAL-DENSE", "RESCUE-ARRIVAL", "FUND-DECISION-TIME", "ASSESSMENT-COMPLETION",
             "AFFORDABLE-FUNDING-PLAN")
# the record types whose history the rules look back on (R3-7) and the rules that do
HISTORY_RULES = {"daily_checks": ["DAILY-CHECK"], "maintenance": ["MAINT-INTERVAL", "MAINT-INTERVAL-DENSE"],
                 "weekly_reviews": ["WEEKLY-REVIEW"], "monthly_dispatches": ["MONTHLY-DISPATCH"]}


# ---------------------------------------------------------------- calendar helpers

def add_months(d: dt.date, n: int) -> dt.date:
    """Keep the day of the month, or take the month's last day when it has none (民法典 第二百零二条)."""
    m = d.month - 1 + n
    y = d.year + m // 12
    m = m % 12 + 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def each_day(a: dt.date, b: dt.date):
    d = a
    while d <= b:
        yield d
        d += ONE


def month_key(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def month_first(d: dt.date) -> dt.date:
    return d.replace(day=1)


def month_last(d: dt.date) -> dt.date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def iso_week_key(d: dt.date) -> str:
    year, week, _ = d.isocalendar()
    return f"{year:04d}-W{week:02d}"


def fingerprint(rule_id: str, subject: str, period_key: str) -> str:
    return hashlib.sha256(f"{rule_id}\x1f{subject}\x1f{period_key}".encode()).hexdigest()[:32]


def iso(d):
    return None if d is None else d.isoformat()


# ---------------------------------------------------------------- the world

class World:
    """The submission, the period and the parameters, with the definitions of "Common definitions"."""

    def __init__(self, tables: dict, start: dt.date, end: dt.date, params: dict | None = None,
                 declared: dict | None = None):
        tables = dict(tables)
        declared = declared if declared is not None else tables.pop("_declared", None)   # submission.yaml
        tables.pop("_declared", None)
        self.present = set(tables)            # record types that have a file (maybe empty)
        self.t = {name: list(rows) for name, rows in tables.items()}
        for name in ("organizations", "elevators", "daily_checks", "weekly_reviews", "monthly_dispatches",
                     "maintenance", "inspections", "screenings", "assessments", "hazards", "entrapments",
                     "alarm_tests", "drills", "emergency_plans", "fund_applications", "stop_periods", "works"):
            self.t.setdefault(name, [])
        self.start, self.end = start, end
        self.params = dict(DEFAULTS)
        self.params.update(params or {})
        self.declared = dict(declared or {})   # submission.yaml records_from
        self.orgs = {o["org_id"]: o for o in self.t["organizations"]}
        self.elevators = {e["elevator_id"]: e for e in self.t["elevators"]}

    # -- parameters: the value in force on a day (a day before the first key takes the first value);
    # a dated value may be {"value": V, "adopted_by": {...}} (R3-6)
    def _entry(self, name: str, day: dt.date | None):
        value = self.params[name]
        if not isinstance(value, dict) or "value" in value:
            return None, value
        keys = sorted(value)
        since = keys[0]
        for k in keys:
            if day is not None and k <= day:
                since = k
        return since, value[since]

    def p(self, name: str, day: dt.date | None = None):
        _, value = self._entry(name, day)
        return value["value"] if isinstance(value, dict) and "value" in value else value

    def adopted(self, name: str, day: dt.date) -> bool:
        """The value in force on `day` was adopted by a document, taking effect by `day`."""
        since, value = self._entry(name, day)
        return since is not None and since <= day and isinstance(value, dict) and "adopted_by" in value

    def evaluated(self, rule: str) -> bool:
        return all(any(t in self.present for t in need) for need in NEEDS[rule])

    # -- scope
    def in_scope(self, eid: str) -> bool:
        e = self.elevators[eid]
        return e["residential"] and e["status"] != "scrapped"

    def unjudged(self, eid: str) -> bool:
        """status stopped but no open stop_period (one with an empty end)."""
        e = self.elevators[eid]
        open_stop = any(s["elevator_id"] == eid and s["end"] is None for s in self.t["stop_periods"])
        return e["status"] == "stopped" and not open_stop

    def judged(self, eid: str) -> bool:
        """In scope, and judgeable by the day-by-day rules."""
        return self.in_scope(eid) and not self.unjudged(eid)

    # -- the history a submission holds (R3-7, R3-A 1)
    def history(self, record_type: str, eid: str) -> dt.date:
        """The declared day; else the earliest record of the type; else the commissioning day."""
        if record_type in self.declared:
            return self.declared[record_type]
        dates = [r["date"] for r in self.t[record_type]]
        return min(dates) if dates else self.elevators[eid]["commissioned_on"]

    # -- days
    def stopped(self, eid: str, d: dt.date) -> bool:
        for s in self.t["stop_periods"]:
            if s["elevator_id"] != eid:
                continue
            if s["end"] is None:
                if s["start"] <= d:
                    return True
            elif s["start"] <= d < s["end"]:
                return True
        return False

    def in_service(self, eid: str, d: dt.date) -> bool:
        return d >= self.elevators[eid]["commissioned_on"] and not self.stopped(eid, d)

    def turns_old(self, eid: str, d: dt.date) -> dt.date:
        return add_months(self.elevators[eid]["commissioned_on"], 12 * self.p("old.min_age_years", d))

    def old_on(self, eid: str, d: dt.date) -> bool:
        turns = self.turns_old(eid, d)
        if self.p("old.boundary", d) == "exclusive":
            return turns < d
        return turns <= d

    def dense_on(self, eid: str, d: dt.date) -> bool:
        e = self.elevators[eid]
        return (self.old_on(eid, d) and e["affordable_housing"] and e["households_served"] is not None
                and e["households_served"] > self.p("dense.min_households", d))

    # -- the verdict, with its responsible party, its organisation and its identity day
    def verdict(self, rule: str, subject: str, period_key: str, evidence: dict, eid: str | None = None,
                unit: str | None = None, responsible: str | None = None, severity: str | None = None,
                day: dt.date | None = None, reads: tuple = (), org: str | None = None) -> dict:
        role = responsible or RESPONSIBLE[rule]
        e = self.elevators.get(eid) if eid else None
        use_unit = unit or (e["use_unit_id"] if e else None)
        org = org or {"use_unit": use_unit, "maintenance_unit": e["maintenance_unit_id"] if e else None}.get(role)
        return {"rule_id": rule, "subject": subject, "period_key": period_key, "responsible_role": role,
                "responsible_org_id": org, "elevator_id": eid, "use_unit_id": use_unit,
                "severity": severity or SEVERITY[rule], "evidence": evidence, "identity_day": iso(day),
                "reads": set(reads), "fingerprint": fingerprint(rule, subject, period_key)}

    def old_reads(self, eid: str, d: dt.date) -> tuple:
        """R3-A 6: a verdict depends on old.boundary only when the day judged is the 15th anniversary."""
        return ("old.boundary",) if self.turns_old(eid, d) == d else ()

    # -- a deadline obligation, word for word from "Common definitions"
    def deadline(self, arises: dt.date, due: dt.date, fulfilled: dt.date | None) -> tuple[bool, bool]:
        """(reported, pending)."""
        if arises > self.end:
            return False, False
        violated = due <= self.end and (fulfilled is None or fulfilled > due)
        reported = violated and (fulfilled is None or fulfilled >= self.start)
        pending = due > self.end and fulfilled is None
        return reported, pending

    def deadline_verdict(self, out: dict, rule: str, subject: str, key: str, arises: dt.date, due: dt.date,
                         fulfilled: dt.date | None, eid: str, responsible: str | None = None,
                         severity: str | None = None, reads: tuple = (), day: dt.date | None = None) -> None:
        reported, pending = self.deadline(arises, due, fulfilled)
        if reported:
            late = ((fulfilled or self.end) - due).days
            out["violations"].append(self.verdict(
                rule, subject, key, {"due_on": iso(due), "fulfilled_on": iso(fulfilled), "days_late": late},
                eid=eid, responsible=responsible, severity=severity, day=day or arises, reads=reads))
        if pending:
            out["pending"].append({"rule_id": rule, "subject": subject, "period_key": key,
                                   "elevator_id": eid, "arises_on": iso(arises), "due_on": iso(due)})


def new_out() -> dict:
    return {"violations": [], "pending": [], "unjudged": []}


def scope_ids(w: World) -> list[str]:
    return [eid for eid in w.elevators if w.in_scope(eid)]


def judged_ids(w: World) -> list[str]:
    return [eid for eid in w.elevators if w.judged(eid)]


# ---------------------------------------------------------------- use management

def daily_check(w: World) -> dict:
    """Each in-service day needs a daily check; per month meeting P, from its first day (or the
    history start of the daily checks, when later) to min(month end, to)."""
    out = new_out()
    checked = {(c["elevator_id"], c["date"]) for c in w.t["daily_checks"]}
    months = sorted({month_first(d) for d in each_day(w.start, w.end)})
    for eid in judged_ids(w):
        for first in months:
            last = min(month_last(first), w.end)
            lo = max(first, w.history("daily_checks", eid))
            in_service = [d for d in each_day(lo, last) if w.in_service(eid, d)]
            missing = [d for d in in_service if (eid, d) not in checked]
            if len(missing) > w.p("daily_check.max_missing_days_per_month", first):
                out["violations"].append(w.verdict("DAILY-CHECK", eid, month_key(first), {
                    "month": month_key(first), "in_service_days": len(in_service), "missing_days": len(missing),
                    "missing_dates": [iso(d) for d in missing]}, eid=eid, day=first))
    return out


def _units_owing(w: World, first: dt.date, last: dt.date, record_type: str) -> list[str]:
    """Use units of at least one judged in-scope elevator with an in-service day in [first, last]
    on or after the history start of `record_type`."""
    units = set()
    for eid in judged_ids(w):
        lo = max(first, w.history(record_type, eid))
        if any(w.in_service(eid, d) for d in each_day(lo, last)):
            units.add(w.elevators[eid]["use_unit_id"])
    return sorted(units)


def weekly_review(w: World) -> dict:
    """Each ISO week whose Sunday lies in P, over all seven days (records before `from` count)."""
    out = new_out()
    for sunday in each_day(w.start, w.end):
        if sunday.isoweekday() != 7:
            continue
        monday = sunday - 6 * ONE
        for unit in _units_owing(w, monday, sunday, "weekly_reviews"):
            if not any(r["use_unit_id"] == unit and monday <= r["date"] <= sunday for r in w.t["weekly_reviews"]):
                out["violations"].append(w.verdict("WEEKLY-REVIEW", unit, iso_week_key(sunday), {
                    "iso_week": iso_week_key(sunday), "monday": iso(monday), "sunday": iso(sunday)}, unit=unit,
                    day=monday))
    return out


def monthly_dispatch(w: World) -> dict:
    """Each calendar month whose last day lies in P, over the whole month."""
    out = new_out()
    for last in each_day(w.start, w.end):
        if last != month_last(last):
            continue
        first = month_first(last)
        for unit in _units_owing(w, first, last, "monthly_dispatches"):
            if not any(r["use_unit_id"] == unit and first <= r["date"] <= last for r in w.t["monthly_dispatches"]):
                out["violations"].append(w.verdict("MONTHLY-DISPATCH", unit, month_key(last), {
                    "month": month_key(last), "month_start": iso(first), "month_end": iso(last)}, unit=unit,
                    day=first))
    return out


def _scope_units(w: World) -> list[str]:
    return sorted({w.elevators[eid]["use_unit_id"] for eid in scope_ids(w)})


def emergency_plan(w: World) -> dict:
    out = new_out()
    for unit in _scope_units(w):
        if not any(p["use_unit_id"] == unit and p["approved_on"] <= w.end for p in w.t["emergency_plans"]):
            out["violations"].append(w.verdict("EMERGENCY-PLAN", unit, str(w.end.year), {}, unit=unit,
                                               day=dt.date(w.end.year, 1, 1)))
    return out


def emergency_drill(w: World) -> dict:
    out = new_out()
    window_from = add_months(w.end, -w.p("drill.window_months", w.end)) + ONE
    for unit in _scope_units(w):
        if not any(r["use_unit_id"] == unit and window_from <= r["date"] <= w.end for r in w.t["drills"]):
            out["violations"].append(w.verdict("EMERGENCY-DRILL", unit, str(w.end.year), {}, unit=unit,
                                               day=dt.date(w.end.year, 1, 1), reads=("drill.window_months",)))
    return out


def alarm_fault(w: World) -> dict:
    """A failed test on f: due f + 3, fulfilled by the first ok test on a strictly later day."""
    out = new_out()
    failed = sorted({(a["elevator_id"], a["date"]) for a in w.t["alarm_tests"] if not a["ok"]})
    for eid, f in failed:
        if not w.in_scope(eid):
            continue
        later_ok = sorted(a["date"] for a in w.t["alarm_tests"] if a["elevator_id"] == eid and a["ok"] and a["date"] > f)
        due = f + w.p("alarm.repair_within_days", f) * ONE
        w.deadline_verdict(out, "ALARM-FAULT", eid, iso(f), f, due, later_ok[0] if later_ok else None, eid,
                           reads=("alarm.repair_within_days",))
    return out


def _entrapments_in_p(w: World):
    for r in sorted(w.t["entrapments"], key=lambda r: r["incident_id"]):
        eid = r["elevator_id"]
        if w.in_scope(eid) and w.start <= r["reported_at"].date() <= w.end:
            yield r, eid


def maintainer_on(w: World, eid: str, day: dt.date) -> str:
    """R3-A 2: the unit of the latest maintenance record of the elevator on or before `day`, else
    the elevator's own maintenance unit."""
    mine = [m for m in w.t["maintenance"] if m["elevator_id"] == eid and m["date"] <= day]
    if not mine:
        return w.elevators[eid]["maintenance_unit_id"]
    latest = max(m["date"] for m in mine)
    return sorted(m["maintenance_unit_id"] for m in mine if m["date"] == latest)[-1]


def _unjudged_case(w: World, rule: str, eid: str, subject: str, key: str, reason: str) -> dict:
    e = w.elevators[eid]
    return {"rules": [rule], "elevator_id": eid, "use_unit_id": e["use_unit_id"], "district": e["district"],
            "subject": subject, "period_key": key, "span_from": None, "span_to": None, "reason_zh": reason}


def rescue_arrival(w: World) -> dict:
    """R3-2, R3-A 2: the maintenance unit on site within 30 minutes of being told (30:00 in time,
    30:01 not); without a call time, an arrival within 30 minutes of the alarm is in time, any
    other case is unjudged."""
    out = new_out()
    for r, eid in _entrapments_in_p(w):
        day = r["reported_at"].date()
        limit = w.p("rescue.max_arrival_minutes", day) * 60
        if r["notified_at"] is None:
            if r["arrived_at"] is not None and (r["arrived_at"] - r["reported_at"]).total_seconds() <= limit:
                continue
            out["unjudged"].append(_unjudged_case(w, "RESCUE-ARRIVAL", eid, r["incident_id"], r["incident_id"],
                                                  "未记录通知救援时间"))
            continue
        took = None if r["arrived_at"] is None else (r["arrived_at"] - r["notified_at"]).total_seconds()
        if took is None or took > limit:
            mu = maintainer_on(w, eid, day)
            out["violations"].append(w.verdict("RESCUE-ARRIVAL", r["incident_id"], r["incident_id"], {
                "reported_at": r["reported_at"], "notified_at": r["notified_at"], "arrived_at": r["arrived_at"],
                "arrival_seconds": took, "maintenance_unit_id": mu, "maintenance_unit_name": w.orgs[mu]["name"],
                "rescue_unit_id": r.get("rescue_unit_id")}, eid=eid, day=day, org=mu))
    return out


def rescue_coordination(w: World) -> dict:
    """R3-2: the use unit calls the rescuers within 5 minutes of the alarm; without a call time,
    an arrival within those 5 minutes proves the call was in time, any other case is unjudged."""
    out = new_out()
    for r, eid in _entrapments_in_p(w):
        day = r["reported_at"].date()
        limit = w.p("rescue.notify_within_minutes", day) * 60
        if r["notified_at"] is None:
            if r["arrived_at"] is not None and (r["arrived_at"] - r["reported_at"]).total_seconds() <= limit:
                continue
            out["unjudged"].append(_unjudged_case(w, "RESCUE-COORDINATION", eid, r["incident_id"], r["incident_id"],
                                                  "未记录通知救援时间"))
            continue
        took = (r["notified_at"] - r["reported_at"]).total_seconds()
        if took > limit:
            out["violations"].append(w.verdict("RESCUE-COORDINATION", r["incident_id"], r["incident_id"], {
                "reported_at": r["reported_at"], "notified_at": r["notified_at"], "notify_seconds": took},
                eid=eid, day=day, reads=("rescue.notify_within_minutes",)))
    return out


# ---------------------------------------------------------------- maintenance and inspection

def maintenance(w: World) -> dict:
    """MAINT-INTERVAL and MAINT-INTERVAL-DENSE: the walk anchor → visits in P → `to`, judged from the
    history start of the maintenance records (R3-7: a step before it is not judged, one that crosses
    it from it)."""
    out = new_out()
    for eid in judged_ids(w):
        e = w.elevators[eid]
        history = w.history("maintenance", eid)
        visits = sorted({m["date"] for m in w.t["maintenance"]
                         if m["elevator_id"] == eid and m["on_site"] and m["kind"] != "repair"})
        before = [v for v in visits if v < w.start]
        anchor = before[-1] if before else max(e["commissioned_on"], history)
        walk = [anchor] + [v for v in visits if w.start <= v <= w.end]
        steps = list(zip(walk, walk[1:]))
        steps.append((walk[-1], w.end))                 # the last one, ending at `to`
        for i, (a, b) in enumerate(steps):
            at_end = i == len(steps) - 1
            if b < history:
                continue
            a = max(a, history)
            stopped_between = sum(1 for d in each_day(a + ONE, b - ONE) if w.stopped(eid, d))
            n = (b - a).days - stopped_between
            dense = w.dense_on(eid, a)
            rule = "MAINT-INTERVAL-DENSE" if dense else "MAINT-INTERVAL"
            limit = w.p("maintenance.dense_max_interval_days" if dense else "maintenance.max_interval_days", a)
            if n > limit:
                out["violations"].append(w.verdict(rule, eid, iso(a), {
                    "a": iso(a), "b": iso(b), "interval_days": n, "stopped_days_between": stopped_between,
                    "ends_at_period_end": at_end, "limit_days": limit}, eid=eid, day=a, reads=w.old_reads(eid, a)))
    return out


def inspections_of(w: World, eid: str) -> list[dict]:
    """The elevator's inspections, with the installation as a passed inspection on commissioned_on."""
    e = w.elevators[eid]
    mine = [dict(r, real=True) for r in w.t["inspections"] if r["elevator_id"] == eid]
    mine.append({"date": e["commissioned_on"], "conclusion": "pass", "next_due": None, "real": False})
    for r in mine:
        r["until"] = r["next_due"] or (add_months(r["date"], w.p("inspection.cycle_months", r["date"])) - ONE)
        r["passed"] = r["conclusion"] in ("pass", "pass_after_rectification")
    return mine


def latest_inspection(mine: list[dict], d: dt.date) -> dict:
    """The latest inspection dated on or before d (a real record before the implicit installation)."""
    earlier = [r for r in mine if r["date"] <= d]
    return max(earlier, key=lambda r: (r["date"], r["real"]))


def inspection_valid(w: World) -> dict:
    """One violation per maximal run of uncovered in-service days, found from the whole history."""
    out = new_out()
    for eid in judged_ids(w):
        e = w.elevators[eid]
        mine = inspections_of(w, eid)
        runs, run = [], None
        for d in each_day(e["commissioned_on"], w.end):
            if not w.in_service(eid, d):
                continue                                 # stopped days neither count nor split a run
            latest = latest_inspection(mine, d)
            if latest["passed"] and d <= latest["until"]:
                if run:
                    runs.append(run)
                run = None
            else:
                run = run or []
                run.append(d)
        if run:
            runs.append(run)
        for run in runs:
            inside = [d for d in run if w.start <= d <= w.end]
            if not inside:
                continue
            latest = latest_inspection(mine, run[0])     # the inspection whose lapse (or failure) began the run
            out["violations"].append(w.verdict("INSPECTION-VALID", eid, iso(run[0]), {
                "first": iso(run[0]), "last": iso(run[-1]), "uncovered_days": len(run),
                "uncovered_days_in_period": len(inside), "latest_inspection_on": iso(latest["date"]),
                "latest_conclusion": latest["conclusion"], "valid_until": iso(latest["until"])}, eid=eid,
                day=run[0], reads=("inspection.cycle_months",) if latest["passed"] and latest["next_due"] is None else ()))
    return out


def maint_provider(w: World) -> dict:
    out = new_out()
    for eid in scope_ids(w):
        e = w.elevators[eid]
        if not (w.old_on(eid, w.end) and e["affordable_housing"]):
            continue
        mu = w.orgs[e["maintenance_unit_id"]]
        ok = (e["maintenance_unit_id"] == e.get("manufacturer_id") or mu["kind"] == "manufacturer"
              or (mu.get("maintenance_star") is not None and mu["maintenance_star"] >= w.p("maintenance.min_star", w.end)))
        if not ok:
            out["violations"].append(w.verdict("MAINT-PROVIDER", eid, str(w.end.year), {}, eid=eid,
                                               day=dt.date(w.end.year, 1, 1),
                                               reads=("maintenance.min_star",) + w.old_reads(eid, w.end)))
    return out


# ---------------------------------------------------------------- screening and assessment

def screening_at_inspection(w: World) -> dict:
    """R3-5: each inspection of an in-scope elevator old on its date, due date + 30, fulfilled by the
    earliest screening dated no earlier than 30 days before it."""
    out = new_out()
    for eid, day in sorted({(r["elevator_id"], r["date"]) for r in w.t["inspections"]}):
        if not w.in_scope(eid) or not w.old_on(eid, day):
            continue
        n = w.p("screening.with_inspection_days", day)
        screened = sorted(s["date"] for s in w.t["screenings"] if s["elevator_id"] == eid and s["date"] >= day - n * ONE)
        w.deadline_verdict(out, "SCREENING-AT-INSPECTION", eid, iso(day), day, day + n * ONE,
                           screened[0] if screened else None, eid,
                           reads=("screening.with_inspection_days",) + w.old_reads(eid, day))
    return out


def after_high_risk(w: World) -> dict:
    """A high screening on s of an elevator old on s: due s + 30, fulfilled by the earliest applied_on ≥ s;
    the market regulator for affordable housing (R3-A 3)."""
    out = new_out()
    highs = sorted({(s["elevator_id"], s["date"]) for s in w.t["screenings"] if s["risk_level"] == "high"})
    for eid, s in highs:
        if not w.in_scope(eid) or not w.old_on(eid, s):
            continue
        applied = sorted(a["applied_on"] for a in w.t["assessments"] if a["elevator_id"] == eid and a["applied_on"] >= s)
        who = "market_regulator" if w.elevators[eid]["affordable_housing"] else "use_unit"
        w.deadline_verdict(out, "ASSESSMENT-AFTER-HIGH-RISK", eid, iso(s), s,
                           s + w.p("assessment.apply_within_days", s) * ONE, applied[0] if applied else None,
                           eid, responsible=who, reads=("assessment.apply_within_days",) + w.old_reads(eid, s))
    return out


def assessment_affordable(w: World) -> dict:
    out = new_out()
    for eid in scope_ids(w):
        if not (w.old_on(eid, w.end) and w.elevators[eid]["affordable_housing"]):
            continue
        if not any(a["elevator_id"] == eid and a["completed_on"] is not None and a["completed_on"] <= w.end
                   for a in w.t["assessments"]):
            out["violations"].append(w.verdict("ASSESSMENT-AFFORDABLE", eid, str(w.end.year), {}, eid=eid,
                                               day=dt.date(w.end.year, 1, 1), reads=w.old_reads(eid, w.end)))
    return out


def workgroup(w: World) -> dict:
    """A completed assessment of an elevator that is not affordable housing calling for work: due
    c + 60, fulfilled on the later of working group and plan (R3-4)."""
    out = new_out()
    for a in w.t["assessments"]:
        eid, c = a["elevator_id"], a["completed_on"]
        if not w.in_scope(eid) or c is None or w.elevators[eid]["affordable_housing"]:
            continue
        if a["conclusion"] not in w.p("assessment.workgroup_conclusions", c):
            continue
        both = a["working_group_on"] is not None and a["plan_on"] is not None
        w.deadline_verdict(out, "ASSESSMENT-WORKGROUP", a["assessment_id"], a["assessment_id"], c,
                           c + w.p("assessment.workgroup_within_days", c) * ONE,
                           max(a["working_group_on"], a["plan_on"]) if both else None, eid,
                           reads=("assessment.workgroup_within_days", "assessment.workgroup_conclusions"))
    return out


def funding_plan(w: World) -> dict:
    """R3-4: an affordable-housing elevator's assessment completed on c calling for work: the town
    government's funding plan due c + 60."""
    out = new_out()
    for a in w.t["assessments"]:
        eid, c = a["elevator_id"], a["completed_on"]
        if not w.in_scope(eid) or c is None or not w.elevators[eid]["affordable_housing"]:
            continue
        if a["conclusion"] not in w.p("assessment.workgroup_conclusions", c):
            continue
        w.deadline_verdict(out, "AFFORDABLE-FUNDING-PLAN", a["assessment_id"], a["assessment_id"], c,
                           c + w.p("assessment.funding_plan_within_days", c) * ONE, a.get("funding_plan_on"), eid,
                           reads=("assessment.funding_plan_within_days", "assessment.workgroup_conclusions"))
    return out


def completion(w: World) -> dict:
    """R3-5: an assessment applied on a for an elevator old on a: completed by a + 90; the town
    government's, the market regulator's for affordable housing."""
    out = new_out()
    for a in w.t["assessments"]:
        eid, day = a["elevator_id"], a["applied_on"]
        if not w.in_scope(eid) or not w.old_on(eid, day):
            continue
        who = "market_regulator" if w.elevators[eid]["affordable_housing"] else "town_government"
        w.deadline_verdict(out, "ASSESSMENT-COMPLETION", a["assessment_id"], a["assessment_id"], day,
                           day + w.p("assessment.complete_within_days", day) * ONE, a["completed_on"], eid,
                           responsible=who, reads=("assessment.complete_within_days",) + w.old_reads(eid, day))
    return out


# ---------------------------------------------------------------- hazards and defects

def from_assessment(h: dict) -> bool:
    """安全评估所发现的: source `assessment`, or an assessment_id given."""
    return h["source"] == "assessment" or h.get("assessment_id") is not None


def hazard_overdue(w: World) -> dict:
    out = new_out()
    for h in w.t["hazards"]:
        if not w.in_scope(h["elevator_id"]):
            continue
        f = h["found_on"]
        name = f"hazard.deadline_days.{h['severity']}"
        due = h["deadline"] or f + w.p(name, f) * ONE
        w.deadline_verdict(out, "HAZARD-OVERDUE", h["hazard_id"], h["hazard_id"], f, due, h["rectified_on"],
                           h["elevator_id"], severity=h["severity"], reads=() if h["deadline"] else (name,))
    return out


def hazard_listed(w: World) -> dict:
    out = new_out()
    for h in w.t["hazards"]:
        if not w.in_scope(h["elevator_id"]) or not from_assessment(h) or h["severity"] not in ("major", "serious"):
            continue
        f = h["found_on"]
        w.deadline_verdict(out, "HAZARD-LISTED", h["hazard_id"], h["hazard_id"], f,
                           f + w.p("hazard.listing_within_days", f) * ONE, h["listed_on"], h["elevator_id"],
                           reads=("hazard.listing_within_days",))
    return out


def serious_stop(w: World) -> dict:
    """Every day from f + 1 up to the day before rectified_on (or to `to`), inside P, is a stopped day."""
    out = new_out()
    for h in w.t["hazards"]:
        eid = h["elevator_id"]
        if h["severity"] != "serious" or not w.judged(eid):
            continue
        f, r = h["found_on"], h["rectified_on"]
        first = max(f + w.p("hazard.stop_within_days", f) * ONE, w.start)
        last = min(r - ONE if r else w.end, w.end)
        unstopped = [d for d in each_day(first, last) if not w.stopped(eid, d)]
        if unstopped:
            out["violations"].append(w.verdict("HAZARD-SERIOUS-STOP", h["hazard_id"], h["hazard_id"], {
                "found_on": iso(f), "rectified_on": iso(r), "stop_from": iso(first), "stop_through": iso(last),
                "first_unstopped_day": iso(unstopped[0]), "unstopped_days": len(unstopped)}, eid=eid, day=f,
                reads=("hazard.stop_within_days",)))
    return out


def stop_order(w: World) -> dict:
    """A serious assessment hazard found on f: the regulator's stop order due f + 3."""
    out = new_out()
    for h in w.t["hazards"]:
        eid = h["elevator_id"]
        if not w.in_scope(eid) or h["severity"] != "serious" or not from_assessment(h):
            continue
        f, r = h["found_on"], h["rectified_on"]
        due = f + w.p("hazard.order_within_days", f) * ONE
        orders = [s for s in w.t["stop_periods"] if s["elevator_id"] == eid and s["reason"] == "order"]
        candidates = [s["start"] for s in orders if s["start"] >= f]
        if any(s["start"] <= f and (s["end"] is None or f < s["end"]) for s in orders):
            candidates.append(f)
        if r is not None and r <= due:
            candidates.append(r)
        w.deadline_verdict(out, "HAZARD-STOP-ORDER", h["hazard_id"], h["hazard_id"], f, due,
                           min(candidates) if candidates else None, eid, reads=("hazard.order_within_days",))
    return out


def defect_repair(w: World) -> dict:
    """A daily check that found a hazard on d, or an entrapment on d caused by a device fault
    (R3-5): repaired (or registered, or stopped) by d + 3; an entrapment of unknown or unrecorded
    cause is unjudged (R3-A 4), one of another cause creates nothing."""
    out = new_out()
    findings = sorted({(c["elevator_id"], c["date"], iso(c["date"])) for c in w.t["daily_checks"]
                       if c["result"] == "hazard_found"})
    for r in w.t["entrapments"]:
        eid = r["elevator_id"]
        if not w.in_scope(eid):
            continue
        cause = r.get("cause")
        if cause is None or cause == "unknown":   # listed by the sweep whose period holds the incident
            if w.start <= r["reported_at"].date() <= w.end:
                out["unjudged"].append(_unjudged_case(w, "DEFECT-REPAIR", eid, eid, r["incident_id"], "困人原因未记录"))
            continue
        if cause == "device_fault":
            findings.append((eid, r["reported_at"].date(), r["incident_id"]))
    for eid, d, key in sorted(findings):
        if not w.in_scope(eid):
            continue
        candidates = [m["date"] for m in w.t["maintenance"]
                      if m["elevator_id"] == eid and m["kind"] == "repair" and m["date"] >= d]
        candidates += [h["found_on"] for h in w.t["hazards"] if h["elevator_id"] == eid and h["found_on"] >= d]
        for s in w.t["stop_periods"]:
            if s["elevator_id"] != eid:
                continue
            if s["start"] >= d:
                candidates.append(s["start"])
            if s["start"] <= d and (s["end"] is None or d < s["end"]):
                candidates.append(d)
        w.deadline_verdict(out, "DEFECT-REPAIR", eid, key, d, d + w.p("defect.repair_within_days", d) * ONE,
                           min(candidates) if candidates else None, eid, reads=("defect.repair_within_days",))
    return out


# ---------------------------------------------------------------- the emergency fund

def fund_review(w: World, app: dict) -> dict:
    """R3-3: the prerequisites of an emergency application (true held, false failed, None not judged)."""
    reports = {a["assessment_id"]: a for a in w.t["assessments"]}
    eid, day = app["elevator_id"], app["applied_on"]
    report = reports.get(app["assessment_id"]) if app["assessment_id"] is not None else None
    held = {"report_exists": report is not None, "same_elevator": None, "report_completed": None,
            "report_recent": None, "plan_ready": None}
    if report is not None:
        done = report["completed_on"]
        held["same_elevator"] = report["elevator_id"] == eid
        held["report_completed"] = done is not None and done <= day
        if held["report_completed"]:   # how old a report is, is asked only of one completed in time
            held["report_recent"] = done >= add_months(day, -w.p("fund.report_max_age_months", day))
        held["plan_ready"] = (not w.p("fund.require_plan", day)
                              or (report["plan_on"] is not None and report["plan_on"] <= day))
    return held


def fund_reviews(w: World) -> list[dict]:
    """Each emergency application applied in P for an elevator old on applied_on: a review, by
    application day and id."""
    out = []
    for app in sorted(w.t["fund_applications"], key=lambda a: (a["applied_on"], a["application_id"])):
        eid, day = app["elevator_id"], app["applied_on"]
        if app["channel"] != "emergency" or not w.in_scope(eid) or not (w.start <= day <= w.end) or not w.old_on(eid, day):
            continue
        held = fund_review(w, app)
        out.append({"application_id": app["application_id"], "well_founded": all(v is not False for v in held.values()),
                    "unmet": [k for k, v in held.items() if v is False]})
    return out


def decision_time(w: World) -> dict:
    """R3-3, R3-A 5: a well-founded emergency application (of an elevator old on its day), due
    applied_on + 7, fulfilled by an approval or a rejection (never a return)."""
    out = new_out()
    for app in w.t["fund_applications"]:
        eid, day = app["elevator_id"], app["applied_on"]
        if app["channel"] != "emergency" or not w.in_scope(eid) or not w.old_on(eid, day):
            continue
        if not all(v is not False for v in fund_review(w, app).values()):
            continue
        decided = app.get("decided_on") if app.get("decision") in ("approved", "rejected") else None
        w.deadline_verdict(out, "FUND-DECISION-TIME", app["application_id"], app["application_id"], day,
                           day + w.p("fund.emergency_decision_days", day) * ONE, decided, eid,
                           reads=("fund.emergency_decision_days", "fund.report_max_age_months", "fund.require_plan")
                           + w.old_reads(eid, day))
    return out


# ---------------------------------------------------------------- not violations

def unjudged(w: World, cases: list[dict]) -> list[dict]:
    """Stopped without a stop record (the day-by-day rules), the spans of P before a declared
    history start (R3-A 1), and the cases a rule could not judge."""
    rules = [r for r in DAY_BY_DAY if w.evaluated(r)]
    out = [{"rules": rules, "elevator_id": eid, "use_unit_id": w.elevators[eid]["use_unit_id"],
            "district": w.elevators[eid]["district"], "subject": None, "period_key": None, "span_from": None,
            "span_to": None, "reason_zh": "状态为停用"}
           for eid in sorted(w.elevators) if w.in_scope(eid) and w.unjudged(eid) and rules]
    for record_type, day in sorted(w.declared.items()):
        named = [r for r in HISTORY_RULES[record_type] if w.evaluated(r)]
        if not named:
            continue
        spans = {}
        for eid in judged_ids(w):
            e = w.elevators[eid]
            lo, hi = max(w.start, e["commissioned_on"]), min(w.end, day - ONE)
            if lo > hi:
                continue
            if record_type in ("weekly_reviews", "monthly_dispatches"):
                u = e["use_unit_id"]
                old = spans.get(u)
                spans[u] = (min(lo, old[0]), max(hi, old[1])) if old else (lo, hi)
            else:
                out.append({"rules": named, "elevator_id": eid, "use_unit_id": e["use_unit_id"], "district": e["district"],
                            "subject": None, "period_key": None, "span_from": iso(lo), "span_to": iso(hi),
                            "reason_zh": "声明起始日前未提交记录"})
        for u, (lo, hi) in sorted(spans.items()):
            out.append({"rules": named, "elevator_id": None, "use_unit_id": u, "district": None, "subject": None,
                        "period_key": None, "span_from": iso(lo), "span_to": iso(hi), "reason_zh": "声明起始日前未提交记录"})
    return out + [c for c in cases if w.evaluated(c["rules"][0])]


def closed_loop(w: World) -> dict:
    """Assessment hazards on elevators old on their found_on, found ≤ to, not rectified before from."""
    counted = []
    for h in w.t["hazards"]:
        eid = h["elevator_id"]
        if not w.in_scope(eid) or not from_assessment(h) or not w.old_on(eid, h["found_on"]):
            continue
        if h["found_on"] > w.end or (h["rectified_on"] is not None and h["rectified_on"] < w.start):
            continue
        counted.append((w.elevators[eid]["district"], h["rectified_on"] is not None and h["rectified_on"] <= w.end))

    def rate(items):
        closed = sum(1 for _, c in items if c)
        return {"hazards": len(items), "closed": closed, "rate": round(closed / len(items), 4) if items else None}

    districts = sorted({d for d, _ in counted})
    return {"overall": rate(counted), "by_district": {d: rate([x for x in counted if x[0] == d]) for d in districts}}


# ---------------------------------------------------------------- credit (R3-6)

def charged(w: World, v: dict) -> bool:
    """A use-unit verdict's deduction is charged when its source is in force on the identity day and
    every interpretation it read is adopted by then (hazard.stop_within_days only narrows the law)."""
    day = dt.date.fromisoformat(v["identity_day"])
    since = SOURCE_IN_FORCE[v["rule_id"]]
    if since == "opinion":
        since = w.p("opinion.in_force_from", day)
    if since is None or since > day:
        return False
    return all(w.adopted(name, day) for name in v["reads"] if name in INTERPRETATIONS)


RULES = {
    "DAILY-CHECK": daily_check, "WEEKLY-REVIEW": weekly_review, "MONTHLY-DISPATCH": monthly_dispatch,
    "EMERGENCY-PLAN": emergency_plan, "EMERGENCY-DRILL": emergency_drill, "ALARM-FAULT": alarm_fault,
    "RESCUE-ARRIVAL": rescue_arrival, "RESCUE-COORDINATION": rescue_coordination,
    "MAINT-INTERVAL": maintenance, "MAINT-INTERVAL-DENSE": maintenance,
    "MAINT-PROVIDER": maint_provider, "INSPECTION-VALID": inspection_valid,
    "SCREENING-AT-INSPECTION": screening_at_inspection, "ASSESSMENT-AFTER-HIGH-RISK": after_high_risk,
    "ASSESSMENT-AFFORDABLE": assessment_affordable, "ASSESSMENT-WORKGROUP": workgroup,
    "HAZARD-OVERDUE": hazard_overdue, "HAZARD-LISTED": hazard_listed, "HAZARD-SERIOUS-STOP": serious_stop,
    "HAZARD-STOP-ORDER": stop_order, "DEFECT-REPAIR": defect_repair, "FUND-DECISION-TIME": decision_time,
    "ASSESSMENT-COMPLETION": completion, "AFFORDABLE-FUNDING-PLAN": funding_plan,
}


def judge(w: World) -> dict:
    """Every rule over the world: {"violations", "pending", "not_evaluated", "unjudged", "closed_loop",
    "fund_reviews"}."""
    out = {"violations": [], "pending": [], "not_evaluated": sorted(r for r in RULES if not w.evaluated(r))}
    done, cases = set(), []
    for rule, fn in RULES.items():
        if fn in done:
            continue
        done.add(fn)
        found = fn(w)
        for kind in ("violations", "pending"):
            out[kind] += [v for v in found[kind] if w.evaluated(v["rule_id"])]
        cases += found["unjudged"]
    out["unjudged"] = unjudged(w, cases)
    out["closed_loop"] = closed_loop(w)
    out["fund_reviews"] = fund_reviews(w) if "fund_applications" in w.present else []
    return out
