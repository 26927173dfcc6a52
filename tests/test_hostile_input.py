"""Careless and hostile input, from every format that can carry it (records.md, "Never silent").

Each case writes the small judged submission of tests/hostile.py with one thing wrong, runs
`liftcheck check`, and asserts: exit 2 (or, for full-width digits, a warning), the place in
the message (file, row, field; a sheet cell), no internal error, no traceback, no raw
control character on the terminal. Where a single record is wrong, `check --skip-invalid`
must judge exactly what the same submission without that record is judged to be: the bad
cell changed nothing else, and was never read as some other value.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import stat
import struct
import subprocess
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from hostile import BASE, check, columns, judged, messages, run, tables, verdicts, where, write
from checker.errors import LiftcheckError
from checker.load import load_submission

# ---- edits of the typed tables -----------------------------------------------------------------


def cell(record_type: str, index: int, name: str, value):
    def edit(t):
        t[record_type][index][name] = value
    return edit


def drop(record_type: str, index: int):
    def edit(t):
        del t[record_type][index]
    return edit


def without_elevator(elevator_id: str):
    """The elevator and every record about it: what --skip-invalid's cascade leaves out."""
    def edit(t):
        for name, rows in t.items():
            t[name] = [r for r in rows if r.get("elevator_id") != elevator_id]
    return edit


def empty(record_type: str):
    def edit(t):
        t[record_type] = []
    return edit


def nothing(t):
    pass


# ---- edits of the written files ----------------------------------------------------------------


def replace_bytes(filename: str, old: bytes, new: bytes, count: int = 1):
    def raw(path: Path):
        target = path / filename
        data = target.read_bytes()
        assert old in data, (filename, old)
        target.write_bytes(data.replace(old, new, count))
    return raw


def append_line(filename: str, line: bytes):
    def raw(path: Path):
        with open(path / filename, "ab") as fh:
            fh.write(line)
    return raw


def rename_all(suffix: str):
    def raw(path: Path):
        for f in list(path.iterdir()):
            f.rename(f.with_suffix(suffix))
    return raw


def reencode_line(filename: str, index: int, encoding: str):
    """Line `index` (0-based) of a UTF-8 file re-encoded: one clerk's GB18030 row in a UTF-8 file."""
    def raw(path: Path):
        lines = (path / filename).read_bytes().split(b"\n")
        lines[index] = lines[index].decode("utf-8").encode(encoding)
        (path / filename).write_bytes(b"\n".join(lines))
    return raw


def quote_at_line_ends(filename: str, indexes: list[int]):
    """A stray quote at the end of lines `indexes` (0-based)."""
    def raw(path: Path):
        lines = (path / filename).read_bytes().split(b"\n")
        for i in indexes:
            lines[i] = lines[i].removesuffix(b"\r") + b'"' + (b"\r" if lines[i].endswith(b"\r") else b"")
        (path / filename).write_bytes(b"\n".join(lines))
    return raw


def whole_file(filename: str, transform: Callable[[bytes], bytes]):
    def raw(path: Path):
        (path / filename).write_bytes(transform((path / filename).read_bytes()))
    return raw


def _openpyxl_edit(change: Callable):
    def raw(path: Path):
        import openpyxl

        wb = openpyxl.load_workbook(path)
        change(wb)
        wb.save(path)
    return raw


def formula(sheet: str, ref: str, text: str):
    """A formula cell as openpyxl writes it: no saved value (Excel never calculated it)."""
    def change(wb):
        wb[sheet][ref] = text
    return _openpyxl_edit(change)


def error_value(sheet: str, ref: str, text: str):
    def change(wb):
        wb[sheet][ref].value = text
        wb[sheet][ref].data_type = "e"
    return _openpyxl_edit(change)


def zip_rewrite(transform: Callable[[str, bytes], bytes]):
    def raw(path: Path):
        with zipfile.ZipFile(path) as z:
            parts = [(i, z.read(i.filename)) for i in z.infolist()]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for info, data in parts:
                z.writestr(info.filename, transform(info.filename, data))
    return raw


def part_twice(part: str):
    """A second copy of `part` appended to the zip (Python warns, calamine reads one of them)."""
    def raw(path: Path):
        import warnings

        with zipfile.ZipFile(path) as z:
            data = z.read(part)
        with warnings.catch_warnings(), zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
            warnings.simplefilter("ignore")   # "Duplicate name": the point of the case
            z.writestr(part, data)
    return raw


def move_sheet_part_with_far_cell(path: Path):
    """Sheet 1 kept outside xl/worksheets/ (the workbook's relationships say where), with a cell
    at XFD1048576: calamine follows the relationships, so the guard must too."""
    with zipfile.ZipFile(path) as z:
        parts = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            if name == "xl/worksheets/sheet1.xml":
                name, data = "xl/elsewhere/sheet1.xml", re.sub(rb' r="B2"', b' r="XFD1048576"', data, count=1)
            elif name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"worksheets/sheet1.xml", b"elsewhere/sheet1.xml")
            z.writestr(name, data)


def patch_central_directory(part: str, size: int):
    """Make the zip directory claim `size` bytes for one part (what a bomb or a liar says)."""
    def raw(path: Path):
        data = bytearray(path.read_bytes())
        name = part.encode()
        i = data.find(b"PK\x01\x02")
        while i >= 0:
            n = struct.unpack("<H", data[i + 28:i + 30])[0]
            if data[i + 46:i + 46 + n] == name:
                data[i + 24:i + 28] = struct.pack("<I", size)
            i = data.find(b"PK\x01\x02", i + 4)
        path.write_bytes(bytes(data))
    return raw


def bomb(path: Path):
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/padding.bin", b"\0" * (120 << 20))


def header_moved_down(sheet: str, rows: int):
    def change(wb):
        wb[sheet].insert_rows(1, rows)
    return _openpyxl_edit(change)


def blank_row(sheet: str, before: int):
    def change(wb):
        wb[sheet].insert_rows(before, 1)
    return _openpyxl_edit(change)


def hide_sheet(name: str):
    def change(wb):
        wb[name].sheet_state = "hidden"
    return _openpyxl_edit(change)


def row_of_formulas(sheet: str, row: int, width: int):
    def change(wb):
        for col in range(1, width + 1):
            wb[sheet].cell(row=row, column=col).value = "=A1"
    return _openpyxl_edit(change)


# ---- the cases ---------------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    fmt: str
    expect: list[str]                      # each must appear in a message
    edit: Callable = nothing               # on the typed tables, before writing
    raw: Callable | None = None            # on the written files
    outcome: str = "refused"               # refused (exit 2) · warned (judged, with a warning) · read (judged as same_as)
    same_as: Callable | None = None        # the clean submission it must be judged like (--skip-invalid when refused)
    args: list[str] = field(default_factory=list)


def loc(fmt: str, record_type: str, index: int, name: str) -> str:
    return f"{where(fmt, record_type, index)}, field {name}"


def col(record_type: str, name: str) -> str:
    index = columns(BASE, record_type).index(name)
    return chr(ord("A") + index)


CASES: list[Case] = []


def case(*args, **kwargs):
    CASES.append(Case(*args, **kwargs))


# digits: full-width read (and said), any other non-ASCII digit refused, never null
for fmt in ("csv", "xlsx"):
    case(f"fullwidth-households-{fmt}", fmt, [loc(fmt, "elevators", 0, "households_served"), "read as 97"],
         edit=cell("elevators", 0, "households_served", "９７"), outcome="warned", same_as=nothing)
