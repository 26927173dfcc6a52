"""Read a submission (a folder of CSV/JSONL/JSON files, or one .xlsx workbook) into raw frames.

Every value stays a string here; typing and checking are validate.py's job. Each frame
carries `_file` (what to call the file in messages) and `_row` (the line, item or sheet row
a person finds the record at), so every later problem can point back at its source.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from checker.contract import RecordType, record_type_for_name
from checker.errors import LiftcheckError

FILE_COL = "_file"
ROW_COL = "_row"
# A JSON value of the wrong JSON type is kept as this prefix + its JSON text, so the
# validator reports it as a type error instead of silently reading "12" as 12.
JSON_TYPE_MARK = "\x00json:"

SUFFIXES = (".csv", ".jsonl", ".json")
# The instructions sheet of `liftcheck template`: part of the workbook, not records.
INSTRUCTIONS_SHEET = "填写说明"


@dataclass
class SourceFile:
    """One file (or sheet) that held records of one type."""

    display: str          # e.g. "daily_checks.csv" or "book.xlsx[elevators]"
    record_type: str
    row_kind: str         # "line" (CSV, JSONL), "item" (JSON array index), "row" (sheet row)
    canonical: bool       # JSON inputs must be in the schemas' canonical form


@dataclass
class RawSubmission:
    root: Path
    frames: dict[str, list[tuple[SourceFile, pl.DataFrame]]] = field(default_factory=dict)
    file_problems: list[dict] = field(default_factory=list)   # whole-file problems (few)
    unknown_files: list[str] = field(default_factory=list)

    @property
    def present_types(self) -> set[str]:
        return set(self.frames)


def _problem(file: str, row: int | None, field_name: str, value: str, code: str, zh: str, en: str,
             severity: str = "error", row_kind: str = "line") -> dict:
    return {"severity": severity, "file": file, "row": row, "row_kind": row_kind, "field": field_name,
            "value": value, "code": code, "expected_zh": zh, "expected_en": en}


def _header_map(rt: RecordType, columns: list[str], display: str, raw: RawSubmission) -> dict[str, str]:
    """Map the file's column headers (English names or Chinese labels) to field names."""
    by_header = rt.headers()
    mapping: dict[str, str] = {}
    for col in columns:
        # polars renames a repeated header "date" to "date_duplicated_0": it is still "date"
        header = re.sub(r"_duplicated_\d+$", "", col.strip().lstrip("\ufeff"))
        name = by_header.get(header)
        if name is None:
            raw.file_problems.append(_problem(display, 1, col, col, "unknown_column",
                                              f"未知列，已忽略（{rt.name} 没有这个字段）",
                                              f"unknown column, ignored ({rt.name} has no such field)",
                                              severity="warning"))
            continue
        if name in mapping.values():
            raw.file_problems.append(_problem(display, 1, name, header, "duplicate_column",
                                              "同一字段出现了两列", "the same field appears in two columns"))
            continue
        mapping[col] = name
    return mapping


def _conform(rt: RecordType, df: pl.DataFrame, display: str, raw: RawSubmission,
             first_row: int) -> pl.DataFrame:
    """Rename headers to field names, add absent fields as nulls, attach file and row."""
    mapping = _header_map(rt, [c for c in df.columns if c not in (FILE_COL, ROW_COL)], display, raw)
    if ROW_COL not in df.columns:  # numbered before any column is dropped, so no row can vanish
        df = df.with_row_index(ROW_COL, offset=first_row).with_columns(pl.col(ROW_COL).cast(pl.Int64))
    # Spreadsheets leave blank rows (",,,," or an empty line): no data in any column, so not a
    # record — ignored, and said so.
    cells = [c for c in df.columns if c not in (FILE_COL, ROW_COL)]
    blank = pl.all_horizontal([pl.col(c).is_null() for c in cells]) if cells else pl.lit(False)
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


def _read_csv(path: Path) -> pl.DataFrame:
    data = path.read_bytes()
    if not data or data.isspace():
        return pl.DataFrame()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise LiftcheckError(
                f"{path.name}：无法识别的文件编码（支持 UTF-8、带 BOM 的 UTF-8 和 GB18030），第 {exc.start} 字节出错",
                f"{path.name}: unrecognised encoding (UTF-8, UTF-8 with BOM and GB18030 are accepted); bad byte at offset {exc.start}",
            ) from None
        data = text.encode("utf-8")
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
    try:
        return pl.read_csv(io.BytesIO(data), infer_schema=False,
                           truncate_ragged_lines=False)
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LiftcheckError(f"{path.name}：CSV 无法读取：{first}", f"{path.name}: the CSV cannot be read: {first}") from None


