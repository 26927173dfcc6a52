"""The JSON API under /api/, described by /openapi.json. `Authorization: Bearer TOKEN`.

Same scope rules as the pages: an elevator, organisation or district outside the caller's
scope answers 404, then a role without the permission 403; no token, 401.
"""

from __future__ import annotations

import polars as pl
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from checker.portal import access, business, views
from checker.portal.access import Principal
from checker.portal.deps import api_user, get_portal, mark_download, need
from checker.portal.models import (ElevatorDetail, ElevatorSummary, Me, OrgSummary, PublicElevator, QueueItem,
                                   Statistics, SubmissionResult)
from checker.portal.pages import _assessments_of, receive_upload, upload_status
from checker.records import Assessment, Elevator, Hazard, Organization
from checker.verdicts import Pending, Violation

router = APIRouter(prefix="/api")
NOT_FOUND = {404: {"description": "不存在，或不在你的范围内 / not there, or not yours"}}


def _models(model, frame: pl.DataFrame) -> list:
    fields = set(model.model_fields)
    return [model(**{k: v for k, v in row.items() if k in fields}) for row in views.records_of(frame)]


def _record(model, row: dict):
    return model(**{k: row[k] for k in model.model_fields if k in row})


# ---- public: owners ---------------------------------------------------------------------------

@router.get("/public/lookup", response_model=PublicElevator, tags=["业主 owners"], responses=NOT_FOUND)
async def public_lookup(request: Request, code: str):
    """按设备代码或应急救援识别码查询电梯的公开信息。Look an elevator up by 设备代码 or rescue code."""
    snap = await get_portal(request).owner_snapshot()
    elevator_id = views.lookup_code(snap, code)
    if elevator_id is None:
        raise views.NotVisible(code)
    return views.public_facts(snap, elevator_id)


@router.get("/public/elevators/{elevator_id}", response_model=PublicElevator, tags=["业主 owners"], responses=NOT_FOUND)
async def public_elevator(request: Request, elevator_id: str):
    """一部电梯的公开信息（无个人信息、无信用扣分）。Public facts of one elevator."""
    return views.public_facts(await get_portal(request).owner_snapshot(), elevator_id)


# ---- accounts ------------------------------------------------------------------------------------

@router.get("/me", response_model=Me, tags=["账号 account"])
def me(p: Principal = Depends(api_user)):
    return Me(name=p.name, role=p.role, role_zh=p.role_zh, org_id=p.org_id, district=p.district, scope_zh=p.scope_zh)


@router.get("/elevators", response_model=list[ElevatorSummary], tags=["电梯 elevators"])
def elevators(request: Request, response: Response, p: Principal = Depends(api_user)):
    """本范围内的电梯。The elevators in the caller's scope."""
    snap = get_portal(request).snapshot_for(p)
    mark_download(request, p, response, snap.version)
    return _models(ElevatorSummary, views.scoped_elevators(snap, p))


@router.get("/elevators/{elevator_id}", response_model=ElevatorDetail, tags=["电梯 elevators"], responses=NOT_FOUND)
def elevator(request: Request, elevator_id: str, response: Response, p: Principal = Depends(api_user)):
    """一部电梯的登记信息、隐患、评估（及违规、待履行义务）。One elevator's records, as stored now."""
    portal = get_portal(request)
    snap = portal.snapshot_for(p)
    views.find_elevator(snap, p, elevator_id)
    mark_download(request, p, response, min(snap.version, portal.store.data_version(max_age=0)))
    stored = portal.store.read_typed("elevators", _elevator_is(elevator_id)).to_dicts()
    sees = p.role in access.CAN_SEE_VIOLATIONS
    hazards = portal.store.read_typed("hazards", _hazards_of(elevator_id))
    return ElevatorDetail(
        elevator=_record(Elevator, stored[0]), facts=views.public_facts(snap, elevator_id),
        hazards=[_record(Hazard, h) for h in hazards.sort("found_on").to_dicts()],
        assessments=[_record(Assessment, a) for a in
                     portal.store.read_typed("assessments", _assessments_of(elevator_id)).sort("applied_on").to_dicts()],
        violations=_models(Violation, views.scoped_violations(snap, p, elevator_id=elevator_id)) if sees else None,
        pending=_models(Pending, views.scoped_pending(snap, p, elevator_id=elevator_id)) if sees else None)


