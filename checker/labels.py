"""What people read in place of codes: the one place for every label liftcheck shows.

Enum codes → 中文 (or English), a responsible party → its name, a rule id → its title, an evidence
key → its label and unit, a ledger's UTC stamp → Beijing time. The terminal (checker/render.py,
render_whatif.py), the workbooks and CSV files (checker/office.py), the HTML pages (the Jinja
templates get these functions) and the drafters' feature runner all take their words from here,
so `major` reads 较重 everywhere and a violation's evidence reads as a sentence
("缺少日期：2024-01-05、2024-01-09；在用日：31 天"), never as raw JSON. The portal and the API
call `label(kind, code, lang)`.

Where the words come from: record fields' enum names from the contract (the schemas'
x-enum-labels), record types' names from the schemas' titles, rule titles from the rule files
(rendered with the parameters a report used), evidence keys from EVIDENCE below (a test holds
every key a rule file names to be there), the rest from the tables below.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from checker.contract import record_types
from checker.rulebook import RESPONSIBLE_ZH, SEVERITY_ZH

RESPONSIBLE_EN = {"use_unit": "use unit", "maintenance_unit": "maintenance unit", "market_regulator": "market regulator",
                  "district_government": "district government", "town_government": "town government / subdistrict office",
                  "housing_department": "housing department"}
SEVERITY_EN = {"notice": "notice", "general": "general", "major": "major", "serious": "serious"}
YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}
NONE_TEXT = {"zh": "（无）", "en": "(none)"}
UNITS = {"days": ("天", "days"), "months": ("个月", "months"), "minutes": ("分钟", "minutes"), "seconds": ("秒", "seconds"), "years": ("年", "years"),
         "stars": ("星", "stars"), "households": ("户", "households")}
# old_list's assessment status is written bilingual by the metric; each language reads its half
ASSESSMENT_STATUS = {"未申请 not applied": ("未申请", "not applied"), "评估中 in progress": ("评估中", "in progress"),
                     "已完成 completed": ("已完成", "completed")}

# Evidence keys of the rule files: (Chinese label, English label, unit of a number or None).
# tests/test_office_outputs.py checks every key a rule file names is here.
EVIDENCE: dict[str, tuple[str, str, str | None]] = {
    "month": ("月份", "month", None),
    "in_service_days": ("在用日", "in-service days", "days"),
    "missing_days": ("缺少天数", "days missing", "days"),
    "missing_dates": ("缺少日期", "missing dates", None),
    "iso_week": ("周次", "ISO week", None),
    "monday": ("周一", "Monday", None),
    "sunday": ("周日", "Sunday", None),
    "month_start": ("月初", "month start", None),
    "month_end": ("月末", "month end", None),
    "latest_plan_on": ("最近一次应急预案", "latest emergency plan", None),
    "latest_drill_on": ("最近一次应急演练", "latest drill", None),
    "failed_on": ("报警装置测试故障日", "alarm test failed on", None),
    "next_ok_test_on": ("此后首次测试正常日", "next passing test on", None),
    "reported_at": ("报警时间", "reported at", None),
    "arrived_at": ("救援到场时间", "rescuers arrived at", None),
    "arrival_minutes": ("到场用时", "arrival time", "minutes"),
    "arrival_seconds": ("到场用时（按秒计）", "arrival time in seconds", "seconds"),
    "maintenance_unit_id": ("维保单位代码", "maintenance unit id", None),
    "maintenance_unit_name": ("维保单位", "maintenance unit", None),
    "a": ("上次维保日期", "maintained on", None),
    "b": ("下次维保日期", "next maintained on", None),
    "interval_days": ("间隔", "interval", "days"),
    "stopped_days_between": ("其间停用", "stopped in between", "days"),
    "ends_at_period_end": ("截至期末仍未再次维保", "still open at the period's end", None),
    "households_served": ("服务户数", "households served", "households"),
    "limit_days": ("间隔上限", "limit", "days"),
    "manufacturer_id": ("制造单位代码", "manufacturer id", None),
    "maintainer_kind": ("维保方类别", "maintainer kind", None),
    "maintainer_star": ("维保单位星级", "maintainer's stars", "stars"),
    "age_years": ("投用年限", "age", "years"),
    "first": ("首个无有效检验的在用日", "first uncovered in-service day", None),
    "last": ("最后一个无有效检验的在用日", "last uncovered in-service day", None),
    "uncovered_days": ("无有效检验的在用日", "uncovered in-service days", "days"),
    "uncovered_days_in_period": ("其中本期间内", "of which in this period", "days"),
    "latest_inspection_on": ("最近一次检验", "latest inspection", None),
    "latest_conclusion": ("检验结论", "its conclusion", None),
    "valid_until": ("有效期至", "valid until", None),
    "latest_screening_on": ("最近一次预诊筛查", "latest screening", None),
    "screened_on": ("筛查日期", "screened on", None),
    "first_applied_on": ("首次申请全面评估", "first assessment application", None),
    "latest_assessment_applied_on": ("最近一次申请全面评估", "latest assessment application", None),
    "completed_on": ("评估完成日期", "assessment completed on", None),
    "conclusion": ("评估结论", "assessment conclusion", None),
    "working_group_on": ("成立整治工作组", "working group formed on", None),
    "plan_on": ("整治方案", "rectification plan on", None),
    "found_on": ("发现日期", "found on", None),
    "severity": ("隐患等级", "hazard severity", None),
    "deadline": ("整改期限", "rectification deadline", None),
    "rectified_on": ("整改完成日期", "rectified on", None),
    "listed_on": ("挂牌督办日期", "listed on", None),
    "first_order_stop_on": ("责令停用日期", "stop ordered on", None),
    "stop_from": ("应停用自", "must be stopped from", None),
    "stop_through": ("应停用至", "must be stopped through", None),
    "first_unstopped_day": ("首个未停用日", "first day not stopped", None),
    "unstopped_days": ("本期间内未停用", "days not stopped in this period", "days"),
    "repaired_on": ("修复日期", "repaired on", None),
    "hazard_registered_on": ("登记为隐患", "registered as a hazard on", None),
    "stop_started_on": ("停用开始", "stopped from", None),
    "applied_on": ("申请日期", "applied on", None),
    "assessment_id": ("所附评估报告", "assessment report named", None),
    "report_elevator_id": ("报告所属电梯", "report's elevator", None),
    "report_completed_on": ("报告完成日期", "report completed on", None),
    "report_plan_on": ("报告的整治方案日期", "report's plan on", None),
    "unmet": ("不满足的条件", "unmet prerequisites", None),
    "due_on": ("应完成日期", "due on", None),
    "fulfilled_on": ("实际完成日期", "fulfilled on", None),
    "days_late": ("逾期", "late by", "days"),
    # Revision 3
    "incident_id": ("困人事件编号", "incident", None),
    "cause": ("困人原因", "cause", None),
    "notified_at": ("通知救援时间", "rescuers called at", None),
    "notify_seconds": ("通知用时（按秒计）", "time to call the rescuers in seconds", "seconds"),
    "rescue_unit_id": ("到场救援单位代码", "rescue unit id", None),
    "rescue_unit_name": ("到场救援单位", "rescue unit", None),
    "registered_maintenance_unit_id": ("登记的维保单位代码", "registered maintenance unit id", None),
    "finding": ("发现途径", "found by", None),
    "inspected_on": ("定期检验日期", "inspected on", None),
    "inspection_conclusion": ("检验结论", "inspection conclusion", None),
    "screening_window_from": ("筛查期限起", "screening window from", None),
    "decided_on": ("审批决定日期", "decided on", None),
    "decision": ("审批决定", "decision", None),
    "funding_plan_on": ("费用筹集方案出台日期", "funding plan issued on", None),
    "subdistrict": ("所在街道（镇）", "subdistrict", None),
    "use_unit_id": ("使用单位代码", "use unit id", None),
    "use_unit_name": ("使用单位", "use unit", None),
}
# DEFECT-REPAIR's finding: which record found the fault (not a contract field, so named here).
FINDINGS = {"daily_check": ("每日检查", "daily check"), "entrapment": ("困人事件", "entrapment")}
# Shown by the message or by other keys already: not repeated in the evidence text.
EVIDENCE_HIDDEN = {"prerequisites"}

# Evidence values that are codes of a record field: key -> (record type, field).
_EVIDENCE_ENUMS = {"latest_conclusion": ("inspections", "conclusion"), "conclusion": ("assessments", "conclusion"),
                   "severity": ("hazards", "severity"), "maintainer_kind": ("organizations", "kind"),
                   "cause": ("entrapments", "cause"), "inspection_conclusion": ("inspections", "conclusion"), "decision": ("fund_applications", "decision")}


# List parameters whose items are codes of a record field: shown by their names.
_PARAMETER_ENUMS = {"assessment.workgroup_conclusions": ("assessments", "conclusion")}
# The choices of enum parameters (rules/params.yaml `choices`), as people read them.
# (Their codes stay what a --params file is written with, so they are not among `codes()`.)
PARAMETER_CHOICES = {"inclusive": ("含本数（“以上”）", "inclusive"), "exclusive": ("不含本数（“超过”）", "exclusive")}


def parameter_value(name: str, value: Any, lang: str = "zh") -> str:
    """A parameter's value as people read it: 3, 是, 维修、大修、改造、更新, 含当日."""
    if name in _PARAMETER_ENUMS and isinstance(value, list):
        return value_text([enum(*_PARAMETER_ENUMS[name], v, lang) for v in value], lang)
    if isinstance(value, str) and value in PARAMETER_CHOICES:
        return PARAMETER_CHOICES[value][0 if lang == "zh" else 1]
    return value_text(value, lang)


