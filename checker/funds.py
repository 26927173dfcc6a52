"""`liftcheck fund-check`: the FUND-EMERGENCY-BASIS rule applied to one application, for the housing department."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from checker.engine import evaluate
from checker.errors import LiftcheckError
from checker.load import load_submission
from checker.params import load_parameters
from checker.pipeline import require_elevators
from checker.rulebook import load_rulebook
from checker.validate import validate
from checker.wording import render_static

RULE = "FUND-EMERGENCY-BASIS"


def judge_application(path: Path, application_id: str, params_file: Path | None = None, stage=None) -> dict:
    """`stage(name)` as each long stage begins (load, validate, evaluate), for progress bars."""
    stage = stage or (lambda name: None)
    stage("load")
    raw = load_submission(path)
    stage("validate")
    sub = validate(raw)
    require_elevators(sub, path)
    if "fund_applications" not in sub.present_types:
        raise LiftcheckError("提交的数据中没有维修资金申请（fund_applications）", "the submission has no fund_applications")
    apps = sub.table("fund_applications").filter(pl.col("application_id") == application_id)
    if apps.height == 0:
        raise LiftcheckError(f"没有编号为 {application_id} 的维修资金申请", f"no fund application {application_id}")
    app = apps.row(0, named=True)
    if app["channel"] != "emergency":
        raise LiftcheckError(f"申请 {application_id} 走普通通道，不适用应急通道的评估报告依据",
                             f"application {application_id} uses the ordinary channel; the emergency-channel basis does not apply")
    book = load_rulebook()
    rule = book.get(RULE)
    day = app["applied_on"]
    params = load_parameters(params_file)
    stage("evaluate")
    result = evaluate(sub, book, params, day, day, only=[RULE])
    found = next((v for v in result.violations if v["subject"] == application_id), None)
    elevator = result.facts.elevators.filter(pl.col("elevator_id") == app["elevator_id"])
    if elevator.height == 0:
        raise LiftcheckError(f"申请 {application_id} 的电梯 {app['elevator_id']} 不是在册的住宅电梯（或已报废）",
                             f"application {application_id}: elevator {app['elevator_id']} is not a registered residential elevator (or is scrapped)")
    old = elevator.select(result.facts.define("old(period_to)", elevator.columns)).item()
    if not old:
        raise LiftcheckError(
            f"申请 {application_id} 的电梯 {app['elevator_id']} 在申请日 {day} 还不是老旧电梯（投用 {elevator.item(0, 'commissioned_on')}），"
            "意见稿“将老旧住宅电梯评估报告列为维修资金应急通道申请依据”不适用于它，本规则不作判断",
            f"application {application_id}: elevator {app['elevator_id']} was not old on {day} (commissioned "
            f"{elevator.item(0, 'commissioned_on')}); the assessment-report basis applies to old elevators only, so it is not judged")
    # the engine's own per-prerequisite status: held, failed, or not judged; all hold when no violation.
    # A rule file words each prerequisite as its failure, so that wording is given only beside a failure.
    status = found["evidence"]["prerequisites"] if found else {p["id"]: True for p in rule.prerequisites}
    checks = []
    for p in rule.prerequisites:
        holds = status[p["id"]]
        failed = holds is False
        after = p.get("after")
        checks.append({
            "id": p["id"], "holds": holds,
            "status": {True: "holds", False: "fails", None: "not_judged"}[holds],
            "status_zh": "满足" if holds else "不满足" if failed else (f"未判断：它依赖的 {after} 未满足" if after else "未判断"),
            "status_en": "holds" if holds else "fails" if failed else (f"not judged: it depends on {after}, which does not hold" if after else "not judged"),
            "failure_zh": render_static(p["zh"], params, day, "zh") if failed else None,
            "failure_en": render_static(p["en"], params, day, "en") if failed else None})
    return {
        "application_id": application_id, "elevator_id": app["elevator_id"], "applied_on": day.isoformat(),
        "assessment_id": app["assessment_id"], "approvable": found is None,
        "prerequisites": checks, "unmet": found["evidence"]["unmet"] if found else [],
        "message_zh": found["message_zh"] if found else f"维修资金应急通道申请 {application_id} 的评估报告依据充分",
        "message_en": found["message_en"] if found else f"emergency fund application {application_id} has a sound assessment basis",
        "clause": rule.clause,
    }
