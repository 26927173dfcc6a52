"""Rule overlays (`--rules DIR`): a file replaces, adds or disables a rule; every report says so."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import ORGANIZATIONS, elevator, keys, status, visits, write_submission
from checker.cli import main
from checker.errors import LiftcheckError
from checker.pipeline import run_check
from checker.resources import data_dir
from checker.rulebook import CATALOGUE, load_rulebook

DENSE = elevator(commissioned_on="2008-01-01", affordable_housing="是", households_served=71)
# two visits 10 days apart: within "不大于10天"
TABLES = {"organizations": ORGANIZATIONS, "elevators": [DENSE],
          "maintenance": visits("E1", ["2023-12-31", "2024-01-10"])}


def shipped(rule_id: str) -> dict:
    return yaml.safe_load((data_dir("rules") / f"{rule_id}.yaml").read_text(encoding="utf-8"))


def overlay(folder: Path, *bodies: dict, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for body in bodies:
        (folder / f"{name or body['id']}.yaml").write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    return folder


def check(tmp_path: Path, rules_dir: Path | None, tables=TABLES, end="2024-01-10", **kw) -> dict:
    data = write_submission(tmp_path / "data", tables)
    return run_check(data, dt.date(2024, 1, 1), dt.date.fromisoformat(end), rules_dir=rules_dir, **kw).report


def cli(*args) -> tuple[int, str]:
    r = CliRunner(env={"COLUMNS": "300"}).invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in r.output and "Internal error" not in r.output
    return r.exit_code, r.output


def test_a_replacing_file_changes_the_verdict_and_the_report_says_it_was_replaced(tmp_path):
    # the drafter's wording "小于10天" instead of "不大于10天": 10 days is now too long
    body = shipped("MAINT-INTERVAL-DENSE") | {"condition": 'dense(a) and interval_days >= param("maintenance.dense_max_interval_days")'}
    folder = overlay(tmp_path / "小于10天", body)
    before, after = check(tmp_path / "a", None), check(tmp_path / "b", folder)
    assert keys(before, "MAINT-INTERVAL-DENSE") == []
    # judged all the same: 12-31 → 01-10 (10 days, allowed under 不大于) and 01-10 to the period's end
    assert (status(before, "MAINT-INTERVAL-DENSE")["evaluated"], status(before, "MAINT-INTERVAL-DENSE")["cases"]) == (True, 2)
    assert keys(after, "MAINT-INTERVAL-DENSE") == [("E1", "2023-12-31")]
    assert after["overrides"]["rules"] == {
        "added": [], "disabled": [],
        "replaced": [{"rule_id": "MAINT-INTERVAL-DENSE", "file": str(folder / "MAINT-INTERVAL-DENSE.yaml")}]}
    assert before["overrides"] == {"parameters": [], "rules": {"replaced": [], "added": [], "disabled": []}}
    assert after["ruleset"]["digest"] != before["ruleset"]["digest"]


def test_the_digest_covers_the_overlay_files_by_name_and_content_wherever_the_folder_lies(tmp_path):
    body = shipped("MAINT-INTERVAL-DENSE") | {"condition": 'dense(a) and interval_days >= param("maintenance.dense_max_interval_days")'}
    here, there = overlay(tmp_path / "here", body), overlay(tmp_path / "there", body)
    assert load_rulebook(here).digest() == load_rulebook(there).digest() != load_rulebook().digest()
    (there / "MAINT-INTERVAL-DENSE.yaml").write_text(
        (there / "MAINT-INTERVAL-DENSE.yaml").read_text(encoding="utf-8") + "# 起草人注\n", encoding="utf-8")
    assert load_rulebook(there).digest() != load_rulebook(here).digest()


def test_an_overlay_adds_a_rule_with_a_new_id_after_the_catalogue(tmp_path):
    body = shipped("MAINT-INTERVAL-DENSE") | {
        "id": "MAINT-INTERVAL-DENSE-7", "condition": "dense(a) and interval_days > 7"}
    folder = overlay(tmp_path / "七天", body)
    book = load_rulebook(folder)
    assert list(book.rules) == [*CATALOGUE, "MAINT-INTERVAL-DENSE-7"]
    report = check(tmp_path, folder)
    assert keys(report, "MAINT-INTERVAL-DENSE-7") == [("E1", "2023-12-31")]
    assert keys(report, "MAINT-INTERVAL-DENSE") == []
    assert (status(report, "MAINT-INTERVAL-DENSE")["evaluated"], status(report, "MAINT-INTERVAL-DENSE")["cases"]) == (True, 2)
    assert report["overrides"]["rules"]["added"] == [
        {"rule_id": "MAINT-INTERVAL-DENSE-7", "file": str(folder / "MAINT-INTERVAL-DENSE-7.yaml")}]


def test_an_overlay_disables_a_rule_with_its_reason_and_its_points_stay_in_the_schedule(tmp_path):
    folder = overlay(tmp_path / "停用", {"id": "DAILY-CHECK", "disabled": True, "reason": "日管控另行考核"})
    tables = TABLES | {"daily_checks": []}
    with_rule, without = check(tmp_path / "a", None, tables), check(tmp_path / "b", folder, tables)
    assert len([v for v in with_rule["violations"] if v["rule_id"] == "DAILY-CHECK"]) == 1
    assert "DAILY-CHECK" not in {r["rule_id"] for r in without["rules"]}
    assert not [v for v in without["violations"] if v["rule_id"] == "DAILY-CHECK"]
    assert without["overrides"]["rules"]["disabled"] == [{"rule_id": "DAILY-CHECK", "reason": "日管控另行考核"}]
    assert without["ruleset"]["digest"] != with_rule["ruleset"]["digest"]
    with pytest.raises(LiftcheckError) as err:
        load_rulebook(folder).get("DAILY-CHECK")
    assert err.value.en == "rule 'DAILY-CHECK' is disabled by --rules: 日管控另行考核"


@pytest.mark.parametrize("body,message", [
    ({"id": "DAILY-CHECK", "disabled": True}, "field reason: 'reason' is a required property"),
    ({"id": "DAILY-CHECK", "disabled": True, "reason": "  "}, "field reason: '  ' does not match"),
    ({"id": "NO-SUCH-RULE", "disabled": True, "reason": "试一试"}, "field id: disables 'NO-SUCH-RULE', which is not a rule of the rule book"),
    ({"id": "DAILY-CHECK", "disabled": False}, "field title: 'title' is a required property"),
])
def test_a_disabling_file_needs_a_reason_and_a_shipped_id(tmp_path, body, message):
    folder = overlay(tmp_path / "o", body)
    with pytest.raises(LiftcheckError) as err:
        load_rulebook(folder)
    assert err.value.en.startswith(f"rule file {folder / (body['id'] + '.yaml')}, ")
    assert message in err.value.en


def test_an_overlay_holds_rule_files_only(tmp_path):
    folder = tmp_path / "o"
    folder.mkdir()
    with pytest.raises(LiftcheckError) as err:
        load_rulebook(folder)
    assert err.value.en == f"--rules {folder}: the folder holds no rule files (*.yaml)"
    (folder / "params.yaml").write_text("maintenance.dense_max_interval_days: 12\n", encoding="utf-8")
    with pytest.raises(LiftcheckError) as err:
        load_rulebook(folder)
    assert "params.yaml is not a rule file" in err.value.en and "parameters go through --params FILE" in err.value.en
    with pytest.raises(LiftcheckError) as err:
        load_rulebook(tmp_path / "nowhere")
    assert err.value.en == f"--rules {tmp_path / 'nowhere'}: no such folder"


@pytest.mark.parametrize("change,field,message", [
    ({"condition": 'dense(a) and interval_dayz > param("maintenance.dense_max_interval_days")'}, "condition",
     "unknown name 'interval_dayz'"),
    ({"condition": "dense(a) and interval_days >"}, "condition", "expression syntax error"),
    ({"condition": 'dense(a) and interval_days > param("maintenance.dense_interval")'}, "condition",
     "unknown parameter 'maintenance.dense_interval'"),
    ({"applies_when": "is_nul(a)"}, "applies_when", "unknown function 'is_nul'"),
    ({"facts": "maintenance_gaps"}, "facts", "no fact table 'maintenance_gaps'"),
    ({"requires": ["maintenence"]}, "requires", "no record type ['maintenence']"),
    ({"parameters": ["maintenance.dense_max_interval"]}, "parameters", "no parameter ['maintenance.dense_max_interval']"),
    ({"message": {"zh": "{elevator_id} 间隔 {interval} 天", "en": "x"}}, "message[0].zh", "unknown placeholders ['interval']"),
    ({"evidence": ["a", {"limit_days": 'param("maintenance.dense_max_interval")'}]}, "evidence/limit_days",
     "unknown parameter 'maintenance.dense_max_interval'"),
    ({"message": [{"when": "ends_at_period", "zh": "{a}", "en": "{a}"}, {"zh": "{a}", "en": "{a}"}]}, "message[0]/when",
     "unknown name 'ends_at_period'"),
])
def test_a_broken_overlay_rule_is_exit_2_naming_file_and_field_before_any_data_is_read(tmp_path, change, field, message):
    folder = overlay(tmp_path / "草稿", shipped("MAINT-INTERVAL-DENSE") | change)
    # the data folder does not even exist: the rule is compiled first
    code, out = cli("check", tmp_path / "no-data-yet", "--from", "2024-01-01", "--to", "2024-12-31", "--rules", folder)
    assert code == 2
    assert f"{folder / 'MAINT-INTERVAL-DENSE.yaml'}, field {field}: " in out.split("Error:")[1], out
    assert message in out
    assert f"错误：规则文件 {folder / 'MAINT-INTERVAL-DENSE.yaml'} 字段 {field}：" in out


def test_a_broken_deadline_field_is_named_by_its_path(tmp_path):
    body = shipped("ALARM-FAULT")
    body["deadline"]["due_on"] = 'add_days(failed_on, param("alarm.repair_within_days")) +'
    folder = overlay(tmp_path / "o", body)
    code, out = cli("check", tmp_path, "--from", "2024-01-01", "--to", "2024-12-31", "--rules", folder)
    assert code == 2 and f"rule file {folder / 'ALARM-FAULT.yaml'}, field deadline/due_on: expression syntax error" in out


def test_check_table_json_and_html_say_what_was_overridden(tmp_path):
    data = write_submission(tmp_path / "data", TABLES)
    params = tmp_path / "12天.yaml"
    params.write_text("maintenance.dense_max_interval_days: 12\n", encoding="utf-8")
    folder = overlay(tmp_path / "o", {"id": "DAILY-CHECK", "disabled": True, "reason": "日管控另行考核"})
    period = ["--from", "2024-01-01", "--to", "2024-01-10", "--params", params, "--rules", folder]
    code, out = cli("check", data, *period, "--format", "json")
    assert code == 1 and {v["rule_id"] for v in json.loads(out)["violations"]} == {"MAINT-PROVIDER"}
    assert json.loads(out)["overrides"]["parameters"] == [
        {"name": "maintenance.dense_max_interval_days", "base": 10, "value": 12}]
    code, out = cli("check", data, *period)
    head = out[: out.index("规则 Rules")]
    assert "本次检查未完全使用默认规则集" in head
    assert re.search(r"maintenance\.dense_max_interval_days +│ 10 ", head) and "│ 12" in head
    assert "DAILY-CHECK 每日电梯安全检查（日管控）" in head and "停用 disabled：日管控另行考核" in head
    cli("check", data, *period, "--format", "html", "-o", tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "本报告未完全使用默认规则集" in html
    assert ('<td data-label="名称">maintenance.dense_max_interval_days</td><td data-label="默认">10</td>'
            '<td data-label="本次"><b>12</b></td>') in html
    code, out = cli("check", data, "--from", "2024-01-01", "--to", "2024-01-10")
    assert "本次检查未完全使用默认规则集" not in out


FEATURE = """# language: zh-CN
功能: 起草人的试验
  场景: 间隔 10 天
    假如 以下电梯:
      | 设备代码 | 投用日期   | 保障房 | 服务户数 |
      | E1       | 2008-01-01 | 是     | 71       |
    并且 以下维保记录:
      | 设备代码 | 维保日期   |
      | E1       | 2023-12-31 |
      | E1       | 2024-01-10 |
    当 检查 "2024-01-01" 至 "2024-01-10"
    那么 规则 "MAINT-INTERVAL-DENSE" 没有违规