def severity(code: str, lang: str = "zh") -> str:
    return (SEVERITY_ZH if lang == "zh" else SEVERITY_EN).get(code, code)


def responsible(code: str, lang: str = "zh") -> str:
    return (RESPONSIBLE_ZH if lang == "zh" else RESPONSIBLE_EN).get(code, code)


def enum(record_type: str, field: str, code: str | None, lang: str = "zh") -> str:
    """A record field's code as people name it (inspections.conclusion fail → 不合格)."""
    if code is None:
        return NONE_TEXT[lang]
    if lang != "zh":
        return code.replace("_", " ")
    return record_types()[record_type].field(field).enum_labels.get(code, code)


def yes_no(value: bool | None, lang: str = "zh") -> str:
    if value is None:
        return ""
    return YES_NO[lang][0 if value else 1]


def unit(name: str | None, lang: str = "zh") -> str:
    if not name:
        return ""
    pair = UNITS.get(name)
    return (pair[0] if lang == "zh" else pair[1]) if pair else name


def number(value: float | int) -> str:
    """Whole numbers without .0; others to one decimal, as messages write them."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value))


def value_text(value: Any, lang: str = "zh", sep: str | None = None) -> str:
    """One value as text: 是/否, lists joined with 、, whole numbers without .0, none as （无）."""
    if value is None:
        return NONE_TEXT[lang]
    if isinstance(value, bool):
        return YES_NO[lang][0 if value else 1]
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, (list, tuple)):
        return (sep or ("、" if lang == "zh" else ", ")).join(value_text(v, lang) for v in value) or NONE_TEXT[lang]
    return str(value)


def evidence_text(evidence: dict[str, Any], lang: str = "zh", prerequisites: dict[str, str] | None = None) -> str:
    """A violation's evidence as one readable line: label：value unit；label：value unit.

    `prerequisites`: prerequisite id → its failure wording (the rule file's), for `unmet`."""
    parts = []
    for key, value in evidence.items():
        if key in EVIDENCE_HIDDEN:
            continue
        zh, en, unit_name = EVIDENCE.get(key, (key, key.replace("_", " "), None))
        if key in _EVIDENCE_ENUMS and isinstance(value, str):
            text = enum(*_EVIDENCE_ENUMS[key], value, lang)
        elif key == "finding" and value in FINDINGS:
            text = FINDINGS[value][0 if lang == "zh" else 1]
        elif key == "unmet" and prerequisites:
            text = ("；" if lang == "zh" else "; ").join(prerequisites.get(p, p) for p in value) or NONE_TEXT[lang]
        else:
            text = value_text(value, lang)
            if unit_name and isinstance(value, (int, float)) and not isinstance(value, bool):
                text += (" " if lang == "zh" else " ") + unit(unit_name, lang)
        parts.append(f"{zh}：{text}" if lang == "zh" else f"{en}: {text}")
    return ("；" if lang == "zh" else "; ").join(parts)


def districts_ranked(report: dict) -> list[str]:
    """The districts a report names (by violations or by the closed-loop metric), most violations
    first and, among equals, by name: never in set order, which changes from run to run with
    Python's hash seed. The HTML report and the workbook list them so."""
    per_district = report["summary"]["by_district"]
    loop = report["metrics"]["closed_loop_rate"]["by_district"]
    return sorted(set(per_district) | set(loop), key=lambda d: (-per_district.get(d, 0), d))


# ---- rules, parties, times: what the renderers print beside (or instead of) an id --------------

SWEEP = {"state": ("期末状态", "state on the period's end"), "span": ("与窗口无关", "any window")}
# What makes two versions of one violation differ (checker.compare's `differs`).
DIFFERS = {"severity": ("严重程度", "severity"), "responsible": ("责任方", "responsible party"),
           "evidence": ("证据", "evidence")}
UNJUDGED_KINDS = {"unjudged": ("未评判的电梯", "elevator not judged"),
                  "case": ("未评判的事项", "case not judged"),
                  "span": ("声明起始日前未评判", "before the declared start: not judged"),
                  "rejected_elevator": ("电梯记录被拒收", "elevator rejected"),
                  "incomplete": ("有记录被拒收的电梯", "elevator with rejected records"),
                  "rejected": ("被拒收的记录", "rejected record"),
                  "warning": ("数据提醒（已读入，请核对）", "data warning (read: check it)")}
PROBLEM_LEVELS = {"error": ("错误", "error"), "warning": ("提醒", "warning")}
# Beijing time: China keeps UTC+8 all year (no daylight saving since 1991), so a fixed offset is exact
# and needs no time-zone database on the machine.
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
_PARAM = re.compile(r"\{param\.([^}]+)\}")


@functools.lru_cache(maxsize=1)
def _title_templates() -> dict[str, dict[str, str]]:
    """Each shipped rule's title, as its rule file writes it (with {param.…} placeholders)."""
    from checker.rulebook import load_rulebook

    return {r.id: dict(r.body["title"]) for r in load_rulebook()}


def _fill(template: str, report: dict | None, lang: str) -> str:
    """A title template with each parameter as the report used it (else as shipped, today)."""
    def value(m: re.Match) -> str:
        name = m.group(1)
        if report is not None and name in report.get("parameters", {}):
            return parameter_value(name, report["parameters"][name]["value"], lang)
        from checker.params import load_parameters

        return parameter_value(name, load_parameters()[name].at(dt.date.today()), lang)
    return _PARAM.sub(value, template)


def rule_titles(report: dict | None = None, lang: str = "zh") -> dict[str, str]:
    """Rule id → title in `lang`. A report's own titles first (they were rendered with its
    parameters, and name its overlay's rules), then the rule files'."""
    out = {rid: _fill(t[lang], report, lang) for rid, t in _title_templates().items() if lang in t}
    if report is not None and lang == "zh":
        out |= {r["rule_id"]: r["title"] for r in report.get("rules", []) if r.get("title")}
    return out


def rule_title(rule_id: str, lang: str = "zh", report: dict | None = None) -> str:
    """MAINT-INTERVAL-DENSE → 高梯户比老旧电梯现场维保周期超过10天 (the id itself when no rule file has it)."""
    return rule_titles(report, lang).get(rule_id, rule_id)


def rule_with_title(rule_id: str, lang: str = "zh", report: dict | None = None, titles: dict | None = None) -> str:
    """"MAINT-INTERVAL-DENSE 高梯户比老旧电梯现场维保周期超过10天": an id is never shown without its title."""
    title = (titles if titles is not None else rule_titles(report, lang)).get(rule_id)
    return f"{rule_id} {title}" if title and title != rule_id else rule_id


def party(role: str | None, name: str | None = None, org_id: str | None = None, lang: str = "zh") -> str:
    """使用单位：南京玄武第1物业服务有限公司（9132010000000000X）— the party by its role, its name and code."""
    role_text = responsible(role, lang) if role else ""
    who = name if name and name != role_text else ""
    if org_id and org_id != who:
        who = f"{who}（{org_id}）" if who and lang == "zh" else f"{who} ({org_id})" if who else org_id
    if not who:
        return role_text
    if not role_text:
        return who
    return f"{role_text}：{who}" if lang == "zh" else f"{role_text}: {who}"


def local_time(stamp: str | dt.datetime | None, lang: str = "zh") -> str:
    """A stored UTC time (the ledger's) as Beijing time: 2026-12-01 17:30:05（北京时间）."""
    if stamp is None or stamp == "":
        return ""
    try:
        when = stamp if isinstance(stamp, dt.datetime) else dt.datetime.fromisoformat(str(stamp))
    except ValueError:   # not a time liftcheck wrote: shown as it is
        return str(stamp)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    text = when.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}（北京时间）" if lang == "zh" else f"{text} (Beijing time)"


