"""Tests that kill the rule-book mutants the other tests let through (tools/mutate_rules.py).

Each test pins one behaviour of rules/*.yaml that a one-token change to a condition, a parameter
default or a credit point would alter, and asserts the exact verdicts through the real pipeline:
rule, subject, period_key, responsible party, severity and the evidence that decides. Defaults
are used wherever the parameter itself is what a mutant changes.
"""

from __future__ import annotations

from conftest import FIRM, elevator, of
from test_rules_assessment_hazard_fund import _assessment, _hazard
from test_rules_revision2 import everything

OLD = dict(commissioned_on="2005-01-01")


def verdicts(report: dict, rule_id: str) -> list[tuple]:
    """(subject, period_key, responsible_role, severity, clause) of each violation of a rule."""
    return sorted((v["subject"], v["period_key"], v["responsible_role"], v["severity"], v["clause"])
                  for v in of(report, rule_id))


# ---- HAZARD-OVERDUE ----------------------------------------------------------------------------

def test_hazard_overdue_takes_each_severitys_own_default_deadline(judge):
    """A major hazard is due after hazard.deadline_days.major, a serious one after ...serious: the
    two defaults are both 90, so give them different values to see which one each severity reads."""
    hazards = [_hazard("HG", "general"), _hazard("HM", "major"), _hazard("HS", "serious")]
    r = judge("2024-01-01", "2024-12-31", rules=["HAZARD-OVERDUE"], elevators=[elevator("E1", **OLD)],
              hazards=hazards, params={"hazard.deadline_days.general": 10, "hazard.deadline_days.major": 20,
                                       "hazard.deadline_days.serious": 40})
    due = {v["subject"]: v["evidence"]["due_on"] for v in of(r, "HAZARD-OVERDUE")}
    assert due == {"HG": "2024-03-11", "HM": "2024-03-21", "HS": "2024-04-10"}
    law = "《中华人民共和国特种设备安全法》第四十二条"  # R3-4: the article binds the use unit, whoever funds the works
    assert verdicts(r, "HAZARD-OVERDUE") == [("HG", "HG", "use_unit", "general", law),
                                             ("HM", "HM", "use_unit", "major", law),
                                             ("HS", "HS", "use_unit", "serious", law)]


# ---- credit points (rules/credit.yaml) -----------------------------------------------------------

def _every_deducting_rule() -> dict[str, list[dict]]:
    """One year's records of one property firm in which every rule fires (test_rules_revision2's
    submission), with a general and a major hazard overdue beside its serious one."""
    tables = everything()
    tables["hazards"] = tables["hazards"] + [_hazard("H2", "general"), _hazard("H3", "major")]
    return tables


def test_default_credit_points_of_each_deducting_rule(judge):
    """The placeholder schedule's values, read off the report's deductions (not off credit.yaml),
    charged and provisional alike (R3-6 decides whether points count, not how many)."""
    r = judge("2024-01-01", "2024-12-31", **_every_deducting_rule())
    [firm] = r["credit"]
    assert firm["org_id"] == FIRM
    points = {(i["rule_id"], i["severity"]): i["points"] for i in [*firm["items"], *firm["provisional_items"]]}
    assert points == {
        ("DAILY-CHECK", "general"): 1, ("WEEKLY-REVIEW", "general"): 1, ("MONTHLY-DISPATCH", "general"): 2,
        ("EMERGENCY-PLAN", "general"): 3, ("EMERGENCY-DRILL", "general"): 2, ("ALARM-FAULT", "major"): 3,
        ("RESCUE-COORDINATION", "major"): 3, ("MAINT-PROVIDER", "general"): 2, ("INSPECTION-VALID", "serious"): 5,
        ("ASSESSMENT-AFTER-HIGH-RISK", "major"): 3, ("ASSESSMENT-WORKGROUP", "major"): 3,
        ("HAZARD-OVERDUE", "general"): 2, ("HAZARD-OVERDUE", "major"): 5, ("HAZARD-OVERDUE", "serious"): 10,
        ("HAZARD-SERIOUS-STOP", "serious"): 10, ("DEFECT-REPAIR", "general"): 2}


def _major_hazards(n: int, general: int = 0) -> list[dict]:
    """Hazards overdue by the deadline their records carry: charged (R3-6), not provisional."""
    return ([_hazard(f"M{k}", "major", deadline="2024-04-01") for k in range(n)]
            + [_hazard(f"G{k}", "general", deadline="2024-04-01") for k in range(general)])


