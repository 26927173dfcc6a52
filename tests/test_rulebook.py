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
    # the order of rules.md's table of rules (Revision 3), written out here
    assert list(load_rulebook().rules) == [
        "DAILY-CHECK", "WEEKLY-REVIEW", "MONTHLY-DISPATCH", "EMERGENCY-PLAN", "EMERGENCY-DRILL", "ALARM-FAULT",
        "RESCUE-ARRIVAL", "RESCUE-COORDINATION", "MAINT-INTERVAL", "MAINT-INTERVAL-DENSE", "MAINT-PROVIDER",
        "INSPECTION-VALID", "SCREENING-AT-INSPECTION", "ASSESSMENT-AFTER-HIGH-RISK", "ASSESSMENT-AFFORDABLE",
        "ASSESSMENT-WORKGROUP", "HAZARD-OVERDUE", "HAZARD-LISTED", "HAZARD-SERIOUS-STOP", "HAZARD-STOP-ORDER",
        "DEFECT-REPAIR", "FUND-DECISION-TIME", "ASSESSMENT-COMPLETION", "AFFORDABLE-FUNDING-PLAN"]
    # and every rule file of the folder is in the rule book
    from checker.resources import data_dir

    files = {p.stem for p in data_dir("rules").glob("*.yaml")} - {"params", "credit", "definitions", "coverage", "sources"}
    assert files == set(load_rulebook().rules)


def test_the_shipped_draft_is_the_published_one():
    """Runs everywhere: the shipped draft's bytes are pinned; beside a shared/ checkout they are also compared."""
    from checker.resources import data_dir

    shipped = (data_dir("policy") / "opinion-draft.zh.txt").read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == DRAFT_SHA256
    if SHARED_DRAFT is not None:
        assert shipped == SHARED_DRAFT.read_bytes()


def test_every_rule_quotes_its_draft_sentences_verbatim_and_names_the_law_that_lays_the_duty():
    from checker.coverage import rule_quotes
    from checker.resources import data_dir
    from checker.rulebook import load_sources

    draft = re.sub(r"\s", "", (data_dir("policy") / "opinion-draft.zh.txt").read_text(encoding="utf-8"))
    sources = load_sources()
    for rule in load_rulebook():
        for quote in rule_quotes(rule):
            assert re.sub(r"\s", "", quote["text"]) in draft, rule.id
        for entry in rule.party_entries():
            src = entry["source"]
            if src["law"] != "opinion":
                # a law's duty is quoted from that law, never from a sentence of the draft
                assert re.sub(r"\s", "", src["duty"]) not in draft, rule.id
            assert src["law"] in sources
    book = load_rulebook()
    cite = {r.id: sources[r.source["law"]].citation(r.source.get("article")) for r in book}
    # R3-1's table, with R3-A 2, R3-A 3 and R3-A 7
    assert {r: cite[r] for r in ("DAILY-CHECK", "WEEKLY-REVIEW", "MONTHLY-DISPATCH")} == dict.fromkeys(
        ("DAILY-CHECK", "WEEKLY-REVIEW", "MONTHLY-DISPATCH"),
        "《特种设备使用单位落实使用安全主体责任监督管理规定》（国家市场监督管理总局令第74号）")
    assert cite["EMERGENCY-PLAN"] == cite["EMERGENCY-DRILL"] == "《中华人民共和国特种设备安全法》第六十九条"
    assert cite["INSPECTION-VALID"] == "《中华人民共和国特种设备安全法》第四十条"
    assert cite["HAZARD-SERIOUS-STOP"] == cite["HAZARD-OVERDUE"] == cite["DEFECT-REPAIR"] == \
        "《中华人民共和国特种设备安全法》第四十二条"
    assert cite["RESCUE-ARRIVAL"] == "《中华人民共和国特种设备安全法》第四十五条"
    assert cite["MAINT-INTERVAL"] == "《特种设备安全监察条例》第三十一条" and book.get("MAINT-INTERVAL").draft == []
    assert "意见稿以这一法定维保周期为前提" in book.get("MAINT-INTERVAL").source["presupposed"]
    assert cite["ASSESSMENT-AFTER-HIGH-RISK"] == "《南京市电梯安全条例》"
    # the cadence rules show the regulator's urging as context, never as what they encode
    urging = "督促建立落实电梯安全“日管控、周排查、月调度”工作机制"
    for rid in ("DAILY-CHECK", "WEEKLY-REVIEW", "MONTHLY-DISPATCH"):
        assert [d["coverage"] for d in book.get(rid).draft if d["text"] == urging] == ["context"], rid
    # where the commencement of a law could be checked, it is the one recorded
    assert sources["samr_order_74"].in_force_from == dt.date(2023, 5, 5)
    assert sources["special_equipment_law"].in_force_from == dt.date(2014, 1, 1)
    assert sources["opinion"].in_force_from is None and sources["opinion"].in_force_parameter == "opinion.in_force_from"


