"""The `liftcheck` command as people use it: exit status, messages, outputs, never a traceback."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import MAKER, ORGANIZATIONS, elevator, write_submission
from independent import (closed_loop, daily_check_breaches, day, in_scope, plus_years, stopped_without_a_stop_record,
                         table)
from checker.cli import main
from checker.resources import data_dir
from checker.sample import SampleSpec, generate, write

# rules.md's table of rules, in its order
RULES = ["DAILY-CHECK", "WEEKLY-REVIEW", "MONTHLY-DISPATCH", "EMERGENCY-PLAN", "EMERGENCY-DRILL", "ALARM-FAULT",
         "RESCUE-ARRIVAL", "RESCUE-COORDINATION", "MAINT-INTERVAL", "MAINT-INTERVAL-DENSE", "MAINT-PROVIDER",
         "INSPECTION-VALID", "SCREENING-AT-INSPECTION", "ASSESSMENT-AFTER-HIGH-RISK", "ASSESSMENT-AFFORDABLE",
         "ASSESSMENT-WORKGROUP", "HAZARD-OVERDUE", "HAZARD-LISTED", "HAZARD-SERIOUS-STOP", "HAZARD-STOP-ORDER",
         "DEFECT-REPAIR", "FUND-DECISION-TIME", "ASSESSMENT-COMPLETION", "AFFORDABLE-FUNDING-PLAN"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "submission"
    write(generate(SampleSpec(60, dt.date(2024, 1, 1), dt.date(2024, 12, 31), seed=4)), folder)
    return folder


def run(*args: str):
    result = CliRunner(env={"COLUMNS": "400"}).invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def test_check_json_contract_and_exit_1_on_violations(sample):
    r = run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json")
    assert r.exit_code == 1
    report = json.loads(r.stdout)
    assert list(report) == ["period", "ruleset", "parameters", "overrides", "assumptions", "violations", "pending",
                            "unjudged", "rules", "declared_from", "adoptions", "summary", "metrics", "fund_reviews",
                            "credit", "credit_schedule", "warnings"]
    assert report["period"] == {"from": "2024-01-01", "to": "2024-12-31"}
    # the digest: SHA-256 over the shipped rule files (name, NUL, bytes; sorted by name), then the
    # parameters and the credit schedule; the coverage notes judge nothing and are left out
    rules_dir = data_dir("rules")
    h = hashlib.sha256()
    for path in sorted(p for p in rules_dir.rglob("*") if p.is_file()
                       and p.name not in {"params.yaml", "credit.yaml", "coverage.yaml"}):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    h.update((rules_dir / "params.yaml").read_bytes() + (rules_dir / "credit.yaml").read_bytes())
    assert report["ruleset"] == {"version": "0.1.0", "digest": "sha256:" + h.hexdigest()}
    assert report["overrides"] == {"parameters": [], "rules": {"replaced": [], "added": [], "disabled": []}}
    violations = report["violations"]
    assert all(list(v) == ["rule_id", "title", "title_en", "clause", "draft", "severity", "responsible_role",
                           "responsible_org_id", "responsible_name", "elevator_id", "use_unit_id", "use_unit_name",
                           "maintenance_unit_id", "district", "subject", "period_key", "identity_day", "depends_on",
                           "evidence", "message_zh", "message_en", "fingerprint"]
               for v in violations)
    # every violation names the elevator's own district and use unit, as the submission gives them
    elevators = {e["elevator_id"]: e for e in table(sample, "elevators")}
    names = {o["org_id"]: o["name"] for o in table(sample, "organizations")}
    for v in violations:
        if v["elevator_id"] is not None:
            e = elevators[v["elevator_id"]]
            assert (v["district"], v["use_unit_id"]) == (e["district"], e["use_unit_id"]), v
        assert v["use_unit_name"] == names[v["use_unit_id"]], v
        key = "\x1f".join([v["rule_id"], v["subject"], v["period_key"]])
        assert v["fingerprint"] == hashlib.sha256(key.encode()).hexdigest()[:32], v
    # DAILY-CHECK's breaches, found from the CSV files day by day
    assert {(v["subject"], v["period_key"]) for v in violations if v["rule_id"] == "DAILY-CHECK"} == \
        daily_check_breaches(sample, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    # the summary adds up the violations
    summary = report["summary"]
    assert summary["violations"] == len(violations)
    assert summary["by_rule"] == {rule_id: Counter(v["rule_id"] for v in violations)[rule_id] for rule_id in RULES}
    assert summary["by_severity"] == dict(Counter(v["severity"] for v in violations))
    assert summary["by_district"] == dict(sorted(Counter(v["district"] for v in violations if v["district"]).items()))
    assert (summary["pending"], summary["not_evaluated"], summary["rejected_records"], summary["exit_status"]) == \
        (len(report["pending"]), [], 0, 1)
    assert summary["credit_points"] == sum(f["points"] for f in report["credit"]) > 0
    assert summary["provisional_points"] == sum(f["provisional_points"] for f in report["credit"]) > 0
    # every rule was evaluated, judged cases, and counted its own violations
    assert [x["rule_id"] for x in report["rules"]] == RULES
    for x in report["rules"]:
        assert x["evaluated"] is True and x["cases"] >= max(x["violations"], 1), x
        assert x["violations"] == summary["by_rule"][x["rule_id"]], x
    assert {x["rule_id"] for x in report["rules"] if x["sweep"] == "state"} == {
        "EMERGENCY-PLAN", "EMERGENCY-DRILL", "MAINT-PROVIDER", "ASSESSMENT-AFFORDABLE"}
    # the sample's stopped elevators without a stop record: listed, with the rules that could not judge them
    # (beside them, single cases a rule could not judge: an entrapment without a call time or a cause)
    whole = [u for u in report["unjudged"] if u["subject"] is None]
    assert [u["elevator_id"] for u in whole] == sorted(stopped_without_a_stop_record(sample)) != []
    [unjudged] = whole
    assert unjudged["rules"] == ["DAILY-CHECK", "MAINT-INTERVAL", "MAINT-INTERVAL-DENSE", "INSPECTION-VALID",
                                 "HAZARD-SERIOUS-STOP"]
    assert unjudged["reason_zh"] == "状态为停用，但没有未结束的停用记录：提交的数据没有说明从哪天起停用，无法逐日判断"
    assert summary["unjudged"] == len(report["unjudged"]) == 4
    assert sorted(u["rules"][0] for u in report["unjudged"] if u["subject"]) == [
        "DEFECT-REPAIR", "RESCUE-COORDINATION", "RESCUE-COORDINATION"]
    assert not any(x["elevator_id"] == unjudged["elevator_id"] for x in violations if x["rule_id"] in unjudged["rules"])
    assert report["parameters"]["maintenance.min_star"] == {
        "value": 4, "unit": "stars", "basis": '四（五）"选聘电梯制造厂或高星级企业实施维护保养"（草案未定义“高星级”）',
        "interpretation": True, "overridden": False, "description_zh": "“高星级”维保企业的最低星级",
        "description_en": "lowest star rating that counts as 高星级", "values": {"2024-01-01": 4}}
    assert {a["parameter"] for a in report["assumptions"]} >= {"maintenance.min_star", "assessment.apply_within_days"}


def test_the_json_report_is_indented_with_one_violation_per_line(sample, tmp_path):
    """The report file is written by orjson for speed: json.dumps's text, indent 2, UTF-8, with
    the credit's year keys as text and dates as ISO text, except that each violation is one
    compact line (written from the engine's columns)."""
    from checker.render import report_json_bytes

    out = tmp_path / "r.json"
    r = run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json", "-o", out)
    assert r.exit_code == 1
    data = out.read_bytes()
    report = json.loads(data)
    assert report["credit"] and all(list(c["points_by_year"]) == ["2024"] for c in report["credit"])
    lines = data.decode("utf-8").splitlines()
    start = lines.index('  "violations": [')
    verdicts = lines[start + 1:start + 1 + len(report["violations"])]
    assert [json.loads(line.strip().removesuffix(",")) for line in verdicts] == report["violations"]
    assert all(line.startswith('    {"rule_id":') for line in verdicts)
    # everything else is the standard library's text
    rest = report | {"violations": "VIOLATIONS"}
    expected = json.dumps(rest, ensure_ascii=False, indent=2).replace(
        '"VIOLATIONS"', "[\n" + "\n".join(verdicts) + "\n  ]")
    assert data.decode("utf-8") == expected + "\n"
    # what a report may hold (dates, int keys, a set) against the standard library
    odd = {"on": dt.date(2024, 2, 29), "by_year": {2024: 1.5, 2025: 0.1}, "ids": {"b"}, "text": "电梯\u2028\x1f\"\\",
           "nested": [{"empty": [], "none": None, "flag": True}], "empty": {}, "violations": []}
    assert report_json_bytes(odd) == json.dumps(
        odd | {"ids": ["b"]}, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def test_check_exit_0_when_clean(tmp_path):
    # an old affordable-housing elevator maintained by its manufacturer: MAINT-PROVIDER judges it and finds nothing
    folder = write_submission(tmp_path / "s", {"organizations": ORGANIZATIONS, "elevators": [
        elevator(commissioned_on="2005-01-01", affordable_housing="是", maintenance_unit_id=MAKER)]})
    r = run("check", folder, "--from", "2024-01-01", "--to", "2024-01-31", "--format", "json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["violations"] == [] and report["summary"]["exit_status"] == 0
    assert [(x["rule_id"], x["evaluated"], x["cases"], x["violations"]) for x in report["rules"] if x["evaluated"]] == [
        ("MAINT-PROVIDER", True, 1, 0)]
    assert [x["rule_id"] for x in report["summary"]["not_evaluated"]] == [x for x in RULES if x != "MAINT-PROVIDER"]
    assert report["summary"]["not_evaluated"][0] == {
        "rule_id": "DAILY-CHECK", "reason_zh": "未评判：未提交 daily_checks（每日电梯安全检查记录（日管控））",
        "reason_en": "not evaluated: no daily_checks submitted"}


def test_invalid_input_is_refused_with_exit_2_and_skip_invalid_judges_the_rest(tmp_path):
    folder = write_submission(tmp_path / "s", {"organizations": ORGANIZATIONS,
                                               "elevators": [elevator("E1"), elevator("E2", commissioned_on="2024-13-01")],
                                               "daily_checks": []})
    r = run("check", folder, "--from", "2024-01-01", "--to", "2024-01-31")
    assert r.exit_code == 2
    assert "提交的数据有 1 个错误，未做评判" in r.output and "the submission has 1 errors and was not judged" in r.output
    assert 'elevators.csv line 3, field commissioned_on' in r.output
    r = run("check", folder, "--from", "2024-01-01", "--to", "2024-01-31", "--format", "json", "--skip-invalid")
    assert r.exit_code == 1
    report = json.loads(r.stdout)
    assert [v["subject"] for v in report["violations"]] == ["E1"]
    assert [p["row"] for p in report["rejected"]] == [3]


@pytest.mark.parametrize("args,message", [
    (["--from", "2024-02-01", "--to", "2024-01-01"], "bad period: --to 2024-01-01 is before --from 2024-02-01"),
    (["--from", "2024-02-30", "--to", "2024-03-01"], "'2024-02-30' is not a valid date"),
    (["--from", "2024-01-01"], "Missing option '--to'"),
    (["--from", "2024-01-01", "--to", "2024-01-31", "--colour"], "No such option '--colour'"),
])
def test_bad_options_exit_2_with_a_clear_message(sample, args, message):
    r = run("check", sample, *args)
    assert r.exit_code == 2 and message in r.output


def test_params_file_overrides_and_refuses_unknown_names_and_wrong_types(sample, tmp_path):
    good = tmp_path / "p.yaml"
    good.write_text("maintenance.dense_max_interval_days: 12\nold.boundary: exclusive\n", encoding="utf-8")
    r = run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json", "--params", good)
    params = json.loads(r.stdout)["parameters"]
    assert params["maintenance.dense_max_interval_days"]["value"] == 12 and params["old.boundary"]["value"] == "exclusive"
    bad = tmp_path / "bad.yaml"
    bad.write_text("maintenance.dense_max_interval: 12\n", encoding="utf-8")
    r = run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "--params", bad)
    assert r.exit_code == 2 and "unknown parameter 'maintenance.dense_max_interval'" in r.output
    bad.write_text("maintenance.dense_max_interval_days: ten\n", encoding="utf-8")
    r = run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "--params", bad)
    assert r.exit_code == 2 and "parameter maintenance.dense_max_interval_days must be an integer, got 'ten'" in r.output
    bad.write_text("old.boundary: sometimes\n", encoding="utf-8")
    r = run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "--params", bad)
    assert r.exit_code == 2 and "must be one of inclusive, exclusive, got 'sometimes'" in r.output


