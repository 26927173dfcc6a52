"""整治后评价的输出: the terminal table, the Chinese workbook, the HTML page and its SVG charts.

Like every renderer it draws from the report dictionary (checker/effect_report.py) and
recomputes nothing. Charts are matplotlib figures written as inline SVG whose text stays text
(svg.fonttype none) and is never read as mathematics (text.parse_math off: a "$" in a district
or label stays a "$").
"""

from __future__ import annotations

import io
import json
import logging
import re
import warnings
from pathlib import Path

from checker import effect as fx
from checker.effect_report import WHO_LABELS, group_label, outcome_label

CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei",
             "PingFang SC", "Hiragino Sans GB", "DejaVu Sans"]
BY_LABELS = {"kind": "整治类别", "district": "区", "assessment_conclusion": "评估结论", None: "全部"}
EFFECT_COLUMNS = {"outcome_zh": "结果指标", "group_zh": "分组", "estimate": "效果（次/百台月）", "ci_low": "95%置信区间下限",
                  "ci_high": "95%置信区间上限", "with_works": "整治后实际（次/百台月）", "without_works": "未整治时估计（次/百台月）",
                  "change_pct": "变化（%）", "treated": "已整治电梯（台）", "controls": "对照电梯（台）",
                  "outcome": "outcome", "group": "group"}
RAW_COLUMNS = {"outcome_zh": "结果指标", "group_zh": "分组", "who_zh": "比较对象", "elevators": "电梯（台）",
               "events": "事件数", "elevator_months": "在用台月", "rate": "每百台月", "outcome": "outcome", "who": "who"}
EVENT_COLUMNS = {"outcome_zh": "结果指标", "group_zh": "分组", "event_time": "相对竣工月份（0=竣工次月）",
                 "estimate": "效果（次/百台月）", "ci_low": "95%置信区间下限", "ci_high": "95%置信区间上限", "outcome": "outcome"}
CELL_COLUMNS = {"outcome_zh": "结果指标", "group_zh": "分组", "cohort_month": "批次（竣工次月）", "calendar_month": "月份",
                "estimate": "效果（次/百台月）", "ci_low": "95%置信区间下限", "ci_high": "95%置信区间上限", "outcome": "outcome"}
LEFT_OUT_COLUMNS = {"zh": "原因", "elevators": "电梯（台）", "records": "记录（条）", "group": "分组/指标",
                    "examples": "示例（设备代码）", "en": "reason", "reason": "code"}


def _month_name(report: dict, t: int) -> str:
    """The library's month t (1 = the month of --from) as YYYY-MM."""
    year, month = map(int, report["period"]["from"][:7].split("-"))
    total = year * 12 + month - 1 + t - 1
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def _rows(report: dict, by: str | None = None) -> list[dict]:
    rel = {(r["outcome"], r["group"]): r for r in report["relative"] + report["recommendation"]["relative"]}
    rows = []
    for split, items in ((report["by"], report["effects"]), ("followed", report["recommendation"]["effects"])):
        for e in items:
            r = rel.get((e["outcome"], e["group"]), {})
            rows.append({**e, **{k: r.get(k) for k in ("with_works", "without_works", "change_pct", "too_few_events")},
                         "outcome_zh": outcome_label(e["outcome"]),
                         "group_zh": group_label(None if e["group"] == "all" else split, e["group"])})
    return rows


