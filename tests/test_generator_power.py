"""The oracle test's generator reaches every boundary a plausible engine mistake would move.

Each mutant below is a mistake an engine could make in reading Revision 2, planted in a copy of
the oracle. Hypothesis must find a world on which the mutant and the oracle disagree; otherwise
the generator (almost) never reaches that boundary and an engine making the same mistake would
pass tests/test_oracle.py unnoticed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, Phase, find, settings

import oracle
from test_oracle import worlds

ONE = dt.timedelta(days=1)


def canonical(out: dict) -> list:
    def freeze(x):
        if isinstance(x, dict):
            return tuple(sorted((k, freeze(v)) for k, v in x.items()))
        if isinstance(x, list):
            return tuple(freeze(v) for v in x)
        return x
    return sorted(map(repr, map(freeze, out["violations"] + out["pending"] + out["unjudged"]))) + [repr(freeze(out["closed_loop"]))]


# ---------------------------------------------------------------- the mutants

def old_on_to(m):
    """Old judged on `to` instead of the day the rule names."""
    real = oracle.World.old_on
    m.setattr(oracle.World, "old_on", lambda self, eid, d: real(self, eid, self.end))


def stop_end_inclusive(m):
    """The stop period's end (恢复使用日期) counted as a stopped day."""
    def stopped(self, eid, d):
        return any(s["elevator_id"] == eid and s["start"] <= d and (s["end"] is None or d <= s["end"])
                   for s in self.t["stop_periods"])
    m.setattr(oracle.World, "stopped", stopped)


def week_judged_when_it_starts(m):
    """WEEKLY-REVIEW judging the weeks whose Monday lies in P."""
    def weekly_review(w):
        out = oracle.new_out()
        for monday in oracle.each_day(w.start, w.end):
            if monday.isoweekday() != 1:
                continue
            sunday = monday + 6 * ONE
            for unit in oracle._units_owing(w, monday, sunday):
                if not any(r["use_unit_id"] == unit and monday <= r["date"] <= sunday for r in w.t["weekly_reviews"]):
                    out["violations"].append(w.verdict("WEEKLY-REVIEW", unit, oracle.iso_week_key(sunday), {
                        "iso_week": oracle.iso_week_key(sunday), "monday": oracle.iso(monday),
                        "sunday": oracle.iso(sunday)}, unit=unit))
        return out
    m.setitem(oracle.RULES, "WEEKLY-REVIEW", weekly_review)


def anchor_is_from(m):
    """Without a visit before `from`, the maintenance walk starts at `from` (Revision 1)."""
    real = oracle.World.history

    def history(self, record_type, eid):
        return self.start if record_type == "maintenance" else real(self, record_type, eid)
    m.setattr(oracle.World, "history", history)


def inspection_key_clipped(m):
    """INSPECTION-VALID keyed by the run clipped to P."""
    real = oracle.inspection_valid

    def clipped(w):
        out = real(w)
        for v in out["violations"]:
            first = max(dt.date.fromisoformat(v["evidence"]["first"]), w.start)
            v["period_key"] = first.isoformat()
            v["fingerprint"] = oracle.fingerprint(v["rule_id"], v["subject"], v["period_key"])
        return out
    m.setitem(oracle.RULES, "INSPECTION-VALID", clipped)


def listed_for_all_sources(m):
    """HAZARD-LISTED for major and serious hazards of every source, not only those an assessment found."""
    def hazard_listed(w):
        out = oracle.new_out()
        for h in w.t["hazards"]:
            if not w.in_scope(h["elevator_id"]) or h["severity"] not in ("major", "serious"):
                continue
            f = h["found_on"]
            w.deadline_verdict(out, "HAZARD-LISTED", h["hazard_id"], h["hazard_id"], f, f + 15 * ONE,
                               h["listed_on"], h["elevator_id"])
        return out
    m.setitem(oracle.RULES, "HAZARD-LISTED", hazard_listed)


def defect_fulfilled_before_the_finding(m):
    """DEFECT-REPAIR fulfilled by a repair, hazard or stop of any date, not only on or after the finding."""
    def defect_repair(w):
        out = oracle.new_out()
        findings = sorted({(c["elevator_id"], c["date"]) for c in w.t["daily_checks"] if c["result"] == "hazard_found"})
        for eid, d in findings:
            if not w.in_scope(eid):
                continue
            candidates = [r["date"] for r in w.t["maintenance"] if r["elevator_id"] == eid and r["kind"] == "repair"]
            candidates += [h["found_on"] for h in w.t["hazards"] if h["elevator_id"] == eid]
            candidates += [s["start"] for s in w.t["stop_periods"] if s["elevator_id"] == eid]
            w.deadline_verdict(out, "DEFECT-REPAIR", eid, oracle.iso(d), d, d + 3 * ONE,
                               min(candidates) if candidates else None, eid)
        return out
    m.setitem(oracle.RULES, "DEFECT-REPAIR", defect_repair)


