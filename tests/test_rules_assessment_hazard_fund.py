"""Boundary tests for 四（二）, 四（三）, 四（五） assessment rules, hazards (incl. 五（三）) and funds."""

from __future__ import annotations

from conftest import FIRM, elevator, keys, of, status

OLD = dict(commissioned_on="2005-01-01")
OLD_AFFORDABLE = dict(commissioned_on="2005-01-01", affordable_housing="是")


def _assessment(aid="A1", elevator_id="E1", applied="2024-01-01", completed=None, conclusion=None, wg=None, plan=None):
    return {"assessment_id": aid, "elevator_id": elevator_id, "applied_on": applied, "completed_on": completed,
            "conclusion": conclusion, "working_group_on": wg, "plan_on": plan}


def _hazard(hid="H1", severity="general", found="2024-03-01", deadline=None, rectified=None, listed=None, eid="E1"):
    return {"hazard_id": hid, "elevator_id": eid, "found_on": found, "source": "inspection", "severity": severity,
            "deadline": deadline, "rectified_on": rectified, "listed_on": listed}


# ---- SCREENING-COVERAGE and ASSESSMENT-AFFORDABLE ---------------------------------------------

def test_screening_window_is_the_12_months_ending_at_to(judge):
    e = [elevator("E1", **OLD), elevator("E2", **OLD), elevator("E3")]
    r = judge("2024-01-01", "2024-12-31", rules=["SCREENING-COVERAGE"], elevators=e, screenings=[
        {"elevator_id": "E1", "date": "2024-01-01", "risk_level": "low"},
        {"elevator_id": "E2", "date": "2023-12-31", "risk_level": "low"}])
    assert keys(r, "SCREENING-COVERAGE") == [("E2", "2024")]
    v = of(r, "SCREENING-COVERAGE")[0]
    assert v["responsible_role"] == "market_regulator" and v["responsible_org_id"] is None and v["severity"] == "notice"


def test_affordable_old_elevators_need_a_completed_assessment(judge):
    e = [elevator("E1", **OLD_AFFORDABLE), elevator("E2", **OLD_AFFORDABLE), elevator("E3", **OLD)]
    r = judge("2024-01-01", "2024-12-31", rules=["ASSESSMENT-AFFORDABLE"], elevators=e, assessments=[
        _assessment("A1", "E1", "2024-02-01", "2024-12-31"), _assessment("A2", "E2", "2024-11-01", "2025-01-05")])
    assert keys(r, "ASSESSMENT-AFFORDABLE") == [("E2", "2024")]


# ---- ASSESSMENT-AFTER-HIGH-RISK ----------------------------------------------------------------

def test_high_risk_application_due_on_day_30(judge):
    screening = [{"elevator_id": "E1", "date": "2024-03-01", "risk_level": "high"}]
    ok = judge("2024-01-01", "2024-12-31", rules=["ASSESSMENT-AFTER-HIGH-RISK"], screenings=screening,
               assessments=[_assessment(applied="2024-03-31")])
    assert of(ok, "ASSESSMENT-AFTER-HIGH-RISK") == []
    late = judge("2024-01-01", "2024-12-31", rules=["ASSESSMENT-AFTER-HIGH-RISK"], screenings=screening,
                 assessments=[_assessment(applied="2024-04-01")])
    [v] = of(late, "ASSESSMENT-AFTER-HIGH-RISK")
    assert v["period_key"] == "2024-03-01" and v["evidence"]["days_late"] == 1


def test_an_application_before_the_screening_does_not_fulfil_it(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["ASSESSMENT-AFTER-HIGH-RISK"],
              screenings=[{"elevator_id": "E1", "date": "2024-03-01", "risk_level": "high"}],
              assessments=[_assessment(applied="2024-02-28")])
    assert keys(r, "ASSESSMENT-AFTER-HIGH-RISK") == [("E1", "2024-03-01")]


