"""The main job, end to end: load → validate → derive → evaluate → report.

`liftcheck check`, `liftcheck demo`, the Gherkin steps and the benchmarks all call
`run_check`, so there is exactly one path from files to verdicts.
"""

from __future__ import annotations

import dataclasses
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


class NothingToJudge(LiftcheckError):
    """A submission without a single elevator: every rule is about elevators, so it cannot be
    judged — never "no violations" (records.md, "Never silent")."""

    def __init__(self, submission: Submission, path: Path):
        from checker.text import visible

        found_zh, found_en = [], []
        for name in sorted(submission.files):
            files = "、".join(submission.files[name])
            count = submission.record_counts.get(name, 0)
            found_zh.append(f"{files}（{name}，{count:,} 条）")
            found_en.append(f"{files} ({name}, {count:,} records)")
        unread = [visible(u) for u in submission.unknown_files]
        if unread:
            found_zh.append("未识别、未读取的文件：" + "、".join(unread))
            found_en.append("files not read (no record type by that name): " + ", ".join(unread))
        rejected = submission.record_counts.get("elevators", 0)
        if rejected:
            lead_zh, lead_en = f"全部 {rejected:,} 部电梯都被拒收", f"all {rejected:,} elevators were rejected"
        else:
            lead_zh, lead_en = "提交的数据中没有电梯记录", "the submission has no elevators"
        super().__init__(
            f"{lead_zh}，无法评判（不是“没有违规”）。{visible(path)} 中找到："
            + ("；".join(found_zh) or "没有任何文件")
            + "。应有：elevators.csv、elevators.jsonl 或 elevators.json（或 电梯.csv 等），"
              "或工作簿中名为「电梯」或「elevators」的工作表",
            f"{lead_en}: nothing can be judged (this is not \"no violations\"). Found in {visible(path)}: "
            + ("; ".join(found_en) or "no files at all")
            + ". Expected: elevators.csv, elevators.jsonl or elevators.json (or 电梯.csv, ...), "
              "or a sheet named 电梯 or elevators in a workbook")
        self.submission = submission


def require_elevators(submission: Submission, path: Path, skip_invalid: bool = False) -> None:
    """Refuse a submission that holds no elevator at all (before its other errors, which follow
    from that), and judge none whose every elevator was rejected."""
    if submission.record_counts.get("elevators", 0) == 0:
        raise NothingToJudge(submission, path)
    if submission.error_count and not skip_invalid:
        raise InvalidSubmission(submission)
    if submission.table("elevators").height == 0:
        raise NothingToJudge(submission, path)


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


def judged_submission(path: Path, skip_invalid: bool = False, stage=None) -> Submission:
    """Load and validate once; refuse a submission without elevators, or with errors unless told
    to judge the valid records."""
    stage = stage or (lambda name: None)
    stage("load")
    raw = load_submission(path)
    stage("validate")
    submission = validate(raw, skip_invalid=skip_invalid)
    require_elevators(submission, path, skip_invalid)
    return submission


def run_check(path: Path, start: dt.date, end: dt.date, params_file: Path | None = None,
              skip_invalid: bool = False, credit_file: Path | None = None, only: list[str] | None = None,
              param_values: dict | None = None, progress=None, timings: dict | None = None,
              partitions: int = 1, rules_dir: Path | None = None, stage=None,
              cluster: str | None = None, declared_by_unit: dict | None = None) -> CheckRun:
    """`progress(rule_id, total)` after each rule; `stage(name)` as each stage begins
    ("load", "validate", "evaluate", "report"): the command line shows them as progress.
    With `cluster` (tcp://HOST:PORT or local:N) the partitions are judged on Dask workers.
    `declared_by_unit`: the earliest history starts a ledger kept per use unit (R3-A 1)."""
    stage = stage or (lambda name: None)
    book, params = rule_book_and_parameters(start, end, params_file, rules_dir, param_values)
    schedule = load_schedule(credit_file, book)
    if cluster is not None:
        submission, evaluation = _on_cluster(path, cluster, skip_invalid, book, params, start, end, only, timings,
                                             stage, declared_by_unit or {})
    else:
        submission = judged_submission(path, skip_invalid, stage)
        submission.declared_by_unit = declared_by_unit or {}
        stage("evaluate")
        if partitions > 1:
            evaluation = evaluate_partitioned(submission, book, params, start, end, partitions, only=only)
        else:
            evaluation = evaluate(submission, book, params, start, end, only=only, progress=progress, timings=timings)
    stage("report")
    report = build_report(evaluation, book, params, schedule, include_rejected=skip_invalid)
    # what was read with a warning (a default taken, a column or a cell; full-width digits; an id
    # trimmed; files not read): the report says it too, beside the verdicts it may have changed
    import polars as pl

    report["warnings"] = submission.problems.filter(pl.col("severity") == "warning").to_dicts()
    return CheckRun(submission, evaluation, report, book, params)


def _on_cluster(path, cluster: str, skip_invalid: bool, book: RuleBook, params: ParameterSet, start: dt.date,
                end: dt.date, only: list[str] | None, timings: dict | None, stage,
                declared_by_unit: dict) -> tuple[Submission, Evaluation]:
    """The use-unit partitions judged on a Dask cluster (checker/cluster.py); the report is made
    here. A Parquet dataset (a folder or a URL) is read by the workers themselves; any other
    submission is loaded and validated here first, as on one machine."""
    from checker.cluster import dataset_for, judge_on_cluster, refuse_unshared
    from checker.columnar import is_dataset, is_url

    submission = None
    if not (is_url(str(path)) or is_dataset(path)):
        refuse_unshared(path, cluster)   # before any work: remote workers could not read it
        submission = judged_submission(path, skip_invalid, stage)
    stage("evaluate")
    location, staging = dataset_for(path, submission, cluster)
    try:
        central, evaluation, runs = judge_on_cluster(location, cluster, book, params, start, end, only,
                                                     declared_by_unit=declared_by_unit)
    finally:
        if staging is not None:
            staging.cleanup()
    if timings is not None:
        timings["partitions"] = runs
    if submission is None:  # a dataset: validated by convert; its organisations and warnings read here
        if central.record_counts.get("elevators", 0) == 0:
            raise NothingToJudge(central, path)
        central.declared_by_unit = declared_by_unit
        return central, evaluation
    submission.declared_by_unit = declared_by_unit
    return submission, dataclasses.replace(evaluation, submission=submission)
