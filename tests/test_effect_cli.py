"""`liftcheck effect` as people use it: the conclusion first, the JSON fields of issue 24, the
workbook's Chinese sheets, the page's SVG charts, -o choosing the format, bilingual refusals."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.sample import SampleSpec, generate, write

YEAR = ("--from", "2024-01-01", "--to", "2024-12-31")
OUTCOMES = ["entrapments", "alarm_failures", "hazards", "daily_findings", "failed_inspections"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("effect") / "submission"
    tables = generate(SampleSpec(1500, dt.date(2024, 1, 1), dt.date(2024, 12, 31), seed=6))
    # a district whose name holds dollar signs: a chart must show it as it is, never as mathematics
    tables["elevators"] = tables["elevators"].with_columns(
        pl.col("district").replace({"鼓楼区": "鼓$楼$区"}))
    write(tables, folder)
    return folder


def run(*args):
    result = CliRunner(env={"COLUMNS": "200"}).invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def report(sample) -> dict:
    r = run("effect", sample, *YEAR, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_json_holds_the_fields_issue_24_lists(report):
    for key in ("effects", "event_study", "raw", "left_out", "conclusion_zh"):
        assert key in report
    assert [list(e) for e in report["effects"]] == [
        ["outcome", "group", "estimate", "ci_low", "ci_high", "treated", "controls", "unit"]] * 5
    assert [e["outcome"] for e in report["effects"]] == OUTCOMES
    assert {e["group"] for e in report["effects"]} == {"all"}
    counts = report["counts"]
    assert all(e["treated"] == counts["treated"] and e["controls"] == counts["controls"] for e in report["effects"])
    assert counts["treated"] > 20 and counts["controls"] > 10
    relative = {(r["outcome"], r["group"]): r for r in report["relative"]}
    for e in report["effects"]:
        assert e["unit"] == "次/百台月" and e["estimate"] is not None
        rel = relative[(e["outcome"], e["group"])]
        # an interval is stated only with enough events on every side (MIN_EVENTS = 10)
        assert rel["too_few_events"] == (min(rel["events"].values()) < 10)
        if rel["too_few_events"]:
            assert e["ci_low"] is None and e["ci_high"] is None
        else:
            assert e["ci_low"] <= e["estimate"] <= e["ci_high"]
    assert any(r["too_few_events"] for r in report["relative"])
    # the raw table: the treated elevators before and after, the controls, as counted
    raw = {(r["outcome"], r["who"]): r for r in report["raw"] if r["group"] == "all"}
    assert raw[("entrapments", "treated_before")]["elevators"] == counts["treated"]
    assert raw[("entrapments", "controls")]["elevators"] == counts["controls"]
    for r in report["raw"]:
        if r["elevator_months"]:
            assert r["rate"] == pytest.approx(100 * r["events"] / r["elevator_months"], abs=2e-3)
    assert {x["reason"] for x in report["left_out"]} >= {"unfinished", "no_pre_period"}
    assert sum(x["elevators"] or 0 for x in report["left_out"] if x["group"] is None) == counts["left_out"]
    event_times = [e["event_time"] for e in report["event_study"] if e["outcome"] == "entrapments"]
    assert event_times == sorted(event_times) and 0 in event_times and -2 in event_times
    assert report["recommendation"]["counts"]["followed"] + report["recommendation"]["counts"]["less"] \
        + report["recommendation"]["counts"]["no_assessment"] == counts["treated"]


def test_the_conclusion_comes_first_in_plain_chinese(report, sample):
    zh = report["conclusion_zh"]
    assert zh.startswith(f"2024-01-01 至 2024-12-31 完成整治的电梯（{report['counts']['treated']:,} 台），困人故障")
    assert f"对照：尚未整治的 {report['counts']['controls']:,} 台" in zh
    assert "提升评估整改建议有效性：困人故障，按评估结论整治的" in zh
    r = run("effect", sample, *YEAR, "--outcome", "entrapments")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0] == "整治后评价：完成整治的电梯与尚未整治的电梯比较 2024-01-01 至 2024-12-31"
    assert lines[1].startswith(f"结论 2024-01-01 至 2024-12-31 完成整治的电梯（{report['counts']['treated']:,} 台），困人故障")


def test_same_seed_same_report_and_the_seed_moves_only_the_intervals(sample, report):
    again = json.loads(run("effect", sample, *YEAR, "--format", "json").stdout)
    assert again == report
    other = json.loads(run("effect", sample, *YEAR, "--format", "json", "--seed", "2", "--outcome", "entrapments",
                           "--outcome", "alarm_failures", "--outcome", "hazards", "--outcome", "daily_findings",
                           "--outcome", "failed_inspections").stdout)
    assert [e["estimate"] for e in other["effects"]] == [e["estimate"] for e in report["effects"]]
    assert [e["ci_low"] for e in other["event_study"]] != [e["ci_low"] for e in report["event_study"]]


def test_by_kind_and_one_outcome(sample):
    r = run("effect", sample, *YEAR, "--by", "kind", "--outcome", "entrapments", "--format", "json")
    assert r.exit_code == 0
    body = json.loads(r.stdout)
    groups = [e["group"] for e in body["effects"]]
    assert groups[0] == "all" and set(groups[1:]) <= {"repair", "major_repair", "renovate", "replace"}
    assert {e["outcome"] for e in body["effects"]} == {"entrapments"}
    # every treated elevator is in the group of its works' kind; a group too small is listed, not estimated
    assert sum(e["treated"] for e in body["effects"][1:]) == body["counts"]["treated"]
    small = {x["group"] for x in body["left_out"] if x["reason"] == "group_too_small"}
    assert small == {e["group"] for e in body["effects"] if e["treated"] < 5}
    assert all(e["estimate"] is None for e in body["effects"] if e["group"] in small)
    assert all(e["controls"] == body["counts"]["controls"] for e in body["effects"])


def test_output_suffix_chooses_the_format(sample, tmp_path):
    r = run("effect", sample, *YEAR, "--by", "district", "-o", tmp_path / "评价.xlsx")
    assert r.exit_code == 0 and "整治后评价已写入" in r.stdout
    import openpyxl

    book = openpyxl.load_workbook(tmp_path / "评价.xlsx", read_only=True)
    assert book.sheetnames == ["结论", "整治效果", "事件研究", "分组时间效果", "整治前后原始比较", "评估建议有效性",
                               "未纳入比较", "方法说明"]
    first = [row for row in book["结论"].iter_rows(values_only=True)]
    assert first[0] == ("项目", "内容") and first[1][0] == "结论" and first[1][1].startswith("2024-01-01 至 2024-12-31")
    headers = next(book["整治效果"].iter_rows(values_only=True))
    assert headers[:4] == ("结果指标", "分组", "效果（次/百台月）", "95%置信区间下限")
    rows = [row for row in book["整治效果"].iter_rows(min_row=2, values_only=True)]
    assert "鼓$楼$区" in {row[1] for row in rows}
    estimated = [row for row in rows if row[0] == "困人故障" and row[1] != "全部" and row[2] is not None]

    r = run("effect", sample, *YEAR, "--by", "district", "-o", tmp_path / "评价.html")
    assert r.exit_code == 0
    page = (tmp_path / "评价.html").read_text(encoding="utf-8")
    assert page.index('id="conclusion"') < page.index("<svg")
    assert page.count("<svg") == 10   # an event study and a per-district chart per outcome
    # text stays text, and a district's $…$ is shown as typed, never set as mathematics
    assert re.search(r"<text[^>]*>[^<]*困人故障：竣工前后各月的效果", page)
    assert re.search(r"<text[^>]*>鼓\$楼\$区</text>", page)
    # one point per estimated district, one per event time; each id once
    ids = re.findall(r'id="((?:district|event)-entrapments-[^"]*point-[0-9]+)"', page)
    assert len(ids) == len(set(ids))
    assert len([i for i in ids if i.startswith("district-")]) == len(estimated)
    assert "event-entrapments-all-point-0" in ids

    r = run("effect", sample, *YEAR, "--outcome", "hazards", "-o", tmp_path / "评价.json")
    assert r.exit_code == 0
    assert json.loads((tmp_path / "评价.json").read_text(encoding="utf-8"))["outcomes"] == ["hazards"]


@pytest.mark.parametrize("args, zh, en", [
    (["-o", "x.csv"], "-o x.csv：应以 .json、.xlsx 或 .html 结尾", "the file must end in .json, .xlsx or .html"),
    (["--format", "json", "-o", "x.xlsx"], "--format json 与文件 x.xlsx 的后缀不符", "does not match the suffix of x.xlsx"),
    (["--format", "html"], "--format html 需要 -o 文件.html", "--format html needs -o FILE.html"),
    (["--to", "2024-02-15"], "评价期间 2024-01-01 至 2024-02-15 不足 3 个自然月", "fewer than 3 calendar months"),
])
def test_refusals_are_bilingual_with_exit_2(sample, tmp_path, monkeypatch, args, zh, en):
    monkeypatch.chdir(tmp_path)
    r = run("effect", sample, *YEAR, *args)
    assert r.exit_code == 2
    assert zh in r.output and en in r.output
    assert not list(tmp_path.iterdir())


def test_an_existing_output_and_an_invalid_submission_are_refused(sample, tmp_path):
    (tmp_path / "old.json").write_text("{}")
    r = run("effect", sample, *YEAR, "-o", tmp_path / "old.json")
    assert r.exit_code == 2 and "文件已存在；要覆盖请加 --force" in r.output
    assert (tmp_path / "old.json").read_text() == "{}"
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in sample.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    works = (bad / "works.csv").read_text(encoding="utf-8").splitlines()
    fields = works[1].split(",")
    fields[2] = "overhaul"   # kind: not one of repair, major_repair, renovate, replace
    (bad / "works.csv").write_text("\n".join([works[0], ",".join(fields), *works[2:]]) + "\n", encoding="utf-8")
    r = run("effect", bad, *YEAR)
    assert r.exit_code == 2
    assert "提交的数据有 1 个错误，未做评判" in r.output and "works.csv" in r.output and "overhaul" in r.output
