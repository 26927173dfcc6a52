"""Boundary tests for maintenance (条例 第三十一条, 四（五）) and inspection validity (四（一）).

Revision 2 changed three readings these tests encode: an interval's key is its opening day (not
"a..b"), dense is judged on that opening day (not on `to`), and without a visit before `from` the
anchor is the later of commissioned_on and the submission's history start (its earliest
maintenance record), not `from`. Stop periods end on 恢复使用日期, an in-service day.
"""

from __future__ import annotations

from conftest import FIRM, MAINTAINER, MAKER, elevator, keys, of, status, visits

# Old (15+ years) on every opening day these tests use, affordable, above 70 households.
DENSE = dict(commissioned_on="2008-01-01", affordable_housing="是", households_served=71)
BOTH = ["MAINT-INTERVAL", "MAINT-INTERVAL-DENSE"]


# ---- MAINT-INTERVAL ----------------------------------------------------------------------

def test_fifteen_days_is_allowed_sixteen_is_not(judge):
    ok = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"],
               maintenance=visits("E1", ["2023-12-31", "2024-01-15", "2024-01-30"]))
    assert of(ok, "MAINT-INTERVAL") == []
    late = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], maintenance=visits("E1", ["2023-12-31", "2024-01-16"]))
    [v] = of(late, "MAINT-INTERVAL")
    assert v["period_key"] == "2023-12-31"
    assert v["evidence"] == {"a": "2023-12-31", "b": "2024-01-16", "interval_days": 16, "stopped_days_between": 0,
                             "ends_at_period_end": False, "limit_days": 15}
    assert v["responsible_role"] == "maintenance_unit" and v["responsible_org_id"] == MAINTAINER
    assert late["credit"] == []


def test_the_last_interval_open_at_the_period_end_is_a_violation_keyed_by_its_opening_day(judge):
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], maintenance=visits("E1", ["2023-12-31", "2024-01-10"]))
    assert keys(r, "MAINT-INTERVAL") == [("E1", "2024-01-10")]
    assert of(r, "MAINT-INTERVAL")[0]["evidence"]["ends_at_period_end"] is True
    assert of(r, "MAINT-INTERVAL")[0]["evidence"]["interval_days"] == 21


def test_an_open_interval_closed_by_a_later_sweep_is_the_same_breach(judge):
    records = visits("E1", ["2023-12-31", "2024-01-10", "2024-02-05"])
    jan = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], maintenance=records)
    feb = judge("2024-02-01", "2024-02-29", rules=["MAINT-INTERVAL"], maintenance=records)
    [open_], [closed] = of(jan, "MAINT-INTERVAL"), [v for v in of(feb, "MAINT-INTERVAL") if v["period_key"] == "2024-01-10"]
    assert open_["fingerprint"] == closed["fingerprint"]
    assert (open_["evidence"]["b"], open_["evidence"]["interval_days"]) == ("2024-01-31", 21)
    assert (closed["evidence"]["b"], closed["evidence"]["interval_days"], closed["evidence"]["ends_at_period_end"]) == \
        ("2024-02-05", 26, False)
    # February's own open interval 02-05 .. 02-29 (24 days) is a breach of its own.
    assert keys(feb, "MAINT-INTERVAL") == [("E1", "2024-01-10"), ("E1", "2024-02-05")]


def test_without_an_earlier_visit_the_anchor_is_the_history_start(judge):
    # The submission's earliest maintenance record is 01-17: the history starts there, so there is
    # no interval 01-01 .. 01-17 (the earlier reading anchored at `from` and found 16 days).
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], maintenance=visits("E1", ["2024-01-17", "2024-01-31"]))
    assert of(r, "MAINT-INTERVAL") == []


