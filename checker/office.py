"""Outputs a Chinese office works with: CSV that Excel opens, workbooks in Chinese (or English).

Each list a command hands out (violations, problems, the old-elevator list, credit items)
is one `Table`: columns with a Chinese and an English header and a kind (text, id, number,
date, long text), and a polars frame whose values are already in the reader's language.
The same Table becomes a CSV file (UTF-8 with a BOM by default, so Chinese Excel does not
show mojibake) or a worksheet (frozen header, filters, widths, long text wrapped, ids and
every other text stored as text — a cell beginning with = + - @ is never run as a formula).

Writers take a path that the command has already checked (outputs.check_output) and that
the caller writes through outputs.atomic_output; they never decide whether a file may be
overwritten. Formula-like CSV text is neutralised by outputs.csv_safe.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import polars as pl
import xlsxwriter

from checker import labels
from checker.contract import record_types
from checker.errors import LiftcheckError
from checker.outputs import XLSX_OPTIONS, csv_safe

BOM = "\ufeff"
# Text stored as text (outputs.XLSX_OPTIONS); rows streamed to disk, not held in memory.
BOOK_OPTIONS = XLSX_OPTIONS | {"constant_memory": True}
EXCEL_MAX_ROWS = 1_048_576


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    kind: str = "text"   # text · id (codes, shown in full) · number · date · datetime · long (wrapped)

    def header(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass
class Table:
    columns: list[Column]
    frame: pl.DataFrame   # one column per Column.key, values already in the table's language

    def with_headers(self, lang: str) -> pl.DataFrame:
        return self.frame.select([pl.col(c.key).alias(c.header(lang)) for c in self.columns])


def frame(rows: list[dict], columns: list[Column]) -> pl.DataFrame:
    """Rows (dicts) as a Table's frame: numbers as numbers, everything else as text."""
    dtypes = {"number": pl.Float64}
    schema = {c.key: dtypes.get(c.kind, pl.String) for c in columns}
    return pl.DataFrame([{c.key: r.get(c.key) for c in columns} for r in rows], schema=schema, orient="row")


_frame = frame


# ---- CSV -------------------------------------------------------------------------------

def _csv_ready(df: pl.DataFrame) -> pl.DataFrame:
    flat = df.with_columns([pl.col(c).cast(pl.List(pl.String)).list.join(";") for c, t in df.schema.items()
                            if isinstance(t, pl.List)])
    flat = flat.with_columns([pl.col(c).cast(pl.String) for c, t in flat.schema.items()
                              if t == pl.Date or isinstance(t, pl.Datetime)])
    # whole-number floats (counts that passed through a float column) read as 3, not 3.0
    flat = flat.with_columns([pl.when(pl.col(c) == pl.col(c).round(0)).then(pl.col(c).cast(pl.Int64).cast(pl.String))
                              .otherwise(pl.col(c).cast(pl.String)).alias(c)
                              for c, t in flat.schema.items() if t.is_float()])
    return csv_safe(flat)


def write_csv(table: Table | pl.DataFrame, path: Path, lang: str = "zh", encoding: str = "utf-8-bom") -> None:
    df = table.with_headers(lang) if isinstance(table, Table) else table
    _csv_ready(df).write_csv(path, include_bom=encoding == "utf-8-bom")


def csv_text(table: Table | pl.DataFrame, lang: str = "zh", encoding: str = "utf-8-bom") -> str:
    df = table.with_headers(lang) if isinstance(table, Table) else table
    return (BOM if encoding == "utf-8-bom" else "") + _csv_ready(df).write_csv()


# ---- tables ----------------------------------------------------------------------------

def _h(zh: str, en: str, key: str, kind: str = "text") -> Column:
    return Column(key, zh, en, kind)


VIOLATION_COLUMNS = [
    _h("级别", "Severity", "severity"), _h("规则", "Rule", "rule_id", "id"), _h("规则名称", "Title", "title"),
    _h("依据（设定义务的法律法规）", "Source (the law laying the duty)", "clause"),
    _h("意见稿条款", "Draft sections", "draft"), _h("责任方", "Responsible party", "responsible_role"),
    _h("责任单位", "Responsible organisation", "responsible_name"),
    _h("责任单位代码", "Responsible org id", "responsible_org_id", "id"), _h("电梯", "Elevator", "elevator_id", "id"),
    _h("使用单位", "Use unit", "use_unit_name"), _h("使用单位代码", "Use unit id", "use_unit_id", "id"),
    _h("维保单位代码", "Maintenance unit id", "maintenance_unit_id", "id"), _h("所在区", "District", "district"),
    _h("违规主体", "Subject", "subject", "id"), _h("期间", "Period key", "period_key", "id"),
    _h("说明", "Message", "message", "long"), _h("证据", "Evidence", "evidence", "long"),
    _h("信用扣分", "Credit points", "points", "number"),
    _h("扣分状态", "Credit status", "credit_status", "long"), _h("违规指纹", "Fingerprint", "fingerprint", "id"),
]