def test_wrong_path_and_malformed_file(tmp_path):
    r = run("validate", tmp_path / "nope")
    assert r.exit_code == 2 and "submission not found" in r.output and "找不到提交的数据" in r.output
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "elevators.json").write_text("[{oops", encoding="utf-8")
    r = run("validate", tmp_path / "bad")
    assert r.exit_code == 2 and "elevators.json: line 1 is not valid JSON" in r.output


def test_ledger_round_trip_through_the_commands(sample, tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    first = run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json", "--ledger", ledger)
    report = json.loads(first.stdout)
    items = sum(len(f["items"]) for f in report["credit"])
    assert report["summary"]["ledger"]["new_deductions"] == items > 0
    again = run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json", "--ledger", ledger)
    flat = " ".join(again.stderr.split())
    assert f"recorded in ledger {ledger}: 0 new deduction(s) (proposed; final once the objection window has passed), " \
        f"{items} already recorded (a violation deducts once)" in flat
    provisional = report["summary"]
    assert f"{provisional['provisional_deductions']} provisional deduction(s) ({provisional['provisional_points']} points) " \
        "rest on an interpretation or a source not in force and are not recorded" in flat
    again = json.loads(again.stdout)
    assert again["summary"]["ledger"]["new_deductions"] == 0
    totals = json.loads(run("credit", ledger, "--format", "json").stdout)
    assert [f["points"] for f in totals["firms"]] == [f["points"] for f in report["credit"]]
    assert totals["official"] is False and totals["notice_zh"].startswith("默认分值，非官方")
    fingerprint = report["credit"][0]["items"][0]["fingerprint"]
    r = run("credit", "revoke", ledger, fingerprint, "--reason", "申诉成立", "--by", "张三")
    assert r.exit_code == 0 and f"revoked {fingerprint}" in r.output
    firm = json.loads(run("credit", ledger, "--org", report["credit"][0]["org_id"], "--format", "json").stdout)["firms"][0]
    item = next(i for i in firm["items"] if i["fingerprint"] == fingerprint)
    assert item["revoked"]["reason"] == "申诉成立" and item["revoked"]["by"] == "张三"
    table = run("credit", ledger)
    assert table.exit_code == 0 and "默认分值，非官方" in table.output
    r = run("credit", "revoke", ledger, fingerprint, "--reason", "again", "--by", "李四")
    assert r.exit_code == 2 and "由 张三 撤销（理由：申诉成立），不能再次撤销" in r.output
    # when, in Beijing time as every time liftcheck shows, never the ledger's UTC stamp
    assert re.search(r"这项扣分已于 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d（北京时间）", r.output) and "+00:00" not in r.output
    r = run("credit", tmp_path / "typo.sqlite")
    assert r.exit_code == 2 and "ledger not found" in r.output and not (tmp_path / "typo.sqlite").exists()


def test_an_unwritable_output_name_is_refused_before_any_work(sample, tmp_path):
    r = run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "-o", tmp_path / "v.txt")
    assert r.exit_code == 2 and r.output.startswith("错误：v.txt：输出文件应为 .csv、.json、.jsonl 或 .xlsx")


