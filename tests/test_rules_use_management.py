"""Boundary tests for 四（一）: 日管控、周排查、月调度, plans, drills, alarms, rescue."""

from __future__ import annotations

import re

from conftest import COMMITTEE, FIRM, MAINTAINER, daily, days, elevator, keys, of, status


# ---- DAILY-CHECK -------------------------------------------------------------------------

def test_daily_check_every_day_present_is_clean(judge):
    r = judge("2024-01-01", "2024-01-31", rules=["DAILY-CHECK"], daily_checks=daily("E1", days("2024-01-01", "2024-01-31")))
    assert of(r, "DAILY-CHECK") == []


def test_daily_check_one_missing_day_is_one_violation_with_the_date(judge):
    present = [d for d in days("2024-01-01", "2024-01-31") if d != "2024-01-15"]
    r = judge("2024-01-01", "2024-01-31", rules=["DAILY-CHECK"], daily_checks=daily("E1", present))
    [v] = of(r, "DAILY-CHECK")
    assert (v["subject"], v["period_key"]) == ("E1", "2024-01")
    assert v["evidence"] == {"month": "2024-01", "in_service_days": 31, "missing_days": 1, "missing_dates": ["2024-01-15"]}
    # R3-8: the message names the party and the duty it broke, under the 总局 regulation
    assert v["message_zh"] == ("使用单位 甲物业服务有限公司 未落实总局令第74号的“日管控”：电梯 E1 在 2024-01 有 1 个在用日"
                               "没有每日安全检查记录（每月至多允许缺 0 天）：2024-01-15")
    assert v["message_en"] == ("use unit 甲物业服务有限公司 missed its daily control (日管控, SAMR Order 74): elevator E1 has "
                               "no daily safety check on 1 in-service day(s) of 2024-01 (at most 0 may be missing): 2024-01-15")
    assert v["responsible_role"] == "use_unit" and v["responsible_org_id"] == FIRM


def test_daily_check_threshold_parameter_allows_missing_days(judge):
    present = [d for d in days("2024-01-01", "2024-01-31") if d not in ("2024-01-15", "2024-01-16")]
    params = {"daily_check.max_missing_days_per_month": 1}
    r = judge("2024-01-01", "2024-01-31", params=params, rules=["DAILY-CHECK"], daily_checks=daily("E1", present))
    assert keys(r, "DAILY-CHECK") == [("E1", "2024-01")]
    present.append("2024-01-16")
    r = judge("2024-01-01", "2024-01-31", params=params, rules=["DAILY-CHECK"], daily_checks=daily("E1", present))
    assert of(r, "DAILY-CHECK") == []


def test_daily_check_stopped_days_and_days_before_commissioning_need_no_check(judge):
    # Revision 2: a stop's end (恢复使用日期) is the first day back in service, so 01-24..01-25 are
    # stopped and 01-26 needs a check (the earlier reading treated 01-26 as stopped too).
    present = [d for d in days("2024-01-20", "2024-01-31") if d not in ("2024-01-24", "2024-01-25")]
    r = judge("2024-01-01", "2024-01-31", rules=["DAILY-CHECK"],
              elevators=[elevator(commissioned_on="2024-01-20")],
              stop_periods=[{"elevator_id": "E1", "start": "2024-01-24", "end": "2024-01-26"}],
              daily_checks=daily("E1", present))
    assert of(r, "DAILY-CHECK") == []


def test_daily_check_the_stop_end_day_is_an_in_service_day_needing_a_check(judge):
    present = [d for d in days("2024-01-20", "2024-01-31") if not "2024-01-24" <= d <= "2024-01-26"]
    r = judge("2024-01-01", "2024-01-31", rules=["DAILY-CHECK"],
              elevators=[elevator(commissioned_on="2024-01-20")],
              stop_periods=[{"elevator_id": "E1", "start": "2024-01-24", "end": "2024-01-26"}],
              daily_checks=daily("E1", present))
    [v] = of(r, "DAILY-CHECK")
    assert v["evidence"] == {"month": "2024-01", "in_service_days": 10, "missing_days": 1,
                             "missing_dates": ["2024-01-26"]}


