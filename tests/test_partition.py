"""Partitioning by use unit changes nothing: the parts' verdicts are exactly the whole's."""

from __future__ import annotations

import datetime as dt

from independent import daily_check_breaches, stopped_without_a_stop_record
from checker.engine import evaluate, evaluate_partitioned, partition
from checker.load import load_submission
from checker.params import load_parameters
from checker.report import build_report
from checker.rulebook import load_rulebook
from checker.sample import SampleSpec, generate, write
from checker.validate import validate


def test_partitions_give_the_same_verdicts_as_the_whole(tmp_path):
    write(generate(SampleSpec(150, dt.date(2024, 1, 1), dt.date(2024, 12, 31), seed=21)), tmp_path)
    sub = validate(load_submission(tmp_path))
    book, params = load_rulebook(), load_parameters()
    start, end = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    whole = build_report(evaluate(sub, book, params, start, end), book, params)
    parts = build_report(evaluate_partitioned(sub, book, params, start, end, parts=3), book, params)
    assert len(whole["violations"]) > 100
    # the whole is right, by what the CSV files say day by day ...
    assert {(v["subject"], v["period_key"]) for v in whole["violations"] if v["rule_id"] == "DAILY-CHECK"} == \
        daily_check_breaches(tmp_path, start, end) != set()
    assert [u["elevator_id"] for u in whole["unjudged"] if u["subject"] is None] == sorted(stopped_without_a_stop_record(tmp_path))
    assert all(r["evaluated"] and r["cases"] >= max(r["violations"], 1) for r in whole["rules"]), whole["rules"]
    # ... and the parts give exactly the whole, the cases each rule judged included
    assert parts["violations"] == whole["violations"]
    assert parts["pending"] == whole["pending"]
    assert parts["credit"] == whole["credit"] and parts["metrics"] == whole["metrics"]
    assert parts["rules"] == whole["rules"]


def test_a_partition_holds_only_its_units_records(tmp_path):
    write(generate(SampleSpec(90, dt.date(2024, 1, 1), dt.date(2024, 3, 31), seed=2)), tmp_path)
    sub = validate(load_submission(tmp_path))
    pieces = partition(sub, 2)
    units = [set(p.table("elevators").get_column("use_unit_id")) for p in pieces]
    assert units[0] and units[1] and not units[0] & units[1]
    assert sum(p.table("daily_checks").height for p in pieces) == sub.table("daily_checks").height
    for p, own in zip(pieces, units):
        assert set(p.table("weekly_reviews").get_column("use_unit_id")) <= own


def test_a_fund_application_naming_another_units_report_is_judged_the_same_in_parts(tmp_path):
    from conftest import COMMITTEE, ORGANIZATIONS, elevator, write_submission

    folder = write_submission(tmp_path / "s", {
        "organizations": ORGANIZATIONS,
        # E1 is old on the application day, so the housing department's check applies to it
        "elevators": [elevator("E1", commissioned_on="2005-01-01"), elevator("E2", use_unit_id=COMMITTEE)],
        "assessments": [{"assessment_id": "A2", "elevator_id": "E2", "applied_on": "2024-01-01",
                         "completed_on": "2024-02-01", "plan_on": "2024-02-10"}],
        "fund_applications": [{"application_id": "F1", "elevator_id": "E1", "applied_on": "2024-03-01",
                               "channel": "emergency", "assessment_id": "A2"}]})
    sub = validate(load_submission(folder))
    book, params = load_rulebook(), load_parameters()
    start, end = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    # the fund review (R3-3) reads the report wherever its unit's partition lies
    whole = build_report(evaluate(sub, book, params, start, end, only=["FUND-DECISION-TIME"]), book, params)
    parts = build_report(evaluate_partitioned(sub, book, params, start, end, parts=2, only=["FUND-DECISION-TIME"]),
                         book, params)
    assert [(f["application_id"], f["unmet"]) for f in whole["fund_reviews"]] == [("F1", ["same_elevator"])]
    assert parts["fund_reviews"] == whole["fund_reviews"]
    # not well founded: the housing department owes it no decision time
    assert parts["violations"] == whole["violations"] == []