def test_old_list_for_a_quarter(sample, tmp_path):
    r = run("old-list", sample, "--quarter", "2024Q3", "--format", "json")
    assert r.exit_code == 0
    body = json.loads(r.stdout)
    # rules.md: every in-scope elevator with commissioned_on + 15 years <= the quarter's last day, whole years of age
    as_of = dt.date(2024, 9, 30)
    old = sorted((e for e in table(sample, "elevators") if in_scope(e) and plus_years(day(e["commissioned_on"]), 15) <= as_of),
                 key=lambda e: (e["district"], e["community"], e["elevator_id"]))
    expected = [(e["elevator_id"], e["district"], e["community"], e["commissioned_on"],
                 as_of.year - day(e["commissioned_on"]).year - ((as_of.month, as_of.day) < (day(e["commissioned_on"]).month,
                                                                                           day(e["commissioned_on"]).day)),
                 e["affordable_housing"] == "true") for e in old]
    assert body["as_of"] == "2024-09-30" and body["count"] == len(expected) == 20
    assert [(e["elevator_id"], e["district"], e["community"], e["commissioned_on"], e["age_years"], e["affordable_housing"])
            for e in body["elevators"]] == expected
    # the workbook holds the same elevators, in the same order, under its Chinese title
    import openpyxl

    out = tmp_path / "old.xlsx"
    r = run("old-list", sample, "--as-of", "2024-09-30", "-o", out)
    assert r.exit_code == 0 and f"old-elevator list: 20 elevators → {out}" in r.output
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][0] == "15年以上老旧住宅电梯清单（截至 2024-09-30，共 20 部）"
    assert rows[2][:8] == ("设备代码", "所在区", "街道", "小区", "使用单位", "使用单位代码", "投用日期", "投用年限")
    assert [(x[0], x[1], x[3], x[6].date().isoformat(), x[7]) for x in rows[3:]] == [e[:5] for e in expected]
    r = run("old-list", sample)
    assert r.exit_code == 2 and "give exactly one of --as-of or --quarter" in r.output
    r = run("old-list", sample, "--quarter", "2024Q5")
    assert r.exit_code == 2 and "should look like 2024Q3" in r.output