def test_daily_check_a_stop_starting_and_ending_the_same_day_stops_no_day(judge):
    present = [d for d in days("2024-01-01", "2024-01-31") if d != "2024-01-10"]
    r = judge("2024-01-01", "2024-01-31", rules=["DAILY-CHECK"], daily_checks=daily("E1", present),
              stop_periods=[{"elevator_id": "E1", "start": "2024-01-10", "end": "2024-01-10"}])
    [v] = of(r, "DAILY-CHECK")
    assert v["evidence"]["missing_dates"] == ["2024-01-10"] and v["evidence"]["in_service_days"] == 31


def test_daily_check_a_month_cut_by_from_is_judged_from_its_first_day(judge):
    # Revision 2: days before `from` in that month are included, so a month split across two
    # sweeps is one month (the earlier reading judged only 01-15..01-31 here and found nothing).
    # Revision 3: from the history start, here declared (without it, the earliest check, 01-15)
    since = "records_from:\n  daily_checks: 2023-01-01\n"
    r = judge("2024-01-15", "2024-01-31", rules=["DAILY-CHECK"], daily_checks=daily("E1", days("2024-01-15", "2024-01-31")),
              declaration=since)
    [v] = of(r, "DAILY-CHECK")
    assert (v["subject"], v["period_key"]) == ("E1", "2024-01")
    assert v["evidence"] == {"month": "2024-01", "in_service_days": 31, "missing_days": 14,
                             "missing_dates": days("2024-01-01", "2024-01-14")}
    r = judge("2024-01-15", "2024-01-31", rules=["DAILY-CHECK"], daily_checks=daily("E1", days("2024-01-01", "2024-01-31")))
    assert of(r, "DAILY-CHECK") == []
    # undeclared: the history starts at the earliest check, and the days before it are not missing (R3-7)
    r = judge("2024-01-15", "2024-01-31", rules=["DAILY-CHECK"], daily_checks=daily("E1", days("2024-01-15", "2024-01-31")))
    assert (of(r, "DAILY-CHECK"), status(r, "DAILY-CHECK")["cases"], r["unjudged"]) == ([], 1, [])


def test_daily_check_a_month_ending_after_to_is_judged_up_to_to(judge):
    present = days("2024-02-01", "2024-02-10")
    r = judge("2024-02-01", "2024-02-10", rules=["DAILY-CHECK"], daily_checks=daily("E1", present))
    assert of(r, "DAILY-CHECK") == []
    r = judge("2024-02-01", "2024-02-11", rules=["DAILY-CHECK"], daily_checks=daily("E1", present))
    [v] = of(r, "DAILY-CHECK")
    assert v["period_key"] == "2024-02" and v["evidence"]["missing_dates"] == ["2024-02-11"]
    assert v["evidence"]["in_service_days"] == 11


def test_daily_check_a_month_split_across_two_sweeps_is_one_breach(judge):
    present = [d for d in days("2024-01-01", "2024-01-31") if d != "2024-01-10"]
    first = judge("2024-01-01", "2024-01-15", rules=["DAILY-CHECK"], daily_checks=daily("E1", present))
    second = judge("2024-01-16", "2024-01-31", rules=["DAILY-CHECK"], daily_checks=daily("E1", present))
    whole = judge("2024-01-01", "2024-01-31", rules=["DAILY-CHECK"], daily_checks=daily("E1", present))
    prints = {v["fingerprint"] for r in (first, second, whole) for v in of(r, "DAILY-CHECK")}
    assert len(prints) == 1
    assert keys(first, "DAILY-CHECK") == keys(second, "DAILY-CHECK") == keys(whole, "DAILY-CHECK") == [("E1", "2024-01")]
    assert of(second, "DAILY-CHECK")[0]["evidence"]["missing_dates"] == ["2024-01-10"]