for fmt in ("jsonl", "json"):
    case(f"fullwidth-date-{fmt}", fmt, [loc(fmt, "maintenance", 1, "date"), "read as 2024-01-15"],
         edit=cell("maintenance", 1, "date", "２０２４-０１-１５"), outcome="warned", same_as=nothing)
case("fullwidth-rescue-code-csv", "csv", [loc("csv", "elevators", 1, "rescue_code"), "read as 123456"],
     edit=cell("elevators", 1, "rescue_code", "１２３４５６"), outcome="warned",
     same_as=cell("elevators", 1, "rescue_code", "123456"))
for fmt in ("csv", "jsonl", "json", "xlsx"):
    case(f"arabic-indic-date-{fmt}", fmt, [loc(fmt, "maintenance", 1, "date"), "digits other than 0-9"],
         edit=cell("maintenance", 1, "date", "2024-01-١٥"), same_as=drop("maintenance", 1))
case("arabic-indic-households-xlsx", "xlsx", [loc("xlsx", "elevators", 0, "households_served"), "digits other than 0-9"],
     edit=cell("elevators", 0, "households_served", "٩٧"), same_as=without_elevator("E1"))
case("devanagari-households-csv", "csv", [loc("csv", "elevators", 0, "households_served"), "digits other than 0-9"],
     edit=cell("elevators", 0, "households_served", "९७"), same_as=without_elevator("E1"))
case("thai-digits-datetime-csv", "csv", [loc("csv", "entrapments", 0, "reported_at"), "digits other than 0-9"],
     edit=cell("entrapments", 0, "reported_at", "๒๐๒๔-02-01T10:00:00"), same_as=drop("entrapments", 0))

# numbers: NaN, Infinity, out of range
for value, what in (("NaN", "expected a number"), ("inf", "expected a number"), ("Infinity", "expected a number"),
                    ("1e999", "out of range"), ("-1e999", "out of range")):
    case(f"number-{value}-csv", "csv", [loc("csv", "fund_applications", 0, "amount"), what],
         edit=cell("fund_applications", 0, "amount", value), same_as=drop("fund_applications", 0))
case("nan-literal-jsonl", "jsonl", ["fund_applications.jsonl line 1", "NaN is not accepted"],
     raw=replace_bytes("fund_applications.jsonl", b"12000.5", b"NaN"), same_as=drop("fund_applications", 0))
case("infinity-literal-json", "json", ["fund_applications.json item 0", "Infinity is not accepted", "(line 2)"],
     raw=replace_bytes("fund_applications.json", b"12000.5", b"-Infinity"), same_as=drop("fund_applications", 0))
case("1e999-json", "json", ["fund_applications.json item 0", "the number 1e999 is out of range"],
     raw=replace_bytes("fund_applications.json", b"12000.5", b"1e999"), same_as=drop("fund_applications", 0))
case("int64-overflow-csv", "csv", [loc("csv", "elevators", 0, "households_served"), "out of range"],
     edit=cell("elevators", 0, "households_served", "99999999999999999999"), same_as=without_elevator("E1"))
case("int64-overflow-json", "json", [loc("json", "elevators", 0, "households_served"), "out of range"],
     edit=cell("elevators", 0, "households_served", 2 ** 70), same_as=without_elevator("E1"))
for fmt in ("jsonl", "json"):
    case(f"5000-digit-integer-{fmt}", fmt, [f"elevators.{fmt}", "a number too long (5,000 characters"],
         raw=replace_bytes(f"elevators.{fmt}", b'"households_served": 97', b'"households_served": ' + b"7" * 5000),
         same_as=without_elevator("E1"))
case("5000-digit-integer-csv", "csv", [loc("csv", "elevators", 0, "households_served"), "out of range", "characters"],
     edit=cell("elevators", 0, "households_served", "7" * 5000), same_as=without_elevator("E1"))
case("exponent-integer-csv", "csv", [loc("csv", "elevators", 0, "households_served"), "expected a whole number"],
     edit=cell("elevators", 0, "households_served", "1e2"), same_as=without_elevator("E1"))

# dates: a year outside 1900-2100, with the field named
for fmt, value in (("csv", "0000-01-15"), ("jsonl", "1899-12-31"), ("json", "2101-01-01"), ("xlsx", "9999-01-15")):
    case(f"year-{value[:4]}-{fmt}", fmt, [loc(fmt, "maintenance", 1, "date"), "the year is outside 1900–2100"],
         edit=cell("maintenance", 1, "date", value), same_as=drop("maintenance", 1))
case("year-0000-commissioned-csv", "csv", [loc("csv", "elevators", 0, "commissioned_on"), "outside 1900–2100"],
     edit=cell("elevators", 0, "commissioned_on", "0000-01-01"), same_as=without_elevator("E1"))
case("year-0001-datetime-csv", "csv", [loc("csv", "entrapments", 0, "reported_at"), "outside 1900–2100"],
     edit=cell("entrapments", 0, "reported_at", "0001-02-01T10:00:00"), same_as=drop("entrapments", 0))
case("year-2101-datetime-jsonl", "jsonl", [loc("jsonl", "entrapments", 0, "released_at"), "outside 1900–2100"],
     edit=cell("entrapments", 0, "released_at", "2101-02-01T10:40:00"), same_as=drop("entrapments", 0))

# text: control characters in any field; a tab only in notes
for fmt in ("csv", "jsonl", "json", "xlsx"):
    case(f"escape-sequence-{fmt}", fmt, [loc(fmt, "daily_checks", 2, "inspector"), "\\x1b[2J", "control characters"],
         edit=cell("daily_checks", 2, "inspector", "王\x1b[2J伟"), same_as=drop("daily_checks", 2))
for name, char, shown in (("nul", "\x00", "\\x00"), ("del", "\x7f", "\\x7f"), ("c1-csi", "\x9b", "\\x9b"),
                          ("bell", "\x07", "\\x07"), ("tab-in-name", "\t", "\\t")):
    case(f"control-{name}-csv", "csv", [loc("csv", "daily_checks", 2, "inspector"), shown],
         edit=cell("daily_checks", 2, "inspector", f"王{char}伟"), same_as=drop("daily_checks", 2))
case("bidi-override-community-csv", "csv", [loc("csv", "elevators", 1, "community"), "\\u202e"],
     edit=cell("elevators", 1, "community", "梅园\u202e村新"), same_as=without_elevator("E2"))
case("newline-in-id-csv", "csv", [loc("csv", "hazards", 0, "hazard_id"), "H1\\nH2"],
     edit=cell("hazards", 0, "hazard_id", "H1\nH2"), same_as=empty("hazards"))
case("newline-in-id-xlsx", "xlsx", [loc("xlsx", "hazards", 0, "hazard_id"), "H1\\nH2"],
     edit=cell("hazards", 0, "hazard_id", "H1\nH2"), same_as=empty("hazards"))
case("newline-in-note-csv", "csv", [loc("csv", "daily_checks", 3, "note"), "a note may hold tabs only"],
     edit=cell("daily_checks", 3, "note", "正常\r\n复查"), same_as=drop("daily_checks", 3))
case("tab-in-note-is-read-csv", "csv", [], edit=cell("daily_checks", 3, "note", "正常\t复查"), outcome="read",
     same_as=nothing)