def test_high_risk_needs_both_record_types(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["ASSESSMENT-AFTER-HIGH-RISK"],
              screenings=[{"elevator_id": "E1", "date": "2024-03-01", "risk_level": "high"}])
    assert status(r, "ASSESSMENT-AFTER-HIGH-RISK")["reason_en"] == "not evaluated: no assessments submitted"


# ---- ASSESSMENT-WORKGROUP ---------------------------------------------------------------------

def test_workgroup_and_plan_both_needed_by_day_60(judge):
    base = dict(applied="2024-01-01", completed="2024-03-01", conclusion="major_repair")
    ok = judge("2024-01-01", "2024-12-31", rules=["ASSESSMENT-WORKGROUP"],
               assessments=[_assessment(**base, wg="2024-04-01", plan="2024-04-30")])
    assert of(ok, "ASSESSMENT-WORKGROUP") == []
    late = judge("2024-01-01", "2024-12-31", rules=["ASSESSMENT-WORKGROUP"],
                 assessments=[_assessment(**base, wg="2024-04-01", plan="2024-05-01")])
    [v] = of(late, "ASSESSMENT-WORKGROUP")
    assert v["period_key"] == "A1" and v["evidence"]["due_on"] == "2024-04-30"
    no_plan = judge("2024-01-01", "2024-12-31", rules=["ASSESSMENT-WORKGROUP"],
                    assessments=[_assessment(**base, wg="2024-04-01")])
    assert keys(no_plan, "ASSESSMENT-WORKGROUP") == [("A1", "A1")]


def test_workgroup_only_for_major_works_and_only_once_completed(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["ASSESSMENT-WORKGROUP"], assessments=[
        _assessment("A1", applied="2024-01-01", completed="2024-02-01", conclusion="repair"),
        _assessment("A2", applied="2024-01-01", conclusion="replace"),
        _assessment("A3", applied="2024-01-01", completed="2024-02-01", conclusion="renovate")])
    assert keys(r, "ASSESSMENT-WORKGROUP") == [("A3", "A3")]


# ---- HAZARD-OVERDUE ----------------------------------------------------------------------------

def test_hazard_default_deadlines_by_severity(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["HAZARD-OVERDUE"], hazards=[
        _hazard("H1", "general", "2024-03-01", rectified="2024-03-31"),   # due 03-31: in time
        _hazard("H2", "general", "2024-03-01", rectified="2024-04-01"),   # a day late
        _hazard("H3", "major", "2024-03-01", rectified="2024-05-30"),     # due 05-30: in time
        _hazard("H4", "serious", "2024-03-01", rectified="2024-05-31")])  # a day late
    assert keys(r, "HAZARD-OVERDUE") == [("H2", "H2"), ("H4", "H4")]
    severities = {v["subject"]: v["severity"] for v in of(r, "HAZARD-OVERDUE")}
    assert severities == {"H2": "general", "H4": "serious"}


def test_hazard_own_deadline_always_wins(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["HAZARD-OVERDUE"], hazards=[
        _hazard("H1", "general", "2024-03-01", deadline="2024-03-10", rectified="2024-03-11"),
        _hazard("H2", "major", "2024-03-01", deadline="2024-12-31", rectified="2024-12-31")])
    assert keys(r, "HAZARD-OVERDUE") == [("H1", "H1")]


def test_hazard_settled_before_the_period_pending_and_open(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["HAZARD-OVERDUE"], hazards=[
        _hazard("H1", "general", "2023-10-01", rectified="2023-12-31"),   # late, settled before: not reported
        _hazard("H2", "general", "2023-10-01", rectified="2024-01-01"),   # late, settled in the period
        _hazard("H3", "general", "2024-12-15"),                             # due 2025-01-14: pending
        _hazard("H4", "general", "2024-12-15", rectified="2025-01-02"),   # due later, fulfilled later: neither
        _hazard("H5", "general", "2024-11-01"),                             # due 12-01, open: violation
        _hazard("H6", "general", "2025-01-02")])                            # found after to: nothing
    assert keys(r, "HAZARD-OVERDUE") == [("H2", "H2"), ("H5", "H5")]
    assert [(p["subject"], p["due_on"]) for p in r["pending"]] == [("H3", "2025-01-14")]


