"""One breach, one deduction, whatever the sweep (issue 10; rules.md "Sweeps that split a span").

For random submissions and random ways to cut a span into sweeps — monthly, quarterly, random
cuts, overlapping — the breaches (rule, subject, period_key) of all the sweeps are exactly those
of one sweep over the span, for every rule except the yearly state rules; and a credit ledger
fed by all those sweeps, in random order and from several threads at once, holds each deducted
breach once (SQLite and PostgreSQL). Then the four cases of the issue, by hand.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import threading
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import oracle
from conftest import FIRM, daily, days, elevator, examples, keys, new_postgres_database, of, visits
from test_oracle import BASE, credited, near, worlds, write_world
from checker.ledger import open_ledger
from checker.pipeline import run_check

ONE = dt.timedelta(days=1)
SPAN_RULES = [r for r in oracle.RULES if r not in oracle.STATE_RULES]


# ---------------------------------------------------------------- ways to cut a span

def consecutive(start: dt.date, end: dt.date, cuts: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """The span cut before each day in `cuts`: consecutive sweeps that together cover it exactly."""
    firsts = [start] + sorted({c for c in cuts if start < c <= end})
    return [(a, b - ONE) for a, b in zip(firsts, firsts[1:])] + [(firsts[-1], end)]


def month_starts(start: dt.date, end: dt.date, every: int = 1) -> list[dt.date]:
    out, d = [], start.replace(day=1)
    while d <= end:
        if (d.month - 1) % every == 0:
            out.append(d)
        d = oracle.month_last(d) + ONE
    return out


@st.composite
def sweep_plans(draw):
    """(world, span, sweeps): a submission, a span and a way to sweep it."""
    start = draw(near(BASE, 0, 540))
    end = start + dt.timedelta(days=draw(st.integers(35, 140)))
    world = draw(worlds(span=(start, end)))
    if draw(st.integers(0, 4)) == 0:
        # R3-A 1: an empty maintenance file is evidence; its history starts at each elevator's commissioning
        # day (or at a declared day), never at `from`, so the breaches stay those of one sweep
        world[0]["maintenance"] = []
        if draw(st.booleans()):
            world[0]["_declared"] = dict(world[0].get("_declared", {}),
                                         maintenance=draw(near(start, -30, (end - start).days)))
    scheme = draw(st.sampled_from(["monthly", "quarterly", "random", "overlapping"]))
    if scheme == "monthly":
        sweeps = consecutive(start, end, month_starts(start, end))
    elif scheme == "quarterly":
        sweeps = consecutive(start, end, month_starts(start, end, every=3))
    else:
        n = (end - start).days
        cuts = [start + dt.timedelta(days=k) for k in draw(st.lists(st.integers(1, n), min_size=1, max_size=4))]
        sweeps = consecutive(start, end, cuts)
        if scheme == "overlapping":   # each sweep reaches back and forward a little; one is run twice
            sweeps = [(max(start, a - dt.timedelta(days=draw(st.integers(0, 20)))),
                       min(end, b + dt.timedelta(days=draw(st.integers(0, 20))))) for a, b in sweeps]
            sweeps.append(draw(st.sampled_from(sweeps)))
    return world, (start, end), sweeps


def breaches(report: dict) -> set[tuple[str, str, str]]:
    return {(v["rule_id"], v["subject"], v["period_key"]) for v in report["violations"] if v["rule_id"] in SPAN_RULES}


def span_fingerprints(report: dict) -> set[str]:
    """Deducted fingerprints of the rules whose breaches do not depend on the window."""
    return {i["fingerprint"] for f in report["credit"] for i in f["items"] if i["rule_id"] in SPAN_RULES}


def sweep_all(world, span, sweeps) -> tuple[dict, list[dict]]:
    tables, params, _, _ = world
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_world(Path(tmp), tables)
        one = run_check(folder, *span, param_values=params).report
        many = [run_check(folder, a, b, param_values=params).report for a, b in sweeps]
    return one, many


def _describe(one: set, union: set) -> str:
    return (f"only in the sweeps: {sorted(union - one)}\n"
            f"only in the one sweep over the span: {sorted(one - union)}")


# ---------------------------------------------------------------- the oracle agrees with itself

@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sweep_plans())
def test_the_oracle_finds_the_same_breaches_whatever_the_sweep(plan):
    """The spec's reading is window-independent: a check of the oracle itself (no engine, fast)."""
    (tables, params, _, _), span, sweeps = plan
    def found(a, b):
        return {(v["rule_id"], v["subject"], v["period_key"])
                for v in oracle.judge(oracle.World(tables, a, b, params))["violations"] if v["rule_id"] in SPAN_RULES}
    one = found(*span)
    union = set().union(*(found(a, b) for a, b in sweeps))
    assert union == one, _describe(one, union)