def _json_value(value, kind: str) -> str | None:
    """A JSON value as the validator's string, or a type-error mark when its JSON type is wrong."""
    if value is None:
        return None
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
        return JSON_TYPE_MARK + json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and kind == "integer":
        return str(int(value))
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def _json_records(rt: RecordType, items: list[tuple[int, object]], display: str, raw: RawSubmission,
                  row_kind: str) -> pl.DataFrame:
    kinds = {f.name: f.kind for f in rt.fields}
    rows: dict[str, list] = {ROW_COL: []} | {n: [] for n in kinds}
    for where, item in items:
        if not isinstance(item, dict):
            raw.file_problems.append(_problem(display, where, "", json.dumps(item, ensure_ascii=False)[:80],
                                              "not_an_object", "应为 JSON 对象", "expected a JSON object",
                                              row_kind=row_kind))
            continue
        unknown = [k for k in item if k not in kinds]
        for k in unknown:
            raw.file_problems.append(_problem(display, where, k, json.dumps(item[k], ensure_ascii=False)[:80],
                                              "unknown_field", f"未知字段（{rt.name} 没有这个字段）",
                                              f"unknown field ({rt.name} has no such field)", row_kind=row_kind))
        rows[ROW_COL].append(where)
        for name, kind in kinds.items():
            rows[name].append(_json_value(item.get(name), kind))
    schema = {ROW_COL: pl.Int64} | {n: pl.String for n in kinds}
    return pl.DataFrame(rows, schema=schema)


def _read_json(path: Path, rt: RecordType, raw: RawSubmission) -> pl.DataFrame:
    text = _decode_text(path)
    if path.suffix == ".jsonl":
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raw.file_problems.append(_problem(path.name, number, "", line[:80], "invalid_json",
                                                  f"不是有效的 JSON：{exc.msg}", f"not valid JSON: {exc.msg}"))
        return _json_records(rt, items, path.name, raw, "line")
    try:
        data = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as exc:
        raise LiftcheckError(f"{path.name}：第 {exc.lineno} 行不是有效的 JSON：{exc.msg}",
                             f"{path.name}: line {exc.lineno} is not valid JSON: {exc.msg}") from None
    if not isinstance(data, list):
        raise LiftcheckError(f"{path.name}：应为 JSON 数组（每项一条记录）",
                             f"{path.name}: expected a JSON array (one item per record)")
    return _json_records(rt, list(enumerate(data)), path.name, raw, "item")


def _decode_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LiftcheckError(f"{path.name}：无法识别的文件编码", f"{path.name}: unrecognised encoding")


def _read_workbook(path: Path, raw: RawSubmission) -> None:
    try:
        sheets = pl.read_excel(path, sheet_id=0, engine="calamine", infer_schema_length=0,
                               drop_empty_rows=True, raise_if_empty=False)
    except Exception as exc:  # fastexcel raises its own types for truncated or foreign files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LiftcheckError(f"{path.name}：无法读取 Excel 工作簿（文件损坏或不是 .xlsx）：{first}",
                             f"{path.name}: cannot read the Excel workbook (damaged or not .xlsx): {first}") from None
    for sheet, df in sheets.items():
        if sheet == INSTRUCTIONS_SHEET:
            continue
        rt = record_type_for_name(sheet)
        display = f"{path.name}[{sheet}]"
        if rt is None:
            raw.unknown_files.append(display)
            continue
        raw.frames.setdefault(rt.name, []).append(
            (SourceFile(display, rt.name, "row", canonical=False), _conform(rt, df, display, raw, first_row=2)))


def load_submission(path: str | Path) -> RawSubmission:
    """Read every record file of a submission folder, or the sheets of one workbook."""
    root = Path(path)
    if not root.exists():
        raise LiftcheckError(f"找不到提交的数据：{root}", f"submission not found: {root}")
    raw = RawSubmission(root=root)
    if root.is_file():
        if root.suffix.lower() != ".xlsx":
            raise LiftcheckError(f"{root.name}：单个文件必须是 .xlsx 工作簿；CSV/JSON 请放在文件夹里提交",
                                 f"{root.name}: a single file must be an .xlsx workbook; submit CSV/JSON files in a folder")
        _read_workbook(root, raw)
        return raw
    for file in sorted(root.iterdir()):
        if file.name.startswith("."):
            continue
        if file.is_dir():  # a sub-folder is not read; say so rather than ignore it
            raw.unknown_files.append(file.name + "/")
            continue
        rt = record_type_for_name(file.stem) if file.suffix.lower() in SUFFIXES else None
        if rt is None:
            if file.suffix.lower() == ".xlsx":
                _read_workbook(file, raw)
            else:
                raw.unknown_files.append(file.name)
            continue
        if file.suffix.lower() == ".csv":
            df = _read_csv(file)
            frame = _conform(rt, df, file.name, raw, first_row=2)
            source = SourceFile(file.name, rt.name, "line", canonical=False)
        else:
            frame = _read_json(file, rt, raw)
            frame = frame.select(pl.lit(file.name).alias(FILE_COL), ROW_COL, *rt.field_names)
            source = SourceFile(file.name, rt.name, "line" if file.suffix == ".jsonl" else "item", canonical=True)
        raw.frames.setdefault(rt.name, []).append((source, frame))
    return raw