def test_hazards_of_stopped_elevators_count_but_not_scrapped_ones(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["HAZARD-OVERDUE"],
              elevators=[elevator("E1", status="stopped"), elevator("E2", status="scrapped")],
              hazards=[_hazard("H1", eid="E1"), _hazard("H2", eid="E2")])
    assert keys(r, "HAZARD-OVERDUE") == [("H1", "H1")]


# ---- HAZARD-LISTED -----------------------------------------------------------------------------

def test_major_and_serious_hazards_listed_within_15_days(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["HAZARD-LISTED"], hazards=[
        _hazard("H1", "major", "2024-03-01", listed="2024-03-16"),
        _hazard("H2", "major", "2024-03-01", listed="2024-03-17"),
        _hazard("H3", "serious", "2024-03-01"),
        _hazard("H4", "general", "2024-03-01")])
    assert keys(r, "HAZARD-LISTED") == [("H2", "H2"), ("H3", "H3")]
    v = of(r, "HAZARD-LISTED")[0]
    assert v["responsible_role"] == "district_government" and v["message_zh"].startswith("玄武区 隐患 H2")


# ---- HAZARD-SERIOUS-STOP ------------------------------------------------------------------------

def test_serious_hazard_stopped_from_the_next_day_until_rectification(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["HAZARD-SERIOUS-STOP"],
              hazards=[_hazard("H1", "serious", "2024-03-01", rectified="2024-03-20")],
              stop_periods=[{"elevator_id": "E1", "start": "2024-03-02", "end": "2024-03-19"}])
    assert of(r, "HAZARD-SERIOUS-STOP") == []


def test_serious_hazard_partly_covered_by_stops(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["HAZARD-SERIOUS-STOP"],
              hazards=[_hazard("H1", "serious", "2024-03-01", rectified="2024-03-20")],
              stop_periods=[{"elevator_id": "E1", "start": "2024-03-02", "end": "2024-03-05"},
                            {"elevator_id": "E1", "start": "2024-03-10", "end": "2024-03-19"}])
    [v] = of(r, "HAZARD-SERIOUS-STOP")
    assert v["evidence"]["first_unstopped_day"] == "2024-03-06" and v["evidence"]["unstopped_days"] == 4


def test_serious_hazard_unrectified_runs_to_the_period_end_and_status_is_not_a_stop(judge):
    r = judge("2024-01-01", "2024-03-31", rules=["HAZARD-SERIOUS-STOP"], elevators=[elevator(status="stopped")],
              hazards=[_hazard("H1", "serious", "2024-03-01")], stop_periods=[])
    [v] = of(r, "HAZARD-SERIOUS-STOP")
    assert v["evidence"]["first_unstopped_day"] == "2024-03-02" and v["evidence"]["unstopped_days"] == 30


def test_serious_hazard_only_days_inside_the_period(judge):
    r = judge("2024-03-10", "2024-03-31", rules=["HAZARD-SERIOUS-STOP"],
              hazards=[_hazard("H1", "serious", "2024-03-01", rectified="2024-03-15")],
              stop_periods=[{"elevator_id": "E1", "start": "2024-03-02", "end": "2024-03-05"}])
    [v] = of(r, "HAZARD-SERIOUS-STOP")
    assert v["evidence"]["first_unstopped_day"] == "2024-03-10" and v["evidence"]["unstopped_days"] == 5


def test_serious_stop_needs_stop_periods_submitted(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["HAZARD-SERIOUS-STOP"], hazards=[_hazard("H1", "serious")])
    assert status(r, "HAZARD-SERIOUS-STOP")["evaluated"] is False


# ---- FUND-EMERGENCY-BASIS ------------------------------------------------------------------------