def test_a_firm_reaching_exactly_30_points_is_flagged_dishonest_and_29_is_not(judge):
    kwargs = dict(rules=["HAZARD-OVERDUE"], elevators=[elevator("E1", **OLD)])
    [thirty] = judge("2024-01-01", "2024-12-31", hazards=_major_hazards(6), **kwargs)["credit"]
    assert (thirty["points"], thirty["dishonest_register"]) == (30, True)
    [twenty_nine] = judge("2024-01-01", "2024-12-31", hazards=_major_hazards(5, general=2), **kwargs)["credit"]
    assert (twenty_nine["points"], twenty_nine["dishonest_register"]) == (29, False)


def test_a_firms_points_are_capped_at_100_a_year(judge):
    [firm] = judge("2024-01-01", "2024-12-31", rules=["HAZARD-OVERDUE"], elevators=[elevator("E1", **OLD)],
                   hazards=_major_hazards(21))["credit"]
    assert (firm["points"], firm["uncapped_points"], firm["points_by_year"]) == (100, 105, {2024: 100})
    assert firm["provisional_items"] == []


def test_provisional_points_reach_no_total_no_cap_and_no_flag(judge):
    # the same 30 points resting on liftcheck's default deadline days (an interpretation): shown, never counted
    hazards = [_hazard(f"M{k}", "major") for k in range(6)]
    [firm] = judge("2024-01-01", "2024-12-31", rules=["HAZARD-OVERDUE"], elevators=[elevator("E1", **OLD)],
                   hazards=hazards)["credit"]
    assert (firm["points"], firm["dishonest_register"], firm["items"]) == (0, False, [])
    assert (firm["provisional_points"], len(firm["provisional_items"])) == (30, 6)


# ---- the party and the clause that lays the duty on it -------------------------------------------

def test_workgroup_duty_is_the_use_units_and_affordable_housing_has_none(judge):
    """ASSESSMENT-WORKGROUP: the use unit answers, under the draft 四（三）; an affordable-housing
    elevator owes no working group (R3-4: its town government's duty is AFFORDABLE-FUNDING-PLAN)."""
    r = judge("2024-01-01", "2024-12-31", rules=["ASSESSMENT-WORKGROUP"],
              elevators=[elevator("E1", **OLD), elevator("E2", affordable_housing="是", **OLD)],
              assessments=[_assessment("A1", "E1", completed="2024-02-01", conclusion="major_repair"),
                           _assessment("A2", "E2", completed="2024-02-01", conclusion="major_repair")])
    assert verdicts(r, "ASSESSMENT-WORKGROUP") == [
        ("A1", "A1", "use_unit", "major", "《关于进一步加强老旧住宅电梯安全评估及整治工作的意见》（征求意见稿）四（三）")]
    assert {v["subject"]: v["responsible_org_id"] for v in of(r, "ASSESSMENT-WORKGROUP")}["A1"] == FIRM


def test_assessment_after_high_risk_of_affordable_housing_is_the_market_regulators_under_clause_4_5(judge):
    """ASSESSMENT-AFTER-HIGH-RISK: the market regulator answers for affordable housing, under the draft
    四（五）; otherwise the use unit, under the regulation the draft's "按规定" points to (R3-7)."""
    r = judge("2024-01-01", "2024-12-31", rules=["ASSESSMENT-AFTER-HIGH-RISK"],
              elevators=[elevator("E1", **OLD), elevator("E2", affordable_housing="是", **OLD)],
              screenings=[{"elevator_id": e, "date": "2024-03-01", "risk_level": "high"} for e in ("E1", "E2")],
              assessments=[])
    assert verdicts(r, "ASSESSMENT-AFTER-HIGH-RISK") == [
        ("E1", "2024-03-01", "use_unit", "major", "《南京市电梯安全条例》"),
        ("E2", "2024-03-01", "market_regulator", "major", "《关于进一步加强老旧住宅电梯安全评估及整治工作的意见》（征求意见稿）四（五）")]
    assert {v["elevator_id"]: v["draft"] for v in of(r, "ASSESSMENT-AFTER-HIGH-RISK")} == \
        {"E1": "四（一）、四（二）", "E2": "四（五）"}
