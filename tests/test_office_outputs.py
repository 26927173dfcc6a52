"""What a Chinese office takes away: workbooks and CSV in Chinese with names, the template, the
terminal at 80 columns, click's errors in Chinese, rejected records stated, small wrong results."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from conftest import FIRM, ORGANIZATIONS, daily, days, elevator, write_submission
from checker import labels
from checker.cli import main
from checker.resources import data_dir
from checker.sample import SampleSpec, generate, write

PERIOD = ["--from", "2024-01-01", "--to", "2024-12-31"]


def run(*args, columns: int = 400, **env):
    result = CliRunner(env={"COLUMNS": str(columns), **env}).invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output and "Internal error" not in result.output, result.output
    return result


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("office") / "submission"
    write(generate(SampleSpec(60, dt.date(2024, 1, 1), dt.date(2024, 12, 31), seed=4)), folder)
    return folder


@pytest.fixture(scope="module")
def report(sample) -> dict:
    return json.loads(run("check", sample, *PERIOD, "--format", "json").stdout)


@pytest.fixture(scope="module")
def workbook(sample, tmp_path_factory) -> openpyxl.Workbook:
    out = tmp_path_factory.mktemp("wb") / "违规清单.xlsx"
    r = run("check", sample, *PERIOD, "-o", out)
    assert r.exit_code == 1
    assert "检查工作簿（概览、违规清单、待办事项、未评判、信用扣分、参数与口径；违规" in r.output
    assert f"written to {out}" in r.output
    return openpyxl.load_workbook(out)


def rows(ws, first: int = 1) -> list[dict]:
    values = list(ws.iter_rows(min_row=first, values_only=True))
    header = values[0]
    return [dict(zip(header, v)) for v in values[1:] if any(x is not None for x in v)]


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# ---- the check workbook ------------------------------------------------------------------

def test_the_check_workbook_has_the_six_sheets_in_chinese(workbook):
    assert workbook.sheetnames == ["概览", "违规清单", "待办事项", "未评判", "信用扣分", "参数与口径"]


def test_the_violation_sheet_reads_in_chinese_with_names_clauses_and_evidence_in_words(workbook, report):
    ws = workbook["违规清单"]
    assert [c.value for c in ws[1]] == ["级别", "规则", "规则名称", "依据（设定义务的法律法规）", "意见稿条款", "责任方",
                                        "责任单位", "责任单位代码", "电梯", "使用单位", "使用单位代码", "维保单位代码", "所在区",
                                        "违规主体", "期间", "说明", "证据", "信用扣分", "扣分状态", "违规指纹"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:T{len(report['violations']) + 1}"
    got = rows(ws)
    assert len(got) == len(report["violations"])
    assert {r["级别"] for r in got} <= {"严重", "较重", "一般", "提示"}
    assert {r["责任方"] for r in got} <= set(labels.RESPONSIBLE_ZH.values())
    by_fp = {v["fingerprint"]: v for v in report["violations"]}
    for r in got:
        v = by_fp[r["违规指纹"]]
        assert r["依据（设定义务的法律法规）"] == v["clause"] and r["意见稿条款"] == (v["draft"] or None)
        assert r["说明"] == v["message_zh"] and r["责任单位"] == v["responsible_name"]
        assert "{" not in r["证据"] and '"' not in r["证据"]  # words, never raw JSON
    daily_check = next(r for r in got if r["规则"] == "DAILY-CHECK")
    v = by_fp[daily_check["违规指纹"]]
    assert daily_check["证据"] == (f"月份：{v['evidence']['month']}；在用日：{v['evidence']['in_service_days']} 天；"
                                  f"缺少天数：{v['evidence']['missing_days']} 天；"
                                  f"缺少日期：{'、'.join(v['evidence']['missing_dates'])}")
    inspection = next((r for r in got if r["规则"] == "INSPECTION-VALID"), None)
    if inspection is not None:
        assert "检验结论：" in inspection["证据"] and "pass" not in inspection["证据"] and "fail" not in inspection["证据"]
    # the firm's name beside its id, and its points on the violations that deduct
    points = {i["fingerprint"]: i["points"] for f in report["credit"] for i in [*f["items"], *f["provisional_items"]]}
    deducting = [r for r in got if r["违规指纹"] in points]
    assert deducting and all(r["信用扣分"] == points[r["违规指纹"]] for r in deducting)
    assert all(r["责任单位"] and r["责任单位代码"] for r in deducting)
    # R3-6: whether the points count, and why not, in words on the row
    charged = {i["fingerprint"] for f in report["credit"] for i in f["items"]}
    provisional = {i["fingerprint"]: i["provisional_zh"] for f in report["credit"] for i in f["provisional_items"]}
    assert charged and provisional
    for r in deducting:
        if r["违规指纹"] in charged:
            assert r["扣分状态"] == "计入：依法扣分（记入账本为拟扣分，异议期满后为正式扣分）"
        else:
            assert r["扣分状态"] == "暂定（不计入合计、不记入账本）：" + "；".join(provisional[r["违规指纹"]])
    # and why a verdict deducts nothing: a party that is not a property firm, a notice, or a use unit that is not one
    for r in got:
        if r["违规指纹"] in points:
            continue
        v = by_fp[r["违规指纹"]]
        if v["responsible_role"] != "use_unit":
            assert r["扣分状态"] == f"不扣分：责任方为{r['责任方']}，信用扣分只针对物业服务企业", r
        elif v["severity"] == "notice":
            assert r["扣分状态"] == "不扣分：提示"
        else:
            assert r["扣分状态"] == "不扣分：使用单位不是物业服务企业，或扣分标准未列此规则"
    assert any(r["扣分状态"].startswith("不扣分：责任方为维保单位") for r in got if r["规则"] == "RESCUE-ARRIVAL")


def test_ids_are_stored_as_text_in_full(workbook):
    ws = workbook["违规清单"]
    cells = [row[8] for row in ws.iter_rows(min_row=2) if row[8].value]
    assert cells and all(c.data_type == "s" and len(c.value) == 16 and c.number_format == "@" for c in cells)


def test_the_overview_states_period_ruleset_counts_unjudged_and_rejected(workbook, report):
    ws = workbook["概览"]
    pairs = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0]}
    assert pairs["检查期间"] == "2024-01-01 至 2024-12-31"
    assert pairs["规则集摘要"] == report["ruleset"]["digest"]
    assert pairs["改动的参数与规则"] == "无（全部为默认值）"
    assert pairs["违规"] == len(report["violations"])
    # one elevator stopped without a stop record, two entrapments without a call time, one without a cause
    assert pairs["未评判（电梯、事项、声明起始日前的期间）"] == report["summary"]["unjudged"] == 4
    assert pairs["被拒收的记录（--skip-invalid）"] == 0
    by_rule = {r[0]: r[2] for r in ws.iter_rows(values_only=True) if r[0] in report["summary"]["by_rule"]}
    assert by_rule == {k: v for k, v in report["summary"]["by_rule"].items()}


def test_the_unjudged_sheet_gives_each_elevator_and_case_with_its_reason(workbook, report):
    got = [r for r in rows(workbook["未评判"]) if r["类别"] != "数据提醒（已读入，请核对）"]
    assert len(got) == len(report["unjudged"]) == 4
    title = {x["rule_id"]: x["title"] for x in report["rules"]}
    for row, u in zip(got, report["unjudged"]):
        assert row["电梯"] == u["elevator_id"] and row["使用单位"] == u["use_unit_name"]
        assert row["原因"] == u["reason_zh"]
        # each rule by its id and its title (from the rule files), never an id alone
        assert row["未判断的规则"] == "、".join(f"{r} {title[r]}" for r in u["rules"])
        assert row["类别"] == ("未评判的事项" if u["subject"] else "未评判的电梯")
        assert row["主体"] == u["subject"] and row["未判断的日期"] is None
    assert [row["类别"] for row in got].count("未评判的电梯") == 1
    assert {row["原因"].split("：")[0] for row in got if row["类别"] == "未评判的事项"} == {"未记录通知救援时间", "困人原因未记录"}


def test_the_credit_sheet_has_the_placeholder_notice_on_top_and_names(workbook, report):
    ws = workbook["信用扣分"]
    assert ws["A1"].value.startswith("默认分值，非官方")
    firms = rows(ws, first=3)
    assert [(f["物业服务企业"], f["统一社会信用代码"], f["扣分"]) for f in firms] == [
        (f["name"], f["org_id"], f["points"]) for f in report["credit"]]


def test_the_parameter_sheet_lists_every_parameter_used_with_its_interpretation_marked(workbook, report):
    got = {r["参数"]: r for r in rows(workbook["参数与口径"])}
    assert set(got) == set(report["parameters"])
    for name, p in report["parameters"].items():
        assert got[name]["解释性取值"] == ("是" if p["interpretation"] else "否")
        assert got[name]["本次改动"] == "否" and got[name]["依据"] == p["basis"]
    assert got["assessment.workgroup_conclusions"]["取值"] == "维修、大修、改造、更新"
    assert got["alarm.repair_within_days"]["单位"] == "天"


def test_an_override_is_marked_in_the_overview_and_the_parameter_sheet(sample, tmp_path):
    params = tmp_path / "12天.yaml"
    params.write_text("maintenance.dense_max_interval_days: 12\n", encoding="utf-8")
    out = tmp_path / "v.xlsx"
    run("check", sample, *PERIOD, "--params", params, "-o", out)
    wb = openpyxl.load_workbook(out)
    pairs = {r[0]: r[1] for r in wb["概览"].iter_rows(values_only=True) if r[0]}
    assert pairs["改动的参数与规则"] == "maintenance.dense_max_interval_days = 12（默认 10）"
    got = {r["参数"]: r for r in rows(wb["参数与口径"])}
    assert got["maintenance.dense_max_interval_days"]["本次改动"] == "是"
    overlay = tmp_path / "我的草稿"
    overlay.mkdir()
    (overlay / "DAILY-CHECK.yaml").write_text("id: DAILY-CHECK\ndisabled: true\nreason: 日管控改由街道另行考核\n", encoding="utf-8")
    run("check", sample, *PERIOD, "--rules", overlay, "-o", tmp_path / "w.xlsx")
    pairs = {r[0]: r[1] for r in openpyxl.load_workbook(tmp_path / "w.xlsx")["概览"].iter_rows(values_only=True) if r[0]}
    assert pairs["改动的参数与规则"] == "规则 DAILY-CHECK 已停用：日管控改由街道另行考核"


def test_english_stays_available(sample, tmp_path):
    out = tmp_path / "violations.xlsx"
    run("check", sample, *PERIOD, "-o", out, "--lang", "en")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Overview", "Violations", "Pending", "Unjudged", "Credit", "Parameters"]
    got = rows(wb["Violations"])
    assert [c.value for c in wb["Violations"][1]][:6] == ["Severity", "Rule", "Title", "Source (the law laying the duty)",
                                                          "Draft sections", "Responsible party"]
    assert {r["Severity"] for r in got} <= {"serious", "major", "general", "notice"}
    assert any(r["Evidence"].startswith("month: ") for r in got)


def test_text_that_looks_like_a_formula_is_stored_as_text(tmp_path):
    orgs = [dict(o, name="=HYPERLINK(\"http://x\",\"点我\")") if o["kind"] == "property_service_enterprise" else o
            for o in ORGANIZATIONS]
    folder = write_submission(tmp_path / "s", {"organizations": orgs, "elevators": [elevator()], "daily_checks": []})
    out, csv = tmp_path / "v.xlsx", tmp_path / "v.csv"
    for target in (out, csv):
        assert run("check", folder, "--from", "2024-01-01", "--to", "2024-01-31", "-o", target).exit_code == 1
    ws = openpyxl.load_workbook(out)["违规清单"]
    cell = ws["G2"]
    assert cell.value == '=HYPERLINK("http://x","点我")' and cell.data_type == "s"
    text = csv.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


# ---- CSV ---------------------------------------------------------------------------------

def test_csv_files_carry_a_bom_for_chinese_excel_unless_asked_for_plain_utf8(sample, tmp_path):
    bom = tmp_path / "bom.csv"
    plain = tmp_path / "plain.csv"
    run("check", sample, *PERIOD, "-o", bom)
    run("check", sample, *PERIOD, "-o", plain, "--csv-encoding", "utf-8")
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf" + "级别,规则,规则名称".encode())
    assert plain.read_bytes().startswith("级别,规则,规则名称".encode())
    en = tmp_path / "en.csv"
    run("check", sample, *PERIOD, "-o", en, "--lang", "en")
    assert en.read_bytes().startswith(b"\xef\xbb\xbfSeverity,Rule,Title")


def test_every_command_that_writes_csv_writes_a_bom(sample, tmp_path):
    broken = write_submission(tmp_path / "bad", {"organizations": ORGANIZATIONS,
                                                 "elevators": [elevator("E1", commissioned_on="2024-13-01")]})
    problems = tmp_path / "problems.csv"
    assert run("validate", broken, "-o", problems).exit_code == 2
    assert problems.read_bytes().startswith(b"\xef\xbb\xbf" + "级别,记录类型,文件,行".encode())
    assert "错误,电梯,elevators.csv,2,投用日期（commissioned_on）,2024-13-01" in problems.read_text(encoding="utf-8-sig")
    old = tmp_path / "old.csv"
    run("old-list", sample, "--quarter", "2024Q3", "--format", "csv", "-o", old)
    assert old.read_bytes().startswith(b"\xef\xbb\xbf" + "设备代码,所在区".encode())
    ledger = tmp_path / "l.sqlite"
    run("check", sample, *PERIOD, "--ledger", ledger)
    items = tmp_path / "credit.csv"
    run("credit", ledger, "--format", "csv", "-o", items)
    text = items.read_text(encoding="utf-8-sig")
    assert items.read_bytes().startswith(b"\xef\xbb\xbf") and text.startswith("物业服务企业,统一社会信用代码,企业扣分合计")
    # stdout redirected to a file keeps the BOM; --csv-encoding utf-8 drops it
    assert run("credit", ledger, "--format", "csv").stdout.startswith("\ufeff物业服务企业")
    assert run("credit", ledger, "--format", "csv", "--csv-encoding", "utf-8").stdout.startswith("物业服务企业")


# ---- names -------------------------------------------------------------------------------

def test_credit_shows_the_firms_names_in_every_format(sample, tmp_path, report):
    ledger = tmp_path / "l.sqlite"
    run("check", sample, *PERIOD, "--ledger", ledger)
    firm = report["credit"][0]
    body = json.loads(run("credit", ledger, "--format", "json").stdout)
    assert body["firms"][0]["name"] == firm["name"]
    assert all(i["org_name"] == firm["name"] for i in body["firms"][0]["items"])
    table = run("credit", ledger, columns=120).stdout
    assert f"│ {firm['name']}" in table and firm["org_id"] in table
    assert all(f["org_id"] in run("credit", ledger, columns=80).stdout for f in report["credit"])
    out = tmp_path / "信用扣分.xlsx"
    r = run("credit", ledger, "--format", "xlsx", "-o", out)
    assert f"credit workbook written to {out}" in r.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["信用扣分", "扣分明细"]
    assert wb["信用扣分"]["A1"].value.startswith("默认分值，非官方")
    items = rows(wb["扣分明细"])
    assert {(i["物业服务企业"], i["统一社会信用代码"]) for i in items} == {(f["name"], f["org_id"]) for f in report["credit"]}


def test_credit_filters_that_match_nothing_say_so(sample, tmp_path):
    ledger = tmp_path / "l.sqlite"
    run("check", sample, *PERIOD, "--ledger", ledger)
    r = run("credit", ledger, "--year", "2023")
    assert r.exit_code == 0 and "没有符合条件（2023 年度）的扣分；账本中共有" in r.output
    assert "no deductions match year 2023; the ledger holds" in r.output
    r = run("credit", ledger, "--org", "NOPE", "--year", "2024")
    assert "没有符合条件（2024 年度、企业 NOPE）的扣分" in r.output and "no deductions in the ledger" not in r.output
    empty = tmp_path / "empty.sqlite"
    folder = write_submission(tmp_path / "clean", {"organizations": ORGANIZATIONS, "elevators": [elevator()]})
    run("check", folder, "--from", "2024-01-01", "--to", "2024-01-31", "--ledger", empty)
    assert f"no deductions in the ledger {empty}" in run("credit", empty, "--year", "2024").output


def test_old_list_names_the_use_unit_in_chinese_and_english(sample, tmp_path):
    out = tmp_path / "old.xlsx"
    run("old-list", sample, "--quarter", "2024Q3", "-o", out)
    ws = openpyxl.load_workbook(out)["老旧电梯清单"]
    assert ws["A1"].value.startswith("15年以上老旧住宅电梯清单（截至 2024-09-30")
    got = rows(ws, first=3)
    assert got and all(r["使用单位"] and r["使用单位代码"] for r in got)
    assert {r["状态"] for r in got} <= {"在用", "停用", "报废"} and {r["保障房"] for r in got} <= {"是", "否"}
    assert {r["全面评估"] for r in got} <= {"未申请", "评估中", "已完成"}
    en = tmp_path / "old-en.xlsx"
    run("old-list", sample, "--quarter", "2024Q3", "-o", en, "--lang", "en")
    assert [c.value for c in openpyxl.load_workbook(en)["Old elevators"][3]][:5] == [
        "Elevator", "District", "Subdistrict", "Community", "Use unit"]


# ---- rejected records --------------------------------------------------------------------

def test_records_set_aside_by_skip_invalid_are_stated_in_every_format(tmp_path):
    folder = write_submission(tmp_path / "s", {
        "organizations": ORGANIZATIONS,
        "elevators": [elevator("E1"), elevator("E2", commissioned_on="2024-13-01"), elevator("E3")],
        "daily_checks": daily("E1", days("2024-01-01", "2024-01-31")) + daily("E3", days("2024-01-01", "2024-01-30"))
        + [{"elevator_id": "E3", "date": "2024-01-40", "inspector": "王伟"}]})
    args = ["check", folder, "--from", "2024-01-01", "--to", "2024-01-31", "--skip-invalid"]
    report = json.loads(run(*args, "--format", "json").stdout)
    assert report["summary"]["rejected_records"] == 2 and report["summary"]["rejected_elevators"] == 2
    e2, e3 = report["rejected_elevators"]
    assert (e2["elevator_id"], e2["elevator_rejected"], e2["records"]) == ("E2", True, {"elevators": 1})
    assert e2["reason_zh"] == "电梯本身的记录被拒收，未评判（被拒收：电梯 1 条）"
    assert (e3["elevator_id"], e3["elevator_rejected"], e3["use_unit_name"]) == ("E3", False, "甲物业服务有限公司")
    assert e3["reason_zh"].startswith("有记录被拒收（每日电梯安全检查记录（日管控） 1 条）")
    table = run(*args, columns=80).stdout
    assert "--skip-invalid 拒收了 2 条记录，涉及电梯 2 部" in table and "E2" in table and "E3" in table
    out = tmp_path / "v.xlsx"
    run(*args, "-o", out)
    sheet = rows(openpyxl.load_workbook(out)["未评判"])
    assert [(r["类别"], r["电梯"]) for r in sheet if r["电梯"]] == [("电梯记录被拒收", "E2"), ("有记录被拒收的电梯", "E3")]
    assert sorted((r["文件"], r["行"], r["字段"]) for r in sheet if r["类别"] == "被拒收的记录") == [
        ("daily_checks.csv", 63, "检查日期（date）"), ("elevators.csv", 3, "投用日期（commissioned_on）")]
    html = tmp_path / "r.html"
    run(*args, "--format", "html", "-o", html)
    page = html.read_text(encoding="utf-8")
    assert "--skip-invalid 拒收了 <b>2</b> 条记录，涉及电梯 <b>2</b> 部" in page and "电梯本身的记录被拒收" in page


# ---- the template ------------------------------------------------------------------------

def test_the_template_formats_ids_as_text_and_dates_as_dates_and_never_overwrites(tmp_path):
    out = tmp_path / "模板.xlsx"
    assert run("template", out).exit_code == 0
    wb = openpyxl.load_workbook(out)
    from checker.contract import record_types

    for rt in record_types().values():
        ws = wb[rt.label[:31]]
        formats = {}
        for dim in ws.column_dimensions.values():
            for col in range(dim.min, dim.max + 1):
                formats[col] = dim.number_format
        for i, f in enumerate(rt.fields, start=1):
            expected = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss", "integer": "General",
                        "number": "General"}.get(f.kind, "@")
            assert formats.get(i) == expected, (rt.name, f.name)
    guide = " ".join(str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value)
    assert "留空即可删除" not in guide
    assert "保留工作表、只留表头 = 提交了这类记录，但一条也没有，照常评判" in guide
    assert "删除整张工作表 = 没有提交这类记录，依赖它的规则列为“未评判”" in guide
    before = out.read_bytes()
    r = run("template", out)
    assert r.exit_code == 2 and "已存在，不会覆盖" in r.output and "is never overwritten" in r.output
    assert out.read_bytes() == before


# ---- the terminal ------------------------------------------------------------------------

def test_nothing_important_is_cut_at_80_columns(sample, report, tmp_path):
    out = run("check", sample, *PERIOD, columns=80).stdout
    assert "…" not in out
    assert all(width(line) <= 80 for line in out.splitlines()), max(out.splitlines(), key=width)
    shown = [v for v in report["violations"] if v["fingerprint"] in out]
    assert len(shown) == 50  # the cap; each with its whole fingerprint, rule id and responsible party's id
    assert all(v["rule_id"] in out for v in shown)
    assert report["ruleset"]["digest"] in out
    ledger = tmp_path / "l.sqlite"
    run("check", sample, *PERIOD, "--ledger", ledger)
    firm = report["credit"][0]
    items = run("credit", ledger, "--org", firm["org_id"], columns=80).stdout
    assert all(i["fingerprint"] in items for i in firm["items"][:200])
    assert all(width(line) <= 80 for line in items.splitlines())
    rule = run("rules", "show", "MAINT-INTERVAL-DENSE", columns=80).stdout.splitlines()
    for name, value in (("maintenance.dense_max_interval_days", "10 天"), ("dense.min_households", "70 户"),
                        ("old.min_age_years", "15 年")):
        assert any(line.startswith(f"{name} = 2024-01-01 起 {value}") for line in rule), name
    listing = run("rules", "list", columns=80).stdout.splitlines()
    assert all(any(line.startswith(f"{rule_id} · 依据") for line in listing) for rule_id in report["summary"]["by_rule"])


def test_the_ledger_and_every_output_say_what_they_wrote(sample, tmp_path):
    ledger = tmp_path / "l.sqlite"
    r = run("check", sample, *PERIOD, "--ledger", ledger)
    assert "已记入账本" in r.stdout and "新增扣分" in r.stdout
    again = run("check", sample, *PERIOD, "--ledger", ledger, "--format", "json")
    assert "新增扣分 0 项" in again.stderr and json.loads(again.stdout)["summary"]["ledger"]["new_deductions"] == 0
    for fmt, name in (("json", "r.json"), ("html", "r.html"), ("table", "r.csv"), ("table", "r.jsonl")):
        out = tmp_path / name
        r = run("check", sample, *PERIOD, "--format", fmt, "-o", out)
        assert f"written to {out}" in r.output and out.stat().st_size > 0, name


def test_a_json_or_html_report_refuses_a_workbook_name(sample, tmp_path):
    r = run("check", sample, *PERIOD, "--format", "json", "-o", tmp_path / "x.xlsx")
    assert r.exit_code == 2 and "for the Excel workbook use --format table -o FILE.xlsx" in r.output


@pytest.mark.parametrize("args,zh,en", [
    (["check"], "错误：缺少参数 PATH", "Error: Missing argument 'PATH'."),
    (["check", "x", "--from", "2024-01-01"], "错误：缺少选项 --to", "Error: Missing option '--to'."),
    (["check", "x", *PERIOD, "--format", "xml"], "错误：--format 的值无效：「xml」不是可选值之一（可选：table, json, html）",
     "Error: Invalid value for '--format': 'xml' is not one of 'table', 'json', 'html'."),
    (["check", "x", *PERIOD, "--colour"], "错误：没有选项 --colour", "Error: No such option '--colour'."),
    (["check", "x", "--from", "2024-02-30", "--to", "2024-03-01"],
     "错误：--from 的值无效：「2024-02-30」不是有效日期（应为 YYYY-MM-DD）",
     "Error: Invalid value for '--from': '2024-02-30' is not a valid date (expected YYYY-MM-DD)"),
    (["chek"], "错误：没有命令 chek，是否想用 check？", "Error: No such command 'chek'."),
    (["sample", "x", "--elevators", "0"], "错误：--elevators 的值无效：0 超出范围（x>=1）",
     "Error: Invalid value for '--elevators': 0 is not in the range x>=1."),
])
def test_clicks_own_errors_come_in_chinese_then_english(args, zh, en):
    r = run(*args)
    assert r.exit_code == 2
    assert zh in r.stderr and en in r.stderr
    assert r.stderr.index(zh) < r.stderr.index(en)


def test_every_option_and_argument_has_help_in_chinese_and_english():
    import click

    def walk(command, path):
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, f"{path} {name}")

    def chinese(text):
        return any("\u4e00" <= ch <= "\u9fff" for ch in text)

    for path, command in walk(main, "liftcheck"):
        for param in command.params:
            text = getattr(param, "help", None) or ""
            assert chinese(text) and any(ch.isascii() and ch.isalpha() for ch in text.split("。")[-1]), (path, param.name)
        if isinstance(command, click.Command):
            doc = command.help or ""
            assert chinese(doc) and any(ch.isascii() and ch.isalpha() for ch in doc), path


def test_each_stage_is_reported_in_order_for_the_progress_bars(sample):
    from checker.pipeline import run_check

    seen, rules = [], []
    run_check(sample, dt.date(2024, 1, 1), dt.date(2024, 12, 31), stage=seen.append,
              progress=lambda rule_id, total: rules.append((rule_id, total)))
    assert seen == ["load", "validate", "evaluate", "report"]
    assert len(rules) == 24 and {t for _, t in rules} == {24}


# ---- evidence, messages and small wrong results --------------------------------------------

def test_every_evidence_key_of_every_rule_has_a_label_in_both_languages():
    keys = set()
    for path in data_dir("rules").glob("*.yaml"):
        body = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(body, dict) and "evidence" in body:
            keys |= {e if isinstance(e, str) else next(iter(e)) for e in body["evidence"]}
    assert keys and keys <= set(labels.EVIDENCE), sorted(keys - set(labels.EVIDENCE))


def test_evidence_reads_as_a_sentence():
    text = labels.evidence_text({"month": "2024-01", "in_service_days": 31, "missing_days": 2,
                                 "missing_dates": ["2024-01-05", "2024-01-09"]})
    assert text == "月份：2024-01；在用日：31 天；缺少天数：2 天；缺少日期：2024-01-05、2024-01-09"
    assert labels.evidence_text({"latest_conclusion": "fail", "arrival_minutes": 41.4, "ends_at_period_end": True,
                                 "rectified_on": None}) == "检验结论：不合格；到场用时：41.4 分钟；截至期末仍未再次维保：是；整改完成日期：（无）"
    assert labels.evidence_text({"missing_dates": ["2024-01-05"]}, "en") == "missing dates: 2024-01-05"


def test_a_failed_inspection_is_said_to_have_failed_not_to_be_valid(judge):
    report = judge("2024-01-01", "2024-03-31", rules=["INSPECTION-VALID"],
                   elevators=[elevator(commissioned_on="2023-06-01")],
                   inspections=[{"elevator_id": "E1", "date": "2024-01-10", "conclusion": "fail",
                                 "next_due": "2025-01-10"}])
    [v] = report["violations"]
    assert v["message_zh"].startswith("使用单位 甲物业服务有限公司 使用未经定期检验或检验不合格的电梯（特种设备安全法第四十条）："
                                      "电梯 E1 2024-01-10 定期检验不合格，此后自 2024-01-10 至 2024-03-31 仍有")
    assert "有效期" not in v["message_zh"] and "valid until" not in v["message_en"]
    assert "failed its periodic inspection on 2024-01-10" in v["message_en"]


def test_fund_check_never_says_holds_beside_a_failure(sample):
    verdict = json.loads(run("fund-check", sample, "ZJ0000000", "--format", "json").stdout)
    for c in verdict["prerequisites"]:
        assert (c["failure_zh"] is not None) == (c["holds"] is False)
        assert c["status"] == {True: "holds", False: "fails", None: "not_judged"}[c["holds"]]
    table = run("fund-check", sample, "ZJ0000000", columns=80).stdout
    assert [c["status_zh"] for c in verdict["prerequisites"]] == [
        "不满足", "未判断：须先满足“申请写明了存在的评估报告”", "未判断：须先满足“申请写明了存在的评估报告”",
        "未判断：须先满足“申请时评估报告已完成”", "未判断：须先满足“申请写明了存在的评估报告”"]
    assert all(len(line) <= 80 for line in table.splitlines())
    wide = run("fund-check", sample, "ZJ0000000", columns=160).stdout
    assert "不满足：没有有效的评估报告（未填写或不存在）" in wide and "未判断：须先满足“申请写明了存在的评估报告”" in wide


def test_sample_writes_the_workbook_it_names(tmp_path):
    out = tmp_path / "x.xlsx"
    r = run("sample", out, "--format", "xlsx", "--elevators", "3")
    assert r.exit_code == 0 and out.is_file() and f"→ {out}" in r.output
    assert {"elevators", "organizations"} <= set(openpyxl.load_workbook(out, read_only=True).sheetnames)
    folder = tmp_path / "d"
    assert run("sample", folder, "--format", "xlsx", "--elevators", "3").exit_code == 0
    assert (folder / "submission.xlsx").is_file()
    assert run("sample", tmp_path / "y.xlsx", "--format", "csv").exit_code == 2


def test_pending_items_carry_the_use_units_name(judge):
    report = judge("2024-01-01", "2024-12-31", rules=["HAZARD-OVERDUE"],
                   hazards=[{"hazard_id": "H1", "elevator_id": "E1", "found_on": "2024-12-20", "source": "inspection",
                             "severity": "general"}])
    [p] = report["pending"]
    assert p["use_unit_id"] == FIRM and p["use_unit_name"] == "甲物业服务有限公司"


def test_a_default_taken_is_said_in_the_workbook_and_the_html_report(tmp_path):
    """Issue 25: a missing column with a default is a warning in validate, check's stderr and the JSON
    report, and in what a clerk opens: the workbook's 未评判 sheet and the HTML report's 数据提醒."""
    records = [{"elevator_id": "E1", "date": "2024-01-05", "maintenance_unit_id": "91320100MA1MAIN01X", "kind": "half_month"}]
    folder = write_submission(tmp_path / "s", {"organizations": ORGANIZATIONS, "elevators": [elevator()], "maintenance": records})
    out, page = tmp_path / "v.xlsx", tmp_path / "v.html"
    run("check", folder, "--from", "2024-01-01", "--to", "2024-01-31", "-o", out)
    run("check", folder, "--from", "2024-01-01", "--to", "2024-01-31", "--format", "html", "-o", page)
    said = [r for r in rows(openpyxl.load_workbook(out)["未评判"]) if r["类别"] == "数据提醒（已读入，请核对）"]
    message = "maintenance.csv，字段 on_site（现场维保）：文件中没有这一列，全部 1 条记录按默认值「是」读取"
    assert [(r["文件"], r["字段"], r["原因"]) for r in said] == [("maintenance.csv", "现场维保（on_site）", message)]
    html = page.read_text(encoding="utf-8")
    assert "数据提醒 Data warnings（1）" in html and message in html
