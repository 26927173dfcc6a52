"""`liftcheck template`: an Excel workbook for property firms to fill in, one sheet per record type.

Headers are the Chinese labels (what the loader reads back), each with a prompt (shown when
the header cell is selected) giving the English name, whether it is required and what it
takes; coded fields get dropdowns of their Chinese names, yes/no fields 是/否, date columns a
date format, and every text column (ids above all: a 16-digit 设备代码 typed into a General
cell becomes 3.11E+15) the text format "@". The first sheet, 填写说明, explains the workbook;
the loader knows it and does not read it as records. The second, 说明, is the declaration of
the history the workbook holds and of the columns it leaves out on purpose (记录类型, 起始日期,
有意不填的列; checker/declaration.py), empty until the firm fills it in. An existing file is never
overwritten: it may be filled in already.

The prompts are data-validation input messages, not cell comments: a comment costs a workbook
three parts (the comments, a VML drawing, their relationships), which took the template to 82
parts, past the portal's limit of 64 for an upload (issue 25); the workbook now has 28.

`write_filled` writes the same workbook with records in it, as a clerk would have typed them:
Chinese names for codes (在用, 正常, 半月), 是/否, dates as dates: the demo's 我的数据.xlsx is one,
and the loader reads it back to exactly the records it was written from (tests/test_chinese_outputs.py).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import xlsxwriter

from checker.contract import record_types
from checker.declaration import DAY_HEADERS, DECLARATION_SHEET, OMITTED_HEADERS, TYPE_HEADERS
from checker.errors import LiftcheckError
from checker.load import INSTRUCTIONS_SHEET
from checker.outputs import XLSX_OPTIONS, atomic_output

if TYPE_CHECKING:
    import polars as pl

_KIND_ZH = {"string": "文字", "enum": "从下拉列表选择", "integer": "整数", "number": "数字", "boolean": "是/否",
            "date": "日期（如 2024-01-05）", "datetime": "日期时间（如 2024-01-05 10:30）", "list": "多个值用 ; 分隔"}


GUIDE = [
    ("liftcheck 数据填报模板", "南京市老旧住宅电梯安全评估及整治意见（征求意见稿）合规自查"),
    ("怎样填", "每个工作表是一类记录。第一行是表头，不要改动；从第二行起每行一条记录。"
              "橙色表头为必填，蓝色为选填。点选表头单元格可看到字段说明（英文字段名、是否必填、怎样填）。"),
    ("必填的表", "「单位」和「电梯」两张表必须填写；其他表按实际记录填写。"),
    ("没有记录的表", "保留工作表、只留表头 = 提交了这类记录，但一条也没有，照常评判"
                   "（例如每日检查表是空的，就是每天都缺检查）。"
                   "删除整张工作表 = 没有提交这类记录，依赖它的规则列为“未评判”。两者结论不同，请按实际选择。"),
    ("说明（记录起始日）", "可选。在「说明」表中按行写明：从哪一天起，本文件包含某类记录的全部记录（记录类型、起始日期）。"
                     "起始日之前的缺失不判为违规，报告中列为“未评判”；没有声明时，以该类最早的一条记录为起点。"
                     "声明之后不能再往后推（信用账本保留最早的声明）。"),
    ("留空与默认值", "有默认值的字段（电梯的状态、保障房、住宅电梯，每日检查的检查结果，维保的现场维保）留空时按默认值读取，"
                 "校验和检查结果中会列出每张表有几条记录按默认值读取。"
                 "删除「状态」或「保障房」整列是错误（它们决定哪些电梯参与评判、按哪个维保间隔评判），"
                 "除非在「说明」表该类记录一行的“有意不填的列”中写明（如：电梯 | 留空 | 状态;保障房），"
                 "此时全部记录按默认值（在用、非保障房）读取。"),
    ("编号和日期", "编号列（设备代码、统一社会信用代码等）已设为文本格式，可直接输入或粘贴，长数字不会变成 3.11E+15；"
                 "粘贴时请选“只粘贴值”，以免带入原来的格式。日期列已设为日期格式，输入 2024-01-05 即可。"),
    ("检查", "liftcheck validate 本文件.xlsx  —— 列出每个问题（工作表、行、字段、值、应填什么）\n"
            "liftcheck check 本文件.xlsx --from 2024-01-01 --to 2024-12-31 -o 违规清单.xlsx"),
]


def refuse_existing(path: Path) -> None:
    """A clerk's filled-in workbook is never overwritten: there is no --force for the template."""
    if os.path.lexists(path) and not os.path.isdir(path):  # a folder is check_output's to refuse
        raise LiftcheckError(f"{path} 已存在，不会覆盖（它可能是已填好的数据）；请换一个文件名，或先把它移走",
                             f"{path} exists and is never overwritten (it may hold data already filled in); "
                             "choose another name or move it away first")


def write_template(path: Path) -> Path:
    """The workbook, written whole or not at all, and never over an existing file."""
    refuse_existing(path)
    with atomic_output(path) as tmp:
        _write(tmp)
    return path


