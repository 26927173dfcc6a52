"""A deliberately simple, day-by-day, plain-Python reading of rules.md, independent of the engine.

No polars, no shared machinery, no cleverness: loops over calendar days, written straight
from the spec's words, so that a disagreement with the vectorised engine means one of the
two misreads the spec. Used by tests/test_oracle.py on hypothesis-generated records.
"""

from __future__ import annotations

import calendar
import datetime as dt

ONE = dt.timedelta(days=1)


def add_months(d: dt.date, n: int) -> dt.date:
    m = d.month - 1 + n
    y = d.year + m // 12
    m = m % 12 + 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def each_day(a: dt.date, b: dt.date):
    d = a
    while d <= b:
        yield d
        d += ONE


class World:
    def __init__(self, elevators, stops, start, end):
        self.elevators = {e["elevator_id"]: e for e in elevators}
        self.stops = stops
        self.start, self.end = start, end

    def stopped(self, eid, d):
        return any(s["elevator_id"] == eid and s["start"] <= d and (s["end"] is None or d <= s["end"]) for s in self.stops)

    def in_service(self, eid, d):
        return d >= self.elevators[eid]["commissioned_on"] and not self.stopped(eid, d)

    def old(self, eid):
        return add_months(self.elevators[eid]["commissioned_on"], 12 * 15) <= self.end

    def dense(self, eid):
        e = self.elevators[eid]
        return self.old(eid) and e["affordable_housing"] and e["households_served"] is not None and e["households_served"] > 70


def daily_check(w: World, checks) -> set:
    out = set()
    for eid in w.elevators:
        by_month: dict[str, list] = {}
        for d in each_day(w.start, w.end):
            if w.in_service(eid, d) and (eid, d) not in checks:
                by_month.setdefault(f"{d.year:04d}-{d.month:02d}", []).append(d.isoformat())
        for month, missing in by_month.items():
            if len(missing) > 0:
                out.add((eid, month, tuple(missing)))
    return out


def maintenance(w: World, records) -> set:
    out = set()
    for eid, e in w.elevators.items():
        if e["commissioned_on"] > w.end:
            continue
        visits = sorted({r["date"] for r in records if r["elevator_id"] == eid and r["on_site"] and r["kind"] != "repair"})
        before = [v for v in visits if v < w.start]
        anchor = before[-1] if before else max(w.start, e["commissioned_on"])
        walk = [anchor] + [v for v in visits if w.start <= v <= w.end] + [w.end]
        dense = w.dense(eid)
        for a, b in zip(walk, walk[1:]):
            stopped = sum(1 for d in each_day(a + ONE, b - ONE) if w.stopped(eid, d))
            n = (b - a).days - stopped
            if n > (10 if dense else 15):
                out.add(("MAINT-INTERVAL-DENSE" if dense else "MAINT-INTERVAL", eid, f"{a}..{b}", n))
    return out


def inspection(w: World, inspections) -> set:
    out = set()
    for eid, e in w.elevators.items():
        mine = [dict(r, real=1) for r in inspections if r["elevator_id"] == eid]
        mine.append({"date": e["commissioned_on"], "conclusion": "pass", "next_due": None, "real": 0})
        for r in mine:
            r["until"] = r["next_due"] or (add_months(r["date"], 12) - ONE)
            r["passed"] = r["conclusion"] in ("pass", "pass_after_rectification")
        run = None
        for d in each_day(w.start, w.end):
            if not w.in_service(eid, d):
                continue
            earlier = [r for r in mine if r["date"] <= d]
            latest_day = max(r["date"] for r in earlier)
            latest = max((r for r in earlier if r["date"] == latest_day),
                         key=lambda r: (r["real"], r["passed"], r["until"]))
            if latest["passed"] and d <= latest["until"]:
                if run:
                    out.add((eid, f"{run[0]}..{run[1]}", run[2]))
                run = None
            else:
                run = (run[0], d, run[2] + 1) if run else (d, d, 1)
        if run:
            out.add((eid, f"{run[0]}..{run[1]}", run[2]))
    return out