def test_daily_check_not_evaluated_without_a_daily_checks_file_but_judged_on_an_empty_one(judge):
    r = judge("2024-01-01", "2024-01-31", rules=["DAILY-CHECK"])
    s = status(r, "DAILY-CHECK")
    assert s["evaluated"] is False
    assert s["reason_en"] == "not evaluated: no daily_checks submitted"
    assert r["violations"] == [] and r["summary"]["exit_status"] == 0
    r = judge("2024-01-01", "2024-02-29", rules=["DAILY-CHECK"], daily_checks=[])
    assert keys(r, "DAILY-CHECK") == [("E1", "2024-01"), ("E1", "2024-02")]


def test_daily_check_scope_excludes_scrapped_and_non_residential_and_lists_stopped_without_record(judge):
    # Revision 2: a `stopped` status without an open stop record is no longer silently out of
    # scope; it is listed as unjudged with the reason.
    r = judge("2024-01-01", "2024-01-31", rules=["DAILY-CHECK"], daily_checks=[],
              elevators=[elevator("E1", status="stopped"), elevator("E2", status="scrapped"),
                         elevator("E3", residential="否"), elevator("E4")])
    assert keys(r, "DAILY-CHECK") == [("E4", "2024-01")]
    assert [u["elevator_id"] for u in r["unjudged"]] == ["E1"]
    assert r["unjudged"][0]["rules"] == ["DAILY-CHECK"]


def test_daily_check_stopped_status_with_an_open_stop_is_judged_by_the_stop(judge):
    r = judge("2024-01-01", "2024-01-31", rules=["DAILY-CHECK"], elevators=[elevator("E1", status="stopped")],
              stop_periods=[{"elevator_id": "E1", "start": "2024-01-10", "end": None}],
              daily_checks=daily("E1", days("2024-01-01", "2024-01-08")))
    [v] = of(r, "DAILY-CHECK")
    assert v["evidence"]["missing_dates"] == ["2024-01-09"] and v["evidence"]["in_service_days"] == 9
    assert r["unjudged"] == [] and r["summary"]["unjudged"] == 0


# ---- WEEKLY-REVIEW and MONTHLY-DISPATCH -------------------------------------------------------

def test_weekly_review_one_per_iso_week(judge):
    reviews = [{"use_unit_id": FIRM, "date": "2024-01-03"}]
    r = judge("2024-01-01", "2024-01-14", rules=["WEEKLY-REVIEW"], weekly_reviews=reviews)
    assert keys(r, "WEEKLY-REVIEW") == [(FIRM, "2024-W02")]
    assert of(r, "WEEKLY-REVIEW")[0]["evidence"] == {"iso_week": "2024-W02", "monday": "2024-01-08", "sunday": "2024-01-14"}


def test_weekly_review_judges_the_weeks_whose_sunday_lies_in_the_period(judge):
    # Revision 2: W01 (Mon 01-01, Sun 01-07) straddles `from` and is judged over all seven days;
    # W03 (Sun 01-21) ends after `to` and is left to the next sweep. The earlier reading judged
    # only weeks wholly inside the period (W02 alone).
    r = judge("2024-01-03", "2024-01-20", rules=["WEEKLY-REVIEW"], weekly_reviews=[])
    assert keys(r, "WEEKLY-REVIEW") == [(FIRM, "2024-W01"), (FIRM, "2024-W02")]
    w01 = next(v for v in of(r, "WEEKLY-REVIEW") if v["period_key"] == "2024-W01")
    assert w01["evidence"] == {"iso_week": "2024-W01", "monday": "2024-01-01", "sunday": "2024-01-07"}
    assert (w01["responsible_role"], w01["responsible_org_id"]) == ("use_unit", FIRM)


