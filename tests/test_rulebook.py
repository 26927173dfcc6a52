"""Rule files, parameters and the credit schedule: readable, validated, and faithful to the draft."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
import yaml

from conftest import elevator, keys, status, visits
from checker.credit import load_schedule
from checker.engine import CompiledRule
from checker.errors import LiftcheckError
from checker.params import load_parameters
from checker.rulebook import load_rulebook

SHARED_DRAFT = next((p / "shared" / "policy" / "opinion-draft.zh.txt" for p in Path(__file__).resolve().parents
                     if (p / "shared" / "policy" / "opinion-draft.zh.txt").exists()), None)
# the published draft (shared/policy/opinion-draft.zh.txt) that policy/opinion-draft.zh.txt ships
DRAFT_SHA256 = "21beff375b47bc0f7c67b9dd0642d23e4ee5f13210a83b66166f24be25dcc548"


def test_the_catalogue_is_complete_and_in_order():
    # the order of rules.md's table of rules, written out here
    assert list(load_rulebook().rules) == [
        "DAILY-CHECK", "WEEKLY-REVIEW", "MONTHLY-DISPATCH", "EMERGENCY-PLAN", "EMERGENCY-DRILL", "ALARM-FAULT",
        "RESCUE-ARRIVAL", "MAINT-INTERVAL", "MAINT-INTERVAL-DENSE", "MAINT-PROVIDER", "INSPECTION-VALID",
        "SCREENING-COVERAGE", "ASSESSMENT-AFTER-HIGH-RISK", "ASSESSMENT-AFFORDABLE", "ASSESSMENT-WORKGROUP",
        "HAZARD-OVERDUE", "HAZARD-LISTED", "HAZARD-SERIOUS-STOP", "HAZARD-STOP-ORDER", "DEFECT-REPAIR",
        "FUND-EMERGENCY-BASIS"]
    # and every rule file of the folder is in the rule book
    from checker.resources import data_dir

    files = {p.stem for p in data_dir("rules").glob("*.yaml")} - {"params", "credit", "definitions", "coverage"}
    assert files == set(load_rulebook().rules)


def test_the_shipped_draft_is_the_published_one():
    """Runs everywhere: the shipped draft's bytes are pinned; beside a shared/ checkout they are also compared."""
    from checker.resources import data_dir

    shipped = (data_dir("policy") / "opinion-draft.zh.txt").read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == DRAFT_SHA256
    if SHARED_DRAFT is not None:
        assert shipped == SHARED_DRAFT.read_bytes()


def test_every_rule_quotes_its_clauses_verbatim_and_a_presupposed_law_says_so():
    from checker.coverage import rule_quotes
    from checker.resources import data_dir

    draft = re.sub(r"\s", "", (data_dir("policy") / "opinion-draft.zh.txt").read_text(encoding="utf-8"))
    for rule in load_rulebook():
        for quote in rule_quotes(rule):
            assert re.sub(r"\s", "", quote["text"]) in draft, rule.id
        if rule.clause.get("source"):
            # a law the draft presupposes is quoted from that law, never from an unrelated sentence of the draft
            assert re.sub(r"\s", "", rule.clause["text"]) not in draft and rule.clause["presupposed"], rule.id
    maint = load_rulebook().get("MAINT-INTERVAL").clause
    assert maint["ref"] == "特种设备安全监察条例 第三十一条" and "意见稿以这一法定维保周期为前提" in maint["presupposed"]
    assert load_rulebook().get("INSPECTION-VALID").clause == {"ref": "四（一）", "text": "依法申请检验检测"}
    assert load_rulebook().get("HAZARD-SERIOUS-STOP").clause == {"ref": "四（一）", "text": "及时组织维修故障零部件，防止设备带病运行"}


def test_the_parties_of_revision_2():
    book = load_rulebook()
    parties = {r.id: r.parties for r in book}
    assert parties["RESCUE-ARRIVAL"] == ["use_unit"]
    assert parties["ASSESSMENT-AFTER-HIGH-RISK"] == ["market_regulator", "use_unit"]
    assert parties["ASSESSMENT-WORKGROUP"] == ["town_government", "use_unit"]
    assert parties["FUND-EMERGENCY-BASIS"] == ["housing_department"]
    assert book.get("FUND-EMERGENCY-BASIS").severity == "notice"
    assert parties["HAZARD-STOP-ORDER"] == ["market_regulator"] and parties["DEFECT-REPAIR"] == ["use_unit"]
    assert parties["MAINT-INTERVAL"] == parties["MAINT-INTERVAL-DENSE"] == ["maintenance_unit"]
    assert parties["HAZARD-LISTED"] == ["district_government"]


