"""Statistics charts as inline SVG, drawn by matplotlib.

`svg.fonttype: none` keeps text as text in the SVG, so the browser renders the Chinese
labels with its own fonts (and screen readers and search can read them).
"""

from __future__ import annotations

import io
import logging
import threading
import warnings

from matplotlib import rc_context
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

# matplotlib's rc settings are process-wide: one chart at a time
_lock = threading.Lock()
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
_RC = {"svg.fonttype": "none", "svg.hashsalt": "liftcheck",
       "font.family": ["Noto Sans CJK SC", "WenQuanYi Zen Hei", "Source Han Sans SC", "SimHei",
                       "Microsoft YaHei", "DejaVu Sans", "sans-serif"],
       "font.size": 10, "axes.spines.top": False, "axes.spines.right": False,
       # names come from submissions: drawn as typed, never parsed as mathtext ($…$, \, {}, %)
       "text.parse_math": False}


def bar_chart(labels: list[str], values: list[float], title: str, unit: str = "", color: str = "#b8342c") -> str:
    """A horizontal bar chart, largest on top, as an <svg> element (no XML prologue)."""
    if not labels:
        return ""
    labels = [str(label) for label in labels]
    with _lock, rc_context(_RC), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a missing CJK font only affects layout metrics, not the SVG text
        height = 0.9 + 0.32 * len(labels)
        fig = Figure(figsize=(7.2, height))
        FigureCanvasSVG(fig)
        ax = fig.add_subplot()
        order = list(reversed(range(len(labels))))
        ax.barh([labels[i] for i in order], [values[i] for i in order], color=color)
        for y, i in enumerate(order):
            ax.text(values[i], y, f" {values[i]:g}{unit}", va="center", fontsize=8)
        ax.set_title(title, loc="left")
        ax.margins(x=0.12)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]