"""


def test_features_run_against_an_overlay(tmp_path):
    body = shipped("MAINT-INTERVAL-DENSE") | {"condition": 'dense(a) and interval_days >= param("maintenance.dense_max_interval_days")'}
    folder = overlay(tmp_path / "小于10天", body)
    feature = tmp_path / "试验.feature"
    feature.write_text(FEATURE, encoding="utf-8")
    code, out = cli("features", feature)
    assert code == 0, out
    code, out = cli("features", feature, "--rules", folder)
    assert code == 1
    assert "规则 MAINT-INTERVAL-DENSE：期望 0 条违规，实际 1 条：E1 @ 2023-12-31" in out


def test_every_file_of_the_rules_folder_that_is_not_a_rule_is_refused_in_an_overlay_with_a_pointer(tmp_path):
    from checker.rulebook import _NOT_IN_OVERLAY, NOT_RULES

    assert set(_NOT_IN_OVERLAY) == NOT_RULES
    folder = tmp_path / "o"
    folder.mkdir()
    (folder / "definitions.yaml").write_text("old: {}\n", encoding="utf-8")
    with pytest.raises(LiftcheckError) as err:
        load_rulebook(folder)
    assert "definitions.yaml is not a rule file" in err.value.en and "use --params" in err.value.en


def test_a_drafters_overlay_never_writes_into_the_credit_ledger(tmp_path):
    data = write_submission(tmp_path / "data", TABLES)
    folder = overlay(tmp_path / "o", {"id": "DAILY-CHECK", "disabled": True, "reason": "试算"})
    ledger = tmp_path / "credit.sqlite"
    code, out = cli("check", data, "--from", "2024-01-01", "--to", "2024-01-10", "--rules", folder, "--ledger", ledger)
    assert code == 2 and "a --rules overlay is for trying wordings and cannot be used with --ledger" in out
    assert not ledger.exists()


def test_an_overlays_span_of_time_in_the_evidence_reads_the_same_in_the_json_and_the_dicts(tmp_path):
    """An overlay may put `b - a` (a span of time) in the evidence: the JSON report, written from
    columns, and the dicts every other output reads give it as the same ISO 8601 duration."""
    from checker.render import report_json_bytes

    body = shipped("MAINT-INTERVAL-DENSE")
    body["evidence"] = [*body["evidence"], {"gap": "b - a"}]
    folder = overlay(tmp_path / "gap", body)
    tables = {**TABLES, "maintenance": visits("E1", ["2023-12-20", "2024-01-10"])}
    report = check(tmp_path / "a", folder, tables=tables)
    [v] = [v for v in report["violations"] if v["rule_id"] == "MAINT-INTERVAL-DENSE"]
    assert (v["evidence"]["b"], v["evidence"]["gap"]) == ("2024-01-10", "P21D")
    assert json.loads(report_json_bytes(report))["violations"] == list(report["violations"])
