"""The shared Chinese step vocabulary for features/*.feature (documented in docs/drafting.md).

Steps only write records into a submission folder and call `run_check`, the same path as
`liftcheck check`; no rule is implemented twice. Failures are explained in Chinese.

  假如 以下<记录类型>:            a table whose columns are the Chinese labels (or English names)
  假如 没有提交<记录类型>         that record type is absent (the rule may be "not evaluated")
  假如 提交了空的<记录类型>       an empty file of that type (evidence: nothing was done)
  假如 电梯 "E1" 从 "A" 至 "B" 每天都有每日检查     (并且 可加：除了 "D1,D2")
  假如 参数 "maintenance.dense_max_interval_days" 为 12
  假如 参数 "fund.require_plan" 为 是          (是/否/true/false: a switch)
  假如 参数 "assessment.workgroup_conclusions" 为 大修、改造、更新   (a list; Chinese labels or codes)
  当 检查 "2024-01-01" 至 "2024-01-31"
  那么 规则 "X" 的违规数为 N      那么 规则 "X" 没有违规      那么 规则 "X" 未评判 (rule not evaluated)
  那么 规则 "X" 对 "主体" 在 "期间键" 有违规      那么 规则 "X" 对 "主体" 没有违规
  并且 该违规的证据 "字段" 为 "值"  ("" = empty)    并且 该违规的严重程度为 "major"
  并且 该违规的期间键为 "2024-01-10"
  并且 该违规的责任方为 "市场监管部门"      (Chinese or English: 使用单位/use_unit, 维保单位, 市场监管部门,
                                             区人民政府, 镇人民政府/街道办事处, 房产部门)
  并且 该违规的责任单位为 "物业A"          并且 该违规的责任单位为空   (a government party: no org id)
  并且 该违规的说明包含 "文字"              并且 该违规的说明不包含 "（无）"
  那么 电梯 "E1" 未评判          那么 电梯 "E1" 的未评判规则为 "DAILY-CHECK、INSPECTION-VALID"
  那么 没有未评判的电梯           (the report's `unjudged` list: elevators the day-by-day rules could not judge)
  那么 待到期义务有 N 项          那么 规则 "X" 的待到期义务有 N 项
  那么 单位 "ORG" 被扣 N 分      那么 单位 "ORG" 不扣分
  那么 单位 "ORG" 因规则 "X" 被扣分 (some points, from the schedule in force)      那么 单位 "ORG" 不因规则 "X" 扣分
  Revision 3:
  假如 声明 "维保记录" 自 "2024-03-01" 起的记录齐全     (submission.yaml: the history the submission holds)
  假如 参数 "defect.repair_within_days" 自 "2024-03-01" 起由 "宁市监规〔2024〕1号" 采纳为 3
  并且 该违规的依据包含 "第四十五条"     并且 该违规的依据日为 "2024-03-01"
  并且 该违规的扣分计入      并且 该违规的扣分暂定，原因包含 "defect.repair_within_days"
  那么 单位 "ORG" 因规则 "X" 被暂定扣分
  那么 规则 "X" 对 "K1" 未评判，原因为 "未记录通知救援时间"   (a case the rule could not judge)
  那么 "E1" 的规则 "DAILY-CHECK" 从 "A" 至 "B" 未评判，原因为 "声明起始日前未提交记录"

An unknown step is answered with the nearest sentences of VOCABULARY below (one example each),
written with the drafter's own arguments (the rule, the elevator, the number they typed); a
misspelt parameter or column with the nearest known one ("您是不是要找 …", checker/hints.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import re
import tempfile
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, then, when

from checker.contract import record_type_for_name, record_types
from checker.errors import LiftcheckError
from checker.params import load_parameters
from checker.pipeline import run_check
from checker.rulebook import RESPONSIBLE_ZH

DEFAULT_ORGANIZATIONS = [
    {"org_id": "物业A", "name": "甲物业服务有限公司", "kind": "property_service_enterprise"},
    {"org_id": "业委会B", "name": "乙小区业主委员会", "kind": "owners_committee"},
    {"org_id": "维保C", "name": "丙电梯维保有限公司", "kind": "maintenance_unit", "maintenance_star": "3"},
    {"org_id": "制造D", "name": "丁电梯制造有限公司", "kind": "manufacturer", "maintenance_star": "5"},
]
DEFAULT_ELEVATOR = {"district": "玄武区", "community": "梅园新村", "commissioned_on": "2015-01-01",
                    "use_unit_id": "物业A", "maintenance_unit_id": "维保C", "manufacturer_id": "制造D",
                    # a file without these columns is refused (status, affordable_housing) or warned of (issue 25)
                    "residential": "是", "affordable_housing": "否", "status": "在用"}
# Friendly names drafters use for record types, beside the contract's own labels.
ALIASES = {
    "电梯": "elevators", "单位": "organizations", "每日检查记录": "daily_checks", "每日检查": "daily_checks",
    "每周排查报告": "weekly_reviews", "周排查报告": "weekly_reviews", "每月调度纪要": "monthly_dispatches",
    "月调度纪要": "monthly_dispatches", "维保记录": "maintenance", "定期检验": "inspections", "检验记录": "inspections",
    "预诊筛查": "screenings", "筛查记录": "screenings", "全面评估": "assessments", "评估报告": "assessments",
    "隐患": "hazards", "困人故障": "entrapments", "报警测试": "alarm_tests", "应急演练": "drills",
    "应急预案": "emergency_plans", "维修资金申请": "fund_applications", "停用记录": "stop_periods",
    "整治项目": "works", "更新改造修理项目": "works",
}
DEFAULTS = {
    "maintenance": {"maintenance_unit_id": "维保C", "kind": "half_month"},
    "daily_checks": {"inspector": "王伟"},
    "hazards": {"source": "inspection"},
}


VOCABULARY = [  # (keyword, sentence): one example of every sentence, as a drafter writes it
    ("假如", "以下电梯:"),
    ("假如", "没有提交每日检查记录"),
    ("假如", "提交了空的每日检查记录"),
    ("假如", '电梯 "E1" 从 "2024-01-01" 至 "2024-01-31" 每天都有每日检查，除了 "2024-01-15"'),
    ("假如", '参数 "maintenance.dense_max_interval_days" 为 12'),
    ("假如", '参数 "assessment.workgroup_conclusions" 为 大修、改造、更新'),
    ("当", '检查 "2024-01-01" 至 "2024-01-31"'),
    ("那么", '规则 "MAINT-INTERVAL-DENSE" 的违规数为 1'),
    ("那么", '规则 "MAINT-INTERVAL-DENSE" 没有违规'),
    ("那么", '规则 "MAINT-INTERVAL-DENSE" 对 "E1" 没有违规'),
    ("那么", '规则 "DAILY-CHECK" 未评判'),
    ("那么", '规则 "MAINT-INTERVAL-DENSE" 对 "E1" 在 "2024-01-10" 有违规'),
    ("并且", '该违规的证据 "interval_days" 为 "11"'),
    ("并且", '该违规的严重程度为 "major"'),
    ("并且", '该违规的期间键为 "2024-01-10"'),
    ("并且", '该违规的责任方为 "市场监管部门"'),
    ("并且", '该违规的责任单位为 "物业A"'),
    ("并且", "该违规的责任单位为空"),
    ("并且", '该违规的说明包含 "超过"'),
    ("并且", '该违规的说明不包含 "（无）"'),
    ("那么", '电梯 "E1" 未评判'),
    ("那么", '电梯 "E1" 的未评判规则为 "DAILY-CHECK、INSPECTION-VALID"'),
    ("那么", "没有未评判的电梯"),
    ("那么", "待到期义务有 1 项"),
    ("那么", '规则 "ALARM-FAULT" 的待到期义务有 1 项'),
    ("那么", '单位 "物业A" 被扣 2 分'),
    ("那么", '单位 "物业A" 不扣分'),
    ("那么", '单位 "物业A" 因规则 "DAILY-CHECK" 被扣分'),
    ("那么", '单位 "物业A" 不因规则 "DAILY-CHECK" 扣分'),
    ("假如", '声明 "维保记录" 自 "2024-03-01" 起的记录齐全'),
    ("假如", '参数 "defect.repair_within_days" 自 "2024-03-01" 起由 "宁市监规〔2024〕1号" 采纳为 3'),
    ("并且", '该违规的依据包含 "第四十五条"'),
    ("并且", '该违规的依据日为 "2024-03-01"'),
    ("并且", "该违规的扣分计入"),
    ("并且", '该违规的扣分暂定，原因包含 "defect.repair_within_days"'),
    ("那么", '单位 "物业A" 因规则 "DEFECT-REPAIR" 被暂定扣分'),
    ("那么", '规则 "RESCUE-ARRIVAL" 对 "K1" 未评判，原因为 "未记录通知救援时间"'),
    ("那么", '"E1" 的规则 "DAILY-CHECK" 从 "2024-01-01" 至 "2024-02-29" 未评判，原因为 "声明起始日前未提交记录"'),
]


def _shape(sentence: str) -> str:
    """A sentence without its arguments, so that only the wording is compared."""
    return re.sub(r"\d+", "N", re.sub(r'"[^"]*"|“[^”]*”', '"…"', sentence))


_QUOTED = re.compile(r'"[^"]*"|“[^”]*”')


def _arguments(sentence: str) -> tuple[list[str], list[str]]:
    """A sentence's quoted arguments and its numbers outside quotes, in order."""
    quoted = [q[1:-1] for q in _QUOTED.findall(sentence)]
    return quoted, re.findall(r"\d+", _QUOTED.sub("", sentence))


