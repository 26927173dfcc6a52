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


SEVERITY_STYLE = {"serious": "bold red", "major": "red", "general": "yellow", "notice": "cyan"}
SEVERITY_LABEL = {"serious": "严重 serious", "major": "较重 major", "general": "一般 general", "notice": "提示 notice"}


def print_report(report: dict, console: Console | None = None, cap: int = DISPLAY_CAP) -> None:
    """The check for people: rules, then violations grouped by severity (capped), credit, metrics."""
    console = console or Console()
    s = report["summary"]
    console.print(f"[bold]检查期间 Period[/] {report['period']['from']} – {report['period']['to']}    "
                  f"[dim]ruleset {report['ruleset']['version']} {report['ruleset']['digest'][:19]}…[/]")
    rules = Table(title="规则 Rules")
    rules.add_column("规则 Rule")
    rules.add_column("标题 Title")
    rules.add_column("违规 Violations", justify="right")
    rules.add_column("待到期 Pending", justify="right")
    for r in report["rules"]:
        if r["evaluated"]:
            rules.add_row(r["rule_id"], r["title"], f"{r['violations']:,}", f"{r['pending']:,}")
        else:
            rules.add_row(f"[dim]{r['rule_id']}[/]", f"[dim]{r['title']}[/]", f"[dim]{r['reason_zh']}[/]", "")
    console.print(rules)
    shown = 0
    for severity in ("serious", "major", "general", "notice"):
        group = [v for v in report["violations"] if v["severity"] == severity]
        if not group or shown >= cap:
            continue
        table = Table(title=f"{SEVERITY_LABEL[severity]}（{len(group):,}）", title_style=SEVERITY_STYLE[severity])
        table.add_column("规则 Rule")
        table.add_column("条款 Clause")
        table.add_column("说明 Message")
        for v in group[: cap - shown]:
            table.add_row(v["rule_id"], v["clause"], v["message_zh"])
        shown += min(len(group), cap - shown)
        console.print(table)
    if s["violations"] > shown:
        console.print(f"另有 {s['violations'] - shown:,} 条违规未显示；用 --format json -o report.json 导出全部。"
                      f" ({s['violations'] - shown:,} more not shown; use --format json -o report.json.)")
    loop = report["metrics"]["closed_loop_rate"]["overall"]
    if loop["hazards"]:
        console.print(f"隐患闭环率 closed-loop rate: {loop['closed']}/{loop['hazards']} = {loop['rate']:.1%}")
    if report["credit"]:
        credit = Table(title=f"信用扣分 Credit deductions — {report['credit_schedule']['notice_zh']}")
        credit.add_column("物业服务企业 Firm")
        credit.add_column("扣分 Points", justify="right")
        credit.add_column("条数 Items", justify="right")
        for f in report["credit"][:15]:
            credit.add_row(f"{f['name'] or ''} {f['org_id']}", str(f["points"]), str(len(f["items"])))
        console.print(credit)
    for n in s["not_evaluated"]:
        console.print(f"[dim]{n['rule_id']}：{n['reason_zh']} / {n['reason_en']}[/]")
    if s["violations"]:
        console.print(f"[red]违规 {s['violations']:,} 条[/]（严重 {s['by_severity']['serious']}，较重 {s['by_severity']['major']}，"
                      f"一般 {s['by_severity']['general']}，提示 {s['by_severity']['notice']}）；待到期义务 {s['pending']:,} 项。")
    else:
        console.print(f"[green]没有发现违规[/] no violations; 待到期义务 pending {s['pending']:,}")