def credit_status(item: dict | None, lang: str = "zh", violation: dict | None = None) -> str | None:
    """R3-6 in words: charged (the law sets the limit), or provisional and why; for a violation
    without a deduction, why it deducts nothing (None when no violation is given)."""
    if item is None:
        if violation is None:
            return None
        if violation["responsible_role"] != "use_unit":
            party = labels.responsible(violation["responsible_role"], lang)
            return _t(lang, f"不扣分：责任方为{party}，信用扣分只针对物业服务企业", f"no points: the party is the {party}; "
                      "credit points concern property service enterprises only")
        if violation["severity"] == "notice":
            return _t(lang, "不扣分：提示", "no points: a notice")
        return _t(lang, "不扣分：使用单位不是物业服务企业，或扣分标准未列此规则",
                  "no points: the use unit is not a property service enterprise, or the schedule lists no points for the rule")
    if item["status"] == "charged":
        return _t(lang, "计入：依法扣分（记入账本为拟扣分，异议期满后为正式扣分）",
                  "charged: the law sets the limit (recorded as proposed, final once the objection window has passed)")
    reasons = item["provisional_zh"] if lang == "zh" else item["provisional_en"]
    return _t(lang, "暂定（不计入合计、不记入账本）：", "provisional (never in a total or the ledger): ") + \
        ("；" if lang == "zh" else "; ").join(reasons)


def violations_table(report: dict, lang: str = "zh", prerequisites: dict[str, dict[str, str]] | None = None) -> Table:
    """Every violation, in the reader's language. `prerequisites`: rule id → prerequisite id → wording."""
    items = {i["fingerprint"]: i for f in report.get("credit", []) for i in [*f["items"], *f.get("provisional_items", [])]}
    rows = []
    for v in report["violations"]:
        rows.append({
            "severity": labels.severity(v["severity"], lang), "rule_id": v["rule_id"],
            "title": v["title"] if lang == "zh" else v["title_en"], "clause": v["clause"], "draft": v.get("draft") or None,
            "responsible_role": labels.responsible(v["responsible_role"], lang),
            "responsible_name": v["responsible_name"], "responsible_org_id": v["responsible_org_id"],
            "elevator_id": v["elevator_id"], "use_unit_name": v["use_unit_name"], "use_unit_id": v["use_unit_id"],
            "maintenance_unit_id": v["maintenance_unit_id"], "district": v["district"], "subject": v["subject"],
            "period_key": v["period_key"], "message": v["message_zh"] if lang == "zh" else v["message_en"],
            "evidence": labels.evidence_text(v["evidence"], lang, (prerequisites or {}).get(v["rule_id"])),
            "points": (items.get(v["fingerprint"]) or {}).get("points"),
            "credit_status": credit_status(items.get(v["fingerprint"]), lang, v), "fingerprint": v["fingerprint"]})
    return Table(VIOLATION_COLUMNS, _frame(rows, VIOLATION_COLUMNS))


PENDING_COLUMNS = [
    _h("规则", "Rule", "rule_id", "id"), _h("规则名称", "Title", "title"), _h("电梯", "Elevator", "elevator_id", "id"),
    _h("使用单位", "Use unit", "use_unit_name"), _h("使用单位代码", "Use unit id", "use_unit_id", "id"),
    _h("主体", "Subject", "subject", "id"), _h("产生日期", "Arises on", "arises_on", "date"),
    _h("到期日", "Due on", "due_on", "date"), _h("说明", "Message", "message", "long"),
]


def pending_table(report: dict, lang: str = "zh") -> Table:
    titles = labels.rule_titles(report, lang)
    rows = [p | {"title": titles.get(p["rule_id"], p.get("title")),
                 "message": p["message_zh"] if lang == "zh" else p["message_en"]} for p in report["pending"]]
    return Table(PENDING_COLUMNS, _frame(rows, PENDING_COLUMNS))