def responsible_not_switched(m):
    """The use unit answers for affordable housing too (ASSESSMENT-AFTER-HIGH-RISK)."""
    real = oracle.World.verdict

    def verdict(self, rule, subject, period_key, evidence, eid=None, unit=None, responsible=None, severity=None,
                day=None, reads=(), org=None):
        if rule == "ASSESSMENT-AFTER-HIGH-RISK":
            responsible = "use_unit"
        return real(self, rule, subject, period_key, evidence, eid, unit, responsible, severity, day, reads, org)
    m.setattr(oracle.World, "verdict", verdict)


def daily_month_from_from(m):
    """DAILY-CHECK counting a month's days only from `from`."""
    real = oracle.daily_check

    def clipped(w):
        out = real(w)
        out["violations"] = [v for v in out["violations"] if any(
            dt.date.fromisoformat(d) >= w.start for d in v["evidence"]["missing_dates"])]
        return out
    m.setitem(oracle.RULES, "DAILY-CHECK", clipped)


def dense_limit_on_to(m):
    """The dense status and limit of an interval taken on `to` rather than on its opening day."""
    real = oracle.World.dense_on
    m.setattr(oracle.World, "dense_on", lambda self, eid, d: real(self, eid, self.end))


def unjudged_counted_for_weeks(m):
    """A stopped elevator without a stop record still makes its unit owe weekly and monthly reports."""
    m.setattr(oracle, "_units_owing", lambda w, first, last, record_type: sorted({
        w.elevators[eid]["use_unit_id"] for eid in oracle.scope_ids(w)
        if any(w.in_service(eid, d) for d in oracle.each_day(max(first, w.history(record_type, eid)), last))}))


def stop_order_covering_ignored(m):
    """HAZARD-STOP-ORDER fulfilled only by an order stop starting on or after the finding, not one already covering it."""
    def stop_order(w):
        out = oracle.new_out()
        for h in w.t["hazards"]:
            eid = h["elevator_id"]
            if not w.in_scope(eid) or h["severity"] != "serious" or not oracle.from_assessment(h):
                continue
            f, r, due = h["found_on"], h["rectified_on"], h["found_on"] + 3 * ONE
            candidates = [s["start"] for s in w.t["stop_periods"]
                          if s["elevator_id"] == eid and s["reason"] == "order" and s["start"] >= f]
            if r is not None and r <= due:
                candidates.append(r)
            w.deadline_verdict(out, "HAZARD-STOP-ORDER", h["hazard_id"], h["hazard_id"], f, due,
                               min(candidates) if candidates else None, eid)
        return out
    m.setitem(oracle.RULES, "HAZARD-STOP-ORDER", stop_order)


MUTANTS = [old_on_to, stop_end_inclusive, week_judged_when_it_starts, anchor_is_from, inspection_key_clipped,
           listed_for_all_sources, defect_fulfilled_before_the_finding, responsible_not_switched,
           daily_month_from_from, dense_limit_on_to, unjudged_counted_for_weeks, stop_order_covering_ignored]


@pytest.mark.filterwarnings("ignore:Generating overly large repr")  # find() describes the world it found
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.__name__ for m in MUTANTS])
def test_the_generator_tells_a_planted_mistake_from_the_spec(mutant):
    def differs(world):
        tables, params, start, end = world
        right = canonical(oracle.judge(oracle.World(tables, start, end, params)))
        with pytest.MonkeyPatch.context() as m:
            mutant(m)
            wrong = canonical(oracle.judge(oracle.World(tables, start, end, params)))
        return right != wrong

    # Random, not derandomized: a derandomized run's sequence shifts with whatever else the session
    # imported, so a fixed seed would test one arbitrary sequence. Every mutant here differs on at
    # least ~4% of worlds (measured; stop_order_covering_ignored on 115 of 1,500, 7.7%), yet the
    # search found none in 300 once in a full run (2026-11-30 19:40): Hypothesis starts with small
    # worlds, so its first examples are not independent draws. It stops at the first world that
    # differs, so a limit of 1,000 costs time only in such an unlucky run.
    # (derandomize=False overrides the suite's fixed-seed "ci" profile for this search alone.)
    find(worlds(), differs, settings=settings(max_examples=1000, database=None, deadline=None, derandomize=False,
                                              phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
