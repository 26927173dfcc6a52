"""Rendering for drafters' what-ifs: the "overrides" block of every check report, and the
comparison of two rule books (rich table, Excel workbook, self-contained HTML with a chart).

Like every renderer, it never recomputes a verdict: it shows the dicts that `checker.report`
and `checker.compare` built.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def has_overrides(overrides: dict | None) -> bool:
    return bool(overrides) and bool(overrides["parameters"] or any(overrides["rules"][k]
                                                                     for k in ("replaced", "added", "disabled")))


def overrides_rows(overrides: dict) -> list[tuple[str, str, str, str]]:
    """(kind, name, shipped, used): one row per parameter set by --params and rule changed by --rules."""
    rows = [("参数 parameter", p["name"], _shown(p.get("base_values", p["base"])), _shown(p.get("values", p["value"])))
            for p in overrides["parameters"]]
    rules = overrides["rules"]
    rows += [("规则已替换 replaced", x["rule_id"], "默认规则文件 shipped", x["file"]) for x in rules["replaced"]]
    rows += [("规则已新增 added", x["rule_id"], "—", x["file"]) for x in rules["added"]]
    rows += [("规则已停用 disabled", x["rule_id"], "默认规则文件 shipped", f"停用 disabled：{x['reason']}")
             for x in rules["disabled"]]
    return rows


def _shown(value) -> str:
    if isinstance(value, dict):
        return "；".join(f"{d} 起 {v}" for d, v in value.items())
    return str(value)


def print_overrides(overrides: dict | None, console: Console) -> None:
    """At the top of a check's table: what was not the shipped rule book (nothing when all was)."""
    if not has_overrides(overrides):
        return
    table = Table(title="本次检查未完全使用默认规则集 Not the shipped rule book", title_style="bold yellow")
    for col in ("类别 Kind", "名称 Name", "默认 Shipped", "本次 Used"):
        table.add_column(col)
    for kind, name, base, used in overrides_rows(overrides):
        table.add_row(kind, name, base, f"[bold]{used}[/]")
    console.print(table)


# ---- liftcheck compare ---------------------------------------------------------------------

DISPLAY_CAP = 50


def _delta(base, proposal) -> str:
    if base is None or proposal is None:
        return "—"
    d = proposal - base
    return f"+{d}" if d > 0 else ("−" + str(-d) if d < 0 else "0")


def _count(n) -> str:
    return "未评判" if n is None else f"{n:,}"


def _responsible(v: dict) -> str:
    """The party as a reader names it: its role, and the organisation's name (or code) when there is one."""
    from checker.rulebook import RESPONSIBLE_ZH

    role = RESPONSIBLE_ZH.get(v["responsible_role"], v["responsible_role"])
    who = v.get("responsible_name") or v.get("responsible_org_id")
    return f"{role} {who}" if who else role


def changes_rows(c: dict) -> list[tuple[str, str, str, str]]:
    """(kind, name, base, proposal): what the proposal changes in the base."""
    rows = [("参数 parameter", b["name"], _shown(b["values"] if len(b["values"]) > 1 else b["value"]),
             _shown(p["values"] if len(p["values"]) > 1 else p["value"]))
            for b, p in zip(c["base"]["parameters"], c["proposal"]["parameters"])]
    r = c["proposal"]["rules"]
    rows += [("规则已替换 replaced", x["rule_id"], "基准规则 base rule", x["file"]) for x in r["replaced"]]
    rows += [("规则已新增 added", x["rule_id"], "—", x["file"]) for x in r["added"]]
    rows += [("规则已停用 disabled", x["rule_id"], "基准规则 base rule", f"停用：{x['reason']}") for x in r["disabled"]]
    return rows