UNJUDGED_COLUMNS = [
    _h("类别", "Kind", "kind"), _h("电梯", "Elevator", "elevator_id", "id"), _h("使用单位", "Use unit", "use_unit_name"),
    _h("使用单位代码", "Use unit id", "use_unit_id", "id"), _h("所在区", "District", "district"),
    _h("未判断的规则", "Rules not judged", "rules", "long"), _h("主体", "Subject", "subject", "id"),
    _h("未判断的日期", "Days not judged", "span", "id"), _h("文件", "File", "file"), _h("行", "Row", "row", "number"),
    _h("字段", "Field", "field", "id"), _h("值", "Value", "value"), _h("原因", "Reason", "reason", "long"),
]
_UNJUDGED_KINDS = labels.UNJUDGED_KINDS


def unjudged_table(report: dict, lang: str = "zh") -> Table:
    """Elevators not judged (and why), elevators touched by --skip-invalid, every rejected record."""
    i = 0 if lang == "zh" else 1
    sep = "、" if lang == "zh" else ", "
    titles = labels.rule_titles(report, lang)

    def kind(u: dict) -> str:
        # a whole elevator, one case of a rule (an incident, a finding), or the days before a declared start
        return _UNJUDGED_KINDS["span" if u.get("span_from") else "case" if u.get("subject") else "unjudged"][i]

    rows = [u | {"kind": kind(u), "rules": sep.join(labels.rule_with_title(r, lang, titles=titles) for r in u["rules"]),
                 "span": (f"{u['span_from']} 至 {u['span_to']}" if lang == "zh" else f"{u['span_from']} to {u['span_to']}")
                 if u.get("span_from") else None,
                 "reason": u["reason_zh"] if lang == "zh" else u["reason_en"]} for u in report.get("unjudged", [])]
    rows += [e | {"kind": _UNJUDGED_KINDS["rejected_elevator" if e["elevator_rejected"] else "incomplete"][i],
                  "rules": "全部规则" if e["elevator_rejected"] and lang == "zh" else "every rule" if e["elevator_rejected"] else "",
                  "reason": e["reason_zh"] if lang == "zh" else e["reason_en"]}
             for e in report.get("rejected_elevators", [])]
    fields = {f"{rt.name}.{f.name}": f"{f.label.split('（')[0]}（{f.name}）" for rt in record_types().values() for f in rt.fields}
    rows += [{"kind": _UNJUDGED_KINDS["rejected"][i], "file": p["file"], "row": p["row"],
              "field": fields.get(f"{p.get('record_type')}.{p['field']}", p["field"]) if lang == "zh" else p["field"],
              "value": p["value"], "reason": p["message_zh"] if lang == "zh" else p["message_en"]}
             for p in report.get("rejected", [])]
    # issue 25: a default taken or a value normalised is never silent, in the workbook either
    rows += [{"kind": _UNJUDGED_KINDS["warning"][i], "file": p["file"], "row": p["row"],
              "field": fields.get(f"{p.get('record_type')}.{p['field']}", p["field"]) if lang == "zh" else p["field"],
              "value": p["value"], "reason": p["message_zh"] if lang == "zh" else p["message_en"]}
             for p in report.get("warnings", [])]
    return Table(UNJUDGED_COLUMNS, _frame(rows, UNJUDGED_COLUMNS))


FIRM_COLUMNS = [
    _h("排名", "Rank", "rank", "number"), _h("物业服务企业", "Firm", "name"),
    _h("统一社会信用代码", "Org id", "org_id", "id"), _h("扣分", "Points", "points", "number"),
    _h("按年度", "By year", "by_year"), _h("封顶前扣分", "Points before the cap", "uncapped_points", "number"),
    _h("已撤销（分）", "Revoked points", "revoked_points", "number"), _h("扣分项数", "Items", "items", "number"),
    _h("列入失信名录", "Dishonest register", "dishonest_register"),
]


def firms_table(firms: list[dict], lang: str = "zh") -> Table:
    rows = [{"rank": rank, "name": f["name"], "org_id": f["org_id"], "points": f["points"],
             "by_year": ("，" if lang == "zh" else ", ").join(f"{y}: {p}" for y, p in f["points_by_year"].items()),
             "uncapped_points": f.get("uncapped_points"), "revoked_points": f.get("revoked_points", 0),
             "items": len(f["items"]), "dishonest_register": labels.yes_no(f["dishonest_register"], lang)}
            for rank, f in enumerate(firms, start=1)]
    return Table(FIRM_COLUMNS, _frame(rows, FIRM_COLUMNS))


