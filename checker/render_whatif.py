"""Rendering for drafters' what-ifs: the "overrides" block of every check report, and the
comparison of two rule books (rich table, Excel workbook, self-contained HTML with a chart).

Like every renderer, it never recomputes a verdict: it shows the dicts that `checker.report`
and `checker.compare` built.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from checker import labels
from checker.terminal import Table, Wrapped, say


def has_overrides(overrides: dict | None) -> bool:
    return bool(overrides) and bool(overrides["parameters"] or any(overrides["rules"][k]
                                                                     for k in ("replaced", "added", "disabled")))


def overrides_rows(overrides: dict) -> list[tuple[str, str, str, str]]:
    """(kind, name, shipped, used): one row per parameter set by --params and rule changed by --rules."""
    rows = [("参数 parameter", p["name"], _shown(p.get("base_values", p["base"]), p["name"]),
             _shown(p.get("values", p["value"]), p["name"]))
            for p in overrides["parameters"]]
    rules = overrides["rules"]
    rows += [("规则已替换 replaced", _rule(x), "默认规则文件 shipped", x["file"]) for x in rules["replaced"]]
    rows += [("规则已新增 added", _rule(x), "—", x["file"]) for x in rules["added"]]
    rows += [("规则已停用 disabled", _rule(x), "默认规则文件 shipped", f"停用 disabled：{x['reason']}")
             for x in rules["disabled"]]
    return rows


def _rule(x: dict) -> str:
    """A rule id with its title beside it (from the entry, else from the rule files)."""
    return labels.rule_with_title(x["rule_id"], titles={x["rule_id"]: x["title"]} if x.get("title") else None)


def _shown(value, name: str | None = None) -> str:
    """A parameter's value (or its values by date) as people read it: 12, 是, 维修、大修."""
    def one(v):
        return labels.parameter_value(name, v) if name else labels.value_text(v)
    if isinstance(value, dict):
        return "；".join(f"{d} 起 {one(v)}" for d, v in value.items())
    return one(value)


def _blocks(console: Console, title: str, rows: list[tuple[str, str, str, str]], arrow: str = "→") -> None:
    """Rows of (kind, name, before, after) as one block each: nothing cut off at 80 columns."""
    say(console, f"[bold yellow]{title}[/]")
    for kind, name, before, after in rows:
        say(console, f"{escape(kind)} [bold]{escape(name)}[/]")
        say(console, f"{escape(before)} {arrow} [bold]{escape(after)}[/]", indent=2)


def print_overrides(overrides: dict | None, console: Console) -> None:
    """At the top of a check's table: what was not the shipped rule book (nothing when all was)."""
    if not has_overrides(overrides):
        return
    title = "本次检查未完全使用默认规则集 Not the shipped rule book"
    if console.width < NARROW:
        _blocks(console, title, overrides_rows(overrides))
        return
    table = Table(title=title, title_style="bold yellow")
    for col in ("类别 Kind", "名称 Name", "默认 Shipped", "本次 Used"):
        table.add_column(col)
    for kind, name, base, used in overrides_rows(overrides):
        table.add_row(escape(kind), escape(name), escape(base), f"[bold]{escape(used)}[/]")
    console.print(table)


# ---- liftcheck compare ---------------------------------------------------------------------

DISPLAY_CAP = 50
NARROW = 110   # as checker.render: below it, lists are blocks, not tables


def _delta(base, proposal) -> str:
    if base is None or proposal is None:
        return "—"
    d = proposal - base
    return f"+{d}" if d > 0 else ("−" + str(-d) if d < 0 else "0")


def _count(n) -> str:
    """A side's count of a rule; none (the rule is not in that rule book, or was not evaluated: the
    table says which beside the rule) is a dash."""
    return "—" if n is None else f"{n:,}"


def subject_at(x: dict) -> str:
    """A violation's subject and period key (once, when the subject is its own key: a record id)."""
    return x["subject"] if x["subject"] == x["period_key"] else f"{x['subject']} @ {x['period_key']}"


def _responsible(v: dict) -> str:
    """The party as a reader names it: its role, and the organisation's name and code."""
    return labels.party(v["responsible_role"], v.get("responsible_name"), v.get("responsible_org_id"))


def _unit(entry: dict) -> str:
    return labels.unit(entry.get("unit"))


