"""Type and check raw frames against the contract, vectorised: the city-scale validator.

Each check is a polars expression derived from the schemas (via contract.py), so a
million rows cost one pass per field, never a Python object per row. The result is a
`Submission`: typed frames of the records that may be judged, and one frame listing
every problem with its file, row, field, value and what was expected, in Chinese and
English. tests/test_fastpath_vs_jsonschema.py proves this path and the JSON Schemas
reject the same bad rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from checker.contract import Field, RecordType, record_types
from checker.load import FILE_COL, ROW_COL, RawSubmission, SourceFile
from checker.text import (ASCII_DIGITS, CONTROL_CLASS, CONTROL_CLASS_NO_TAB, FOREIGN_DIGIT_CLASS, FULLWIDTH_DIGITS,
                          shorten, visible, visible_expr)

VALID_COL = "_valid"
ERR_PREFIX = "_err_"
WARN_PREFIX = "_warn_"
CELL_PREFIX = "_cell_"
# records.md: a year outside 1900-2100 in a date is an error, never a value to judge.
YEAR_MIN, YEAR_MAX = 1900, 2100

PROBLEM_SCHEMA = {
    "severity": pl.String, "record_type": pl.String, "file": pl.String, "row": pl.Int64,
    "row_kind": pl.String, "field": pl.String, "value": pl.String, "code": pl.String,
    "message_zh": pl.String, "message_en": pl.String,
}

REJECTED_ELEVATORS_SCHEMA = {"elevator_id": pl.String, "record_type": pl.String, "records": pl.Int64}

_TRUE = ["true", "1", "是", "y", "yes", "t"]
_FALSE = ["false", "0", "否", "n", "no", "f"]
# Explicit [0-9]: the regex engine's \d is Unicode-aware and would pass Arabic-Indic or
# Devanagari digits on to a cast that turns them into null, silently.
_DATE_ANY = r"^([0-9]{4})(?:-|/|年)([0-9]{1,2})(?:-|/|月)([0-9]{1,2})日?(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
_DATE_ISO = r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$"
_DT_ANY = (r"^([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})[T ]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?"
           r"[ \t]*(Z|[+-][0-9]{2}:?[0-9]{2})?$")
_DT_ISO = r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?(Z|[+-][0-9]{2}:?[0-9]{2})?$"
_INTEGER = r"^[+-]?[0-9]+(\.0+)?$"
_INTEGER_DIGITS = 15   # beyond this an integer is out of any range a record needs (and of int64 soon)
_NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def _expected(f: Field, canonical: bool) -> dict[str, tuple[str, str]]:
    """For one field: problem code -> (what was expected in Chinese, in English)."""
    allowed_zh = "、".join(f"{c}（{z}）" for c, z in f.enum_labels.items())
    allowed_en = ", ".join(f.enum_labels)
    date_zh = "日期 YYYY-MM-DD" if canonical else "日期（YYYY-MM-DD、YYYY/MM/DD 或 YYYY年MM月DD日）"
    date_en = "a date YYYY-MM-DD" if canonical else "a date (YYYY-MM-DD, YYYY/MM/DD or YYYY年MM月DD日)"
    bounds = ""
    if f.minimum is not None and f.maximum is not None:
        bounds = f" {int(f.minimum)}–{int(f.maximum)}"
    elif f.minimum is not None:
        bounds = f" ≥ {int(f.minimum)}"
    return {
        "required": ("必填字段，不能为空", "a required field; it is empty"),
        "json_type": ("JSON 值不对：" + {"integer": "应为整数", "number": "应为数字", "boolean": "应为 true/false",
                                      "list": "应为非空字符串的数组"}.get(f.kind, "应为非空字符串"),
                      "wrong JSON value: expected " + {"integer": "an integer", "number": "a number", "boolean": "true/false",
                                                      "list": "an array of non-empty strings"}.get(f.kind, "a non-empty string")),
        "enum": (f"应为以下之一：{allowed_zh}", f"expected one of: {allowed_en}"),
        "integer": ("应为整数", "expected a whole number"),
        "number": ("应为数字", "expected a number"),
        "range": (f"超出范围（应{bounds.strip().replace('≥', '不小于')}）" if bounds else "超出范围",
                  f"out of range (expected{bounds})" if bounds else "out of range"),
        "boolean": ("应为布尔值（true/false、1/0、是/否、Y/N）" if not canonical else "应为 true 或 false",
                    "expected a boolean (true/false, 1/0, 是/否, Y/N)" if not canonical else "expected true or false"),
        "date": (date_zh, date_en),
        "datetime": ("日期时间 YYYY-MM-DDTHH:MM[:SS]（可带时区偏移，默认北京时间）",
                     "a datetime YYYY-MM-DDTHH:MM[:SS] (offset optional, Asia/Shanghai by default)"),
        "control": ("含有控制字符（显示为 \\x..），不能接受" + ("；备注中只允许制表符" if f.free_text else ""),
                    "holds control characters (shown as \\x..), not accepted" + ("; a note may hold tabs only" if f.free_text else "")),
        "digits": ("含有 0-9 以外的数字（如阿拉伯-印度数字、天城文数字），只接受 0-9 和全角０-９",
                   "holds digits other than 0-9 (Arabic-Indic, Devanagari, …); only 0-9 and full-width ０-９ are read"),
        "year": (f"年份超出 {YEAR_MIN}–{YEAR_MAX}", f"the year is outside {YEAR_MIN}–{YEAR_MAX}"),
        "fullwidth_digits": ("全角数字已按半角 0-9 读取", "full-width digits read as 0-9"),
        "trimmed_id": ("编号前后有空格（含全角空格），已去掉", "the id has spaces before or after it (full-width ones too); "
                       "they were removed"),
        "duplicate_key": ("同一个 JSON 对象里这个键出现了两次，无法确定取哪个值", "the key appears twice in one JSON object; neither value is taken"),
        "short_row": ("这一行在此列之前就结束了（字段数/表头列数），缺少的单元格不能当作空值",
                      "the row ends before this column (fields/header columns); a missing cell is not an empty one"),
        "formula": ("单元格是公式，但没有保存计算结果（请在 Excel 中打开、重新计算并保存，或直接填写数值）",
                    "the cell holds a formula without a saved value (open, recalculate and save it in Excel, or type the value)"),
        "error_value": ("单元格是错误值，不是数据", "the cell holds an error value, not data"),
        "near_header": ("这一列的表头写错了（见表头的问题），值未采用", "the column's header is damaged (see the header's problem); not taken"),
        "pattern": ("格式不对（应为 6 位数字）" if f.name == "rescue_code" else f"格式不对（{f.pattern}）",
                    "wrong format (expected 6 digits)" if f.name == "rescue_code" else f"wrong format ({f.pattern})"),
        "duplicate_id": ("编号重复，应唯一", "duplicate id; it must be unique"),
        "duplicate_record": ("与前面的记录完全相同（重复记录）", "identical to an earlier record (duplicate)"),
        "reference": (f"引用的{_REF_ZH.get(f.ref or '', f.ref)}不存在", f"refers to a record of {f.ref} that does not exist"),
        "order": ("日期先后顺序不对", "dates out of order"),
        "together": ("两个字段应同时填写或同时留空", "the two fields go together"),
        "rejected_reference": (f"引用的{_REF_ZH.get(f.ref or '', f.ref)}已被拒收，本记录随之不参与评判",
                               f"refers to a rejected record of {f.ref}; not judged either"),
    }


_REF_ZH = {"organizations": "单位", "elevators": "电梯", "assessments": "评估报告"}
_ORDER_RULES = {
    # record type -> [(later field, earlier field, zh, en)]
    "stop_periods": [("end", "start", "恢复使用日期早于停用日期", "end is before start")],
    "entrapments": [("arrived_at", "reported_at", "救援到达时间早于报警时间", "arrived_at is before reported_at"),
                    ("released_at", "reported_at", "解困时间早于报警时间", "released_at is before reported_at"),
                    ("released_at", "arrived_at", "解困时间早于救援到达时间", "released_at is before arrived_at"),
                    # Revision 3: the call to the rescuers comes between the alarm and their arrival
                    ("notified_at", "reported_at", "通知救援单位时间早于报警时间", "notified_at is before reported_at"),
                    ("arrived_at", "notified_at", "救援到达时间早于通知救援单位时间", "arrived_at is before notified_at")],
    "fund_applications": [("decided_on", "applied_on", "审批日期早于申请日期", "decided_on is before applied_on")],
    "assessments": [("funding_plan_on", "completed_on", "费用筹集方案日期早于报告日期", "funding_plan_on is before completed_on")],
    "works": [("completed_on", "started_on", "竣工日期早于开工日期", "completed_on is before started_on")],
}
# record type -> [(field, the field it goes with)]: each is given exactly when the other is
# (records.md Revision 3: a fund decision has its date, and a date its decision)
_TOGETHER = {
    "fund_applications": [("decision", "decided_on")],
}


def _enum_map(f: Field, canonical: bool) -> dict[str, str]:
    mapping = {c: c for c in f.enum_labels}
    if not canonical:
        for code, zh in f.enum_labels.items():
            mapping[zh] = code
            for part in zh.split("/"):
                mapping[part] = code
    return mapping


def _reads_digits(f: Field) -> bool:
    """Fields whose value is digits: numbers, dates, datetimes and digit codes (rescue_code)."""
    return f.kind in ("integer", "number", "date", "datetime") or (f.pattern is not None and "[0-9]" in f.pattern)


def _year_ok(year: pl.Expr) -> pl.Expr:
    return year.is_between(YEAR_MIN, YEAR_MAX)


def _parse(f: Field, canonical: bool, iso_only: bool = False, codes_only: bool = False) -> tuple[pl.Expr, pl.Expr]:
    """(typed value, problem code or null) for one field of a raw, stripped string column.

    `iso_only`: every present value of this date column is already a valid YYYY-MM-DD, parsed
    into the column "_iso_<name>" (`_iso_dates`): the same result as the variant-tolerant path
    at a tenth the cost.
    `codes_only`: every present value of this enum column is one of its codes (`_codes_only`),
    which the mapping maps to itself: the value is kept as it is, without a lookup per row.
    """
    v = pl.col(f.name)
    present = v.is_not_null()
    if f.kind == "string":
        parsed, bad = v, pl.lit(None, pl.String)
    elif f.kind == "enum" and codes_only:
        parsed, bad = v, pl.lit(None, pl.String)
    elif f.kind == "enum":
        parsed = v.replace_strict(_enum_map(f, canonical), default=None, return_dtype=pl.String)
        bad = pl.when(present & parsed.is_null()).then(pl.lit("enum"))
    elif f.kind == "integer":
        ok = v.str.contains(_INTEGER)
        digits = v.str.replace(r"\.0+$", "").str.strip_chars_start("+-").str.strip_chars_start("0")
        fits = digits.str.len_chars() <= _INTEGER_DIGITS
        parsed = pl.when(ok & fits).then(v.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False))
        low = pl.lit(False) if f.minimum is None else parsed < f.minimum
        high = pl.lit(False) if f.maximum is None else parsed > f.maximum
        bad = (pl.when(present & ~ok).then(pl.lit("integer"))
               .when(present & (~fits | low | high)).then(pl.lit("range")))
    elif f.kind == "number":
        ok = v.str.contains(_NUMBER)
        parsed = pl.when(ok).then(v.cast(pl.Float64, strict=False))
        finite = parsed.is_finite()   # 1e999 reads as infinity: out of range, not a value
        parsed = pl.when(finite).then(parsed)
        low = pl.lit(False) if f.minimum is None else parsed < f.minimum
        high = pl.lit(False) if f.maximum is None else parsed > f.maximum
        bad = (pl.when(present & ~ok).then(pl.lit("number"))
               .when(present & (~finite.fill_null(False) | low | high)).then(pl.lit("range")))
    elif f.kind == "boolean":
        lower = v.str.to_lowercase()
        truth = ["true"] if canonical else _TRUE
        falsity = ["false"] if canonical else _FALSE
        parsed = pl.when(lower.is_in(truth)).then(True).when(lower.is_in(falsity)).then(False)
        bad = pl.when(present & parsed.is_null()).then(pl.lit("boolean"))
    elif f.kind == "date":
        if iso_only:
            parsed = pl.col(ISO_PREFIX + f.name)
            bad = pl.lit(None, pl.String)
        else:
            groups = v.str.extract_groups(_DATE_ISO if canonical else _DATE_ANY)
            iso = pl.concat_str([groups.struct.field("1"), groups.struct.field("2").str.zfill(2),
                                 groups.struct.field("3").str.zfill(2)], separator="-")
            parsed = iso.str.to_date("%Y-%m-%d", strict=False)
            bad = pl.when(present & parsed.is_null()).then(pl.lit("date"))
        in_range = _year_ok(parsed.dt.year())
        bad = pl.coalesce(bad, pl.when(present & ~in_range).then(pl.lit("year")))
        parsed = pl.when(in_range).then(parsed)
    elif f.kind == "datetime":
        g = v.str.extract_groups(_DT_ISO if canonical else _DT_ANY)
        text = pl.concat_str([g.struct.field("1"), pl.lit("-"), g.struct.field("2").str.zfill(2), pl.lit("-"),
                              g.struct.field("3").str.zfill(2), pl.lit(" "), g.struct.field("4").str.zfill(2),
                              pl.lit(":"), g.struct.field("5"), pl.lit(":"),
                              g.struct.field("6").fill_null("00")])
        naive = text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
        off = g.struct.field("7")
        digits = off.str.replace(":", "")
        minutes = (pl.when(off == "Z").then(0)
                   .otherwise(digits.str.slice(1, 2).cast(pl.Int64, strict=False) * 60
                              + digits.str.slice(3, 2).cast(pl.Int64, strict=False))
                   * pl.when(off.str.starts_with("-")).then(-1).otherwise(1))
        in_range = _year_ok(naive.dt.year())
        # An explicit offset is converted to Beijing time (UTC+8), the contract's local time.
        parsed = pl.when(in_range & off.is_null()).then(naive).when(in_range).then(
            naive - pl.duration(minutes=minutes) + pl.duration(hours=8))
        bad = (pl.when(present & naive.is_null()).then(pl.lit("datetime"))
               .when(present & ~in_range).then(pl.lit("year")))
    elif f.kind == "list":
        parsed = v.str.split(";").list.eval(pl.element().str.strip_chars()).list.eval(
            pl.element().filter(pl.element() != ""))
        bad = pl.lit(None, pl.String)
        if f.enum_labels:   # a list of codes (works.funding): each item a code or its Chinese name
            mapping = _enum_map(f, canonical)
            parsed = parsed.list.eval(pl.element().replace_strict(mapping, default=None, return_dtype=pl.String))
            bad = pl.when(present & parsed.list.eval(pl.element().is_null()).list.any()).then(pl.lit("enum"))
    else:  # pragma: no cover - the contract has no other kinds
        raise ValueError(f.kind)
    # `\S` (some non-whitespace character) holds for every present value: values are stripped
    # of whitespace as Rust sees it (char::is_whitespace), the same White_Space property as the
    # regex \s, and an empty value is no value (2 x 0.1 s per 7 M cells saved)
    if f.pattern is not None and f.pattern != r"\S":
        bad = pl.coalesce(bad, pl.when(present & ~v.str.contains(f.pattern)).then(pl.lit("pattern")))
    if _reads_digits(f) and not iso_only:   # iso_only: every value is ASCII digits already
        bad = pl.coalesce(pl.when(present & v.str.contains(FOREIGN_DIGIT_CLASS)).then(pl.lit("digits")), bad)
    if f.default is not None:
        parsed = parsed.fill_null(pl.lit(f.default))
    required = pl.when(v.is_null()).then(pl.lit("required")) if f.required else pl.lit(None, pl.String)
    # a cell the loader could not read (its code is in the _err_ column already) comes first,
    # then control characters, then emptiness, then the field's own format
    bad = pl.coalesce(pl.col(ERR_PREFIX + f.name), required, bad)
    return parsed.alias(f.name), bad.cast(pl.String).alias(ERR_PREFIX + f.name)


ISO_PREFIX = "_iso_"


def _iso_dates(values: pl.Series) -> pl.Series | None:
    """The dates, when every present value is exactly YYYY-MM-DD and a real date; else None.

    The distinct values are checked, not every row: a city's daily checks hold 7 M dates but
    only the period's few hundred distinct ones. Each row then takes its distinct value's date,
    so every present value has one."""
    distinct = values.drop_nulls().unique()
    if not distinct.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$").all():
        return None
    dates = distinct.str.to_date("%Y-%m-%d", strict=False)
    if dates.null_count():
        return None
    # each row looked up among the parsed distinct values (a hash lookup: 0.08 s where parsing
    # every row again took 0.11-0.15 s); nulls stay null
    return values.replace_strict(distinct, dates, default=None, return_dtype=pl.Date)


def _codes_only(frame: pl.DataFrame, fields: list[Field]) -> set[str]:
    """The enum fields whose every present value is one of the field's codes, found with a
    comparison per code rather than a lookup per row (0.02 s instead of 0.17 s over 7 M rows)."""
    if not fields:
        return set()
    found = frame.select([(pl.col(f.name).is_null() | pl.any_horizontal([pl.col(f.name) == c for c in f.enum_labels]))
                          .all().alias(f.name) for f in fields])
    return {name for name, every in found.row(0, named=True).items() if every}


def _cell_problems(source: SourceFile, name: str) -> tuple[pl.Expr, pl.Expr, pl.Expr] | None:
    """(code, value to show, cell reference) by row for the loader's unreadable cells of one field."""
    found = [p for p in source.cell_problems if p.field == name]
    if not found:
        return None
    by_row = {p.row: p for p in reversed(found)}   # the first problem of a cell is the one named
    rows = list(by_row)
    row = pl.col(ROW_COL)
    return (row.replace_strict(rows, [p.code for p in by_row.values()], default=None, return_dtype=pl.String),
            row.replace_strict(rows, [p.value for p in by_row.values()], default=None, return_dtype=pl.String),
            row.replace_strict(rows, [p.cell for p in by_row.values()], default=None, return_dtype=pl.String))