def test_a_rule_has_points_exactly_when_a_use_unit_may_answer_for_it():
    book, schedule = load_rulebook(), load_schedule()
    for rule in book:
        points = schedule.points.get(rule.id, 0)
        values = list(points.values()) if isinstance(points, dict) else [points]
        if "use_unit" in rule.parties:
            assert values and all(v > 0 for v in values), rule.id
            assert rule.credit == f"credit.yaml#{rule.id}"
        else:
            assert rule.id not in schedule.points and rule.credit is None, rule.id
    assert schedule.official is False and "非官方" in schedule.notice_zh


def test_every_parameter_of_the_spec_is_there_with_its_default():
    p = load_parameters()
    defaults = {"old.min_age_years": 15, "old.boundary": "inclusive", "dense.min_households": 70,
                "daily_check.max_missing_days_per_month": 0, "drill.window_months": 12, "alarm.repair_within_days": 3,
                "rescue.max_arrival_minutes": 30, "maintenance.max_interval_days": 15,
                "maintenance.dense_max_interval_days": 10, "maintenance.min_star": 4, "inspection.cycle_months": 12,
                "screening.window_months": 12, "assessment.apply_within_days": 30,
                "assessment.workgroup_within_days": 60, "hazard.deadline_days.general": 30,
                "hazard.deadline_days.major": 90, "hazard.deadline_days.serious": 90,
                "hazard.listing_within_days": 15, "hazard.stop_within_days": 1, "fund.report_max_age_months": 12,
                "hazard.order_within_days": 3, "defect.repair_within_days": 3, "fund.require_plan": False,
                "assessment.workgroup_conclusions": ["repair", "major_repair", "renovate", "replace"]}
    assert {n: p.at(n, dt.date(2024, 6, 1)) for n in defaults} == defaults
    assert set(p.params) == set(defaults)
    assert {n for n, x in p.params.items() if x.interpretation} >= {
        "maintenance.min_star", "assessment.apply_within_days", "rescue.max_arrival_minutes", "hazard.order_within_days",
        "defect.repair_within_days", "fund.require_plan", "assessment.workgroup_conclusions"}


def test_a_rule_uses_the_parameter_value_in_force_on_the_day_it_judges(judge):
    # 12 days allowed from 2024-01-15 on; an interval takes the limit in force on its opening day (rules.md):
    # 01-01 → 01-12 (11 days) and 01-12 → 01-24 (12 days) opened under 10, 01-15 → 01-27 (12 days) under 12
    dense = elevator(commissioned_on="2009-01-01", affordable_housing="是", households_served=71)
    r = judge("2024-01-01", "2024-01-26", rules=["MAINT-INTERVAL-DENSE"], elevators=[dense],
              params={"maintenance.dense_max_interval_days": {"2024-01-01": 10, "2024-01-15": 12}},
              maintenance=visits("E1", ["2024-01-01", "2024-01-12", "2024-01-24", "2024-01-26"]))
    assert keys(r, "MAINT-INTERVAL-DENSE") == [("E1", "2024-01-01"), ("E1", "2024-01-12")]
    assert [v["evidence"]["limit_days"] for v in r["violations"]] == [10, 10]
    r = judge("2024-01-15", "2024-01-27", rules=["MAINT-INTERVAL-DENSE"], elevators=[dense],
              params={"maintenance.dense_max_interval_days": {"2024-01-01": 10, "2024-01-15": 12}},
              maintenance=visits("E1", ["2024-01-15", "2024-01-27"]))
    assert keys(r, "MAINT-INTERVAL-DENSE") == []
    # judged, not skipped: three intervals (from the history start to 01-15, 01-15 → 01-27 of 12 days within the
    # 12 in force on 01-15, and 01-27 to the period's end)
    assert (status(r, "MAINT-INTERVAL-DENSE")["evaluated"], status(r, "MAINT-INTERVAL-DENSE")["cases"]) == (True, 3)
    assert r["parameters"]["maintenance.dense_max_interval_days"]["values"] == {"2024-01-01": 10, "2024-01-15": 12}


