"""The effect evaluation's panel (checker/effect.py) against a hand count: independent, day-by-day
plain Python over the records, on a generated sample and on a handmade one with known answers."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import polars as pl
import pytest

from checker import effect as fx
from checker.sample import SampleSpec, generate
from effect_support import YEAR, as_submission

WORKS = {"repair", "major_repair", "renovate", "replace"}


def _days(a: dt.date, b: dt.date):
    d = a
    while d <= b:
        yield d
        d += dt.timedelta(days=1)


def hand_count(tables: dict[str, pl.DataFrame], start: dt.date, end: dt.date):
    """Per population elevator and month (0 = the month of `start`): in-service days and events,
    counted day by day from the records as a clerk would; and each elevator's role."""
    elevators = {r["elevator_id"]: r for r in tables["elevators"].iter_rows(named=True)
                 if r["residential"] and r["status"] != "scrapped"}
    calling = {a["elevator_id"] for a in tables["assessments"].iter_rows(named=True)
               if a["completed_on"] is not None and a["completed_on"] <= end and a["conclusion"] in WORKS}
    works = [w for w in tables["works"].iter_rows(named=True) if w["started_on"] <= end]
    population = sorted((calling | {w["elevator_id"] for w in works}) & set(elevators))
    stopped = defaultdict(set)
    for s in tables["stop_periods"].iter_rows(named=True):
        last = (s["end"] - dt.timedelta(days=1)) if s["end"] is not None else end
        stopped[s["elevator_id"]].update(_days(s["start"], min(last, end)))
    open_stop = {s["elevator_id"] for s in tables["stop_periods"].iter_rows(named=True) if s["end"] is None}

    def month(d: dt.date) -> int:
        return (d.year - start.year) * 12 + d.month - start.month

    service = Counter()
    for eid in population:
        for d in _days(max(start, elevators[eid]["commissioned_on"]), end):
            if d not in stopped[eid]:
                service[(eid, month(d))] += 1
    events = Counter()
    members = set(population)

    def add(eid, day, *names):
        if eid in members and start <= day <= end and day >= elevators[eid]["commissioned_on"] \
                and day not in stopped[eid]:
            for name in names:
                events[(eid, month(day), name)] += 1

    for r in tables["entrapments"].iter_rows(named=True):
        add(r["elevator_id"], r["reported_at"].date(), "entrapments")
    for r in tables["alarm_tests"].iter_rows(named=True):
        if not r["ok"]:
            add(r["elevator_id"], r["date"], "alarm_failures")
    for r in tables["hazards"].iter_rows(named=True):
        add(r["elevator_id"], r["found_on"], "hazards", f"hazards_{r['severity']}", f"hazards_from_{r['source']}")
    for r in tables["daily_checks"].iter_rows(named=True):
        if r["result"] == "hazard_found":
            add(r["elevator_id"], r["date"], "daily_findings")
    for r in tables["inspections"].iter_rows(named=True):
        if r["conclusion"] == "fail":
            add(r["elevator_id"], r["date"], "failed_inspections")

    roles = {}
    n_months = month(end) + 1
    for eid in population:
        mine = [w for w in works if w["elevator_id"] == eid]
        done = sorted((w["completed_on"], w["work_id"]) for w in mine
                      if w["completed_on"] is not None and w["completed_on"] <= end)
        if elevators[eid]["status"] == "stopped" and eid not in open_stop:
            roles[eid] = "no_status_dates"
        elif not done and mine:
            roles[eid] = "unfinished"
        elif done and month(done[0][0]) < 1:
            roles[eid] = "no_pre_period"
        elif done and month(done[0][0]) >= n_months - 1:
            roles[eid] = "no_post_period"
        elif sum(service[(eid, m)] for m in range(n_months)) == 0:
            roles[eid] = "no_service"
        else:
            roles[eid] = "treated" if done else "control"
    return population, service, events, roles


def _compare(panel: fx.Panel, population, service, events, roles):
    assert panel.elevators.get_column("elevator_id").to_list() == population
    got_roles = {r["elevator_id"]: r["reason"] or r["role"] for r in panel.elevators.iter_rows(named=True)}
    assert got_roles == roles
    columns = list(fx.OUTCOMES) + [f"hazards_{s}" for s in fx.HAZARD_SEVERITIES] + \
        [f"hazards_from_{s}" for s in fx.HAZARD_SOURCES]
    rows = panel.months.iter_rows(named=True)
    seen = 0
    for r in rows:
        key = (r["elevator_id"], r["month"])
        assert r["service_days"] == service[key], key
        for c in columns:
            assert r[c] == events[(*key, c)], (key, c)
        seen += 1
    assert seen == len(population) * panel.months_in_period
    assert sum(events.values()) == panel.months.select(pl.sum_horizontal(columns).sum()).item()