def test_the_history_start_is_the_earliest_maintenance_record_of_any_elevator(judge):
    e2 = visits("E2", ["2024-01-01", "2024-01-10", "2024-01-20", "2024-01-31"])
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], elevators=[elevator("E1"), elevator("E2")],
              maintenance=e2 + visits("E1", ["2024-01-17", "2024-01-31"]))
    assert keys(r, "MAINT-INTERVAL") == [("E1", "2024-01-01")]
    assert of(r, "MAINT-INTERVAL")[0]["evidence"]["interval_days"] == 16
    shifted = visits("E2", ["2024-01-02", "2024-01-10", "2024-01-20", "2024-01-31"])
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], elevators=[elevator("E1"), elevator("E2")],
              maintenance=shifted + visits("E1", ["2024-01-17", "2024-01-31"]))
    assert of(r, "MAINT-INTERVAL") == []


def test_a_history_start_before_from_gives_a_key_before_from(judge):
    e2 = visits("E2", ["2023-12-28", "2024-01-10", "2024-01-20", "2024-01-31"])
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], elevators=[elevator("E1"), elevator("E2")],
              maintenance=e2 + visits("E1", ["2024-01-17", "2024-01-31"]))
    [v] = of(r, "MAINT-INTERVAL")
    assert (v["subject"], v["period_key"]) == ("E1", "2023-12-28")
    assert (v["evidence"]["a"], v["evidence"]["b"], v["evidence"]["interval_days"]) == ("2023-12-28", "2024-01-17", 20)


def test_the_anchor_is_the_later_of_commissioning_and_the_history_start(judge):
    e2 = visits("E2", ["2023-12-28", "2024-01-10", "2024-01-20", "2024-01-31"])
    for commissioned, expected in [("2024-01-02", []), ("2024-01-01", [("E1", "2024-01-01")])]:
        r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"],
                  elevators=[elevator("E1", commissioned_on=commissioned), elevator("E2")],
                  maintenance=e2 + visits("E1", ["2024-01-17", "2024-01-31"]))
        assert keys(r, "MAINT-INTERVAL") == expected, commissioned


def test_a_repair_record_starts_the_history_too(judge):
    # "the earliest date of any maintenance record": a repair is a maintenance record, not a visit.
    records = visits("E1", ["2024-01-05"], kind="repair") + visits("E1", ["2024-01-21", "2024-01-31"])
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], maintenance=records)
    assert keys(r, "MAINT-INTERVAL") == [("E1", "2024-01-05")]


def test_without_any_maintenance_record_the_anchor_is_the_commissioning_day(judge):
    # R3-A 1: an empty file with nothing declared claims no visit ever happened: the walk starts at
    # commissioning (2015-01-01), never at `from`, so every sweep finds the same breach
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], maintenance=[])
    [v] = of(r, "MAINT-INTERVAL")
    assert (v["period_key"], v["evidence"]["a"], v["evidence"]["b"], v["evidence"]["interval_days"]) == \
        ("2015-01-01", "2015-01-01", "2024-01-31", 3317)
    march = judge("2024-03-01", "2024-03-31", rules=["MAINT-INTERVAL"], maintenance=[])
    assert [v["fingerprint"] for v in of(march, "MAINT-INTERVAL")] == [v["fingerprint"]]
    # declared from 2024-01-01: the gap before it is not judged, the walk starts there
    declared = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], maintenance=[],
                     declaration="records_from:\n  maintenance: 2024-01-01\n")
    [v] = of(declared, "MAINT-INTERVAL")
    assert (v["period_key"], v["evidence"]["interval_days"]) == ("2024-01-01", 30)
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], maintenance=[],
              elevators=[elevator(commissioned_on="2024-01-20")])
    assert of(r, "MAINT-INTERVAL") == []


def test_stopped_days_strictly_between_visits_are_not_counted(judge):
    # Revision 2: a stop 01-05 .. end 01-15 stops 01-05..01-14 (10 days); the end day is in service.
    stops = [{"elevator_id": "E1", "start": "2024-01-05", "end": "2024-01-15"}]
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], stop_periods=stops,
              maintenance=visits("E1", ["2024-01-01", "2024-01-26", "2024-01-31"]))
    assert of(r, "MAINT-INTERVAL") == []  # 25 days − 10 stopped = 15
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], stop_periods=stops,
              maintenance=visits("E1", ["2024-01-01", "2024-01-27", "2024-01-31"]))
    [v] = of(r, "MAINT-INTERVAL")
    assert v["evidence"]["interval_days"] == 16 and v["evidence"]["stopped_days_between"] == 10