def _typed(rt: RecordType, source: SourceFile, frame: pl.DataFrame) -> pl.DataFrame:
    """Strip, parse and flag one file's frame; keeps the raw text of each field for messages.

    Before parsing: a cell the loader could not read carries its own code; control
    characters are looked for in the raw value (unless the loader's byte scan found none in
    the whole file); full-width digits are read as 0-9, with a warning column."""
    first_codes, originals, shown, cells, widened = [], [], [], [], []
    # ids whose spaces (full-width ones too) are stripped are said to be (issue 26): "E1　" is
    # read as E1, and a warning names the cell
    trimmed = [] if source.free_of_whitespace else [f.name for f in rt.fields if _is_id(rt, f)]
    for f in rt.fields:
        n = f.name
        loader = _cell_problems(source, n)
        control = (None if source.free_of_controls else
                   pl.when(pl.col(n).str.contains(CONTROL_CLASS_NO_TAB if f.free_text else CONTROL_CLASS))
                   .then(pl.lit("control")))
        column = (pl.when(pl.col(n).is_not_null()).then(pl.lit(source.column_problems[n]))
                  if n in source.column_problems else None)
        codes = [c for c in (loader[0] if loader else None, column, control) if c is not None]
        first_codes.append((pl.coalesce(codes) if codes else pl.lit(None, pl.String)).alias(ERR_PREFIX + n))
        # the value shown in messages: stripped, except where control characters are the problem
        raw_value = pl.col(n)
        if control is not None or n in trimmed:
            originals.append(pl.col(n).alias("_orig_" + n))
        if control is not None:
            raw_value = pl.when(pl.col(ERR_PREFIX + n) == "control").then(pl.col("_orig_" + n)).otherwise(pl.col(n))
        if n in trimmed:
            raw_value = pl.when(_was_trimmed(n)).then(pl.col("_orig_" + n)).otherwise(raw_value)
        shown.append((pl.coalesce(loader[1], raw_value) if loader else raw_value).alias("_raw_" + n))
        cells.append((loader[2] if loader else pl.lit(None, pl.String)).alias(CELL_PREFIX + n))
    # a file the loader found free of whitespace has nothing to strip (a city's daily checks: 0.4 s)
    strip = (lambda c: c) if source.free_of_whitespace else (lambda c: c.str.strip_chars())
    stripped = (frame.with_columns(first_codes + originals)
                .with_columns([strip(pl.col(n)).replace("", None).alias(n) for n in rt.field_names])
                .with_columns(shown + cells))
    for f in rt.fields:
        if (_reads_digits(f) and source.may_hold_fullwidth
                and stripped.get_column(f.name).str.contains("[０-９]").any()):
            widened.append(f.name)
    stripped = stripped.with_columns(
        [pl.col(n).str.contains("[０-９]").fill_null(False).alias(WARN_PREFIX + n) for n in widened]
        + [_was_trimmed(n).alias(TRIM_PREFIX + n) for n in trimmed]
        + [pl.col(n).str.replace_many(FULLWIDTH_DIGITS, ASCII_DIGITS).alias(n) for n in widened])
    iso = {f.name: dates for f in rt.fields if f.kind == "date" and f.name not in widened
           and (dates := _iso_dates(stripped.get_column(f.name))) is not None}
    stripped = stripped.with_columns([dates.alias(ISO_PREFIX + n) for n, dates in iso.items()])
    codes = _codes_only(stripped, [f for f in rt.fields if f.kind == "enum" and f.enum_labels])
    parsed = [_parse(f, source.canonical, f.name in iso, f.name in codes) for f in rt.fields]
    typed = stripped.select(
        FILE_COL, ROW_COL,
        *[p for p, _ in parsed],
        *[e for _, e in parsed],
        *[pl.col("_raw_" + n) for n in rt.field_names],
        *[pl.col(CELL_PREFIX + n) for n in rt.field_names],
        *[pl.col(WARN_PREFIX + n) for n in widened],
        *[pl.col(TRIM_PREFIX + n) for n in trimmed],
    )
    # the full-width and trimmed-id warnings only where the field has no error of its own
    return typed.select(
        pl.exclude([WARN_PREFIX + n for n in widened] + [TRIM_PREFIX + n for n in trimmed]),
        *[_warning(f.name, f.name in widened, f.name in trimmed).alias(WARN_PREFIX + f.name) for f in rt.fields])


