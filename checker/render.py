"""Rendering for people (rich tables, capped) and machines (JSON, CSV, xlsx). Never recomputes a verdict."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import orjson
import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from checker.contract import record_types
from checker.errors import LiftcheckError
from checker import labels
from checker.labels import value_text
from checker.render_whatif import has_overrides, overrides_rows, print_overrides
from checker.outputs import XLSX_OPTIONS, atomic_output, csv_safe, write_text
from checker.terminal import Table, Wrapped, display_width, say
from checker.text import visible
from checker.validate import Submission
from checker.verdicts import VerdictTable

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
    """A full list for machines, by its suffix: .json or .jsonl (people's .csv and .xlsx: office.py);
    .csv and .xlsx as they are (checker/metrics frames); whole or not at all.

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


def _people_file(path: Path) -> bool:
    return path.suffix.lower() in (".csv", ".xlsx")


def _write_people_table(table, path: Path, sheet: str, lang: str, encoding: str, title: str | None = None) -> None:
    """A list for people: .csv (BOM by default) or a one-sheet workbook; whole or not at all."""
    from checker import office

    with atomic_output(path) as tmp:
        if path.suffix.lower() == ".csv":
            office.write_csv(table, tmp, lang, encoding)
        else:
            office.write_table_workbook(table, tmp, sheet, lang, title)


def write_problems(problems: pl.DataFrame, path: Path, lang: str = "zh", encoding: str = "utf-8-bom") -> None:
    """validate -o: .csv and .xlsx in the reader's language, .json/.jsonl as they are; whole or not at all."""
    from checker import office

    if not _people_file(path):
        return write_table(problems, path)
    _write_people_table(office.problems_table(problems, lang), path, "problems", lang, encoding)


def write_violations(report: dict, path: Path, lang: str = "zh", encoding: str = "utf-8-bom",
                     prerequisites: dict | None = None) -> tuple[str, str]:
    """check -o: the workbook (.xlsx), the violation list (.csv), or the violations as JSON; whole
    or not at all. Returns what was written, in Chinese and English."""
    from checker import office

    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        with atomic_output(path) as tmp:
            office.write_check_workbook(report, tmp, lang, prerequisites)
        return (f"检查工作簿（概览、违规清单、待办事项、未评判、信用扣分、参数与口径；违规 {len(report['violations']):,} 条）",
                f"the check workbook ({len(report['violations']):,} violations)")
    if suffix == ".csv":
        with atomic_output(path) as tmp:
            office.write_csv(office.violations_table(report, lang, prerequisites), tmp, lang, encoding)
    else:
        rows = [{k: (json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v) for k, v in r.items()}
                for r in report["violations"]]
        write_table(pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame({"rule_id": []}), path)
    return f"全部违规（{len(report['violations']):,} 条）", f"every violation ({len(report['violations']):,})"


def write_old_list(listing: pl.DataFrame, path: Path, day: dt.date, lang: str = "zh", encoding: str = "utf-8-bom") -> None:
    """old-list -o: .csv and .xlsx in the reader's language with names, .json/.jsonl as they are."""
    from checker import office

    if not _people_file(path):
        return write_table(listing, path)
    title = (f"15年以上老旧住宅电梯清单（截至 {day}，共 {listing.height:,} 部）" if lang == "zh"
             else f"Old residential elevators as of {day} ({listing.height:,})")
    _write_people_table(office.old_list_table(listing, lang), path, "old_list", lang, encoding, title)


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


def _json_fallback(value: object) -> object:
    """What orjson does not write itself: sets as arrays (json.dumps has no default for them
    either; none is in a report today), anything else as its text, as json.dumps(default=str)."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def report_json_pieces(report: dict) -> Iterator[bytes]:
    """The report as indented JSON, UTF-8, in pieces to write one after the other. orjson (Rust)
    writes it: a city-year report is tens of MB, which the standard library's indenting
    encoder (pure Python) takes seconds over. The violations, when they are a VerdictTable (a
    check's report), are written from their columns, one verdict per line
    (`VerdictTable.json_array`); everything else is the text of
    json.dumps(report, ensure_ascii=False, indent=2, default=str) (tested). Non-text keys
    (credit's points_by_year, keyed by year) are written as text, as json.dumps does."""
    options = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    violations = report.get("violations")
    if not isinstance(violations, VerdictTable):
        yield orjson.dumps(report, option=options, default=_json_fallback)
        return
    # the envelope with a NUL byte where the violations go: orjson escapes every control
    # character inside a string, so the only raw NUL in its text is this one
    text = orjson.dumps(report | {"violations": orjson.Fragment(b"\x00")}, option=options, default=_json_fallback)
    head, tail = text.split(b"\x00")
    yield head
    yield from violations.json_array(indent=2)
    yield tail


def report_json_bytes(report: dict) -> bytes:
    """The report as indented JSON, UTF-8, in one piece (`report_json_pieces`)."""
    return b"".join(report_json_pieces(report))


def validation_json(sub: Submission) -> str:
    body = validation_summary(sub) | {"problems": sub.problems.to_dicts()}
    return json.dumps(body, ensure_ascii=False, indent=2)


# ---- terminal: nothing important cut off at 80 columns ------------------------------------
# Ids, fingerprints and parameter names are shown whole (never cut with "…", never broken
# mid-word); Chinese text folds between characters (checker/terminal.py: every table cell and
# detail line is `Wrapped`). Below NARROW columns, lists are printed one block per item
# instead of as a table. Every code is shown by its label (checker/labels.py).

NARROW = 110


def _table(title: str | None = None, **kwargs) -> Table:
    return Table(title=title, **kwargs)


def _col(table: Table, header: str, *, ident: bool = False, **kwargs) -> None:
    """A text column that folds long words (a Chinese run is one long word to rich); an id
    column is shown whole (no_wrap: rich narrows the other columns instead)."""
    kwargs["no_wrap"] = ident or kwargs.get("no_wrap", False)
    table.add_column(header, overflow="fold", **kwargs)


def _indented(console: Console, text: str, indent: int = 2) -> None:
    """One item's detail line of a narrow listing (rich markup): wrapped lines keep the indent."""
    say(console, text, indent)


def _s(value) -> str:
    """Data shown inside rich markup: control characters escaped (visible) and brackets too, so a
    name such as "[/]" is shown as typed, never read as markup."""
    return escape(visible("" if value is None else value))


def _name_id(name: str | None, org_id: str | None) -> str:
    return " ".join(_s(x) for x in (name, org_id) if x) or ""


def print_problems(problems: pl.DataFrame, console: Console, cap: int = DISPLAY_CAP) -> None:
    if problems.height == 0:
        return
    narrow = console.width < NARROW
    table = _table("问题 Problems")
    _col(table, "级别", style="bold", no_wrap=True)
    _col(table, "问题（中文）")
    if not narrow:
        _col(table, "Problem (English)", style="dim")
    for row in problems.head(cap).iter_rows(named=True):
        level = f"[{'red' if row['severity'] == 'error' else 'yellow'}]{labels.label('problem_level', row['severity'])}[/]"
        if narrow:
            table.add_row(level, f"{_s(row['message_zh'])}\n[dim]{_s(row['message_en'])}[/]")
        else:
            table.add_row(level, Text(visible(row["message_zh"])), Text(visible(row["message_en"])))
    console.print(table)
    if problems.height > cap:
        say(console, f"另有 {problems.height - cap:,} 条问题未显示；用 -o problems.xlsx 导出全部。"
                      f" ({problems.height - cap:,} more not shown; use -o problems.xlsx for all of them.)")


def print_validation(sub: Submission, path: Path, console: Console | None = None) -> None:
    console = console or Console()
    summary = validation_summary(sub)
    types = record_types()
    table = _table(f"提交数据 Submission: {_s(path)}")
    _col(table, "记录类型 Record type")
    _col(table, "条数 Records", justify="right")
    _col(table, "拒收 Rejected", justify="right")
    for name, rt in types.items():
        if name in sub.present_types:
            table.add_row(f"{rt.label} {labels.record_type(name, 'en')}", f"{sub.record_counts.get(name, 0):,}",
                          f"{sub.rejected_counts.get(name, 0):,}")
        else:
            table.add_row(f"[dim]{rt.label} {labels.record_type(name, 'en')}[/]", "[dim]未提交 absent[/]", "")
    console.print(table)
    print_problems(sub.problems, console)
    if summary["valid"]:
        say(console, f"[green]校验通过[/] valid ({summary['warnings']} 条提醒 warnings)")
    else:
        say(console, f"[red]校验未通过：{summary['errors']:,} 个错误[/] invalid: {summary['errors']:,} errors")


SEVERITY_STYLE = {"serious": "bold red", "major": "red", "general": "yellow", "notice": "cyan"}


def severity_label(code: str) -> str:
    """较重 major: the Chinese label with the English one beside it."""
    return f"{labels.severity(code)} {labels.severity(code, 'en')}"


def _responsible(v: dict) -> str:
    return _s(labels.party(v["responsible_role"], v["responsible_name"], v["responsible_org_id"]))


def _print_violations(group: list[dict], severity: str, console: Console) -> None:
    title = f"{severity_label(severity)}（{len(group):,}）"
    if console.width < NARROW:
        say(console, f"[{SEVERITY_STYLE[severity]}]■ {title}[/]")
        for v in group:
            say(console, f"[bold]{_s(v['rule_id'])}[/] {_s(v.get('title') or '')} · 条款 {_s(v['clause'])} · {_responsible(v)}")
            _indented(console, _s(v["message_zh"]))
            _indented(console, f"[dim]指纹 {v['fingerprint']}[/]")
        return
    table = _table(title, title_style=SEVERITY_STYLE[severity])
    _col(table, "规则 Rule", ident=True)
    _col(table, "条款 Clause", no_wrap=True)
    _col(table, "责任方 Responsible")
    _col(table, "说明 Message")
    _col(table, "指纹 Fingerprint", ident=True, style="dim")
    for v in group:
        table.add_row(_s(v["rule_id"]), _s(v["clause"]), _responsible(v), Text(visible(v["message_zh"])), v["fingerprint"])
    console.print(table)


def print_report(report: dict, console: Console | None = None, cap: int = DISPLAY_CAP) -> None:
    """The check for people: rules, then violations grouped by severity (capped), credit, metrics,
    the elevators not judged and the records set aside."""
    console = console or Console()
    s = report["summary"]
    say(console, f"[bold]检查期间 Period[/] {report['period']['from']} – {report['period']['to']}")
    say(console, f"[dim]规则集 ruleset {report['ruleset']['version']} {report['ruleset']['digest']}[/]")
    print_overrides(report.get("overrides"), console)
    rules = _table("规则 Rules")
    narrow = console.width < NARROW   # the title under the rule id, so neither is squeezed
    _col(rules, "规则 Rule", ident=not narrow, min_width=26 if narrow else None)
    if not narrow:
        _col(rules, "标题 Title")
    _col(rules, "违规\nViolations", justify="right")
    _col(rules, "待到期\nPending", justify="right")
    _col(rules, "判断方式\nJudged")
    for r in report["rules"]:
        sweep = "state" if r.get("sweep") == "state" else "span"
        how = f"{labels.label('sweep', sweep)}\n{labels.label('sweep', sweep, 'en')}"
        dim = "" if r["evaluated"] else "dim"
        reason = "" if r["evaluated"] else f"\n[dim]未评判 not evaluated：{_s(r['reason_zh'])}[/]"
        name = [f"[{dim or 'bold'}]{r['rule_id']}[/]\n[{dim or 'default'}]{escape(r['title'])}[/]{reason}"] if narrow else \
            [f"[{dim or 'default'}]{r['rule_id']}[/]", f"[{dim or 'default'}]{escape(r['title'])}[/]"]
        if r["evaluated"]:
            rules.add_row(*name, f"{r['violations']:,}", f"{r['pending']:,}", how)
        elif narrow:
            rules.add_row(*name, "[dim]—[/]", "[dim]—[/]", how)
        else:
            rules.add_row(*name, f"[dim]{_s(r['reason_zh'])}[/]", "", how)
    console.print(rules)
    say(console, "[dim]“期末状态”的年度规则只看期间结束日当天的状态；其余规则的违规与检查窗口无关，按月、按季、按年检查找到的是同一批违规"
                 "（docs/sweeps.md）。State rules look at the period's last day only; the others find the same breaches "
                 "whatever the sweep window.[/]")
    shown = 0
    for severity in ("serious", "major", "general", "notice"):
        group = [v for v in report["violations"] if v["severity"] == severity]
        if not group or shown >= cap:
            continue
        _print_violations(group[: cap - shown], severity, console)
        shown += min(len(group), cap - shown)
    if s["violations"] > shown:
        say(console, f"另有 {s['violations'] - shown:,} 条违规未显示；用 -o 违规清单.xlsx 或 --format json -o report.json 导出全部。"
                      f" ({s['violations'] - shown:,} more not shown; use -o violations.xlsx or --format json -o report.json.)")
    loop = report["metrics"]["closed_loop_rate"]
    if loop["overall"]["hazards"]:
        rates = _table("隐患闭环率 Closed-loop rate")
        _col(rates, "区 District")
        _col(rates, "已闭环 / 隐患 Closed / hazards", justify="right")
        _col(rates, "闭环率 Rate", justify="right")
        for name, r in [*loop["by_district"].items(), ("全市 overall", loop["overall"])]:
            rates.add_row(Text(visible(name)), f"{r['closed']} / {r['hazards']}", labels.percent(r["rate"]))
        console.print(rates)
    if report["credit"]:
        if not report["credit_schedule"]["official"]:
            say(console, f"[yellow]{report['credit_schedule']['notice_zh']}[/]")
        credit = _table("信用扣分 Credit deductions")
        _col(credit, "物业服务企业 Firm")
        _col(credit, "统一社会信用代码 Org id", ident=True)
        _col(credit, "扣分 Points", justify="right")
        _col(credit, "条数 Items", justify="right")
        for f in report["credit"][:15]:
            credit.add_row(_s(f["name"]), _s(f["org_id"]), str(f["points"]), str(len(f["items"])))
        console.print(credit)
    _print_unjudged(report, console, cap)
    for n in s["not_evaluated"]:
        say(console, f"[dim]{n['rule_id']}：{_s(n['reason_zh'])} / {_s(n['reason_en'])}[/]")
    if s["violations"]:
        counts = "，".join(f"{labels.severity(k)} {s['by_severity'].get(k, 0)}" for k in ("serious", "major", "general", "notice"))
        say(console, f"[red]违规 {s['violations']:,} 条[/]（{counts}）；待到期义务 {s['pending']:,} 项。")
    else:
        say(console, f"[green]没有发现违规[/] no violations; 待到期义务 pending {s['pending']:,}")
    if s.get("unjudged"):
        say(console, f"[yellow]未评判的电梯 {s['unjudged']:,} 部[/]（见上表）elevators not judged: {s['unjudged']:,}")
    if s.get("rejected_records"):
        say(console, f"[yellow]--skip-invalid 拒收了 {s['rejected_records']:,} 条记录，涉及电梯 {s.get('rejected_elevators', 0):,} 部"
                      f"（见上表）[/] --skip-invalid set aside {s['rejected_records']:,} records touching "
                      f"{s.get('rejected_elevators', 0):,} elevators")


def _print_unjudged(report: dict, console: Console, cap: int) -> None:
    unjudged = report.get("unjudged") or []
    rejected = report.get("rejected_elevators") or []
    if not unjudged and not rejected:
        return
    rows = [(_s(u["elevator_id"]), _name_id(u["use_unit_name"], u["use_unit_id"]), "、".join(u["rules"]), _s(u["reason_zh"]))
            for u in unjudged]
    rows += [(_s(e["elevator_id"]), _name_id(e["use_unit_name"], e["use_unit_id"]),
              "全部规则 every rule" if e["elevator_rejected"] else "", _s(e["reason_zh"])) for e in rejected]
    title = f"未评判及受拒收影响的电梯 Elevators not judged or judged on incomplete records（{len(rows):,} 部）"
    if console.width < NARROW:
        say(console, f"[bold]■ {title}[/]")
        for elevator_id, unit, rules, reason in rows[:cap]:
            say(console, f"[bold]{elevator_id}[/] {unit}")
            if rules:
                _indented(console, f"未判断的规则：{rules}")
            _indented(console, reason)
    else:
        table = _table(title)
        _col(table, "电梯 Elevator", ident=True)
        _col(table, "使用单位 Use unit")
        _col(table, "未判断的规则 Rules not judged")
        _col(table, "原因 Reason")
        for row in rows[:cap]:
            table.add_row(*row)
        console.print(table)
    if len(rows) > cap:
        say(console, f"另有 {len(rows) - cap:,} 部未显示；用 -o 违规清单.xlsx 导出（“未评判”表）。 ({len(rows) - cap:,} more.)")


def rules_table(book, params, console: Console | None = None) -> None:
    """`liftcheck rules list`: titles read with the parameters in force today, as `rules show`
    and the reports print them (never a raw {param.…} placeholder)."""
    from checker import wording

    console = console or Console()
    today = dt.date.today()

    def title_of(r, lang: str) -> str:
        return wording.render_static(r.title[lang], params, today, lang)
    title = "规则 Rules（liftcheck rules show ID 查看详情）"
    if console.width < NARROW:
        say(console, f"[bold]{title}[/]")
        for r in book:
            severity = "随隐患等级 by hazard" if r.severity == "from_hazard" else severity_label(r.severity)
            say(console, f"[bold]{r.id}[/] · 依据 {source_of(r)} · {severity}".replace("\n", " · "))
            _indented(console, f"{escape(title_of(r, 'zh'))} [dim]{escape(title_of(r, 'en'))}[/]")
            _indented(console, f"主体 {escape(r.subject['zh'])} · 责任方 {escape(r.responsible_text())}")
        return
    table = _table(title)
    for col in ("编号 ID", "标题 Title", "依据 Source", "主体 Subject", "责任方 Responsible", "级别 Severity"):
        _col(table, col, ident=col.startswith("编号"))
    for r in book:
        severity = "随隐患等级 by hazard" if r.severity == "from_hazard" else severity_label(r.severity)
        table.add_row(r.id, f"{escape(title_of(r, 'zh'))}\n[dim]{escape(title_of(r, 'en'))}[/]", source_of(r),
                      r.subject["zh"], r.responsible_text(), severity)
    console.print(table)


def source_of(rule) -> str:
    """依据 of a rule for a table: the law of its default party, with the draft's section beside it."""
    from checker.rulebook import load_sources

    src = rule.body["source"]
    refs = "、".join(dict.fromkeys(d["ref"] for d in rule.body["draft"]))
    if src["law"] == "opinion" and refs == src.get("article"):
        refs = ""   # the draft is the source itself: said once
    return sources_citation(load_sources()[src["law"]], src.get("article")) + (f"\n[dim]意见稿 {refs}[/]" if refs else "")


def sources_citation(law, article: str | None) -> str:
    return escape(law.short_citation(article))


def print_rule(rule, params, definitions=(), console: Console | None = None) -> None:
    """`liftcheck rules show ID`: what, why, clause, who, condition, the definitions it leans on,
    parameters, an example each way."""
    from rich.panel import Panel

    from checker import wording

    console = console or Console()
    b = rule.body
    severity = "随隐患等级（一般/重大/严重事故）" if rule.severity == "from_hazard" else labels.severity(rule.severity)
    today = dt.date.today()
    lines = [f"[bold]{wording.render_static(b['title']['zh'], params, today, 'zh')}[/]  "
             f"{wording.render_static(b['title']['en'], params, today, 'en')}", "",
             ]
    from checker.rulebook import RESPONSIBLE_ZH, load_sources

    sources = load_sources()
    coverage_zh = {"encodes": "本规则判断", "partly": "本规则判断其中一部分", "interprets": "本规则按解释判断",
                   "context": "背景：不是本规则所判断的义务"}
    for entry in rule.party_entries():
        who = f"（{RESPONSIBLE_ZH[entry['party']]}" + (f"，{entry['when']}" if "when" in entry else "") + "）"
        src = entry["source"]
        law = sources[src["law"]]
        # the duty in liftcheck's words (a summary, not the law's text: only the draft is quoted)
        lines.append(f"[bold]依据 Source{who if len(rule.parties) > 1 else ''}[/] {law.citation(src.get('article'))}；"
                     f"义务（概述，非原文）：{src['duty']}")
        if src.get("presupposed"):
            lines.append(f"[bold]意见稿以此为前提 Presupposed by the draft[/] {src['presupposed']}")
        for d in entry["draft"]:
            lines.append(f"[bold]意见稿 {d['ref']}[/]“{d['text']}”[dim]（{coverage_zh[d['coverage']]}）[/]")
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
    console.print(Panel(Wrapped("\n".join(lines), markup=True), title=f"{rule.id}"))
    if definitions:
        console.print("[bold]用到的定义 Definitions[/]（rules/definitions.yaml）")
        for d in definitions:
            call = f"{d.name}({', '.join(d.arguments)})" if d.arguments else d.name
            how = (f"规则语言 rule language：{' '.join(d.expression.split())}" if d.expression
                   else f"实现 implemented by：{d.implemented_by}")
            say(console, f"• [bold]{d.title_zh}[/] {call}：{escape(d.text_zh)}")
            _indented(console, f"[dim]{escape(d.text_en)}[/]")
            _indented(console, escape(how))
    if b["parameters"] or any(d.parameters for d in definitions):
        shown = list(dict.fromkeys(b["parameters"] + [p for d in definitions for p in d.parameters]))
        rows = []
        for name in shown:
            p = params[name]
            values = "；".join(f"{d.isoformat()} 起 {labels.parameter_value(name, v)} {labels.unit(p.unit)}".strip()
                              for d, v in p.values)
            rows.append((name, values, p.description_zh, p.basis, "[yellow]是 interpretation[/]" if p.interpretation else ""))
        if console.width < NARROW:  # names whole, one block each
            say(console, "[bold]参数 Parameters[/]")
            for name, values, description, basis, interpretation in rows:
                say(console, f"[bold]{name}[/] = {escape(values)} {interpretation}")
                _indented(console, escape(description))
                _indented(console, f"[dim]依据 {escape(basis)}[/]")
        else:
            table = _table("参数 Parameters")
            for col in ("名称 Name", "取值 Value", "说明", "依据 Basis", "解释性"):
                _col(table, col, ident=col.startswith("名称"))
            for row in rows:
                table.add_row(*row)
            console.print(table)
    for d in b.get("decisions", []):
        say(console, f"• {escape(d)}")
    ex = b["examples"]
    say(console, f"[green]通过 passes[/] {escape(ex['passes']['zh'])} [dim]{escape(ex['passes']['en'])}[/]")
    say(console, f"[red]违规 fails[/] {escape(ex['fails']['zh'])} [dim]{escape(ex['fails']['en'])}[/]")


OLD_LIST_TERMINAL = [("elevator_id", "设备代码"), ("district", "区"), ("community", "小区"), ("use_unit", "使用单位"),
                     ("age_years", "年限"), ("affordable_housing", "保障房"), ("dense", "高梯户比"),
                     ("latest_risk_level", "风险"), ("assessment_status", "全面评估"), ("open_hazards", "未整改隐患")]


def print_old_list(listing: pl.DataFrame, day: dt.date, console: Console | None = None, cap: int = DISPLAY_CAP) -> None:
    """The old-elevator list for people: Chinese names and values, the use unit's name beside its id."""
    from checker import office

    console = console or Console()
    frame = office.old_list_table(listing, "zh").frame.head(cap).with_columns(
        pl.concat_str([pl.col("use_unit_name").fill_null(""), pl.col("use_unit_id")], separator=" ")
        .str.strip_chars().alias("use_unit"))
    title = f"15年以上老旧住宅电梯清单 Old residential elevators as of {day}（{listing.height:,} 部）"
    text = lambda v: "" if v is None else value_text(v)  # noqa: E731
    if console.width < NARROW:
        say(console, f"[bold]{title}[/]")
        for row in frame.iter_rows(named=True):
            flags = "、".join(x for x, on in (("保障房", row["affordable_housing"] == "是"), ("高梯户比", row["dense"] == "是")) if on)
            say(console, f"[bold]{_s(row['elevator_id'])}[/] · {_s(row['district'])} {_s(row['community'])} · "
                         f"{text(row['age_years'])} 年" + (f" · {flags}" if flags else ""))
            _indented(console, f"使用单位 {_s(row['use_unit'])}")
            _indented(console, f"风险 {text(row['latest_risk_level']) or '未筛查'} · 全面评估 {text(row['assessment_status'])}"
                               f" · 未整改隐患 {text(row['open_hazards'])}")
    else:
        table = _table(title)
        for key, header in OLD_LIST_TERMINAL:
            _col(table, header, ident=key == "elevator_id", justify="right" if key in ("age_years", "open_hazards") else "left")
        for row in frame.iter_rows(named=True):
            table.add_row(*[Text(visible(text(row[k]))) for k, _ in OLD_LIST_TERMINAL])
        console.print(table)
    if listing.height > cap:
        say(console, f"另有 {listing.height - cap:,} 部未显示；用 -o 老旧电梯清单.xlsx 导出全部。 ({listing.height - cap:,} more; use -o FILE.xlsx.)")


def print_fund_verdict(verdict: dict, console: Console | None = None) -> None:
    """The fund review of one application (R3-3): each prerequisite by its Chinese name."""
    console = console or Console()
    head = ("[green]依据充分，可走应急通道[/] well founded" if verdict["well_founded"]
            else "[red]依据不足[/] not well founded")
    say(console, f"维修资金应急通道申请 {_s(verdict['application_id'])}（电梯 {_s(verdict['elevator_id'])}，"
                 f"{verdict['applied_on']}，依据 {_s(verdict['assessment_id'] or '未填写')}）：{head}")
    table = _table()
    _col(table, "")
    _col(table, "条件 Prerequisite")
    _col(table, "结果 Result")
    for c in verdict["prerequisites"]:
        name = f"{c['title_zh']}\n[dim]{c['title_en']}[/]"
        if c["holds"] is True:
            table.add_row("[green]✓[/]", name, "满足 holds")
        elif c["holds"] is False:
            table.add_row("[red]✗[/]", name, f"不满足：{c['failure_zh']}\n[dim]fails: {c['failure_en']}[/]")
        else:
            table.add_row("[dim]—[/]", f"[dim]{name}[/]", f"[dim]{c['status_zh']}[/]")
    console.print(table)
    console.print(Wrapped(visible(verdict["message_zh"])))
    console.print(Wrapped(visible(verdict["message_en"]), style="dim"))
    for d in verdict["draft"]:
        say(console, f"[dim]意见稿 {d['ref']}：{escape(d['text'])}[/]")
    say(console, f"[dim]{verdict['note_zh']}[/]")


def no_deductions_text(body: dict) -> str:
    """Why the list is empty: the ledger has none, or the filters matched none of those it has."""
    filters = []
    if body.get("year") is not None:
        filters.append((f"{body['year']} 年度", f"year {body['year']}"))
    if body.get("org"):
        filters.append((f"企业 {body['org']}", f"firm {body['org']}"))
    if not filters or not body.get("ledger_deductions"):
        return f"账本 {body['target']} 中没有扣分 / no deductions in the ledger {body['target']}"
    return (f"没有符合条件（{'、'.join(z for z, _ in filters)}）的扣分；账本中共有 {body['ledger_deductions']:,} 项扣分\n"
            f"no deductions match {' and '.join(e for _, e in filters)}; the ledger holds {body['ledger_deductions']:,}")


def print_credit(body: dict, console: Console | None = None, cap: int = 30) -> None:
    console = console or Console()
    if not body["official"]:
        say(console, f"[yellow]{escape(body['notice_zh'])}[/] [dim]{escape(body['notice_en'])}[/]")
    if not body["firms"]:
        console.print(no_deductions_text(body))
        return
    narrow = console.width < NARROW
    table = _table("物业服务企业信用扣分 Credit deductions per firm")
    _col(table, "排名")
    # a firm's name on one line where the screen allows it (a name is what a reader looks for)
    names = [display_width(f["name"] or "") for f in body["firms"][:cap]]
    ids = max((len(f["org_id"]) for f in body["firms"][:cap]), default=18)
    # narrow: the id under the name, never broken (it is what a reader copies), and the years left to the items
    _col(table, "企业 Firm", min_width=ids if narrow else min(max(names, default=10), 30))
    if not narrow:
        _col(table, "统一社会信用代码 Org id", ident=True)
    columns = ["扣分\nPoints", "正式/拟扣\nFinal/\nProposed", *([] if narrow else ["按年\nBy year"]),
               "已撤销分\nRevoked\npoints", "条数\nItems", "失信\n名录"]
    for col in columns:
        _col(table, col, justify="right" if "By year" not in col else "left")
    for rank, f in enumerate(body["firms"][:cap], start=1):
        years = ["，".join(f"{y}: {p}" for y, p in f["points_by_year"].items())] if not narrow else []
        firm = [f"{_s(f['name'])}\n{_s(f['org_id'])}"] if narrow else [_s(f["name"]), _s(f["org_id"])]
        table.add_row(str(rank), *firm, str(f["points"]), f"{f.get('final_points', f['points'])}/{f.get('proposed_points', 0)}",
                      *years, str(f["revoked_points"]), str(len(f["items"])),
                      "[red]是[/]" if f["dishonest_register"] else "")
    console.print(table)
    say(console, "[dim]拟扣分：已告知企业、异议期（参数 credit.objection_days）未满；正式扣分才报送信用名录。"
                 "Proposed: the firm was told and may still object; only final points go to the register.[/]")
    if len(body["firms"]) > cap:
        say(console, f"另有 {len(body['firms']) - cap:,} 家未显示；用 -o 扣分.xlsx 导出全部。 ({len(body['firms']) - cap:,} more.)")
    if len(body["firms"]) == 1:
        firm = body["firms"][0]
        title = f"扣分明细 Items: {_name_id(firm['name'], firm['org_id'])}"  # already escaped
        items = firm["items"][:200]
        if console.width < NARROW:
            say(console, f"[bold]■ {title}[/]")
            titles = labels.rule_titles()
            for i in items:
                rev = i.get("revoked")
                say(console, f"[bold]{_s(i['rule_id'])}[/] {_s(titles.get(i['rule_id'], ''))} · {_s(i['subject'])} · "
                             f"{_s(i['period_key'])} · {i['points']} 分"
                             + (f" · [yellow]已撤销 {_s(rev['by'])} {_s(labels.local_time(rev['at']))}：{_s(rev['reason'])}[/]"
                                if rev else ""))
                _indented(console, f"指纹 {i['fingerprint']}")
        else:
            table = _table(title)
            for col in ("规则 Rule", "主体 Subject", "期间 Period", "分 Points", "指纹 Fingerprint", "撤销 Revoked"):
                _col(table, col, ident=col.startswith(("规则", "主体", "指纹")))
            titles = labels.rule_titles()
            for i in items:
                rev = i.get("revoked")
                table.add_row(f"{_s(i['rule_id'])}\n[dim]{_s(titles.get(i['rule_id'], ''))}[/]", _s(i["subject"]), _s(i["period_key"]), str(i["points"]), _s(i["fingerprint"]),
                              Text(visible(f"{rev['by']} {labels.local_time(rev['at'])}：{rev['reason']}")) if rev else "")
            console.print(table)
        if len(firm["items"]) > 200:
            say(console, f"另有 {len(firm['items']) - 200:,} 项未显示；用 -o 扣分.xlsx 导出全部。")


HTML_CAP = 500  # rows per rule (and rejected records) listed in the page; the workbook and JSON hold all


def report_html(report: dict, prerequisites: dict | None = None) -> str:
    """The report as one self-contained HTML page (Jinja2, autoescaped, inline SVG charts): for
    sharing, printing and reading on a phone. Every code is shown by its label (checker.labels)."""
    from collections import defaultdict

    from checker import charts

    env = page_environment()
    per_district = report["summary"]["by_district"]
    loop = report["metrics"]["closed_loop_rate"]["by_district"]
    districts = [{"name": d, "violations": per_district.get(d, 0), **loop.get(d, {"hazards": 0, "closed": 0, "rate": None})}
                 for d in labels.districts_ranked(report)]
    by_rule: dict[str, list] = defaultdict(list)
    for v in report["violations"]:
        by_rule[v["rule_id"]].append(v)
    grouped = [(rule_id, items, [v | {"evidence_text": labels.evidence_text(v["evidence"], "zh",
                                                                               (prerequisites or {}).get(rule_id))}
                                 for v in items[:HTML_CAP]])
               for rule_id, items in sorted(by_rule.items())]
    parameters = [{"name": n, "description": p["description_zh"], "value": f"{labels.parameter_value(n, p['value'])} "
                   f"{labels.unit(p['unit'])}".strip(), "basis": p["basis"],
                   "interpretation": labels.yes_no(p["interpretation"]), "overridden": labels.yes_no(p["overridden"])}
                  for n, p in report["parameters"].items()]
    overridden = [(n, labels.parameter_value(n, p["value"])) for n, p in report["parameters"].items() if p.get("overridden")]
    assumptions = [a | {"shown": labels.parameter_value(a["parameter"], a["value"])} for a in report["assumptions"]]
    chart_order = [("by_rule", "各规则违规数"), ("by_district", "各区违规数"), ("monthly", "违规按月份"),
                   ("closed_loop", "各区隐患闭环率"), ("top_firms", "扣分最多的企业")]
    return env.get_template("report.html.j2").render(
        r=report | {"assumptions": assumptions}, s=report["summary"], districts=districts, by_rule=grouped,
        charts=charts.charts(report), chart_order=chart_order, titles=labels.rule_titles(report),
        parameters=parameters, overridden=overridden, cap=HTML_CAP,
        fields={f"{rt.name}.{f.name}": f"{f.label.split('（')[0]}（{f.name}）" for rt in record_types().values()
                for f in rt.fields},
        overrides=overrides_rows(report["overrides"]) if has_overrides(report.get("overrides")) else [])


def page_environment():
    """The Jinja environment of the HTML pages (autoescaped), with the label functions of checker.labels."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("checker", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    env.globals.update(label=labels.label, party=labels.party, percent=labels.percent,
                       rule_with_title=labels.rule_with_title)
    return env
