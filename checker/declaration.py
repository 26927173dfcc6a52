"""The submission's declaration of the history it holds (records.md Revision 3, rules R3-7, R3-A 1).

A folder may hold `submission.yaml`; a workbook a sheet named 说明 with the columns 记录类型 and
起始日期. Both say, per record type, the first day from which the submission holds *every*
record of that type:

    records_from:
      maintenance: 2023-01-01
      daily_checks: 2024-01-01

A record type may be named in English or by its Chinese name; a day is written as a date
anywhere else in a submission (2023-01-01, 2023/1/1, 2023年1月1日). An unknown record type, a
day that is not a date, or an unknown key is an error naming the file, the row (or key) and
the value, never a silent default. The rules read the declaration through the history start
(facts.HistoryStarts); nothing here judges.

It may also say which columns a file leaves out on purpose (issue 25): a field with a default
(elevators' status, affordable_housing, residential; daily checks' result; maintenance's
on_site) whose column a file lacks is read as its default in every record, with a warning;
for status and affordable_housing, which decide who is judged and by which limit, a missing
column is an error unless it is declared here:

    omitted_columns:
      elevators: [status, affordable_housing]      # or their Chinese names: 状态、保障房

In the sheet 说明, the column 有意不填的列 of a record type's row (the day may then be left blank).
A field that is not one of that record type's fields with a default is an error, by name.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import yaml

from checker.contract import record_type_for_name, record_types

DECLARATION_FILE = "submission.yaml"
DECLARATION_SHEET = "说明"
# the two columns of the sheet, by their Chinese names or English ones
TYPE_HEADERS = ("记录类型", "record_type")
DAY_HEADERS = ("起始日期", "records_from")
OMITTED_HEADERS = ("有意不填的列", "omitted_columns")
OMITTED_KEY = "omitted_columns"
KEYS = ("records_from", OMITTED_KEY)
# a declaration is a few lines: anything larger is not one
MAX_BYTES = 64 * 1024
YEAR_MIN, YEAR_MAX = 1900, 2100
_DATE = re.compile(r"^([0-9]{4})(?:-|/|年)([0-9]{1,2})(?:-|/|月)([0-9]{1,2})日?(?:[ T]00:00(?::00(?:\.0+)?)?)?$")


@dataclass(frozen=True)
class DeclarationProblem:
    """One thing wrong with a declaration: where (row, or the key), the value seen, and why."""

    file: str
    row: int | None
    key: str
    value: str
    zh: str
    en: str


@dataclass
class Declaration:
    """record type -> the first day from which every record of it is held; and where it was said."""

    records_from: dict[str, dt.date] = field(default_factory=dict)
    source: str | None = None
    # record type -> the fields (with a default) its files leave out on purpose
    omitted: dict[str, frozenset[str]] = field(default_factory=dict)


def _day(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value if YEAR_MIN <= value.year <= YEAR_MAX else None
    if not isinstance(value, str):
        return None
    m = _DATE.match(value.strip())
    if not m:
        return None
    try:
        day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    return day if YEAR_MIN <= day.year <= YEAR_MAX else None


def _shown(value: object) -> str:
    from checker.text import visible

    text = "" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)
    return visible(text[:120])


def _record_type(problems: list[DeclarationProblem], file: str, row: int | None, type_name: object):
    """The record type a declaration names (by name or Chinese label), or None with the problem said."""
    key = "" if type_name is None else str(type_name).strip()
    rt = record_type_for_name(key) if key else None
    if rt is None:
        known = "、".join(f"{t.name}（{t.label}）" for t in record_types().values())
        problems.append(DeclarationProblem(
            file, row, key, _shown(type_name), f"记录类型「{_shown(type_name)}」不存在；应为：{known}",
            f"no record type {_shown(type_name)!r}; expected one of: {', '.join(record_types())}"))
    return rt


def _entry(decl: Declaration, problems: list[DeclarationProblem], file: str, row: int | None, type_name: object,
           day_value: object) -> None:
    """One (record type, day) pair of either form, checked."""
    rt = _record_type(problems, file, row, type_name)
    if rt is None:
        return
    day = _day(day_value)
    if day is None:
        problems.append(DeclarationProblem(
            file, row, rt.name, _shown(day_value),
            f"{rt.label}（{rt.name}）的起始日期「{_shown(day_value)}」不是日期（应为 YYYY-MM-DD，年份 {YEAR_MIN}–{YEAR_MAX}）",
            f"records_from of {rt.name}: {_shown(day_value)!r} is not a date (expected YYYY-MM-DD, "
            f"a year {YEAR_MIN}-{YEAR_MAX})"))
        return
    if rt.name in decl.records_from:
        problems.append(DeclarationProblem(
            file, row, rt.name, _shown(day_value), f"{rt.label}（{rt.name}）的起始日期声明了两次",
            f"records_from of {rt.name} is declared twice"))
        return
    decl.records_from[rt.name] = day


def _names(value: object) -> list[object]:
    """The fields of an omitted_columns entry: a list, or one text with ; 、 , between them."""
    if isinstance(value, list):
        return value
    if value is None:
        return []
    return [part for part in re.split(r"[;；、,，]", str(value)) if part.strip()]


def _omitted(decl: Declaration, problems: list[DeclarationProblem], file: str, row: int | None, type_name: object,
             value: object) -> None:
    """One record type's columns left out on purpose, checked: each a field of that type with a default."""
    rt = _record_type(problems, file, row, type_name)
    if rt is None:
        return
    if not isinstance(value, (list, str)) and value is not None:
        problems.append(DeclarationProblem(file, row, rt.name, _shown(value),
                                           f"{OMITTED_KEY} 中{rt.label}（{rt.name}）应为字段名的列表",
                                           f"{OMITTED_KEY} of {rt.name} must be a list of field names"))
        return
    defaults = [f for f in rt.fields if f.default is not None]
    allowed_zh = "、".join(f"{f.name}（{f.label}）" for f in defaults) or "（没有，这类记录没有带默认值的字段）"
    allowed_en = ", ".join(f.name for f in defaults) or "(none: no field of this record type has a default)"
    by_header = rt.headers()
    fields = set()
    for item in _names(value):
        name = by_header.get(str(item).strip()) if isinstance(item, str) else None
        if name is None or rt.field(name).default is None:
            what_zh = "没有默认值，不能声明为有意不填" if name is not None else "不是这类记录的字段"
            what_en = "has no default and cannot be left out" if name is not None else "is no field of this record type"
            problems.append(DeclarationProblem(
                file, row, rt.name, _shown(item),
                f"{OMITTED_KEY}：{rt.label}（{rt.name}）的「{_shown(item)}」{what_zh}；可以声明的字段：{allowed_zh}",
                f"{OMITTED_KEY}: {_shown(item)!r} of {rt.name} {what_en}; fields that may be left out: {allowed_en}"))
            continue
        fields.add(name)
    if rt.name in decl.omitted:
        problems.append(DeclarationProblem(file, row, rt.name, _shown(value),
                                           f"{rt.label}（{rt.name}）的有意不填的列声明了两次",
                                           f"{OMITTED_KEY} of {rt.name} is declared twice"))
        return
    if fields:
        decl.omitted[rt.name] = frozenset(fields)