def _warning(n: str, widened: bool, trimmed: bool) -> pl.Expr:
    if widened:
        return pl.when(pl.col(ERR_PREFIX + n).is_null() & pl.col(WARN_PREFIX + n)).then(pl.lit("fullwidth_digits"))
    if trimmed:
        return pl.when(pl.col(ERR_PREFIX + n).is_null() & pl.col(TRIM_PREFIX + n)).then(pl.lit("trimmed_id"))
    return pl.lit(None, pl.String)


TRIM_PREFIX = "_trim_"


def _is_id(rt: RecordType, f: Field) -> bool:
    """A field that names a record: a record type's key, a reference, or any other *_id."""
    return f.kind == "string" and (f.name == rt.unique or f.ref is not None or f.name.endswith("_id"))


def _was_trimmed(n: str) -> pl.Expr:
    """The (stripped) value of an id lost spaces at either end; the raw value is in _orig_<n>."""
    return (pl.col(n).is_not_null() & (pl.col("_orig_" + n) != pl.col(n))).fill_null(False)


@dataclass
class Submission:
    """Typed records that may be judged, plus everything wrong with what was submitted."""

    tables: dict[str, pl.DataFrame]
    present_types: set[str]
    problems: pl.DataFrame
    unknown_files: list[str] = field(default_factory=list)
    record_counts: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)     # record type -> the files (sheets) it came from
    rejected_counts: dict[str, int] = field(default_factory=dict)
    # Elevators whose own record or some of whose records were rejected (--skip-invalid):
    # elevator_id, record_type, records. Their verdicts rest on incomplete records.
    rejected_elevators: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECTED_ELEVATORS_SCHEMA))
    # The history a submission holds, per record type (rules R3-7, R3-A 1): the day it declares
    # (submission.yaml, sheet 说明), else its earliest record of the type; a type with neither
    # is absent here, and its history starts at each elevator's commissioning day. A partition
    # keeps its whole submission's.
    history: dict[str, dt.date] = field(default_factory=dict)
    # only what the submission declared (the report and the ledger keep it)
    declared_from: dict[str, dt.date] = field(default_factory=dict)
    # record type -> use unit -> the earliest start a ledger kept for the unit (R3-A 1): set by
    # a sweep that records in a ledger, before it judges
    declared_by_unit: dict[str, dict[str, dt.date]] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return self.problems.filter(pl.col("severity") == "error").height

    def table(self, name: str) -> pl.DataFrame:
        if name in self.tables:
            return self.tables[name]
        return empty_table(name)