def test_weekly_review_a_review_dated_before_from_fulfils_the_straddling_week(judge):
    r = judge("2024-01-03", "2024-01-14", rules=["WEEKLY-REVIEW"], weekly_reviews=[{"use_unit_id": FIRM, "date": "2024-01-02"}])
    assert keys(r, "WEEKLY-REVIEW") == [(FIRM, "2024-W02")]
    r = judge("2024-01-03", "2024-01-14", rules=["WEEKLY-REVIEW"], weekly_reviews=[{"use_unit_id": FIRM, "date": "2023-12-31"}])
    assert keys(r, "WEEKLY-REVIEW") == [(FIRM, "2024-W01"), (FIRM, "2024-W02")]


def test_weekly_review_a_period_without_a_sunday_judges_no_week(judge):
    r = judge("2024-01-08", "2024-01-13", rules=["WEEKLY-REVIEW"], weekly_reviews=[])
    assert of(r, "WEEKLY-REVIEW") == []
    r = judge("2024-01-14", "2024-01-14", rules=["WEEKLY-REVIEW"], weekly_reviews=[])
    assert keys(r, "WEEKLY-REVIEW") == [(FIRM, "2024-W02")]


def test_weekly_review_a_week_straddling_two_monthly_sweeps_is_judged_once(judge):
    # 2024-W05 runs Mon 01-29 .. Sun 02-04: the February sweep judges it, January's does not.
    reviews = [{"use_unit_id": FIRM, "date": "2024-01-29"}]
    since = "records_from:\n  weekly_reviews: 2023-12-01\n"   # R3-7: every review held from then on
    jan = judge("2024-01-01", "2024-01-31", rules=["WEEKLY-REVIEW"], weekly_reviews=reviews, declaration=since)
    feb = judge("2024-02-01", "2024-02-29", rules=["WEEKLY-REVIEW"], weekly_reviews=reviews, declaration=since)
    both = judge("2024-01-01", "2024-02-29", rules=["WEEKLY-REVIEW"], weekly_reviews=reviews, declaration=since)
    assert [k for _, k in keys(jan, "WEEKLY-REVIEW")] == ["2024-W01", "2024-W02", "2024-W03", "2024-W04"]
    assert [k for _, k in keys(feb, "WEEKLY-REVIEW")] == ["2024-W06", "2024-W07", "2024-W08"]
    assert keys(jan, "WEEKLY-REVIEW") + keys(feb, "WEEKLY-REVIEW") == keys(both, "WEEKLY-REVIEW")
    empty_feb = judge("2024-02-01", "2024-02-29", rules=["WEEKLY-REVIEW"], weekly_reviews=[])
    assert (FIRM, "2024-W05") in keys(empty_feb, "WEEKLY-REVIEW")


def test_weekly_review_uses_the_iso_year(judge):
    r = judge("2024-12-30", "2025-01-05", rules=["WEEKLY-REVIEW"], weekly_reviews=[])
    assert keys(r, "WEEKLY-REVIEW") == [(FIRM, "2025-W01")]


def test_weekly_review_not_owed_for_a_week_with_no_in_service_day(judge):
    # Revision 2: the stop ends on 恢复使用日期, the first day back in service. Ending on Monday
    # 01-08 stops all of W01; ending on Sunday 01-07 leaves 01-07 in service, so W01 is owed
    # (the earlier reading counted 01-07 as stopped).
    r = judge("2024-01-01", "2024-01-14", rules=["WEEKLY-REVIEW"], weekly_reviews=[],
              stop_periods=[{"elevator_id": "E1", "start": "2023-12-20", "end": "2024-01-08"}])
    assert keys(r, "WEEKLY-REVIEW") == [(FIRM, "2024-W02")]
    r = judge("2024-01-01", "2024-01-14", rules=["WEEKLY-REVIEW"], weekly_reviews=[],
              stop_periods=[{"elevator_id": "E1", "start": "2023-12-20", "end": "2024-01-07"}])
    assert keys(r, "WEEKLY-REVIEW") == [(FIRM, "2024-W01"), (FIRM, "2024-W02")]


