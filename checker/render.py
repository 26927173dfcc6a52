"""Rendering for people (rich tables, capped) and machines (JSON, CSV, xlsx). Never recomputes a verdict."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table

from checker.contract import record_types
from checker.errors import LiftcheckError
from checker.validate import Submission

DISPLAY_CAP = 50


def write_table(df: pl.DataFrame, path: Path) -> None:
    """A full list to a file, by its suffix: .csv, .json, .jsonl or .xlsx."""
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    flat = df.with_columns([pl.col(c).cast(pl.String) for c, t in df.schema.items()
                            if t in (pl.Date, pl.Datetime) or isinstance(t, pl.Datetime)])
    if suffix == ".csv":
        flat.with_columns([pl.col(c).list.join(";") for c, t in flat.schema.items() if isinstance(t, pl.List)]
                          ).write_csv(path)
    elif suffix == ".json":
        path.write_text(json.dumps(flat.to_dicts(), ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    elif suffix == ".jsonl":
        flat.write_ndjson(path)
    elif suffix == ".xlsx":
        flat.with_columns([pl.col(c).list.join(";") for c, t in flat.schema.items() if isinstance(t, pl.List)]
                          ).write_excel(path, autofit=flat.height < 5000)
    else:
        raise LiftcheckError(f"{path.name}：输出文件应为 .csv、.json、.jsonl 或 .xlsx",
                             f"{path.name}: the output file must be .csv, .json, .jsonl or .xlsx")


def write_problems(problems: pl.DataFrame, path: Path) -> None:
    write_table(problems, path)


def validation_summary(sub: Submission) -> dict:
    return {
        "valid": sub.error_count == 0,
        "errors": sub.error_count,
        "warnings": sub.problems.height - sub.error_count,
        "records": sub.record_counts,
        "rejected": {k: v for k, v in sub.rejected_counts.items() if v},
        "absent_types": [n for n in record_types() if n not in sub.present_types],
        "unknown_files": sub.unknown_files,
    }


def validation_json(sub: Submission) -> str:
    body = validation_summary(sub) | {"problems": sub.problems.to_dicts()}
    return json.dumps(body, ensure_ascii=False, indent=2)


def print_problems(problems: pl.DataFrame, console: Console, cap: int = DISPLAY_CAP) -> None:
    if problems.height == 0:
        return
    table = Table(title="问题 Problems", show_lines=False)
    table.add_column("级别", style="bold")
    table.add_column("问题（中文）")
    table.add_column("Problem (English)", style="dim")
    for row in problems.head(cap).iter_rows(named=True):
        level = "[red]错误[/]" if row["severity"] == "error" else "[yellow]提醒[/]"
        table.add_row(level, row["message_zh"], row["message_en"])
    console.print(table)
    if problems.height > cap:
        console.print(f"另有 {problems.height - cap:,} 条问题未显示；用 -o problems.csv 导出全部。"
                      f" ({problems.height - cap:,} more not shown; use -o problems.csv for all of them.)")


def print_validation(sub: Submission, path: Path, console: Console | None = None) -> None:
    console = console or Console()
    summary = validation_summary(sub)
    types = record_types()
    table = Table(title=f"提交数据 Submission: {path}")
    table.add_column("记录类型 Record type")
    table.add_column("条数 Records", justify="right")
    table.add_column("拒收 Rejected", justify="right")
    for name, rt in types.items():
        if name in sub.present_types:
            table.add_row(f"{rt.label} {name}", f"{sub.record_counts.get(name, 0):,}",
                          f"{sub.rejected_counts.get(name, 0):,}")
        else:
            table.add_row(f"[dim]{rt.label} {name}[/]", "[dim]未提交 absent[/]", "")
    console.print(table)
    print_problems(sub.problems, console)
    if summary["valid"]:
        console.print(f"[green]校验通过[/] valid ({summary['warnings']} 条提醒 warnings)")
    else:
        console.print(f"[red]校验未通过：{summary['errors']:,} 个错误[/] invalid: {summary['errors']:,} errors")