def write_filled(tables: dict[str, pl.DataFrame], path: Path) -> Path:
    """The template with `tables` (record type → records, as checker.sample makes them) filled in as a
    clerk types them; written whole or not at all (over an existing file: the caller checked the path)."""
    from checker.sample import EXCEL_MAX_ROWS

    too_big = {n: df.height for n, df in tables.items() if df.height > EXCEL_MAX_ROWS}
    if too_big:
        name, rows = next(iter(too_big.items()))
        raise LiftcheckError(f"{name} 有 {rows} 行，超过 Excel 单表上限 {EXCEL_MAX_ROWS} 行；请改用 CSV 文件夹",
                             f"{name} has {rows} rows, over Excel's {EXCEL_MAX_ROWS}-row sheet limit; use a CSV folder")
    with atomic_output(path) as tmp:
        _write(tmp, tables)
    return path


def _typed(f, value):
    """A record's value as a clerk enters it in the template: the Chinese name of a code, 是/否, a
    date (the column's date format shows it), a list as 'a;b'."""
    if value is None:
        return None
    if f.kind == "enum":
        return f.enum_labels.get(value, value)
    if f.kind == "boolean":
        return "是" if value else "否"
    if f.kind == "list":
        return ";".join(f.enum_labels.get(v, v) for v in value)
    if f.kind == "datetime" and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if f.kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _write(path: Path, tables: dict[str, pl.DataFrame] | None = None) -> None:
    with xlsxwriter.Workbook(path, XLSX_OPTIONS) as wb:
        bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        required = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
        date = wb.add_format({"num_format": "yyyy-mm-dd"})
        stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        text = wb.add_format({"num_format": "@"})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        guide = wb.add_worksheet(INSTRUCTIONS_SHEET)
        guide.set_column(0, 0, 34)
        guide.set_column(1, 1, 90)
        lines = GUIDE
        for row, (a, b) in enumerate(lines):
            guide.write(row, 0, a, bold)
            guide.write(row, 1, b, wrap)
        guide.write(len(lines) + 1, 0, "工作表 Sheet", bold)
        guide.write(len(lines) + 1, 1, "也可以提交为 CSV 文件 The same records as a CSV file", bold)
        for i, rt in enumerate(record_types().values(), start=len(lines) + 2):
            guide.write(i, 0, rt.label)
            guide.write(i, 1, f"{rt.name}.csv")
        declared = wb.add_worksheet(DECLARATION_SHEET)
        declared.write(0, 0, TYPE_HEADERS[0], bold)
        declared.write(0, 1, DAY_HEADERS[0], bold)
        declared.write(0, 2, OMITTED_HEADERS[0], bold)
        declared.set_column(0, 0, 28, text)
        declared.set_column(1, 1, 16, date)
        declared.set_column(2, 2, 30, text)
        _prompt(declared, 0, TYPE_HEADERS[0], "record_type 选填：从下拉列表选择记录类型（每类一行）")
        _prompt(declared, 1, DAY_HEADERS[0], "records_from 选填：从这一天起，本文件包含该类记录的全部记录（如 2024-01-01）")
        _prompt(declared, 2, OMITTED_HEADERS[0], "omitted_columns 选填：这类记录有意不填的列（如 状态;保障房），"
                                                 "全部记录按默认值读取；可以只填这一列、不填起始日期")
        declared.data_validation(1, 0, 100, 0, {"validate": "list",
                                                "source": [rt.label for rt in record_types().values()]})
        for rt in record_types().values():
            ws = wb.add_worksheet(rt.label[:31])
            ws.freeze_panes(1, 0)
            for col, f in enumerate(rt.fields):
                ws.write(0, col, f.label, required if f.required else bold)
                ws.set_column(col, col, max(12, len(f.label) * 2 + 2, 20 if f.kind == "string" else 0),
                              {"date": date, "datetime": stamp, "integer": None, "number": None}.get(f.kind, text))
                note = [f"{f.name}", "必填" if f.required else "选填", _KIND_ZH[f.kind]]
                if f.ref:
                    note.append(f"须与「{record_types()[f.ref].label}」中的编号一致")
                if f.kind == "enum":
                    note.append("可选：" + "、".join(f.enum_labels.values()))
                if f.default is not None:
                    note.append(f"留空即为 {f.enum_labels.get(f.default, '是' if f.default is True else '否' if f.default is False else f.default)}")
                _prompt(ws, col, f.label, "\n".join(note))
                if f.kind == "enum":
                    ws.data_validation(1, col, 100_000, col, {"validate": "list", "source": list(f.enum_labels.values())})
                elif f.kind == "boolean":
                    ws.data_validation(1, col, 100_000, col, {"validate": "list", "source": ["是", "否"]})
            if tables is not None and rt.name in tables:
                _fill(ws, rt, tables[rt.name], {"date": date, "datetime": stamp, "text": text})


def _fill(ws, rt, df: pl.DataFrame, formats: dict) -> None:
    """The records under the header, each cell as `_typed` gives it."""
    columns = [(col, f) for col, f in enumerate(rt.fields) if f.name in df.columns]
    for row, record in enumerate(df.select([f.name for _, f in columns]).iter_rows(), start=1):
        for (col, f), value in zip(columns, record):
            value = _typed(f, value)
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                ws.write_datetime(row, col, value, formats["datetime"])
            elif isinstance(value, dt.date):
                ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), formats["date"])
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(row, col, value)
            else:
                ws.write_string(row, col, str(value), formats["text"])


def _prompt(ws, col: int, title: str, message: str) -> None:
    """A header cell's note, shown when the cell is selected (Excel, WPS and LibreOffice alike)."""
    ws.data_validation(0, col, 0, col, {"validate": "any", "input_title": title[:32], "input_message": message[:255]})