def _num(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


# ---- terminal ---------------------------------------------------------------------------------

def print_effect(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{report['title_zh']}[/] {report['period']['from']} 至 {report['period']['to']}")
    console.print(f"[bold green]结论[/] {report['conclusion_zh']}")
    console.print(f"[dim]{report['conclusion_en']}[/]")
    c = report["counts"]
    console.print(f"纳入比较：已整治 {c['treated']:,} 台，对照（尚未整治）{c['controls']:,} 台；未纳入 {c['left_out']:,} 台"
                  f"（评价范围 {c['population']:,} 台：{report['design']['population_zh']}）")
    table = Table(title="整治效果（交错双重差分，次/百台月） Effect of completed works (per 100 elevator-months)")
    for col in ("结果指标", "分组", "效果", "95% 置信区间", "整治后实际", "未整治时估计", "变化", "已整治", "对照"):
        table.add_column(col, overflow="fold")
    for r in _rows(report):
        interval = (f"{r['ci_low']:+.2f} 至 {r['ci_high']:+.2f}" if r["ci_low"] is not None
                    else "样本不足" if r["estimate"] is None else "事件太少" if r.get("too_few_events") else "—")
        table.add_row(r["outcome_zh"], r["group_zh"], "—" if r["estimate"] is None else f"{r['estimate']:+.2f}",
                      interval, _num(r["with_works"]), _num(r["without_works"]),
                      "—" if r["change_pct"] is None else f"{r['change_pct']:+.0f}%", f"{r['treated']:,}",
                      f"{r['controls']:,}")
    console.print(table)
    raw = Table(title="整治前后原始比较（可手工核对） Raw before/after, as a clerk can count it")
    for col in ("结果指标", "比较对象", "电梯", "事件数", "在用台月", "每百台月"):
        raw.add_column(col, overflow="fold")
    for r in report["raw"]:
        if r["group"] == "all" and r["outcome"] in fx.OUTCOMES:
            raw.add_row(outcome_label(r["outcome"]), WHO_LABELS[r["who"]][0], f"{r['elevators']:,}", f"{r['events']:,}",
                        _num(r["elevator_months"], 1), _num(r["rate"]))
    console.print(raw)
    if report["left_out"]:
        left = Table(title="未纳入比较及原因 Left out, and why")
        for col in ("原因", "电梯", "记录", "示例"):
            left.add_column(col, overflow="fold")
        for x in report["left_out"]:
            left.add_row(x["zh"], "—" if x["elevators"] is None else f"{x['elevators']:,}",
                         "—" if x["records"] is None else f"{x['records']:,}", "、".join(x.get("examples") or []))
        console.print(left)
    console.print(f"[dim]方法：{report['design']['method_zh']}；{report['design']['anticipation_zh']}；"
                  f"{report['design']['exposure_zh']}；{report['design']['inference_zh']}；{report['design']['library']}[/]")


# ---- JSON -------------------------------------------------------------------------------------

def effect_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)


# ---- workbook -----------------------------------------------------------------------------------

def _frame(rows: list[dict], columns: dict[str, str]):
    import polars as pl

    data = {label: [r.get(key) for r in rows] for key, label in columns.items()}
    for label, values in data.items():
        if any(isinstance(v, (list, dict)) for v in values):
            data[label] = ["、".join(v) if isinstance(v, list) else json.dumps(v, ensure_ascii=False)
                           if isinstance(v, dict) else v for v in values]
    return pl.DataFrame(data, strict=False) if rows else pl.DataFrame({label: [] for label in columns.values()})


def sheets(report: dict) -> dict:
    """The workbook's sheets, Chinese names first: 结论, 整治效果, 事件研究, 分组时间效果,
    整治前后原始比较, 评估建议有效性, 未纳入比较, 方法说明."""
    d = report["design"]
    summary = [{"项目": "结论", "内容": report["conclusion_zh"]}, {"项目": "Conclusion", "内容": report["conclusion_en"]},
               {"项目": "评价期间", "内容": f"{report['period']['from']} 至 {report['period']['to']}"},
               {"项目": "分组方式", "内容": BY_LABELS.get(report["by"], report["by"])},
               {"项目": "已整治电梯（台）", "内容": str(report["counts"]["treated"])},
               {"项目": "对照电梯（台）", "内容": str(report["counts"]["controls"])},
               {"项目": "未纳入比较（台）", "内容": str(report["counts"]["left_out"])},
               {"项目": "单位", "内容": f"{report['unit']}（{report['unit_en']}）"}]
    method = [{"项目": k, "内容": str(v)} for k, v in (
        ("方法", d["method_zh"]), ("Method", d["method"]), ("评价范围", d["population_zh"]), ("已整治", d["treated_zh"]),
        ("对照", d["controls_zh"]), ("竣工当月", d["anticipation_zh"]), ("暴露量", d["exposure_zh"]),
        ("推断", d["inference_zh"]), ("程序库", d["library"]),
        ("最少已整治/对照电梯", f"{d['min_treated']} / {d['min_controls']}"))]
    by = report["by"]
    events = [{**e, "outcome_zh": outcome_label(e["outcome"]), "group_zh": group_label(by if e["group"] != "all" else None,
                                                                                       e["group"])}
              for e in report["event_study"]]
    cells = [{**g, "outcome_zh": outcome_label(g["outcome"]),
              "group_zh": group_label(by if g["group"] != "all" else None, g["group"]),
              "cohort_month": _month_name(report, g["cohort"]), "calendar_month": _month_name(report, g["month"])}
             for g in report["group_time"]]

    def raw_rows(items, split):
        return [{**r, "outcome_zh": outcome_label(r["outcome"]), "who_zh": WHO_LABELS[r["who"]][0],
                 "group_zh": group_label(split if r["group"] != "all" else None, r["group"])} for r in items]

    rows = _rows(report)
    return {
        "结论": _frame(summary, {"项目": "项目", "内容": "内容"}),
        "整治效果": _frame([r for r in rows if r["group"] not in ("followed", "less")], EFFECT_COLUMNS),
        "事件研究": _frame(events, EVENT_COLUMNS),
        "分组时间效果": _frame(cells, CELL_COLUMNS),
        "整治前后原始比较": _frame(raw_rows(report["raw"], by), RAW_COLUMNS),
        "评估建议有效性": _frame([r for r in rows if r["group"] in ("followed", "less")]
                          + raw_rows(report["recommendation"]["raw"], "followed"),
                          EFFECT_COLUMNS | {k: v for k, v in RAW_COLUMNS.items() if k not in EFFECT_COLUMNS}),
        "未纳入比较": _frame(report["left_out"], LEFT_OUT_COLUMNS),
        "方法说明": _frame(method, {"项目": "项目", "内容": "内容"}),
    }


def effect_xlsx_bytes(report: dict) -> bytes:
    """The workbook in memory (the portal's export)."""
    buf = io.BytesIO()
    write_effect_xlsx(report, buf)
    return buf.getvalue()


def write_effect_xlsx(report: dict, path) -> None:
    import xlsxwriter

    from checker.outputs import XLSX_OPTIONS

    options = XLSX_OPTIONS | ({"in_memory": True} if isinstance(path, io.BytesIO) else {})
    with xlsxwriter.Workbook(path, options) as workbook:
        for name, df in sheets(report).items():
            df.write_excel(workbook, worksheet=name, autofit=df.height < 5000)


# ---- charts -------------------------------------------------------------------------------------

def _style(name: str) -> dict:
    return {"svg.fonttype": "none", "svg.hashsalt": name, "font.family": ["sans-serif"], "font.sans-serif": CJK_FONTS,
            "axes.spines.top": False, "axes.spines.right": False, "axes.unicode_minus": False,
            "text.parse_math": False, "text.usetex": False}


def _svg(fig, name: str, title: str) -> str:
    buf = io.StringIO()
    with warnings.catch_warnings():   # a font missing here is the browser's to supply
        warnings.simplefilter("ignore")
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    # several charts share a page: matplotlib's ids (and references to them) get the chart's name
    own = {i for i in re.findall(r'\bid="([^"]+)"', text) if not i.startswith(name)}
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{name}-{m[1]}"' if m[1] in own else m[0], text)
    text = re.sub(r'#([^")\s]+)([")])', lambda m: f"#{name}-{m[1]}{m[2]}" if m[1] in own else m[0], text)
    label = title.replace('"', "'").replace("<", "‹").replace(">", "›").replace("&", "＆")
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', rf'<svg\1 role="img" aria-label="{label}"', text,
                  count=1)


