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
    folder = rules.get("folder", "")
    rows += [("规则已替换 replaced", x["rule_id"], "默认规则文件 shipped", f"{folder}/{x['file']}") for x in rules["replaced"]]
    rows += [("规则已新增 added", x["rule_id"], "—", f"{folder}/{x['file']}") for x in rules["added"]]
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