def deadline(w: World, arises, due, fulfilled) -> tuple[bool, bool]:
    """(reported, pending) for one obligation, word for word from rules.md."""
    if arises > w.end:
        return False, False
    violated = due <= w.end and (fulfilled is None or fulfilled > due)
    reported = violated and (fulfilled is None or fulfilled >= w.start)
    pending = due > w.end and fulfilled is None
    return reported, pending


def alarm(w: World, tests) -> tuple[set, set]:
    reported, pending = set(), set()
    for t in tests:
        if t["ok"]:
            continue
        later_ok = sorted(x["date"] for x in tests if x["elevator_id"] == t["elevator_id"] and x["ok"] and x["date"] > t["date"])
        r, p = deadline(w, t["date"], t["date"] + dt.timedelta(days=3), later_ok[0] if later_ok else None)
        if r:
            reported.add((t["elevator_id"], t["date"].isoformat()))
        if p:
            pending.add((t["elevator_id"], t["date"].isoformat()))
    return reported, pending


def hazards(w: World, items) -> tuple[set, set]:
    reported, pending = set(), set()
    for h in items:
        due = h["deadline"] or h["found_on"] + dt.timedelta(days={"general": 30, "major": 90, "serious": 90}[h["severity"]])
        r, p = deadline(w, h["found_on"], due, h["rectified_on"])
        if r:
            reported.add(h["hazard_id"])
        if p:
            pending.add(h["hazard_id"])
    return reported, pending


def hazard_listed(w: World, items) -> tuple[set, set]:
    reported, pending = set(), set()
    for h in items:
        if h["severity"] not in ("major", "serious"):
            continue
        r, p = deadline(w, h["found_on"], h["found_on"] + dt.timedelta(days=15), h["listed_on"])
        if r:
            reported.add(h["hazard_id"])
        if p:
            pending.add(h["hazard_id"])
    return reported, pending


def serious_stop(w: World, items) -> set:
    """(hazard, first unstopped day, how many): every day from the day after finding to the day
    before rectification (or to `to`), inside P, must be a stopped day."""
    out = set()
    for h in items:
        if h["severity"] != "serious":
            continue
        last = h["rectified_on"] - ONE if h["rectified_on"] else w.end
        days = [d for d in each_day(h["found_on"] + ONE, last) if w.start <= d <= w.end]
        missing = [d for d in days if not w.stopped(h["elevator_id"], d)]
        if missing:
            out.add((h["hazard_id"], missing[0].isoformat(), len(missing)))
    return out


def after_high_risk(w: World, screenings, assessments) -> tuple[set, set]:
    reported, pending = set(), set()
    for s in screenings:
        if s["risk_level"] != "high":
            continue
        applied = sorted(a["applied_on"] for a in assessments
                         if a["elevator_id"] == s["elevator_id"] and a["applied_on"] >= s["date"])
        r, p = deadline(w, s["date"], s["date"] + dt.timedelta(days=30), applied[0] if applied else None)
        if r:
            reported.add((s["elevator_id"], s["date"].isoformat()))
        if p:
            pending.add((s["elevator_id"], s["date"].isoformat()))
    return reported, pending


def workgroup(w: World, assessments) -> tuple[set, set]:
    reported, pending = set(), set()
    for a in assessments:
        if a["completed_on"] is None or a["conclusion"] not in ("major_repair", "renovate", "replace"):
            continue
        both = a["working_group_on"] is not None and a["plan_on"] is not None
        r, p = deadline(w, a["completed_on"], a["completed_on"] + dt.timedelta(days=60),
                        max(a["working_group_on"], a["plan_on"]) if both else None)
        if r:
            reported.add(a["assessment_id"])
        if p:
            pending.add(a["assessment_id"])
    return reported, pending