def event_study_svg(report: dict, outcome: str, group: str = "all") -> str:
    """Effect by month relative to completion (0 = the first month after it), with 95% intervals."""
    import matplotlib
    from matplotlib.figure import Figure

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    points = [e for e in report["event_study"] if e["outcome"] == outcome and e["group"] == group
              and e["estimate"] is not None]
    name = f"event-{outcome}-{re.sub(r'[^A-Za-z0-9_-]', '', group) or 'g'}"
    title = f"{outcome_label(outcome)}：竣工前后各月的效果（次/百台月，95% 置信区间）"
    with matplotlib.rc_context(_style(name)):
        fig = Figure(figsize=(7.2, 3.0))
        ax = fig.subplots()
        if not points:
            ax.text(0.5, 0.5, "没有可估计的月份", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
        else:
            xs = [p["event_time"] for p in points]
            ys = [p["estimate"] for p in points]
            lo = [p["estimate"] - p["ci_low"] if p["ci_low"] is not None else 0 for p in points]
            hi = [p["ci_high"] - p["estimate"] if p["ci_high"] is not None else 0 for p in points]
            colours = ["#888888" if x < 0 else "#2c6fbb" for x in xs]
            ax.axhline(0, color="#555555", linewidth=0.8)
            ax.axvline(-0.5, color="#bbbbbb", linewidth=0.8, linestyle="--")
            for i, (x, y, a, b, colour) in enumerate(zip(xs, ys, lo, hi, colours)):
                drawn = ax.errorbar([x], [y], yerr=[[a], [b]], fmt="o", color=colour, capsize=3, markersize=4)
                drawn[0].set_gid(f"{name}-point-{i}")
            ax.set_xlabel("相对竣工的月份（0 = 竣工次月；−1 = 竣工当月，不计入总体效果）", fontsize=9)
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel("次/百台月", fontsize=9)
        ax.set_title(title, loc="left", fontsize=10)
        ax.tick_params(labelsize=8)
        return _svg(fig, name, title)


def district_svg(report: dict, outcome: str) -> str:
    """Per district: the estimated effect with its interval (with --by district), else the
    treated elevators' raw rates before and after."""
    import matplotlib
    from matplotlib.figure import Figure

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    name = f"district-{outcome}"
    with matplotlib.rc_context(_style(name)):
        if report["by"] == "district":
            rows = [e for e in report["effects"] if e["outcome"] == outcome and e["group"] != "all"]
            title = f"{outcome_label(outcome)}：各区整治效果（次/百台月，95% 置信区间）"
            fig = Figure(figsize=(7.2, 0.9 + 0.32 * max(len(rows), 1)))
            ax = fig.subplots()
            labels = [r["group"] + ("" if r["estimate"] is None or r["ci_low"] is not None else "＊")
                      for r in rows][::-1]
            for i, r in enumerate(rows[::-1]):
                if r["estimate"] is None:
                    ax.text(0, i, " 样本不足，未估计", va="center", fontsize=8, color="#888888")
                    continue
                a = r["estimate"] - (r["ci_low"] if r["ci_low"] is not None else r["estimate"])
                b = (r["ci_high"] if r["ci_high"] is not None else r["estimate"]) - r["estimate"]
                hollow = r["ci_low"] is None   # an estimate whose interval was withheld (too few events)
                drawn = ax.errorbar([r["estimate"]], [i], xerr=[[a], [b]], fmt="o", color="#2c6fbb", capsize=3,
                                    markersize=4, markerfacecolor="white" if hollow else "#2c6fbb")
                drawn[0].set_gid(f"{name}-point-{i}")
            if any(label.endswith("＊") for label in labels):
                title += "；＊ 事件太少，不给区间"
            ax.axvline(0, color="#555555", linewidth=0.8)
            ax.set_yticks(range(len(labels)), labels, fontsize=9)
            ax.set_xlabel("效果（负数 = 整治后减少）", fontsize=9)
        else:
            rows = [r for r in report["raw_by_district"] if r["outcome"] == outcome]
            title = f"{outcome_label(outcome)}：各区已整治电梯整治前后（次/百台月，原始比率）"
            per = {}
            for r in rows:
                per.setdefault(r["group"], {})[r["who"]] = r["rate"]
            districts = sorted(per)[::-1]
            fig = Figure(figsize=(7.2, 0.9 + 0.38 * max(len(districts), 1)))
            ax = fig.subplots()
            height = 0.38
            for offset, who, colour in ((height / 2, "treated_before", "#999999"), (-height / 2, "treated_after", "#2c6fbb")):
                values = [per[d].get(who) or 0 for d in districts]
                bars = ax.barh([i + offset for i in range(len(districts))], values, height=height, color=colour,
                               label=WHO_LABELS[who][0])
                for i, bar in enumerate(bars):
                    bar.set_gid(f"{name}-{who}-{i}")
            ax.set_yticks(range(len(districts)), districts, fontsize=9)
            ax.legend(fontsize=8, loc="lower right")
            if not districts:
                ax.text(0.5, 0.5, "没有数据", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(title, loc="left", fontsize=10)
        ax.tick_params(labelsize=8)
        return _svg(fig, name, title)


def effect_html(report: dict) -> str:
    """One self-contained page (Jinja2, autoescaped): the conclusion first, the charts inline."""
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(loader=jinja2.PackageLoader("checker", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    # the SVGs are matplotlib's: every text in them is XML-escaped by its writer
    charts = [(o, Markup(event_study_svg(report, o)), Markup(district_svg(report, o))) for o in report["outcomes"]]
    return env.get_template("effect.html.j2").render(
        r=report, rows=_rows(report), charts=charts, who=WHO_LABELS, outcome_label=outcome_label,
        group_label=group_label, num=_num, by_label=BY_LABELS.get(report["by"], report["by"]))
