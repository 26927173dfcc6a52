"""A deliberately simple, day-by-day, plain-Python reading of rules.md (Revision 2), independent of the engine.

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
    "screening.window_months": 12,
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
}

# the rules table of rules.md: severity and responsible party (before the affordable-housing switch)
SEVERITY = {
    "DAILY-CHECK": "general", "WEEKLY-REVIEW": "general", "MONTHLY-DISPATCH": "general",
    "EMERGENCY-PLAN": "general", "EMERGENCY-DRILL": "general", "ALARM-FAULT": "major", "RESCUE-ARRIVAL": "major",
    "MAINT-INTERVAL": "general", "MAINT-INTERVAL-DENSE": "major", "MAINT-PROVIDER": "general",
    "INSPECTION-VALID": "serious", "SCREENING-COVERAGE": "notice", "ASSESSMENT-AFTER-HIGH-RISK": "major",
    "ASSESSMENT-AFFORDABLE": "notice", "ASSESSMENT-WORKGROUP": "major", "HAZARD-OVERDUE": None,
    "HAZARD-LISTED": "notice", "HAZARD-SERIOUS-STOP": "serious", "HAZARD-STOP-ORDER": "notice",
    "DEFECT-REPAIR": "general", "FUND-EMERGENCY-BASIS": "notice",
}
RESPONSIBLE = {
    "DAILY-CHECK": "use_unit", "WEEKLY-REVIEW": "use_unit", "MONTHLY-DISPATCH": "use_unit",
    "EMERGENCY-PLAN": "use_unit", "EMERGENCY-DRILL": "use_unit", "ALARM-FAULT": "use_unit",
    "RESCUE-ARRIVAL": "use_unit", "MAINT-INTERVAL": "maintenance_unit", "MAINT-INTERVAL-DENSE": "maintenance_unit",
    "MAINT-PROVIDER": "use_unit", "INSPECTION-VALID": "use_unit", "SCREENING-COVERAGE": "market_regulator",
    "ASSESSMENT-AFTER-HIGH-RISK": "use_unit", "ASSESSMENT-AFFORDABLE": "market_regulator",
    "ASSESSMENT-WORKGROUP": "use_unit", "HAZARD-OVERDUE": "use_unit", "HAZARD-LISTED": "district_government",
    "HAZARD-SERIOUS-STOP": "use_unit", "HAZARD-STOP-ORDER": "market_regulator", "DEFECT-REPAIR": "use_unit",
    "FUND-EMERGENCY-BASIS": "housing_department",
}
STATE_RULES = ("EMERGENCY-PLAN", "EMERGENCY-DRILL", "MAINT-PROVIDER", "SCREENING-COVERAGE", "ASSESSMENT-AFFORDABLE")
DAY_BY_DAY = ("DAILY-CHECK", "MAINT-INTERVAL", "MAINT-INTERVAL-DENSE", "INSPECTION-VALID", "HAZARD-SERIOUS-STOP")
# "Not evaluated, per rule, when its record type is absent" (Precise readings)
NEEDS = {
    "DAILY-CHECK": [("daily_checks",)], "WEEKLY-REVIEW": [("weekly_reviews",)],
    "MONTHLY-DISPATCH": [("monthly_dispatches",)], "EMERGENCY-PLAN": [("emergency_plans",)],
    "EMERGENCY-DRILL": [("drills",)], "ALARM-FAULT": [("alarm_tests",)], "RESCUE-ARRIVAL": [("entrapments",)],
    "MAINT-INTERVAL": [("maintenance",)], "MAINT-INTERVAL-DENSE": [("maintenance",)],
    "INSPECTION-VALID": [("inspections",)], "SCREENING-COVERAGE": [("screenings",)],
    "ASSESSMENT-AFTER-HIGH-RISK": [("screenings",), ("assessments",)],
    "ASSESSMENT-AFFORDABLE": [("assessments",)], "ASSESSMENT-WORKGROUP": [("assessments",)],
    "HAZARD-OVERDUE": [("hazards",)], "HAZARD-LISTED": [("hazards",)],
    "HAZARD-SERIOUS-STOP": [("hazards",), ("stop_periods",)], "HAZARD-STOP-ORDER": [("hazards",)],
    "DEFECT-REPAIR": [("daily_checks",)], "FUND-EMERGENCY-BASIS": [("fund_applications",)],
    "MAINT-PROVIDER": [],
}
NO_POINTS = ("FUND-EMERGENCY-BASIS", "HAZARD-STOP-ORDER", "HAZARD-LISTED", "SCREENING-COVERAGE",
             "ASSESSMENT-AFFORDABLE", "MAINT-INTERVAL", "MAINT-INTERVAL-DENSE")


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

    def __init__(self, tables: dict, start: dt.date, end: dt.date, params: dict | None = None):
        self.present = set(tables)            # record types that have a file (maybe empty)
        self.t = {name: list(rows) for name, rows in tables.items()}
        for name in ("organizations", "elevators", "daily_checks", "weekly_reviews", "monthly_dispatches",
                     "maintenance", "inspections", "screenings", "assessments", "hazards", "entrapments",
                     "alarm_tests", "drills", "emergency_plans", "fund_applications", "stop_periods"):
            self.t.setdefault(name, [])
        self.start, self.end = start, end
        self.params = dict(DEFAULTS)
        self.params.update(params or {})
        self.orgs = {o["org_id"]: o for o in self.t["organizations"]}
        self.elevators = {e["elevator_id"]: e for e in self.t["elevators"]}

    # -- parameters: the value in force on a day (a day before the first key takes the first value)
    def p(self, name: str, day: dt.date | None = None):
        value = self.params[name]
        if not isinstance(value, dict):
            return value
        keys = sorted(value)
        chosen = value[keys[0]]
        for since in keys:
            if day is not None and since <= day:
                chosen = value[since]
        return chosen

    def evaluated(self, rule: str) -> bool:
        return all(all(t in self.present for t in need) for need in NEEDS[rule])

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

    def old_on(self, eid: str, d: dt.date) -> bool:
        turns = add_months(self.elevators[eid]["commissioned_on"], 12 * self.p("old.min_age_years", d))
        if self.p("old.boundary", d) == "exclusive":
            return turns < d
        return turns <= d

    def dense_on(self, eid: str, d: dt.date) -> bool:
        e = self.elevators[eid]
        return (self.old_on(eid, d) and e["affordable_housing"] and e["households_served"] is not None
                and e["households_served"] > self.p("dense.min_households", d))

    # -- the verdict, with its responsible party and its organisation
    def verdict(self, rule: str, subject: str, period_key: str, evidence: dict, eid: str | None = None,
                unit: str | None = None, responsible: str | None = None, severity: str | None = None) -> dict:
        role = responsible or RESPONSIBLE[rule]
        e = self.elevators.get(eid) if eid else None
        use_unit = unit or (e["use_unit_id"] if e else None)
        org = {"use_unit": use_unit, "maintenance_unit": e["maintenance_unit_id"] if e else None}.get(role)
        return {"rule_id": rule, "subject": subject, "period_key": period_key, "responsible_role": role,
                "responsible_org_id": org, "elevator_id": eid, "use_unit_id": use_unit,
                "severity": severity or SEVERITY[rule], "evidence": evidence,
                "fingerprint": fingerprint(rule, subject, period_key)}

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
                         severity: str | None = None) -> None:
        reported, pending = self.deadline(arises, due, fulfilled)
        if reported:
            late = ((fulfilled or self.end) - due).days
            out["violations"].append(self.verdict(
                rule, subject, key, {"due_on": iso(due), "fulfilled_on": iso(fulfilled), "days_late": late},
                eid=eid, responsible=responsible, severity=severity))
        if pending:
            out["pending"].append({"rule_id": rule, "subject": subject, "period_key": key,
                                   "elevator_id": eid, "arises_on": iso(arises), "due_on": iso(due)})


def new_out() -> dict:
    return {"violations": [], "pending": []}


def scope_ids(w: World) -> list[str]:
    return [eid for eid in w.elevators if w.in_scope(eid)]


def judged_ids(w: World) -> list[str]:
    return [eid for eid in w.elevators if w.judged(eid)]


# ---------------------------------------------------------------- use management

def daily_check(w: World) -> dict:
    """Each in-service day needs a daily check; per month meeting P, from its first day to min(month end, to)."""
    out = new_out()
    checked = {(c["elevator_id"], c["date"]) for c in w.t["daily_checks"]}
    months = sorted({month_first(d) for d in each_day(w.start, w.end)})
    for eid in judged_ids(w):
        for first in months:
            last = min(month_last(first), w.end)
            in_service = [d for d in each_day(first, last) if w.in_service(eid, d)]
            missing = [d for d in in_service if (eid, d) not in checked]
            if len(missing) > w.p("daily_check.max_missing_days_per_month", first):
                out["violations"].append(w.verdict("DAILY-CHECK", eid, month_key(first), {
                    "month": month_key(first), "in_service_days": len(in_service), "missing_days": len(missing),
                    "missing_dates": [iso(d) for d in missing]}, eid=eid))
    return out


def _units_owing(w: World, first: dt.date, last: dt.date) -> list[str]:
    """Use units of at least one judged in-scope elevator with an in-service day in [first, last]."""
    units = set()
    for eid in judged_ids(w):
        if any(w.in_service(eid, d) for d in each_day(first, last)):
            units.add(w.elevators[eid]["use_unit_id"])
    return sorted(units)


def weekly_review(w: World) -> dict:
    """Each ISO week whose Sunday lies in P, over all seven days (records before `from` count)."""
    out = new_out()
    for sunday in each_day(w.start, w.end):
        if sunday.isoweekday() != 7:
            continue
        monday = sunday - 6 * ONE
        for unit in _units_owing(w, monday, sunday):
            if not any(r["use_unit_id"] == unit and monday <= r["date"] <= sunday for r in w.t["weekly_reviews"]):
                out["violations"].append(w.verdict("WEEKLY-REVIEW", unit, iso_week_key(sunday), {
                    "iso_week": iso_week_key(sunday), "monday": iso(monday), "sunday": iso(sunday)}, unit=unit))
    return out


def monthly_dispatch(w: World) -> dict:
    """Each calendar month whose last day lies in P, over the whole month."""
    out = new_out()
    for last in each_day(w.start, w.end):
        if last != month_last(last):
            continue
        first = month_first(last)
        for unit in _units_owing(w, first, last):
            if not any(r["use_unit_id"] == unit and first <= r["date"] <= last for r in w.t["monthly_dispatches"]):
                out["violations"].append(w.verdict("MONTHLY-DISPATCH", unit, month_key(last), {
                    "month": month_key(last), "month_start": iso(first), "month_end": iso(last)}, unit=unit))
    return out


def _scope_units(w: World) -> list[str]:
    return sorted({w.elevators[eid]["use_unit_id"] for eid in scope_ids(w)})


def emergency_plan(w: World) -> dict:
    out = new_out()
    for unit in _scope_units(w):
        if not any(p["use_unit_id"] == unit and p["approved_on"] <= w.end for p in w.t["emergency_plans"]):
            out["violations"].append(w.verdict("EMERGENCY-PLAN", unit, str(w.end.year), {}, unit=unit))
    return out


def emergency_drill(w: World) -> dict:
    out = new_out()
    window_from = add_months(w.end, -w.p("drill.window_months", w.end)) + ONE
    for unit in _scope_units(w):
        if not any(r["use_unit_id"] == unit and window_from <= r["date"] <= w.end for r in w.t["drills"]):
            out["violations"].append(w.verdict("EMERGENCY-DRILL", unit, str(w.end.year), {}, unit=unit))
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
        w.deadline_verdict(out, "ALARM-FAULT", eid, iso(f), f, due, later_ok[0] if later_ok else None, eid)
    return out


def rescue_arrival(w: World) -> dict:
    """Each entrapment reported in P: rescuers on site within 30 minutes (30:00 in time, 30:01 not)."""
    out = new_out()
    for r in w.t["entrapments"]:
        eid = r["elevator_id"]
        if not w.in_scope(eid) or not (w.start <= r["reported_at"].date() <= w.end):
            continue
        limit = w.p("rescue.max_arrival_minutes", r["reported_at"].date())
        took = None if r["arrived_at"] is None else (r["arrived_at"] - r["reported_at"]).total_seconds() / 60
        if took is None or took > limit:
            mu = w.elevators[eid]["maintenance_unit_id"]
            out["violations"].append(w.verdict("RESCUE-ARRIVAL", r["incident_id"], r["incident_id"], {
                "reported_at": r["reported_at"], "arrived_at": r["arrived_at"], "arrival_minutes": took,
                "maintenance_unit_id": mu, "maintenance_unit_name": w.orgs[mu]["name"]}, eid=eid))
    return out


# ---------------------------------------------------------------- maintenance and inspection

def history_start(w: World) -> dt.date:
    """The earliest date of any maintenance record in the submission, or `from` when it has none."""
    dates = [m["date"] for m in w.t["maintenance"]]
    return min(dates) if dates else w.start


def maintenance(w: World) -> dict:
    """MAINT-INTERVAL and MAINT-INTERVAL-DENSE: the walk anchor → visits in P → `to`."""
    out = new_out()
    for eid in judged_ids(w):
        e = w.elevators[eid]
        visits = sorted({m["date"] for m in w.t["maintenance"]
                         if m["elevator_id"] == eid and m["on_site"] and m["kind"] != "repair"})
        before = [v for v in visits if v < w.start]
        anchor = before[-1] if before else max(e["commissioned_on"], history_start(w))
        walk = [anchor] + [v for v in visits if w.start <= v <= w.end]
        steps = list(zip(walk, walk[1:]))
        steps.append((walk[-1], w.end))                 # the last one, ending at `to`
        for i, (a, b) in enumerate(steps):
            at_end = i == len(steps) - 1
            stopped_between = sum(1 for d in each_day(a + ONE, b - ONE) if w.stopped(eid, d))
            n = (b - a).days - stopped_between
            dense = w.dense_on(eid, a)
            rule = "MAINT-INTERVAL-DENSE" if dense else "MAINT-INTERVAL"
            limit = w.p("maintenance.dense_max_interval_days" if dense else "maintenance.max_interval_days", a)
            if n > limit:
                out["violations"].append(w.verdict(rule, eid, iso(a), {
                    "a": iso(a), "b": iso(b), "interval_days": n, "stopped_days_between": stopped_between,
                    "ends_at_period_end": at_end, "limit_days": limit}, eid=eid))
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
                "latest_conclusion": latest["conclusion"], "valid_until": iso(latest["until"])}, eid=eid))
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
            out["violations"].append(w.verdict("MAINT-PROVIDER", eid, str(w.end.year), {}, eid=eid))
    return out


# ---------------------------------------------------------------- screening and assessment

def screening_coverage(w: World) -> dict:
    out = new_out()
    window_from = add_months(w.end, -w.p("screening.window_months", w.end)) + ONE
    for eid in scope_ids(w):
        if not w.old_on(eid, w.end):
            continue
        if not any(s["elevator_id"] == eid and window_from <= s["date"] <= w.end for s in w.t["screenings"]):
            out["violations"].append(w.verdict("SCREENING-COVERAGE", eid, str(w.end.year), {}, eid=eid))
    return out


def after_high_risk(w: World) -> dict:
    """A high screening on s of an elevator old on s: due s + 30, fulfilled by the earliest applied_on ≥ s."""
    out = new_out()
    highs = sorted({(s["elevator_id"], s["date"]) for s in w.t["screenings"] if s["risk_level"] == "high"})
    for eid, s in highs:
        if not w.in_scope(eid) or not w.old_on(eid, s):
            continue
        applied = sorted(a["applied_on"] for a in w.t["assessments"] if a["elevator_id"] == eid and a["applied_on"] >= s)
        who = "market_regulator" if w.elevators[eid]["affordable_housing"] else "use_unit"
        w.deadline_verdict(out, "ASSESSMENT-AFTER-HIGH-RISK", eid, iso(s), s,
                           s + w.p("assessment.apply_within_days", s) * ONE, applied[0] if applied else None,
                           eid, responsible=who)
    return out


def assessment_affordable(w: World) -> dict:
    out = new_out()
    for eid in scope_ids(w):
        if not (w.old_on(eid, w.end) and w.elevators[eid]["affordable_housing"]):
            continue
        if not any(a["elevator_id"] == eid and a["completed_on"] is not None and a["completed_on"] <= w.end
                   for a in w.t["assessments"]):
            out["violations"].append(w.verdict("ASSESSMENT-AFFORDABLE", eid, str(w.end.year), {}, eid=eid))
    return out


def workgroup(w: World) -> dict:
    """A completed assessment calling for work: due c + 60, fulfilled on the later of working group and plan."""
    out = new_out()
    for a in w.t["assessments"]:
        eid, c = a["elevator_id"], a["completed_on"]
        if not w.in_scope(eid) or c is None:
            continue
        if a["conclusion"] not in w.p("assessment.workgroup_conclusions", c):
            continue
        both = a["working_group_on"] is not None and a["plan_on"] is not None
        who = "town_government" if w.elevators[eid]["affordable_housing"] else "use_unit"
        w.deadline_verdict(out, "ASSESSMENT-WORKGROUP", a["assessment_id"], a["assessment_id"], c,
                           c + w.p("assessment.workgroup_within_days", c) * ONE,
                           max(a["working_group_on"], a["plan_on"]) if both else None, eid, responsible=who)
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
        due = h["deadline"] or f + w.p(f"hazard.deadline_days.{h['severity']}", f) * ONE
        w.deadline_verdict(out, "HAZARD-OVERDUE", h["hazard_id"], h["hazard_id"], f, due, h["rectified_on"],
                           h["elevator_id"], severity=h["severity"])
    return out


def hazard_listed(w: World) -> dict:
    out = new_out()
    for h in w.t["hazards"]:
        if not w.in_scope(h["elevator_id"]) or not from_assessment(h) or h["severity"] not in ("major", "serious"):
            continue
        f = h["found_on"]
        w.deadline_verdict(out, "HAZARD-LISTED", h["hazard_id"], h["hazard_id"], f,
                           f + w.p("hazard.listing_within_days", f) * ONE, h["listed_on"], h["elevator_id"])
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
                "first_unstopped_day": iso(unstopped[0]), "unstopped_days": len(unstopped)}, eid=eid))
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
                           min(candidates) if candidates else None, eid)
    return out


def defect_repair(w: World) -> dict:
    """A daily check that found a hazard on d: repaired (or registered, or stopped) by d + 3."""
    out = new_out()
    findings = sorted({(c["elevator_id"], c["date"]) for c in w.t["daily_checks"] if c["result"] == "hazard_found"})
    for eid, d in findings:
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
        w.deadline_verdict(out, "DEFECT-REPAIR", eid, iso(d), d, d + w.p("defect.repair_within_days", d) * ONE,
                           min(candidates) if candidates else None, eid)
    return out


def fund_basis(w: World) -> dict:
    """An emergency application in P for an elevator old on applied_on, checked before approval."""
    out = new_out()
    reports = {a["assessment_id"]: a for a in w.t["assessments"]}
    for app in w.t["fund_applications"]:
        eid, day = app["elevator_id"], app["applied_on"]
        if app["channel"] != "emergency" or not w.in_scope(eid) or not (w.start <= day <= w.end) or not w.old_on(eid, day):
            continue
        report = reports.get(app["assessment_id"]) if app["assessment_id"] is not None else None
        held = {"report_exists": report is not None, "same_elevator": None, "report_completed": None,
                "report_recent": None, "plan_ready": None}
        if report is not None:
            done = report["completed_on"]
            held["same_elevator"] = report["elevator_id"] == eid
            held["report_completed"] = done is not None and done <= day
            if held["report_completed"]:   # how old a report is, is asked only of one completed in time
                held["report_recent"] = done >= add_months(day, -w.p("fund.report_max_age_months", day))
            if w.p("fund.require_plan", day):
                held["plan_ready"] = report["plan_on"] is not None and report["plan_on"] <= day
        unmet = [k for k, v in held.items() if v is False]
        if unmet:
            out["violations"].append(w.verdict("FUND-EMERGENCY-BASIS", app["application_id"], app["application_id"],
                                               {"unmet": unmet, "prerequisites": held}, eid=eid))
    return out


# ---------------------------------------------------------------- not violations

def unjudged(w: World) -> list[dict]:
    rules = [r for r in DAY_BY_DAY if w.evaluated(r)]
    return [{"elevator_id": eid, "use_unit_id": w.elevators[eid]["use_unit_id"],
             "district": w.elevators[eid]["district"], "rules": rules}
            for eid in sorted(w.elevators) if w.in_scope(eid) and w.unjudged(eid)]


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


RULES = {
    "DAILY-CHECK": daily_check, "WEEKLY-REVIEW": weekly_review, "MONTHLY-DISPATCH": monthly_dispatch,
    "EMERGENCY-PLAN": emergency_plan, "EMERGENCY-DRILL": emergency_drill, "ALARM-FAULT": alarm_fault,
    "RESCUE-ARRIVAL": rescue_arrival, "MAINT-INTERVAL": maintenance, "MAINT-INTERVAL-DENSE": maintenance,
    "MAINT-PROVIDER": maint_provider, "INSPECTION-VALID": inspection_valid,
    "SCREENING-COVERAGE": screening_coverage, "ASSESSMENT-AFTER-HIGH-RISK": after_high_risk,
    "ASSESSMENT-AFFORDABLE": assessment_affordable, "ASSESSMENT-WORKGROUP": workgroup,
    "HAZARD-OVERDUE": hazard_overdue, "HAZARD-LISTED": hazard_listed, "HAZARD-SERIOUS-STOP": serious_stop,
    "HAZARD-STOP-ORDER": stop_order, "DEFECT-REPAIR": defect_repair, "FUND-EMERGENCY-BASIS": fund_basis,
}


def judge(w: World) -> dict:
    """Every rule over the world: {"violations", "pending", "not_evaluated", "unjudged", "closed_loop"}."""
    out = {"violations": [], "pending": [], "not_evaluated": sorted(r for r in RULES if not w.evaluated(r))}
    done = set()
    for rule, fn in RULES.items():
        if fn in done:
            continue
        done.add(fn)
        found = fn(w)
        for kind in ("violations", "pending"):
            out[kind] += [v for v in found[kind] if w.evaluated(v["rule_id"])]
    out["unjudged"] = unjudged(w)
    out["closed_loop"] = closed_loop(w)
    return out