def test_the_parties_of_revision_3():
    book = load_rulebook()
    parties = {r.id: r.parties for r in book}
    assert parties["RESCUE-ARRIVAL"] == ["maintenance_unit"] and parties["RESCUE-COORDINATION"] == ["use_unit"]
    assert parties["ASSESSMENT-AFTER-HIGH-RISK"] == ["market_regulator", "use_unit"]
    assert parties["ASSESSMENT-WORKGROUP"] == ["use_unit"]
    assert parties["AFFORDABLE-FUNDING-PLAN"] == ["town_government"]
    assert parties["ASSESSMENT-COMPLETION"] == ["market_regulator", "town_government"]
    assert parties["FUND-DECISION-TIME"] == ["housing_department"]
    assert parties["SCREENING-AT-INSPECTION"] == ["market_regulator"]
    assert parties["HAZARD-OVERDUE"] == parties["DEFECT-REPAIR"] == ["use_unit"]
    assert parties["HAZARD-STOP-ORDER"] == ["market_regulator"]
    assert parties["MAINT-INTERVAL"] == parties["MAINT-INTERVAL-DENSE"] == ["maintenance_unit"]
    assert parties["HAZARD-LISTED"] == ["district_government"]
    assert all(book.get(r).severity == "notice" for r in
               ("SCREENING-AT-INSPECTION", "FUND-DECISION-TIME", "ASSESSMENT-COMPLETION", "AFFORDABLE-FUNDING-PLAN"))


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
                "assessment.apply_within_days": 30,
                "assessment.workgroup_within_days": 60, "hazard.deadline_days.general": 30,
                "hazard.deadline_days.major": 90, "hazard.deadline_days.serious": 90,
                "hazard.listing_within_days": 15, "hazard.stop_within_days": 1, "fund.report_max_age_months": 12,
                "hazard.order_within_days": 3, "defect.repair_within_days": 3, "fund.require_plan": False,
                "assessment.workgroup_conclusions": ["repair", "major_repair", "renovate", "replace"],
                # Revision 3
                "rescue.notify_within_minutes": 5, "screening.with_inspection_days": 30,
                "fund.emergency_decision_days": 7, "assessment.funding_plan_within_days": 60,
                "assessment.complete_within_days": 90, "opinion.in_force_from": None, "credit.objection_days": 15}
    assert {n: p.at(n, dt.date(2024, 6, 1)) for n in defaults} == defaults
    assert set(p.params) == set(defaults)
    interpretations = {n for n, x in p.params.items() if x.interpretation}
    assert interpretations >= {
        "maintenance.min_star", "assessment.apply_within_days", "hazard.order_within_days", "old.boundary",
        "defect.repair_within_days", "fund.require_plan", "assessment.workgroup_conclusions",
        "rescue.notify_within_minutes", "screening.with_inspection_days", "fund.emergency_decision_days",
        "assessment.funding_plan_within_days", "assessment.complete_within_days"}
    # R3-2: the 30 minutes are TSG T5002's figure; R3-6: the one-day stop only narrows the law
    assert "rescue.max_arrival_minutes" not in interpretations
    assert {n for n, x in p.params.items() if x.narrows_law} == {"hazard.stop_within_days"}
    assert all(not x.adopted for x in p.params.values())   # nothing adopted in the shipped rule book


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
               "use_unit_id", "maintenance_unit_id", "maintenance_unit_name", "district", "judged_on"}
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
    assert cov["problems"] == []
    assert all(s["rules"] or s["not_encoded"] for s in cov["sentences"])
    by_n = {s["n"]: s for s in cov["sentences"]}
    assert (by_n[60]["rules"], by_n[60]["status"]) == (["HAZARD-STOP-ORDER"], "partly")
    assert by_n[25]["rules"] == ["DAILY-CHECK", "INSPECTION-VALID", "HAZARD-SERIOUS-STOP", "DEFECT-REPAIR"]
    # R3-8: the regulator's urging is not encoded; the cadence rules show it as context
    assert (by_n[28]["rules"], by_n[28]["context"]) == ([], ["DAILY-CHECK", "WEEKLY-REVIEW", "MONTHLY-DISPATCH"])
    assert "没有监督抽查或督促的记录" in by_n[28]["not_encoded"]["zh"]
    # R3-A 7: "按规定申请…全面评估" partly (only after a high-risk screening); 提高资金审批效率 interpreted
    assert (by_n[27]["rules"], by_n[27]["status"]) == (["ASSESSMENT-AFTER-HIGH-RISK"], "partly")
    assert (by_n[39]["rules"], by_n[39]["status"]) == (["FUND-DECISION-TIME"], "interpreted")
    assert "没有部门间共享信息的记录" in by_n[31]["not_encoded"]["zh"]
    assert "没有跟踪检查的记录" in by_n[38]["not_encoded"]["zh"]
    assert "立案" in by_n[60]["note"]["zh"] and "强化值班值守" in by_n[26]["note"]["zh"]
    assert "房产部门协调维修资金使用渠道" in by_n[52]["note"]["zh"] and "works" in by_n[52]["note"]["zh"]
    assert "曝光、约谈" in by_n[61]["not_encoded"]["zh"]
    # a sentence whose time limit only liftcheck's number gives is interpreted, not encoded (R3-8): one
    # sentence is wholly encoded (四（五） the dense elevators' 10 days, a number the draft itself sets)
    assert cov["summary"] == {"sentences": 61, "encoded": 1, "partly": 9, "interpreted": 1, "not_encoded": 50}
    # the laws that lay the duties are listed apart, and a law's rule counts for no sentence it does not judge
    assert {x["rule_id"] for x in cov["presupposed_law"]} >= {"MAINT-INTERVAL", "RESCUE-ARRIVAL", "DAILY-CHECK"}
    assert not any("MAINT-INTERVAL" in s["rules"] for s in cov["sentences"])
    # drop one reason: that sentence is flagged as unaccounted
    accounts = yaml.safe_load((data_dir("rules") / "coverage.yaml").read_text(encoding="utf-8"))
    for note in accounts["not_encoded"]:
        note["match"] = [m for m in note["match"] if m != "引入新型驱动主体"]
    accounts["not_encoded"].append({"reason": {"zh": "x", "en": "x"}, "match": ["引入新型驱动主体", "老旧住宅电梯"]})
    broken = tmp_path / "coverage.yaml"
    broken.write_text(yaml.safe_dump(accounts, allow_unicode=True), encoding="utf-8")
    flags = [p["flag"] for p in coverage(book, accounts_file=broken)["problems"]]
    assert flags.count("match_not_one_sentence") == 1 and flags.count("listed_but_encoded") >= 1
    accounts["not_encoded"].pop()
    broken.write_text(yaml.safe_dump(accounts, allow_unicode=True), encoding="utf-8")
    problems = [p for p in coverage(book, accounts_file=broken)["problems"] if p["flag"] == "sentence_unaccounted"]
    assert [p["text"][:8] for p in problems] == ["引入新型驱动主体"]