case("escape-in-org-name-json", "json", [loc("json", "organizations", 0, "name"), "\\x1b]0;pwned\\x07"],
     edit=cell("organizations", 0, "name", "甲物业\x1b]0;pwned\x07"))
case("escape-sequence-header-csv", "csv", ["daily_checks.csv line 1, field \\x1b[2J", "the header holds control characters"],
     raw=replace_bytes("daily_checks.csv", b"note", b"\x1b[2J"), same_as=nothing)
case("damaged-note-header-csv", "csv", ["daily_checks.csv line 1, field not\\x1bes", "looks like a damaged note",
                                        "daily_checks.csv line 2, field note"],
     raw=replace_bytes("daily_checks.csv", b"note", b"not\x1bes"),
     same_as=lambda t: t.__setitem__("daily_checks", [r for r in t["daily_checks"] if "note" not in r]))
# found by the corruption property: a damaged header dropped a field with only a warning
case("nul-in-header-csv", "csv", ["elevators.csv line 1, field households_\\x00erved",
                                  "looks like a damaged households_served", "field households_served", "not taken"],
     raw=replace_bytes("elevators.csv", b"households_served", b"households_\x00erved"))
case("near-miss-header-csv", "csv", ["elevators.csv line 1, field households_srved",
                                     "looks like a damaged households_served"],
     raw=replace_bytes("elevators.csv", b"households_served", b"households_srved"))
case("near-miss-chinese-header-xlsx", "xlsx", ["book.xlsx[elevators] row 1, field 服务户数（梯户", "row 2, field households_served",
                                               "looks like a damaged households_served"],
     raw=_openpyxl_edit(lambda wb: wb["elevators"].cell(row=1, column=columns(BASE, "elevators").index("households_served") + 1)
                        .__setattr__("value", "服务户数（梯户")))
# a quoted line break keeps every later line number true
case("quoted-crlf-shifts-no-line-number-csv", "csv", ["daily_checks.csv line 9, field inspector", "\\x1b"],
     edit=lambda t: (cell("daily_checks", 3, "note", "正常\r\n复查")(t), cell("daily_checks", 6, "inspector", "王\x1b伟")(t)),
     same_as=lambda t: (drop("daily_checks", 6)(t), drop("daily_checks", 3)(t)))

# JSON: duplicate keys, depth, surrogates, encoding, suffixes, shape
case("duplicate-key-jsonl", "jsonl", [loc("jsonl", "hazards", 0, "severity"), "the key appears twice",
                                      '"serious" / "general"'],
     raw=replace_bytes("hazards.jsonl", b'"severity": "serious"', b'"severity": "serious", "severity": "general"'),
     same_as=empty("hazards"))
case("duplicate-key-json", "json", [loc("json", "hazards", 0, "severity"), "the key appears twice"],
     raw=replace_bytes("hazards.json", b'"severity": "serious"', b'"severity": "serious", "severity": "general"'),
     same_as=empty("hazards"))
case("nesting-10000-jsonl", "jsonl", ["daily_checks.jsonl line 52", "nested deeper than 20 levels"],
     raw=append_line("daily_checks.jsonl", b"[" * 10_000 + b"]" * 10_000 + b"\n"), same_as=nothing)
case("nesting-10000-json", "json", ["daily_checks.json: line 6: JSON nested deeper than 20 levels"],
     raw=replace_bytes("daily_checks.json", b'"note": "\xe6\xad\xa3\xe5\xb8\xb8"',
                       b'"note": ' + b"[" * 10_000 + b"]" * 10_000))
case("nesting-in-strings-is-text-json", "json", [], edit=cell("daily_checks", 0, "note", "[" * 5000),
     outcome="read", same_as=nothing)
case("lone-surrogate-jsonl", "jsonl", ["daily_checks.jsonl line 3", "lone surrogate"],
     raw=replace_bytes("daily_checks.jsonl", '"王伟"'.encode(), b'"\\udc80"', count=3),
     same_as=lambda t: t.__setitem__("daily_checks", t["daily_checks"][3:]))
case("lone-surrogate-json", "json", ["daily_checks.json item 0", "lone surrogate", "(line 2)"],
     raw=replace_bytes("daily_checks.json", '"王伟"'.encode(), b'"\\ud800x"'), same_as=drop("daily_checks", 0))
case("not-utf8-jsonl", "jsonl", ["daily_checks.jsonl: line 3 (byte", "a JSON file must be UTF-8"],
     raw=reencode_line("daily_checks.jsonl", 2, "gb18030"))
case("utf16-json", "json", ["daily_checks.json: a JSON file must be UTF-8 (this is UTF-16)"],
     raw=whole_file("daily_checks.json", lambda b: b.decode("utf-8").encode("utf-16")))
case("upper-case-JSONL", "jsonl", [], raw=rename_all(".JSONL"), outcome="read", same_as=nothing)
case("upper-case-JSON", "json", [], raw=rename_all(".JSON"), outcome="read", same_as=nothing)
case("upper-case-CSV", "csv", [], raw=rename_all(".CSV"), outcome="read", same_as=nothing)
case("json-object-not-array", "json", ["hazards.json: expected a JSON array"],
     raw=whole_file("hazards.json", lambda b: b.strip()[1:-1]))
case("json-trailing-garbage", "json", ["hazards.json: extra data after the array"],
     raw=whole_file("hazards.json", lambda b: b + b"\n]]"))
case("json-unterminated-array", "json", ["hazards.json: the JSON array never ends (no closing ])"],
     raw=whole_file("hazards.json", lambda b: b.rstrip()[:-1]))

# spreadsheets: formulas without a saved value, error values, zip bombs, odd sheets
case("formula-households-xlsx", "xlsx",
     [f"book.xlsx[elevators]!{col('elevators', 'households_served')}2 row 2, field households_served", "=9*11",
      "a formula without a saved value"],
     raw=formula("elevators", f"{col('elevators', 'households_served')}2", "=9*11"), same_as=without_elevator("E1"))
case("formula-date-xlsx", "xlsx", ["book.xlsx[maintenance]!B3 row 3, field date", "=TODAY()"],
     raw=formula("maintenance", "B3", "=TODAY()"), same_as=drop("maintenance", 1))
case("error-value-xlsx", "xlsx",
     [f"book.xlsx[elevators]!{col('elevators', 'households_served')}2 row 2, field households_served", "#N/A",
      "an error value"],
     raw=error_value("elevators", f"{col('elevators', 'households_served')}2", "#N/A"), same_as=without_elevator("E1"))
case("formula-in-header-xlsx", "xlsx", ["book.xlsx[daily_checks]!C1 row 1", "a formula without a saved value"],
     raw=formula("daily_checks", "C1", '="inspector"'))
case("row-of-formulas-xlsx", "xlsx", ["book.xlsx[daily_checks]!A5 row 5, field elevator_id"],
     raw=row_of_formulas("daily_checks", 5, 4), same_as=drop("daily_checks", 3))
case("header-on-row-3-xlsx", "xlsx", ["book.xlsx[daily_checks] row 5, field inspector", "\\x1b"],
     edit=cell("daily_checks", 1, "inspector", "王\x1b伟"), raw=header_moved_down("daily_checks", 2),
     same_as=drop("daily_checks", 1))
case("blank-row-keeps-numbers-xlsx", "xlsx", ["book.xlsx[daily_checks] row 6, field inspector"],
     edit=cell("daily_checks", 3, "inspector", "王\x1b伟"), raw=blank_row("daily_checks", 4),
     same_as=drop("daily_checks", 3))