def test_fund_check_exit_codes(sample, tmp_path):
    report = json.loads(run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json").stdout)
    # the review of every emergency application of the period is in the report (fund_reviews), never a violation
    reviews = {f["application_id"]: f for f in report["fund_reviews"]}
    assert not reviews["ZJ0000000"]["well_founded"]
    r = run("fund-check", sample, "ZJ0000000", "--format", "json")
    verdict = json.loads(r.stdout)
    assert r.exit_code == 1 and verdict["unmet"] == ["report_exists"] == reviews["ZJ0000000"]["unmet"]
    assert [c["holds"] for c in verdict["prerequisites"]] == [False, None, None, None, None]
    assert [c["status"] for c in verdict["prerequisites"]] == ["fails"] + ["not_judged"] * 4
    assert verdict["prerequisites"][0]["failure_zh"] == "没有有效的评估报告（未填写或不存在）"
    assert verdict["prerequisites"][3]["status_zh"] == "未判断：须先满足“申请时评估报告已完成”"
    from conftest import ORGANIZATIONS, elevator, write_submission

    sound = write_submission(tmp_path / "sound", {
        "organizations": ORGANIZATIONS, "elevators": [elevator("E1", commissioned_on="2005-01-01")],
        "assessments": [{"assessment_id": "A1", "elevator_id": "E1", "applied_on": "2024-01-05", "completed_on": "2024-02-01",
                         "conclusion": "repair", "plan_on": "2024-02-20"}],
        "fund_applications": [{"application_id": "F1", "elevator_id": "E1", "applied_on": "2024-03-01",
                               "channel": "emergency", "assessment_id": "A1"}]})
    r = run("fund-check", sound, "F1", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["well_founded"] is True and json.loads(r.stdout)["unmet"] == []
    r = run("fund-check", sample, "NOPE")
    assert r.exit_code == 2 and "no fund application NOPE" in r.output


# rules.md's table: clause, responsible party (as the table prints it) and severity of each rule
RULE_TABLE = {
    "DAILY-CHECK": ("总局令第74号 / 意见稿 四（一）", "使用单位", "一般 general"),
    "WEEKLY-REVIEW": ("总局令第74号 / 意见稿 四（一）", "使用单位", "一般 general"),
    "MONTHLY-DISPATCH": ("总局令第74号 / 意见稿 四（一）", "使用单位", "一般 general"),
    "EMERGENCY-PLAN": ("《特种设备安全法》第六十九条 / 意见稿 四（一）", "使用单位", "一般 general"),
    "EMERGENCY-DRILL": ("《特种设备安全法》第六十九条 / 意见稿 四（一）", "使用单位", "一般 general"),
    "ALARM-FAULT": ("意见稿四（一）", "使用单位", "较重 major"),
    "RESCUE-ARRIVAL": ("《特种设备安全法》第四十五条 / 意见稿 四（一）、四（四）", "维保单位", "较重 major"),
    "RESCUE-COORDINATION": ("意见稿四（一）", "使用单位", "较重 major"),
    "MAINT-INTERVAL": ("《特种设备安全监察条例》第三十一条", "维保单位", "一般 general"),
    "MAINT-INTERVAL-DENSE": ("意见稿四（五）", "维保单位", "较重 major"),
    "MAINT-PROVIDER": ("意见稿四（五）", "使用单位", "一般 general"),
    "INSPECTION-VALID": ("《特种设备安全法》第四十条 / 意见稿 四（一）", "使用单位", "严重 serious"),
    "SCREENING-AT-INSPECTION": ("意见稿四（二）", "市场监管部门", "提示 notice"),
    "ASSESSMENT-AFTER-HIGH-RISK": ("《南京市电梯安全条例》 / 意见稿 四（一）、四（二）", "使用单位（affordable_housing：市场监管部门）",
                                   "较重 major"),
    "ASSESSMENT-AFFORDABLE": ("意见稿四（五）", "市场监管部门", "提示 notice"),
    "ASSESSMENT-WORKGROUP": ("意见稿四（三）", "使用单位", "较重 major"),
    "HAZARD-OVERDUE": ("《特种设备安全法》第四十二条 / 意见稿 四（三）", "使用单位", "随隐患等级 by hazard"),
    "HAZARD-LISTED": ("意见稿四（三）", "区人民政府（江北新区管理机构）", "提示 notice"),
    "HAZARD-SERIOUS-STOP": ("《特种设备安全法》第四十二条 / 意见稿 四（一）", "使用单位", "严重 serious"),
    "HAZARD-STOP-ORDER": ("意见稿五（三）", "市场监管部门", "提示 notice"),
    "DEFECT-REPAIR": ("《特种设备安全法》第四十二条 / 意见稿 四（一）", "使用单位", "一般 general"),
    "FUND-DECISION-TIME": ("意见稿四（三）", "房产部门", "提示 notice"),
    "ASSESSMENT-COMPLETION": ("意见稿四（二）",
                              "镇人民政府、街道办事处或开发区管理机构（affordable_housing：市场监管部门）", "提示 notice"),
    "AFFORDABLE-FUNDING-PLAN": ("意见稿四（五）", "镇人民政府、街道办事处或开发区管理机构", "提示 notice"),
}


def printed_rules_table(output: str) -> list[list[str]]:
    """The rows of `rules list`'s table: [id, title zh, title en, source, subject, responsible, severity]; the
    source is the law laying the duty, then (on the next line) the draft sections beside it."""
    rows: list[list[str]] = []
    for line in output.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0]:
            rows.append([cells[0], cells[1], "", *cells[2:]])
        else:
            rows[-1][2] = f"{rows[-1][2]} {cells[1]}".strip()
            if cells[2]:
                rows[-1][3] += " / " + cells[2]
    return rows


def rule_file(rule_id: str) -> dict:
    return yaml.safe_load((data_dir("rules") / f"{rule_id}.yaml").read_text(encoding="utf-8"))


def test_rules_list_prints_every_rule_with_its_title_clause_party_and_severity():
    r = run("rules", "list")
    assert r.exit_code == 0
    rows = printed_rules_table(r.output)
    assert [row[0] for row in rows] == RULES
    for rule_id, title_zh, title_en, clause, subject, responsible, severity in rows:
        body = rule_file(rule_id)
        assert (clause, responsible, severity) == RULE_TABLE[rule_id], rule_id
        assert subject == body["subject"]["zh"], rule_id
        if rule_id != "MAINT-INTERVAL-DENSE":  # its title names a parameter: see the test below
            assert (title_zh, title_en) == (body["title"]["zh"], body["title"]["en"]), rule_id
    listed = json.loads(run("rules", "list", "--format", "json").stdout)
    assert [x["id"] for x in listed] == RULES
    assert listed == [rule_file(rule_id) for rule_id in RULES]


def test_rules_list_prints_the_dense_title_with_the_parameter_in_force():
    rows = {row[0]: row for row in printed_rules_table(run("rules", "list").output)}
    assert rows["MAINT-INTERVAL-DENSE"][1:3] == ["高梯户比老旧电梯现场维保周期超过10天",
                                                 "Dense old elevator maintained less often than every 10 days"]


def test_rules_show_and_an_unknown_rule():
    r = run("rules", "show", "MAINT-INTERVAL-DENSE")
    assert r.exit_code == 0 and "梯户比超过70户/梯的15年以上老旧住宅电梯现场维护保养周期不大于10天/次" in r.output
    assert "高梯户比老旧电梯现场维保周期超过10天  Dense old elevator maintained less often than every 10 days" in r.output
    r = run("rules", "show", "NOPE")
    assert r.exit_code == 2 and "no rule 'NOPE'" in r.output
    assert "available: " + ", ".join(RULES) in r.output.replace("\n", "")


def test_coverage_has_no_gaps():
    r = run("coverage", "--format", "json")
    cov = json.loads(r.stdout)
    assert r.exit_code == 0 and cov["problems"] == []
    assert {x["rule_id"] for x in cov["rules"] if x["scenarios"]} == {x["rule_id"] for x in cov["rules"]}


def test_a_wrong_expectation_in_a_feature_fails_in_chinese(tmp_path, capsys):
    feature = tmp_path / "MAINT-INTERVAL-DENSE.feature"
    text = (data_dir("features") / "MAINT-INTERVAL-DENSE.feature").read_text(encoding="utf-8")
    feature.write_text(text.replace("| 71   | 2024-01-10 | 0            |", "| 71   | 2024-01-10 | 1            |"),
                       encoding="utf-8")
    from checker.bdd.runner import run_features
    from rich.console import Console

    console = Console(record=True, width=200)
    assert run_features(feature, console) == 1
    out = console.export_text()
    assert '步骤：那么 规则 "MAINT-INTERVAL-DENSE" 的违规数为 1' in out
    assert "规则 MAINT-INTERVAL-DENSE：期望 1 条违规，实际 0 条：（没有违规）" in out
    assert "25 个场景：24 个通过，1 个不通过" in out


def test_demo_runs_the_full_check(tmp_path):
    r = run("demo", "--dir", tmp_path / "demo")
    assert r.exit_code == 0
    demo = tmp_path / "demo"
    assert sorted(p.name for p in demo.iterdir()) == sorted([".liftcheck-demo", "12天.yaml", "report.json", "submission",
                                                            "我的数据.xlsx", "我的草稿"])
    assert (demo / "12天.yaml").read_text(encoding="utf-8").endswith("maintenance.dense_max_interval_days: 12\n")
    report = json.loads((demo / "report.json").read_text(encoding="utf-8"))
    data = demo / "submission"
    assert report["period"] == {"from": "2024-01-01", "to": "2024-12-31"}
    assert len(table(data, "elevators")) == 120
    # what the CSV files say, read without liftcheck: DAILY-CHECK's breaches and the unjudged elevators
    assert {(v["subject"], v["period_key"]) for v in report["violations"] if v["rule_id"] == "DAILY-CHECK"} == \
        daily_check_breaches(data, dt.date(2024, 1, 1), dt.date(2024, 12, 31)) != set()
    assert [u["elevator_id"] for u in report["unjudged"] if u["subject"] is None] == sorted(stopped_without_a_stop_record(data))
    # the demo shows every rule at work: each evaluated, judging cases, with at least one violation
    assert [(x["rule_id"], x["evaluated"]) for x in report["rules"]] == [(rule_id, True) for rule_id in RULES]
    by_rule = Counter(v["rule_id"] for v in report["violations"])
    assert report["summary"]["by_rule"] == {rule_id: by_rule[rule_id] for rule_id in RULES}
    assert [x["rule_id"] for x in report["rules"] if not x["cases"] >= x["violations"] == by_rule[x["rule_id"]] > 0] == []
    # the workbook holds the same records as the folder: `check` on it finds the same breaches
    book = json.loads(run("check", demo / "我的数据.xlsx", "--from", "2024-01-01", "--to", "2024-12-31",
                          "--format", "json").stdout)
    assert sorted(v["fingerprint"] for v in book["violations"]) == sorted(v["fingerprint"] for v in report["violations"])
    # a missing value reads naturally: no placeholder for "nothing" in any message
    assert not [v for v in report["violations"] if "（无）" in v["message_zh"] or "(none)" in v["message_en"]]
    shutil.rmtree(demo)


def district_rows(html: str) -> list[tuple[str, int, int, int, str]]:
    """The rows of the HTML report's 各区 Districts table."""
    section = html[html.index("<h2>各区 Districts</h2>"):]
    section = section[:section.index("</table>")]
    cells = re.findall(r'<tr><td>([^<]*)</td><td class="n">(\d+)</td><td class="n">(\d+)</td>\s*'
                       r'<td class="n">(\d+)</td><td class="n">([^<]*)</td></tr>', section)
    return [(name, int(v), int(h), int(c), rate) for name, v, h, c, rate in cells]


def test_html_report_is_escaped_and_complete(sample, tmp_path):
    out = tmp_path / "report.html"
    r = run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "html", "-o", out)
    assert r.exit_code == 1 and f"report written to {out}" in r.output
    html = out.read_text(encoding="utf-8")
    report = json.loads(run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json").stdout)
    # one fingerprint cell per violation, each beside the responsible party's name and id
    assert html.count('<td data-label="指纹" class="id fp muted">') == len(report["violations"])
    assert all(v["fingerprint"] in html for v in report["violations"])
    firm = report["credit"][0]
    assert f'<td data-label="企业">{firm["name"]}</td><td data-label="统一社会信用代码" class="id">{firm["org_id"]}</td>' in html
    assert "默认分值，非官方" in html
    # per district: the violations of its elevators (their districts read here from elevators.csv) and the
    # closed-loop counts (counted here from hazards.csv), most violations first
    districts = {e["elevator_id"]: e["district"] for e in table(sample, "elevators")}
    violations = Counter(districts[v["elevator_id"]] for v in report["violations"] if v["elevator_id"])
    loop = closed_loop(sample, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert loop != {} and len(violations) == 12
    rows = district_rows(html)
    assert {name: (v, h, c, rate) for name, v, h, c, rate in rows} == {
        d: (violations[d], *loop.get(d, (0, 0)), f"{100 * loop[d][1] / loop[d][0]:.1f}%" if d in loop else "")
        for d in set(violations) | set(loop)}
    assert [v for _, v, _, _, _ in rows] == sorted(violations.values(), reverse=True)
    # self-contained: charts inline, nothing to fetch, a phone's viewport
    assert html.count("<svg") == 5 and "<img" not in html and "<script" not in html and "<link" not in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    r = run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "html")
    assert r.exit_code == 2 and "--format html needs -o REPORT.html" in r.output


def test_the_html_report_is_the_same_bytes_on_every_run(sample, tmp_path):
    import os
    import subprocess
    import sys

    pages = []
    for seed in ("1", "2", "3"):
        out = tmp_path / f"report-{seed}.html"
        done = subprocess.run([sys.executable, "-m", "checker.cli", "check", str(sample), "--from", "2024-01-01",
                               "--to", "2024-12-31", "--format", "html", "-o", str(out)],
                              env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True, check=False)
        if done.returncode != 1:
            raise RuntimeError(done.stderr)  # not the bug this test is marked for
        pages.append(out.read_bytes())
    rows = [sorted(district_rows(page.decode("utf-8"))) for page in pages]
    assert rows[0] == rows[1] == rows[2] != []  # the same districts and counts every time ...
    assert pages[0] == pages[1] == pages[2]  # ... in the same order


def test_html_report_escapes_what_people_typed(tmp_path):
    orgs = [dict(o, name="<script>alert(1)</script>甲物业") if o["kind"] == "property_service_enterprise" else o
            for o in ORGANIZATIONS]
    folder = write_submission(tmp_path / "s", {"organizations": orgs, "elevators": [elevator()], "daily_checks": []})
    out = tmp_path / "r.html"
    assert run("check", folder, "--from", "2024-01-01", "--to", "2024-01-31", "--format", "html", "-o", out).exit_code == 1
    html = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;甲物业" in html and "<script>" not in html


def test_an_unwritable_path_is_the_users_error_not_an_internal_one(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run("sample", blocker / "out", "--elevators", "3")
    assert r.exit_code == 2
    assert f"Error: output path {blocker / 'out'}: {blocker} is not a folder" in r.output
    assert "Internal error" not in r.output


def test_the_command_sets_jemallocs_decay_before_polars_loads_and_keeps_a_users_own():
    """polars reads _RJEM_MALLOC_CONF when it is first imported: checker.cli sets it, so it must
    not import polars itself (the commands import it later)."""
    import subprocess
    import sys

    probe = ("import os, sys; import checker.cli; "
             "print(os.environ['_RJEM_MALLOC_CONF'], 'polars' in sys.modules)")
    env = {k: v for k, v in __import__("os").environ.items() if k != "_RJEM_MALLOC_CONF"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == ["dirty_decay_ms:30000,muzzy_decay_ms:30000", "False"]
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env=env | {"_RJEM_MALLOC_CONF": "narenas:2"}).stdout
    assert out.split() == ["narenas:2", "False"]