def test_the_stop_end_day_is_not_a_stopped_day_between_visits(judge):
    # The earlier reading counted the end day too: end 01-14 gave 10 stopped days, now 9.
    stops = [{"elevator_id": "E1", "start": "2024-01-05", "end": "2024-01-14"}]
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], stop_periods=stops,
              maintenance=visits("E1", ["2024-01-01", "2024-01-26", "2024-01-31"]))
    [v] = of(r, "MAINT-INTERVAL")
    assert (v["period_key"], v["evidence"]["interval_days"], v["evidence"]["stopped_days_between"]) == ("2024-01-01", 16, 9)


def test_a_stop_starting_and_ending_the_same_day_stops_no_day(judge):
    stops = [{"elevator_id": "E1", "start": "2024-01-10", "end": "2024-01-10"}]
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], stop_periods=stops,
              maintenance=visits("E1", ["2024-01-01", "2024-01-17", "2024-01-31"]))
    [v] = of(r, "MAINT-INTERVAL")
    assert (v["evidence"]["interval_days"], v["evidence"]["stopped_days_between"]) == (16, 0)


def test_overlapping_stop_periods_count_each_day_once(judge):
    stops = [{"elevator_id": "E1", "start": "2024-01-05", "end": "2024-01-10"},
             {"elevator_id": "E1", "start": "2024-01-08", "end": "2024-01-15"}]
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], stop_periods=stops,
              maintenance=visits("E1", ["2024-01-01", "2024-01-27", "2024-01-31"]))
    assert of(r, "MAINT-INTERVAL")[0]["evidence"]["stopped_days_between"] == 10


def test_repairs_and_off_site_records_are_not_visits(judge):
    records = visits("E1", ["2023-12-31", "2024-01-14"]) + visits("E1", ["2024-01-07"], kind="repair") \
        + visits("E1", ["2024-01-10"], on_site="否") + visits("E1", ["2024-01-14"], kind="quarter")
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL"], maintenance=records)
    assert keys(r, "MAINT-INTERVAL") == [("E1", "2024-01-14")]


def test_an_elevator_commissioned_after_to_is_walked_from_its_last_visit_before_from(judge):
    """rules.md MAINT-INTERVAL walks every in-scope elevator: one commissioned after `to` whose
    last visit before `from` lies 83 days before `to` has an 83-day interval ending at `to`
    (found by the oracle test; the engine once skipped such elevators)."""
    r = judge("2023-01-02", "2023-03-04", rules=["MAINT-INTERVAL"], elevators=[elevator(commissioned_on="2023-03-05")],
              maintenance=visits("E1", ["2022-11-23", "2022-12-02", "2022-12-11"]))
    [v] = of(r, "MAINT-INTERVAL")
    assert (v["subject"], v["period_key"], v["evidence"]["b"], v["evidence"]["interval_days"],
            v["evidence"]["ends_at_period_end"]) == ("E1", "2022-12-11", "2023-03-04", 83, True)
    # without a visit before `from` the walk starts on commissioned_on, after `to`: nothing is due
    r = judge("2023-01-02", "2023-03-04", rules=["MAINT-INTERVAL"], elevators=[elevator(commissioned_on="2023-03-05")],
              maintenance=visits("E1", ["2023-03-10"]))
    assert of(r, "MAINT-INTERVAL") == []


def test_maintenance_rules_leave_a_stopped_status_without_a_stop_record_unjudged(judge):
    r = judge("2024-01-01", "2024-01-31", rules=BOTH, elevators=[elevator(status="stopped", **DENSE)],
              maintenance=visits("E1", ["2023-10-01"]))
    assert r["violations"] == []
    [u] = r["unjudged"]
    assert (u["elevator_id"], sorted(u["rules"])) == ("E1", BOTH)
    r = judge("2024-01-01", "2024-01-31", rules=BOTH, elevators=[elevator(status="stopped", **DENSE)],
              maintenance=visits("E1", ["2023-10-01"]), stop_periods=[{"elevator_id": "E1", "start": "2023-10-05", "end": None}])
    assert r["violations"] == [] and r["unjudged"] == []