def _with_arguments(sentence: str, step_text: str) -> str:
    """A vocabulary sentence with the arguments the drafter wrote (the rule, elevator, dates and
    numbers of their step, in order), so that the suggestion reads as their own step corrected."""
    quoted, numbers = _arguments(step_text)
    quoted_iter, numbers_iter = iter(quoted), iter(numbers)
    parts = re.split(r'("[^"]*")', sentence)
    out = []
    for part in parts:
        if part.startswith('"') and part.endswith('"') and len(part) >= 2:
            out.append(f'"{next(quoted_iter, part[1:-1])}"')
        else:
            out.append(re.sub(r"\d+", lambda m: next(numbers_iter, m.group(0)), part))
    return "".join(out)


def nearest_sentences(step_text: str, n: int = 2) -> list[str]:
    """The vocabulary's sentences closest in wording to an unknown step (its text without the
    keyword), each written with the step's own arguments."""
    shapes = {_shape(sentence): (keyword, sentence) for keyword, sentence in VOCABULARY}
    near = [shapes[m] for m in difflib.get_close_matches(_shape(step_text), list(shapes), n=n, cutoff=0.34)]
    return [f"{keyword} {_with_arguments(sentence, step_text)}" for keyword, sentence in near]


def _record_type(name: str) -> str:
    name = name.strip()
    if name in ALIASES:
        return ALIASES[name]
    rt = record_type_for_name(name)
    if rt is None:
        known = "、".join(ALIASES)
        raise AssertionError(f"不认识的记录类型「{name}」；可用：{known}")
    return rt.name