def test_a_stopped_status_without_a_stop_record_owes_no_weekly_or_monthly_duty(judge):
    elevators = [elevator("E1"), elevator("E2", use_unit_id=COMMITTEE, status="stopped")]
    r = judge("2024-01-01", "2024-01-31", rules=["WEEKLY-REVIEW", "MONTHLY-DISPATCH"], elevators=elevators,
              weekly_reviews=[], monthly_dispatches=[])
    assert {s for s, _ in keys(r, "WEEKLY-REVIEW")} == {FIRM}
    assert keys(r, "MONTHLY-DISPATCH") == [(FIRM, "2024-01")]


def test_a_stopped_status_with_an_open_stop_counts_for_the_weeks_before_the_stop(judge):
    elevators = [elevator("E2", use_unit_id=COMMITTEE, status="stopped")]
    r = judge("2024-01-01", "2024-01-21", rules=["WEEKLY-REVIEW"], elevators=elevators, weekly_reviews=[],
              stop_periods=[{"elevator_id": "E2", "start": "2024-01-10", "end": None}])
    assert keys(r, "WEEKLY-REVIEW") == [(COMMITTEE, "2024-W01"), (COMMITTEE, "2024-W02")]


def test_monthly_dispatch_judges_the_months_whose_last_day_lies_in_the_period(judge):
    # Revision 2: January (last day 01-31 inside the period) is judged over the whole month; the
    # earlier reading judged only months wholly inside the period (March alone here).
    dispatches = [{"use_unit_id": FIRM, "date": "2024-02-10"}]
    r = judge("2024-01-15", "2024-03-31", rules=["MONTHLY-DISPATCH"], monthly_dispatches=dispatches,
              declaration="records_from:\n  monthly_dispatches: 2023-12-01\n")
    assert keys(r, "MONTHLY-DISPATCH") == [(FIRM, "2024-01"), (FIRM, "2024-03")]
    jan = of(r, "MONTHLY-DISPATCH")[0]
    assert jan["evidence"] == {"month": "2024-01", "month_start": "2024-01-01", "month_end": "2024-01-31"}
    assert (jan["responsible_role"], jan["responsible_org_id"]) == ("use_unit", FIRM)


def test_monthly_dispatch_a_month_ending_after_to_is_not_judged(judge):
    r = judge("2024-01-01", "2024-02-28", rules=["MONTHLY-DISPATCH"], monthly_dispatches=[])
    assert keys(r, "MONTHLY-DISPATCH") == [(FIRM, "2024-01")]
    r = judge("2024-02-01", "2024-02-28", rules=["MONTHLY-DISPATCH"], monthly_dispatches=[])
    assert of(r, "MONTHLY-DISPATCH") == []


def test_monthly_dispatch_minutes_dated_before_from_fulfil_the_cut_month(judge):
    r = judge("2024-01-15", "2024-01-31", rules=["MONTHLY-DISPATCH"],
              monthly_dispatches=[{"use_unit_id": FIRM, "date": "2024-01-05"}])
    assert of(r, "MONTHLY-DISPATCH") == []
    r = judge("2024-02-29", "2024-02-29", rules=["MONTHLY-DISPATCH"],
              monthly_dispatches=[{"use_unit_id": FIRM, "date": "2024-02-01"}])
    assert of(r, "MONTHLY-DISPATCH") == [] and status(r, "MONTHLY-DISPATCH")["evaluated"] is True
    r = judge("2024-02-29", "2024-02-29", rules=["MONTHLY-DISPATCH"],
              monthly_dispatches=[{"use_unit_id": FIRM, "date": "2024-01-31"}])
    assert keys(r, "MONTHLY-DISPATCH") == [(FIRM, "2024-02")]


