"""Read a submission (a folder of CSV/JSONL/JSON files, or one .xlsx workbook) into raw frames.

Every value stays a string here; typing and checking are validate.py's job. Each frame
carries `_file` (what to call the file in messages) and `_row` (the line, item or sheet row
a person finds the record at), so every later problem can point back at its source.

Nothing is read silently (records.md, "Never silent"): only regular files inside the
folder are opened; a file is decoded as UTF-8 or GB18030, never guessed into mojibake; a
CSV row cut short, a JSON key given twice, a formula cell without a saved value are
problems of their cell, so the record they belong to is never judged on a value it lacks.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from checker.contract import RecordType, record_type_for_name
from checker.declaration import (DECLARATION_FILE, DECLARATION_SHEET, DAY_HEADERS, OMITTED_HEADERS, TYPE_HEADERS,
                                 Declaration)
from checker.errors import LiftcheckError
from checker.files import (MAX_SUBMISSION_BYTES, RECORD_SUFFIXES, kind_of as _kind_of, read_regular as _read_regular,
                           scan_folder as _scan_folder, size_text, take_prefetched, too_large)
from checker.text import PY_CONTROL_CLASS, visible
from checker.workbook import Budget

FILE_COL = "_file"
ROW_COL = "_row"

SUFFIXES = RECORD_SUFFIXES   # (".csv", ".jsonl", ".json")
# The instructions sheet of `liftcheck template`: part of the workbook, not records.
INSTRUCTIONS_SHEET = "填写说明"
# A record is an object of flat fields (a list at most): nothing legitimate nests deeper.
MAX_JSON_DEPTH = 20
# Digits in one JSON number: a count, an amount or a year never needs more.
MAX_JSON_NUMBER_CHARS = 40
# The shape of a record file, checked on its bytes before anything parses it (issue 25: a 7 MB
# CSV of a million columns took 6.8 GB to parse, a 200 MB line 3.5 GB). A line (a CSV line, a
# JSON Lines record, a JSON array's item) of at most 4 MiB: Excel's longest cell is 32,767
# characters, and the widest record type has 17 fields. At most 1,024 columns (CSV) or keys (a
# JSON object), at most 20 M lines or items a file (a city-year's daily checks are 7.2 M).
MAX_LINE_BYTES = 4 << 20
MAX_FILE_COLUMNS = 1_024
MAX_FILE_ROWS = 20_000_000
# JSON becomes a Python object per value before it is a column: JSON files are for exports of a
# firm's size, CSV or a Parquet dataset (liftcheck convert) for a city's.
MAX_JSON_BYTES = 128 << 20


@dataclass
class CellProblem:
    """One cell whose value cannot be read: the validator rejects its record and names it."""

    row: int
    field: str
    code: str            # "json_type", "duplicate_key", "short_row", "formula", "error_value"
    value: str           # what to show as the value seen
    cell: str | None = None   # a spreadsheet cell reference such as "C5"


@dataclass
class SourceFile:
    """One file (or sheet) that held records of one type."""

    display: str          # e.g. "daily_checks.csv" or "book.xlsx[elevators]"
    record_type: str
    row_kind: str         # "line" (CSV, JSONL), "item" (JSON array index), "row" (sheet row)
    canonical: bool       # JSON inputs must be in the schemas' canonical form
    # True when the raw bytes were scanned and hold no control character at all, so the
    # validator may skip looking for them cell by cell (the city-scale CSV path).
    free_of_controls: bool = False
    # False when the raw bytes hold no full-width digit (U+FF10-FF19 start with EF BC in UTF-8)
    may_hold_fullwidth: bool = True
    # True when the raw bytes hold no whitespace character at all (and no control character):
    # no cell needs stripping (the city-scale CSV path)
    free_of_whitespace: bool = False
    cell_problems: list[CellProblem] = field(default_factory=list)
    # field -> problem code for a whole column that may not be read (a damaged header): every
    # value in it is an error of its cell
    column_problems: dict[str, str] = field(default_factory=dict)
    # the fields the file has a column (JSON: a key in some item) for; None: every field (records
    # stored by the portal, which are whole)
    columns: frozenset[str] | None = None


@dataclass
class RawSubmission:
    root: Path
    frames: dict[str, list[tuple[SourceFile, pl.DataFrame]]] = field(default_factory=dict)
    file_problems: list[dict] = field(default_factory=list)   # whole-file problems (few)
    unknown_files: list[str] = field(default_factory=list)
    # a Submission already typed and validated: a Parquet dataset (checker/columnar.py)
    validated: object | None = None
    # submission.yaml or the sheet 说明: the history the submission holds (checker/declaration.py)
    declaration: Declaration = field(default_factory=Declaration)
    # what its workbooks may still inflate, and the bytes of its files read so far
    unpacked: Budget = field(default_factory=Budget)
    bytes_read: int = 0

    @property
    def present_types(self) -> set[str]:
        return set(self.frames)


def _problem(file: str, row: int | None, field_name: str, value: str, code: str, zh: str, en: str,
             severity: str = "error", row_kind: str = "line") -> dict:
    return {"severity": severity, "file": file, "row": row, "row_kind": row_kind, "field": field_name,
            "value": value, "code": code, "expected_zh": zh, "expected_en": en}


def _header_map(rt: RecordType, df: pl.DataFrame, source: SourceFile, raw: RawSubmission,
                header_row: int = 1) -> dict[str, str]:
    """Map the file's column headers (English names or Chinese labels) to field names.

    A header that matches no field is reported: a warning when it is simply another column,
    an error when it holds control characters or is a near miss of a field the file lacks
    (households_s\x00rved, 服务户数（梯户比): reading on would drop that field's values
    without a word, and so change verdicts. A near miss is read as the field it resembles,
    and every value under it is a problem of its cell, so no record is judged on it."""
    display, kind = source.display, source.row_kind
    by_header = rt.headers()
    lowered = {h.lower(): n for h, n in by_header.items()}
    mapping: dict[str, str] = {}
    unknown: list[tuple[str, str]] = []
    for col in [c for c in df.columns if c not in (FILE_COL, ROW_COL)]:
        # polars renames a repeated header "date" to "date_duplicated_0": it is still "date"
        header = re.sub(r"_duplicated_[0-9]+$", "", col.strip().lstrip("\ufeff"))
        name = by_header.get(header)
        if name is None:
            unknown.append((col, header))
            continue
        if name in mapping.values():
            raw.file_problems.append(_problem(display, header_row, name, header, "duplicate_column",
                                              "同一字段出现了两列", "the same field appears in two columns",
                                              row_kind=kind))
            continue
        mapping[col] = name
    for col, header in unknown:
        import difflib   # only for a header it does not know (40 ms to import)

        near = difflib.get_close_matches(header.lower(), list(lowered), n=1, cutoff=0.75)
        near_field = lowered[near[0]] if near and lowered[near[0]] not in mapping.values() else None
        if near_field is not None and df.get_column(col).null_count() == df.height:
            raw.file_problems.append(_problem(display, header_row, col, col, "near_header",
                                              f"不是字段名，像是 {near_field} 写错了；这一列是空的，已忽略",
                                              f"not a field name; it looks like a damaged {near_field}; the column is "
                                              "empty and was ignored", severity="warning", row_kind=kind))
        elif near_field is not None:
            mapping[col] = near_field
            source.column_problems[near_field] = "near_header"
            raw.file_problems.append(_problem(display, header_row, col, col, "near_header",
                                              f"不是字段名，像是 {near_field}（{rt.field(near_field).label}）写错了，"
                                              f"而文件里没有 {near_field} 这一列：请改正表头（这一列的值都未采用）",
                                              f"not a field name; it looks like a damaged {near_field} "
                                              f"({rt.field(near_field).label}), which the file lacks: correct the header "
                                              "(no value under it was taken)", row_kind=kind))
        elif re.search(PY_CONTROL_CLASS, header):
            raw.file_problems.append(_problem(display, header_row, col, col, "bad_header",
                                              "表头含有控制字符，这一列无法对应到字段",
                                              "the header holds control characters; the column matches no field",
                                              row_kind=kind))
        else:
            raw.file_problems.append(_problem(display, header_row, col, col, "unknown_column",
                                              f"未知列，已忽略（{rt.name} 没有这个字段）",
                                              f"unknown column, ignored ({rt.name} has no such field)",
                                              severity="warning", row_kind=kind))
    return mapping


def _conform(rt: RecordType, df: pl.DataFrame, display: str, raw: RawSubmission, first_row: int,
             mapping: dict[str, str], keep_rows: set[int] = frozenset()) -> pl.DataFrame:
    """Rename headers to field names, add absent fields as nulls, attach file and row.

    `keep_rows`: rows that look blank only because a cell could not be read (a formula
    without a saved value): they are records with a problem, not blank rows."""
    if ROW_COL not in df.columns:  # numbered before any column is dropped, so no row can vanish
        df = df.with_row_index(ROW_COL, offset=first_row).with_columns(pl.col(ROW_COL).cast(pl.Int64))
    # Spreadsheets leave blank rows (",,,," or an empty line): no data in any column, so not a
    # record — ignored, and said so.
    cells = [c for c in df.columns if c not in (FILE_COL, ROW_COL)]
    blank = pl.all_horizontal([pl.col(c).is_null() for c in cells]) if cells else pl.lit(False)
    if keep_rows:
        blank = blank & ~pl.col(ROW_COL).is_in(list(keep_rows))
    blank_rows = df.filter(blank).get_column(ROW_COL)
    if len(blank_rows):
        shown = "、".join(map(str, blank_rows.head(10).to_list())) + ("…" if len(blank_rows) > 10 else "")
        raw.file_problems.append(_problem(display, None, "", shown, "blank_rows",
                                          f"忽略了 {len(blank_rows)} 个空行（第 {shown} 行）",
                                          f"{len(blank_rows)} blank row(s) ignored (rows {shown.replace('、', ', ')})",
                                          severity="warning"))
        df = df.filter(~blank)
    df = df.select([pl.col(ROW_COL)] + [pl.col(c).cast(pl.String).alias(n) for c, n in mapping.items()])
    missing = [f.name for f in rt.fields if f.name not in df.columns]
    df = df.with_columns([pl.lit(None, dtype=pl.String).alias(n) for n in missing])
    return df.select(pl.lit(display).alias(FILE_COL), ROW_COL, *rt.field_names)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


# ---- CSV ---------------------------------------------------------------------------------------

def _decode_csv(data: bytes, name: str) -> bytes:
    """The CSV as UTF-8 bytes: UTF-8 (a BOM is dropped) as it is, GB18030 converted.

    A file that is mostly valid UTF-8 but has bad bytes is damaged or mixes encodings:
    decoding it as GB18030 would turn all its Chinese text into other Chinese text, so it is
    refused with the place of the first bad byte instead."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LiftcheckError(f"{name}：无法识别的文件编码：这是 UTF-16（Excel 的“Unicode 文本”），请另存为“CSV UTF-8”",
                             f"{name}: unrecognised encoding: this is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8\"")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = len(text) - len(text.encode("ascii", "ignore")) - bad
    if good >= 3 and good > 3 * bad:
        line = _line_of(data, first_bad)
        raise LiftcheckError(
            f"{name}：第 {line} 行（第 {first_bad} 字节）不是有效的 UTF-8：文件已损坏或混用了多种编码，未读取",
            f"{name}: line {line} (byte {first_bad}) is not valid UTF-8: the file is damaged or mixes encodings; not read")
    try:
        return data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError as exc:
        raise LiftcheckError(
            f"{name}：无法识别的文件编码（支持 UTF-8、带 BOM 的 UTF-8 和 GB18030），第 {exc.start} 字节出错",
            f"{name}: unrecognised encoding (UTF-8, UTF-8 with BOM and GB18030 are accepted); bad byte at offset {exc.start}",
        ) from None