def percent(rate: float | None) -> str:
    """0.4444 → 44.4%."""
    return "" if rate is None else f"{rate * 100:.1f}%"


def record_type(name: str, lang: str = "zh") -> str:
    """daily_checks → 每日检查记录."""
    if lang != "zh":
        return name.replace("_", " ")
    rt = record_types().get(name)
    return rt.label if rt else name


def _pair(table: dict[str, tuple[str, str]], code: str, lang: str) -> str:
    pair = table.get(code)
    return code if pair is None else pair[0 if lang == "zh" else 1]


def label(kind: str, code: Any, lang: str = "zh") -> str:
    """Any code liftcheck shows, as people name it — the function for the portal and the API.

    `kind`: severity · responsible (party) · rule (its title) · record_type · sweep · differs ·
    evidence (an evidence key's label) · unjudged · problem_level · assessment_status · yes_no · unit ·
    or a record field "TYPE.FIELD" (elevators.status, screenings.risk_level, organizations.kind, …).
    An unknown code is returned as it is; an unknown kind is a programming error (KeyError)."""
    if code is None:
        return ""
    simple: dict[str, Any] = {
        "severity": severity, "responsible": responsible, "party": responsible, "record_type": record_type,
        "rule": lambda c, lang: rule_title(c, lang), "yes_no": yes_no, "unit": unit,
        "sweep": lambda c, lang: _pair(SWEEP, c, lang), "differs": lambda c, lang: _pair(DIFFERS, c, lang),
        "unjudged": lambda c, lang: _pair(UNJUDGED_KINDS, c, lang),
        "problem_level": lambda c, lang: _pair(PROBLEM_LEVELS, c, lang),
        "evidence": lambda c, lang: EVIDENCE.get(c, (c, c))[0 if lang == "zh" else 1],
        "assessment_status": lambda c, lang: next((v[0 if lang == "zh" else 1] for k, v in ASSESSMENT_STATUS.items()
                                                   if c in (k, *v)), c),
    }
    if kind in simple:
        return simple[kind](code, lang)
    if "." in kind:
        record, field = kind.split(".", 1)
        if record in record_types():
            record_types()[record].field(field)   # a KeyError names a field the contract lacks
            return enum(record, field, code, lang)
    raise KeyError(f"no labels for {kind!r}")


def codes() -> set[str]:
    """Every code that must never reach a Chinese reader alone: the contract's enum codes, the
    severities, parties, evidence keys and the rest above (tests/test_chinese_outputs.py)."""
    out = set(SEVERITY_EN) | set(RESPONSIBLE_EN) | set(DIFFERS) | set(EVIDENCE) | set(UNJUDGED_KINDS)
    for rt in record_types().values():
        out |= {rt.name}
        for f in rt.fields:
            out |= set(f.enum_labels)
    return out