def empty_table(name: str) -> pl.DataFrame:
    rt = record_types()[name]
    dtypes = {"string": pl.String, "enum": pl.String, "integer": pl.Int64, "number": pl.Float64,
              "boolean": pl.Boolean, "date": pl.Date, "datetime": pl.Datetime("us"), "list": pl.List(pl.String)}
    return pl.DataFrame(schema={FILE_COL: pl.String, ROW_COL: pl.Int64} | {f.name: dtypes[f.kind] for f in rt.fields})


def _cross_row_checks(rt: RecordType, df: pl.DataFrame, keys: dict[str, pl.Series]) -> pl.DataFrame:
    """Uniqueness, duplicates, date order and references: checks that look beyond one row."""
    checks: dict[str, list[pl.Expr]] = {}
    if rt.unique:
        key = pl.col(rt.unique)
        checks.setdefault(rt.unique, []).append(
            pl.when(key.is_not_null() & ~key.is_first_distinct()).then(pl.lit("duplicate_id")))
    for later, earlier, _, _ in _ORDER_RULES.get(rt.name, []):
        checks.setdefault(later, []).append(
            pl.when(pl.col(later) < pl.col(earlier)).then(pl.lit("order:" + earlier)))
    for name, partner in _TOGETHER.get(rt.name, []):
        checks.setdefault(name, []).append(
            pl.when(pl.col(name).is_null() & pl.col(partner).is_not_null()).then(pl.lit("together:missing:" + partner))
            .when(pl.col(name).is_not_null() & pl.col(partner).is_null()).then(pl.lit("together:alone:" + partner)))
    for f in rt.fields:
        if f.ref:
            known = keys.get(f.ref, pl.Series([], dtype=pl.String))
            checks.setdefault(f.name, []).append(
                pl.when(pl.col(f.name).is_not_null() & ~pl.col(f.name).is_in(known.implode())).then(pl.lit("reference")))
    # An identical earlier record makes this one a duplicate; reported on the first field.
    # Rows that may have a twin are those whose row hash (the fields' hashes combined) is shared:
    # one pass over a u64 column instead of a group-by over every field of millions of rows.
    # "Not the first of its twins" is then decided exactly among those, so a hash collision is
    # never reported as a duplicate.
    # Twins share every field, so any of them will do for the screen: the first field and the
    # dates where the type has dates (a city's daily checks: elevator and day, 0.04 s instead
    # of 0.09 s for all five fields; same-day checks are the few candidates checked exactly).
    first_field = rt.unique or rt.field_names[0]
    dates = [f.name for f in rt.fields if f.kind in ("date", "datetime")]
    screened = [rt.field_names[0], *[n for n in dates if n != rt.field_names[0]]] if dates else rt.field_names
    row_hash = pl.lit(0, pl.UInt64)
    for i, name in enumerate(screened):
        row_hash = row_hash * 1_000_003 ^ pl.col(name).hash(seed=i)
    hashes = df.select(row_hash.alias("_h")).to_series()
    ordered = hashes.sort()
    shared = ordered.filter(ordered == ordered.shift(1))       # a sort, not a hash table: ~7x less CPU
    twins = hashes.is_in(shared.implode()) if shared.len() else None
    if twins is not None:
        later = (df.select(rt.field_names).with_row_index("_i").filter(twins)
                 .filter(~pl.struct(rt.field_names).is_first_distinct()).get_column("_i"))
        is_later = pl.int_range(pl.len(), dtype=pl.UInt32).is_in(later.implode())
        checks.setdefault(first_field, []).append(pl.when(is_later).then(pl.lit("duplicate_record")))
    # A field's own (type) problem comes first; a cross-row problem only where there is none.
    return df.with_columns([pl.coalesce(pl.col(ERR_PREFIX + name), *exprs).alias(ERR_PREFIX + name)
                            for name, exprs in checks.items()])