_C1_OR_BIDI = re.compile(rb"\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")


_NOT_C0 = bytes(range(0x20, 0x100))


# The bytes the checks of a whole file look at: C0 controls and space, the quote, the comma,
# DEL, and the lead bytes of C1 controls, bidi marks, Unicode spaces and full-width forms.
# One C-speed pass deletes every other byte (`_marks`); for a city's daily checks what is left
# is the commas and line ends, a tenth of the file, and every count is taken on that.
_MARKED = bytes(range(0x00, 0x21)) + b'",\x7f\xc2\xe1\xe2\xe3\xef'
_UNMARKED = bytes(b for b in range(256) if b not in _MARKED)


def _marks(data: bytes) -> bytes:
    return data.translate(None, _UNMARKED)


def _free_of_controls(data: bytes, marks: bytes) -> bool:
    """True when no byte of the (UTF-8) file is a control character, line ends aside.

    Deleting every byte that is not a C0 control leaves the line ends (and anything else,
    which makes the file worth a cell-by-cell look)."""
    rest = marks.translate(None, _NOT_C0)
    if rest.translate(None, b"\r\n") or b"\x7f" in marks:
        return False
    if b"\r" in rest and rest.count(b"\r") != data.count(b"\r\n"):   # a lone CR
        return False
    return not ((b"\xc2" in marks or b"\xe2" in marks) and _C1_OR_BIDI.search(data))