# ---------------------------------------------------------------- the engine, and a ledger fed by every sweep

def feed_concurrently(target: str, reports: list[dict], threads: int, seed: int) -> int:
    """Record the reports from several threads at once, each in a random order; returns how many were new."""
    rng = random.Random(seed)
    order = reports[:]
    rng.shuffle(order)
    shares = [order[i::threads] for i in range(threads)]
    barrier = threading.Barrier(threads, timeout=120)
    added, errors = [], []

    def work(share):
        try:
            with open_ledger(target) as ledger:
                barrier.wait()
                for report in share:
                    added.append(ledger.record_sweep(report))
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
            barrier.abort()

    pool = [threading.Thread(target=work, args=(share,)) for share in shares]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    return sum(added)


def check_ledger(target: str, one: dict, many: list[dict], seed: int) -> None:
    added = feed_concurrently(target, many, threads=3, seed=seed)
    with open_ledger(target) as ledger:
        rows = ledger.deductions()
        prints = [r["fingerprint"] for r in rows]
        assert len(prints) == len(set(prints)) == added        # each new deduction counted once, by one writer
        held = {r["fingerprint"] for r in rows if r["rule_id"] in SPAN_RULES}
        assert held == span_fingerprints(one)
        # the one sweep over the span adds nothing the sweeps did not already hold, but yearly state
        ledger.record_sweep(one)
        again = {r["fingerprint"]: r["rule_id"] for r in ledger.deductions()}
    assert {fp for fp, rule in again.items() if fp not in prints} <= credited(one)
    assert all(rule in oracle.STATE_RULES for fp, rule in again.items() if fp not in prints)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sweep_plans(), st.integers(0, 2**16))
def test_sweeps_that_split_a_span_find_its_breaches_and_a_ledger_holds_each_once(plan, seed):
    world, span, sweeps = plan
    one, many = sweep_all(world, span, sweeps)
    union = set().union(*(breaches(r) for r in many))
    assert union == breaches(one), _describe(breaches(one), union)
    with tempfile.TemporaryDirectory() as tmp:
        check_ledger(str(Path(tmp) / "ledger.sqlite"), one, many, seed)


@settings(max_examples=examples(8), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plan=sweep_plans(), seed=st.integers(0, 2**16))
def test_a_postgres_ledger_fed_by_concurrent_sweeps_holds_each_breach_once(postgres_admin_url, plan, seed):
    world, span, sweeps = plan
    one, many = sweep_all(world, span, sweeps)
    check_ledger(new_postgres_database(postgres_admin_url, "sweeps"), one, many, seed)


# ---------------------------------------------------------------- the four cases of issue 10, by hand