def _problems(rt: RecordType, df: pl.DataFrame, row_kinds: dict[str, str], canonical: dict[str, bool]) -> pl.DataFrame:
    err_cols = [ERR_PREFIX + n for n in rt.field_names]
    warn_cols = [WARN_PREFIX + n for n in rt.field_names]
    bad = df.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in err_cols + warn_cols]))
    if bad.height == 0:
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    parts = []
    for severity, prefix in (("error", ERR_PREFIX), ("warning", WARN_PREFIX)):
        parts.append([pl.struct(pl.lit(severity).alias("severity"), pl.lit(n).alias("field"),
                                pl.col(prefix + n).alias("code"), pl.col("_raw_" + n).alias("value"),
                                pl.col(CELL_PREFIX + n).alias("cell")) for n in rt.field_names])
    long = bad.select(
        FILE_COL, ROW_COL, pl.concat_list([*parts[0], *parts[1]]).alias("p"),
    ).explode("p").unnest("p").filter(pl.col("code").is_not_null() & (pl.col("code") != MISSING_COLUMN))
    # expected texts: a small table over (canonical, field, code)
    texts = []
    for can in (False, True):
        for f in rt.fields:
            exp = _expected(f, can)
            for code, (zh, en) in exp.items():
                texts.append({"_canonical": can, "field": f.name, "code": code, "zh": zh, "en": en,
                              "label": f.label})
            for later, earlier, zh, en in _ORDER_RULES.get(rt.name, []):
                if later == f.name:
                    texts.append({"_canonical": can, "field": f.name, "code": "order:" + earlier,
                                  "zh": zh, "en": en, "label": f.label})
            for name, partner in _TOGETHER.get(rt.name, []):
                if name == f.name:
                    other = rt.field(partner)
                    texts.append({"_canonical": can, "field": f.name, "code": "together:missing:" + partner,
                                  "zh": f"填写了{other.label}（{partner}），{f.label}也必须填写",
                                  "en": f"{partner} is given, so {f.name} is required", "label": f.label})
                    texts.append({"_canonical": can, "field": f.name, "code": "together:alone:" + partner,
                                  "zh": f"没有{other.label}（{partner}）时不能填写{f.label}",
                                  "en": f"{f.name} is given without {partner}", "label": f.label})
    texts_df = pl.DataFrame(texts)
    files = pl.DataFrame({"file": list(row_kinds), "row_kind": list(row_kinds.values()),
                          "_canonical": [canonical[k] for k in row_kinds]})
    long = (long.rename({FILE_COL: "file", ROW_COL: "row"})
            .join(files, on="file", how="left")
            .join(texts_df, on=["_canonical", "field", "code"], how="left"))
    return _with_messages(long.with_columns(pl.lit(rt.name).alias("record_type"))).sort("file", "row", maintain_order=True)