@dataclass
class _Layout:
    lines: np.ndarray | None      # the line each data record starts on, when not simply index + 2
    fields: np.ndarray | None     # fields in each data record, when some differ from the header
    header_fields: int
    quoted_newlines: bool


def _layout(data: bytes, arr: np.ndarray, rows: int, quoted: bool, marks: bytes) -> _Layout:
    """Where each record starts and how many fields it has, found on byte positions.

    The common file (no quotes, every line complete) is recognised by two counts. Otherwise a
    newline or comma inside a quoted cell is told apart by the parity of the quotes before it."""
    first_nl = data.find(b"\n")
    header = data if first_nl < 0 else data[:first_nl]
    header_commas = header.count(b",") if b'"' not in header else None
    if not quoted and header_commas is not None and marks.count(b",") == header_commas * (rows + 1):
        return _Layout(None, None, header_commas + 1, False)
    newline_at = np.flatnonzero(arr == 0x0A)
    quote_at = np.flatnonzero(arr == 0x22)
    comma_at = np.flatnonzero(arr == 0x2C)
    if quote_at.size:
        ends = newline_at[(np.searchsorted(quote_at, newline_at) & 1) == 0]
        comma_at = comma_at[(np.searchsorted(quote_at, comma_at) & 1) == 0]
    else:
        ends = newline_at
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [len(data)]))
    if starts[-1] >= len(data):   # the file ends with a newline: no record after it
        starts, stops = starts[:-1], stops[:-1]
    commas = np.searchsorted(comma_at, stops) - np.searchsorted(comma_at, starts)
    if len(starts) - 1 != rows:   # a layout polars did not see: keep counting records
        return _Layout(None, None, int(commas[0]) + 1 if len(commas) else 0, len(ends) != len(newline_at))
    empty = (stops - starts == 0) | ((stops - starts == 1) & (arr[np.minimum(starts, len(arr) - 1)] == 0x0D))
    fields = np.where(empty, 0, commas + 1)
    lines = np.searchsorted(newline_at, starts) + 1
    return _Layout(lines[1:], fields[1:], int(fields[0]), len(ends) != len(newline_at))


def _csv_problem(data: bytes, arr: np.ndarray, name: str, detail: str) -> LiftcheckError:
    """A CSV polars cannot parse, with the line that breaks it where that can be found."""
    quote_at = np.flatnonzero(arr == 0x22)
    if quote_at.size % 2:
        line = _line_of(data, int(quote_at[-1]))
        return LiftcheckError(f"{name}：CSV 无法读取：第 {line} 行的引号（\"）没有闭合",
                              f"{name}: the CSV cannot be read: the quote (\") on line {line} is never closed")
    newline_at = np.flatnonzero(arr == 0x0A)
    if quote_at.size:
        newline_at = newline_at[(np.searchsorted(quote_at, newline_at) & 1) == 0]
    comma_at = np.flatnonzero(arr == 0x2C)
    if quote_at.size:
        comma_at = comma_at[(np.searchsorted(quote_at, comma_at) & 1) == 0]
    starts = np.concatenate(([0], newline_at + 1))
    stops = np.concatenate((newline_at, [len(data)]))
    fields = np.searchsorted(comma_at, stops) - np.searchsorted(comma_at, starts) + 1
    over = np.flatnonzero(fields[1:] > fields[0]) if len(fields) > 1 else []
    if len(over):
        i = int(over[0]) + 1
        line = _line_of(data, int(starts[i]))
        return LiftcheckError(
            f"{name}：CSV 无法读取：第 {line} 行有 {fields[i]} 个字段，表头只有 {fields[0]} 个（多了逗号？）",
            f"{name}: the CSV cannot be read: line {line} has {fields[i]} fields, the header {fields[0]} (a stray comma?)")
    detail = visible(detail)
    return LiftcheckError(f"{name}：CSV 无法读取：{detail}", f"{name}: the CSV cannot be read: {detail}")


class _Undecided(Exception):
    """The fast read did not go through: read the file the careful way, which says why."""


