"""`liftcheck compare`: one load, two rule books, and the same answers as two `check` runs."""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ORGANIZATIONS, elevator, visits, write_submission
from checker.cli import main
from checker.compare import fact_parameters, run_compare
from checker.errors import LiftcheckError
from checker.params import load_parameters
from checker.pipeline import run_check
from checker.resources import data_dir
from checker.rulebook import CATALOGUE, load_rulebook
from checker.sample import SampleSpec, generate, write

YEAR = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
SHIPPED = load_parameters()


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> list[Path]:
    """Small generated submissions: a dozen elevators each, different seeds."""
    out = []
    for seed in (3, 7, 11):
        folder = tmp_path_factory.mktemp(f"sample{seed}")
        write(generate(SampleSpec(12, *YEAR, seed=seed)), folder)
        out.append(folder)
    return out


def _values(name: str):
    p = SHIPPED[name]
    if p.type == "enum":
        return st.sampled_from(p.choices)
    if p.type == "list":
        return st.lists(st.sampled_from(p.choices), unique=True)
    if p.type == "boolean":
        return st.booleans()
    if p.type == "date":
        return st.one_of(st.none(), st.dates(dt.date(2023, 1, 1), dt.date(2026, 12, 31)))
    default = p.values[0][1]
    return st.integers(min_value=max(1, default // 2), max_value=default * 2 + 2)


parameter_changes = st.dictionaries(st.sampled_from(sorted(SHIPPED.params)), st.none(), max_size=4).flatmap(
    lambda names: st.fixed_dictionaries({n: _values(n) for n in names}))


def _write_yaml(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _facts_of(violation: dict) -> dict:
    """Evidence without the entries that restate a parameter (limit_days and the like)."""
    echoes = {name for rule in load_rulebook() for item in rule.evidence if isinstance(item, dict)
              for name, text in item.items() if re.fullmatch(r'param\("[^"]+"\)', text)}
    return {k: v for k, v in violation["evidence"].items() if k not in echoes}


def _fingerprints(report: dict) -> dict[str, dict]:
    return {v["fingerprint"]: v for v in report["violations"]}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sample=st.integers(0, 2), base=parameter_changes, proposal=parameter_changes,
       disable=st.none() | st.sampled_from(CATALOGUE),
       months=st.tuples(st.integers(1, 12), st.integers(1, 12)).map(sorted))
def test_compare_equals_two_check_runs(samples, sample, base, proposal, disable, months):
    start = dt.date(2024, months[0], 1)
    end = (dt.date(2024, months[1], 28))
    folder = samples[sample]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base_file = _write_yaml(tmp / "base.yaml", base) if base else None
        proposal_file = _write_yaml(tmp / "proposal.yaml", proposal)
        rules = None
        if disable:
            rules = tmp / "rules"
            rules.mkdir()
            _write_yaml(rules / f"{disable}.yaml", {"id": disable, "disabled": True, "reason": "试算"})
        c = run_compare(folder, start, end, proposal_params=proposal_file, proposal_rules=rules, params_file=base_file)
        one = run_check(folder, start, end, params_file=base_file).report
        two = run_check(folder, start, end, params_file=base_file, param_values=proposal, rules_dir=rules).report

    shipped = {n: p.values[0][1] for n, p in SHIPPED.params.items()}
    assert c["facts_shared"] == all({**shipped, **base}[n] == {**shipped, **base, **proposal}[n]
                                    for n in fact_parameters(SHIPPED.params))
    for row in c["by_rule"]:
        assert row["base"] == one["summary"]["by_rule"].get(row["rule_id"])
        assert row["proposal"] == two["summary"]["by_rule"].get(row["rule_id"])
    assert {d["district"]: (d["base"], d["proposal"]) for d in c["by_district"]} == {
        d: (one["summary"]["by_district"].get(d, 0), two["summary"]["by_district"].get(d, 0))
        for d in set(one["summary"]["by_district"]) | set(two["summary"]["by_district"])}
    a, b = _fingerprints(one), _fingerprints(two)
    assert {v["fingerprint"] for v in c["added"]} == b.keys() - a.keys()
    assert {v["fingerprint"] for v in c["removed"]} == a.keys() - b.keys()
    assert c["added"] == [b[f] for f in b if f not in a] and c["removed"] == [a[f] for f in a if f not in b]
    assert {x["fingerprint"] for x in c["changed"]} == {
        f for f in a.keys() & b.keys()
        if any(a[f][k] != b[f][k] for k in ("severity", "responsible_role", "responsible_org_id"))
        or _facts_of(a[f]) != _facts_of(b[f])}
    firms_one, firms_two = {f["org_id"]: f for f in one["credit"]}, {f["org_id"]: f for f in two["credit"]}
    assert {f["org_id"] for f in c["by_firm"]} == firms_one.keys() | firms_two.keys()
    for f in c["by_firm"]:
        assert f["base_points"] == firms_one.get(f["org_id"], {}).get("points", 0)
        assert f["proposal_points"] == firms_two.get(f["org_id"], {}).get("points", 0)
        assert f["base_violations"] == len(firms_one.get(f["org_id"], {}).get("items", []))
        assert f["proposal_violations"] == len(firms_two.get(f["org_id"], {}).get("items", []))
    gained = sum(max(f["proposal_points"] - f["base_points"], 0) for f in c["by_firm"])
    lost = sum(max(f["base_points"] - f["proposal_points"], 0) for f in c["by_firm"])
    assert c["conclusion_zh"].startswith(f"拟议方案新增违规 {len(b.keys() - a.keys())} 条、减少 {len(a.keys() - b.keys())} 条；"
                                         f"影响 {c['summary']['firms_affected']} 家物业企业，扣分合计 +{gained}/−{lost}")
    assert c["base"]["ruleset"] == one["ruleset"]


def test_the_parameters_that_shape_the_facts_are_found_in_the_fact_base():
    assert fact_parameters(SHIPPED.params) >= {"old.min_age_years", "old.boundary", "dense.min_households",
                                               "inspection.cycle_months", "hazard.stop_within_days"}
    assert "maintenance.dense_max_interval_days" not in fact_parameters(SHIPPED.params)


DENSE = elevator(commissioned_on="2008-01-01", affordable_housing="是", households_served=71)


def _dense_submission(tmp_path: Path) -> Path:
    # intervals of 10, 11, 12 and 13 days
    return write_submission(tmp_path / "data", {
        "organizations": ORGANIZATIONS, "elevators": [DENSE],
        "maintenance": visits("E1", ["2023-12-31", "2024-01-10", "2024-01-21", "2024-02-02", "2024-02-15"])})


def cli(*args) -> tuple[int, str]:
    r = CliRunner(env={"COLUMNS": "300"}).invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in r.output and "Internal error" not in r.output
    return r.exit_code, r.output


def test_twelve_days_instead_of_ten_removes_the_11_and_12_day_intervals(tmp_path):
    data = _dense_submission(tmp_path)
    proposal = _write_yaml(tmp_path / "12天.yaml", {"maintenance.dense_max_interval_days": 12})
    code, out = cli("compare", data, "--from", "2024-01-01", "--to", "2024-02-15", "--proposal-params", proposal,
                    "--format", "json")
    assert code == 0
    c = json.loads(out)
    assert c["conclusion_zh"] == "拟议方案新增违规 0 条、减少 2 条；影响 0 家物业企业，扣分合计 +0/−0。"
    assert [(v["rule_id"], v["period_key"]) for v in c["removed"]] == [
        ("MAINT-INTERVAL-DENSE", "2024-01-10"), ("MAINT-INTERVAL-DENSE", "2024-01-21")]
    assert c["added"] == [] and c["changed"] == []
    assert next(r for r in c["by_rule"] if r["rule_id"] == "MAINT-INTERVAL-DENSE") == {
        "rule_id": "MAINT-INTERVAL-DENSE", "title": "高梯户比老旧电梯现场维保周期超过10天", "base": 3, "proposal": 1,
        "note_zh": None}
    assert c["by_district"][0] == {"district": "玄武区", "base": 4, "proposal": 2}
    described = {"unit": "days", "description_zh": "高梯户比老旧电梯现场维保周期上限（不大于，含本数）"}
    assert c["base"]["parameters"] == [{"name": "maintenance.dense_max_interval_days", "value": 10,
                                        "values": {"2024-01-01": 10}} | described]
    assert c["proposal"]["parameters"] == [{"name": "maintenance.dense_max_interval_days", "value": 12,
                                            "values": {"2024-01-01": 12}} | described]
    assert c["facts_shared"] is True
    assert set(c) >= {"base", "proposal", "by_rule", "by_district", "by_firm", "added", "removed", "changed",
                      "conclusion_zh", "conclusion_en"}


def test_a_firm_losing_points_is_counted_in_the_conclusion(tmp_path):
    # the firm's elevator has no daily checks: DAILY-CHECK deducts its points; the proposal disables the rule
    data = write_submission(tmp_path / "data", {"organizations": ORGANIZATIONS, "elevators": [elevator()],
                                                "daily_checks": []})
    rules = tmp_path / "停用"
    rules.mkdir()
    _write_yaml(rules / "DAILY-CHECK.yaml", {"id": "DAILY-CHECK", "disabled": True, "reason": "日管控另行考核"})
    c = run_compare(data, dt.date(2024, 1, 1), dt.date(2024, 2, 29), proposal_rules=rules)
    firm = c["by_firm"][0]
    assert (firm["base_violations"], firm["proposal_violations"], firm["proposal_points"]) == (2, 0, 0)
    assert firm["base_points"] > 0 and firm["name"] == "甲物业服务有限公司"
    assert c["conclusion_zh"] == f"拟议方案新增违规 0 条、减少 2 条；影响 1 家物业企业，扣分合计 +0/−{firm['base_points']}。"
    assert c["proposal"]["rules"]["disabled"] == [{"rule_id": "DAILY-CHECK", "title": "每日电梯安全检查（日管控）",
                                                   "reason": "日管控另行考核"}]
    daily = next(r for r in c["by_rule"] if r["rule_id"] == "DAILY-CHECK")
    assert (daily["base"], daily["proposal"], daily["note_zh"]) == (2, None, "拟议方案停用了这条规则")
    assert c["proposal"]["ruleset"]["digest"] != c["base"]["ruleset"]["digest"]


def test_same_fingerprint_with_another_severity_is_changed_with_both_versions(tmp_path):
    data = _dense_submission(tmp_path)
    body = yaml.safe_load((data_dir("rules") / "MAINT-INTERVAL-DENSE.yaml").read_text(encoding="utf-8"))
    rules = tmp_path / "严重"
    rules.mkdir()
    _write_yaml(rules / "MAINT-INTERVAL-DENSE.yaml", body | {"severity": "serious"})
    c = run_compare(data, dt.date(2024, 1, 1), dt.date(2024, 2, 15), proposal_rules=rules)
    assert [(x["period_key"], x["differs"], x["base"]["severity"], x["proposal"]["severity"]) for x in c["changed"]] == [
        ("2024-01-10", ["severity"], "major", "serious"),
        ("2024-01-21", ["severity"], "major", "serious"),
        ("2024-02-02", ["severity"], "major", "serious")]
    assert c["added"] == [] and c["removed"] == []
    assert c["conclusion_zh"].endswith("另有 3 条违规的严重程度、责任方或证据改变。")
    assert c["proposal"]["rules"]["replaced"] == [{"rule_id": "MAINT-INTERVAL-DENSE", "title": "高梯户比老旧电梯现场维保周期超过10天",
                                                   "file": str(rules / "MAINT-INTERVAL-DENSE.yaml")}]


def test_a_proposal_overlay_is_laid_over_the_base_overlay_and_leaves_the_base_as_it_was(tmp_path):
    data = _dense_submission(tmp_path)
    body = yaml.safe_load((data_dir("rules") / "MAINT-INTERVAL-DENSE.yaml").read_text(encoding="utf-8"))
    base_rules, proposal_rules = tmp_path / "base", tmp_path / "proposal"
    base_rules.mkdir()
    proposal_rules.mkdir()
    _write_yaml(base_rules / "MAINT-INTERVAL-DENSE.yaml", body | {"condition": "dense(a) and interval_days > 11"})
    _write_yaml(proposal_rules / "DAILY-CHECK.yaml", {"id": "DAILY-CHECK", "disabled": True, "reason": "另行考核"})
    c = run_compare(data, dt.date(2024, 1, 1), dt.date(2024, 2, 15), proposal_rules=proposal_rules,
                    rules_dir=base_rules)
    # the base's own wording (> 11) holds on both sides: only DAILY-CHECK goes
    dense = next(r for r in c["by_rule"] if r["rule_id"] == "MAINT-INTERVAL-DENSE")
    assert (dense["base"], dense["proposal"]) == (2, 2)
    assert c["proposal"]["rules"] == {"replaced": [], "added": [],
                                      "disabled": [{"rule_id": "DAILY-CHECK", "title": "每日电梯安全检查（日管控）",
                                                    "reason": "另行考核"}]}
    assert c["proposal"]["overrides"]["rules"]["replaced"] == [
        {"rule_id": "MAINT-INTERVAL-DENSE", "file": str(base_rules / "MAINT-INTERVAL-DENSE.yaml")}]
    base_check = run_check(data, dt.date(2024, 1, 1), dt.date(2024, 2, 15), rules_dir=base_rules).report
    assert c["base"]["ruleset"] == base_check["ruleset"]
    assert "DAILY-CHECK" in load_rulebook(base_rules).rules


def test_a_parameter_that_shapes_the_facts_derives_them_again(tmp_path):
    data = _dense_submission(tmp_path)
    older = _write_yaml(tmp_path / "17年.yaml", {"old.min_age_years": 17})   # commissioned 2008: 16 in 2024
    c = run_compare(data, dt.date(2024, 1, 1), dt.date(2024, 2, 15), proposal_params=older)
    assert c["facts_shared"] is False
    dense = next(r for r in c["by_rule"] if r["rule_id"] == "MAINT-INTERVAL-DENSE")
    assert (dense["base"], dense["proposal"]) == (3, 0)


def test_compare_exit_statuses(tmp_path):
    data = _dense_submission(tmp_path)
    proposal = _write_yaml(tmp_path / "12天.yaml", {"maintenance.dense_max_interval_days": 12})
    period = ["--from", "2024-01-01", "--to", "2024-02-15"]
    assert cli("compare", data, *period, "--proposal-params", proposal)[0] == 0
    code, out = cli("compare", data, *period)
    assert code == 2 and "give the proposal: --proposal-params FILE and/or --proposal-rules DIR" in out
    bad = _write_yaml(tmp_path / "坏.yaml", {"maintenance.dense_max_interval_days": "十二"})
    code, out = cli("compare", data, *period, "--proposal-params", bad)
    assert code == 2 and f"{bad}: parameter maintenance.dense_max_interval_days must be an integer" in out
    code, out = cli("compare", tmp_path / "nothing-here", *period, "--proposal-params", proposal)
    assert code == 2
    broken = write_submission(tmp_path / "broken", {"organizations": ORGANIZATIONS,
                                                    "elevators": [elevator("E1"), elevator("E2", commissioned_on="2024-13-01")]})
    code, out = cli("compare", broken, *period, "--proposal-params", proposal)
    assert code == 2 and "the submission has 1 errors and was not judged" in out
    code, out = cli("compare", broken, *period, "--proposal-params", proposal, "--skip-invalid", "--format", "json")
    assert code == 0 and json.loads(out)["rejected_records"] == 1
    code, out = cli("compare", data, *period, "--proposal-params", proposal, "--format", "xlsx")
    assert code == 2 and "--format xlsx needs -o FILE.xlsx" in out
    code, out = cli("compare", data, *period, "--proposal-params", proposal, "--format", "html", "-o", tmp_path / "x.xlsx")
    assert code == 2 and "x.xlsx: the output of --format html must end in .html or .htm" in out
    code, out = cli("compare", data, "--from", "2024-02-15", "--to", "2024-01-01", "--proposal-params", proposal)
    assert code == 2 and "bad period" in out


def test_a_broken_proposal_rule_is_exit_2_naming_file_and_field(tmp_path):
    body = yaml.safe_load((data_dir("rules") / "MAINT-INTERVAL-DENSE.yaml").read_text(encoding="utf-8"))
    rules = tmp_path / "草稿"
    rules.mkdir()
    _write_yaml(rules / "MAINT-INTERVAL-DENSE.yaml", body | {"condition": "dense(a) and interval_dayz > 12"})
    code, out = cli("compare", tmp_path / "no-data-yet", "--from", "2024-01-01", "--to", "2024-12-31",
                    "--proposal-rules", rules)
    assert code == 2
    assert f"Error: rule file {rules / 'MAINT-INTERVAL-DENSE.yaml'}, field condition: unknown name 'interval_dayz'" in out


def test_the_table_reads_the_conclusion_first(tmp_path):
    data = _dense_submission(tmp_path)
    proposal = _write_yaml(tmp_path / "12天.yaml", {"maintenance.dense_max_interval_days": 12})
    code, out = cli("compare", data, "--from", "2024-01-01", "--to", "2024-02-15", "--proposal-params", proposal)
    assert code == 0
    lines = [line for line in out.splitlines() if line.strip()]
    assert "结论 Conclusion" in lines[0]
    assert "拟议方案新增违规 0 条、减少 2 条；影响 0 家物业企业，扣分合计 +0/−0。" in lines[1]
    assert re.search(r"MAINT-INTERVAL-DENSE\s+│\s+3 │\s+1 │\s+−2", out)
    assert "减少违规 Removed（2）" in out


def test_the_workbook_has_a_chinese_sheet_per_list(tmp_path):
    import openpyxl

    data = _dense_submission(tmp_path)
    proposal = _write_yaml(tmp_path / "12天.yaml", {"maintenance.dense_max_interval_days": 12})
    out = tmp_path / "比较.xlsx"
    code, _ = cli("compare", data, "--from", "2024-01-01", "--to", "2024-02-15", "--proposal-params", proposal,
                  "--format", "xlsx", "-o", out)
    assert code == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["结论", "按规则", "按区", "按企业", "新增违规", "减少违规", "变化"]
    assert wb["结论"]["B2"].value == ("拟议方案新增违规 0 条、减少 2 条；影响 0 家物业企业，扣分合计 +0/−0。\n"
                                     "The proposal adds 0 violations and removes 2; it affects 0 property service "
                                     "enterprises, points +0/−0 in total.")
    rows = list(wb["按规则"].values)
    assert rows[0] == ("规则", "规则名称", "基准违规数", "拟议违规数", "变化", "说明")
    assert ("MAINT-INTERVAL-DENSE", "高梯户比老旧电梯现场维保周期超过10天", 3, 1, -2, None) in rows
    removed = list(wb["减少违规"].values)
    assert removed[0][:5] == ("级别", "规则", "规则名称", "条款", "责任方") and len(removed) == 3
    first = dict(zip(removed[0], removed[1]))
    # words, not codes or JSON: the severity, the party and the evidence as a reader names them
    assert (first["级别"], first["责任方"], first["责任单位"]) == ("较重", "维保单位", "丙电梯维保有限公司")
    assert first["证据"] == ("上次维保日期：2024-01-10；下次维保日期：2024-01-21；间隔：11 天；其间停用：0 天；"
                           "截至期末仍未再次维保：否；服务户数：71 户；间隔上限：10 天")
    assert [c for c in next(wb["变化"].values)][:5] == ["规则", "规则名称", "违规主体", "期间", "变化项"]
    for ws in wb:   # every sheet with a frozen header and a filter over its table
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:"), ws.title


def test_the_html_page_is_self_contained_with_an_svg_chart_whose_text_stays_text(tmp_path):
    data = write_submission(tmp_path / "data", {
        "organizations": ORGANIZATIONS,
        "elevators": [DENSE | {"district": "<script>alert(1)</script>区"}],
        "maintenance": visits("E1", ["2023-12-31", "2024-01-10", "2024-01-21", "2024-02-02", "2024-02-15"])})
    proposal = _write_yaml(tmp_path / "12天.yaml", {"maintenance.dense_max_interval_days": 12})
    out = tmp_path / "比较.html"
    code, _ = cli("compare", data, "--from", "2024-01-01", "--to", "2024-02-15", "--proposal-params", proposal,
                  "--format", "html", "-o", out)
    assert code == 0
    html = out.read_text(encoding="utf-8")
    assert html.index("结论") < html.index("<svg")
    svg = html[html.index("<svg"): html.index("</svg>")]
    assert re.search(r"<text[^>]*>按规则 By rule<", svg)          # fonts left to the browser
    assert re.search(r"<text[^>]*>拟议 − 基准 proposal − base<", svg)
    assert "MAINT-INTERVAL-DENSE" in svg and "&lt;script&gt;alert(1)&lt;/script&gt;区" in svg
    assert "<script" not in html and not re.search(r"""(src|href)=["'](https?:)?//""", html)   # nothing fetched
    assert "−2" in html


def test_compare_refuses_a_disabled_rule_that_does_not_exist_before_reading_data(tmp_path):
    rules = tmp_path / "o"
    rules.mkdir()
    _write_yaml(rules / "NO-SUCH.yaml", {"id": "NO-SUCH", "disabled": True, "reason": "试"})
    with pytest.raises(LiftcheckError) as err:
        run_compare(tmp_path / "none", *YEAR, proposal_rules=rules)
    assert "disables 'NO-SUCH', which is not a rule of the rule book" in err.value.en
