"""The engine against the day-by-day oracle (tests/oracle.py) on random records: any disagreement fails."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import oracle
from conftest import MAINTAINER, ORGANIZATIONS, elevator, write_submission
from checker.pipeline import run_check

BASE = dt.date(2024, 1, 1)


def day(lo: int, hi: int):
    return st.integers(lo, hi).map(lambda n: BASE + dt.timedelta(days=n))


@st.composite
def worlds(draw):
    start = draw(day(0, 200))
    end = start + dt.timedelta(days=draw(st.integers(0, 75)))
    n = draw(st.integers(1, 3))
    elevators = []
    for i in range(n):
        elevators.append({
            "elevator_id": f"E{i}",
            # around the 15-year boundary, exactly on it (±1 day), or inside the period
            "commissioned_on": draw(st.one_of(
                day(-15 * 366 - 40, -15 * 365 + 260), day(-400, 260),
                st.sampled_from([-1, 0, 1]).map(lambda k: oracle.add_months(end, -180) + dt.timedelta(days=k)))),
            "affordable_housing": draw(st.booleans() | st.just(True)),
            "households_served": draw(st.sampled_from([None, 70, 71, 72])),
        })
    ids = [e["elevator_id"] for e in elevators]
    eid = st.sampled_from(ids)
    stops = []
    for _ in range(draw(st.integers(0, 3))):
        s = draw(day(start.toordinal() - BASE.toordinal() - 40, end.toordinal() - BASE.toordinal() + 5))
        stops.append({"elevator_id": draw(eid), "start": s,
                      "end": draw(st.one_of(st.none(), st.integers(0, 25).map(lambda k, s=s: s + dt.timedelta(days=k))))})
    lo, hi = start.toordinal() - BASE.toordinal(), end.toordinal() - BASE.toordinal()
    checks = {(draw(eid), d) for d in [BASE + dt.timedelta(days=k) for k in range(lo, hi + 1)] if draw(st.integers(0, 9)) > 0}
    # visits as chains with gaps around the limits (10/11, 15/16 days), plus a few strays
    maintenance = []
    for e in ids:
        d = start - dt.timedelta(days=draw(st.integers(0, 20)))
        for _ in range(draw(st.integers(0, 9))):
            d += dt.timedelta(days=draw(st.sampled_from([9, 10, 11, 12, 14, 15, 16, 17])))
            maintenance.append({"elevator_id": e, "date": d, "kind": draw(st.sampled_from(["half_month", "quarter", "repair"])),
                                "on_site": draw(st.booleans() | st.just(True))})
    maintenance += [{"elevator_id": draw(eid), "date": draw(day(lo - 30, hi + 3)), "kind": "half_month", "on_site": True}
                    for _ in range(draw(st.integers(0, 2)))]
    inspections = [{"elevator_id": draw(eid), "date": draw(day(lo - 400, hi)),
                    "conclusion": draw(st.sampled_from(["pass", "pass", "pass_after_rectification", "fail"])),
                    "next_due": draw(st.one_of(st.none(), day(lo - 20, hi + 30)))} for _ in range(draw(st.integers(0, 4)))]
    for r in inspections:  # a next_due before the inspection itself is not a record anyone submits
        if r["next_due"] is not None and r["next_due"] < r["date"]:
            r["next_due"] = None
    alarms = []
    for _ in range(draw(st.integers(0, 3))):  # a failure, then tests 1–5 days later
        e, f = draw(eid), draw(day(lo - 10, hi + 4))
        alarms.append({"elevator_id": e, "date": f, "ok": False})
        for _ in range(draw(st.integers(0, 2))):
            alarms.append({"elevator_id": e, "date": f + dt.timedelta(days=draw(st.integers(0, 5))), "ok": draw(st.booleans())})
    alarms = list({(a["elevator_id"], a["date"], a["ok"]): a for a in alarms}.values())
    hazards = []
    for k in range(draw(st.integers(0, 5))):
        found = draw(day(lo - 120, hi + 5))
        hazards.append({"hazard_id": f"H{k}", "elevator_id": draw(eid), "found_on": found,
                        "severity": draw(st.sampled_from(["general", "major", "serious"])), "source": "other",
                        "deadline": draw(st.one_of(st.none(), st.integers(0, 60).map(lambda x, f=found: f + dt.timedelta(days=x)))),
                        # fulfilments on the period's first day and the day before are the boundary of "reported"
                        "rectified_on": draw(st.one_of(st.none(), st.integers(0, 130).map(lambda x, f=found: f + dt.timedelta(days=x)),
                                                       st.sampled_from([start, start - dt.timedelta(days=1)]).filter(lambda d, f=found: d >= f))),
                        # listing around its 15-day due day
                        "listed_on": draw(st.one_of(st.none(), st.sampled_from([10, 14, 15, 16, 25]).map(
                            lambda x, f=found: f + dt.timedelta(days=x))))})
    screenings, assessments = [], []
    for k in range(draw(st.integers(0, 3))):
        e, s_day = draw(eid), draw(day(lo - 100, hi + 3))
        screenings.append({"elevator_id": e, "date": s_day, "risk_level": draw(st.sampled_from(["high", "high", "low"])),
                           "report_no": f"S{k}"})
        for j in range(draw(st.integers(0, 2))):
            applied = s_day + dt.timedelta(days=draw(st.integers(-5, 40)))
            completed = draw(st.one_of(st.none(), st.integers(0, 40).map(lambda x, a=applied: a + dt.timedelta(days=x))))
            base = completed or applied
            assessments.append({
                "assessment_id": f"A{k}{j}", "elevator_id": e, "applied_on": applied, "completed_on": completed,
                "conclusion": draw(st.sampled_from(["repair", "major_repair", "renovate", "replace"])) if completed else None,
                # working group and plan around their 60-day due day
                "working_group_on": draw(st.one_of(st.none(), st.sampled_from([20, 59, 60, 61, 75]).map(
                    lambda x, b=base: b + dt.timedelta(days=x)))),
                "plan_on": draw(st.one_of(st.none(), st.sampled_from([20, 59, 60, 61, 75]).map(
                    lambda x, b=base: b + dt.timedelta(days=x))))})
    return start, end, elevators, stops, checks, maintenance, inspections, alarms, hazards, screenings, assessments


def _iso(rows):
    return [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()} for r in rows]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_engine_agrees_with_the_day_by_day_oracle(world):
    start, end, elevators, stops, checks, maintenance, inspections, alarms, hazards, screenings, assessments = world
    tables = {
        "organizations": ORGANIZATIONS,
        "elevators": [elevator(e["elevator_id"], commissioned_on=e["commissioned_on"].isoformat(),
                               affordable_housing=str(e["affordable_housing"]).lower(),
                               households_served=e["households_served"]) for e in elevators],
        "stop_periods": _iso(stops),
        "daily_checks": [{"elevator_id": e, "date": d.isoformat(), "inspector": "王伟"} for e, d in sorted(checks)],
        "maintenance": _iso([dict(r, maintenance_unit_id=MAINTAINER, on_site=str(r["on_site"]).lower()) for r in maintenance]),
        "inspections": _iso(inspections),
        "alarm_tests": _iso([dict(a, ok=str(a["ok"]).lower()) for a in alarms]),
        "hazards": _iso(hazards),
        "screenings": _iso(screenings),
        "assessments": _iso(assessments),
    }
    # the same record twice is a duplicate the validator rightly refuses; the oracle de-duplicates
    tables["maintenance"] = list({tuple(sorted(r.items())): r for r in tables["maintenance"]}.values())
    tables["inspections"] = list({tuple(sorted(r.items())): r for r in tables["inspections"]}.values())
    tables["stop_periods"] = list({tuple(sorted(r.items())): r for r in tables["stop_periods"]}.values())
    tables["alarm_tests"] = list({tuple(sorted(r.items())): r for r in tables["alarm_tests"]}.values())
    with tempfile.TemporaryDirectory() as tmp:
        report = run_check(write_submission(Path(tmp), tables), start, end,
                           only=["DAILY-CHECK", "MAINT-INTERVAL", "MAINT-INTERVAL-DENSE", "INSPECTION-VALID",
                                 "ALARM-FAULT", "HAZARD-OVERDUE", "HAZARD-LISTED", "HAZARD-SERIOUS-STOP",
                                 "ASSESSMENT-AFTER-HIGH-RISK", "ASSESSMENT-WORKGROUP"]).report
    w = oracle.World(elevators, stops, start, end)
    got = lambda rule: [v for v in report["violations"] if v["rule_id"] == rule]  # noqa: E731

    assert {(v["subject"], v["period_key"], tuple(v["evidence"]["missing_dates"])) for v in got("DAILY-CHECK")} \
        == oracle.daily_check(w, checks)
    assert {(v["rule_id"], v["subject"], v["period_key"], v["evidence"]["interval_days"])
            for v in got("MAINT-INTERVAL") + got("MAINT-INTERVAL-DENSE")} == oracle.maintenance(w, maintenance)
    assert {(v["subject"], v["period_key"], v["evidence"]["uncovered_days"]) for v in got("INSPECTION-VALID")} \
        == oracle.inspection(w, inspections)
    reported, pending = oracle.alarm(w, alarms)
    assert {(v["subject"], v["period_key"]) for v in got("ALARM-FAULT")} == reported
    assert {(p["subject"], p["period_key"]) for p in report["pending"] if p["rule_id"] == "ALARM-FAULT"} == pending
    reported, pending = oracle.hazards(w, hazards)
    assert {v["subject"] for v in got("HAZARD-OVERDUE")} == reported
    assert {p["subject"] for p in report["pending"] if p["rule_id"] == "HAZARD-OVERDUE"} == pending
    reported, pending = oracle.hazard_listed(w, hazards)
    assert {v["subject"] for v in got("HAZARD-LISTED")} == reported
    assert {p["subject"] for p in report["pending"] if p["rule_id"] == "HAZARD-LISTED"} == pending
    assert {(v["subject"], v["evidence"]["first_unstopped_day"], v["evidence"]["unstopped_days"])
            for v in got("HAZARD-SERIOUS-STOP")} == oracle.serious_stop(w, hazards)
    reported, pending = oracle.after_high_risk(w, screenings, assessments)
    assert {(v["subject"], v["period_key"]) for v in got("ASSESSMENT-AFTER-HIGH-RISK")} == reported
    assert {(p["subject"], p["period_key"]) for p in report["pending"] if p["rule_id"] == "ASSESSMENT-AFTER-HIGH-RISK"} == pending
    reported, pending = oracle.workgroup(w, assessments)
    assert {v["subject"] for v in got("ASSESSMENT-WORKGROUP")} == reported
    assert {p["subject"] for p in report["pending"] if p["rule_id"] == "ASSESSMENT-WORKGROUP"} == pending
    # each violation counted once: fingerprints are unique
    fps = [v["fingerprint"] for v in report["violations"]]
    assert len(fps) == len(set(fps))