# ---- MAINT-INTERVAL-DENSE --------------------------------------------------------------------

def test_dense_ten_days_is_allowed_eleven_is_not_and_never_judged_twice(judge):
    ok = judge("2024-01-01", "2024-01-31", rules=BOTH, elevators=[elevator(**DENSE)],
               maintenance=visits("E1", ["2023-12-31", "2024-01-10", "2024-01-20", "2024-01-30"]))
    assert ok["violations"] == []
    late = judge("2024-01-01", "2024-01-31", rules=BOTH, elevators=[elevator(**DENSE)],
                 maintenance=visits("E1", ["2023-12-31", "2024-01-11", "2024-01-21", "2024-01-31"]))
    assert keys(late, "MAINT-INTERVAL-DENSE") == [("E1", "2023-12-31")]
    assert of(late, "MAINT-INTERVAL") == []
    [v] = of(late, "MAINT-INTERVAL-DENSE")
    assert v["severity"] == "major" and v["evidence"]["limit_days"] == 10
    assert (v["responsible_role"], v["responsible_org_id"]) == ("maintenance_unit", MAINTAINER)
    assert late["credit"] == []
    sixteen = judge("2024-01-01", "2024-01-31", rules=BOTH, elevators=[elevator(**DENSE)],
                    maintenance=visits("E1", ["2023-12-31", "2024-01-16", "2024-01-26", "2024-01-31"]))
    assert keys(sixteen, "MAINT-INTERVAL-DENSE") == [("E1", "2023-12-31")] and of(sixteen, "MAINT-INTERVAL") == []


def test_exactly_70_households_is_not_dense(judge):
    r = judge("2024-01-01", "2024-01-31", rules=BOTH,
              elevators=[elevator(**{**DENSE, "households_served": 70})],
              maintenance=visits("E1", ["2023-12-31", "2024-01-11", "2024-01-21", "2024-01-31"]))
    assert r["violations"] == []
    r = judge("2024-01-01", "2024-01-31", rules=BOTH, elevators=[elevator(**{**DENSE, "households_served": 70})],
              maintenance=visits("E1", ["2023-12-31", "2024-01-16"]))
    assert keys(r, "MAINT-INTERVAL") == [("E1", "2023-12-31")]  # judged by the general 15 days instead
    assert of(r, "MAINT-INTERVAL-DENSE") == []


def test_dense_needs_affordable_housing(judge):
    r = judge("2024-01-01", "2024-01-31", rules=BOTH,
              elevators=[elevator(**{**DENSE, "affordable_housing": "否", "households_served": 200})],
              maintenance=visits("E1", ["2023-12-31", "2024-01-11", "2024-01-21", "2024-01-31"]))
    assert r["violations"] == []


def test_missing_households_is_not_dense(judge):
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL-DENSE"],
              elevators=[elevator(**{**DENSE, "households_served": None})],
              maintenance=visits("E1", ["2023-12-31", "2024-01-11", "2024-01-21", "2024-01-31"]))
    assert r["violations"] == []


def test_exactly_15_years_on_the_opening_day_is_old_unless_the_boundary_is_exclusive(judge):
    # Revision 2: dense is judged on the interval's opening day. The elevator turns 15 on
    # 2024-01-11, the opening day of the 11-day interval 01-11 .. 01-22. (The earlier reading
    # judged dense on `to` and flagged the 12-31 .. 01-11 interval, opened at 14 years.)
    records = visits("E1", ["2023-12-31", "2024-01-11", "2024-01-22"])
    cases = [("2009-01-11", "inclusive", [("E1", "2024-01-11")]), ("2009-01-11", "exclusive", []),
             ("2009-01-10", "exclusive", [("E1", "2024-01-11")]), ("2009-01-12", "inclusive", [])]
    for commissioned, boundary, expected in cases:
        r = judge("2024-01-01", "2024-01-22", rules=BOTH, maintenance=records,
                  elevators=[elevator(**{**DENSE, "commissioned_on": commissioned})], params={"old.boundary": boundary})
        assert keys(r, "MAINT-INTERVAL-DENSE") == expected, (commissioned, boundary)
        assert of(r, "MAINT-INTERVAL") == [], (commissioned, boundary)