CREDIT_ITEM_COLUMNS = [
    _h("物业服务企业", "Firm", "org_name"), _h("统一社会信用代码", "Org id", "org_id", "id"),
    _h("企业扣分合计", "Firm's points", "firm_points", "number"), _h("规则", "Rule", "rule_id", "id"),
    _h("规则名称", "Title", "title"),
    _h("主体", "Subject", "subject", "id"), _h("期间", "Period key", "period_key", "id"),
    _h("扣分", "Points", "points", "number"), _h("扣分状态", "Status", "state"),
    _h("依据", "Source", "clause"), _h("级别", "Severity", "severity"),
    _h("年度", "Year", "year", "number"), _h("记录时间", "Recorded at", "recorded_at", "id"),
    _h("撤销原因", "Revoked: reason", "revoked_reason"), _h("撤销人", "Revoked by", "revoked_by"),
    _h("撤销时间", "Revoked at", "revoked_at", "id"), _h("违规指纹", "Fingerprint", "fingerprint", "id"),
]


def credit_items_table(firms: list[dict], lang: str = "zh") -> Table:
    """Every deduction with its firm's name (the name stored at the sweep, or the firm's latest)."""
    rows = []
    states = {"proposed": ("拟扣分（异议期内）", "proposed (objection window open)"),
              "final": ("正式扣分", "final"), "charged": ("计入（依法扣分）", "charged")}
    titles = labels.rule_titles(None, lang)   # the ledger keeps ids: the titles come from the rule files
    for f in firms:
        for i in [*f["items"], *f.get("provisional_items", [])]:
            rev = i.get("revoked") or {}
            if i.get("status") == "provisional":
                state = credit_status(i, lang)
            elif i.get("not_charged"):
                state = _t(lang, f"不再计入：{i['not_charged']}", f"no longer counted: {i['not_charged']}")
            else:
                state = states[i.get("state", i.get("status", "charged"))][0 if lang == "zh" else 1]
            rows.append(i | {"org_name": i.get("org_name") or f["name"], "firm_points": f["points"], "state": state,
                             "title": titles.get(i["rule_id"]),
                             "severity": labels.severity(i["severity"], lang), "revoked_reason": rev.get("reason"),
                             "revoked_by": rev.get("by"), "revoked_at": labels.local_time(rev.get("at"), lang) or None,
                             "recorded_at": labels.local_time(i.get("recorded_at"), lang) or None})
    return Table(CREDIT_ITEM_COLUMNS, _frame(rows, CREDIT_ITEM_COLUMNS))


PROBLEM_COLUMNS = [
    _h("级别", "Severity", "severity"), _h("记录类型", "Record type", "record_type"), _h("文件", "File", "file"),
    _h("行", "Row", "row", "number"), _h("字段", "Field", "field", "id"), _h("值", "Value", "value"),
    _h("问题代码", "Code", "code", "id"), _h("说明", "Message", "message", "long"),
]


def field_label(record_type: pl.Expr, field: pl.Expr, lang: str) -> pl.Expr:
    """A record field as a Chinese reader names it, 状态（status）; the field name in English."""
    if lang != "zh":
        return field.alias("field")
    names = {f"{rt.name}.{f.name}": f"{f.label.split('（')[0]}（{f.name}）" for rt in record_types().values() for f in rt.fields}
    return pl.concat_str([record_type, pl.lit("."), field]).replace_strict(names, default=field).alias("field")


def problems_table(problems: pl.DataFrame, lang: str = "zh") -> Table:
    """validate's problem list: vectorised, as a submission may hold a great many problems."""
    types = record_types()
    kinds = labels.PROBLEM_LEVELS
    i = 0 if lang == "zh" else 1
    frame = problems.select(
        pl.col("severity").replace_strict({k: v[i] for k, v in kinds.items()}, default=pl.col("severity")),
        pl.col("record_type").replace_strict({n: t.label for n, t in types.items()} if lang == "zh" else {},
                                             default=pl.col("record_type")),
        "file", pl.col("row").cast(pl.Float64), field_label(pl.col("record_type"), pl.col("field"), lang), "value", "code",
        pl.col("message_zh" if lang == "zh" else "message_en").alias("message"))
    return Table(PROBLEM_COLUMNS, frame)