def from_yaml(data: bytes, file: str) -> tuple[Declaration, list[DeclarationProblem]]:
    """`submission.yaml` of a folder."""
    decl, problems = Declaration(source=file), []

    def refuse(zh: str, en: str, key: str = "", value: str = "") -> tuple[Declaration, list[DeclarationProblem]]:
        return Declaration(source=file), [DeclarationProblem(file, None, key, value, zh, en)]

    if len(data) > MAX_BYTES:
        return refuse(f"文件过大（{len(data):,} 字节，声明文件最多 {MAX_BYTES:,} 字节）",
                      f"too large ({len(data):,} bytes; a declaration holds at most {MAX_BYTES:,})")
    try:
        text = data.decode("utf-8-sig")
        # every scalar as the text written (a day such as 2023-02-30 is then refused here, by
        # name, not by YAML's own date reader)
        body = yaml.load(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
    except UnicodeDecodeError:
        return refuse("不是 UTF-8 编码的文本", "not UTF-8 text")
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f"（第 {where.line + 1} 行）" if where is not None else ""
        return refuse(f"不是有效的 YAML{line}：{getattr(exc, 'problem', None) or exc}",
                      f"not valid YAML{f' (line {where.line + 1})' if where is not None else ''}: "
                      f"{getattr(exc, 'problem', None) or exc}")
    if body is None:
        return decl, problems
    if not isinstance(body, dict):
        return refuse("应为映射，如 records_from: {maintenance: 2023-01-01}",
                      "must be a mapping, such as records_from: {maintenance: 2023-01-01}")
    for key, value in body.items():
        if key not in KEYS:
            problems.append(DeclarationProblem(file, None, str(key), _shown(key),
                                               f"不认识的键「{_shown(key)}」；可用：{'、'.join(KEYS)}",
                                               f"unknown key {_shown(key)!r}; known: {', '.join(KEYS)}"))
            continue
        if value is None:
            continue
        if key == OMITTED_KEY:
            if not isinstance(value, dict):
                problems.append(DeclarationProblem(file, None, OMITTED_KEY, _shown(value),
                                                   f"{OMITTED_KEY} 应为“记录类型: [字段, …]”的映射",
                                                   f"{OMITTED_KEY} must map record types to lists of fields"))
                continue
            for type_name, fields in value.items():
                _omitted(decl, problems, file, None, type_name, fields)
            continue
        if not isinstance(value, dict):
            problems.append(DeclarationProblem(file, None, "records_from", _shown(value),
                                               "records_from 应为“记录类型: 起始日期”的映射",
                                               "records_from must map record types to days"))
            continue
        for type_name, day in value.items():
            _entry(decl, problems, file, None, type_name, day)
    return decl, problems


def from_sheet(rows: list[tuple], file: str, headers_found: bool) -> tuple[Declaration, list[DeclarationProblem]]:
    """The sheet 说明 of a workbook: (sheet row, 记录类型, 起始日期[, 有意不填的列]) for each row with
    anything in it. A row that names columns left out may leave its day blank."""
    decl, problems = Declaration(source=file), []
    if not headers_found:
        problems.append(DeclarationProblem(
            file, 1, "", "", f"声明工作表应有两列：{TYPE_HEADERS[0]}、{DAY_HEADERS[0]}",
            f"the declaration sheet needs two columns: {TYPE_HEADERS[0]} ({TYPE_HEADERS[1]}), "
            f"{DAY_HEADERS[0]} ({DAY_HEADERS[1]})"))
        return decl, problems
    for row, type_name, day, *rest in rows:
        omitted = rest[0] if rest else None
        if omitted is not None and str(omitted).strip():
            _omitted(decl, problems, file, row, type_name, str(omitted))
            if day is None or not str(day).strip():
                continue
        _entry(decl, problems, file, row, type_name, day)
    return decl, problems