def _elevator_is(elevator_id: str):
    from checker.portal.db import RECORD_TABLES

    return RECORD_TABLES["elevators"].c.elevator_id == elevator_id


def _hazards_of(elevator_id: str):
    from checker.portal.db import RECORD_TABLES

    return RECORD_TABLES["hazards"].c.elevator_id == elevator_id


@router.get("/elevators/{elevator_id}/violations", response_model=list[Violation], tags=["电梯 elevators"],
            responses=NOT_FOUND)
def elevator_violations(request: Request, elevator_id: str, response: Response, p: Principal = Depends(api_user)):
    snap = get_portal(request).snapshot_for(p)
    views.find_elevator(snap, p, elevator_id)
    need(p, access.CAN_SEE_VIOLATIONS)
    mark_download(request, p, response, snap.version)
    return _models(Violation, views.scoped_violations(snap, p, elevator_id=elevator_id))


@router.get("/elevators/{elevator_id}/pending", response_model=list[Pending], tags=["电梯 elevators"],
            responses=NOT_FOUND)
def elevator_pending(request: Request, elevator_id: str, response: Response, p: Principal = Depends(api_user)):
    snap = get_portal(request).snapshot_for(p)
    views.find_elevator(snap, p, elevator_id)
    need(p, access.CAN_SEE_VIOLATIONS)
    mark_download(request, p, response, snap.version)
    return _models(Pending, views.scoped_pending(snap, p, elevator_id=elevator_id))


@router.post("/elevators/{elevator_id}/assessment-application", response_model=Assessment, status_code=201,
             tags=["办事 business"], responses={**NOT_FOUND, 409: {"description": "已有在办申请 / already applied"}})
def apply(request: Request, elevator_id: str, p: Principal = Depends(api_user)):
    """申请全面评估（使用单位）。Apply for the comprehensive assessment of one's own elevator."""
    portal = get_portal(request)
    snap = portal.snapshot_for(p)
    views.find_elevator(snap, p, elevator_id)
    need(p, access.CAN_APPLY)
    return business.apply_for_assessment(portal.store, elevator_id, snap.end, p.user_id, p.org_id)


@router.get("/violations", response_model=list[Violation], tags=["违规 violations"])
def violations(request: Request, response: Response, rule: str | None = None, p: Principal = Depends(api_user)):
    need(p, access.CAN_SEE_VIOLATIONS)
    snap = get_portal(request).snapshot_for(p)
    mark_download(request, p, response, snap.version)
    return _models(Violation, views.scoped_violations(snap, p, rule_id=rule))


@router.get("/pending", response_model=list[Pending], tags=["违规 violations"])
def pending(request: Request, response: Response, p: Principal = Depends(api_user)):
    need(p, access.CAN_SEE_VIOLATIONS)
    snap = get_portal(request).snapshot_for(p)
    mark_download(request, p, response, snap.version)
    return _models(Pending, views.scoped_pending(snap, p))


@router.get("/orgs/{org_id}", response_model=OrgSummary, tags=["单位 organisations"], responses=NOT_FOUND)
def organisation(request: Request, org_id: str, response: Response, p: Principal = Depends(api_user)):
    """一个单位（范围内）：电梯数、其负责的违规和待履行义务、信用扣分。An organisation, within the caller's scope."""
    portal = get_portal(request)
    snap = portal.snapshot_for(p)
    view = views.org_view(snap, p, org_id)
    mark_download(request, p, response, min(snap.version, portal.store.data_version(max_age=0)))
    stored = portal.store.read_typed("organizations", _org_is(org_id)).to_dicts()[0]
    return OrgSummary(
        organization=_record(Organization, stored),
        elevators=view["elevators_used"] + view["elevators_maintained"],
        violations=view["violations"].height if view["violations"] is not None else None,
        pending=view["pending"].height if view["pending"] is not None else None,
        credit=view["credit"], credit_applies=view["credit_applies"])


