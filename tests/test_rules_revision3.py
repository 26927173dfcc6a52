"""Revision 3 of the rules (rules.md R3-1 … R3-8 and the amendments R3-A): every verdict on the law
that lays the duty, on the right party, and points only where the law sets the limit.

Each test states one reading of the spec with the exact values it implies, worked out by hand."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from conftest import FIRM, MAINTAINER, MAKER, ORGANIZATIONS, elevator, keys, of, status, visits
from checker.errors import LiftcheckError
from checker.ledger import open_ledger, totals
from checker.credit import load_schedule

OLD = "2005-06-01"      # in use 15 years or more throughout 2024
STAR4 = "91320100MA1STAR04X"
ORGS = ORGANIZATIONS + [{"org_id": STAR4, "name": "戊电梯工程有限公司", "kind": "maintenance_unit", "maintenance_star": 4}]


def _trap(incident="K1", reported="2024-03-01T10:00:00", notified=None, arrived=None, cause=None, rescuer=None):
    return {"incident_id": incident, "elevator_id": "E1", "reported_at": reported, "notified_at": notified,
            "arrived_at": arrived, "cause": cause, "rescue_unit_id": rescuer}


def _deductions(report) -> dict[str, dict]:
    return {i["fingerprint"]: i for f in report["credit"] for i in [*f["items"], *f["provisional_items"]]}


# ---- R3-2, R3-A 2: two duties, two parties --------------------------------------------------------------

@pytest.mark.parametrize("arrived,found", [("2024-03-01T10:35:00", []), ("2024-03-01T10:35:01", [("K1", "K1")])])
def test_rescue_arrival_is_clocked_from_the_call_and_30_00_is_in_time(judge, arrived, found):
    r = judge("2024-03-01", "2024-03-31", rules=["RESCUE-ARRIVAL"],
              entrapments=[_trap(notified="2024-03-01T10:05:00", arrived=arrived)])
    assert keys(r, "RESCUE-ARRIVAL") == found and status(r, "RESCUE-ARRIVAL")["cases"] == 1


def test_rescue_arrival_charges_the_maintenance_unit_of_the_day_and_no_firm(judge):
    r = judge("2024-03-01", "2024-03-31", rules=["RESCUE-ARRIVAL"], organizations=ORGS,
              maintenance=[{"elevator_id": "E1", "date": "2024-02-10", "maintenance_unit_id": MAINTAINER, "kind": "half_month"},
                           {"elevator_id": "E1", "date": "2024-02-29", "maintenance_unit_id": STAR4, "kind": "half_month"},
                           {"elevator_id": "E1", "date": "2024-03-02", "maintenance_unit_id": MAINTAINER, "kind": "half_month"}],
              entrapments=[_trap(notified="2024-03-01T10:01:00", arrived="2024-03-01T10:45:00", rescuer=MAKER)])
    [v] = of(r, "RESCUE-ARRIVAL")
    assert (v["responsible_role"], v["responsible_org_id"], v["responsible_name"]) == \
        ("maintenance_unit", STAR4, "戊电梯工程有限公司")
    assert v["clause"] == "《中华人民共和国特种设备安全法》第四十五条" and v["draft"] == "四（一）、四（四）"
    assert v["identity_day"] == "2024-03-01" and v["depends_on"] == ["rescue.max_arrival_minutes"]
    assert (v["evidence"]["arrival_seconds"], v["evidence"]["registered_maintenance_unit_id"],
            v["evidence"]["rescue_unit_id"]) == (2640, MAINTAINER, MAKER)
    assert v["message_zh"].startswith("维保单位 戊电梯工程有限公司 到场超时：困人事件 K1（电梯 E1）2024-03-01 10:01:00 通知救援，"
                                      "2024-03-01 10:45:00 到达，用时 44 分 00 秒，超过 30 分钟")
    assert r["credit"] == []


def test_without_a_call_time_an_arrival_in_time_of_the_alarm_passes_and_anything_else_is_unjudged(judge):
    r = judge("2024-03-01", "2024-03-31", rules=["RESCUE-ARRIVAL", "RESCUE-COORDINATION"],
              entrapments=[_trap("K1", arrived="2024-03-01T10:04:00"), _trap("K2", arrived="2024-03-01T10:30:00"),
                           _trap("K3", arrived="2024-03-01T10:30:01"), _trap("K4")])
    assert of(r, "RESCUE-ARRIVAL") == [] and of(r, "RESCUE-COORDINATION") == []
    listed = sorted((u["rules"][0], u["subject"], u["reason_zh"][:9]) for u in r["unjudged"])
    # arrival: K1 and K2 (≤ 30 min of the alarm) are in time; coordination: only K1 (≤ 5 min) proves the call
    assert listed == [("RESCUE-ARRIVAL", "K3", "未记录通知救援时间"), ("RESCUE-ARRIVAL", "K4", "未记录通知救援时间"),
                      ("RESCUE-COORDINATION", "K2", "未记录通知救援时间"), ("RESCUE-COORDINATION", "K3", "未记录通知救援时间"),
                      ("RESCUE-COORDINATION", "K4", "未记录通知救援时间")]
    assert (status(r, "RESCUE-ARRIVAL")["cases"], status(r, "RESCUE-COORDINATION")["cases"]) == (2, 1)
    assert r["summary"]["unjudged"] == 5


@pytest.mark.parametrize("notified,found", [("2024-03-01T10:05:00", []), ("2024-03-01T10:05:01", [("K1", "K1")])])
def test_rescue_coordination_is_the_use_units_call_within_five_minutes(judge, notified, found):
    r = judge("2024-03-01", "2024-03-31", rules=["RESCUE-COORDINATION"], entrapments=[_trap(notified=notified)])
    assert keys(r, "RESCUE-COORDINATION") == found


# ---- R3-6, R3-A 6: credit only where the law sets the limit --------------------------------------------

def test_a_deduction_resting_on_an_interpretation_is_provisional_and_never_counted(judge):
    r = judge("2024-03-01", "2024-03-31", rules=["RESCUE-COORDINATION"],
              entrapments=[_trap(notified="2024-03-01T10:20:00")])
    [firm] = r["credit"]
    [item] = firm["provisional_items"]
    assert (firm["items"], firm["points"], item["points"], item["status"]) == ([], 0, 3, "provisional")
    assert item["provisional_zh"] == [
        "依据的《关于进一步加强老旧住宅电梯安全评估及整治工作的意见》（征求意见稿）尚未施行（未设定施行日期）",
        "依据解释性参数 rescue.notify_within_minutes（未经正式采纳）"]
    assert (r["summary"]["credit_points"], r["summary"]["provisional_points"], r["summary"]["provisional_deductions"],
            r["summary"]["firms_with_provisional"], r["summary"]["firms_with_deductions"]) == (0, 3, 1, 1, 0)


def test_adoption_charges_only_breaches_from_its_commencement_on(judge):
    adopted = {"2024-01-01": 5, "2024-03-02": {"value": 5, "adopted_by": {
        "document": "关于困人救援通知时限的通知", "number": "宁市监规〔2024〕1号", "date": "2024-02-20"}}}
    r = judge("2024-03-01", "2024-03-31", rules=["RESCUE-COORDINATION"],
              params={"opinion.in_force_from": "2024-01-01", "rescue.notify_within_minutes": adopted},
              entrapments=[_trap("K1", reported="2024-03-01T10:00:00", notified="2024-03-01T10:20:00"),
                           _trap("K2", reported="2024-03-02T10:00:00", notified="2024-03-02T10:20:00")])
    state = {i["subject"]: i["status"] for i in _deductions(r).values()}
    assert state == {"K1": "provisional", "K2": "charged"}
    assert r["adoptions"] == [{"parameter": "rescue.notify_within_minutes", "from": "2024-03-02", "value": 5,
                               "document": "关于困人救援通知时限的通知", "number": "宁市监规〔2024〕1号", "date": "2024-02-20"}]


def test_an_adoption_dated_after_its_commencement_is_refused(judge):
    adopted = {"2024-03-02": {"value": 5, "adopted_by": {"document": "通知", "number": "宁市监规〔2024〕1号",
                                                          "date": "2024-03-10"}}}
    with pytest.raises(LiftcheckError) as err:
        judge("2024-03-01", "2024-03-31", params={"rescue.notify_within_minutes": adopted})
    assert err.value.en == ("参数: parameter rescue.notify_within_minutes: the adopting document 宁市监规〔2024〕1号 is dated "
                            "2024-03-10, after the value takes effect on 2024-03-02; an adoption is never retroactive")


def test_a_hazards_own_deadline_rests_on_the_law_the_default_on_an_interpretation(judge):
    r = judge("2024-01-01", "2024-12-31", rules=["HAZARD-OVERDUE"],
              hazards=[{"hazard_id": "H1", "elevator_id": "E1", "found_on": "2024-01-05", "source": "inspection",
                        "severity": "general", "deadline": "2024-01-20"},
                       {"hazard_id": "H2", "elevator_id": "E1", "found_on": "2024-01-05", "source": "inspection",
                        "severity": "general"}])
    by = {v["subject"]: v for v in of(r, "HAZARD-OVERDUE")}
    assert (by["H1"]["depends_on"], by["H2"]["depends_on"]) == ([], ["hazard.deadline_days.general"])
    assert by["H1"]["clause"] == "《中华人民共和国特种设备安全法》第四十二条"
    state = {i["subject"]: i["status"] for i in _deductions(r).values()}
    assert state == {"H1": "charged", "H2": "provisional"}
    assert r["summary"]["credit_points"] == 2 and r["summary"]["provisional_points"] == 2


@pytest.mark.parametrize("month,state", [("2023-05", "provisional"), ("2023-06", "charged")])
def test_the_cadence_rules_charge_from_the_commencement_of_samr_order_74(judge, month, state):
    first = dt.date.fromisoformat(month + "-01")
    last = (first + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
    checks = [{"elevator_id": "E1", "date": (first + dt.timedelta(days=k)).isoformat(), "inspector": "王伟"}
              for k in range((last - first).days + 1) if k != 19]
    r = judge(first.isoformat(), last.isoformat(), rules=["DAILY-CHECK"], daily_checks=checks)
    [v] = of(r, "DAILY-CHECK")
    assert (v["identity_day"], v["clause"]) == (first.isoformat(),
                                                "《特种设备使用单位落实使用安全主体责任监督管理规定》（国家市场监督管理总局令第74号）")
    [item] = _deductions(r).values()
    assert item["status"] == state
    if state == "provisional":
        assert item["provisional_zh"] == [
            "依据的《特种设备使用单位落实使用安全主体责任监督管理规定》（国家市场监督管理总局令第74号）于 2023-05-05 施行，"
            "晚于违规日 2023-05-01"]


def test_old_boundary_matters_only_on_the_15th_anniversary(judge):
    # commissioned 2009-03-01: a high-risk screening on 2024-03-01 (the anniversary) reads old.boundary; one the
    # day after does not
    e = elevator("E1", commissioned_on="2009-03-01")
    r = judge("2024-01-01", "2024-12-31", rules=["ASSESSMENT-AFTER-HIGH-RISK"], elevators=[e],
              screenings=[{"elevator_id": "E1", "date": "2024-03-01", "risk_level": "high"},
                          {"elevator_id": "E1", "date": "2024-03-02", "risk_level": "high"}], assessments=[])
    reads = {v["period_key"]: v["depends_on"] for v in of(r, "ASSESSMENT-AFTER-HIGH-RISK")}
    assert reads == {"2024-03-01": ["assessment.apply_within_days", "old.boundary", "old.min_age_years"],
                     "2024-03-02": ["assessment.apply_within_days", "old.min_age_years"]}


# ---- R3-3: the fund review and the housing department's own duty ----------------------------------------

def _fund(decided=None, decision=None, basis="A1", applied="2024-03-01"):
    return {"application_id": "F1", "elevator_id": "E1", "applied_on": applied, "channel": "emergency",
            "assessment_id": basis, "decided_on": decided, "decision": decision}


REPORT = {"assessment_id": "A1", "elevator_id": "E1", "applied_on": "2023-12-01", "completed_on": "2024-01-10",
          "conclusion": "major_repair"}


@pytest.mark.parametrize("decided,decision,found", [
    ("2024-03-08", "approved", []), ("2024-03-08", "rejected", []), ("2024-03-09", "approved", [("F1", "F1")]),
    ("2024-03-02", "returned", [("F1", "F1")]), (None, None, [("F1", "F1")])])
def test_a_well_founded_application_is_decided_within_seven_days_and_a_return_is_no_decision(
        judge, decided, decision, found):
    r = judge("2024-01-01", "2024-12-31", rules=["FUND-DECISION-TIME"], elevators=[elevator("E1", commissioned_on=OLD)],
              assessments=[REPORT], fund_applications=[_fund(decided, decision)])
    assert keys(r, "FUND-DECISION-TIME") == found
    assert [(v["responsible_role"], v["severity"]) for v in of(r, "FUND-DECISION-TIME")] == \
        [("housing_department", "notice")] * len(found)


def test_the_fund_basis_is_a_review_listed_in_the_report_never_a_violation(judge):
    r = judge("2024-01-01", "2024-12-31", elevators=[elevator("E1", commissioned_on=OLD)], assessments=[REPORT],
              fund_applications=[_fund(basis=None)])
    assert "FUND-EMERGENCY-BASIS" not in {v["rule_id"] for v in r["violations"]}
    [review] = r["fund_reviews"]
    assert (review["application_id"], review["well_founded"], review["unmet"], review["unmet_zh"]) == \
        ("F1", False, ["report_exists"], "没有有效的评估报告（未填写或不存在）")
    assert [c["status"] for c in review["prerequisites"]] == ["fails", "not_judged", "not_judged", "not_judged", "not_judged"]
    # not well founded: FUND-DECISION-TIME has nothing to judge
    assert status(r, "FUND-DECISION-TIME")["cases"] == 0


def test_the_retired_rule_id_is_explained_wherever_it_is_named(judge, tmp_path):
    with pytest.raises(LiftcheckError) as err:
        judge("2024-01-01", "2024-12-31", rules=["FUND-EMERGENCY-BASIS"])
    assert err.value.zh.startswith("规则 FUND-EMERGENCY-BASIS 已于修订三（R3-3）改为审核")
    overlay = tmp_path / "草稿"
    overlay.mkdir()
    (overlay / "FUND-EMERGENCY-BASIS.yaml").write_text("id: FUND-EMERGENCY-BASIS\ndisabled: true\nreason: 不再需要\n",
                                                       encoding="utf-8")
    from checker.rulebook import load_rulebook

    with pytest.raises(LiftcheckError) as err:
        load_rulebook(overlay)
    assert err.value.en.endswith("rule FUND-EMERGENCY-BASIS was retired to a review by Revision 3 (R3-3): the assessment "
                                 "report qualifies an application for the emergency channel, it lays no duty on the applicant; "
                                 "see liftcheck fund-check and the report's fund_reviews, and FUND-DECISION-TIME for the "
                                 "housing department's decision time; there is nothing to disable")


# ---- R3-4, R3-A 3: affordable housing ---------------------------------------------------------------------

def test_affordable_housing_the_town_plans_the_funding_and_the_regulator_assesses(judge):
    aff = elevator("E1", commissioned_on=OLD, affordable_housing="是", subdistrict="梅园街道")
    r = judge("2024-01-01", "2024-12-31", elevators=[aff],
              rules=["ASSESSMENT-WORKGROUP", "AFFORDABLE-FUNDING-PLAN", "ASSESSMENT-AFTER-HIGH-RISK", "HAZARD-OVERDUE"],
              screenings=[{"elevator_id": "E1", "date": "2024-01-02", "risk_level": "high"}],
              assessments=[{"assessment_id": "A1", "elevator_id": "E1", "applied_on": "2024-03-01",
                            "completed_on": "2024-03-10", "conclusion": "renovate"}],
              hazards=[{"hazard_id": "H1", "elevator_id": "E1", "found_on": "2024-03-10", "source": "assessment",
                        "assessment_id": "A1", "severity": "major", "deadline": "2024-04-10"}])
    assert (status(r, "ASSESSMENT-WORKGROUP")["cases"], of(r, "ASSESSMENT-WORKGROUP")) == (0, [])
    [plan] = of(r, "AFFORDABLE-FUNDING-PLAN")
    assert (plan["responsible_role"], plan["responsible_name"], plan["evidence"]["due_on"]) == \
        ("town_government", "梅园街道", "2024-05-09")
    [late] = of(r, "ASSESSMENT-AFTER-HIGH-RISK")
    assert (late["responsible_role"], late["clause"]) == \
        ("market_regulator", "《关于进一步加强老旧住宅电梯安全评估及整治工作的意见》（征求意见稿）四（五）")
    [hazard] = of(r, "HAZARD-OVERDUE")
    assert hazard["responsible_role"] == "use_unit"   # 第四十二条 binds the use unit, whoever funds the works


# ---- R3-5, R3-A 4: completion, screening with inspection, repair after a fault ----------------------------

@pytest.mark.parametrize("completed,found", [("2024-05-30", []), ("2024-05-31", [("A1", "A1")]), (None, [("A1", "A1")])])
def test_an_assessment_applied_for_is_completed_within_ninety_days_by_the_town(judge, completed, found):
    r = judge("2024-01-01", "2024-12-31", rules=["ASSESSMENT-COMPLETION"],
              elevators=[elevator("E1", commissioned_on=OLD, subdistrict="梅园街道")],
              assessments=[{"assessment_id": "A1", "elevator_id": "E1", "applied_on": "2024-03-01", "completed_on": completed,
                            "conclusion": "repair" if completed else None}])
    assert keys(r, "ASSESSMENT-COMPLETION") == found
    for v in of(r, "ASSESSMENT-COMPLETION"):
        assert (v["responsible_role"], v["responsible_name"], v["identity_day"]) == \
            ("town_government", "梅园街道", "2024-03-01")


@pytest.mark.parametrize("screened,found", [("2024-02-09", []), ("2024-02-08", [("E1", "2024-03-10")]),
                                            ("2024-04-09", []), ("2024-04-10", [("E1", "2024-03-10")])])
def test_a_screening_goes_with_each_inspection_within_thirty_days_either_side(judge, screened, found):
    r = judge("2024-01-01", "2024-12-31", rules=["SCREENING-AT-INSPECTION"],
              elevators=[elevator("E1", commissioned_on=OLD)],
              inspections=[{"elevator_id": "E1", "date": "2024-03-10", "conclusion": "pass", "next_due": "2025-03-09"}],
              screenings=[{"elevator_id": "E1", "date": screened, "risk_level": "low"}])
    assert keys(r, "SCREENING-AT-INSPECTION") == found


def test_an_elevator_turning_15_in_december_is_not_called_never_screened(judge):
    """R3-5's own example: SCREENING-COVERAGE's rolling window judged it on 31 December; its inspections of
    the year were not inspections of an old elevator."""
    r = judge("2024-01-01", "2024-12-31", rules=["SCREENING-AT-INSPECTION"],
              elevators=[elevator("E1", commissioned_on="2009-12-01")],
              inspections=[{"elevator_id": "E1", "date": "2024-03-10", "conclusion": "pass"}], screenings=[])
    assert (of(r, "SCREENING-AT-INSPECTION"), status(r, "SCREENING-AT-INSPECTION")["cases"]) == ([], 0)


def test_a_device_fault_that_trapped_passengers_is_repaired_in_time_and_an_unknown_cause_is_unjudged(judge):
    r = judge("2024-05-01", "2024-12-31", rules=["DEFECT-REPAIR"],
              entrapments=[_trap("K1", reported="2024-05-01T10:00:00", cause="device_fault"),
                           _trap("K2", reported="2024-05-02T10:00:00", cause="power_cut"),
                           _trap("K3", reported="2024-05-03T10:00:00", cause="unknown"),
                           _trap("K4", reported="2024-05-04T10:00:00"),
                           _trap("K5", reported="2024-04-20T10:00:00")],   # before the period: not this sweep's case
              maintenance=visits("E1", ["2024-05-05"], kind="repair"))
    [v] = of(r, "DEFECT-REPAIR")
    assert (v["subject"], v["period_key"], v["identity_day"], v["evidence"]["due_on"], v["evidence"]["fulfilled_on"]) == \
        ("E1", "K1", "2024-05-01", "2024-05-04", "2024-05-05")
    assert sorted((u["period_key"], u["reason_zh"][:7]) for u in r["unjudged"]) == [("K3", "困人原因未记录"), ("K4", "困人原因未记录")]
    assert status(r, "DEFECT-REPAIR")["cases"] == 1


# ---- R3-7, R3-A 1: the history a submission holds, and the ledger that keeps it ---------------------------

def test_a_ledger_keeps_the_earliest_declared_start_and_judges_later_submissions_from_it(tmp_path):
    from click.testing import CliRunner

    from checker.cli import main
    from conftest import write_submission

    ledger = tmp_path / "credit.sqlite"
    checks = [{"elevator_id": "E1", "date": f"2024-02-{d:02d}", "inspector": "王伟"} for d in range(10, 30)]
    for n, (declared, start, end) in enumerate([("2024-01-01", "2024-01-01", "2024-01-31"),
                                                ("2024-02-10", "2024-02-01", "2024-02-29")]):
        folder = write_submission(tmp_path / f"s{n}", {"organizations": ORGANIZATIONS, "elevators": [elevator()],
                                                       "daily_checks": checks})
        (folder / "submission.yaml").write_text(f"records_from:\n  daily_checks: {declared}\n", encoding="utf-8")
        result = CliRunner().invoke(main, ["check", str(folder), "--from", start, "--to", end, "--format", "json",
                                           "-o", str(tmp_path / f"r{n}.json"), "--ledger", str(ledger)])
        assert result.exit_code == 1, result.output
    import json

    february = json.loads((tmp_path / "r1.json").read_text(encoding="utf-8"))
    # the second submission declares 2024-02-10, but the ledger holds 2024-01-01 for the firm: February 1–9 are
    # missing days, not days before the history
    [v] = of(february, "DAILY-CHECK")
    assert v["evidence"]["missing_dates"][:2] == ["2024-02-01", "2024-02-02"] and v["evidence"]["missing_days"] == 9
    assert [u for u in february["unjudged"] if u["span_from"]] == []
    with sqlite3.connect(ledger) as conn:
        assert conn.execute("SELECT use_unit_id, record_type, records_from FROM declared_starts").fetchall() == \
            [(FIRM, "daily_checks", "2024-01-01")]


# ---- R3-6, R3-A 6: the ledger holds charged deductions only, proposed until the objection window has passed --

def test_the_ledger_records_charged_deductions_as_proposed_then_final(judge, tmp_path):
    checks = [{"elevator_id": "E1", "date": f"2024-01-{d:02d}", "inspector": "王伟"} for d in range(1, 32) if d != 15]
    r = judge("2024-01-01", "2024-01-31", rules=["DAILY-CHECK", "RESCUE-COORDINATION"], daily_checks=checks,
              entrapments=[_trap(reported="2024-01-05T10:00:00", notified="2024-01-05T10:20:00")])
    target = str(tmp_path / "ledger.sqlite")
    with open_ledger(target) as ledger:
        assert ledger.record_sweep(r) == 1            # DAILY-CHECK; RESCUE-COORDINATION is provisional
        rows = ledger.deductions()
    [row] = rows
    assert (row["rule_id"], row["identity_day"]) == ("DAILY-CHECK", "2024-01-01")
    told = dt.date.fromisoformat(row["notified_on"])
    schedule = load_schedule()
    [firm] = totals(rows, schedule, today=told + dt.timedelta(days=15))
    assert (firm["points"], firm["proposed_points"], firm["final_points"]) == (1, 1, 0)
    [firm] = totals(rows, schedule, today=told + dt.timedelta(days=16))
    assert (firm["points"], firm["proposed_points"], firm["final_points"]) == (1, 0, 1)
