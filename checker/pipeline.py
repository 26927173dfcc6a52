"""The main job, end to end: load → validate → derive → evaluate → report.

`liftcheck check`, `liftcheck demo`, the Gherkin steps and the benchmarks all call
`run_check`, so there is exactly one path from files to verdicts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from checker.credit import load_schedule
from checker.engine import Evaluation, evaluate, evaluate_partitioned
from checker.errors import LiftcheckError
from checker.load import load_submission
from checker.overrides import compile_overlay
from checker.params import ParameterSet, load_parameters, set_parameter
from checker.report import build_report
from checker.rulebook import RuleBook, load_rulebook
from checker.validate import Submission, validate


@dataclass
class CheckRun:
    submission: Submission
    evaluation: Evaluation | None
    report: dict | None
    book: RuleBook
    params: ParameterSet

    @property
    def refused(self) -> bool:
        return self.report is None


class InvalidSubmission(LiftcheckError):
    def __init__(self, submission: Submission):
        n = submission.error_count
        super().__init__(f"提交的数据有 {n} 个错误，未做评判（可用 --skip-invalid 只评判有效记录）",
                         f"the submission has {n} errors and was not judged (use --skip-invalid to judge the valid records)")
        self.submission = submission


def rule_book_and_parameters(start: dt.date, end: dt.date, params_file: Path | None = None,
                             rules_dir: Path | None = None,
                             param_values: dict | None = None) -> tuple[RuleBook, ParameterSet]:
    """The rules and parameters a run judges by, checked before any data is loaded."""
    if end < start:
        raise LiftcheckError(f"检查期间有误：--to {end} 早于 --from {start}", f"bad period: --to {end} is before --from {start}")
    book = load_rulebook(rules_dir)
    params = load_parameters(params_file)
    for name, value in (param_values or {}).items():
        set_parameter(params, name, value)
    compile_overlay(book, params, start, end)
    return book, params


def judged_submission(path: Path, skip_invalid: bool = False) -> Submission:
    """Load and validate once; refuse a submission with errors unless told to judge the valid records."""
    submission = validate(load_submission(path), skip_invalid=skip_invalid)
    if submission.error_count and not skip_invalid:
        raise InvalidSubmission(submission)
    return submission


def run_check(path: Path, start: dt.date, end: dt.date, params_file: Path | None = None,
              skip_invalid: bool = False, credit_file: Path | None = None, only: list[str] | None = None,
              param_values: dict | None = None, progress=None, timings: dict | None = None,
              partitions: int = 1, rules_dir: Path | None = None) -> CheckRun:
    book, params = rule_book_and_parameters(start, end, params_file, rules_dir, param_values)
    schedule = load_schedule(credit_file, book)
    submission = judged_submission(path, skip_invalid)
    if partitions > 1:
        evaluation = evaluate_partitioned(submission, book, params, start, end, partitions, only=only)
    else:
        evaluation = evaluate(submission, book, params, start, end, only=only, progress=progress, timings=timings)
    report = build_report(evaluation, book, params, schedule, include_rejected=skip_invalid)
    return CheckRun(submission, evaluation, report, book, params)