def print_comparison(c: dict, console: Console | None = None, cap: int = DISPLAY_CAP) -> None:
    """结论 first, then what changed, per rule, per district, per firm, and the violations that flip."""
    from rich.panel import Panel

    console = console or Console()
    console.print(Panel(f"[bold]{c['conclusion_zh']}[/]\n[dim]{c['conclusion_en']}[/]", title="结论 Conclusion",
                        subtitle=f"{c['period']['from']} – {c['period']['to']}"))
    table = Table(title="拟议方案的改动 What the proposal changes")
    for col in ("类别 Kind", "名称 Name", "基准 Base", "拟议 Proposal"):
        table.add_column(col)
    for row in changes_rows(c):
        table.add_row(*row)
    console.print(table)
    rules = Table(title="按规则 By rule")
    for col, justify in (("规则 Rule", "left"), ("基准 Base", "right"), ("拟议 Proposal", "right"), ("变化 Change", "right")):
        rules.add_column(col, justify=justify)
    for r in c["by_rule"]:
        style = "bold" if r["base"] != r["proposal"] else "dim"
        rules.add_row(r["rule_id"], _count(r["base"]), _count(r["proposal"]), _delta(r["base"], r["proposal"]), style=style)
    console.print(rules)
    districts = Table(title="按区 By district")
    for col, justify in (("区 District", "left"), ("基准 Base", "right"), ("拟议 Proposal", "right"), ("变化 Change", "right")):
        districts.add_column(col, justify=justify)
    for d in c["by_district"]:
        style = "bold" if d["base"] != d["proposal"] else "dim"
        districts.add_row(d["district"], f"{d['base']:,}", f"{d['proposal']:,}", _delta(d["base"], d["proposal"]), style=style)
    console.print(districts)
    moved = [f for f in c["by_firm"] if (f["base_violations"], f["base_points"]) != (f["proposal_violations"], f["proposal_points"])]
    if moved:
        firms = Table(title=f"按企业 By firm（扣分或违规有变化的 {len(moved)} 家物业服务企业）")
        for col in ("企业 Firm", "违规 基准→拟议", "扣分 基准→拟议", "扣分变化"):
            firms.add_column(col)
        for f in moved[:cap]:
            firms.add_row(f"{f['name'] or ''} {f['org_id']}", f"{f['base_violations']} → {f['proposal_violations']}",
                          f"{f['base_points']} → {f['proposal_points']}", _delta(f["base_points"], f["proposal_points"]))
        console.print(firms)
    for key, title in (("added", "新增违规 Added"), ("removed", "减少违规 Removed")):
        items = c[key]
        if not items:
            continue
        t = Table(title=f"{title}（{len(items):,}）")
        for col in ("规则 Rule", "责任方 Responsible", "说明 Message"):
            t.add_column(col)
        for v in items[:cap]:
            t.add_row(v["rule_id"], _responsible(v), v["message_zh"])
        console.print(t)
    if c["changed"]:
        t = Table(title=f"变化 Changed（{len(c['changed']):,}）")
        for col in ("规则 Rule", "主体 Subject", "变化 What", "基准 Base", "拟议 Proposal"):
            t.add_column(col)
        for x in c["changed"][:cap]:
            t.add_row(x["rule_id"], f"{x['subject']} @ {x['period_key']}", "、".join(x["differs"]),
                      x["base"]["message_zh"], x["proposal"]["message_zh"])
        console.print(t)
    if max(len(c["added"]), len(c["removed"]), len(c["changed"])) > cap:
        console.print(f"每张表最多显示 {cap} 条；用 --format xlsx -o 比较.xlsx 导出全部。"
                      f" (at most {cap} rows per list; use --format xlsx -o FILE.xlsx for all of them.)")
    if not c["facts_shared"]:
        console.print("[dim]拟议方案改变了老旧、高梯户比等定义参数，事实表按拟议参数另行推导。"
                      " The proposal changes a parameter that shapes the facts: they were derived again for it.[/]")


# The workbook: a sheet per list, Chinese sheet names and headers.
SHEETS = {
    "按规则": ("by_rule", {"rule_id": "规则", "base": "基准违规数", "proposal": "拟议违规数", "change": "变化"}),
    "按区": ("by_district", {"district": "区", "base": "基准违规数", "proposal": "拟议违规数", "change": "变化"}),
    "按企业": ("by_firm", {"org_id": "统一社会信用代码", "name": "物业服务企业", "base_violations": "基准扣分违规数",
                         "proposal_violations": "拟议扣分违规数", "base_points": "基准扣分", "proposal_points": "拟议扣分",
                         "change": "扣分变化"}),
}
VIOLATION_COLUMNS = {"rule_id": "规则", "title": "标题", "clause": "条款", "severity": "严重程度",
                     "responsible_role": "责任方", "responsible_org_id": "责任单位代码",
                     "responsible_name": "责任单位", "elevator_id": "设备代码", "use_unit_id": "使用单位代码",
                     "use_unit_name": "使用单位", "district": "区", "subject": "主体", "period_key": "期间键",
                     "message_zh": "说明", "evidence": "证据", "fingerprint": "指纹"}


def _with_change(rows: list[dict], base: str, proposal: str) -> list[dict]:
    return [r | {"change": None if r[base] is None or r[proposal] is None else r[proposal] - r[base]} for r in rows]