def test_units_of_owners_committees_are_judged_but_not_deducted(judge):
    r = judge("2024-01-01", "2024-01-31", rules=["MONTHLY-DISPATCH"], monthly_dispatches=[],
              elevators=[elevator("E1", use_unit_id=COMMITTEE)])
    assert keys(r, "MONTHLY-DISPATCH") == [(COMMITTEE, "2024-01")]
    assert r["credit"] == []


# ---- EMERGENCY-PLAN and EMERGENCY-DRILL --------------------------------------------------------

def test_emergency_plan_must_be_approved_by_the_period_end(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["EMERGENCY-PLAN"],
              emergency_plans=[{"use_unit_id": FIRM, "approved_on": "2025-01-01"}])
    assert keys(r, "EMERGENCY-PLAN") == [(FIRM, "2024")]
    r = judge("2024-01-01", "2024-12-31", rules=["EMERGENCY-PLAN"],
              emergency_plans=[{"use_unit_id": FIRM, "approved_on": "2024-12-31"}])
    assert of(r, "EMERGENCY-PLAN") == []


def test_emergency_drill_window_is_the_12_months_ending_at_to(judge):
    ok = judge("2024-01-01", "2024-12-31", rules=["EMERGENCY-DRILL"], drills=[{"use_unit_id": FIRM, "date": "2024-01-01"}])
    assert of(ok, "EMERGENCY-DRILL") == []
    late = judge("2024-01-01", "2024-12-31", rules=["EMERGENCY-DRILL"], drills=[{"use_unit_id": FIRM, "date": "2023-12-31"}])
    assert keys(late, "EMERGENCY-DRILL") == [(FIRM, "2024")]


def test_emergency_drill_window_from_a_leap_day_clamps_to_the_month_end(judge):
    # 2024-02-29 − 12 months = 2023-02-28; the window starts the day after: 2023-03-01
    ok = judge("2024-01-01", "2024-02-29", rules=["EMERGENCY-DRILL"], drills=[{"use_unit_id": FIRM, "date": "2023-03-01"}])
    assert of(ok, "EMERGENCY-DRILL") == []
    late = judge("2024-01-01", "2024-02-29", rules=["EMERGENCY-DRILL"], drills=[{"use_unit_id": FIRM, "date": "2023-02-28"}])
    assert len(of(late, "EMERGENCY-DRILL")) == 1


# ---- ALARM-FAULT -----------------------------------------------------------------------------

def _alarm(*tests):
    return [{"elevator_id": "E1", "date": d, "ok": ok} for d, ok in tests]


def test_alarm_fault_repaired_on_the_due_day_is_in_time(judge):
    r = judge("2024-03-01", "2024-03-31", rules=["ALARM-FAULT"], alarm_tests=_alarm(("2024-03-01", "false"), ("2024-03-04", "true")))
    assert of(r, "ALARM-FAULT") == []


def test_alarm_fault_repaired_the_day_after_due_is_a_violation(judge):
    r = judge("2024-03-01", "2024-03-31", rules=["ALARM-FAULT"], alarm_tests=_alarm(("2024-03-01", "false"), ("2024-03-05", "true")))
    [v] = of(r, "ALARM-FAULT")
    assert v["period_key"] == "2024-03-01" and v["severity"] == "major"
    assert v["evidence"] == {"failed_on": "2024-03-01", "due_on": "2024-03-04", "next_ok_test_on": "2024-03-05",
                             "fulfilled_on": "2024-03-05", "days_late": 1}


def test_alarm_fault_an_ok_test_the_same_day_does_not_fulfil(judge):
    r = judge("2024-03-01", "2024-03-31", rules=["ALARM-FAULT"], alarm_tests=_alarm(("2024-03-01", "false"), ("2024-03-01", "true")))
    [v] = of(r, "ALARM-FAULT")
    assert v["evidence"]["next_ok_test_on"] is None and v["evidence"]["days_late"] == 27