def _likely_utf8(data: bytes) -> bytes | None:
    """The file without its BOM when it may be read as UTF-8 as it is, its header decoding as
    UTF-8 (polars checks every cell it reads, but reads a header leniently); None otherwise."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    end = data.find(b"\n")
    try:
        data[:end if end >= 0 else len(data)].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return data


def _long_line(data: bytes) -> tuple[int, int] | None:
    """(line number, bytes) of the first line longer than MAX_LINE_BYTES, or None.

    Found without a pass over every byte: such a line covers a whole window of half that size,
    so one search for a line end per window finds it (150 searches over a city's 300 MB)."""
    if len(data) <= MAX_LINE_BYTES:
        return None
    end = b"\n" if b"\n" in data or b"\r" not in data else b"\r"   # classic Mac line ends: CR alone
    window = MAX_LINE_BYTES // 2
    at = 0
    while at < len(data):
        if data.find(end, at, at + window) >= 0:
            at += window
            continue
        start = data.rfind(end, 0, at) + 1
        stop = data.find(end, at)
        stop = len(data) if stop < 0 else stop
        if stop - start > MAX_LINE_BYTES:
            return data.count(end, 0, start) + 1, stop - start
        at = stop + 1
    return None


def _check_shape(data: bytes, name: str, json_lines: bool = False) -> None:
    """Refuse a record file whose lines, columns or rows are beyond the stated limits, on its
    bytes, before any parser allocates for them."""
    long = _long_line(data)
    if long is not None:
        line, size = long
        raise LiftcheckError(
            f"{name}：第 {line} 行长达 {size:,} 字节，超过每行上限 {MAX_LINE_BYTES:,} 字节，未读取"
            "（一条记录不会这样长：文件损坏，或不是记录文件？）",
            f"{name}: line {line} is {size:,} bytes long, over the limit of {MAX_LINE_BYTES:,} a line; not read "
            "(no record is that long: a damaged file, or not a file of records?)")
    lines = data.count(b"\n")
    if lines > MAX_FILE_ROWS:
        raise LiftcheckError(f"{name}：有 {lines:,} 行，超过每个文件 {MAX_FILE_ROWS:,} 行的上限，未读取（请分成几个文件）",
                             f"{name}: {lines:,} lines, over the limit of {MAX_FILE_ROWS:,} a file; not read "
                             "(split it into several files)")
    if json_lines:
        return
    first = data.find(b"\n")
    header = data[:first if first >= 0 else len(data)]
    columns = header.count(b",") + 1
    if columns > MAX_FILE_COLUMNS and b'"' in header:   # commas inside quotes are not separators
        import csv

        columns = len(next(csv.reader([header.decode("utf-8", "replace")]), []))
    if columns > MAX_FILE_COLUMNS:
        raise LiftcheckError(f"{name}：表头有 {columns:,} 列，超过上限 {MAX_FILE_COLUMNS:,} 列，未读取",
                             f"{name}: the header has {columns:,} columns, over the limit of {MAX_FILE_COLUMNS:,}; "
                             "not read")


def _read_csv(data: bytes, name: str) -> tuple[pl.DataFrame, _Layout | None, bool, bool, bool]:
    """(the cells as text, where each record is and how complete, free of control characters,
    may hold full-width digits, free of whitespace).

    A file is first read as UTF-8 as it is, polars checking the encoding as it reads (decoding
    a city's 300 MB in Python only to check it took 0.4 s); anything unusual on the way (a bad
    byte, a file polars refuses) sends it through the careful path, which decodes it first and
    names the problem."""
    _check_shape(data, name)
    if not data or data.isspace():
        return pl.DataFrame(), None, True, False, False
    fast = _likely_utf8(data)
    if fast is not None:
        try:
            return _parse_csv(fast, name, careful=False)
        except _Undecided:
            pass
    return _parse_csv(_decode_csv(data, name), name, careful=True)


def _parse_csv(data: bytes, name: str, careful: bool) -> tuple[pl.DataFrame, _Layout | None, bool, bool, bool]:
    if b"\r" in data and b"\n" not in data:   # classic Mac line ends: one line to polars otherwise
        data = data.replace(b"\r", b"\n")
    arr = np.frombuffer(data, dtype=np.uint8)
    # quotes first (a count is cheap): a file they make unreadable is refused before any parse
    quotes = _check_quotes(data, arr, name, careful)
    # polars parses in a thread while the byte checks run here (it releases the interpreter;
    # the checks hold it); its frame, or its error, is taken after them
    with ThreadPoolExecutor(max_workers=1) as pool:
        parsing = pool.submit(pl.read_csv, io.BytesIO(data), infer_schema=False, truncate_ragged_lines=False)
        marks = _marks(data)
        try:
            df = parsing.result()
        except pl.exceptions.PolarsError as exc:
            if not careful:
                raise _Undecided from None
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise _csv_problem(data, arr, name, first) from None
    if not careful and any("\ufffd" in c for c in df.columns):   # a header polars read leniently
        raise _Undecided
    layout = _layout(data, arr, df.height, quotes > 0, marks)
    clean = _free_of_controls(data, marks) and not layout.quoted_newlines
    # full-width forms (U+FF00-FFEF) start with EF BC; a regex finds them 2.5x faster than `in`
    fullwidth = b"\xef" in marks and _FULLWIDTH_FORMS.search(data) is not None
    return df, layout, clean, fullwidth, clean and _free_of_whitespace(marks)


def _check_quotes(data: bytes, arr: np.ndarray, name: str, careful: bool) -> int:
    """The number of quotes, once they are known to pair up and to leave the header whole."""
    quotes = data.count(b'"')
    if quotes % 2:   # a quote never closed swallows every line after it into one cell
        if not careful:
            raise _Undecided
        raise _csv_problem(data, arr, name, "unbalanced quotes")
    first_nl = data.find(b"\n")
    if data[:first_nl if first_nl >= 0 else len(data)].count(b'"') % 2:
        # A quote opened in the header and closed lines later: polars would read those lines as
        # part of the header and never as records (nor check their encoding)
        if not careful:
            raise _Undecided
        closed = _line_of(data, data.find(b'"', data.rfind(b'"', 0, first_nl) + 1))
        raise LiftcheckError(
            f"{name}：CSV 无法读取：第 1 行（表头）中的引号（\"）直到第 {closed} 行才闭合：表头中多了引号？",
            f"{name}: the CSV cannot be read: a quote (\") opened in the header (line 1) is closed only on "
            f"line {closed}: a stray quote in the header?")
    return quotes


_FULLWIDTH_FORMS = re.compile(b"\xef\xbc")

# Bytes that start or are a whitespace character as polars' strip_chars() sees it (Rust's
# char::is_whitespace, the Unicode White_Space property): \t \n \v \f \r and space; U+0085
# and U+00A0 (C2); U+1680 (E1); U+2000-200A, 2028, 2029, 202F, 205F (E2); U+3000 (E3).
_NOT_SPACE_LEAD = bytes(b for b in range(256) if b not in b"\t\n\x0b\x0c\r \xc2\xe1\xe2\xe3")


def _free_of_whitespace(marks: bytes) -> bool:
    """True when no cell of a CSV free of control characters (`_free_of_controls`: no lone CR,
    no newline inside a cell) can hold whitespace, so none needs stripping: no byte that may
    start a whitespace character, line ends aside (`marks`: the file's marked bytes, which
    include all of these). Text with Chinese punctuation (E3) or typographic quotes (E2) says
    False: its cells are then stripped, as always."""
    return not marks.translate(None, _NOT_SPACE_LEAD).translate(None, b"\r\n")


def _csv_source(rt: RecordType, data: bytes, name: str, raw: RawSubmission) -> tuple[SourceFile, pl.DataFrame]:
    df, layout, clean, fullwidth, spaceless = _read_csv(data, name)
    source = SourceFile(name, rt.name, "line", canonical=False, free_of_controls=clean, may_hold_fullwidth=fullwidth,
                        free_of_whitespace=spaceless)
    columns = list(df.columns)
    mapping = _header_map(rt, df, source, raw)
    source.columns = frozenset(mapping.values())
    if layout is not None and layout.lines is not None:
        df = df.with_columns(pl.Series(ROW_COL, layout.lines, dtype=pl.Int64))
    if layout is not None and layout.fields is not None:
        short = np.flatnonzero((layout.fields > 0) & (layout.fields < layout.header_fields))
        lines = layout.lines if layout.lines is not None else np.arange(df.height) + 2
        for i in short[:10_000]:
            have = int(layout.fields[i])
            # the first missing cell that a field would have been read from
            field_name = next((mapping[c] for c in columns[have:] if c in mapping), None)
            if field_name is not None:
                source.cell_problems.append(CellProblem(int(lines[i]), field_name, "short_row",
                                                        f"{have}/{layout.header_fields}"))
    return source, _conform(rt, df, name, raw, first_row=2, mapping=mapping)


# ---- JSON --------------------------------------------------------------------------------------

class _Refused(ValueError):
    """A JSON value liftcheck will not read, raised from inside the parser's hooks."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


class _Object(dict):
    """A JSON object that named a key more than once (the keys kept in `duplicates`)."""

    duplicates: list


def _object(pairs: list) -> dict:
    if len(pairs) > MAX_FILE_COLUMNS:
        raise _Refused(f"对象有 {len(pairs):,} 个键，超过上限 {MAX_FILE_COLUMNS:,} 个",
                       f"an object of {len(pairs):,} keys, over the limit of {MAX_FILE_COLUMNS:,}")
    obj: dict = {}
    for key, value in pairs:
        if key in obj:
            if not isinstance(obj, _Object):
                obj = _Object(obj)
                obj.duplicates = []
            obj.duplicates.append((key, obj[key], value))
            continue
        obj[key] = value
    return obj


def _constant(text: str):
    raise _Refused(f"不接受 {text}（JSON 里没有 NaN、Infinity）", f"{text} is not accepted (JSON has no NaN or Infinity)")


def _number_text(text: str) -> None:
    if len(text) > MAX_JSON_NUMBER_CHARS:
        raise _Refused(f"数字过长（{len(text):,} 个字符，最多 {MAX_JSON_NUMBER_CHARS} 个）",
                       f"a number too long ({len(text):,} characters, at most {MAX_JSON_NUMBER_CHARS})")


def _float(text: str) -> float:
    _number_text(text)
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"数字 {text} 超出范围", f"the number {text} is out of range")
    return value


def _int(text: str) -> int:
    _number_text(text)
    return int(text)


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_float=_float, parse_int=_int, parse_constant=_constant)
# Used only to find where an item that was refused ends, so the items after it are still read.
_LENIENT = json.JSONDecoder(parse_float=lambda s: 0.0, parse_int=lambda s: 0, parse_constant=lambda s: None)
_WS = re.compile(r"[ \t\n\r]*")
# A JSON string (or what is left of an unterminated one): possessive, so never quadratic.
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*+(?:"|\\?(?=\n)|\\?\Z)')
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _too_deep(text: str) -> int | None:
    """The line where brackets nest deeper than MAX_JSON_DEPTH, or None; strings are skipped."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return None
    bare = _STRING.sub('""', text).encode("utf-8")
    arr = np.frombuffer(bare, dtype=np.uint8)
    opens = np.flatnonzero((arr == 0x5B) | (arr == 0x7B))
    closes = np.flatnonzero((arr == 0x5D) | (arr == 0x7D))
    depth = np.arange(1, opens.size + 1) - np.searchsorted(closes, opens)
    over = np.flatnonzero(depth > MAX_JSON_DEPTH)
    return _line_of(bare, int(opens[over[0]])) if over.size else None


def _lone_surrogate(value) -> str | None:
    """The first string (or key) holding half of a surrogate pair, shown escaped."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return v.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return None


def _decode_json(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LiftcheckError(f"{name}：JSON 文件必须是 UTF-8 编码（这是 UTF-16），未读取",
                             f"{name}: a JSON file must be UTF-8 (this is UTF-16); not read")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        raise LiftcheckError(f"{name}：第 {line} 行（第 {exc.start} 字节）不是 UTF-8：JSON 文件必须是 UTF-8 编码，未读取",
                             f"{name}: line {line} (byte {exc.start}) is not UTF-8: a JSON file must be UTF-8; not read") from None


_NOT_TEXT = ("含有孤立的代理项（不是有效的 Unicode 文本）", "holds a lone surrogate (not valid Unicode text)")


def _lines(text: str):
    """(line number, line) of a text, one at a time (a list of every line would double it)."""
    start, number = 0, 1
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield number, text[start:end]
        start, number = end + 1, number + 1


def _parse_jsonl(text: str, name: str, raw: RawSubmission):
    """(line number, value) of each record of a JSON Lines text, as they are parsed."""
    for number, line in _lines(text):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        shown = visible(line[:80])
        deep = _too_deep(line)
        if deep is not None:
            raw.file_problems.append(_problem(name, number, "", shown, "too_deep",
                                              f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层，未读取",
                                              f"JSON nested deeper than {MAX_JSON_DEPTH} levels; not read"))
            continue
        try:
            value = _DECODER.decode(line)
        except json.JSONDecodeError as exc:
            raw.file_problems.append(_problem(name, number, "", shown, "invalid_json",
                                              f"不是有效的 JSON：{exc.msg}", f"not valid JSON: {exc.msg}"))
            continue
        except _Refused as exc:
            raw.file_problems.append(_problem(name, number, "", shown, "invalid_json", exc.zh, exc.en))
            continue
        except (RecursionError, ValueError) as exc:   # belt and braces: the limits above come first
            raw.file_problems.append(_problem(name, number, "", shown, "invalid_json",
                                              f"无法读取：{exc}", f"cannot be read: {exc}"))
            continue
        if _SURROGATE_ESCAPE.search(line) and (bad := _lone_surrogate(value)) is not None:
            raw.file_problems.append(_problem(name, number, "", visible(bad[:80]), "not_text", *_NOT_TEXT))
            continue
        yield number, value


def _parse_json_array(text: str, name: str, raw: RawSubmission):
    """Items of a JSON array, each parsed on its own so one refused item names its place; yielded
    as they are parsed."""
    deep = _too_deep(text)
    if deep is not None:
        raise LiftcheckError(f"{name}：第 {deep} 行的 JSON 嵌套超过 {MAX_JSON_DEPTH} 层，未读取",
                             f"{name}: line {deep}: JSON nested deeper than {MAX_JSON_DEPTH} levels; not read")
    pos = _WS.match(text, 0).end()
    if pos == len(text):
        return
    if text[pos] != "[":
        try:
            _DECODER.decode(text)
        except json.JSONDecodeError as exc:
            raise LiftcheckError(f"{name}：第 {exc.lineno} 行不是有效的 JSON：{exc.msg}",
                                 f"{name}: line {exc.lineno} is not valid JSON: {exc.msg}") from None
        except ValueError:
            pass
        raise LiftcheckError(f"{name}：应为 JSON 数组（每项一条记录）",
                             f"{name}: expected a JSON array (one item per record)")
    line, seen = 1, 0
    pos = _WS.match(text, pos + 1).end()
    index = 0
    surrogates = _SURROGATE_ESCAPE.search(text) is not None
    while pos < len(text) and text[pos] != "]":
        line += text.count("\n", seen, pos)
        seen = pos
        refused = False
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise LiftcheckError(f"{name}：第 {exc.lineno} 行不是有效的 JSON：{exc.msg}",
                                 f"{name}: line {exc.lineno} is not valid JSON: {exc.msg}") from None
        except (_Refused, ValueError, RecursionError) as exc:
            zh, en = (exc.zh, exc.en) if isinstance(exc, _Refused) else (f"无法读取：{exc}", f"cannot be read: {exc}")
            try:
                _, end = _LENIENT.raw_decode(text, pos)
            except (ValueError, RecursionError):
                raise LiftcheckError(f"{name}：第 {line} 行（第 {index} 项）无法读取：{zh}",
                                     f"{name}: line {line} (item {index}) cannot be read: {en}") from None
            raw.file_problems.append(_problem(name, index, "", visible(text[pos:min(end, pos + 80)]), "invalid_json",
                                              f"{zh}（第 {line} 行）", f"{en} (line {line})", row_kind="item"))
            refused = True
        else:
            if surrogates and (bad := _lone_surrogate(value)) is not None:
                raw.file_problems.append(_problem(name, index, "", visible(bad[:80]), "not_text",
                                                  f"{_NOT_TEXT[0]}（第 {line} 行）", f"{_NOT_TEXT[1]} (line {line})",
                                                  row_kind="item"))
                refused = True
            elif end - pos > MAX_LINE_BYTES:
                raw.file_problems.append(_problem(
                    name, index, "", visible(text[pos:pos + 80]), "invalid_json",
                    f"这一项长达 {end - pos:,} 个字符，超过上限 {MAX_LINE_BYTES:,}（第 {line} 行）",
                    f"an item of {end - pos:,} characters, over the limit of {MAX_LINE_BYTES:,} (line {line})",
                    row_kind="item"))
                refused = True
        if not refused:
            yield index, value
        index += 1
        if index > MAX_FILE_ROWS:
            raise LiftcheckError(f"{name}：超过 {MAX_FILE_ROWS:,} 项，超过每个文件的上限，未读取（请分成几个文件）",
                                 f"{name}: more than {MAX_FILE_ROWS:,} items, over the limit a file; not read "
                                 "(split it into several files)")
        pos = _WS.match(text, end).end()
        if pos < len(text) and text[pos] == ",":
            pos = _WS.match(text, pos + 1).end()
        elif pos < len(text) and text[pos] != "]":
            line += text.count("\n", seen, pos)
            raise LiftcheckError(f"{name}：第 {line} 行不是有效的 JSON：应为逗号或 ]",
                                 f"{name}: line {line} is not valid JSON: expected ',' or ']'")
    if pos >= len(text):
        raise LiftcheckError(f"{name}：JSON 数组没有结束（缺少 ]）", f"{name}: the JSON array never ends (no closing ])")
    if text[pos + 1:].strip():
        line += text.count("\n", seen, pos)
        raise LiftcheckError(f"{name}：第 {line} 行之后还有多余的内容", f"{name}: extra data after the array (line {line})")


def _json_value(value, kind: str) -> tuple[str | None, str | None]:
    """(a JSON value as the validator's string, or the JSON text to show when its JSON type is wrong)."""
    if value is None:
        return None, None
    ok = {
        "string": isinstance(value, str), "enum": isinstance(value, str), "date": isinstance(value, str),
        "datetime": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool)
        or isinstance(value, float) and value.is_integer(),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "list": isinstance(value, list) and all(isinstance(v, str) for v in value),
    }[kind]
    # an empty or blank string is a value, not an absence, in JSON: the schemas refuse it
    blank = (isinstance(value, str) and not value.strip()) or (
        isinstance(value, list) and any(isinstance(v, str) and not v.strip() for v in value))
    if not ok or blank:
        return None, json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    if isinstance(value, float) and kind == "integer":
        return str(int(value)), None
    if isinstance(value, list):
        return ";".join(value), None
    return str(value), None


def _json_records(rt: RecordType, items, source: SourceFile, raw: RawSubmission) -> pl.DataFrame:
    """The records as columns of text, taken from the items as they are parsed (no item is kept)."""
    display, row_kind = source.display, source.row_kind
    kinds = {f.name: f.kind for f in rt.fields}
    rows: dict[str, list] = {ROW_COL: []} | {n: [] for n in kinds}
    present: set[str] = set()
    for where, item in items:
        if not isinstance(item, dict):
            raw.file_problems.append(_problem(display, where, "", visible(json.dumps(item, ensure_ascii=False)[:80]),
                                              "not_an_object", "应为 JSON 对象", "expected a JSON object",
                                              row_kind=row_kind))
            continue
        unknown = [k for k in item if k not in kinds]
        for k in unknown:
            raw.file_problems.append(_problem(display, where, visible(k), visible(json.dumps(item[k], ensure_ascii=False)[:80]),
                                              "unknown_field", f"未知字段（{rt.name} 没有这个字段）",
                                              f"unknown field ({rt.name} has no such field)", row_kind=row_kind))
        rows[ROW_COL].append(where)
        present.update(k for k in item if k in kinds)
        for name, kind in kinds.items():
            text, wrong = _json_value(item.get(name), kind)
            rows[name].append(text)
            if wrong is not None:
                source.cell_problems.append(CellProblem(where, name, "json_type", wrong))
        for key, first, again in getattr(item, "duplicates", []):
            if key in kinds:
                shown = f"{json.dumps(first, ensure_ascii=False)} / {json.dumps(again, ensure_ascii=False)}"
                source.cell_problems.append(CellProblem(where, key, "duplicate_key", shown))
    source.columns = frozenset(present)
    schema = {ROW_COL: pl.Int64} | {n: pl.String for n in kinds}
    return pl.DataFrame(rows, schema=schema)


def _json_source(rt: RecordType, data: bytes, name: str, lines: bool, raw: RawSubmission) -> tuple[SourceFile, pl.DataFrame]:
    if len(data) > MAX_JSON_BYTES:
        raise too_large(name, len(data), MAX_JSON_BYTES,
                        ("（JSON 文件用于一个单位规模的数据；全市规模请提交 CSV）",
                         " (JSON is for a firm's records; submit a city's as CSV)"))
    if lines:
        _check_shape(data, name, json_lines=True)
    text = _decode_json(data, name)
    source = SourceFile(name, rt.name, "line" if lines else "item", canonical=True)
    items = _parse_jsonl(text, name, raw) if lines else _parse_json_array(text, name, raw)
    frame = _json_records(rt, items, source, raw)
    return source, frame.select(pl.lit(name).alias(FILE_COL), ROW_COL, *rt.field_names)


# ---- workbooks ---------------------------------------------------------------------------------

def _read_workbook(data: bytes, name: str, raw: RawSubmission) -> None:
    from checker.workbook import read_sheets

    def wanted(sheet: str) -> bool:
        return sheet != INSTRUCTIONS_SHEET and (sheet == DECLARATION_SHEET or record_type_for_name(sheet) is not None)

    sheets, others = read_sheets(data, name, wanted, raw.unpacked)
    for sheet_name in others:
        if sheet_name != INSTRUCTIONS_SHEET:
            raw.unknown_files.append(visible(f"{name}[{sheet_name}]"))
    for sheet in sheets:
        if sheet.name == DECLARATION_SHEET:
            _declaration_sheet(sheet, visible(f"{name}[{sheet.name}]"), raw)
            continue
        rt = record_type_for_name(sheet.name)
        display = visible(f"{name}[{sheet.name}]")
        source = SourceFile(display, rt.name, "row", canonical=False)
        mapping = _header_map(rt, sheet.frame, source, raw, header_row=sheet.header_row)
        source.columns = frozenset(mapping.values())
        frame = sheet.frame
        if sheet.hidden:
            raw.file_problems.append(_problem(display, None, "", sheet.name, "hidden_sheet",
                                              "这是隐藏的工作表，其中的记录已读取", "a hidden sheet; its records were read",
                                              severity="warning", row_kind="row"))
        last_row = sheet.header_row + frame.height
        for cell in sheet.bad_cells:
            column = sheet.columns.get(cell.column)
            field_name = mapping.get(column) if column is not None else None
            if sheet.header_row < cell.row <= last_row and field_name is not None:
                source.cell_problems.append(CellProblem(cell.row, field_name, cell.code, visible(cell.shown), cell.ref))
                continue
            if sheet.header_row < cell.row <= last_row:
                continue   # in a column that is not read (no header, or an unknown one): no record changes
            # in the header, above it, or in a row calamine sees as empty: a field or a whole
            # record liftcheck cannot read, and not one to lose without a word
            what_zh = "公式没有保存的计算结果" if cell.code == "formula" else "单元格是错误值"
            what_en = "a formula without a saved value" if cell.code == "formula" else "an error value"
            raw.file_problems.append(_problem(
                f"{display}!{cell.ref}", cell.row, "", visible(cell.shown), cell.code,
                f"{what_zh}，这一格的内容读不到（请在 Excel 中重新计算并保存）",
                f"{what_en}: this cell cannot be read (recalculate and save the workbook in Excel)",
                row_kind="row"))
        raw.frames.setdefault(rt.name, []).append(
            (source, _conform(rt, frame, display, raw, first_row=sheet.header_row + 1, mapping=mapping,
                              keep_rows={p.row for p in source.cell_problems})))


def _declaration_sheet(sheet, display: str, raw: RawSubmission) -> None:
    """The sheet 说明: a row per record type, 记录类型 and 起始日期 (checker/declaration.py)."""
    from checker.declaration import from_sheet

    frame = sheet.frame
    type_col = next((c for c in frame.columns if c.strip() in TYPE_HEADERS), None)
    day_col = next((c for c in frame.columns if c.strip() in DAY_HEADERS), None)
    omitted_col = next((c for c in frame.columns if c.strip() in OMITTED_HEADERS), None)
    rows = []
    if type_col is not None and day_col is not None:
        omitted = frame.get_column(omitted_col).to_list() if omitted_col is not None else [None] * frame.height
        for i, (type_name, day, left_out) in enumerate(zip(frame.get_column(type_col).to_list(),
                                                           frame.get_column(day_col).to_list(), omitted)):
            if all(v is None or not str(v).strip() for v in (type_name, day, left_out)):
                continue
            rows.append((sheet.header_row + 1 + i, type_name, day, left_out))
    _declared(raw, *from_sheet(rows, display, type_col is not None and day_col is not None), row_kind="row")


def _declared(raw: RawSubmission, declaration: Declaration, problems: list, row_kind: str) -> None:
    """Keep a declaration, or refuse it with each problem named (file, row or key, value)."""
    from checker.declaration import DeclarationProblem

    if raw.declaration.source is not None:   # a folder's workbooks may each carry a sheet 说明
        problems = [*problems, DeclarationProblem(
            declaration.source or "", None, "", declaration.source or "",
            f"提交的数据中已有一份声明（{raw.declaration.source}），只能有一份",
            f"the submission already holds a declaration ({raw.declaration.source}); only one is allowed")]
    for p in problems:
        raw.file_problems.append(_problem(p.file, p.row, p.key, p.value, "declaration", p.zh, p.en, row_kind=row_kind))
    if not problems:
        raw.declaration = declaration


# ---- the submission ----------------------------------------------------------------------------

def load_submission(path: str | Path) -> RawSubmission:
    """Read every record file of a submission folder, or the sheets of one workbook."""
    root = Path(path)
    try:
        mode = os.stat(root).st_mode   # a link the user named on the command line is followed
    except FileNotFoundError:
        raise LiftcheckError(f"找不到提交的数据：{visible(root)}", f"submission not found: {visible(root)}") from None
    except OSError as exc:
        raise LiftcheckError(f"无法读取提交的数据 {visible(root)}：{exc.strerror}",
                             f"cannot read the submission {visible(root)}: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        from checker.columnar import is_dataset, read_dataset

        if is_dataset(root):  # `liftcheck convert`'s Parquet: typed and validated when it was written
            return RawSubmission(root=root, validated=read_dataset(root))
    raw = RawSubmission(root=root)
    name = visible(root.name)
    if not stat.S_ISDIR(mode):
        if not stat.S_ISREG(mode):
            zh, en = _kind_of(mode)
            raise LiftcheckError(f"{name}：{zh}，不是普通文件，未读取", f"{name}: {en}, not a regular file; not read")
        if root.suffix.lower() != ".xlsx":
            raise LiftcheckError(f"{name}：单个文件必须是 .xlsx 工作簿；CSV/JSON 请放在文件夹里提交",
                                 f"{name}: a single file must be an .xlsx workbook; submit CSV/JSON files in a folder")
        _read_workbook(_read_regular(root), name, raw)
        return raw
    files, folders = _scan_folder(root)
    raw.unknown_files.extend(visible(f) for f in folders)   # a sub-folder is not read; say so
    inside = root.resolve()
    prefetched = take_prefetched(root)   # what `check` read while it imported (files.prefetch)

    def read(file: Path) -> bytes:
        data = prefetched.pop(file, None)
        data = data if data is not None else _read_regular(file, inside)
        raw.bytes_read += len(data)
        if raw.bytes_read > MAX_SUBMISSION_BYTES:
            raise LiftcheckError(f"{visible(root)}：提交的文件合计超过 {size_text(MAX_SUBMISSION_BYTES)}，超过上限，未读取"
                                 "（请按区或按期间分成几份提交）",
                                 f"{visible(root)}: the submission's files hold more than "
                                 f"{size_text(MAX_SUBMISSION_BYTES)} in all, over the limit; not read "
                                 "(split it by district or by period)")
        return data

    for file in files:
        suffix = file.suffix.lower()
        name = visible(file.name)
        if file.name == DECLARATION_FILE:
            from checker.declaration import from_yaml

            _declared(raw, *from_yaml(read(file), name), row_kind="line")
            continue
        rt = record_type_for_name(file.stem) if suffix in SUFFIXES else None
        if rt is None:
            if suffix == ".xlsx":
                _read_workbook(read(file), name, raw)
            else:
                raw.unknown_files.append(name)
            continue
        data = read(file)
        if suffix == ".csv":
            source, frame = _csv_source(rt, data, name, raw)
        else:
            source, frame = _json_source(rt, data, name, suffix == ".jsonl", raw)
        raw.frames.setdefault(rt.name, []).append((source, frame))
    return raw