def test_an_open_maintenance_interval_closed_by_a_later_sweep_is_one_breach(judge):
    tables = {"maintenance": visits("E1", ["2024-01-05", "2024-02-10", "2024-02-20"])}
    january = judge("2024-01-10", "2024-01-31", rules=["MAINT-INTERVAL"], **tables)
    february = judge("2024-02-01", "2024-02-29", rules=["MAINT-INTERVAL"], **tables)
    both = judge("2024-01-10", "2024-02-29", rules=["MAINT-INTERVAL"], **tables)
    [open_], [closed], [whole] = of(january, "MAINT-INTERVAL"), of(february, "MAINT-INTERVAL"), of(both, "MAINT-INTERVAL")
    assert (open_["period_key"], open_["evidence"]["b"], open_["evidence"]["interval_days"],
            open_["evidence"]["ends_at_period_end"]) == ("2024-01-05", "2024-01-31", 26, True)
    assert (closed["period_key"], closed["evidence"]["b"], closed["evidence"]["interval_days"],
            closed["evidence"]["ends_at_period_end"]) == ("2024-01-05", "2024-02-10", 36, False)
    assert open_["fingerprint"] == closed["fingerprint"] == whole["fingerprint"]


def test_an_empty_maintenance_file_is_evidence_and_split_sweeps_find_the_breach_of_one(judge, tmp_path):
    """R3-A 1 (Revision 2 anchored an empty file's history at `from`, so a March sweep found a breach that two
    half-month sweeps could not): the history of an empty file starts at each elevator's commissioning day,
    or at the day the submission declares, and every sweep finds the same breach."""
    def found(a, b, **tables):
        return set(keys(judge(a, b, rules=["MAINT-INTERVAL"], maintenance=[], **tables), "MAINT-INTERVAL"))
    march = found("2024-03-01", "2024-03-31")
    assert march == {("E1", "2015-01-01")}            # commissioned 2015-01-01, never maintained since
    assert found("2024-03-01", "2024-03-15") | found("2024-03-16", "2024-03-31") == march
    assert found("2024-03-01", "2024-03-15") == found("2024-03-16", "2024-03-31") == march

    # declared: every maintenance record from 2024-03-05 is held (and there is none)
    def declared(a, b):
        report = judge(a, b, rules=["MAINT-INTERVAL"], maintenance=[],
                       declaration="records_from:\n  maintenance: 2024-03-05\n")
        return set(keys(report, "MAINT-INTERVAL")), report
    whole, report = declared("2024-03-01", "2024-03-31")
    assert whole == {("E1", "2024-03-05")}
    first, _ = declared("2024-03-01", "2024-03-15")
    second, _ = declared("2024-03-16", "2024-03-31")
    assert first == set() and second == whole            # 10 days by the 15th; 26 days by the 31st, one breach
    [gap] = [u for u in report["unjudged"] if u["span_from"]]
    assert (gap["elevator_id"], gap["rules"], gap["span_from"], gap["span_to"], gap["reason_zh"]) == \
        ("E1", ["MAINT-INTERVAL"], "2024-03-01", "2024-03-04", "声明起始日前未提交记录")


def _lapse_tables():
    # commissioned 2020-01-01; the 2023 inspection is valid through 2024-01-09, as its record says (a
    # validity the record states: the deduction is charged, not provisional on the 12-month cycle);
    # the next is on 2024-03-15
    return {"elevators": [elevator("E1", commissioned_on="2020-01-01")],
            "inspections": [{"elevator_id": "E1", "date": "2023-01-10", "conclusion": "pass", "next_due": "2024-01-09"},
                            {"elevator_id": "E1", "date": "2024-03-15", "conclusion": "pass"}]}


def test_an_inspection_lapse_that_began_before_from_is_keyed_by_its_true_first_day(judge, tmp_path):
    tables = _lapse_tables()
    january = judge("2024-01-01", "2024-01-31", rules=["INSPECTION-VALID"], **tables)
    february = judge("2024-02-01", "2024-02-29", rules=["INSPECTION-VALID"], **tables)
    [jan], [feb] = of(january, "INSPECTION-VALID"), of(february, "INSPECTION-VALID")
    assert feb["period_key"] == jan["period_key"] == "2024-01-10"
    assert {k: feb["evidence"][k] for k in ("first", "last", "uncovered_days", "uncovered_days_in_period")} == \
        {"first": "2024-01-10", "last": "2024-02-29", "uncovered_days": 51, "uncovered_days_in_period": 29}
    with open_ledger(str(tmp_path / "ledger.sqlite")) as ledger:
        assert ledger.record_sweep(january) == 1
        assert ledger.record_sweep(february) == 0
        [row] = ledger.deductions()
    assert (row["rule_id"], row["subject"], row["period_key"]) == ("INSPECTION-VALID", "E1", "2024-01-10")


