"""Tests that kill mutants of checker/'s verdict path that the rule tests let through (mutmut,
tools/mutation.py): each pins one boundary of the Python that judges, through the real pipeline."""

from __future__ import annotations

from conftest import elevator, of

OLD = dict(commissioned_on="2005-01-01")


def test_an_obligation_arising_on_to_is_pending_and_one_due_on_to_is_violated(judge):
    """checker/deadlines.py: an obligation arising on `to` is judged (arises_on <= to); one due on
    `to` and not fulfilled is violated, 0 days late (D <= to), and not pending (pending: D > to)."""
    r = judge("2024-01-01", "2024-06-30", rules=["ALARM-FAULT", "HAZARD-OVERDUE"], elevators=[elevator("E1", **OLD)],
              alarm_tests=[{"elevator_id": "E1", "date": "2024-06-30", "ok": "false"}],
              hazards=[{"hazard_id": h, "elevator_id": "E1", "found_on": "2024-03-01", "deadline": due,
                        "source": "inspection", "severity": "major"}
                       for h, due in (("H1", "2024-06-30"), ("H2", "2024-07-01"))])
    assert sorted((p["rule_id"], p["subject"], p["period_key"], p["arises_on"], p["due_on"]) for p in r["pending"]) == [
        ("ALARM-FAULT", "E1", "2024-06-30", "2024-06-30", "2024-07-03"),
        ("HAZARD-OVERDUE", "H2", "H2", "2024-03-01", "2024-07-01")]
    [v] = r["violations"]
    assert (v["rule_id"], v["subject"], v["period_key"], v["responsible_role"]) == ("HAZARD-OVERDUE", "H1", "H1", "use_unit")
    assert (v["evidence"]["due_on"], v["evidence"]["fulfilled_on"], v["evidence"]["days_late"]) == ("2024-06-30", None, 0)
    assert of(r, "ALARM-FAULT") == []


def test_a_rule_or_severity_the_schedule_does_not_name_deducts_nothing(tmp_path):
    """checker/credit.py: points default to 0 for a rule missing from a loaded schedule, and for a
    severity missing from a per-severity entry; 0 points is a valid value; a deduction of 0 points
    is no deduction."""
    import datetime as dt

    import yaml
    from conftest import ORGANIZATIONS, write_submission

    from checker.pipeline import run_check

    credit = tmp_path / "credit.yaml"
    credit.write_text(yaml.safe_dump({"official": True, "year_cap": None, "dishonest_threshold": None,
                                      "points": {"HAZARD-OVERDUE": {"major": 5, "general": 0}}}), encoding="utf-8")
    folder = write_submission(tmp_path / "sub", {
        "organizations": ORGANIZATIONS, "elevators": [elevator("E1", **OLD)],
        "alarm_tests": [{"elevator_id": "E1", "date": "2024-03-01", "ok": "false"}],
        "hazards": [{"hazard_id": h, "elevator_id": "E1", "found_on": "2024-03-01", "source": "inspection",
                     "severity": s, "deadline": "2024-04-01"}   # their own deadline: charged, not provisional
                    for h, s in (("HG", "general"), ("HM", "major"), ("HS", "serious"))]})
    report = run_check(folder, dt.date(2024, 1, 1), dt.date(2024, 12, 31), credit_file=credit,
                       only=["ALARM-FAULT", "HAZARD-OVERDUE"]).report
    assert sorted((v["rule_id"], v["subject"], v["responsible_role"]) for v in report["violations"]) == [
        ("ALARM-FAULT", "E1", "use_unit"), ("HAZARD-OVERDUE", "HG", "use_unit"), ("HAZARD-OVERDUE", "HM", "use_unit"),
        ("HAZARD-OVERDUE", "HS", "use_unit")]
    [firm] = report["credit"]
    assert [(i["rule_id"], i["subject"], i["points"]) for i in firm["items"]] == [("HAZARD-OVERDUE", "HM", 5)]
    assert (firm["points"], firm["dishonest_register"]) == (5, False)
