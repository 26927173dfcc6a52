"""The `liftcheck` command as people use it: exit status, messages, outputs, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ORGANIZATIONS, elevator, write_submission
from checker.cli import main
from checker.resources import data_dir
from checker.sample import SampleSpec, generate, write


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
    assert set(report) >= {"period", "ruleset", "parameters", "violations", "pending", "rules", "summary", "credit", "metrics"}
    assert report["ruleset"]["digest"].startswith("sha256:") and len(report["ruleset"]["digest"]) == 71
    v = report["violations"][0]
    assert set(v) >= {"rule_id", "title", "clause", "severity", "responsible_role", "responsible_org_id",
                      "responsible_name", "elevator_id", "use_unit_id", "use_unit_name", "maintenance_unit_id",
                      "period_key", "evidence", "message_zh", "message_en", "fingerprint"}
    assert len(report["rules"]) == 21 and all(r["evaluated"] for r in report["rules"])
    assert {r["rule_id"] for r in report["rules"] if r["sweep"] == "state"} == {
        "EMERGENCY-PLAN", "EMERGENCY-DRILL", "MAINT-PROVIDER", "SCREENING-COVERAGE", "ASSESSMENT-AFFORDABLE"}
    # the sample's first stopped elevator has no stop record: listed, with the rules that could not judge it
    [unjudged] = report["unjudged"]
    assert unjudged["rules"] == ["DAILY-CHECK", "MAINT-INTERVAL", "MAINT-INTERVAL-DENSE", "INSPECTION-VALID",
                                 "HAZARD-SERIOUS-STOP"]
    assert report["summary"]["unjudged"] == 1 and "没有未结束的停用记录" in unjudged["reason_zh"]
    assert not any(x["elevator_id"] == unjudged["elevator_id"] for x in report["violations"]
                   if x["rule_id"] in unjudged["rules"])
    assert report["parameters"]["maintenance.min_star"]["interpretation"] is True
    assert {a["parameter"] for a in report["assumptions"]} >= {"maintenance.min_star", "assessment.apply_within_days"}


def test_check_exit_0_when_clean(tmp_path):
    folder = write_submission(tmp_path / "s", {"organizations": ORGANIZATIONS, "elevators": [elevator()]})
    r = run("check", folder, "--from", "2024-01-01", "--to", "2024-01-31", "--format", "json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["violations"] == []
    assert [r["rule_id"] for r in report["rules"] if r["evaluated"]] == ["MAINT-PROVIDER"]
    assert len(report["summary"]["not_evaluated"]) == 20


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
    assert f"recorded in ledger {ledger}: 0 new deduction(s), {items} already recorded" in again.stderr
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
    assert r.exit_code == 2 and "already revoked by 张三" in r.output
    r = run("credit", tmp_path / "typo.sqlite")
    assert r.exit_code == 2 and "ledger not found" in r.output and not (tmp_path / "typo.sqlite").exists()


def test_an_unwritable_output_name_is_refused_before_any_work(sample, tmp_path):
    r = run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "-o", tmp_path / "v.txt")
    assert r.exit_code == 2 and r.output.startswith("错误：v.txt：输出文件应为 .csv、.json、.jsonl 或 .xlsx")


def test_old_list_for_a_quarter(sample, tmp_path):
    r = run("old-list", sample, "--quarter", "2024Q3", "--format", "json")
    body = json.loads(r.stdout)
    assert r.exit_code == 0 and body["as_of"] == "2024-09-30" and body["count"] == len(body["elevators"]) > 0
    assert all(e["age_years"] >= 15 for e in body["elevators"])
    out = tmp_path / "old.xlsx"
    assert run("old-list", sample, "--as-of", "2024-09-30", "-o", out).exit_code == 0 and out.stat().st_size > 0
    r = run("old-list", sample)
    assert r.exit_code == 2 and "give exactly one of --as-of or --quarter" in r.output
    r = run("old-list", sample, "--quarter", "2024Q5")
    assert r.exit_code == 2 and "should look like 2024Q3" in r.output


def test_fund_check_exit_codes(sample):
    report = json.loads(run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json",
                            "--rule", "FUND-EMERGENCY-BASIS").stdout)
    bad = {v["subject"] for v in report["violations"]}
    r = run("fund-check", sample, "ZJ0000000", "--format", "json")
    verdict = json.loads(r.stdout)
    assert r.exit_code == 1 and verdict["unmet"] == ["report_exists"] and "ZJ0000000" in bad
    assert [c["holds"] for c in verdict["prerequisites"]] == [False, None, None, None, None]
    assert [c["status"] for c in verdict["prerequisites"]] == ["fails"] + ["not_judged"] * 4
    assert verdict["prerequisites"][0]["failure_zh"] == "没有有效的评估报告（未填写或不存在）"
    assert verdict["prerequisites"][3]["status_zh"] == "未判断：它依赖的 report_completed 未满足"
    r = run("fund-check", sample, "NOPE")
    assert r.exit_code == 2 and "no fund application NOPE" in r.output


def test_rules_commands():
    assert run("rules", "list").exit_code == 0
    r = run("rules", "show", "MAINT-INTERVAL-DENSE")
    assert r.exit_code == 0 and "梯户比超过70户/梯的15年以上老旧住宅电梯现场维护保养周期不大于10天/次" in r.output
    r = run("rules", "show", "NOPE")
    assert r.exit_code == 2 and "no rule 'NOPE'" in r.output


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
    report = json.loads((tmp_path / "demo" / "report.json").read_text(encoding="utf-8"))
    assert all(n > 0 for n in report["summary"]["by_rule"].values())
    # a missing value reads naturally: no placeholder for "nothing" in any message
    assert not [v for v in report["violations"] if "（无）" in v["message_zh"] or "(none)" in v["message_en"]]
    shutil.rmtree(tmp_path / "demo")


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
    # self-contained: charts inline, nothing to fetch, a phone's viewport
    assert html.count("<svg") == 5 and "<img" not in html and "<script" not in html and "<link" not in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    r = run("check", sample, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "html")
    assert r.exit_code == 2 and "--format html needs -o REPORT.html" in r.output


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
