"""The HTML report's charts: matplotlib figures written as inline SVG, text kept as text.

`svg.fonttype = "none"` leaves every label a <text> element naming a CJK font stack, so the
reader's browser draws the Chinese with its own fonts (Noto Sans CJK, WenQuanYi, Microsoft
YaHei, PingFang): no font is embedded, nothing is fetched, and the labels can be selected,
searched and translated. Each bar carries an id (`<chart>-bar-<n>`) so a test can count them.
Every chart is drawn from the report alone; no verdict is recomputed.

Sized for a phone: a chart is drawn CHART_WIDTH inches wide with its text at FONT points, so that
on a 390-px screen (the chart about 360 px wide) no label is under 11 px; on a wide screen the
page caps the chart's width (checker/templates/_style.css.j2). A yearly state rule is judged on
the period's last day, so its violations are dated by that day: the month chart shows them apart
(their own colour, stacked on the last month) and says why.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import warnings
from collections import Counter

from checker import labels

CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei",
             "PingFang SC", "Hiragino Sans GB", "DejaVu Sans"]
BAR = "#4472C4"
ALERT = "#C0504D"
STATE = "#A5B8DC"      # the month chart's part for the state rules judged on the period's last day
TOP_FIRMS = 10
CHART_WIDTH = 4.4      # inches (matplotlib's SVG is in points: 317 pt wide)
FONT = 10.5            # points: every label, tick and value of a chart
TITLE_FONT = 12


def _style(name: str) -> dict:
    return {"svg.fonttype": "none", "svg.hashsalt": name, "font.family": ["sans-serif"], "font.sans-serif": CJK_FONTS,
            "axes.spines.top": False, "axes.spines.right": False, "axes.unicode_minus": False,
            # firms' names come from submissions: drawn as typed, never parsed as mathtext ($…$)
            "text.parse_math": False}


def _figure(rows: int, lines: int = 1):
    """A figure of its own (no pyplot, no global state): one per chart."""
    from matplotlib.figure import Figure

    # constrained: the labels fit inside the width, so the chart keeps the scale its fonts were chosen for
    fig = Figure(figsize=(CHART_WIDTH, max(1.8, (0.22 + 0.2 * lines) * rows + 1.0)), layout="constrained")
    return fig, fig.subplots()


def _svg(fig, name: str, title: str) -> str:
    buf = io.StringIO()
    with warnings.catch_warnings():   # a font missing on the server is the browser's to supply
        warnings.simplefilter("ignore")
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    # several charts share one page: every id matplotlib made (patch_1, axes_1, …) gets the
    # chart's name, and so does every reference to it
    own = {i for i in re.findall(r'\bid="([^"]+)"', text) if not i.startswith(name)}
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{name}-{m[1]}"' if m[1] in own else m[0], text)
    text = re.sub(r'#([^")\s]+)([")])', lambda m: f"#{name}-{m[1]}{m[2]}" if m[1] in own else m[0], text)
    # the page sizes the chart (CSS): keep the viewBox, drop the fixed size
    label = title.replace('"', "'")
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', rf'<svg\1 role="img" aria-label="{label}"', text, count=1)


def _hbar(name: str, title: str, names: list[str], values: list[float], fmt=lambda v: f"{v:,.0f}",
          colours: list[str] | None = None, xmax: float | None = None, percent: bool = False) -> str:
    """Horizontal bars, largest first (top), each bar labelled with its value."""
    import matplotlib

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    with matplotlib.rc_context(_style(name)):
        fig, ax = _figure(len(names), max(n.count("\n") + 1 for n in names))
        return _draw_hbar(fig, ax, name, title, names, values, fmt, colours, xmax, percent)


def _draw_hbar(fig, ax, name, title, names, values, fmt, colours, xmax, percent=False) -> str:
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    positions = list(range(len(names)))[::-1]
    bars = ax.barh(positions, values, color=colours or BAR, height=0.65)
    for i, (bar, value) in enumerate(zip(bars, values)):
        bar.set_gid(f"{name}-bar-{i}")
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, " " + fmt(value), va="center", fontsize=FONT)
    ax.set_yticks(positions, names, fontsize=FONT)
    fig.suptitle(title, x=0.02, ha="left", fontsize=TITLE_FONT)   # from the figure's edge: a long title stays inside
    ax.set_xlim(0, xmax if xmax is not None else max(values or [1]) * 1.3 or 1)   # room for the value labels
    if percent:   # a rate: the axis in %, 0–100%, as its labels
        ax.set_xticks([0, 0.5, 1])
        ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.tick_params(axis="x", labelsize=FONT)
    return _svg(fig, name, title)


def _short(text: str, width: int = 14) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def by_rule(report: dict) -> str | None:
    counts = [(r["rule_id"], r["title"], r["violations"]) for r in report["rules"] if r["evaluated"] and r["violations"]]
    if not counts:
        return None
    counts.sort(key=lambda c: -c[2])
    return _hbar("chart-by-rule", "各规则违规数 Violations by rule",
                 [f"{_short(title, 12)}\n{rule_id}" for rule_id, title, _ in counts], [n for _, _, n in counts])


def by_district(report: dict) -> str | None:
    counts = sorted(report["summary"]["by_district"].items(), key=lambda kv: -kv[1])
    if not counts:
        return None
    return _hbar("chart-by-district", "各区违规数 Violations by district", [d for d, _ in counts], [n for _, n in counts])


def closed_loop(report: dict) -> str | None:
    rates = [(d, r) for d, r in report["metrics"]["closed_loop_rate"]["by_district"].items() if r["hazards"]]
    if not rates:
        return None
    rates.sort(key=lambda dr: dr[1]["rate"])
    colours = [ALERT if r["rate"] < 1 else BAR for _, r in rates]
    return _hbar("chart-closed-loop", "各区隐患闭环率 Closed-loop rate",
                 [f"{d}（{r['closed']}/{r['hazards']}）" for d, r in rates], [r["rate"] for _, r in rates],
                 fmt=lambda v: f"{v:.0%}", colours=colours, xmax=1.2, percent=True)


def top_firms(report: dict) -> str | None:
    firms = [f for f in report["credit"] if f["points"]][:TOP_FIRMS]
    if not firms:
        return None
    notice = "" if report["credit_schedule"]["official"] else "（默认分值，非官方）"
    return _hbar("chart-top-firms", f"扣分最多的物业服务企业 Firms with most points\n{notice}".strip(),
                 [f"{_short(f['name'] or '', 12)}\n{f['org_id']}".strip() for f in firms], [f["points"] for f in firms])


def months_of(start: dt.date, end: dt.date) -> list[str]:
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


_DAY = re.compile(r"^(\d{4}-\d{2})(?:-\d{2})?$")
# for subjects keyed by a record id: the day the breach is dated by, from its evidence
_EVIDENCE_DAY = ("due_on", "reported_at", "failed_on", "applied_on", "found_on", "monday", "first", "a")


def violation_month(v: dict, period_to: str) -> str:
    """The month a violation is dated by: its period key when that is a month, a week or a day;
    else the day its evidence dates it (the deadline missed, the call, the application); the
    state rules judged on the period's last day, that day."""
    key = v["period_key"]
    m = _DAY.match(key)
    if m:
        return m.group(1)
    if re.fullmatch(r"\d{4}-W\d{2}", key):
        return (v["evidence"].get("monday") or dt.date.fromisocalendar(int(key[:4]), int(key[6:]), 1).isoformat())[:7]
    for field in _EVIDENCE_DAY:
        value = v["evidence"].get(field)
        if isinstance(value, str) and _DAY.match(value[:10]):
            return value[:7]
    return period_to[:7]