def test_alarm_fault_each_failed_test_is_its_own_obligation(judge):
    r = judge("2024-03-01", "2024-03-31", rules=["ALARM-FAULT"],
              alarm_tests=_alarm(("2024-03-01", "false"), ("2024-03-03", "false"), ("2024-03-07", "true")))
    assert keys(r, "ALARM-FAULT") == [("E1", "2024-03-01"), ("E1", "2024-03-03")]


def test_alarm_fault_due_after_the_period_is_pending(judge):
    r = judge("2024-03-01", "2024-03-31", rules=["ALARM-FAULT"], alarm_tests=_alarm(("2024-03-30", "false")))
    assert of(r, "ALARM-FAULT") == []
    [p] = r["pending"]
    assert (p["rule_id"], p["due_on"], p["period_key"]) == ("ALARM-FAULT", "2024-04-02", "2024-03-30")


def test_alarm_fault_due_after_the_period_but_fulfilled_later_is_neither(judge):
    r = judge("2024-03-01", "2024-03-31", rules=["ALARM-FAULT"], alarm_tests=_alarm(("2024-03-30", "false"), ("2024-04-10", "true")))
    assert of(r, "ALARM-FAULT") == [] and r["pending"] == []


def test_alarm_fault_a_breach_settled_before_the_period_belongs_to_an_earlier_report(judge):
    settled = _alarm(("2023-12-01", "false"), ("2023-12-20", "true"))
    assert of(judge("2024-01-01", "2024-01-31", rules=["ALARM-FAULT"], alarm_tests=settled), "ALARM-FAULT") == []
    straddling = _alarm(("2023-12-28", "false"), ("2024-01-05", "true"))
    r = judge("2024-01-01", "2024-01-31", rules=["ALARM-FAULT"], alarm_tests=straddling)
    assert keys(r, "ALARM-FAULT") == [("E1", "2023-12-28")]


# ---- RESCUE-ARRIVAL (Revision 3: the maintenance unit, clocked from the call) -----------------------------

def _trap(incident, reported, arrived, notified="same"):
    """An entrapment; by default the rescuers were called at the alarm itself."""
    return {"incident_id": incident, "elevator_id": "E1", "reported_at": reported, "arrived_at": arrived,
            "notified_at": reported if notified == "same" else notified}


def test_rescue_exactly_30_minutes_is_in_time_30_01_is_not(judge):
    r = judge("2024-03-01", "2024-03-31", rules=["RESCUE-ARRIVAL"], entrapments=[
        _trap("K1", "2024-03-01 10:00:00", "2024-03-01 10:30:00"),
        _trap("K2", "2024-03-02T10:00", "2024-03-02T10:30:01"),
        _trap("K3", "2024-03-03T10:00", None)])
    assert keys(r, "RESCUE-ARRIVAL") == [("K2", "K2"), ("K3", "K3")]
    k2 = next(v for v in of(r, "RESCUE-ARRIVAL") if v["subject"] == "K2")
    assert k2["evidence"]["arrival_minutes"] == 30 and k2["evidence"]["arrival_seconds"] == 1801


def test_rescue_is_the_maintenance_units_duty_clocked_from_the_call(judge):
    # Revision 3 (R3-2, R3-A 2): 特种设备安全法 第四十五条 lays the 30 minutes on the maintenance unit; Revision 2
    # charged the use unit. The clock starts at the call (notified_at), not at the alarm.
    r = judge("2024-03-01", "2024-03-31", rules=["RESCUE-ARRIVAL"],
              entrapments=[_trap("K1", "2024-03-01T10:00", "2024-03-01T10:45", notified="2024-03-01T10:10")])
    [v] = of(r, "RESCUE-ARRIVAL")
    assert (v["responsible_role"], v["responsible_org_id"]) == ("maintenance_unit", MAINTAINER)
    assert v["severity"] == "major" and v["maintenance_unit_id"] == MAINTAINER
    assert v["evidence"] == {"reported_at": "2024-03-01 10:00:00", "notified_at": "2024-03-01 10:10:00",
                             "arrived_at": "2024-03-01 10:45:00", "arrival_minutes": 35, "arrival_seconds": 2100,
                             "maintenance_unit_id": MAINTAINER, "maintenance_unit_name": "丙电梯维保有限公司",
                             "registered_maintenance_unit_id": MAINTAINER, "rescue_unit_id": None,
                             "rescue_unit_name": None}
    assert r["parameters"]["rescue.max_arrival_minutes"]["interpretation"] is False   # TSG T5002's figure


