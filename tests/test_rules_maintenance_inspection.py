"""Boundary tests for maintenance (四（一）, 四（五）) and inspection validity (五（三）)."""

from __future__ import annotations

from conftest import MAINTAINER, MAKER, elevator, keys, of, visits

DENSE = dict(commissioned_on="2009-01-01", affordable_housing="是", households_served=71)


# ---- MAINT-INTERVAL ----------------------------------------------------------------------

def test_fifteen_days_is_allowed_sixteen_is_not(judge):
    ok = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"],
               maintenance=visits("E1", ["2023-12-31", "2024-01-15", "2024-01-30"]))
    assert of(ok, "MAINT-INTERVAL") == []
    late = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], maintenance=visits("E1", ["2023-12-31", "2024-01-16"]))
    [v] = of(late, "MAINT-INTERVAL")
    assert v["period_key"] == "2023-12-31..2024-01-16"
    assert v["evidence"] == {"a": "2023-12-31", "b": "2024-01-16", "interval_days": 16, "stopped_days_between": 0,
                             "ends_at_period_end": False}
    assert v["responsible_role"] == "maintenance_unit" and v["responsible_org_id"] == MAINTAINER


def test_the_last_interval_open_at_the_period_end_is_a_violation(judge):
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], maintenance=visits("E1", ["2023-12-31", "2024-01-10"]))
    assert keys(r, "MAINT-INTERVAL") == [("E1", "2024-01-10..2024-01-31")]
    assert of(r, "MAINT-INTERVAL")[0]["evidence"]["ends_at_period_end"] is True


def test_without_an_earlier_visit_the_anchor_is_the_period_start_or_commissioning(judge):
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], maintenance=visits("E1", ["2024-01-17", "2024-01-31"]))
    assert keys(r, "MAINT-INTERVAL") == [("E1", "2024-01-01..2024-01-17")]
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], elevators=[elevator(commissioned_on="2024-01-10")],
              maintenance=visits("E1", ["2024-01-25", "2024-01-31"]))
    assert of(r, "MAINT-INTERVAL") == []


def test_stopped_days_strictly_between_visits_are_not_counted(judge):
    stops = [{"elevator_id": "E1", "start": "2024-01-05", "end": "2024-01-14"}]
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], stop_periods=stops,
              maintenance=visits("E1", ["2024-01-01", "2024-01-26", "2024-01-31"]))
    assert of(r, "MAINT-INTERVAL") == []  # 25 days − 10 stopped = 15
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], stop_periods=stops,
              maintenance=visits("E1", ["2024-01-01", "2024-01-27", "2024-01-31"]))
    [v] = of(r, "MAINT-INTERVAL")
    assert v["evidence"]["interval_days"] == 16 and v["evidence"]["stopped_days_between"] == 10


def test_overlapping_stop_periods_count_each_day_once(judge):
    stops = [{"elevator_id": "E1", "start": "2024-01-05", "end": "2024-01-10"},
             {"elevator_id": "E1", "start": "2024-01-08", "end": "2024-01-14"}]
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], stop_periods=stops,
              maintenance=visits("E1", ["2024-01-01", "2024-01-27", "2024-01-31"]))
    assert of(r, "MAINT-INTERVAL")[0]["evidence"]["stopped_days_between"] == 10


def test_repairs_and_off_site_records_are_not_visits(judge):
    records = visits("E1", ["2023-12-31", "2024-01-14"]) + visits("E1", ["2024-01-07"], kind="repair") \
        + visits("E1", ["2024-01-10"], on_site="否") + visits("E1", ["2024-01-14"], kind="quarter")
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], maintenance=records)
    assert keys(r, "MAINT-INTERVAL") == [("E1", "2024-01-14..2024-01-31")]


# ---- MAINT-INTERVAL-DENSE --------------------------------------------------------------------

def test_dense_ten_days_is_allowed_eleven_is_not_and_never_judged_twice(judge):
    ok = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL", "MAINT-INTERVAL-DENSE"], elevators=[elevator(**DENSE)],
               maintenance=visits("E1", ["2023-12-31", "2024-01-10", "2024-01-20", "2024-01-30"]))
    assert ok["violations"] == []
    late = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL", "MAINT-INTERVAL-DENSE"], elevators=[elevator(**DENSE)],
                 maintenance=visits("E1", ["2023-12-31", "2024-01-11", "2024-01-21", "2024-01-31"]))
    assert keys(late, "MAINT-INTERVAL-DENSE") == [("E1", "2023-12-31..2024-01-11")]
    assert of(late, "MAINT-INTERVAL") == []
    assert of(late, "MAINT-INTERVAL-DENSE")[0]["severity"] == "major"


def test_exactly_70_households_is_not_dense(judge):
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL", "MAINT-INTERVAL-DENSE"],
              elevators=[elevator(**{**DENSE, "households_served": 70})],
              maintenance=visits("E1", ["2023-12-31", "2024-01-11", "2024-01-21", "2024-01-31"]))
    assert r["violations"] == []


def test_missing_households_is_not_dense(judge):
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL-DENSE"],
              elevators=[elevator(**{**DENSE, "households_served": None})],
              maintenance=visits("E1", ["2023-12-31", "2024-01-11", "2024-01-21", "2024-01-31"]))
    assert r["violations"] == []


