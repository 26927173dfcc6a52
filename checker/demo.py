"""`liftcheck demo`: a small sample, then the main job on it, so a newcomer sees liftcheck work."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console

from checker.load import load_submission
from checker.render import print_validation
from checker.sample import SampleSpec, generate, write
from checker.validate import validate

DEMO_FROM = dt.date(2024, 1, 1)
DEMO_TO = dt.date(2024, 12, 31)


def run_demo(folder: Path) -> int:
    console = Console()
    tables = generate(SampleSpec(elevators=120, start=DEMO_FROM, end=DEMO_TO, seed=2024))
    write(tables, folder / "submission")
    console.print(f"[bold]样例数据[/] sample written to {folder / 'submission'}")
    submission = validate(load_submission(folder / "submission"))
    print_validation(submission, folder / "submission", console=console)
    return 0 if not submission.error_count else 2