def changes_rows(c: dict) -> list[tuple[str, str, str, str]]:
    """(kind, name, base, proposal): what the proposal changes in the base, in words."""
    rows = []
    for b, p in zip(c["base"]["parameters"], c["proposal"]["parameters"]):
        unit = _unit(b)
        base = _shown(b["values"] if len(b["values"]) > 1 else b["value"], b["name"])
        proposal = _shown(p["values"] if len(p["values"]) > 1 else p["value"], p["name"])
        name = f"{b['name']}（{b['description_zh']}）" if b.get("description_zh") else b["name"]
        dated = len(b["values"]) > 1 or len(p["values"]) > 1
        # "10 → 12 天": the unit once, after the proposal (after each value when they are dated)
        rows.append(("参数 parameter", name, f"{base} {unit}".strip() if dated else base, f"{proposal} {unit}".strip()))
    r = c["proposal"]["rules"]
    rows += [("规则已替换 replaced", _rule(x), "基准规则 base rule", x["file"]) for x in r["replaced"]]
    rows += [("规则已新增 added", _rule(x), "—", x["file"]) for x in r["added"]]
    rows += [("规则已停用 disabled", _rule(x), "基准规则 base rule", f"停用：{x['reason']}") for x in r["disabled"]]
    return rows


def _differs(x: dict) -> str:
    return "、".join(labels.label("differs", d) for d in x["differs"])


def _evidence(v: dict, c: dict) -> str:
    return labels.evidence_text(v["evidence"], "zh", c.get("prerequisites", {}).get(v["rule_id"]))


def changed_details(x: dict, c: dict) -> list[tuple[str, str, str]]:
    """(what, base, proposal) for each way a violation changed: severity, party, evidence, message."""
    out = []
    if "severity" in x["differs"]:
        out.append(("严重程度", labels.severity(x["base"]["severity"]), labels.severity(x["proposal"]["severity"])))
    if "responsible" in x["differs"]:
        out.append(("责任方", _responsible(x["base"]), _responsible(x["proposal"])))
    if "evidence" in x["differs"]:
        out.append(("证据", _evidence(x["base"], c), _evidence(x["proposal"], c)))
    if x["base"]["message_zh"] != x["proposal"]["message_zh"]:
        out.append(("说明", x["base"]["message_zh"], x["proposal"]["message_zh"]))
    return out