def test_a_broken_rule_file_names_the_file_and_the_field(tmp_path):
    from checker.resources import data_dir

    folder = tmp_path / "rules"
    folder.mkdir()
    body = yaml.safe_load((data_dir("rules") / "MAINT-INTERVAL.yaml").read_text(encoding="utf-8"))
    body["severity"] = "catastrophic"
    (folder / "MAINT-INTERVAL.yaml").write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LiftcheckError) as err:
        load_rulebook(folder)
    assert err.value.en.startswith(f"rule file {folder / 'MAINT-INTERVAL.yaml'}, field severity: 'catastrophic' is not one of")


@pytest.mark.parametrize("condition,message", [
    ("interval_days >", "expression syntax error"),
    ("interval_dayz > 15", "unknown name 'interval_dayz'"),
    ("__import__('os')", "unknown function '__import__'"),
    ("interval_days.bit_length() > 1", "unsupported construct"),
    ('interval_days > param("maintenance.min_star")', "parameters used but not listed: ['maintenance.min_star']"),
])
def test_the_condition_language_refuses_what_it_does_not_know(condition, message):
    rule = load_rulebook().get("MAINT-INTERVAL")
    rule.body["condition"] = condition
    columns = {"interval_days", "dense", "a", "b", "stopped_days_between", "ends_at_period_end", "elevator_id",
               "use_unit_id", "maintenance_unit_id", "district", "judged_on"}
    with pytest.raises(LiftcheckError) as err:
        CompiledRule(rule, load_parameters(), columns, dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert message in err.value.en


def test_coverage_accounts_for_every_sentence_of_the_draft_and_notices_a_gap(tmp_path):
    from checker.coverage import coverage, draft_sentences
    from checker.resources import data_dir

    book = load_rulebook()
    sentences = draft_sentences()
    assert len(sentences) == 61 and sentences[0]["text"] == "附件"
    assert sentences[59] == {"n": 60, "section": "五（三）",
                             "text": "对安全评估及整治过程中发现的电梯严重事故隐患及违法违规行为，依法责令停用有关电梯并严格立案查处；"}
    cov = coverage(book)
    assert [p for p in cov["problems"] if p["flag"] != "rule_without_scenario"] == []
    assert all(s["rules"] or s["not_encoded"] for s in cov["sentences"])
    by_n = {s["n"]: s for s in cov["sentences"]}
    assert by_n[60]["rules"] == ["HAZARD-STOP-ORDER"]
    assert by_n[25]["rules"] == ["INSPECTION-VALID", "HAZARD-SERIOUS-STOP", "DEFECT-REPAIR"]
    # the regulation MAINT-INTERVAL quotes is shown apart and counts for no sentence of the draft
    assert [x["rule_id"] for x in cov["presupposed_law"]] == ["MAINT-INTERVAL"]
    assert not any("MAINT-INTERVAL" in s["rules"] for s in cov["sentences"])
    # drop one reason: that sentence is flagged as unaccounted
    accounts = yaml.safe_load((data_dir("rules") / "coverage.yaml").read_text(encoding="utf-8"))
    for note in accounts["not_encoded"]:
        note["match"] = [m for m in note["match"] if m != "引入新型驱动主体"]
    accounts["not_encoded"].append({"reason": {"zh": "x", "en": "x"}, "match": ["引入新型驱动主体", "老旧住宅电梯"]})
    broken = tmp_path / "coverage.yaml"
    broken.write_text(yaml.safe_dump(accounts, allow_unicode=True), encoding="utf-8")
    flags = [p["flag"] for p in coverage(book, accounts_file=broken)["problems"] if p["flag"] != "rule_without_scenario"]
    assert flags.count("match_not_one_sentence") == 1 and flags.count("listed_but_encoded") >= 1
    accounts["not_encoded"].pop()
    broken.write_text(yaml.safe_dump(accounts, allow_unicode=True), encoding="utf-8")
    problems = [p for p in coverage(book, accounts_file=broken)["problems"] if p["flag"] == "sentence_unaccounted"]
    assert [p["text"][:8] for p in problems] == ["引入新型驱动主体"]