def test_exactly_15_years_is_old_unless_the_boundary_is_exclusive(judge):
    dense_15 = elevator(**{**DENSE, "commissioned_on": "2009-01-31"})  # 15 years on 2024-01-31
    records = visits("E1", ["2023-12-31", "2024-01-11", "2024-01-21", "2024-01-31"])
    inclusive = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL-DENSE"], elevators=[dense_15], maintenance=records)
    assert len(of(inclusive, "MAINT-INTERVAL-DENSE")) == 1
    exclusive = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL-DENSE"], elevators=[dense_15], maintenance=records,
                      params={"old.boundary": "exclusive"})
    assert of(exclusive, "MAINT-INTERVAL-DENSE") == []
    younger = elevator(**{**DENSE, "commissioned_on": "2009-02-01"})
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL-DENSE"], elevators=[younger], maintenance=records)
    assert of(r, "MAINT-INTERVAL-DENSE") == []


def test_a_leap_day_commissioning_turns_15_on_28_february(judge):
    leap = elevator(**{**DENSE, "commissioned_on": "2008-02-29"})
    records = visits("E1", ["2023-12-31", "2024-01-11", "2024-01-21", "2024-01-31"])
    r = judge("2023-01-01", "2023-02-28", rules=["MAINT-INTERVAL-DENSE"], elevators=[leap],
              maintenance=visits("E1", ["2022-12-31", "2023-01-11", "2023-01-21", "2023-01-31", "2023-02-10",
                                        "2023-02-20", "2023-02-28"]))
    assert keys(r, "MAINT-INTERVAL-DENSE") == [("E1", "2022-12-31..2023-01-11")]
    r = judge("2023-01-01", "2023-02-27", rules=["MAINT-INTERVAL-DENSE"], elevators=[leap], maintenance=records)
    assert of(r, "MAINT-INTERVAL-DENSE") == []


def test_dense_threshold_is_a_parameter(judge):
    records = visits("E1", ["2023-12-31", "2024-01-12", "2024-01-24", "2024-01-31"])
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL-DENSE"], elevators=[elevator(**DENSE)], maintenance=records,
              params={"maintenance.dense_max_interval_days": 12})
    assert r["violations"] == []
    assert r["parameters"]["maintenance.dense_max_interval_days"]["overridden"] is True


# ---- MAINT-PROVIDER -----------------------------------------------------------------------------

def test_provider_must_be_the_manufacturer_or_high_star(judge):
    old_affordable = dict(commissioned_on="2005-01-01", affordable_housing="true")
    r = judge("2024-01-01", "2024-12-31", rules=["MAINT-PROVIDER"], elevators=[
        elevator("E1", **old_affordable),                               # 3-star maintainer
        elevator("E2", **old_affordable, maintenance_unit_id=MAKER),    # its manufacturer
        elevator("E3", **old_affordable, manufacturer_id=None),         # 3 stars, no manufacturer
        elevator("E4", commissioned_on="2005-01-01"),                   # not affordable
        elevator("E5", affordable_housing="true", commissioned_on="2015-01-01")])  # not old
    assert keys(r, "MAINT-PROVIDER") == [("E1", "2024"), ("E3", "2024")]
    assert of(r, "MAINT-PROVIDER")[0]["responsible_role"] == "use_unit"
    assert r["parameters"]["maintenance.min_star"]["interpretation"] is True


def test_provider_star_threshold_is_a_parameter(judge):
    old_affordable = elevator("E1", commissioned_on="2005-01-01", affordable_housing="true")
    r = judge("2024-01-01", "2024-12-31", rules=["MAINT-PROVIDER"], elevators=[old_affordable],
              params={"maintenance.min_star": 3})
    assert r["violations"] == []


# ---- INSPECTION-VALID --------------------------------------------------------------------------

def _insp(date, conclusion="pass", next_due=None):
    return {"elevator_id": "E1", "date": date, "conclusion": conclusion, "next_due": next_due}


def test_inspection_valid_through_next_due_itself(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"],
              inspections=[_insp("2023-06-01", next_due="2024-06-01"), _insp("2024-06-20", next_due="2025-06-20")])
    [v] = of(r, "INSPECTION-VALID")
    assert v["period_key"] == "2024-06-02..2024-06-19" and v["severity"] == "serious"
    assert v["evidence"]["uncovered_days"] == 18 and v["evidence"]["valid_until"] == "2024-06-01"


def test_inspection_without_next_due_runs_12_months_minus_a_day(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"],
              inspections=[_insp("2023-06-01"), _insp("2024-06-01")])
    assert of(r, "INSPECTION-VALID") == []
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"],
              inspections=[_insp("2023-06-01"), _insp("2024-06-02")])
    assert keys(r, "INSPECTION-VALID") == [("E1", "2024-06-01..2024-06-01")]


def test_a_failed_latest_inspection_leaves_the_elevator_uncovered(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"],
              inspections=[_insp("2023-12-01", next_due="2024-12-01"), _insp("2024-03-01", "fail"),
                           _insp("2024-03-10", "pass_after_rectification", "2025-03-10")])
    assert keys(r, "INSPECTION-VALID") == [("E1", "2024-03-01..2024-03-09")]


def test_a_stop_inside_a_lapse_neither_counts_nor_splits_it(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"],
              inspections=[_insp("2023-06-01", next_due="2024-06-01"), _insp("2024-07-01", next_due="2025-07-01")],
              stop_periods=[{"elevator_id": "E1", "start": "2024-06-10", "end": "2024-06-19"}])
    [v] = of(r, "INSPECTION-VALID")
    assert v["period_key"] == "2024-06-02..2024-06-30" and v["evidence"]["uncovered_days"] == 19


def test_installation_counts_as_a_passed_inspection(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"], elevators=[elevator(commissioned_on="2024-02-01")],
              inspections=[])
    assert of(r, "INSPECTION-VALID") == []
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"], elevators=[elevator(commissioned_on="2023-11-15")],
              inspections=[])
    assert keys(r, "INSPECTION-VALID") == [("E1", "2024-11-15..2024-12-31")]