def write_comparison_xlsx(c: dict, path) -> None:
    """结论, 按规则, 按区, 按企业, 新增违规, 减少违规, 变化: every list in full."""
    import json

    import polars as pl
    import xlsxwriter

    def frame(rows: list[dict], columns: dict[str, str]) -> pl.DataFrame:
        data = {label: [r.get(key) for r in rows] for key, label in columns.items()}
        for label, values in data.items():
            if any(isinstance(v, (dict, list)) for v in values):
                data[label] = [json.dumps(v, ensure_ascii=False) if v is not None else None for v in values]
        return pl.DataFrame(data, strict=False) if rows else pl.DataFrame({label: [] for label in columns.values()})

    path.parent.mkdir(parents=True, exist_ok=True)
    conclusion = [{"项目": "结论", "内容": c["conclusion_zh"]}, {"项目": "Conclusion", "内容": c["conclusion_en"]},
                  {"项目": "检查期间", "内容": f"{c['period']['from']} 至 {c['period']['to']}"},
                  {"项目": "基准规则集", "内容": c["base"]["ruleset"]["digest"]},
                  {"项目": "拟议规则集", "内容": c["proposal"]["ruleset"]["digest"]},
                  *({"项目": f"{kind} {name}", "内容": f"{base} → {used}"} for kind, name, base, used in changes_rows(c)),
                  {"项目": "新增违规", "内容": str(c["summary"]["added"])},
                  {"项目": "减少违规", "内容": str(c["summary"]["removed"])},
                  {"项目": "变化", "内容": str(c["summary"]["changed"])},
                  {"项目": "受影响的物业服务企业", "内容": str(c["summary"]["firms_affected"])},
                  {"项目": "扣分说明", "内容": c["credit_schedule"]["notice_zh"]}]
    sheets = {"结论": frame(conclusion, {"项目": "项目", "内容": "内容"})}
    for name, (key, columns) in SHEETS.items():
        base, proposal = ("base_points", "proposal_points") if key == "by_firm" else ("base", "proposal")
        sheets[name] = frame(_with_change(c[key], base, proposal), columns)
    sheets["新增违规"] = frame(c["added"], VIOLATION_COLUMNS)
    sheets["减少违规"] = frame(c["removed"], VIOLATION_COLUMNS)
    changed = [{"rule_id": x["rule_id"], "subject": x["subject"], "period_key": x["period_key"],
                "differs": "、".join(x["differs"]), "base_severity": x["base"]["severity"],
                "proposal_severity": x["proposal"]["severity"], "base_responsible": _responsible(x["base"]),
                "proposal_responsible": _responsible(x["proposal"]), "base_evidence": x["base"]["evidence"],
                "proposal_evidence": x["proposal"]["evidence"], "base_message": x["base"]["message_zh"],
                "proposal_message": x["proposal"]["message_zh"], "fingerprint": x["fingerprint"]} for x in c["changed"]]
    sheets["变化"] = frame(changed, {"rule_id": "规则", "subject": "主体", "period_key": "期间键", "differs": "变化项",
                                    "base_severity": "基准严重程度", "proposal_severity": "拟议严重程度",
                                    "base_responsible": "基准责任方", "proposal_responsible": "拟议责任方",
                                    "base_evidence": "基准证据", "proposal_evidence": "拟议证据",
                                    "base_message": "基准说明", "proposal_message": "拟议说明", "fingerprint": "指纹"})
    from checker.outputs import XLSX_OPTIONS

    with xlsxwriter.Workbook(path, XLSX_OPTIONS) as workbook:
        for name, df in sheets.items():
            df.write_excel(workbook, worksheet=name, autofit=df.height < 5000)


def shift_chart_svg(c: dict) -> str:
    """Per-rule and per-district shifts (proposal − base) as inline SVG, drawn by matplotlib; text
    stays text (svg.fonttype none) so that the reader's browser renders the Chinese."""
    import io
    import warnings

    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

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
        fig = Figure(figsize=(8, height), layout="constrained")
        axes = fig.subplots(len(panels), 1, height_ratios=[max(len(b), 1) + 1 for _, b in panels])
        for ax, (title, bars) in zip(axes, panels):
            ax.set_title(f"{title}：拟议 − 基准 (proposal − base)", loc="left", fontsize=11)
            if not bars:
                ax.text(0.5, 0.5, "没有变化 no change", ha="center", va="center", transform=ax.transAxes)
                ax.set_axis_off()
                continue
            labels = [label for label, _ in bars][::-1]
            values = [value for _, value in bars][::-1]
            colours = ["#c0392b" if v > 0 else "#27864a" for v in values]
            ax.barh(labels, values, color=colours)
            ax.axvline(0, color="#555", linewidth=0.8)
            ax.bar_label(ax.containers[0], labels=[f"+{v}" if v > 0 else f"−{-v}" for v in values], padding=3, fontsize=9)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.margins(x=0.15)
            ax.spines[["top", "right"]].set_visible(False)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def comparison_html(c: dict) -> str:
    """The comparison as one self-contained HTML page (Jinja2, autoescaped) with its chart inline."""
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(loader=jinja2.PackageLoader("checker", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    moved = [f for f in c["by_firm"] if (f["base_violations"], f["base_points"]) != (f["proposal_violations"], f["proposal_points"])]
    # the SVG is matplotlib's: every text in it is XML-escaped by its writer
    return env.get_template("compare.html.j2").render(
        c=c, chart=Markup(shift_chart_svg(c)), changes=changes_rows(c), firms=moved, delta=_delta,
        count=_count, responsible=_responsible)