def _org_is(org_id: str):
    from checker.portal.db import RECORD_TABLES

    return RECORD_TABLES["organizations"].c.org_id == org_id


@router.post("/submissions", response_model=SubmissionResult, tags=["办事 business"],
             responses={422: {"model": SubmissionResult, "description": "有问题，未保存 / problems, nothing stored"},
                        409: {"model": SubmissionResult,
                              "description": "他人已修改，未保存 / changed by another account since your download"},
                        413: {"description": "太大，或处理超过内存、时间上限 / too large to receive or to process"},
                        429: {"description": "本单位上传排队过多 / too many of your uploads waiting"},
                        503: {"description": "上传排队已满 / the upload queue is full"}})
def submit(request: Request, file: UploadFile = File(...), base_version: str = Form(""),
           p: Principal = Depends(api_user)):
    """上传提交（.xlsx 或打包的 CSV .zip）：先校验，全部通过才保存。Upload a submission; stored only when valid.

    `base_version`: the data version your records were downloaded at (the `X-Liftcheck-Data-Version`
    of your last download); without it, your account's last download. A record another account
    changed after it is not overwritten: 409, naming the rows."""
    need(p, access.CAN_UPLOAD)
    portal = get_portal(request)
    result = receive_upload(portal, p, file, base_version)
    body = SubmissionResult(accepted=result.accepted, errors=result.total_errors, warnings=result.total_warnings,
                            problems=result.problems.to_dicts(), counts=result.counts, data_version=result.batch_id)
    return JSONResponse(body.model_dump(mode="json"), status_code=upload_status(result))


@router.get("/assessments/queue", response_model=list[QueueItem], tags=["办事 business"])
def queue(request: Request, p: Principal = Depends(api_user)):
    """全面评估申请受理队列。Open assessment applications in the caller's scope."""
    need(p, access.CAN_SEE_QUEUE)
    portal = get_portal(request)
    snap = portal.snapshot_for(p)
    rows = business.open_applications(portal.store, snap.end).filter(access.elevator_filter(p))
    return [QueueItem(assessment=_record(Assessment, r), district=r["district"], community=r["community"],
                      use_unit_id=r["use_unit_id"], use_unit_name=r["use_unit_name"], waiting_days=r["waiting_days"])
            for r in rows.to_dicts()]


@router.get("/stats", response_model=Statistics, tags=["统计 statistics"])
def stats(request: Request, p: Principal = Depends(api_user)):
    need(p, access.CAN_SEE_STATS)
    snap = get_portal(request).snapshot_for(p)
    return views.statistics(snap, p.district if p.role == "district_government" else None)


@router.get("/stats/districts/{district}", response_model=Statistics, tags=["统计 statistics"], responses=NOT_FOUND)
def district_stats(request: Request, district: str, p: Principal = Depends(api_user)):
    snap = get_portal(request).snapshot_for(p)
    if not access.district_allowed(p, district) or district not in set(snap.elevators.get_column("district").to_list()):
        raise views.NotVisible(district)
    need(p, access.CAN_SEE_STATS)
    return views.statistics(snap, district)


@router.get("/stats/old-list", tags=["统计 statistics"])
def old_list(request: Request, quarter: str | None = None, district: str | None = None,
             p: Principal = Depends(api_user)) -> dict:
    """15年以上老旧住宅电梯清单（四（二）），可按季度。The old-elevator list, as of a quarter's end."""
    need(p, access.CAN_SEE_STATS)
    snap = get_portal(request).snapshot_for(p)
    day, rows = views.old_list_for(snap, p, quarter, district)
    return {"as_of": day.isoformat(), "count": rows.height,
            "elevators": rows.select([c for c in views.OLD_LIST_COLUMNS if c in rows.columns]).to_dicts()}
