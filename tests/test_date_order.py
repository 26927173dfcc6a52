"""Dates that must come in order (records.md): each order check named, with its exact message.

Issue 16: deleting the check that a rescue cannot be released before help arrived broke no test.
Each check here is pinned on its own (the others hold in its records), on both sides of equality.
"""

from __future__ import annotations

from conftest import ORGANIZATIONS, elevator, write_submission
from checker.load import load_submission
from checker.validate import validate


def _entrapment(reported: str, arrived: str, released: str) -> dict:
    return {"incident_id": "K1", "elevator_id": "E1", "reported_at": reported, "arrived_at": arrived,
            "released_at": released, "trapped": 1}


def _problems(tmp_path, **tables):
    write_submission(tmp_path, {"organizations": ORGANIZATIONS, "elevators": [elevator("E1")], **tables})
    sub = validate(load_submission(tmp_path))
    return sub, list(zip(sub.problems.get_column("message_en").to_list(), sub.problems.get_column("message_zh").to_list()))


def test_a_rescue_released_before_help_arrived_is_refused(tmp_path):
    sub, problems = _problems(tmp_path, entrapments=[_entrapment("2024-01-01T10:00", "2024-01-01T10:20", "2024-01-01T10:19")])
    assert problems == [(
        'entrapments.csv line 2, field released_at (解困时间), value "2024-01-01T10:19": released_at is before arrived_at',
        "entrapments.csv 第 2 行，字段 released_at（解困时间）值「2024-01-01T10:19」：解困时间早于救援到达时间",
    )]
    assert sub.error_count == 1 and sub.table("entrapments").height == 0


def test_a_rescue_released_before_the_alarm_is_refused_with_the_alarm_named(tmp_path):
    # released before reported (and so before arrival too): one problem per cell, the first order
    # it breaks in records.md's list (reported → arrived → released)
    sub, problems = _problems(tmp_path, entrapments=[_entrapment("2024-01-01T10:00", "2024-01-01T10:20", "2024-01-01T09:59")])
    assert problems == [(
        'entrapments.csv line 2, field released_at (解困时间), value "2024-01-01T09:59": released_at is before reported_at',
        "entrapments.csv 第 2 行，字段 released_at（解困时间）值「2024-01-01T09:59」：解困时间早于报警时间",
    )]
    assert sub.error_count == 1


def test_release_at_the_moment_of_arrival_and_arrival_at_the_alarm_are_in_order(tmp_path):
    sub, problems = _problems(tmp_path, entrapments=[_entrapment("2024-01-01T10:00", "2024-01-01T10:00", "2024-01-01T10:00")])
    assert problems == [] and sub.table("entrapments").height == 1


def test_a_stop_resumed_on_the_day_it_began_is_in_order_and_the_day_before_is_not(tmp_path):
    sub, problems = _problems(tmp_path, stop_periods=[{"elevator_id": "E1", "start": "2024-01-05", "end": "2024-01-05"},
                                                      {"elevator_id": "E1", "start": "2024-02-05", "end": "2024-02-04"}])
    assert problems == [(
        'stop_periods.csv line 3, field end (恢复使用日期), value "2024-02-04": end is before start',
        "stop_periods.csv 第 3 行，字段 end（恢复使用日期）值「2024-02-04」：恢复使用日期早于停用日期",
    )]
    assert sub.table("stop_periods").get_column("start").cast(str).to_list() == ["2024-01-05"]


# ---- Revision 3 (records.md): the call to the rescuers, the fund decision, the funding plan, works ----