def test_turning_15_on_1_december_november_interval_by_15_days_december_by_10(judge):
    turns_15 = elevator(**{**DENSE, "commissioned_on": "2009-12-01"})
    nov = judge("2024-11-20", "2024-12-06", rules=BOTH, elevators=[turns_15], maintenance=visits("E1", ["2024-11-20", "2024-12-06"]))
    assert keys(nov, "MAINT-INTERVAL") == [("E1", "2024-11-20")] and of(nov, "MAINT-INTERVAL-DENSE") == []
    assert of(nov, "MAINT-INTERVAL")[0]["evidence"]["limit_days"] == 15
    nov_ok = judge("2024-11-30", "2024-12-12", rules=BOTH, elevators=[turns_15], maintenance=visits("E1", ["2024-11-30", "2024-12-12"]))
    assert nov_ok["violations"] == []  # 12 days, opened at 14 years: the general limit
    dec = judge("2024-12-01", "2024-12-12", rules=BOTH, elevators=[turns_15], maintenance=visits("E1", ["2024-12-01", "2024-12-12"]))
    assert keys(dec, "MAINT-INTERVAL-DENSE") == [("E1", "2024-12-01")] and of(dec, "MAINT-INTERVAL") == []
    assert of(dec, "MAINT-INTERVAL-DENSE")[0]["evidence"]["limit_days"] == 10
    exclusive = judge("2024-12-01", "2024-12-12", rules=BOTH, elevators=[turns_15], params={"old.boundary": "exclusive"},
                      maintenance=visits("E1", ["2024-12-01", "2024-12-12"]))
    assert exclusive["violations"] == []  # not yet old on 12-01 when 15 years itself does not count


def test_one_sweep_judges_each_interval_by_the_limit_of_its_own_opening_day(judge):
    turns_15 = elevator(**{**DENSE, "commissioned_on": "2009-12-01"})
    r = judge("2024-12-01", "2024-12-31", rules=BOTH, elevators=[turns_15],
              maintenance=visits("E1", ["2024-11-25", "2024-12-08", "2024-12-20", "2024-12-30"]))
    assert of(r, "MAINT-INTERVAL") == []                          # 11-25 .. 12-08: 13 days, opened at 14
    assert keys(r, "MAINT-INTERVAL-DENSE") == [("E1", "2024-12-08")]  # 12-08 .. 12-20: 12 days, dense


def test_january_is_not_judged_by_the_dense_limit_for_an_elevator_turning_15_in_december(judge):
    # Issue 9 item 3: the earlier reading judged dense on `to` (31 December) for the whole year.
    turns_15 = elevator(**{**DENSE, "commissioned_on": "2009-12-01"})
    fortnightly = visits("E1", ["2023-12-31", "2024-01-12", "2024-01-24"])
    r = judge("2024-01-01", "2024-12-31", rules=BOTH, elevators=[turns_15], maintenance=fortnightly)
    assert [k for _, k in keys(r, "MAINT-INTERVAL-DENSE")] == []
    assert [k for _, k in keys(r, "MAINT-INTERVAL")] == ["2024-01-24"]  # the one left open to `to`


def test_a_leap_day_commissioning_turns_15_on_28_february(judge):
    leap = elevator(**{**DENSE, "commissioned_on": "2008-02-29"})
    on_birthday = judge("2023-02-18", "2023-03-11", rules=BOTH, elevators=[leap],
                        maintenance=visits("E1", ["2023-02-18", "2023-02-28", "2023-03-11"]))
    assert keys(on_birthday, "MAINT-INTERVAL-DENSE") == [("E1", "2023-02-28")]
    day_before = judge("2023-02-17", "2023-03-10", rules=BOTH, elevators=[leap],
                       maintenance=visits("E1", ["2023-02-17", "2023-02-27", "2023-03-10"]))
    assert day_before["violations"] == []