def print_comparison(c: dict, console: Console | None = None, cap: int = DISPLAY_CAP) -> None:
    """结论 first, then what changed, per rule, per district, per firm, and the violations that flip."""
    from rich.panel import Panel

    console = console or Console()
    narrow = console.width < NARROW
    console.print(Panel(Wrapped(f"[bold]{escape(c['conclusion_zh'])}[/]\n[dim]{escape(c['conclusion_en'])}[/]", markup=True),
                        title="结论 Conclusion", subtitle=f"{c['period']['from']} – {c['period']['to']}"))
    title = "拟议方案的改动 What the proposal changes"
    if narrow:
        _blocks(console, title, changes_rows(c))
    else:
        table = Table(title=title)
        for col in ("类别 Kind", "名称 Name", "基准 Base", "拟议 Proposal"):
            table.add_column(col)
        for row in changes_rows(c):
            table.add_row(*(escape(x) for x in row))
        console.print(table)
    rules = Table(title="按规则 By rule")
    for col, justify in (("规则 Rule", "left"), ("基准\nBase", "right"), ("拟议\nProposal", "right"), ("变化\nChange", "right")):
        rules.add_column(col, justify=justify)
    for r in c["by_rule"]:
        style = "bold" if r["base"] != r["proposal"] else "dim"
        note = f"\n[dim]{escape(r['note_zh'])}[/]" if r.get("note_zh") else ""
        rules.add_row(f"{r['rule_id']}\n[dim]{escape(r.get('title') or '')}[/]{note}", _count(r["base"]), _count(r["proposal"]),
                      _delta(r["base"], r["proposal"]), style=style)
    console.print(rules)
    districts = Table(title="按区 By district")
    for col, justify in (("区 District", "left"), ("基准 Base", "right"), ("拟议 Proposal", "right"), ("变化 Change", "right")):
        districts.add_column(col, justify=justify)
    for d in c["by_district"]:
        style = "bold" if d["base"] != d["proposal"] else "dim"
        districts.add_row(escape(d["district"]), f"{d['base']:,}", f"{d['proposal']:,}", _delta(d["base"], d["proposal"]),
                          style=style)
    console.print(districts)
    moved = moved_firms(c)
    if moved:
        firms = Table(title=f"按企业 By firm（扣分或违规有变化的 {len(moved)} 家物业服务企业）")
        for col in ("企业 Firm", "违规\n基准→拟议", "扣分\n基准→拟议", "扣分变化"):
            firms.add_column(col)
        for f in moved[:cap]:
            firms.add_row(f"{escape(f['name'] or '')}\n{escape(f['org_id'])}", f"{f['base_violations']} → {f['proposal_violations']}",
                          f"{f['base_points']} → {f['proposal_points']}", _delta(f["base_points"], f["proposal_points"]))
        console.print(firms)
    for key, title in (("added", "新增违规 Added"), ("removed", "减少违规 Removed")):
        items = c[key]
        if not items:
            continue
        if narrow:
            say(console, f"[bold]■ {title}（{len(items):,}）[/]")
            for v in items[:cap]:
                say(console, f"[bold]{escape(v['rule_id'])}[/] {escape(v.get('title') or '')} · {escape(_responsible(v))}")
                say(console, escape(v["message_zh"]), indent=2)
            continue
        t = Table(title=f"{title}（{len(items):,}）")
        for col in ("规则 Rule", "责任方 Responsible", "说明 Message"):
            t.add_column(col)
        for v in items[:cap]:
            t.add_row(f"{escape(v['rule_id'])}\n[dim]{escape(v.get('title') or '')}[/]", escape(_responsible(v)),
                      escape(v["message_zh"]))
        console.print(t)
    if c["changed"]:
        title = f"变化 Changed（{len(c['changed']):,}）：同一违规，严重程度、责任方或证据不同"
        if narrow:
            say(console, f"[bold]■ {title}[/]")
            for x in c["changed"][:cap]:
                say(console, f"[bold]{escape(x['rule_id'])}[/] {escape(x['base'].get('title') or '')} · "
                             f"{escape(subject_at(x))} · 变化：{_differs(x)}")
                for what, base, proposal in changed_details(x, c):
                    say(console, f"{what}　基准：{escape(base)}", indent=2)
                    say(console, f"{'　' * len(what)}　拟议：[bold]{escape(proposal)}[/]", indent=2)
        else:
            t = Table(title=title)
            for col in ("规则 Rule", "主体 Subject", "变化 What", "基准 Base", "拟议 Proposal"):
                t.add_column(col)
            for x in c["changed"][:cap]:
                details = changed_details(x, c)
                t.add_row(f"{escape(x['rule_id'])}\n[dim]{escape(x['base'].get('title') or '')}[/]",
                          escape(subject_at(x)), _differs(x),
                          "\n".join(f"{w}：{escape(b)}" for w, b, _ in details),
                          "\n".join(f"{w}：{escape(p)}" for w, _, p in details))
            console.print(t)
    if max(len(c["added"]), len(c["removed"]), len(c["changed"])) > cap:
        say(console, f"每张表最多显示 {cap} 条；用 -o 比较.xlsx 导出全部。"
                     f" (at most {cap} rows per list; use -o FILE.xlsx for all of them.)")
    if not c["facts_shared"]:
        say(console, "[dim]拟议方案改变了老旧、高梯户比等定义参数，事实表按拟议参数另行推导。"
                     " The proposal changes a parameter that shapes the facts: they were derived again for it.[/]")


def moved_firms(c: dict) -> list[dict]:
    """The firms whose violations or points differ between the two rule books."""
    return [f for f in c["by_firm"] if (f["base_violations"], f["base_points"]) != (f["proposal_violations"], f["proposal_points"])]


# ---- the workbook: a sheet per list, Chinese sheet names, headers and values --------------------

def _h(zh: str, key: str, kind: str = "text"):
    from checker.office import Column

    return Column(key, zh, key, kind)


def _violation_columns() -> list:
    return [_h("级别", "severity"), _h("规则", "rule_id", "id"), _h("规则名称", "title"), _h("条款", "clause"),
            _h("责任方", "responsible_role"), _h("责任单位", "responsible_name"),
            _h("责任单位代码", "responsible_org_id", "id"), _h("电梯", "elevator_id", "id"),
            _h("使用单位", "use_unit_name"), _h("使用单位代码", "use_unit_id", "id"), _h("所在区", "district"),
            _h("违规主体", "subject", "id"), _h("期间", "period_key", "id"), _h("说明", "message", "long"),
            _h("证据", "evidence", "long"), _h("违规指纹", "fingerprint", "id")]