def test_panel_matches_a_hand_count_on_a_generated_sample():
    tables = generate(SampleSpec(500, *YEAR, seed=12))
    panel = fx.build_panel(as_submission(tables), *YEAR)
    population, service, events, roles = hand_count(tables, *YEAR)
    assert len(population) > 20 and set(roles.values()) >= {"treated", "control", "unfinished", "no_pre_period"}
    assert sum(events.values()) > 50
    _compare(panel, population, service, events, roles)


def test_panel_matches_a_hand_count_over_a_period_not_on_month_boundaries():
    start, end = dt.date(2024, 2, 10), dt.date(2024, 9, 20)
    tables = generate(SampleSpec(300, dt.date(2024, 1, 1), dt.date(2024, 12, 31), seed=3))
    panel = fx.build_panel(as_submission(tables), start, end)
    _compare(panel, *hand_count(tables, start, end))


def _handmade() -> dict[str, pl.DataFrame]:
    """Four elevators in 2024: T treated (works completed 2024-03-15, stopped 2024-05-10 to
    2024-05-20, with events on both sides and one on a stopped day), C a control (commissioned
    2024-02-01), U with unfinished works, P completed in January (no pre-period)."""
    base = generate(SampleSpec(3, *YEAR, seed=1, effect=False))
    tables = {name: df.clear() for name, df in base.items()}
    unit = base["organizations"].item(0, "org_id")
    d = dt.date
    tables["organizations"] = base["organizations"]
    tables["elevators"] = pl.DataFrame({
        "elevator_id": ["T", "C", "U", "P"], "district": ["玄武区", "玄武区", "鼓楼区", "鼓楼区"],
        "community": ["梅园新村"] * 4, "commissioned_on": [d(2000, 1, 1), d(2024, 2, 1), d(2000, 1, 1), d(2000, 1, 1)],
        "use_unit_id": [unit] * 4, "maintenance_unit_id": [unit] * 4, "residential": [True] * 4,
        "status": ["in_service"] * 4})
    tables["assessments"] = pl.DataFrame({
        "assessment_id": ["A1", "A2", "A3", "A4"], "elevator_id": ["T", "C", "U", "P"],
        "applied_on": [d(2023, 10, 1)] * 4, "completed_on": [d(2023, 11, 1)] * 4,
        "conclusion": ["renovate", "repair", "replace", "repair"]})
    tables["works"] = pl.DataFrame({
        "work_id": ["W1", "W3", "W4"], "elevator_id": ["T", "U", "P"], "kind": ["major_repair", "replace", "repair"],
        "started_on": [d(2024, 2, 1), d(2024, 6, 1), d(2024, 1, 2)],
        "completed_on": [d(2024, 3, 15), None, d(2024, 1, 20)], "assessment_id": ["A1", "A3", "A4"]},
        schema_overrides={"completed_on": pl.Date})
    tables["stop_periods"] = pl.DataFrame({"elevator_id": ["T"], "start": [d(2024, 5, 10)], "end": [d(2024, 5, 21)],
                                           "reason": ["works"]})
    tables["entrapments"] = pl.DataFrame({
        "incident_id": ["K1", "K2", "K3", "K4"], "elevator_id": ["T", "T", "T", "C"],
        "reported_at": [dt.datetime(2024, 1, 5, 9), dt.datetime(2024, 5, 12, 9), dt.datetime(2024, 5, 21, 9),
                        dt.datetime(2024, 1, 20, 9)]})
    tables["hazards"] = pl.DataFrame({
        "hazard_id": ["H1"], "elevator_id": ["T"], "found_on": [d(2024, 4, 2)], "source": ["inspection"],
        "severity": ["major"]})
    tables["alarm_tests"] = pl.DataFrame({"elevator_id": ["T", "T"], "date": [d(2024, 2, 3), d(2024, 2, 4)],
                                          "ok": [False, True]})
    return tables