case("zip-bomb-ratio-xlsx", "xlsx", ["book.xlsx: workbook part xl/media/padding.bin inflates", "over the limit",
                                     "at most 512 MiB, no part more than 100:1"], raw=bomb)
case("claims-3-gib-xlsx", "xlsx", ["book.xlsx: the workbook would unpack to 3,072 MiB, over the limit"],
     raw=patch_central_directory("xl/worksheets/sheet1.xml", 3 << 30))
case("lies-about-size-xlsx", "xlsx", ["book.xlsx: cannot read the Excel workbook (damaged or not .xlsx)", "CRC"],
     raw=patch_central_directory("xl/worksheets/sheet1.xml", 10))
case("billion-laughs-xlsx", "xlsx", ["book.xlsx: cannot read the Excel workbook", "DTD"],
     raw=zip_rewrite(lambda name, data: data.replace(b"<worksheet", b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
                                                      b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><worksheet', 1)
                     if name == "xl/worksheets/sheet3.xml" else data))
case("not-a-zip-xlsx", "xlsx", ["book.xlsx: cannot read the Excel workbook (damaged or not .xlsx)"],
     raw=lambda p: p.write_bytes(b"elevator_id,district\nE1,x\n"))
case("truncated-xlsx", "xlsx", ["book.xlsx: cannot read the Excel workbook (damaged or not .xlsx)"],
     raw=lambda p: p.write_bytes(p.read_bytes()[:3000]))
case("path-traversal-sheet-name-xlsx", "xlsx", ["the submission has no elevators", "book.xlsx[../../elevators]"],
     raw=zip_rewrite(lambda name, data: data.replace(b'name="elevators"', b'name="../../elevators"')
                     if name == "xl/workbook.xml" else data))
# calamine holds a sheet as one dense rectangle up to its last cell: a far or mangled reference
# would ask for tens of GB and abort the process (found by the fuzzer), so it is refused first
case("mangled-cell-reference-xlsx", "xlsx",
     ["book.xlsx: cannot read the Excel workbook (damaged or not .xlsx): xl/worksheets/sheet",
      'a cell position that is not a reference such as C5: r="Eresidential2"'],
     raw=zip_rewrite(lambda name, data: re.sub(rb' r="B2"', b' r="Eresidential2"', data, count=1)
                     if name.startswith("xl/worksheets/") else data))
case("far-cell-reference-xlsx", "xlsx",
     ["spans 1,048,576 rows × 16,384 columns, over the limit of 8,388,608 cells; not read"],
     raw=zip_rewrite(lambda name, data: re.sub(rb' r="B2"', b' r="XFD1048576"', data, count=1)
                     if name.startswith("xl/worksheets/") else data))
case("a-part-twice-xlsx", "xlsx",
     ["cannot read the Excel workbook (damaged or not .xlsx): the part xl/worksheets/sheet1.xml appears more than once"],
     raw=part_twice("xl/worksheets/sheet1.xml"))
case("far-cell-reference-unspaced-xlsx", "xlsx",
     ["spans 1,048,576 rows × 16,384 columns, over the limit of 8,388,608 cells; not read"],
     raw=zip_rewrite(lambda name, data: data.replace(b'<c r="B2"', b'<c s="0"r="XFD1048576"', 1)
                     if name.startswith("xl/worksheets/") else data))
case("far-cell-in-a-sheet-kept-elsewhere-xlsx", "xlsx",
     ["xl/elsewhere/sheet1.xml spans 1,048,576 rows × 16,384 columns"], raw=move_sheet_part_with_far_cell)
case("hidden-sheet-is-read-and-said-xlsx", "xlsx", ["book.xlsx[hazards]", "a hidden sheet; its records were read"],
     raw=hide_sheet("hazards"), outcome="read", same_as=nothing)

# CSV: the clerk's accidents
case("bom-in-the-middle-csv", "csv", ["daily_checks.csv line 53, field date", '"date"'],
     raw=lambda p: (p / "daily_checks.csv").write_bytes(
         b"\xef\xbb\xbf" + (p / "daily_checks.csv").read_bytes() + b"\xef\xbb\xbfelevator_id,date,inspector,note\r\n"),
     same_as=nothing)
case("header-only-csv", "csv", [], raw=whole_file("daily_checks.csv", lambda b: b.split(b"\n")[0] + b"\n"),
     outcome="read", same_as=empty("daily_checks"))
case("megabyte-value-csv", "csv", [loc("csv", "maintenance", 1, "date"), "（共 2000000 字符 characters）"],
     edit=cell("maintenance", 1, "date", "2" * 2_000_000), same_as=drop("maintenance", 1))
# a quote opened in the header and closed lines later: polars would swallow those lines
case("stray-quote-in-header-csv", "csv",
     ["daily_checks.csv: the CSV cannot be read: a quote (\") opened in the header (line 1) is closed only on line 3"],
     raw=quote_at_line_ends("daily_checks.csv", [0, 2]))
case("mixed-encodings-csv", "csv", ["daily_checks.csv: line 4 (byte", "damaged or mixes encodings"],
     raw=reencode_line("daily_checks.csv", 3, "gb18030"))
case("bad-utf8-byte-csv", "csv", ["daily_checks.csv: line 2 (byte", "is not valid UTF-8"],
     raw=replace_bytes("daily_checks.csv", "王伟".encode(), b"\xff\xfe\xfd"))
# polars reads a header leniently (a bad byte becomes U+FFFD): the header is checked apart
case("bad-utf8-byte-in-header-csv", "csv", ["daily_checks.csv: line 1 (byte 22)", "is not valid UTF-8"],
     raw=replace_bytes("daily_checks.csv", b"inspector", b"inspe\xffctor"))
case("utf16-csv", "csv", ["daily_checks.csv: unrecognised encoding: this is UTF-16"],
     raw=whole_file("daily_checks.csv", lambda b: b.decode("utf-8").encode("utf-16")))
case("gb18030-is-read-csv", "csv", [], raw=whole_file("daily_checks.csv", lambda b: b.decode("utf-8").encode("gb18030")),
     outcome="read", same_as=nothing)
case("cr-only-line-ends-csv", "csv", [], raw=whole_file("maintenance.csv", lambda b: b.replace(b"\r\n", b"\r")),
     outcome="read", same_as=nothing)
case("row-cut-short-csv", "csv", ["hazards.csv line 2, field rectified_on", "the row ends before this column"],
     raw=replace_bytes("hazards.csv", b",2024-02-20", b""), same_as=empty("hazards"))
case("stray-comma-csv", "csv", ["maintenance.csv: the CSV cannot be read: line 4 has 6 fields, the header 5"],
     raw=replace_bytes("maintenance.csv", b"2024-01-27", b"2024-01-27,"))
case("unclosed-quote-csv", "csv", ["maintenance.csv: the CSV cannot be read: the quote (\") on line 3 is never closed"],
     raw=replace_bytes("maintenance.csv", b"2024-01-15", b'"2024-01-15'))
case("nul-bytes-raw-csv", "csv", [loc("csv", "maintenance", 0, "kind"), "half\\x00month"],
     raw=replace_bytes("maintenance.csv", b"half_month", b"half\x00month"), same_as=drop("maintenance", 0))
case("binary-garbage-csv", "csv", ["daily_checks.csv"],
     raw=lambda p: (p / "daily_checks.csv").write_bytes(bytes(range(256)) * 40))

# no elevators: cannot be judged, never "no violations"
case("no-elevators-only-organizations-csv", "csv",
     ["the submission has no elevators", "organizations.csv (organizations, 4 records)", "Expected: elevators.csv"],
     edit=lambda t: [t.pop(n) for n in list(t) if n != "organizations"])
case("no-elevators-misnamed-csv", "csv", ["the submission has no elevators", "files not read", "elevator.csv"],
     raw=lambda p: (p / "elevators.csv").rename(p / "elevator.csv"))
case("no-elevators-header-only-csv", "csv", ["the submission has no elevators", "elevators.csv (elevators, 0 records)"],
     raw=whole_file("elevators.csv", lambda b: b.split(b"\n")[0] + b"\n"))
case("no-elevators-all-rejected-csv", "csv", ["all 2 elevators were rejected"],
     edit=lambda t: [r.update(commissioned_on="0000-01-01") for r in t["elevators"]], args=["--skip-invalid"])


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_hostile_input(c: Case, tmp_path):
    data = tables()
    c.edit(data)
    path = write(tmp_path / "hostile", data, c.fmt)
    if c.raw is not None:
        c.raw(path)
    result = check(path, *c.args)
    out = result.output
    assert "Internal error" not in out and "内部错误" not in out and "Traceback" not in out, out
    assert "\x1b" not in out and "\x9b" not in out and "\u202e" not in out, "a control character reached the terminal"
    found = messages(result)
    for expected in c.expect:
        assert any(expected in m for m in found), (expected, found)
    if c.outcome == "refused":
        assert result.exit_code == 2, out
    else:
        assert result.exit_code in (0, 1), out
    if c.same_as is None:
        return
    clean = tables()
    c.same_as(clean)
    expected = verdicts(tmp_path / "clean", clean, "csv")
    if c.outcome == "refused":
        result = check(path, "--skip-invalid", *c.args)
        assert result.exit_code in (0, 1), result.output
    assert judged(result) == expected


def test_the_suite_is_broad():
    by_format: dict[str, int] = {}
    for c in CASES:
        by_format[c.fmt] = by_format.get(c.fmt, 0) + 1
    assert len(CASES) >= 60 and set(by_format) == {"csv", "jsonl", "json", "xlsx"}
    assert all(n >= 8 for n in by_format.values()), by_format


def test_a_full_width_cell_keeps_a_dense_elevator_dense(tmp_path):
    """The issue's own example: ９７ households became empty, so a dense elevator lost its 10-day limit."""
    data = tables()
    data["elevators"][0]["households_served"] = "９７"
    result = check(write(tmp_path, data, "csv"))
    assert result.exit_code == 1
    assert any(v[0] == "MAINT-INTERVAL-DENSE" and v[1] == "E1" for v in judged(result))
    assert ('elevators.csv line 2, field households_served (服务户数（梯户比）), value "９７": '
            'full-width digits read as 0-9 (read as 97)') in result.stderr


def test_a_duplicate_severity_never_downgrades_a_serious_hazard(tmp_path):
    """The issue's other example: "severity" twice took the last and turned serious into general."""
    folder = write(tmp_path, tables(), "json")
    replace_bytes("hazards.json", b'"severity": "serious"', b'"severity": "serious", "severity": "general"')(folder)
    result = check(folder)
    assert result.exit_code == 2
    body = json.loads(result.stdout)
    [problem] = [p for p in body["problems"] if p["code"] == "duplicate_key"]
    assert problem["message_en"] == ('hazards.json item 0, field severity (隐患等级), value ""serious" / "general"": '
                                     'the key appears twice in one JSON object; neither value is taken')


# ---- files that are not regular files inside the folder: refused by name, before any read ---------


def _cli(*args, timeout=120):
    """The command in its own process: a regression that blocks on a FIFO fails here, not hangs the suite."""
    return subprocess.run([sys.executable, "-m", "checker.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "COLUMNS": "400"})


def _assert_refused(result, *expected):
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "Internal error" not in out and "Traceback" not in out, out
    for e in expected:
        assert e in out, (e, out)


def _submission(tmp_path) -> Path:
    return write(tmp_path / "s", tables(), "csv")


def test_a_fifo_is_refused_by_name_without_hanging(tmp_path):
    folder = _submission(tmp_path)
    (folder / "daily_checks.csv").unlink()
    os.mkfifo(folder / "daily_checks.csv")
    _assert_refused(_cli("check", folder, "--from", "2024-01-01", "--to", "2024-03-31"),
                    "daily_checks.csv (a FIFO (named pipe))", "a submission folder may hold only regular files")
    _assert_refused(_cli("validate", folder), "daily_checks.csv (a FIFO (named pipe))")


def test_a_link_leading_outside_the_folder_is_refused_and_not_read(tmp_path):
    folder = _submission(tmp_path)
    secret = tmp_path / "secret.csv"
    secret.write_text("elevator_id,date\nTOP-SECRET-LINE,2024-01-01\n", encoding="utf-8")
    (folder / "hazards.csv").unlink()
    (folder / "hazards.csv").symlink_to(secret)
    result = _cli("check", folder, "--from", "2024-01-01", "--to", "2024-03-31")
    _assert_refused(result, "hazards.csv (a symbolic link leading outside the folder, to")
    assert "TOP-SECRET-LINE" not in result.stdout + result.stderr


def test_a_device_is_refused_by_name(tmp_path):
    folder = _submission(tmp_path)
    (folder / "maintenance.csv").unlink()
    try:
        os.mknod(folder / "maintenance.csv", stat.S_IFCHR | 0o600, os.makedev(1, 3))   # like /dev/null
    except PermissionError:
        (folder / "maintenance.csv").symlink_to("/dev/null")   # not root: a link to a device instead
    _assert_refused(_cli("check", folder, "--from", "2024-01-01", "--to", "2024-03-31"), "maintenance.csv (")


def test_a_socket_is_refused_by_name(tmp_path):
    folder = _submission(tmp_path)
    sock = socket.socket(socket.AF_UNIX)
    cwd = os.getcwd()
    os.chdir(folder)   # unix socket paths are short: bind by name inside the folder
    try:
        sock.bind("drills.csv")
    finally:
        os.chdir(cwd)
    try:
        _assert_refused(_cli("validate", folder), "drills.csv (a socket)")
    finally:
        sock.close()


def test_a_broken_link_is_refused_by_name(tmp_path):
    folder = _submission(tmp_path)
    (folder / "drills.csv").symlink_to(folder / "nowhere.csv")
    _assert_refused(_cli("validate", folder), "drills.csv (a broken or looping symbolic link)")


def test_a_link_inside_the_folder_is_read_as_its_file(tmp_path):
    folder = _submission(tmp_path)
    (folder / "originals").mkdir()
    shutil.move(folder / "hazards.csv", folder / "originals" / "hazards.csv")
    (folder / "hazards.csv").symlink_to(Path("originals") / "hazards.csv")
    result = check(folder)
    assert result.exit_code == 1 and "originals/: not a known record type, not read" in result.stderr
    assert judged(result) == verdicts(tmp_path / "clean", tables())


def test_a_submission_that_is_itself_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "book.xlsx")
    _assert_refused(_cli("validate", tmp_path / "book.xlsx"), "book.xlsx: a FIFO (named pipe), not a regular file")


def test_a_file_name_with_control_characters_never_reaches_the_terminal(tmp_path):
    folder = _submission(tmp_path)
    (folder / "\x1b[2J\x1b]0;owned\x07.csv").write_text("x\n", encoding="utf-8")
    result = check(folder)
    assert result.exit_code == 1
    assert "\\x1b[2J\\x1b]0;owned\\x07.csv: not a known record type, not read" in result.stderr
    assert "\x1b" not in result.output


# ---- no elevators: every command that judges refuses ----------------------------------------


def test_an_empty_folder_cannot_be_judged_by_any_command(tmp_path):
    (tmp_path / "empty").mkdir()
    for args in (["check", tmp_path / "empty", "--from", "2024-01-01", "--to", "2024-03-31"],
                 ["old-list", tmp_path / "empty", "--as-of", "2024-03-31"],
                 ["fund-check", tmp_path / "empty", "F1"]):
        r = run(*args)
        assert r.exit_code == 2, r.output
        assert "the submission has no elevators: nothing can be judged (this is not \"no violations\")" in r.output
        assert "no files at all" in r.output and "没有发现违规" not in r.output
    r = run("validate", tmp_path / "empty")
    # validate says what check says, and does not call it valid (issue 26): exit 2 as check
    assert r.exit_code == 2 and "校验通过" not in r.output and "校验未通过：1 个错误" in r.output
    assert "the submission has no elevators: nothing can be judged" in r.output


def test_an_empty_template_is_not_valid_either_for_it_holds_nothing_to_judge(tmp_path):
    from checker.template import write_template

    book = write_template(tmp_path / "模板.xlsx")
    r = run("validate", book, "--format", "json")
    assert r.exit_code == 2
    body = json.loads(r.stdout)
    assert body["valid"] is False and [p["code"] for p in body["problems"]] == ["no_elevators"]
    assert body["problems"][0]["message_zh"].startswith(f"提交的数据中没有电梯记录，无法评判（不是“没有违规”）。{book} 中找到：")



@pytest.mark.parametrize("spaces", [10, (1 << 20) - 30, (1 << 20) + 10, (2 << 20) + 10])
def test_a_cell_position_cut_by_a_chunk_boundary_is_still_seen(spaces):
    """The guard reads sheet XML a MiB at a time: a position spaced across the boundary is seen
    whole (the next piece starts at the unfinished tag), and a tag over a MiB is refused."""
    from checker.errors import LiftcheckError
    from checker.workbook import _check_positions

    xml = (b'<worksheet><sheetData><row r="1"><c r=' + b" " * spaces + b'"XFD1048576" t="s"><v>0</v></c>'
           b"</row></sheetData></worksheet>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("xl/worksheets/sheet1.xml", xml)
    with zipfile.ZipFile(buf) as z, pytest.raises(LiftcheckError) as refused:
        _check_positions(z, "xl/worksheets/sheet1.xml", "book.xlsx")
    expected = ("over 1 MiB of XML without a tag" if spaces > 2 << 20
                else "spans 1,048,576 rows × 16,384 columns, over the limit of 8,388,608 cells")
    assert expected in refused.value.en


# ---- reading ahead (checker.files.prefetch): the same bytes, or nothing -------------------------

def test_files_read_ahead_are_the_bytes_the_loader_would_read(tmp_path):
    from checker.files import prefetch, take_prefetched

    folder = _submission(tmp_path)
    (folder / "notes").mkdir()
    (folder / "readme.txt").write_text("not a record file", encoding="utf-8")
    prefetch(folder)
    read = take_prefetched(folder)
    assert sorted(p.name for p in read) == sorted(p.name for p in folder.glob("*.csv"))
    assert all(data == path.read_bytes() for path, data in read.items())
    assert take_prefetched(folder) == {}   # handed over once


def test_reading_ahead_a_folder_the_loader_refuses_keeps_nothing(tmp_path):
    from checker.files import prefetch, take_prefetched

    folder = _submission(tmp_path)
    (folder / "daily_checks.csv").unlink()
    os.mkfifo(folder / "daily_checks.csv")
    prefetch(folder)
    assert take_prefetched(folder) == {}
    with pytest.raises(LiftcheckError, match=re.escape("daily_checks.csv (a FIFO (named pipe))")):
        load_submission(folder)


def test_reading_ahead_leaves_alone_what_the_loader_does_not_read_and_a_file_changed_since(tmp_path):
    from checker.files import _started, prefetch, take_prefetched

    folder = _submission(tmp_path)
    (folder / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")   # not a record type: never opened
    (folder / "backup.json").write_text("[]", encoding="utf-8")
    prefetch(folder)
    prefetch(folder)   # started again: the first read is dropped
    read = take_prefetched(folder)
    assert "notes.csv" not in {p.name for p in read} and "backup.json" not in {p.name for p in read}
    assert "hazards.csv" in {p.name for p in read}
    prefetch(folder)
    _started[folder].thread.join()
    (folder / "hazards.csv").write_text((folder / "hazards.csv").read_text(encoding="utf-8") + "\n",
                                        encoding="utf-8")   # changed after it was read ahead
    assert "hazards.csv" not in {p.name for p in take_prefetched(folder)}


def test_a_failure_while_reading_ahead_is_kept_quiet_for_the_loader_to_meet(tmp_path, monkeypatch):
    import threading

    import checker.files
    from checker.files import prefetch, take_prefetched

    seen = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args.exc_type))

    def no_memory(path, inside=None):
        raise MemoryError

    monkeypatch.setattr(checker.files, "read_regular", no_memory)
    folder = _submission(tmp_path)
    prefetch(folder)
    assert take_prefetched(folder) == {} and seen == []


def test_a_csv_its_quotes_make_unreadable_is_refused_before_any_parse(tmp_path, monkeypatch):
    import polars

    folder = _submission(tmp_path)
    path = folder / "daily_checks.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines[:2], '"' + lines[2], *lines[3:]]) + "\n", encoding="utf-8")

    parsed = []

    def no_parse(*args, **kwargs):
        parsed.append(args)
        raise AssertionError("parsed a file its quotes make unreadable")

    monkeypatch.setattr(polars, "read_csv", no_parse)
    with pytest.raises(LiftcheckError, match="never closed"):
        load_submission(folder)
    assert parsed == []


def test_a_command_that_stops_before_loading_leaves_no_read_ahead_for_the_next(tmp_path):
    from click.testing import CliRunner

    from checker.cli import main

    folder = _submission(tmp_path)
    runner = CliRunner()
    r = runner.invoke(main, ["check", str(folder), "--from", "2024-01-01", "--to", "2024-03-31", "--format", "html"])
    assert r.exit_code == 2 and "--format html needs -o" in r.output
    (folder / "maintenance.csv").write_text("elevator_id,date,maintenance_unit_id,kind,on_site\n", encoding="utf-8")
    r = runner.invoke(main, ["check", str(folder), "--from", "2024-01-01", "--to", "2024-03-31", "--format", "json"])
    report = json.loads(r.stdout)
    # no visit at all now: every elevator's walk is one interval to `to`, as a fresh read says
    fresh = run_check_report(folder)
    assert [(v["rule_id"], v["subject"], v["period_key"]) for v in report["violations"]] == \
        [(v["rule_id"], v["subject"], v["period_key"]) for v in fresh["violations"]]


def run_check_report(folder):
    import datetime as dt

    from checker.pipeline import run_check

    return run_check(folder, dt.date(2024, 1, 1), dt.date(2024, 3, 31)).report


# ---- bounded resources (issue 25): refused or read within 1.5 GB, by construction ----------------

CLI_ADDRESS_SPACE = 1536 << 20


def _bounded(*args, timeout=600):
    """`liftcheck` in its own process under an address-space limit of 1.5 GiB (RLIMIT_AS): an
    allocation beyond it fails (calamine aborts, Python raises MemoryError), so a case that ends
    with its expected message stayed within the bound the issue states for the CLI."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (CLI_ADDRESS_SPACE, CLI_ADDRESS_SPACE))

    result = subprocess.run([sys.executable, "-m", "checker.cli", *map(str, args)], capture_output=True, text=True,
                            timeout=timeout, env={**os.environ, "COLUMNS": "400"}, preexec_fn=limit)
    out = result.stdout + result.stderr
    assert result.returncode >= 0, f"killed by signal {-result.returncode} under the 1.5 GiB limit: {out[-2000:]}"
    assert "Internal error" not in out and "内部错误" not in out and "Traceback" not in out, out[-2000:]
    return result


@pytest.mark.parametrize("inflated", [102_000_000, 612_000_000], ids=["102MB-in-400KB", "612MB-in-2.4MB"])
def test_a_sheet_that_inflates_past_its_declared_size_is_refused_within_bounds(tmp_path, inflated):
    """The issue's size-lie: the sheet declares 80 KB with the checksum of those 80 KB; its deflate
    stream runs on (calamine inflated it all: 2.0 GB for 102 MB, 9.8 GB before it was killed for 612)."""
    from hostile import size_lie_workbook

    book = size_lie_workbook(tmp_path / "book.xlsx", inflated)
    result = _bounded("validate", book)
    assert result.returncode == 2
    assert ("book.xlsx: cannot read the Excel workbook (damaged or not .xlsx): xl/worksheets/sheet3.xml: inflates to "
            "more than the 81,920 bytes it declares (its checksum covers only those)") in result.stderr


def test_an_honest_workbook_of_a_million_daily_checks_is_read_within_bounds(tmp_path):
    """18.5 MB, 9:1, 1,040,000 daily checks of 2,000 elevators: read and valid under 1.5 GiB."""
    from hostile import honest_big_workbook

    result = _bounded("validate", honest_big_workbook(tmp_path / "book.xlsx"), "--format", "json")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    body = json.loads(result.stdout)
    assert body["valid"] is True and body["records"]["daily_checks"] == 1_040_000 and body["records"]["elevators"] == 2000


def test_a_csv_of_a_million_columns_is_refused_by_its_line_within_bounds(tmp_path):
    """7 MB, a header of 1,000,000 columns (55 s and 6.8 GB, then a million warnings, before)."""
    from hostile import wide_csv

    result = _bounded("validate", wide_csv(tmp_path / "s"))
    assert result.returncode == 2
    assert ("daily_checks.csv: line 1 is 7,888,892 bytes long, over the limit of 4,194,304 a line; not read "
            "(no record is that long: a damaged file, or not a file of records?)") in result.stderr


def test_a_csv_of_more_columns_than_any_record_needs_is_refused_before_it_is_parsed(tmp_path):
    from hostile import wide_csv

    result = _bounded("validate", wide_csv(tmp_path / "s", columns=500_000))
    assert result.returncode == 2
    assert ("daily_checks.csv: the header has 500,000 columns, over the limit of 1,024; not read") in result.stderr
    folder = wide_csv(tmp_path / "t", columns=1_024)   # the limit itself is read (1,021 unknown columns, said)
    sub = validate_folder(folder)
    assert sub.error_count == 0 and sub.record_counts["daily_checks"] == 1


@pytest.mark.parametrize("kind, size, expected", [
    ("csv", 200_000_000, "daily_checks.csv: line 1 is 200,000,031 bytes long, over the limit of 4,194,304 a line"),
    ("csv-row", 200_000_000, "daily_checks.csv: line 2 is 200,000,019 bytes long, over the limit of 4,194,304 a line"),
    ("jsonl", 100_000_000, "daily_checks.jsonl: line 1 is 100,000,055 bytes long, over the limit of 4,194,304 a line"),
])
def test_a_single_line_of_hundreds_of_megabytes_is_refused_within_bounds(tmp_path, kind, size, expected):
    """The 200 MB line was refused at a peak of 3.5 GB; a 200 MB note was even read (2.6 GB)."""
    from hostile import single_line

    result = _bounded("validate", single_line(tmp_path / "s", size, kind))
    assert result.returncode == 2 and expected in result.stderr


def test_one_stray_cell_far_away_is_refused_before_calamine_allocates_its_rectangle(tmp_path):
    """A 1 KB workbook with a cell at AD1048576: calamine's rectangle of 31 M cells took 1.66 GB."""
    import zlib

    from hostile import _book_parts, _deflated, _inline_sheet, _small_sheets, _zip

    xml = _inline_sheet([["elevator_id", "date", "inspector"], ["E1", "2024-01-01", "王伟"]]).replace(
        b"</sheetData>", b'<row r="1048576"><c r="AD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
    parts = _book_parts(_small_sheets() + [("daily_checks", xml)])
    _zip(tmp_path / "book.xlsx", [(n, _deflated(d), 8, len(d), zlib.crc32(d)) for n, d in parts])
    result = _bounded("validate", tmp_path / "book.xlsx")
    assert result.returncode == 2
    assert ("book.xlsx: sheet part xl/worksheets/sheet3.xml spans 1,048,576 rows × 30 columns, over the limit of "
            "8,388,608 cells; not read (delete stray cells far away, or submit CSV)") in result.stderr


def test_cells_without_positions_are_counted_as_calamine_places_them(tmp_path):
    """A cell without r="C5" takes the next column: nine of them on Excel's last row span as many
    cells as one at I1048576, which a search over positions alone never saw."""
    import zlib

    from hostile import _book_parts, _deflated, _inline_sheet, _small_sheets, _zip

    xml = _inline_sheet([["elevator_id", "date", "inspector"], ["E1", "2024-01-01", "王伟"]]).replace(
        b"</sheetData>", b'<row r="1048576">' + b'<c t="inlineStr"><is><t>x</t></is></c>' * 9 + b"</row></sheetData>")
    parts = _book_parts(_small_sheets() + [("daily_checks", xml)])
    _zip(tmp_path / "book.xlsx", [(n, _deflated(d), 8, len(d), zlib.crc32(d)) for n, d in parts])
    result = _bounded("validate", tmp_path / "book.xlsx")
    assert result.returncode == 2
    assert "spans 1,048,576 rows × 9 columns, over the limit of 8,388,608 cells" in result.stderr


def validate_folder(path):
    from checker.validate import validate

    return validate(load_submission(path))


def _workbook_with(tmp_path, sheet_xml: bytes, shared: list[str] | None = None) -> Path:
    import zlib

    from hostile import _book_parts, _deflated, _small_sheets, _zip

    parts = _book_parts(_small_sheets() + [("daily_checks", sheet_xml)], shared)
    _zip(tmp_path / "book.xlsx", [(n, _deflated(d), 8, len(d), zlib.crc32(d)) for n, d in parts])
    return tmp_path / "book.xlsx"


@pytest.mark.parametrize("index", ["-1", "1.5", " 3", "+2", "", "18446744073709551616"])
def test_a_shared_string_index_that_is_no_index_is_refused_not_read_as_another_string(tmp_path, index):
    """calamine reads such a value as index 0: 王伟 became "elevator_id", silently."""
    from hostile import _NS

    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + _NS + b'><sheetData>'
             b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
             b'<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c><c r="C2" t="s"><v>'
             + index.encode() + b"</v></c></row></sheetData></worksheet>")
    book = _workbook_with(tmp_path, sheet, ["elevator_id", "date", "inspector", "E1", "2024-01-05", "王伟"])
    with pytest.raises(LiftcheckError) as refused:
        load_submission(book)
    assert refused.value.en == (f'book.xlsx: cannot read the Excel workbook (damaged): in xl/worksheets/sheet3.xml, '
                                f'cell C2 refers to shared string "{index}", which is no index (0, 1, 2, …): read on, '
                                "it would be another string; not read")
    assert refused.value.zh.startswith(f"book.xlsx：无法读取 Excel 工作簿（文件损坏）：xl/worksheets/sheet3.xml 中单元格 C2 "
                                       f"的共享字符串编号「{index}」不是编号")
    # the index itself is read as its string
    good = _workbook_with(tmp_path, sheet.replace(b"<v>" + index.encode() + b"</v>", b"<v>5</v>"),
                          ["elevator_id", "date", "inspector", "E1", "2024-01-05", "王伟"])
    [(_, frame)] = load_submission(good).frames["daily_checks"]
    assert frame.get_column("inspector").to_list() == ["王伟"]


def test_a_part_whose_compressed_bytes_run_into_the_next_is_refused(tmp_path):
    """Parts that share compressed bytes are the "better zip bomb": each is small, together huge."""
    book = write(tmp_path, tables(), "xlsx")
    data = bytearray(book.read_bytes())
    first = data.find(b"PK\x01\x02")   # the first part's entry in the central directory: claim the next part's bytes too
    size = struct.unpack("<I", data[first + 20:first + 24])[0]
    data[first + 20:first + 24] = struct.pack("<I", size + 100)
    book.write_bytes(bytes(data))
    with pytest.raises(LiftcheckError, match="cannot read the Excel workbook .*: the parts .* and .* overlap"):
        load_submission(book)


def test_the_workbooks_of_a_submission_share_one_unpacked_budget(tmp_path):
    from checker.errors import LiftcheckError as Refused
    from checker.workbook import Budget, read_sheets

    data = write(tmp_path, tables(), "xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        unpacked = sum(i.file_size for i in z.infolist())
    budget = Budget(limit=unpacked * 3 // 2)
    read_sheets(data, "a.xlsx", lambda name: True, budget)
    assert budget.used == unpacked
    with pytest.raises(Refused) as refused:
        read_sheets(data, "b.xlsx", lambda name: True, budget)
    assert refused.value.en.startswith("b.xlsx: the workbook unpacks to more than 0 MiB (all the workbooks of the "
                                       "submission together;")


def test_a_json_object_of_more_keys_than_any_record_has_is_refused(tmp_path):
    folder = write(tmp_path, tables(), "jsonl")
    with open(folder / "daily_checks.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({f"k{i}": i for i in range(1_025)}) + "\n")
    sub = validate_folder(folder)
    [problem] = [p for p in sub.problems.to_dicts() if p["code"] == "invalid_json"]
    assert problem["message_en"].endswith("an object of 1,025 keys, over the limit of 1,024")


def test_a_file_over_its_limit_is_refused_by_name(tmp_path, monkeypatch):
    import checker.load
    from checker.files import read_regular

    (tmp_path / "big.csv").write_bytes(b"x" * 1000)
    with pytest.raises(LiftcheckError) as refused:
        read_regular(tmp_path / "big.csv", limit=999)
    assert refused.value.en == "big.csv: the file holds 1,000 B, over the limit of 999 B; not read"
    folder = write(tmp_path / "s", tables(), "json")
    monkeypatch.setattr(checker.load, "MAX_JSON_BYTES", 2000)
    with pytest.raises(LiftcheckError, match=r"daily_checks.json: the file holds .* over the limit .*; not read "
                                             r"\(JSON is for a firm's records; submit a city's as CSV\)"):
        load_submission(folder)
    monkeypatch.setattr(checker.load, "MAX_JSON_BYTES", 128 << 20)
    monkeypatch.setattr(checker.load, "MAX_SUBMISSION_BYTES", 3000)
    with pytest.raises(LiftcheckError, match=r"the submission's files hold more than .* in all, over the limit; not read"):
        load_submission(folder)


def test_a_csv_of_more_lines_than_a_file_may_hold_is_refused_before_it_is_parsed(tmp_path):
    folder = write(tmp_path, tables(), "csv")
    (folder / "daily_checks.csv").write_bytes(b"elevator_id,date,inspector\n" + b"\n" * 20_000_001)
    with pytest.raises(LiftcheckError) as refused:
        load_submission(folder)
    assert refused.value.en == ("daily_checks.csv: 20,000,002 lines, over the limit of 20,000,000 a file; not read "
                                "(split it into several files)")


# ---- a default that bears on a verdict is never taken silently (issue 25) -------------------------

def _without_column(record_type: str, name: str):
    def edit(t):
        for row in t[record_type]:
            row.pop(name, None)
    return edit


def test_a_missing_status_or_affordable_housing_column_refuses_the_check_until_declared(tmp_path):
    """Dropping affordable_housing turned E1, dense and old, to the 15-day limit: breaches gone, silently."""
    data = tables()
    _without_column("elevators", "affordable_housing")(data)
    folder = write(tmp_path / "s", data, "csv")
    result = check(folder)
    assert result.exit_code == 2
    assert ("elevators.csv, field affordable_housing (保障房): the file has no such column. Affordable housing decides "
            "which maintenance interval a dense old elevator is judged by (10 days, not 15)") in result.stdout
    (folder / "submission.yaml").write_text("omitted_columns:\n  elevators: [affordable_housing]\n", encoding="utf-8")
    declared = check(folder)
    assert declared.exit_code == 1
    assert ("elevators.csv, field affordable_housing (保障房): left out as declared (submission.yaml); all 2 records "
            "take the default false") in declared.stderr
    report = json.loads(declared.stdout)
    assert [w["code"] for w in report["warnings"]] == ["declared_omitted"]
    # judged as told: E1 is then no affordable housing, so not dense
    clean = tables()
    clean["elevators"][0]["affordable_housing"] = False
    assert judged(declared) == verdicts(tmp_path / "clean", clean)
    data = tables()
    _without_column("elevators", "status")(data)
    assert "field status (状态): the file has no such column" in check(write(tmp_path / "t", data, "csv")).stdout


def test_a_missing_on_site_column_and_a_blank_result_are_said_in_check_and_its_report(tmp_path):
    """Dropping on_site counted an off-site visit as maintenance (-6 MAINT-INTERVAL in the issue's
    trial); a blank result read as normal (-1). Both are read as before, and said."""
    data = tables()
    _without_column("maintenance", "on_site")(data)
    data["daily_checks"][2]["result"] = None
    result = check(write(tmp_path / "s", data, "csv"))
    assert result.exit_code == 1
    said = ["maintenance.csv, field on_site (现场维保): the file has no such column; all 7 records take the default true",
            "daily_checks.csv, field result (检查结果): blank in 1 records (line 4), read as the default normal"]
    for line in said:
        assert line in result.stderr
    report = json.loads(result.stdout)
    assert sorted(w["message_en"] for w in report["warnings"]) == sorted(said)
    assert judged(result) == verdicts(tmp_path / "clean", tables())