class World:
    """One scenario's submission, parameters and outcome."""

    def __init__(self, rules_overlay: Path | None = None):
        self.rules_overlay = rules_overlay
        self.tables: dict[str, list[dict]] = {"organizations": list(DEFAULT_ORGANIZATIONS)}
        self.absent: set[str] = set()
        self.params: dict[str, object] = {}
        self.declared: dict[str, str] = {}     # submission.yaml records_from
        self.report: dict | None = None
        self.error: LiftcheckError | None = None
        self.violation: dict | None = None

    def rows(self, kind: str, table: list[list[str]]) -> list[dict]:
        rt = record_types()[kind]
        by_header = rt.headers()
        header = table[0]
        unknown = [h.strip() for h in header if h.strip() not in by_header]
        if unknown:
            from checker.hints import did_you_mean

            labels = "、".join(f.label.split("（")[0] for f in rt.fields)
            hint = did_you_mean(unknown[0], [h for h in by_header if h not in header])[0]
            raise AssertionError(f"{rt.label} 没有列「{'」「'.join(unknown)}」{hint or '。'}可用的列：{labels}")
        out = []
        for raw in table[1:]:
            row = dict(DEFAULTS.get(kind, {}))
            if kind == "elevators":
                row |= DEFAULT_ELEVATOR
            row |= {by_header[h.strip()]: v.strip() for h, v in zip(header, raw)}
            out.append(row)
        return out

    def write(self, folder: Path) -> Path:
        for kind, rows in self.tables.items():
            columns: list[str] = []
            for r in rows:
                columns += [c for c in r if c not in columns]
            with open(folder / f"{kind}.csv", "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=columns or [record_types()[kind].field_names[0]])
                writer.writeheader()
                writer.writerows(rows)
        if self.declared:
            (folder / "submission.yaml").write_text(
                "records_from:\n" + "".join(f"  {k}: {v}\n" for k, v in self.declared.items()), encoding="utf-8")
        return folder


@pytest.fixture
def rules_overlay() -> Path | None:
    """`liftcheck features --rules DIR` overrides this with the drafter's overlay folder."""
    return None


@pytest.fixture
def world(rules_overlay) -> World:
    return World(rules_overlay)


@given(parsers.parse("以下{kind}:"))
def given_records(world: World, kind: str, datatable):
    name = _record_type(kind)
    world.tables.setdefault(name, [])
    if name == "organizations":
        world.tables[name] = [r for r in world.tables[name] if r["org_id"] not in {row[0] for row in datatable[1:]}]
    world.tables[name] += world.rows(name, datatable)


@given(parsers.parse("没有提交{kind}"))
def given_absent(world: World, kind: str):
    world.tables.pop(_record_type(kind), None)


@given(parsers.parse("提交了空的{kind}"))
def given_empty(world: World, kind: str):
    world.tables[_record_type(kind)] = []


@given(parsers.re(r'电梯 "(?P<elevator>[^"]+)" 从 "(?P<first>[^"]+)" 至 "(?P<last>[^"]+)" 每天都有每日检查(，除了 "(?P<except_>[^"]*)")?'))
def given_daily_checks(world: World, elevator: str, first: str, last: str, except_: str | None):
    skip = {d.strip() for d in (except_ or "").split(",") if d.strip()}
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    rows = world.tables.setdefault("daily_checks", [])
    for k in range((b - a).days + 1):
        d = (a + dt.timedelta(days=k)).isoformat()
        if d not in skip:
            rows.append({"elevator_id": elevator, "date": d, "inspector": "王伟"})


TRUE_WORDS, FALSE_WORDS = {"是", "true", "True", "开"}, {"否", "false", "False", "关"}


def _enum_code(word: str) -> str:
    """A Chinese enum label (大修) as its code (major_repair); codes pass through."""
    for rt in record_types().values():
        for f in rt.fields:
            for code, label in f.enum_labels.items():
                if word == label:
                    return code
    return word


def _parameter_value(text: str):
    text = text.strip().strip('"')
    if text in TRUE_WORDS or text in FALSE_WORDS:
        return text in TRUE_WORDS
    if text.lstrip("-").isdigit():
        return int(text)
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    elif "、" not in text and "," not in text:
        return text
    return [_enum_code(w.strip().strip('"')) for w in text.replace("、", ",").split(",") if w.strip()]


@given(parsers.parse('参数 "{name}" 为 {value}'))
def given_parameter(world: World, name: str, value: str):
    value = _parameter_value(value)
    params = load_parameters().params
    if name not in params:
        from checker.hints import unknown_parameter

        raise AssertionError(unknown_parameter(name, params).zh)
    known = params.get(name)
    if known is not None and known.type == "list" and not isinstance(value, list):
        value = [_enum_code(value)]  # a list of one: 参数 "assessment.workgroup_conclusions" 为 更新
    world.params[name] = value


@when(parsers.parse('检查 "{start}" 至 "{end}"'))
def when_check(world: World, start: str, end: str):
    world.tables.setdefault("elevators", [])
    with tempfile.TemporaryDirectory(prefix="liftcheck-feature-") as tmp:
        try:
            run = run_check(world.write(Path(tmp)), dt.date.fromisoformat(start), dt.date.fromisoformat(end),
                            param_values=world.params, rules_dir=world.rules_overlay)
            world.report = run.report
        except LiftcheckError as exc:
            world.error = exc


def _report(world: World) -> dict:
    if world.error is not None:
        raise AssertionError(f"检查没有完成：{world.error.zh}")
    assert world.report is not None, "还没有执行“当 检查 …”这一步"
    return world.report


def _of(world: World, rule: str) -> list[dict]:
    report = _report(world)
    if rule not in {r["rule_id"] for r in report["rules"]}:
        raise AssertionError(f"没有规则「{rule}」")
    return [v for v in report["violations"] if v["rule_id"] == rule]


def _listing(found: list[dict]) -> str:
    if not found:
        return "（没有违规）"
    return "；".join(f"{v['subject']} @ {v['period_key']}" for v in found)


NOTHING_TO_JUDGE = "nothing_to_judge"


def _judged(world: World, rule: str, request) -> dict:
    """The rule's status, insisting that it was evaluated and judged at least one case. A rule that
    judged nothing reports no violation for every submission, so "没有违规" alone cannot tell a
    clean record from a rule that never looked. Where judging nothing is the point (a month whose
    last day lies after the period, an elevator not yet old), the scenario or its Examples block
    carries the tag @nothing_to_judge, and then exactly 0 cases are required."""
    _of(world, rule)  # the rule exists
    status = next(r for r in _report(world)["rules"] if r["rule_id"] == rule)
    if not status["evaluated"]:
        raise AssertionError(f"规则 {rule}：期望已评判，实际未评判（{status.get('reason_zh') or '缺少所需记录'}）")
    if request.node.get_closest_marker(NOTHING_TO_JUDGE) is not None:
        if status["cases"] != 0:
            raise AssertionError(f"规则 {rule}：标签 @{NOTHING_TO_JUDGE} 期望没有可评判的对象，实际评判了 {status['cases']} 个")
    elif status["cases"] <= 0:
        raise AssertionError(f"规则 {rule}：“没有违规”不足为凭——规则没有可评判的对象（0 个）；请在场景中给出它应当评判的"
                             f"对象，或者（确实无可评判时）给场景或例子加标签 @{NOTHING_TO_JUDGE}")
    return status


def _count(world: World, rule: str, count: int) -> None:
    found = _of(world, rule)
    if len(found) != count:
        raise AssertionError(f"规则 {rule}：期望 {count} 条违规，实际 {len(found)} 条：{_listing(found)}")
    if len(found) == 1:
        world.violation = found[0]


@then(parsers.parse('规则 "{rule}" 的违规数为 {count:d}'))
def then_count(world: World, rule: str, count: int, request):
    _count(world, rule, count)
    status = _judged(world, rule, request)
    if status["cases"] < count:
        raise AssertionError(f"规则 {rule}：{count} 条违规却只评判了 {status['cases']} 个对象")


@then(parsers.re(r'规则 "(?P<rule>[^"]+)" 没有违规'))
def then_none(world: World, rule: str, request):
    _count(world, rule, 0)
    _judged(world, rule, request)


@then(parsers.re(r'规则 "(?P<rule>[^"]+)" 对 "(?P<subject>[^"]+)" 没有违规'))
def then_none_for(world: World, rule: str, subject: str, request):
    found = [v for v in _of(world, rule) if v["subject"] == subject]
    if found:
        raise AssertionError(f"规则 {rule}：期望 {subject} 没有违规，实际：{_listing(found)}")
    _judged(world, rule, request)


@then(parsers.parse('规则 "{rule}" 未评判'))
def then_not_evaluated(world: World, rule: str):
    status = next((r for r in _report(world)["rules"] if r["rule_id"] == rule), None)
    if status is None or status["evaluated"]:
        raise AssertionError(f"规则 {rule}：期望“未评判”，实际已评判，违规 {status and status['violations']} 条")


@then(parsers.parse('规则 "{rule}" 对 "{subject}" 在 "{period_key}" 有违规'))
def then_has(world: World, rule: str, subject: str, period_key: str):
    found = _of(world, rule)
    match = [v for v in found if v["subject"] == subject and v["period_key"] == period_key]
    if not match:
        raise AssertionError(f"规则 {rule}：期望 {subject} 在 {period_key} 有违规，实际违规：{_listing(found)}")
    world.violation = match[0]


def _current(world: World) -> dict:
    if world.violation is None:
        raise AssertionError("前面没有选中一条违规（先写“规则 … 的违规数为 1”或“规则 … 对 … 在 … 有违规”）")
    return world.violation


@then(parsers.re(r'该违规的证据 "(?P<field>[^"]+)" 为 "(?P<value>[^"]*)"'))  # "" = empty
def then_evidence(world: World, field: str, value: str):
    evidence = _current(world)["evidence"]
    if field not in evidence:
        raise AssertionError(f"证据中没有“{field}”；有：{'、'.join(evidence)}")
    got = evidence[field]
    if isinstance(got, float) and got.is_integer():
        got = int(got)  # 45.0 minutes reads as 45
    shown = "、".join(map(str, got)) if isinstance(got, list) else ("" if got is None else str(got))
    if shown != value:
        raise AssertionError(f"证据“{field}”：期望「{value}」，实际「{shown}」")


@then(parsers.parse('该违规的严重程度为 "{severity}"'))
def then_severity(world: World, severity: str):
    got = _current(world)["severity"]
    if got != severity:
        raise AssertionError(f"严重程度：期望 {severity}，实际 {got}")


@then(parsers.parse('该违规的期间键为 "{period_key}"'))
def then_period_key(world: World, period_key: str):
    got = _current(world)["period_key"]
    if got != period_key:
        raise AssertionError(f"期间键：期望 {period_key}，实际 {got}")


# Names drafters use for the responsible parties, beside rulebook.RESPONSIBLE_ZH's own.
ROLE_ALIASES = {
    "电梯使用单位": "use_unit", "维护保养单位": "maintenance_unit", "维保单位": "maintenance_unit",
    "市场监管部门": "market_regulator", "区人民政府": "district_government", "区政府": "district_government",
    "各区人民政府和江北新区管理机构": "district_government", "镇人民政府": "town_government",
    "街道办事处": "town_government", "镇人民政府、街道办事处或开发区管理机构": "town_government",
    "镇街": "town_government", "房产部门": "housing_department", "使用单位": "use_unit",
}


def _role(name: str) -> str:
    name = name.strip()
    known = {**ROLE_ALIASES, **{zh: role for role, zh in RESPONSIBLE_ZH.items()}}
    if name in known.values():
        return name
    if name not in known:
        raise AssertionError(f"不认识的责任方「{name}」；可用：{'、'.join(known)}")
    return known[name]


@then(parsers.parse('该违规的责任方为 "{role}"'))
def then_responsible(world: World, role: str):
    got = _current(world)["responsible_role"]
    if got != _role(role):
        shown = RESPONSIBLE_ZH.get(got, got)
        raise AssertionError(f"责任方：期望 {role}（{_role(role)}），实际 {shown}（{got}）")


@then(parsers.parse('该违规的责任单位为 "{org}"'))
def then_responsible_org(world: World, org: str):
    got = _current(world)["responsible_org_id"]
    if got != org:
        raise AssertionError(f"责任单位：期望 {org}，实际 {got or '（空：责任方不是某一单位）'}")


@then("该违规的责任单位为空")
def then_no_responsible_org(world: World):
    got = _current(world)["responsible_org_id"]
    if got is not None:
        raise AssertionError(f"责任单位：期望为空（责任方是政府部门），实际 {got}")


@then(parsers.parse('该违规的说明包含 "{text}"'))
def then_message_has(world: World, text: str):
    message = _current(world)["message_zh"]
    if text not in message:
        raise AssertionError(f"说明中没有「{text}」：{message}")


@then(parsers.parse('该违规的说明不包含 "{text}"'))
def then_message_lacks(world: World, text: str):
    message = _current(world)["message_zh"]
    if text in message:
        raise AssertionError(f"说明中不应有「{text}」：{message}")


def _unjudged(world: World) -> dict[str, dict]:
    """Whole elevators the day-by-day rules could not judge (not a case or a span of one)."""
    return {u["elevator_id"]: u for u in _report(world)["unjudged"]
            if u.get("subject") is None and u.get("span_from") is None}


@then(parsers.parse('电梯 "{elevator}" 未评判'))
def then_elevator_unjudged(world: World, elevator: str):
    listed = _unjudged(world)
    if elevator not in listed:
        raise AssertionError(f"电梯 {elevator} 不在未评判名单中；名单：{'、'.join(listed) or '（空）'}")


@then(parsers.parse('电梯 "{elevator}" 的未评判规则为 "{rules}"'))
def then_elevator_unjudged_rules(world: World, elevator: str, rules: str):
    then_elevator_unjudged(world, elevator)
    got = set(_unjudged(world)[elevator]["rules"])
    want = {r.strip() for r in rules.replace("，", "、").replace(",", "、").split("、") if r.strip()}
    if got != want:
        raise AssertionError(f"电梯 {elevator} 未评判的规则：期望 {'、'.join(sorted(want))}，实际 {'、'.join(sorted(got))}")


@then("没有未评判的电梯")
def then_none_unjudged(world: World):
    listed = _unjudged(world)
    if listed:
        shown = "；".join(f"{e}：{u['reason_zh']}" for e, u in listed.items())
        raise AssertionError(f"期望没有未评判的电梯，实际：{shown}")


@then(parsers.parse("待到期义务有 {count:d} 项"))
def then_pending(world: World, count: int):
    pending = _report(world)["pending"]
    if len(pending) != count:
        shown = "；".join(f"{p['rule_id']} {p['subject']} 到期 {p['due_on']}" for p in pending) or "（无）"
        raise AssertionError(f"待到期义务：期望 {count} 项，实际 {len(pending)} 项：{shown}")


@then(parsers.parse('规则 "{rule}" 的待到期义务有 {count:d} 项'))
def then_pending_of(world: World, rule: str, count: int):
    _of(world, rule)
    pending = [p for p in _report(world)["pending"] if p["rule_id"] == rule]
    if len(pending) != count:
        shown = "；".join(f"{p['subject']} 到期 {p['due_on']}" for p in pending) or "（无）"
        raise AssertionError(f"规则 {rule} 的待到期义务：期望 {count} 项，实际 {len(pending)} 项：{shown}")


@then(parsers.parse('单位 "{org}" 被扣 {points:d} 分'))
def then_points(world: World, org: str, points: int):
    firm = next((f for f in _report(world)["credit"] if f["org_id"] == org), None)
    got = firm["points"] if firm else 0
    if got != points:
        items = "；".join(f"{i['rule_id']} {i['period_key']} {i['points']}分" for i in (firm or {}).get("items", []))
        raise AssertionError(f"单位 {org}：期望扣 {points} 分，实际扣 {got} 分（{items or '没有扣分项'}）")


@then(parsers.parse('单位 "{org}" 不扣分'))
def then_no_points(world: World, org: str):
    then_points(world, org, 0)


def _items(world: World, org: str, rule: str) -> list[dict]:
    firm = next((f for f in _report(world)["credit"] if f["org_id"] == org), None)
    return [i for i in (firm or {}).get("items", []) if i["rule_id"] == rule]


@then(parsers.parse('单位 "{org}" 因规则 "{rule}" 被扣分'))
def then_points_for(world: World, org: str, rule: str):
    if not [i for i in _items(world, org, rule) if i["points"] > 0]:
        raise AssertionError(f"单位 {org}：期望因 {rule} 被扣分，实际没有这一扣分项")


@then(parsers.parse('单位 "{org}" 不因规则 "{rule}" 扣分'))
def then_no_points_for(world: World, org: str, rule: str, request):
    items = _items(world, org, rule)
    if items:
        shown = "；".join(f"{i['period_key']} {i['points']}分" for i in items)
        raise AssertionError(f"单位 {org}：期望不因 {rule} 扣分，实际：{shown}")
    _judged(world, rule, request)


# ---- Revision 3: the declared history, adopted interpretations, sources, credit, unjudged cases ----

@given(parsers.re(r'声明 "(?P<kind>[^"]+)" 自 "(?P<day>[^"]+)" 起的记录齐全'))
def given_declared(world: World, kind: str, day: str):
    world.declared[_record_type(kind)] = day


@given(parsers.re(r'参数 "(?P<name>[^"]+)" 自 "(?P<day>[^"]+)" 起由 "(?P<number>[^"]+)" 采纳为 (?P<value>\S+)'))
def given_adopted(world: World, name: str, day: str, number: str, value: str):
    """An interpretation adopted by a document (R3-6): the shipped value until `day`, the adopted one from it."""
    shipped = load_parameters()[name]
    first = shipped.values[0][0].isoformat()
    values = {first: shipped.values[0][1]} if day > first else {}
    values[day] = {"value": _parameter_value(value),
                   "adopted_by": {"document": "（场景中的采纳文件）", "number": number, "date": day}}
    world.params[name] = values


@then(parsers.parse('该违规的依据包含 "{text}"'))
def then_source_has(world: World, text: str):
    got = _current(world)["clause"]
    if text not in got:
        raise AssertionError(f"依据：期望包含「{text}」，实际「{got}」")


@then(parsers.parse('该违规的依据日为 "{day}"'))
def then_identity_day(world: World, day: str):
    got = _current(world)["identity_day"]
    if got != day:
        raise AssertionError(f"依据日（违规的身份日）：期望 {day}，实际 {got}")


def _deduction(world: World) -> dict | None:
    fingerprint = _current(world)["fingerprint"]
    return next((i for f in _report(world)["credit"] for i in [*f["items"], *f["provisional_items"]]
                 if i["fingerprint"] == fingerprint), None)


@then("该违规的扣分计入")
def then_charged(world: World):
    item = _deduction(world)
    if item is None or item["status"] != "charged":
        shown = "没有扣分项" if item is None else "暂定：" + "；".join(item["provisional_zh"])
        raise AssertionError(f"期望这条违规的扣分计入（依法扣分），实际{shown}")


@then(parsers.parse('该违规的扣分暂定，原因包含 "{text}"'))
def then_provisional(world: World, text: str):
    item = _deduction(world)
    if item is None or item["status"] != "provisional":
        raise AssertionError(f"期望这条违规的扣分暂定，实际{'没有扣分项' if item is None else '计入'}")
    reasons = "；".join(item["provisional_zh"])
    if text not in reasons:
        raise AssertionError(f"暂定的原因中没有「{text}」：{reasons}")


@then(parsers.parse('单位 "{org}" 因规则 "{rule}" 被暂定扣分'))
def then_provisional_for(world: World, org: str, rule: str):
    firm = next((f for f in _report(world)["credit"] if f["org_id"] == org), None)
    if not [i for i in (firm or {}).get("provisional_items", []) if i["rule_id"] == rule]:
        raise AssertionError(f"单位 {org}：期望因 {rule} 被暂定扣分，实际没有这一暂定扣分项")


def _unjudged_cases(world: World, rule: str) -> list[dict]:
    _of(world, rule)
    return [u for u in _report(world)["unjudged"] if rule in u["rules"]]


@then(parsers.re(r'规则 "(?P<rule>[^"]+)" 对 "(?P<key>[^"]+)" 未评判，原因为 "(?P<reason>[^"]+)"'))
def then_case_unjudged(world: World, rule: str, key: str, reason: str):
    cases = _unjudged_cases(world, rule)
    match = [u for u in cases if key in (u.get("subject"), u.get("period_key")) and u["reason_zh"].startswith(reason)]
    if not match:
        shown = "；".join(f"{u.get('subject')} {u.get('period_key')}：{u['reason_zh']}" for u in cases) or "（没有）"
        raise AssertionError(f"规则 {rule}：期望 {key} 未评判（{reason}），实际未评判的：{shown}")


@then(parsers.re(r'"(?P<who>[^"]+)" 的规则 "(?P<rule>[^"]+)" 从 "(?P<first>[^"]+)" 至 "(?P<last>[^"]+)" 未评判，'
                 r'原因为 "(?P<reason>[^"]+)"'))
def then_span_unjudged(world: World, who: str, rule: str, first: str, last: str, reason: str):
    cases = _unjudged_cases(world, rule)
    match = [u for u in cases if who in (u["elevator_id"], u["use_unit_id"]) and u.get("span_from") == first
             and u.get("span_to") == last and u["reason_zh"].startswith(reason)]
    if not match:
        shown = "；".join(f"{u['elevator_id'] or u['use_unit_id']} {u.get('span_from')}–{u.get('span_to')}：{u['reason_zh']}"
                         for u in cases) or "（没有）"
        raise AssertionError(f"规则 {rule}：期望 {who} 从 {first} 至 {last} 未评判（{reason}），实际：{shown}")