def _fund(app="F1", applied="2024-03-01", aid="A1", channel="emergency", eid="E1"):
    return {"application_id": app, "elevator_id": eid, "applied_on": applied, "channel": channel, "assessment_id": aid}


def test_fund_with_a_sound_basis_passes_and_exactly_12_months_is_allowed(judge):
    good = _assessment("A1", applied="2023-01-01", completed="2023-03-01", plan="2023-04-01")
    r = judge("2024-01-01", "2024-12-31", rules=["FUND-EMERGENCY-BASIS"], elevators=[elevator("E1")],
              assessments=[good], fund_applications=[_fund(applied="2024-03-01")])
    assert of(r, "FUND-EMERGENCY-BASIS") == []
    r = judge("2024-01-01", "2024-12-31", rules=["FUND-EMERGENCY-BASIS"], assessments=[good],
              fund_applications=[_fund(applied="2024-03-02")])
    [v] = of(r, "FUND-EMERGENCY-BASIS")
    assert v["evidence"]["unmet"] == ["report_recent"]
    assert v["message_en"].endswith("lacks a basis: the report is more than 12 months old")


def test_fund_lists_every_unmet_prerequisite(judge):
    reports = [_assessment("A1", "E2", "2024-01-01", "2024-02-01", plan="2024-02-10"),
               _assessment("A3", "E1", "2024-01-01", "2024-04-01")]
    r = judge("2024-01-01", "2024-12-31", rules=["FUND-EMERGENCY-BASIS"], elevators=[elevator("E1"), elevator("E2")],
              assessments=reports, fund_applications=[
                  _fund("F1", aid="A1"), _fund("F2", aid="NOPE"), _fund("F3", aid=None), _fund("F4", aid="A3"),
                  _fund("F5", aid=None, channel="ordinary"), _fund("F6", aid=None, applied="2023-12-31")])
    unmet = {v["subject"]: v["evidence"]["unmet"] for v in of(r, "FUND-EMERGENCY-BASIS")}
    assert unmet == {"F1": ["same_elevator"], "F2": ["report_exists"], "F3": ["report_exists"],
                     "F4": ["report_completed", "plan_ready"]}


# ---- closed-loop rate -----------------------------------------------------------------------------

def test_closed_loop_rate_per_district(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["HAZARD-OVERDUE"],
              elevators=[elevator("E1"), elevator("E2", district="鼓楼区")], hazards=[
                  _hazard("H1", found="2023-11-01", rectified="2023-12-01"),   # closed before: excluded
                  _hazard("H2", found="2023-11-01", rectified="2024-02-01"),   # closed in the period
                  _hazard("H3", found="2024-05-01"),                            # open
                  _hazard("H4", found="2024-05-01", rectified="2025-01-10", eid="E2"),  # closed after to: open
                  _hazard("H5", found="2024-05-01", rectified="2024-05-02", eid="E2")])
    loop = r["metrics"]["closed_loop_rate"]
    assert loop["overall"] == {"hazards": 4, "closed": 2, "rate": 0.5}
    assert loop["by_district"] == {"玄武区": {"hazards": 2, "closed": 1, "rate": 0.5},
                                   "鼓楼区": {"hazards": 2, "closed": 1, "rate": 0.5}}


def test_fund_evidence_gives_each_prerequisite_held_failed_or_not_judged(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["FUND-EMERGENCY-BASIS"], elevators=[elevator("E1")],
              assessments=[_assessment("A3", "E1", "2024-01-01", "2024-04-01")],
              fund_applications=[_fund("F1", aid="A3"), _fund("F2", aid=None)])
    status = {v["subject"]: v["evidence"]["prerequisites"] for v in of(r, "FUND-EMERGENCY-BASIS")}
    assert status["F1"] == {"report_exists": True, "same_elevator": True, "report_completed": False,
                            "report_recent": None, "plan_ready": False}
    assert status["F2"] == {"report_exists": False, "same_elevator": None, "report_completed": None,
                            "report_recent": None, "plan_ready": None}