def test_dense_limit_is_a_parameter(judge):
    records = visits("E1", ["2023-12-31", "2024-01-12", "2024-01-24", "2024-01-31"])
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL-DENSE"], elevators=[elevator(**DENSE)], maintenance=records,
              params={"maintenance.dense_max_interval_days": 12})
    assert r["violations"] == []
    assert r["parameters"]["maintenance.dense_max_interval_days"]["overridden"] is True
    r = judge("2024-01-01", "2024-01-31", rules=["MAINT-INTERVAL-DENSE"], elevators=[elevator(**DENSE)], maintenance=records,
              params={"maintenance.dense_max_interval_days": 11})
    assert keys(r, "MAINT-INTERVAL-DENSE") == [("E1", "2023-12-31"), ("E1", "2024-01-12")]
    assert {v["evidence"]["limit_days"] for v in of(r, "MAINT-INTERVAL-DENSE")} == {11}


def test_dense_households_and_age_thresholds_are_parameters_judged_on_the_opening_day(judge):
    e = elevator(**{**DENSE, "commissioned_on": "2013-06-01", "households_served": 60})   # 10 on 2023-12-31
    records = visits("E1", ["2023-12-31", "2024-01-11"])
    cases = [(70, 15, 0), (59, 10, 1), (60, 10, 0), (59, 11, 0)]
    for households, years, expected in cases:
        r = judge("2024-01-01", "2024-01-11", rules=["MAINT-INTERVAL-DENSE"], elevators=[e], maintenance=records,
                  params={"dense.min_households": households, "old.min_age_years": years})
        assert len(of(r, "MAINT-INTERVAL-DENSE")) == expected, (households, years)


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
    assert v["period_key"] == "2024-06-02" and v["severity"] == "serious"
    assert v["evidence"] == {"first": "2024-06-02", "last": "2024-06-19", "uncovered_days": 18,
                             "uncovered_days_in_period": 18, "latest_inspection_on": "2023-06-01",
                             "latest_conclusion": "pass", "valid_until": "2024-06-01"}
    assert (v["responsible_role"], v["responsible_org_id"]) == ("use_unit", FIRM)
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"],
              inspections=[_insp("2023-06-01", next_due="2024-06-01"), _insp("2024-06-02", next_due="2025-06-02")])
    assert of(r, "INSPECTION-VALID") == []


def test_inspection_without_next_due_runs_12_months_minus_a_day(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"],
              inspections=[_insp("2023-06-01"), _insp("2024-06-01")])
    assert of(r, "INSPECTION-VALID") == []
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"],
              inspections=[_insp("2023-06-01"), _insp("2024-06-02")])
    assert keys(r, "INSPECTION-VALID") == [("E1", "2024-06-01")]


def test_a_failed_latest_inspection_leaves_the_elevator_uncovered(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"],
              inspections=[_insp("2023-12-01", next_due="2024-12-01"), _insp("2024-03-01", "fail"),
                           _insp("2024-03-10", "pass_after_rectification", "2025-03-10")])
    assert keys(r, "INSPECTION-VALID") == [("E1", "2024-03-01")]
    assert of(r, "INSPECTION-VALID")[0]["evidence"]["latest_conclusion"] == "fail"


def test_a_stop_inside_a_lapse_neither_counts_nor_splits_it(judge):
    # Revision 2: the stop 06-10 .. end 06-19 stops 06-10..06-18 (9 days; the end day is in
    # service), so 20 of the 29 lapsed days are in-service days (the earlier reading said 19).
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"],
              inspections=[_insp("2023-06-01", next_due="2024-06-01"), _insp("2024-07-01", next_due="2025-07-01")],
              stop_periods=[{"elevator_id": "E1", "start": "2024-06-10", "end": "2024-06-19"}])
    [v] = of(r, "INSPECTION-VALID")
    assert v["period_key"] == "2024-06-02" and v["evidence"]["uncovered_days"] == 20
    assert (v["evidence"]["first"], v["evidence"]["last"]) == ("2024-06-02", "2024-06-30")