def test_rescue_without_an_arrival_reads_naturally_and_names_the_maintenance_unit(judge):
    r = judge("2024-03-01", "2024-03-31", rules=["RESCUE-ARRIVAL"], entrapments=[_trap("K3", "2024-03-03T10:00", None)])
    [v] = of(r, "RESCUE-ARRIVAL")
    assert v["evidence"]["arrived_at"] is None and v["evidence"]["arrival_minutes"] is None
    for text in (v["message_zh"], v["message_en"]):
        assert not re.search(r"（无）|\(none\)|\bNone\b|\bnull\b|\bnan\b", text), text
    assert "K3" in v["message_zh"] and "丙电梯维保有限公司" in v["message_zh"]
    assert "2024-03-03 10:00" in v["message_zh"]
    assert "K3" in v["message_en"] and ("丙电梯维保有限公司" in v["message_en"] or MAINTAINER in v["message_en"])


def test_rescue_arrival_deducts_from_no_firm_and_the_use_units_call_is_judged_apart(judge):
    r = judge("2024-03-01", "2024-03-31", rules=["RESCUE-ARRIVAL", "RESCUE-COORDINATION"],
              elevators=[elevator("E1"), elevator("E2", use_unit_id=COMMITTEE)],
              entrapments=[_trap("K1", "2024-03-01T10:00", None, notified="2024-03-01T10:06"),
                           {**_trap("K2", "2024-03-01T10:00", None, notified="2024-03-01T10:06"), "elevator_id": "E2"}])
    assert keys(r, "RESCUE-ARRIVAL") == [("K1", "K1"), ("K2", "K2")]
    assert [(v["subject"], v["responsible_role"]) for v in of(r, "RESCUE-COORDINATION")] == \
        [("K1", "use_unit"), ("K2", "use_unit")]
    # only the firm's call deducts, and provisionally (the draft and its 5 minutes); the committee never
    assert [(f["org_id"], [i["subject"] for i in f["provisional_items"]], f["items"]) for f in r["credit"]] == \
        [(FIRM, ["K1"], [])]


def test_rescue_offsets_are_converted_to_beijing_time(judge):
    r = judge("2024-03-01", "2024-03-31", rules=["RESCUE-ARRIVAL"],
              entrapments=[_trap("K1", "2024-03-01T02:00:00Z", "2024-03-01T10:20:00"),
                           _trap("K2", "2024-02-29T23:50:00+08:00", "2024-03-01T01:00:00")])
    assert of(r, "RESCUE-ARRIVAL") == []


def test_rescue_one_second_late_does_not_read_as_exactly_the_limit(judge):
    # 30:01 is late (rules.md: "exactly 30:00 is in time, 30:01 is not"); a message saying it took
    # 30 minutes, more than 30 minutes, contradicts itself and cannot be checked by hand.
    r = judge("2024-03-01", "2024-03-31", rules=["RESCUE-ARRIVAL"], entrapments=[_trap("K2", "2024-03-02T10:00", "2024-03-02T10:30:01")])
    [v] = of(r, "RESCUE-ARRIVAL")
    assert "用时 30 分 01 秒" in v["message_zh"] and "after 30:01 (min:s)" in v["message_en"]
    assert not re.search(r"用时 30(\.0)? 分钟", v["message_zh"]), v["message_zh"]
    assert not re.search(r"after 30(\.0)? min", v["message_en"]), v["message_en"]