def test_handmade_panel_counts_days_and_events_as_defined():
    tables = _handmade()
    panel = fx.build_panel(as_submission(tables), *YEAR)
    roles = {r["elevator_id"]: (r["role"], r["reason"], r["cohort"], r["followed"])
             for r in panel.elevators.iter_rows(named=True)}
    # T: completed in March (month 2), so April (month 3) is its first month after; major repair
    # where the assessment called for renovation is less than it called for
    assert roles == {"T": ("treated", None, 3, "less"), "C": ("control", None, None, None),
                     "U": ("left_out", "unfinished", None, None), "P": ("left_out", "no_pre_period", 1, "followed")}
    t = {r["month"]: r for r in panel.months.filter(pl.col("elevator_id") == "T").iter_rows(named=True)}
    # May: stopped 10th to 20th (the 21st is back in service): 31 - 11 = 20 in-service days; the
    # entrapment of the 12th is on a stopped day, that of the 21st counts
    assert t[4]["service_days"] == 20 and t[4]["entrapments"] == 1
    assert t[0]["entrapments"] == 1 and t[1]["alarm_failures"] == 1 and t[3]["hazards"] == 1
    assert t[3]["hazards_major"] == 1 and t[3]["hazards_from_inspection"] == 1
    c = {r["month"]: r["service_days"] for r in panel.months.filter(pl.col("elevator_id") == "C").iter_rows(named=True)}
    # C is commissioned on 1 February: no day in January; its January entrapment is before it
    assert c[0] == 0 and c[1] == 29
    assert panel.uncounted.sort("outcome", "reason").to_dicts() == [
        {"outcome": "entrapments", "reason": "before_commissioning", "records": 1},
        {"outcome": "entrapments", "reason": "stopped_day", "records": 1}]
    # the rate of May: 1 event in 20 in-service days = 100 × 30.4375 / 20 per 100 elevator-months
    may = panel.months.filter((pl.col("elevator_id") == "T") & (pl.col("month") == 4))
    assert may.select(fx.rate(pl.col("entrapments"), pl.col("service_days"))).item() == pytest.approx(152.1875)
    # C has a month without a day of service (January): it leaves the comparison, with that reason;
    # T's May, 20 in-service days of 31, is more than half a month and stays
    units = fx.comparison_units(panel)
    assert dict(zip(units.get_column("elevator_id"), units.get_column("reason"))) == {
        "T": None, "C": "short_month", "U": "unfinished", "P": "no_pre_period"}


def test_a_period_under_three_months_is_refused_in_both_languages():
    from checker.errors import LiftcheckError

    with pytest.raises(LiftcheckError) as exc:
        fx.check_period(dt.date(2024, 1, 1), dt.date(2024, 2, 29))
    assert exc.value.zh.startswith("评价期间 2024-01-01 至 2024-02-29 不足 3 个自然月")
    assert "fewer than 3 calendar months" in exc.value.en


def test_raw_before_after_table_adds_up_the_hand_count():
    """The raw table (what a clerk checks by hand): per outcome, the treated elevators' months
    before the month of completion, that month, the months after, and the controls' months."""
    tables = generate(SampleSpec(500, *YEAR, seed=12))
    panel = fx.build_panel(as_submission(tables), *YEAR)
    units = fx.comparison_units(panel)
    population, service, events, roles = hand_count(tables, *YEAR)
    short = {eid for eid in population for m in range(12)
             if roles[eid] in ("treated", "control") and 2 * service[(eid, m)] < _month_days(m)}
    cohort = {r["elevator_id"]: r["cohort"] for r in panel.elevators.iter_rows(named=True)}
    expected = Counter()
    for eid in population:
        if roles[eid] not in ("treated", "control") or eid in short:
            continue
        for m in range(12):
            if roles[eid] == "control":
                who = "controls"
            else:
                who = ("treated_before" if m < cohort[eid] - 1 else "treated_completion_month"
                       if m == cohort[eid] - 1 else "treated_after")
            expected[(who, "days")] += service[(eid, m)]
            for o in fx.OUTCOMES:
                expected[(who, o)] += events[(eid, m, o)]
    raw = fx.raw_table(panel, units, list(fx.OUTCOMES))
    assert raw.height == 4 * len(fx.OUTCOMES)
    for r in raw.iter_rows(named=True):
        assert r["events"] == expected[(r["who"], r["outcome"])], r
        assert r["elevator_months"] == pytest.approx(expected[(r["who"], "days")] / fx.DAYS_PER_MONTH)
        assert r["rate"] == pytest.approx(100 * r["events"] / r["elevator_months"])
    treated = sum(1 for eid in population if roles[eid] == "treated" and eid not in short)
    assert raw.filter(pl.col("who") == "treated_after").get_column("elevators").to_list() == [treated] * 5


def _month_days(m: int) -> int:
    return [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m]