def _with_messages(long: pl.DataFrame) -> pl.DataFrame:
    """Problem rows (record_type, file, row, row_kind, field, label, value, code, zh, en; optionally
    severity and a spreadsheet cell) with their messages: every record-level problem names its
    place the same way, line, item or row (and the cell, "book.xlsx[电梯]!C5", where there is one).
    Control characters in anything echoed are shown as escapes; long values are cut."""
    if "cell" not in long.columns:
        long = long.with_columns(pl.lit(None, pl.String).alias("cell"))
    if "severity" not in long.columns:
        long = long.with_columns(pl.lit("error").alias("severity"))
    file = pl.concat_str([pl.col("file"), pl.when(pl.col("cell").is_not_null()).then(pl.lit("!") + pl.col("cell"))
                          .otherwise(pl.lit(""))])
    where_zh = pl.concat_str([file, pl.lit(" 第 "), pl.col("row").cast(pl.String),
                              pl.when(pl.col("row_kind") == "item").then(pl.lit(" 项")).otherwise(pl.lit(" 行"))])
    where_en = pl.concat_str([file, pl.lit(" "), pl.col("row_kind"), pl.lit(" "), pl.col("row").cast(pl.String)])
    value = visible_expr(pl.col("value").fill_null(""))
    shown = (pl.when(value.str.len_chars() > 120)
             .then(pl.concat_str([value.str.slice(0, 120), pl.lit("…（共 "), value.str.len_chars().cast(pl.String),
                                  pl.lit(" 字符 characters）")]))
             .otherwise(value))
    widened = pl.col("code") == "fullwidth_digits"
    read_as = (pl.when(widened).then(pl.col("value").fill_null("").str.replace_many(FULLWIDTH_DIGITS, ASCII_DIGITS))
               .when(pl.col("code") == "trimmed_id").then(pl.col("value").fill_null("").str.strip_chars()))
    serial = _excel_serial()
    long = long.with_columns(
        pl.when(read_as.is_not_null()).then(pl.concat_str([pl.col("zh"), pl.lit("（读作 "), read_as, pl.lit("）")]))
        .when(serial.is_not_null()).then(pl.concat_str([pl.col("zh"), pl.lit("（像是 Excel 日期序列号 "), pl.col("value"),
                                                        pl.lit(" = "), serial, pl.lit("：请把单元格设为日期格式，或直接填写 "),
                                                        serial, pl.lit("）")]))
        .otherwise(pl.col("zh")).alias("zh"),
        pl.when(read_as.is_not_null()).then(pl.concat_str([pl.col("en"), pl.lit(" (read as "), read_as, pl.lit(")")]))
        .when(serial.is_not_null()).then(pl.concat_str([pl.col("en"), pl.lit(" (it looks like an Excel date serial number: "),
                                                        pl.col("value"), pl.lit(" = "), serial,
                                                        pl.lit("; format the cell as a date, or type "), serial, pl.lit(")")]))
        .otherwise(pl.col("en")).alias("en"))
    return long.select(
        "severity", "record_type", visible_expr(pl.col("file")).alias("file"), "row", "row_kind",
        "field", value.alias("value"), pl.col("code").str.replace(r":.*$", ""),
        visible_expr(pl.concat_str([where_zh, pl.lit("，字段 "), pl.col("field"), pl.lit("（"), pl.col("label"),
                                    pl.lit("）值「"), shown, pl.lit("」："), pl.col("zh")])).alias("message_zh"),
        visible_expr(pl.concat_str([where_en, pl.lit(", field "), pl.col("field"), pl.lit(" ("), pl.col("label"),
                                    pl.lit("), value \""), shown, pl.lit("\": "), pl.col("en")])).alias("message_en"),
    )


# Excel counts days from 1899-12-30 (its 1900 is a leap year, so serials from 61 on, 1900-03-01):
# 73,415 is 2100-12-31, the last day a record may hold.
_SERIAL_FIRST, _SERIAL_LAST = 61, 73_415


def _excel_serial() -> pl.Expr:
    """For a date (datetime) the validator refused: the day (and time) it is as an Excel serial
    number, when it is one of a year 1900-2100 (39509 is 2008-03-02); null otherwise."""
    text = pl.col("value").fill_null("").str.strip_chars()
    whole = text.str.extract(r"^([0-9]{2,5})(?:\.0+)?$").cast(pl.Int64, strict=False)
    decimal = text.str.extract(r"^([0-9]{2,5}(?:\.[0-9]+)?)$").cast(pl.Float64, strict=False)
    days = pl.when(pl.col("code") == "date").then(whole.cast(pl.Float64)).when(pl.col("code") == "datetime").then(decimal)
    moment = pl.lit(dt.datetime(1899, 12, 30)) + pl.duration(milliseconds=(days * 86_400_000).round(0).cast(pl.Int64))
    shown = pl.when(pl.col("code") == "date").then(moment.dt.strftime("%Y-%m-%d")).otherwise(moment.dt.strftime("%Y-%m-%d %H:%M"))
    return pl.when(days.is_between(_SERIAL_FIRST, _SERIAL_LAST + 0.999_999)).then(shown)


def _file_problems(raw: RawSubmission) -> pl.DataFrame:
    rows = []
    for p in raw.file_problems:
        unit_zh = "项" if p["row_kind"] == "item" else "行"
        where = f"{p['file']} 第 {p['row']} {unit_zh}" if p["row"] is not None else p["file"]
        where_en = f"{p['file']} {p['row_kind']} {p['row']}" if p["row"] is not None else p["file"]
        value = shorten(visible(p["value"]))
        field_name = visible(p["field"])
        rows.append({"severity": p["severity"], "record_type": None, "file": visible(p["file"]), "row": p["row"],
                     "row_kind": p["row_kind"], "field": field_name, "value": visible(p["value"]), "code": p["code"],
                     "message_zh": visible(f"{where}，{('字段 ' + field_name + '，') if field_name else ''}值「{value}」：{p['expected_zh']}"),
                     "message_en": visible(f"{where_en}, {('field ' + field_name + ', ') if field_name else ''}value \"{value}\": {p['expected_en']}")})
    for name in raw.unknown_files:
        name = visible(name)
        rows.append({"severity": "warning", "record_type": None, "file": name, "row": None, "row_kind": "line",
                     "field": "", "value": name, "code": "unknown_file",
                     "message_zh": f"{name}：不是已知的记录类型，未读取（文件名应为记录类型名，如 elevators.csv）",
                     "message_en": f"{name}: not a known record type, not read (name files after the record type, e.g. elevators.csv)"})
    return pl.DataFrame(rows, schema=PROBLEM_SCHEMA)