def _reviews_except(week_mondays_missing: set[str]) -> list[dict]:
    mondays = [d for d in days("2024-01-01", "2024-03-04") if dt.date.fromisoformat(d).isoweekday() == 1]
    # each review on the week's Tuesday, so the week of Monday 2024-01-29 has its review on 2024-01-30
    return [{"use_unit_id": FIRM, "date": (dt.date.fromisoformat(m) + ONE).isoformat()}
            for m in mondays if m not in week_mondays_missing]


def test_a_week_straddling_two_sweeps_is_judged_by_the_one_containing_its_sunday(judge):
    base = {}
    # 2024-W05 runs Monday 2024-01-29 to Sunday 2024-02-04; its review (2024-01-30) lies in the January sweep
    held = dict(base, weekly_reviews=_reviews_except(set()))
    assert keys(judge("2024-01-01", "2024-01-31", rules=["WEEKLY-REVIEW"], **held), "WEEKLY-REVIEW") == []
    assert keys(judge("2024-02-01", "2024-02-29", rules=["WEEKLY-REVIEW"], **held), "WEEKLY-REVIEW") == []
    missed = dict(base, weekly_reviews=_reviews_except({"2024-01-29"}))
    assert keys(judge("2024-01-01", "2024-01-31", rules=["WEEKLY-REVIEW"], **missed), "WEEKLY-REVIEW") == []
    [w05] = of(judge("2024-02-01", "2024-02-29", rules=["WEEKLY-REVIEW"], **missed), "WEEKLY-REVIEW")
    assert (w05["subject"], w05["period_key"], w05["evidence"]) == \
        (FIRM, "2024-W05", {"iso_week": "2024-W05", "monday": "2024-01-29", "sunday": "2024-02-04"})


def test_a_month_split_across_sweeps_is_one_month(judge, tmp_path):
    tables = {"daily_checks": daily("E1", [d for d in days("2024-01-01", "2024-02-29") if d != "2024-01-05"]),
              "monthly_dispatches": [{"use_unit_id": FIRM, "date": "2024-01-10"}]}
    rules = ["DAILY-CHECK", "MONTHLY-DISPATCH"]
    first = judge("2024-01-01", "2024-01-15", rules=rules, **tables)
    second = judge("2024-01-16", "2024-02-29", rules=rules, **tables)
    [a], [b] = of(first, "DAILY-CHECK"), of(second, "DAILY-CHECK")
    assert a["period_key"] == b["period_key"] == "2024-01"
    assert b["evidence"]["missing_dates"] == ["2024-01-05"]  # a day before `from`, in the same month
    assert (a["evidence"]["in_service_days"], b["evidence"]["in_service_days"]) == (15, 31)
    # January's dispatch (2024-01-10) lies in the first sweep; the second judges January and finds it.
    # February has none: judged once, by the sweep that contains 2024-02-29.
    assert keys(first, "MONTHLY-DISPATCH") == []
    assert keys(second, "MONTHLY-DISPATCH") == [(FIRM, "2024-02")]
    with open_ledger(str(tmp_path / "ledger.sqlite")) as ledger:
        assert ledger.record_sweep(first) == 1
        assert ledger.record_sweep(second) == 1   # February's dispatch; January's missing check is already held
        held = sorted((r["rule_id"], r["period_key"]) for r in ledger.deductions())
    assert held == [("DAILY-CHECK", "2024-01"), ("MONTHLY-DISPATCH", "2024-02")]
