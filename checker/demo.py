"""`liftcheck demo`: a small sample, then the main job on it, so a newcomer sees liftcheck work."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from rich.console import Console

from checker.outputs import write_text
from checker.pipeline import InvalidSubmission, run_check
from checker.render import print_problems, print_report
from checker.sample import SampleSpec, generate, write

DEMO_FROM = dt.date(2024, 1, 1)
DEMO_TO = dt.date(2024, 12, 31)
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
    console.print(f"[bold]样例数据 sample[/]：{sum(df.height for df in tables.values()):,} 条记录 records → {data}")
    console.print(f"[bold]检查 check[/]：liftcheck check {data} --from {DEMO_FROM} --to {DEMO_TO}")
    try:
        run = run_check(data, DEMO_FROM, DEMO_TO)
    except InvalidSubmission as exc:
        print_problems(exc.submission.problems, console)
        return 2
    print_report(run.report, console)
    out = folder / "report.json"
    write_text(out, json.dumps(run.report, ensure_ascii=False, indent=2, default=str))
    console.print(f"完整报告 full report: {out}")
    # The demo succeeded when it judged the sample; violations in a sample are the point of it.
    return 0