# A field with a default whose column a file lacks is read as the default in every record, with a
# warning naming the file, the column and how many records took it; a blank cell likewise, counted
# (issue 25: dropping on_site hid 6 MAINT-INTERVAL breaches, without a word). For these two a
# missing column is an error, unless the submission declares it left out on purpose
# (declaration.py, omitted_columns): they decide who is judged and by which limit, so a default
# would judge a stopped or scrapped elevator as in service (+9 violations) or a dense old one of
# affordable housing by the 15-day limit instead of the 10-day one (-3). The others describe the
# record itself, and their default is what a record that says nothing means: a visit on site, a
# daily check that found nothing, a residential elevator (which only widens who is judged).
MISSING_IS_ERROR = {
    ("elevators", "status"): ("状态决定哪些电梯参与评判：停用、报废的电梯不能当作在用来评判",
                              "The status decides which elevators are judged: a stopped or scrapped one must not be "
                              "judged as in service"),
    ("elevators", "affordable_housing"): ("保障房决定高梯户比老旧电梯按哪个维保间隔上限评判（10 天而不是 15 天）",
                                          "Affordable housing decides which maintenance interval a dense old elevator "
                                          "is judged by (10 days, not 15)"),
}
MISSING_COLUMN = "missing_column"


def _default_shown(f: Field) -> tuple[str, str]:
    if f.kind == "boolean":
        return ("是" if f.default else "否"), ("true" if f.default else "false")
    return f.enum_labels.get(f.default, str(f.default)), str(f.default)


def _defaults(rt: RecordType, source: SourceFile, typed: pl.DataFrame, declaration) -> tuple[pl.DataFrame, list[dict]]:
    """Where one file's records take a field's default: its column missing, or its cell blank.

    Returns the frame (every record rejected for a missing column that must be there) and the
    problems, one per file and field."""
    out: list[dict] = []
    fields = [f for f in rt.fields if f.default is not None]
    if not fields or typed.height == 0:
        return typed, out
    declared = declaration.omitted.get(rt.name, frozenset())
    where = declaration.source or "submission.yaml"
    unit_zh = "项" if source.row_kind == "item" else "行"
    file = visible(source.display)
    rejected = []

    def said(severity: str, f: Field, code: str, value: str, zh: str, en: str) -> None:
        out.append({"severity": severity, "record_type": rt.name, "file": file, "row": None,
                    "row_kind": source.row_kind, "field": f.name, "value": value, "code": code,
                    "message_zh": f"{file}，字段 {f.name}（{f.label}）：{zh}", "message_en": f"{file}, field {f.name} ({f.label}): {en}"})

    for f in fields:
        zh_default, en_default = _default_shown(f)
        n = typed.height
        if source.columns is not None and f.name not in source.columns:
            if f.name in declared:
                said("warning", f, "declared_omitted", en_default,
                     f"按声明（{where}）有意不填这一列，全部 {n:,} 条记录按默认值「{zh_default}」读取",
                     f"left out as declared ({where}); all {n:,} records take the default {en_default}")
            elif (rt.name, f.name) in MISSING_IS_ERROR:
                why_zh, why_en = MISSING_IS_ERROR[(rt.name, f.name)]
                said("error", f, MISSING_COLUMN, "",
                     f"文件中没有这一列。{why_zh}，不能把全部 {n:,} 条记录默认为「{zh_default}」：请补上这一列；"
                     f"若确实有意不填，请在 submission.yaml 的 omitted_columns（工作簿：「说明」表的“有意不填的列”）中写明",
                     f"the file has no such column. {why_en}, so its {n:,} records are not taken as {en_default} by "
                     "default: add the column, or declare it left out on purpose (omitted_columns in submission.yaml; "
                     "in a workbook, the column 有意不填的列 of the sheet 说明)")
                rejected.append(f.name)
            else:
                said("warning", f, "default_column", en_default,
                     f"文件中没有这一列，全部 {n:,} 条记录按默认值「{zh_default}」读取",
                     f"the file has no such column; all {n:,} records take the default {en_default}")
            continue
        if f.name in declared:
            said("warning", f, "declared_but_present", en_default,
                 f"声明（{where}）中写明有意不填这一列，但文件中有这一列：按文件中的值读取",
                 f"declared left out ({where}), but the file has the column: its values are read")
        blank = typed.filter(pl.col("_raw_" + f.name).is_null() & pl.col(ERR_PREFIX + f.name).is_null()).get_column(ROW_COL)
        if len(blank):
            rows = "、".join(map(str, blank.head(10).to_list())) + ("…" if len(blank) > 10 else "")
            said("warning", f, "blank_default", en_default,
                 f"{len(blank):,} 条记录为空（第 {rows} {unit_zh}），按默认值「{zh_default}」读取",
                 f"blank in {len(blank):,} records ({source.row_kind} {rows.replace('、', ', ')}), read as the default "
                 f"{en_default}")
    if rejected:   # every record of the file is rejected; the one problem above says why
        typed = typed.with_columns([pl.coalesce(pl.col(ERR_PREFIX + n), pl.lit(MISSING_COLUMN)).alias(ERR_PREFIX + n)
                                    for n in rejected])
    return typed, out


def nothing_to_judge(submission: Submission, path) -> Submission:
    """The submission with one more error when it holds no elevator: `check` refuses it (exit 2),
    so `validate` must not call it valid (issue 26). The message is check's own."""
    import dataclasses

    from checker.pipeline import NothingToJudge

    refusal = NothingToJudge(submission, path)
    name = visible(getattr(path, "name", str(path)))
    row = pl.DataFrame([{"severity": "error", "record_type": "elevators", "file": name, "row": None, "row_kind": "line",
                         "field": "", "value": "", "code": "no_elevators", "message_zh": refusal.zh,
                         "message_en": refusal.en}], schema=PROBLEM_SCHEMA)
    return dataclasses.replace(submission, problems=pl.concat([submission.problems, row], how="vertical"))


# Types whose keys others refer to come first, so references can be checked against them.
_KEY_ORDER = ["organizations", "elevators", "assessments"]


