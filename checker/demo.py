"""`liftcheck demo`: a small sample, then the main job on it, so a newcomer sees liftcheck work,
and the README's commands with the demo's paths, to try next.

The demo writes the same records twice, as a folder of CSV files (what a city sends) and as
one workbook as a property firm fills in `liftcheck template` (Chinese sheet names, headers and
values: 在用, 正常, 半月, 是/否),
a parameter override (12天.yaml) and a rule overlay (我的草稿/) for drafters: every command of the README runs on it
(tests/test_readme_commands.py runs them all).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from checker.outputs import write_pieces
from checker.pipeline import InvalidSubmission, run_check
from checker.render import print_problems, print_report, report_json_pieces
from checker.sample import SampleSpec, generate, write
from checker.template import write_filled

DEMO_FROM = dt.date(2024, 1, 1)
DEMO_TO = dt.date(2024, 12, 31)
# README's placeholders and what they stand for in the demo folder
WORKBOOK = "我的数据.xlsx"
PARAMS = "12天.yaml"
OVERLAY = "我的草稿"
FUND_APPLICATION = "ZJ0000000"  # the demo's emergency application of an old elevator, without a report


def try_next(folder: Path, fingerprint: str | None) -> list[tuple[str, str]]:
    """The README's commands with the demo's paths, each with what it shows."""
    data, book, params = f"{folder / 'submission'}/", folder / WORKBOOK, folder / PARAMS
    period = f"--from {DEMO_FROM} --to {DEMO_TO}"
    return [
        (f"liftcheck check {data} {period}", "终端表格，中文在前 tables, Chinese first"),
        (f"liftcheck check {data} {period} --format json -o report.json", "完整报告 the full report"),
        (f"liftcheck check {data} {period} --format html -o 报告.html", "带图表的网页报告 a page with charts"),
        (f"liftcheck check {data} {period} --ledger credit.sqlite", "扣分记入账本 deductions into a ledger"),
        ("liftcheck credit credit.sqlite --year 2024", "各企业扣分 per-firm totals"),
        ("liftcheck credit credit.sqlite --format xlsx -o 信用扣分.xlsx", "扣分工作簿 the credit workbook"),
        (f'liftcheck credit revoke credit.sqlite {fingerprint or "FINGERPRINT"} --reason "申诉成立" --by "张三"',
         "撤销一项扣分 reverse a deduction"),
        (f"liftcheck old-list {data} --quarter 2024Q3 --format xlsx -o 老旧电梯清单.xlsx", "老旧电梯清单 the old-elevator list"),
        ("liftcheck template 我的模板.xlsx", "填报模板 a workbook to fill in"),
        (f"liftcheck validate {book}", "校验 validate"),
        (f"liftcheck check {book} {period} -o 违规清单.xlsx", "违规清单工作簿 the violations workbook"),
        (f"liftcheck fund-check {book} {FUND_APPLICATION}", "维修资金申请依据 a fund application"),
        ("liftcheck rules list", "规则目录 the rules"),
        ("liftcheck rules show MAINT-INTERVAL-DENSE", "一条规则 one rule"),
        ("liftcheck features", "中文场景 the Chinese scenarios"),
        ("liftcheck coverage", "条款覆盖 clause coverage"),
        (f"liftcheck check {data} {period} --params {params}", "另一个阈值 another threshold"),
        (f"liftcheck compare {data} {period} --proposal-params {params}", "10 天还是 12 天？10 or 12 days?"),
        (f"liftcheck check {data} {period} --rules {folder / OVERLAY}/", "规则覆盖目录 a rule overlay"),
    ]
# The demo's own folder says so: `liftcheck demo` may regenerate a folder holding this file
# (its whole job), and refuses any other non-empty folder unless --force is given.
DEMO_MARKER = ".liftcheck-demo"
# The demo's sample: also what `liftcheck serve` shows on an empty database.
DEMO_SPEC = SampleSpec(elevators=120, start=DEMO_FROM, end=DEMO_TO, seed=2024)


def run_demo(folder: Path) -> int:
    console = Console()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DEMO_MARKER).write_text("written by liftcheck demo; the folder may be regenerated\n", encoding="utf-8")
    data = folder / "submission"
    tables = generate(DEMO_SPEC)
    write(tables, data)
    write_filled(tables, folder / WORKBOOK)   # the template a firm fills in, filled in
    (folder / PARAMS).write_text("# 高梯户比老旧电梯维保周期改为 12 天，比较结果 / the dense-elevator interval at 12 days\n"
                                 "maintenance.dense_max_interval_days: 12\n", encoding="utf-8")
    overlay = folder / OVERLAY
    overlay.mkdir(parents=True, exist_ok=True)
    (overlay / "DAILY-CHECK.yaml").write_text("# 覆盖目录示例：停用一条规则，理由必填（docs/drafting.md 六）/ an overlay: a rule disabled, with why\n"
                                              "id: DAILY-CHECK\ndisabled: true\nreason: 日管控改由街道另行考核\n",
                                              encoding="utf-8")
    console.print(f"[bold]样例数据 sample[/]：{sum(df.height for df in tables.values()):,} 条记录 records → {data}"
                  f"（同样的记录也写成一个工作簿 the same records as one workbook：{folder / WORKBOOK}）")
    console.print(f"[bold]检查 check[/]：liftcheck check {data} --from {DEMO_FROM} --to {DEMO_TO}")
    try:
        run = run_check(data, DEMO_FROM, DEMO_TO)
    except InvalidSubmission as exc:
        print_problems(exc.submission.problems, console)
        return 2
    print_report(run.report, console)
    out = folder / "report.json"
    write_pieces(out, report_json_pieces(run.report))
    console.print(f"完整报告 full report: {out}")
    items = [i for f in run.report["credit"] for i in f["items"]]
    console.print("\n[bold]接下来可以试 What to try next[/]（README 中的命令，换成了样例的路径）：")
    for command, what in try_next(folder, items[0]["fingerprint"] if items else None):
        # soft wrap: the terminal folds a long command, so it is copied whole
        console.print(f"  {escape(command)}", soft_wrap=True, highlight=False)
        console.print(f"    [dim]{what}[/]")
    # The demo succeeded when it judged the sample; violations in a sample are the point of it.
    return 0