def state_rules(report: dict) -> list[str]:
    """The rules judged on the period's last day only (yearly states: a plan, a drill, a screening…)."""
    return [r["rule_id"] for r in report["rules"] if r.get("sweep") == "state" and r.get("evaluated")]


def monthly_trend(report: dict) -> tuple[str | None, int, int]:
    """Violations per month of the period; how many are dated before it (a lapse that began
    earlier: left out of the bars and said beside the chart); and how many come from the state
    rules, judged on the period's last day (stacked on the last month in a colour of their own)."""
    months = months_of(dt.date.fromisoformat(report["period"]["from"]), dt.date.fromisoformat(report["period"]["to"]))
    state = set(state_rules(report))
    counts: Counter = Counter()
    at_end = 0
    for v in report["violations"]:
        if v["rule_id"] in state:
            at_end += 1
        else:
            counts[violation_month(v, report["period"]["to"])] += 1
    earlier = sum(n for m, n in counts.items() if m < months[0])
    if not report["violations"]:
        return None, 0, 0
    import matplotlib

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    with matplotlib.rc_context(_style("chart-monthly")):
        fig, ax = _figure(6)
        return _draw_months(fig, ax, months, counts, at_end), earlier, at_end


def _draw_months(fig, ax, months: list[str], counts: Counter, at_end: int = 0) -> str:
    heights = [counts.get(m, 0) for m in months]
    bars = ax.bar(range(len(months)), heights, color=BAR, width=0.7, label="当月违规 in the month")
    for i, bar in enumerate(bars):
        bar.set_gid(f"chart-monthly-bar-{i}")
    tops = list(heights)
    if at_end:
        last = len(months) - 1
        extra = ax.bar([last], [at_end], bottom=[heights[last]], color=STATE, width=0.7,
                       label="期末状态规则 state rules on the last day")
        extra[0].set_gid("chart-monthly-state")
        tops[last] += at_end
        ax.legend(loc="upper left", fontsize=FONT, frameon=False)
    for i, top in enumerate(tops):
        if top:
            ax.text(i, top, f"{top:,.0f}", ha="center", va="bottom", fontsize=FONT)
    step = max(1, -(-len(months) // 6))   # at most six labels: they stay readable on a phone
    ax.set_xticks(range(0, len(months), step), [m if len(months) > 12 else f"{int(m[5:])}月" for m in months[::step]],
                  fontsize=FONT, rotation=0 if len(months) <= 12 else 45)
    ax.set_ylim(0, max(tops or [1]) * (1.45 if at_end else 1.15) or 1)
    title = "违规按月份 Violations by month"
    fig.suptitle(title, x=0.02, ha="left", fontsize=TITLE_FONT)   # from the figure's edge: a long title stays inside
    ax.tick_params(axis="y", labelsize=FONT)
    return _svg(fig, "chart-monthly", title)


def charts(report: dict) -> dict:
    """Every chart of the report: name → SVG (None when there is nothing to draw)."""
    trend, earlier, at_end = monthly_trend(report)
    return {"by_rule": by_rule(report), "by_district": by_district(report), "closed_loop": closed_loop(report),
            "top_firms": top_firms(report), "monthly": trend, "monthly_earlier": earlier, "monthly_state": at_end,
            "state_rules": state_rules(report),
            "severity_zh": {k: labels.severity(k) for k in report["summary"]["by_severity"]}}
