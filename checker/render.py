"""Rendering for people (rich tables, capped) and machines (JSON, CSV, xlsx). Never recomputes a verdict."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from checker.contract import record_types
from checker.errors import LiftcheckError
from checker.render_whatif import has_overrides, overrides_rows, print_overrides
from checker.outputs import XLSX_OPTIONS, atomic_output, csv_safe, write_text
from checker.text import visible
from checker.validate import Submission

DISPLAY_CAP = 50


def join_lists(df: pl.DataFrame) -> pl.DataFrame:
    """List columns as ';'-joined text, as records.md writes lists in CSV."""
    return df.with_columns([pl.col(c).cast(pl.List(pl.String)).list.join(";")
                            for c, t in df.schema.items() if isinstance(t, pl.List)])


TABLE_SUFFIXES = (".csv", ".json", ".jsonl", ".xlsx")


def check_table_path(path: Path) -> None:
    """Refuse an output name liftcheck cannot write, before any work is done."""
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise LiftcheckError(f"{path.name}：输出文件应为 .csv、.json、.jsonl 或 .xlsx",
                             f"{path.name}: the output file must be .csv, .json, .jsonl or .xlsx")


def write_table(df: pl.DataFrame, path: Path) -> None:
    """A full list to a file, by its suffix: .csv, .json, .jsonl or .xlsx; whole or not at all.

    The path was checked before the work (outputs.check_output). CSV text cells that a
    spreadsheet would run as formulas are neutralised; xlsx stores every text cell as text."""
    check_table_path(path)
    suffix = path.suffix.lower()
    flat = df.with_columns([pl.col(c).cast(pl.String) for c, t in df.schema.items()
                            if t in (pl.Date, pl.Datetime) or isinstance(t, pl.Datetime)])
    if suffix == ".json":
        write_text(path, json.dumps(flat.to_dicts(), ensure_ascii=False, indent=1, default=str))
        return
    with atomic_output(path) as tmp:
        if suffix == ".csv":
            csv_safe(join_lists(flat)).write_csv(tmp)
        elif suffix == ".jsonl":
            flat.write_ndjson(tmp)
        else:
            import xlsxwriter

            with xlsxwriter.Workbook(tmp, XLSX_OPTIONS) as wb:
                join_lists(flat).write_excel(wb, autofit=flat.height < 5000)


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
        table.add_row(level, Text(visible(row["message_zh"])), Text(visible(row["message_en"])))
    console.print(table)
    if problems.height > cap:
        console.print(f"另有 {problems.height - cap:,} 条问题未显示；用 -o problems.csv 导出全部。"
                      f" ({problems.height - cap:,} more not shown; use -o problems.csv for all of them.)")


def print_validation(sub: Submission, path: Path, console: Console | None = None) -> None:
    console = console or Console()
    summary = validation_summary(sub)
    types = record_types()
    table = Table(title=f"提交数据 Submission: {escape(visible(path))}")
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
    print_overrides(report.get("overrides"), console)
    rules = Table(title="规则 Rules")
    rules.add_column("规则 Rule")
    rules.add_column("标题 Title")
    rules.add_column("违规 Violations", justify="right")
    rules.add_column("待到期 Pending", justify="right")
    rules.add_column("判断方式 Judged")
    for r in report["rules"]:
        how = "期末状态 state on to" if r.get("sweep") == "state" else "与窗口无关 any window"
        if r["evaluated"]:
            rules.add_row(r["rule_id"], r["title"], f"{r['violations']:,}", f"{r['pending']:,}", how)
        else:
            rules.add_row(f"[dim]{r['rule_id']}[/]", f"[dim]{r['title']}[/]", f"[dim]{r['reason_zh']}[/]", "", how)
    console.print(rules)
    console.print("[dim]“期末状态”的年度规则只看期间结束日当天的状态；其余规则的违规与检查窗口无关，按月、按季、按年检查找到的是同一批违规"
                  "（docs/sweeps.md）。State rules look at the period's last day only; the others find the same breaches "
                  "whatever the sweep window.[/]")
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
            table.add_row(v["rule_id"], v["clause"], Text(visible(v["message_zh"])))
        shown += min(len(group), cap - shown)
        console.print(table)
    if s["violations"] > shown:
        console.print(f"另有 {s['violations'] - shown:,} 条违规未显示；用 --format json -o report.json 导出全部。"
                      f" ({s['violations'] - shown:,} more not shown; use --format json -o report.json.)")
    loop = report["metrics"]["closed_loop_rate"]
    if loop["overall"]["hazards"]:
        rates = Table(title="隐患闭环率 Closed-loop rate")
        rates.add_column("区 District")
        rates.add_column("已闭环 / 隐患 Closed / hazards", justify="right")
        rates.add_column("闭环率 Rate", justify="right")
        for name, r in [*loop["by_district"].items(), ("全市 overall", loop["overall"])]:
            rates.add_row(Text(visible(name)), f"{r['closed']} / {r['hazards']}", f"{r['rate']:.1%}")
        console.print(rates)
    if report["credit"]:
        credit = Table(title=f"信用扣分 Credit deductions — {report['credit_schedule']['notice_zh']}")
        credit.add_column("物业服务企业 Firm")
        credit.add_column("扣分 Points", justify="right")
        credit.add_column("条数 Items", justify="right")
        for f in report["credit"][:15]:
            credit.add_row(Text(visible(f"{f['name'] or ''} {f['org_id']}")), str(f["points"]), str(len(f["items"])))
        console.print(credit)
    if report.get("unjudged"):
        table = Table(title=f"未评判 Unjudged（{len(report['unjudged'])} 部电梯）")
        table.add_column("电梯 Elevator")
        table.add_column("使用单位 Use unit")
        table.add_column("未判断的规则 Rules not judged")
        table.add_column("原因 Reason")
        for u in report["unjudged"][:cap]:
            table.add_row(u["elevator_id"], f"{u['use_unit_name'] or ''} {u['use_unit_id']}", "、".join(u["rules"]),
                          u["reason_zh"])
        console.print(table)
    for n in s["not_evaluated"]:
        console.print(f"[dim]{n['rule_id']}：{n['reason_zh']} / {n['reason_en']}[/]")
    if s["violations"]:
        console.print(f"[red]违规 {s['violations']:,} 条[/]（严重 {s['by_severity']['serious']}，较重 {s['by_severity']['major']}，"
                      f"一般 {s['by_severity']['general']}，提示 {s['by_severity']['notice']}）；待到期义务 {s['pending']:,} 项。")
    else:
        console.print(f"[green]没有发现违规[/] no violations; 待到期义务 pending {s['pending']:,}")


def rules_table(book, console: Console | None = None) -> None:
    from checker.rulebook import SEVERITY_ZH

    console = console or Console()
    table = Table(title="规则 Rules（liftcheck rules show ID 查看详情）")
    for col in ("编号 ID", "标题 Title", "条款 Clause", "主体 Subject", "责任方 Responsible", "级别 Severity"):
        table.add_column(col)
    for r in book:
        severity = "随隐患等级 by hazard" if r.severity == "from_hazard" else f"{SEVERITY_ZH[r.severity]} {r.severity}"
        table.add_row(r.id, f"{r.title['zh']}\n[dim]{r.title['en']}[/]", r.clause["ref"], r.subject["zh"],
                      r.responsible_text(), severity)
    console.print(table)


def print_rule(rule, params, definitions=(), console: Console | None = None) -> None:
    """`liftcheck rules show ID`: what, why, clause, who, condition, the definitions it leans on,
    parameters, an example each way."""
    from rich.panel import Panel

    from checker import wording
    from checker.rulebook import SEVERITY_ZH

    console = console or Console()
    b = rule.body
    severity = "随隐患等级（一般/重大/严重事故）" if rule.severity == "from_hazard" else SEVERITY_ZH[rule.severity]
    today = dt.date.today()
    lines = [f"[bold]{wording.render_static(b['title']['zh'], params, today, 'zh')}[/]  "
             f"{wording.render_static(b['title']['en'], params, today, 'en')}", "",
             f"[bold]条款 Clause[/] {b['clause']['ref']}：“{b['clause']['text']}”"]
    if b["clause"].get("source"):
        lines.append(f"[bold]出处 Source[/] {b['clause']['source']}（不是意见稿原文 not the draft's text）")
        lines.append(f"[bold]意见稿以此为前提 Presupposed by the draft[/] {b['clause']['presupposed']}")
    for case in (b["responsible"] if isinstance(b["responsible"], list) else []):
        if "clause" in case:
            lines.append(f"[bold]条款（{case.get('when', '其他')}）[/] {case['clause']['ref']}：“{case['clause']['text']}”")
    if b.get("basis"):
        lines.append("[bold]其他依据 Basis[/] " + "；".join(b["basis"]))
    if b.get("why"):
        lines += ["", f"[bold]为什么 Why[/] {b['why']['zh']}", f"[dim]{b['why']['en']}[/]"]
    lines += ["", f"[bold]主体 Subject[/] {b['subject']['zh']} ({b['subject']['en']})    "
                  f"[bold]责任方[/] {rule.responsible_text()}    [bold]级别[/] {severity}",
              f"[bold]需要的记录 Requires[/] {', '.join(b['requires']) or '（电梯、单位）'}    [bold]事实表 Facts[/] {b['facts']}"]
    if b["kind"] == "condition":
        lines.append(f"[bold]违规条件 Condition[/] {b['condition']}")
    elif b["kind"] == "deadline":
        d = b["deadline"]
        lines.append(f"[bold]期限义务 Deadline[/] 产生 {d['arises_on']}；到期 {d['due_on']}；履行 {d['fulfilled_on']}")
    else:
        for p in b["prerequisites"]:
            lines.append(f"[bold]前提 {p['id']}[/] {p['holds']} — {p['zh']} / {p['en']}")
    if "applies_when" in b:
        lines.append(f"[bold]适用 Applies when[/] {b['applies_when']}")
    console.print(Panel("\n".join(lines), title=f"{rule.id}"))
    if definitions:
        console.print("[bold]用到的定义 Definitions[/]（rules/definitions.yaml）")
        for d in definitions:
            call = f"{d.name}({', '.join(d.arguments)})" if d.arguments else d.name
            how = (f"规则语言 rule language：{' '.join(d.expression.split())}" if d.expression
                   else f"实现 implemented by：{d.implemented_by}")
            console.print(f"• [bold]{d.title_zh}[/] {call}：{d.text_zh}\n  [dim]{d.text_en}[/]\n  {how}",
                          markup=True, highlight=False)
    if b["parameters"] or any(d.parameters for d in definitions):
        table = Table(title="参数 Parameters")
        for col in ("名称 Name", "取值 Value", "说明", "依据 Basis", "解释性"):
            table.add_column(col)
        shown = list(dict.fromkeys(b["parameters"] + [p for d in definitions for p in d.parameters]))
        for name in shown:
            p = params[name]
            values = "；".join(f"{d.isoformat()} 起 {p.text(v)}" for d, v in p.values)
            table.add_row(name, f"{values} {p.unit or ''}", p.description_zh, p.basis,
                          "[yellow]是 interpretation[/]" if p.interpretation else "")
        console.print(table)
    for d in b.get("decisions", []):
        console.print(f"• {d}")
    ex = b["examples"]
    console.print(f"[green]通过 passes[/] {ex['passes']['zh']} [dim]{ex['passes']['en']}[/]")
    console.print(f"[red]违规 fails[/] {ex['fails']['zh']} [dim]{ex['fails']['en']}[/]")


def print_frame(df: pl.DataFrame, title: str, columns: list[str], console: Console | None = None,
                cap: int = DISPLAY_CAP) -> None:
    console = console or Console()
    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    def cell(v) -> Text:
        if v is None:
            return Text("")
        if isinstance(v, bool):
            return Text("是" if v else "否")
        return Text(visible(", ".join(map(str, v)) if isinstance(v, list) else str(v)))

    for row in df.head(cap).select(columns).iter_rows():
        table.add_row(*[cell(v) for v in row])
    console.print(table)
    if df.height > cap:
        console.print(f"另有 {df.height - cap:,} 行未显示；用 -o 文件.xlsx 导出全部。 ({df.height - cap:,} more rows; use -o FILE.)")


def print_fund_verdict(verdict: dict, console: Console | None = None) -> None:
    console = console or Console()
    head = "[green]依据充分，可以受理[/] approvable" if verdict["approvable"] else "[red]依据不足[/] not approvable"
    console.print(f"维修资金应急通道申请 {escape(visible(verdict['application_id']))}（电梯 {escape(visible(verdict['elevator_id']))}，"
                  f"{verdict['applied_on']}，依据 {escape(visible(verdict['assessment_id'] or '未填写'))}）：{head}")
    table = Table()
    table.add_column("")
    table.add_column("条件 Prerequisite")
    for c in verdict["prerequisites"]:
        mark = "[green]✓[/]" if c["holds"] else ("[dim]—[/]" if c["holds"] is None else "[red]✗[/]")
        text = f"{c['zh']} / {c['en']}" if c["holds"] is False else f"[dim]{c['id']}[/]"
        table.add_row(mark, text)
    console.print(table)
    console.print(Text(visible(verdict["message_zh"])))
    console.print(Text(visible(verdict["message_en"]), style="dim"))
    console.print(f"[dim]条款 {verdict['clause']['ref']}：{verdict['clause']['text']}[/]")


def print_credit(body: dict, console: Console | None = None, cap: int = 30) -> None:
    console = console or Console()
    if not body["official"]:
        console.print(f"[yellow]{body['notice_zh']}[/] [dim]{body['notice_en']}[/]")
    table = Table(title="物业服务企业信用扣分 Credit deductions per firm")
    for col in ("排名", "企业 Firm", "扣分 Points", "按年 By year", "已撤销 Revoked", "条数 Items", "失信名录"):
        table.add_column(col)
    for rank, f in enumerate(body["firms"][:cap], start=1):
        years = "，".join(f"{y}: {p}" for y, p in f["points_by_year"].items())
        table.add_row(str(rank), Text(visible(f"{f['name'] or ''} {f['org_id']}")), str(f["points"]), years, str(f["revoked_points"]),
                      str(len(f["items"])), "[red]是[/]" if f["dishonest_register"] else "")
    console.print(table)
    if len(body["firms"]) == 1:
        items = Table(title=f"扣分明细 Items: {escape(visible(body['firms'][0]['org_id']))}")
        for col in ("规则 Rule", "主体 Subject", "期间 Period", "分 Points", "指纹 Fingerprint", "撤销 Revoked"):
            items.add_column(col)
        for i in body["firms"][0]["items"][:200]:
            rev = i.get("revoked")
            items.add_row(i["rule_id"], Text(visible(i["subject"])), i["period_key"], str(i["points"]), i["fingerprint"],
                          Text(visible(f"{rev['by']} {rev['at']}：{rev['reason']}")) if rev else "")
        console.print(items)
    if not body["firms"]:
        console.print("账本中没有扣分 / no deductions in the ledger")


def report_html(report: dict) -> str:
    """The report as one self-contained HTML page (Jinja2, autoescaped): for sharing and printing."""
    from collections import defaultdict

    import jinja2

    from checker.rulebook import RESPONSIBLE_ZH, SEVERITY_ZH

    env = jinja2.Environment(loader=jinja2.PackageLoader("checker", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    per_district = report["summary"]["by_district"]
    loop = report["metrics"]["closed_loop_rate"]["by_district"]
    districts = [{"name": d, "violations": per_district.get(d, 0), **loop.get(d, {"hazards": 0, "closed": 0, "rate": None})}
                 for d in sorted(set(per_district) | set(loop), key=lambda d: -per_district.get(d, 0))]
    by_rule: dict[str, list] = defaultdict(list)
    for v in report["violations"]:
        by_rule[v["rule_id"]].append(v)
    return env.get_template("report.html.j2").render(
        r=report, s=report["summary"], districts=districts, by_rule=sorted(by_rule.items()),
        severity_zh=SEVERITY_ZH, responsible_zh=RESPONSIBLE_ZH,
        overrides=overrides_rows(report["overrides"]) if has_overrides(report.get("overrides")) else [])