def validate(raw: RawSubmission, skip_invalid: bool = False) -> Submission:
    """Type every record, find every problem, and keep what may be judged."""
    if raw.validated is not None:  # a Parquet dataset: validated by `liftcheck convert`
        return raw.validated
    types = record_types()
    typed: dict[str, pl.DataFrame] = {}
    row_kinds: dict[str, str] = {}
    canonical: dict[str, bool] = {}
    defaults: list[dict] = []
    for name, parts in raw.frames.items():
        rt = types[name]
        frames = []
        for source, frame in parts:
            row_kinds[source.display] = source.row_kind
            canonical[source.display] = source.canonical
            frame, found = _defaults(rt, source, _typed(rt, source, frame), raw.declaration)
            frames.append(frame)
            defaults += found
        typed[name] = pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]

    keys = {n: typed[n].get_column(types[n].unique).drop_nulls().unique()
            for n in _KEY_ORDER if n in typed}
    problems = [_file_problems(raw), pl.DataFrame(defaults, schema=PROBLEM_SCHEMA)]
    checked: dict[str, pl.DataFrame] = {}
    for name, df in typed.items():
        rt = types[name]
        df = _cross_row_checks(rt, df, keys)
        problems.append(_problems(rt, df, row_kinds, canonical))
        err_cols = [ERR_PREFIX + n for n in rt.field_names]
        checked[name] = df.with_columns(
            pl.all_horizontal([pl.col(c).is_null() for c in err_cols]).alias(VALID_COL)
        ).drop(err_cols + [prefix + n for n in rt.field_names for prefix in ("_raw_", CELL_PREFIX, WARN_PREFIX)])

    if skip_invalid:
        checked, cascade = _cascade(checked, row_kinds)
        problems.append(cascade)
    tables = {n: df.filter(pl.col(VALID_COL)).drop(VALID_COL) for n, df in checked.items()}
    problems.append(_stopped_without_record(tables, row_kinds))
    return Submission(
        tables=tables,
        present_types=set(raw.frames),
        history=history_starts(tables, raw.declaration.records_from),
        declared_from=dict(raw.declaration.records_from),
        problems=pl.concat(problems, how="vertical"),
        unknown_files=list(raw.unknown_files),
        record_counts={n: df.height for n, df in checked.items()},
        files={n: [source.display for source, _ in parts] for n, parts in raw.frames.items()},
        rejected_counts={n: checked[n].height - tables[n].height for n in checked},
        rejected_elevators=_rejected_elevators(checked),
    )


# The record types whose history the rules look back on (R3-7), and the date that places a record.
HISTORY_DATES = {"maintenance": "date", "daily_checks": "date", "weekly_reviews": "date", "monthly_dispatches": "date"}


def history_starts(tables: dict[str, pl.DataFrame], declared: dict[str, dt.date]) -> dict[str, dt.date]:
    """Per record type the rules look back on: the declared day, else the earliest record's."""
    out = {}
    for name, column in HISTORY_DATES.items():
        if name in declared:
            out[name] = declared[name]
        elif name in tables and tables[name].height:
            out[name] = tables[name].get_column(column).min()
    return out


def _rejected_elevators(checked: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per elevator and record type, how many of its records were rejected (ids that are
    themselves unreadable cannot be named and are left to the problem list)."""
    parts = [df.filter(~pl.col(VALID_COL) & pl.col("elevator_id").is_not_null())
             .group_by("elevator_id").agg(pl.len().cast(pl.Int64).alias("records"))
             .select("elevator_id", pl.lit(name).alias("record_type"), "records")
             for name, df in checked.items() if "elevator_id" in df.columns]
    if not parts:
        return pl.DataFrame(schema=REJECTED_ELEVATORS_SCHEMA)
    return pl.concat(parts, how="vertical").sort("elevator_id", "record_type")


def _stopped_without_record(tables: dict[str, pl.DataFrame], row_kinds: dict[str, str]) -> pl.DataFrame:
    """rules.md: a `stopped` status with no open stop record cannot be judged day by day: warn."""
    elevators = tables.get("elevators")
    if elevators is None:
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    stops = tables.get("stop_periods")
    open_ids = (stops.filter(pl.col("end").is_null()).get_column("elevator_id") if stops is not None
                else pl.Series([], dtype=pl.String))
    found = elevators.filter((pl.col("status") == "stopped") & ~pl.col("elevator_id").is_in(open_ids.implode()))
    if found.height == 0:
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    label = record_types()["elevators"].field("status").label
    return _with_messages(found.select(
        pl.lit("elevators").alias("record_type"), pl.col(FILE_COL).alias("file"), pl.col(ROW_COL).alias("row"),
        pl.col(FILE_COL).replace_strict(row_kinds, default="line").alias("row_kind"),
        pl.lit("status").alias("field"), pl.lit(label).alias("label"),
        # the value as the submission shows it: the id and its status in words (a workbook says 停用)
        pl.concat_str([pl.col("elevator_id"),
                       pl.lit(" " + record_types()["elevators"].field("status").enum_labels.get("stopped", "stopped"))])
        .alias("value"),
        pl.lit("stopped_without_record").alias("code"),
        pl.lit("状态为停用，但没有未结束的停用记录（恢复使用日期为空）：无法逐日判断，"
               "DAILY-CHECK、MAINT-INTERVAL(-DENSE)、INSPECTION-VALID、HAZARD-SERIOUS-STOP 对该电梯不作判断，列入报告的“未评判”").alias("zh"),
        pl.lit("status is stopped but there is no open stop record (empty end): it cannot be judged day by day; "
               "DAILY-CHECK, MAINT-INTERVAL(-DENSE), INSPECTION-VALID and HAZARD-SERIOUS-STOP do not judge it; "
               "listed as unjudged in the report").alias("en"),
    )).with_columns(pl.lit("warning").alias("severity"))


def _cascade(checked: dict[str, pl.DataFrame], row_kinds: dict[str, str]) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """With --skip-invalid: a record that refers to a rejected record is rejected too, and listed."""
    types = record_types()
    extra = []
    for target in _KEY_ORDER:
        if target not in checked:
            continue
        key = types[target].unique
        good = checked[target].filter(pl.col(VALID_COL)).get_column(key).unique()
        for name, df in checked.items():
            for f in types[name].fields:
                if f.ref != target:
                    continue
                orphan = pl.col(VALID_COL) & pl.col(f.name).is_not_null() & ~pl.col(f.name).is_in(good.implode())
                lost = df.filter(orphan)
                if lost.height:
                    exp_zh, exp_en = _expected(f, False)["rejected_reference"]
                    extra.append(_with_messages(lost.select(
                        pl.lit(name).alias("record_type"), pl.col(FILE_COL).alias("file"), pl.col(ROW_COL).alias("row"),
                        pl.col(FILE_COL).replace_strict(row_kinds, default="line").alias("row_kind"),
                        pl.lit(f.name).alias("field"), pl.lit(f.label).alias("label"), pl.col(f.name).alias("value"),
                        pl.lit("rejected_reference").alias("code"), pl.lit(exp_zh).alias("zh"), pl.lit(exp_en).alias("en"),
                    )))
                    checked[name] = df = df.with_columns(pl.when(orphan).then(False)
                                                         .otherwise(pl.col(VALID_COL)).alias(VALID_COL))
    frame = pl.concat(extra, how="vertical") if extra else pl.DataFrame(schema=PROBLEM_SCHEMA)
    return checked, frame