def _violation_rows(items: list[dict], c: dict) -> list[dict]:
    return [{"severity": labels.severity(v["severity"]), "rule_id": v["rule_id"], "title": v.get("title"),
             "clause": v["clause"], "responsible_role": labels.responsible(v["responsible_role"]),
             "responsible_name": v.get("responsible_name"), "responsible_org_id": v.get("responsible_org_id"),
             "elevator_id": v.get("elevator_id"), "use_unit_name": v.get("use_unit_name"), "use_unit_id": v.get("use_unit_id"),
             "district": v.get("district"), "subject": v["subject"], "period_key": v["period_key"],
             "message": v["message_zh"], "evidence": _evidence(v, c), "fingerprint": v["fingerprint"]} for v in items]


def comparison_tables(c: dict) -> dict[str, object]:
    """The workbook's sheets as office.Tables: 结论, 按规则, 按区, 按企业, 新增违规, 减少违规, 变化."""
    from checker.office import Table as Sheet, frame

    def sheet(columns: list, rows: list[dict]) -> Sheet:
        return Sheet(columns, frame(rows, columns))

    conclusion = [("结论", f"{c['conclusion_zh']}\n{c['conclusion_en']}"),
                  ("检查期间", f"{c['period']['from']} 至 {c['period']['to']}"),
                  ("基准规则集", c["base"]["ruleset"]["digest"]), ("拟议规则集", c["proposal"]["ruleset"]["digest"]),
                  *((f"{kind} {name}", f"{base} → {used}") for kind, name, base, used in changes_rows(c)),
                  ("新增违规", f"{c['summary']['added']:,} 条"), ("减少违规", f"{c['summary']['removed']:,} 条"),
                  ("严重程度、责任方或证据改变的违规", f"{c['summary']['changed']:,} 条"),
                  ("受影响的物业服务企业", f"{c['summary']['firms_affected']:,} 家"),
                  ("扣分说明", c["credit_schedule"]["notice_zh"])]
    tables = {"结论": sheet([_h("项目", "item"), _h("内容", "text", "long")],
                            [{"item": k, "text": v} for k, v in conclusion])}
    tables["按规则"] = sheet(
        [_h("规则", "rule_id", "id"), _h("规则名称", "title"), _h("基准违规数", "base", "number"),
         _h("拟议违规数", "proposal", "number"), _h("变化", "change", "number"), _h("说明", "note", "long")],
        [r | {"change": None if r["base"] is None or r["proposal"] is None else r["proposal"] - r["base"],
              "note": r.get("note_zh")} for r in c["by_rule"]])
    tables["按区"] = sheet(
        [_h("区", "district"), _h("基准违规数", "base", "number"), _h("拟议违规数", "proposal", "number"),
         _h("变化", "change", "number")],
        [d | {"change": d["proposal"] - d["base"]} for d in c["by_district"]])
    tables["按企业"] = sheet(
        [_h("物业服务企业", "name"), _h("统一社会信用代码", "org_id", "id"), _h("基准扣分违规数", "base_violations", "number"),
         _h("拟议扣分违规数", "proposal_violations", "number"), _h("基准扣分", "base_points", "number"),
         _h("拟议扣分", "proposal_points", "number"), _h("扣分变化", "change", "number")],
        [f | {"change": f["proposal_points"] - f["base_points"]} for f in c["by_firm"]])
    tables["新增违规"] = sheet(_violation_columns(), _violation_rows(c["added"], c))
    tables["减少违规"] = sheet(_violation_columns(), _violation_rows(c["removed"], c))
    changed = [{"rule_id": x["rule_id"], "title": x["base"].get("title"), "subject": x["subject"], "period_key": x["period_key"],
                "differs": _differs(x), "base_severity": labels.severity(x["base"]["severity"]),
                "proposal_severity": labels.severity(x["proposal"]["severity"]),
                "base_responsible": _responsible(x["base"]), "proposal_responsible": _responsible(x["proposal"]),
                "base_evidence": _evidence(x["base"], c), "proposal_evidence": _evidence(x["proposal"], c),
                "base_message": x["base"]["message_zh"], "proposal_message": x["proposal"]["message_zh"],
                "fingerprint": x["fingerprint"]} for x in c["changed"]]
    tables["变化"] = sheet(
        [_h("规则", "rule_id", "id"), _h("规则名称", "title"), _h("违规主体", "subject", "id"), _h("期间", "period_key", "id"),
         _h("变化项", "differs"), _h("基准级别", "base_severity"), _h("拟议级别", "proposal_severity"),
         _h("基准责任方", "base_responsible"), _h("拟议责任方", "proposal_responsible"),
         _h("基准证据", "base_evidence", "long"), _h("拟议证据", "proposal_evidence", "long"),
         _h("基准说明", "base_message", "long"), _h("拟议说明", "proposal_message", "long"),
         _h("违规指纹", "fingerprint", "id")], changed)
    return tables


