"""`liftcheck fund-check`: the fund review (rules R3-3) of one emergency-channel application, for the
housing department: is its assessment basis sound, prerequisite by prerequisite? A review, not a
verdict: it charges nobody (the department's own duty, its decision time, is FUND-DECISION-TIME)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from checker.errors import LiftcheckError
from checker.facts import FactBase
from checker.load import load_submission
from checker.params import load_parameters
from checker.pipeline import require_elevators
from checker.reviews import FUND_REVIEW, load_review, review_fund_applications
from checker.validate import validate


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
    day = app["applied_on"]
    params = load_parameters(params_file)
    stage("evaluate")
    facts = FactBase(sub, params, day, day)
    elevator = facts.elevators.filter(pl.col("elevator_id") == app["elevator_id"])
    if elevator.height == 0:
        raise LiftcheckError(f"申请 {application_id} 的电梯 {app['elevator_id']} 不是在册的住宅电梯（或已报废）",
                             f"application {application_id}: elevator {app['elevator_id']} is not a registered residential elevator (or is scrapped)")
    old = elevator.select(facts.define("old(period_to)", elevator.columns)).item()
    if not old:
        raise LiftcheckError(
            f"申请 {application_id} 的电梯 {app['elevator_id']} 在申请日 {day} 还不是老旧电梯（投用 {elevator.item(0, 'commissioned_on')}），"
            "意见稿“将老旧住宅电梯评估报告列为维修资金应急通道申请依据”不适用于它，本审核不作判断",
            f"application {application_id}: elevator {app['elevator_id']} was not old on {day} (commissioned "
            f"{elevator.item(0, 'commissioned_on')}); the assessment-report basis applies to old elevators only, so it is not reviewed")
    [found] = review_fund_applications(facts, params, application_id)
    review = load_review()
    from checker.expressions import load_definitions

    definitions = load_definitions()
    for check, p in zip(found["prerequisites"], review["prerequisites"]):
        d = definitions[p["holds"]]
        check |= {"title_zh": d.title_zh, "title_en": d.title_en}
        if check["status"] == "not_judged":
            # not judged: the prerequisite it comes after does not hold (it has one: the first never waits)
            before = definitions[_holds(review, p["after"])]
            check |= {"status_zh": f"未判断：须先满足“{before.title_zh}”",
                      "status_en": f"not judged: it needs “{before.title_en}” first"}
        else:
            check |= {"status_zh": {"holds": "满足", "fails": "不满足"}[check["status"]], "status_en": check["status"]}
    well_founded = found["well_founded"]
    return {
        "review": FUND_REVIEW,
        "application_id": application_id, "elevator_id": app["elevator_id"], "applied_on": day.isoformat(),
        "assessment_id": app["assessment_id"], "well_founded": well_founded,
        "prerequisites": found["prerequisites"], "unmet": found["unmet"],
        "message_zh": (f"维修资金应急通道申请 {application_id}（老旧电梯 {app['elevator_id']}，{day} 申请）的评估报告依据充分"
                       if well_founded else
                       f"维修资金应急通道申请 {application_id}（老旧电梯 {app['elevator_id']}，{day} 申请）的评估报告依据不足：{found['unmet_zh']}"),
        "message_en": (f"emergency fund application {application_id} (old elevator {app['elevator_id']}, applied {day}) has a sound assessment basis"
                       if well_founded else
                       f"emergency fund application {application_id} (old elevator {app['elevator_id']}, applied {day}) lacks a sound assessment basis: {found['unmet_en']}"),
        "draft": review["draft"],
        "note_zh": "这是审核，不是违规：依据是否充分决定申请能否走应急通道；房产部门对依据充分的申请的审批时限见规则 FUND-DECISION-TIME。",
        "note_en": "A review, not a violation: the basis decides whether the application qualifies for the emergency channel; "
                   "the housing department's decision time is the rule FUND-DECISION-TIME.",
    }


def _holds(review: dict, prerequisite_id: str | None) -> str:
    return next(p["holds"] for p in review["prerequisites"] if p["id"] == prerequisite_id)