def test_a_lapse_that_began_before_from_keeps_its_first_day_as_key(judge):
    insp = [_insp("2023-06-01", next_due="2023-12-01"), _insp("2024-02-01", next_due="2025-02-01")]
    seen = []
    for start, in_period in [("2023-12-01", 61), ("2024-01-01", 31), ("2024-01-20", 12), ("2024-01-31", 1)]:
        r = judge(start, "2024-12-31", rules=["INSPECTION-VALID"], inspections=insp)
        [v] = of(r, "INSPECTION-VALID")
        assert v["period_key"] == "2023-12-02", start
        assert (v["evidence"]["first"], v["evidence"]["last"], v["evidence"]["uncovered_days"],
                v["evidence"]["uncovered_days_in_period"]) == ("2023-12-02", "2024-01-31", 61, in_period), start
        seen.append(v["fingerprint"])
    assert len(set(seen)) == 1
    r = judge("2024-02-01", "2024-12-31", rules=["INSPECTION-VALID"], inspections=insp)
    assert of(r, "INSPECTION-VALID") == []


def test_a_lapse_running_past_to_is_the_same_breach_in_the_next_sweep(judge):
    insp = [_insp("2023-06-01", next_due="2024-06-01"), _insp("2024-08-10", next_due="2025-08-10")]
    june = judge("2024-06-01", "2024-06-30", rules=["INSPECTION-VALID"], inspections=insp)
    july = judge("2024-07-01", "2024-07-31", rules=["INSPECTION-VALID"], inspections=insp)
    [a], [b] = of(june, "INSPECTION-VALID"), of(july, "INSPECTION-VALID")
    assert a["fingerprint"] == b["fingerprint"] and a["period_key"] == b["period_key"] == "2024-06-02"
    assert (a["evidence"]["last"], a["evidence"]["uncovered_days_in_period"]) == ("2024-06-30", 29)
    assert (b["evidence"]["last"], b["evidence"]["uncovered_days"], b["evidence"]["uncovered_days_in_period"]) == \
        ("2024-07-31", 60, 31)


def test_a_stop_before_from_does_not_split_a_lapse_that_began_earlier(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"],
              inspections=[_insp("2023-06-01", next_due="2023-12-01"), _insp("2024-02-01", next_due="2025-02-01")],
              stop_periods=[{"elevator_id": "E1", "start": "2023-12-10", "end": "2024-01-05"}])
    [v] = of(r, "INSPECTION-VALID")
    assert v["period_key"] == "2023-12-02" and v["evidence"]["uncovered_days_in_period"] == 27


def test_inspection_leaves_a_stopped_status_without_a_stop_record_unjudged(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"], inspections=[],
              elevators=[elevator("E1", status="stopped"), elevator("E2", commissioned_on="2023-11-15")])
    assert keys(r, "INSPECTION-VALID") == [("E2", "2024-11-15")]
    assert [(u["elevator_id"], u["rules"]) for u in r["unjudged"]] == [("E1", ["INSPECTION-VALID"])]


def test_installation_counts_as_a_passed_inspection(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"], elevators=[elevator(commissioned_on="2024-02-01")],
              inspections=[])
    assert of(r, "INSPECTION-VALID") == []
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"], elevators=[elevator(commissioned_on="2023-11-15")],
              inspections=[])
    assert keys(r, "INSPECTION-VALID") == [("E1", "2024-11-15")]


def test_inspection_valid_counts_the_elevators_it_judged_not_only_the_lapses(judge):
    # A clean year is a judged year: `cases` counts the elevators in service on some day up to
    # `to` (E2 is commissioned after it), so "no violation" is read beside 1, not 0.
    passes = [{"elevator_id": "E1", "date": "2023-06-01", "conclusion": "pass", "next_due": "2024-06-01"},
              {"elevator_id": "E1", "date": "2024-06-01", "conclusion": "pass", "next_due": "2025-06-01"}]
    r = judge("2024-01-01", "2024-12-31", rules=["INSPECTION-VALID"],
              elevators=[elevator("E1"), elevator("E2", commissioned_on="2025-01-01")], inspections=passes)
    assert of(r, "INSPECTION-VALID") == []
    assert {k: status(r, "INSPECTION-VALID")[k] for k in ("evaluated", "cases", "violations")} == \
        {"evaluated": True, "cases": 1, "violations": 0}