OLD_LIST_COLUMNS = [
    _h("设备代码", "Elevator", "elevator_id", "id"), _h("所在区", "District", "district"),
    _h("街道", "Subdistrict", "subdistrict"), _h("小区", "Community", "community"),
    _h("使用单位", "Use unit", "use_unit_name"), _h("使用单位代码", "Use unit id", "use_unit_id", "id"),
    _h("投用日期", "Commissioned on", "commissioned_on", "date"), _h("投用年限", "Age (years)", "age_years", "number"),
    _h("状态", "Status", "status"), _h("保障房", "Affordable housing", "affordable_housing"),
    _h("服务户数", "Households served", "households_served", "number"), _h("高梯户比", "Dense", "dense"),
    _h("最近筛查", "Latest screening", "latest_screening_on", "date"),
    _h("风险等级", "Risk level", "latest_risk_level"), _h("最近评估报告", "Latest assessment", "latest_assessment_id", "id"),
    _h("全面评估", "Assessment status", "assessment_status"),
    _h("评估完成日期", "Assessment completed on", "assessment_completed_on", "date"),
    _h("评估结论", "Assessment conclusion", "assessment_conclusion"),
    _h("未整改隐患", "Open hazards", "open_hazards", "number"),
    _h("其中重大及以上", "of which major or serious", "open_major_hazards", "number"),
    _h("未整改隐患编号", "Open hazard ids", "open_hazard_ids", "id"),
]


def old_list_table(listing: pl.DataFrame, lang: str = "zh") -> Table:
    """The old-elevator list (metrics.old_list) with names and the enums in the reader's language."""
    def enum(col: str, rtype: str, field: str) -> pl.Expr:
        codes = record_types()[rtype].field(field).enum_labels
        return pl.col(col).replace_strict({c: labels.enum(rtype, field, c, lang) for c in codes}, default=pl.col(col))

    yes, no = labels.YES_NO[lang]
    flag = lambda c: pl.when(pl.col(c)).then(pl.lit(yes)).when(~pl.col(c)).then(pl.lit(no))  # noqa: E731
    status = {k: v[0 if lang == "zh" else 1] for k, v in labels.ASSESSMENT_STATUS.items()}
    name = pl.col("use_unit_name") if "use_unit_name" in listing.columns else pl.lit(None, pl.String)
    frame = listing.select(
        "elevator_id", "district", "subdistrict", "community", name.alias("use_unit_name"), "use_unit_id",
        pl.col("commissioned_on").cast(pl.String), pl.col("age_years").cast(pl.Float64),
        enum("status", "elevators", "status"), flag("affordable_housing").alias("affordable_housing"),
        pl.col("households_served").cast(pl.Float64), flag("dense").alias("dense"),
        pl.col("latest_screening_on").cast(pl.String), enum("latest_risk_level", "screenings", "risk_level"),
        "latest_assessment_id", pl.col("assessment_status").replace_strict(status, default=pl.col("assessment_status")),
        pl.col("assessment_completed_on").cast(pl.String),
        enum("assessment_conclusion", "assessments", "conclusion"),
        pl.col("open_hazards").cast(pl.Float64), pl.col("open_major_hazards").cast(pl.Float64),
        pl.col("open_hazard_ids").cast(pl.List(pl.String)).list.join("、" if lang == "zh" else ", "))
    return Table(OLD_LIST_COLUMNS, frame)


# ---- workbooks -------------------------------------------------------------------------