def write_comparison_xlsx(c: dict, path) -> None:
    """结论, 按规则, 按区, 按企业, 新增违规, 减少违规, 变化: every list in full, in Chinese, each sheet
    with a frozen header and a filter (checker.office writes it, as it writes the check workbook)."""
    from checker.office import write_workbook

    write_workbook(comparison_tables(c), path, "zh")


def shift_chart_svg(c: dict) -> str:
    """Per-rule and per-district shifts (proposal − base) as inline SVG, drawn by matplotlib; text
    stays text (svg.fonttype none) so that the reader's browser renders the Chinese."""
    import io
    import warnings

    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from checker.charts import CHART_WIDTH, FONT, TITLE_FONT

    rules = [(r["rule_id"], r["proposal"] - r["base"]) for r in c["by_rule"]
             if r["base"] is not None and r["proposal"] is not None and r["proposal"] != r["base"]]
    rules += [(r["rule_id"] + "（仅拟议）" if r["base"] is None else r["rule_id"] + "（仅基准）",
               (r["proposal"] or 0) - (r["base"] or 0)) for r in c["by_rule"] if (r["base"] is None) != (r["proposal"] is None)]
    districts = [(d["district"], d["proposal"] - d["base"]) for d in c["by_district"] if d["proposal"] != d["base"]]
    style = {"svg.fonttype": "none", "svg.hashsalt": "liftcheck", "font.family": ["sans-serif"],
             "font.sans-serif": ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
                                 "WenQuanYi Micro Hei", "DejaVu Sans"]}
    panels = [("按规则 By rule", rules), ("按区 By district", districts)]
    height = 1.2 + 0.32 * sum(max(len(bars), 1) for _, bars in panels) + 0.8 * len(panels)
    with matplotlib.rc_context(style), warnings.catch_warnings():
        warnings.simplefilter("ignore")   # glyph metrics of fonts this machine lacks: the browser draws the text
        fig = Figure(figsize=(CHART_WIDTH, height), layout="constrained")   # sized for a phone, as checker.charts
        axes = fig.subplots(len(panels), 1, height_ratios=[max(len(b), 1) + 1 for _, b in panels])
        for ax, (title, bars) in zip(axes, panels):
            ax.set_title(f"{title}\n拟议 − 基准 proposal − base", loc="left", fontsize=TITLE_FONT)
            if not bars:
                ax.text(0.5, 0.5, "没有变化 no change", ha="center", va="center", transform=ax.transAxes, fontsize=FONT)
                ax.set_axis_off()
                continue
            names = [name for name, _ in bars][::-1]
            values = [value for _, value in bars][::-1]
            colours = ["#c0392b" if v > 0 else "#27864a" for v in values]
            ax.barh(names, values, color=colours)
            ax.axvline(0, color="#555", linewidth=0.8)
            ax.bar_label(ax.containers[0], labels=[f"+{v}" if v > 0 else f"−{-v}" for v in values], padding=3, fontsize=FONT)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
            ax.tick_params(labelsize=FONT)
            ax.margins(x=0.15)
            ax.spines[["top", "right"]].set_visible(False)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def comparison_html(c: dict) -> str:
    """The comparison as one self-contained HTML page (Jinja2, autoescaped) with its chart inline."""
    from markupsafe import Markup

    from checker.render import page_environment

    # the SVG is matplotlib's: every text in it is XML-escaped by its writer
    return page_environment().get_template("compare.html.j2").render(
        c=c, chart=Markup(shift_chart_svg(c)), changes=changes_rows(c), firms=moved_firms(c), delta=_delta,
        count=_count, responsible=_responsible, evidence=lambda v: _evidence(v, c), differs=_differs,
        details=lambda x: changed_details(x, c), subject_at=subject_at)