def test_the_call_to_the_rescuers_lies_between_the_alarm_and_their_arrival(tmp_path):
    base = {"incident_id": "K1", "elevator_id": "E1", "reported_at": "2024-01-01T10:00", "arrived_at": "2024-01-01T10:20"}
    sub, problems = _problems(tmp_path, entrapments=[
        base | {"notified_at": "2024-01-01T09:59"},
        base | {"incident_id": "K2", "notified_at": "2024-01-01T10:21"},
        base | {"incident_id": "K3", "notified_at": "2024-01-01T10:00"},
        base | {"incident_id": "K4", "notified_at": "2024-01-01T10:20"}])
    assert problems == [
        ('entrapments.csv line 2, field notified_at (通知救援单位时间), value "2024-01-01T09:59": notified_at is before reported_at',
         "entrapments.csv 第 2 行，字段 notified_at（通知救援单位时间）值「2024-01-01T09:59」：通知救援单位时间早于报警时间"),
        ('entrapments.csv line 3, field arrived_at (救援到达时间), value "2024-01-01T10:20": arrived_at is before notified_at',
         "entrapments.csv 第 3 行，字段 arrived_at（救援到达时间）值「2024-01-01T10:20」：救援到达时间早于通知救援单位时间"),
    ]
    assert sub.table("entrapments").get_column("incident_id").to_list() == ["K3", "K4"]


def test_a_fund_decision_comes_with_its_date_and_not_before_the_application(tmp_path):
    app = {"application_id": "F1", "elevator_id": "E1", "applied_on": "2024-03-01", "channel": "emergency"}
    sub, problems = _problems(tmp_path, fund_applications=[
        app | {"decided_on": "2024-02-29", "decision": "approved"},
        app | {"application_id": "F2", "decided_on": "2024-03-05"},
        app | {"application_id": "F3", "decision": "rejected"},
        app | {"application_id": "F4", "decided_on": "2024-03-01", "decision": "returned"}])
    assert problems == [
        ('fund_applications.csv line 2, field decided_on (审批日期), value "2024-02-29": decided_on is before applied_on',
         "fund_applications.csv 第 2 行，字段 decided_on（审批日期）值「2024-02-29」：审批日期早于申请日期"),
        ('fund_applications.csv line 3, field decision (审批结果), value "": decided_on is given, so decision is required',
         "fund_applications.csv 第 3 行，字段 decision（审批结果）值「」：填写了审批日期（decided_on），审批结果也必须填写"),
        ('fund_applications.csv line 4, field decision (审批结果), value "rejected": decision is given without decided_on',
         "fund_applications.csv 第 4 行，字段 decision（审批结果）值「rejected」：没有审批日期（decided_on）时不能填写审批结果"),
    ]
    assert sub.table("fund_applications").get_column("application_id").to_list() == ["F4"]


def test_a_funding_plan_before_the_report_and_works_finished_before_they_began_are_refused(tmp_path):
    sub, problems = _problems(
        tmp_path,
        assessments=[{"assessment_id": "A1", "elevator_id": "E1", "applied_on": "2024-01-01", "completed_on": "2024-02-01",
                      "conclusion": "repair", "funding_plan_on": "2024-01-31"},
                     {"assessment_id": "A2", "elevator_id": "E1", "applied_on": "2024-01-01", "completed_on": "2024-02-01",
                      "conclusion": "repair", "funding_plan_on": "2024-02-01"}],
        works=[{"work_id": "W1", "elevator_id": "E1", "kind": "repair", "started_on": "2024-05-02", "completed_on": "2024-05-01"},
               {"work_id": "W2", "elevator_id": "E1", "kind": "renovate", "started_on": "2024-05-02",
                "completed_on": "2024-05-02", "funding": "维修资金;fiscal_subsidy"}])
    assert problems == [
        ('assessments.csv line 2, field funding_plan_on (费用筹集方案日期), value "2024-01-31": funding_plan_on is before completed_on',
         "assessments.csv 第 2 行，字段 funding_plan_on（费用筹集方案日期）值「2024-01-31」：费用筹集方案日期早于报告日期"),
        ('works.csv line 2, field completed_on (竣工日期), value "2024-05-01": completed_on is before started_on',
         "works.csv 第 2 行，字段 completed_on（竣工日期）值「2024-05-01」：竣工日期早于开工日期"),
    ]
    assert sub.table("works").get_column("funding").to_list() == [["maintenance_fund", "fiscal_subsidy"]]