def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class _Book:
    """One workbook: the formats every sheet shares, and a sheet writer for Tables."""

    def __init__(self, path: Path):
        self.wb = xlsxwriter.Workbook(path, BOOK_OPTIONS)
        add = self.wb.add_format
        self.header = add({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
        self.title = add({"bold": True, "font_size": 14})
        self.bold = add({"bold": True})
        self.text = add({"num_format": "@", "valign": "top"})
        self.wrap = add({"num_format": "@", "text_wrap": True, "valign": "top"})
        self.number = add({"valign": "top"})
        self.percent = add({"num_format": "0.0%", "valign": "top"})
        self.date = add({"num_format": "yyyy-mm-dd", "valign": "top"})
        self.stamp = add({"num_format": "yyyy-mm-dd hh:mm:ss", "valign": "top"})
        self.notice = add({"bold": True, "bg_color": "#FFF2CC", "font_color": "#7F6000", "border": 1,
                           "text_wrap": True, "valign": "top"})

    def close(self) -> None:
        self.wb.close()

    def cell(self, ws, row: int, col: int, value: Any, kind: str = "text") -> None:
        if value is None:
            return
        if isinstance(value, bool):
            ws.write_string(row, col, labels.yes_no(value), self.text)
        elif isinstance(value, (int, float)):
            ws.write_number(row, col, value, self.percent if kind == "percent" else self.number)
        elif kind == "date" and isinstance(value, str) and len(value) == 10:
            try:
                ws.write_datetime(row, col, dt.datetime.fromisoformat(value), self.date)
            except ValueError:
                ws.write_string(row, col, value, self.text)
        else:  # always a string cell: text beginning with = + - @ is stored, never run
            ws.write_string(row, col, str(value), self.wrap if kind == "long" else self.text)

    def table(self, ws, table: Table, lang: str, first_row: int = 0, freeze: bool = True) -> int:
        """Write a table with its header at `first_row`; returns the next free row."""
        df = table.with_headers(lang)
        if df.height + first_row + 1 > EXCEL_MAX_ROWS:
            raise LiftcheckError(f"{df.height:,} 行超过 Excel 单表上限 {EXCEL_MAX_ROWS:,} 行；请改用 .csv 输出",
                                 f"{df.height:,} rows exceed Excel's {EXCEL_MAX_ROWS:,}-row sheet limit; write .csv instead")
        kinds = [c.kind for c in table.columns]
        for col, c in enumerate(table.columns):
            ws.write_string(first_row, col, c.header(lang), self.header)
        sample = df.head(500)
        for col, c in enumerate(table.columns):
            values = [str(v) for v in sample.get_column(c.header(lang)).to_list() if v is not None]
            content = sorted(_display_width(v) for v in values)
            typical = content[int(len(content) * 0.9)] if content else 0
            longest = content[-1] if content else 0
            width = {"id": longest, "long": min(max(typical, 30), 60), "date": 11,
                     "number": max(typical, 6)}.get(c.kind, min(typical, 40))
            ws.set_column(col, col, max(width, min(_display_width(c.header(lang)), 24), 6) + 2)
        row = first_row
        for row, values in enumerate(df.iter_rows(), start=first_row + 1):
            for col, value in enumerate(values):
                self.cell(ws, row, col, value, kinds[col])
        if freeze:
            ws.freeze_panes(first_row + 1, 0)
        ws.autofilter(first_row, 0, max(row, first_row), len(table.columns) - 1)
        return row + 1

    def pairs(self, ws, row: int, items: Iterable[tuple[str, Any]]) -> int:
        for label, value in items:
            ws.write_string(row, 0, label, self.bold)
            self.cell(ws, row, 1, value)
            row += 1
        return row

    def small_table(self, ws, row: int, headers: list[str], rows: list[list[Any]], kinds: list[str] | None = None) -> int:
        for col, h in enumerate(headers):
            ws.write_string(row, col, h, self.header)
        for r in rows:
            row += 1
            for col, value in enumerate(r):
                self.cell(ws, row, col, value, (kinds or [])[col] if kinds and col < len(kinds) else "text")
        return row + 2


SHEETS = {"overview": ("概览", "Overview"), "violations": ("违规清单", "Violations"), "pending": ("待办事项", "Pending"),
          "unjudged": ("未评判", "Unjudged"), "credit": ("信用扣分", "Credit"), "parameters": ("参数与口径", "Parameters"),
          "credit_items": ("扣分明细", "Credit items"), "old_list": ("老旧电梯清单", "Old elevators"),
          "problems": ("问题清单", "Problems")}


def _sheet(book: _Book, key: str, lang: str):
    return book.wb.add_worksheet(SHEETS[key][0 if lang == "zh" else 1])


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def write_check_workbook(report: dict, path: Path, lang: str = "zh",
                         prerequisites: dict[str, dict[str, str]] | None = None) -> None:
    """The check as a workbook: 概览, 违规清单, 待办事项, 未评判, 信用扣分, 参数与口径."""
    book = _Book(path)
    try:
        _overview(book, report, lang)
        ws = _sheet(book, "violations", lang)
        book.table(ws, violations_table(report, lang, prerequisites), lang)
        ws = _sheet(book, "pending", lang)
        book.table(ws, pending_table(report, lang), lang)
        ws = _sheet(book, "unjudged", lang)
        book.table(ws, unjudged_table(report, lang), lang)
        _credit_sheet(book, report["credit"], report["credit_schedule"], lang)
        _parameters(book, report, lang)
    finally:
        book.close()


def _overridden(report: dict, lang: str) -> str:
    """What was not the shipped rule book: parameters (with the shipped value) and rule overlays."""
    sep = "；" if lang == "zh" else "; "
    overrides = report.get("overrides") or {}
    if overrides:
        parts = [f"{p['name']} = {labels.parameter_value(p['name'], p['value'], lang)}"
                 + _t(lang, f"（默认 {labels.parameter_value(p['name'], p['base'], lang)}）",
                      f" (shipped {labels.parameter_value(p['name'], p['base'], lang)})")
                 for p in overrides.get("parameters", [])]
        rules = overrides.get("rules", {})
        parts += [_t(lang, f"规则 {r['rule_id']} 已替换（{r['file']}）", f"rule {r['rule_id']} replaced ({r['file']})")
                  for r in rules.get("replaced", [])]
        parts += [_t(lang, f"规则 {r['rule_id']} 已新增（{r['file']}）", f"rule {r['rule_id']} added ({r['file']})")
                  for r in rules.get("added", [])]
        parts += [_t(lang, f"规则 {r['rule_id']} 已停用：{r['reason']}", f"rule {r['rule_id']} disabled: {r['reason']}")
                  for r in rules.get("disabled", [])]
    else:
        parts = [f"{name} = {labels.parameter_value(name, p['value'], lang)}"
                 for name, p in report["parameters"].items() if p.get("overridden")]
    return sep.join(parts) or _t(lang, "无（全部为默认值）", "none (all defaults)")


def _overview(book: _Book, report: dict, lang: str) -> None:
    ws = _sheet(book, "overview", lang)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 4, 14)
    s = report["summary"]
    ws.write_string(0, 0, _t(lang, "老旧住宅电梯合规检查报告", "Old residential elevators: compliance check"), book.title)
    items = [
        (_t(lang, "检查期间", "Period"), _t(lang, f"{report['period']['from']} 至 {report['period']['to']}",
                                         f"{report['period']['from']} to {report['period']['to']}")),
        (_t(lang, "规则集版本", "Ruleset version"), report["ruleset"]["version"]),
        (_t(lang, "规则集摘要", "Ruleset digest"), report["ruleset"]["digest"]),
        (_t(lang, "改动的参数与规则", "Parameters and rules overridden"), _overridden(report, lang)),
        (_t(lang, "违规", "Violations"), s["violations"]),
        (_t(lang, "待到期义务", "Pending obligations"), s["pending"]),
        (_t(lang, "未评判（电梯、事项、声明起始日前的期间）", "Not judged (elevators, cases, spans before a declared start)"),
         s.get("unjudged", 0)),
        (_t(lang, "被拒收的记录（--skip-invalid）", "Records rejected (--skip-invalid)"), s.get("rejected_records", 0)),
        (_t(lang, "受拒收影响的电梯", "Elevators touched by rejected records"), s.get("rejected_elevators", 0)),
        (_t(lang, "信用扣分合计", "Credit points"), s["credit_points"]),
        (_t(lang, "被扣分的物业服务企业", "Firms with deductions"), s["firms_with_deductions"]),
    ]
    if s.get("ledger"):
        items.append((_t(lang, "已记入账本", "Recorded in the ledger"),
                      _t(lang, f"{s['ledger']['target']}（新增扣分 {s['ledger']['new_deductions']} 项）",
                         f"{s['ledger']['target']} ({s['ledger']['new_deductions']} new deductions)")))
    row = book.pairs(ws, 2, items) + 1
    ws.write_string(row, 0, _t(lang, "按级别", "By severity"), book.bold)
    row = book.small_table(ws, row + 1, [_t(lang, "级别", "Severity"), _t(lang, "违规", "Violations")],
                           [[labels.severity(k, lang), n] for k, n in s["by_severity"].items()])
    ws.write_string(row, 0, _t(lang, "按规则", "By rule"), book.bold)
    titles = labels.rule_titles(report, lang)
    rule_rows = [[r["rule_id"], titles.get(r["rule_id"], r["title"]) if r["evaluated"] else
                  _t(lang, f"{r['title']}（未评判：{r['reason_zh']}）",
                     f"{titles.get(r['rule_id'], r['title'])} (not evaluated: {r['reason_en']})"),
                  r["violations"] if r["evaluated"] else None, r["pending"] if r["evaluated"] else None]
                 for r in report["rules"]]
    row = book.small_table(ws, row + 1, [_t(lang, "规则", "Rule"), _t(lang, "名称", "Title"), _t(lang, "违规", "Violations"),
                                         _t(lang, "待到期", "Pending")], rule_rows)
    ws.write_string(row, 0, _t(lang, "按区", "By district"), book.bold)
    loop = report["metrics"]["closed_loop_rate"]["by_district"]
    districts = labels.districts_ranked(report)
    book.small_table(ws, row + 1, [_t(lang, "区", "District"), _t(lang, "违规", "Violations"),
                                   _t(lang, "隐患", "Hazards"), _t(lang, "已闭环", "Closed"),
                                   _t(lang, "闭环率", "Closed-loop rate")],
                     [[d, s["by_district"].get(d, 0), loop.get(d, {}).get("hazards", 0), loop.get(d, {}).get("closed", 0),
                       loop.get(d, {}).get("rate")] for d in districts],
                     ["text", "text", "text", "text", "percent"])


def _credit_sheet(book: _Book, firms: list[dict], schedule: dict, lang: str, first: int = 0) -> None:
    ws = _sheet(book, "credit", lang)
    row = first
    if not schedule.get("official"):
        ws.merge_range(row, 0, row, len(FIRM_COLUMNS) - 1, schedule["notice_zh"] if lang == "zh" else schedule["notice_en"],
                       book.notice)
        ws.set_row(row, 45)
        row += 2
    if not firms:
        ws.write_string(row, 0, _t(lang, "没有扣分", "No deductions"), book.bold)
        row += 2
    book.table(ws, firms_table(firms, lang), lang, first_row=row)


def _parameters(book: _Book, report: dict, lang: str) -> None:
    ws = _sheet(book, "parameters", lang)
    cols = [_h("参数", "Parameter", "name", "id"), _h("说明", "Description", "description", "long"),
            _h("取值", "Value", "value"), _h("单位", "Unit", "unit"), _h("依据", "Basis", "basis", "long"),
            _h("解释性取值", "Interpretation", "interpretation"), _h("本次改动", "Overridden", "overridden"),
            _h("各时期取值", "Values by date", "values")]
    rows = [{"name": name, "description": p["description_zh"] if lang == "zh" else p["description_en"],
             "value": labels.parameter_value(name, p["value"], lang), "unit": labels.unit(p["unit"], lang), "basis": p["basis"],
             "interpretation": labels.yes_no(p["interpretation"], lang), "overridden": labels.yes_no(p["overridden"], lang),
             "values": ("；" if lang == "zh" else "; ").join(
                 _t(lang, f"{d} 起 {labels.parameter_value(name, v, lang)}", f"from {d}: {labels.parameter_value(name, v, lang)}")
                 for d, v in p["values"].items())}
            for name, p in report["parameters"].items()]
    book.table(ws, Table(cols, _frame(rows, cols)), lang)


def write_table_workbook(table: Table, path: Path, sheet: str, lang: str = "zh", title: str | None = None) -> None:
    """One list as a one-sheet workbook (problems, the old-elevator list)."""
    book = _Book(path)
    try:
        ws = _sheet(book, sheet, lang)
        first = 0
        if title:
            ws.write_string(0, 0, title, book.title)
            first = 2
        book.table(ws, table, lang, first_row=first)
    finally:
        book.close()


def write_workbook(sheets: dict[str, Table], path: Path, lang: str = "zh") -> None:
    """Named Tables, a sheet each, every one with a frozen header and a filter (compare's workbook)."""
    book = _Book(path)
    try:
        for name, table in sheets.items():
            book.table(book.wb.add_worksheet(name), table, lang)
    finally:
        book.close()


def write_credit_workbook(body: dict, path: Path, lang: str = "zh") -> None:
    """`liftcheck credit … -o X.xlsx`: the notice, the firms ranked, every item with its firm's name."""
    book = _Book(path)
    try:
        _credit_sheet(book, body["firms"], {"official": body["official"], "notice_zh": body["notice_zh"],
                                            "notice_en": body["notice_en"]}, lang)
        ws = _sheet(book, "credit_items", lang)
        book.table(ws, credit_items_table(body["firms"], lang), lang)
    finally:
        book.close()
