"""Server-rendered Chinese pages (Jinja2); every one works without JavaScript.

Owners use `/` and `/lookup` without an account; everyone else signs in (session cookie,
CSRF token in every form). A page about one elevator, organisation or district first
finds it in the caller's scope (404 otherwise), then checks the role (403).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

import polars as pl
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from checker.errors import LiftcheckError
from checker.portal import access, auth, business, views
from checker.portal.access import Principal
from checker.portal.charts import bar_chart
from checker.portal.deps import (Portal, check_csrf, get_portal, mark_download, need, page_user, session_principal,
                                 sign_in, sign_out)
from checker.portal.exports import xlsx_response
from checker.portal.logs import get_logger
from checker.portal.uploads import safe_name

router = APIRouter(include_in_schema=False)
log = get_logger("liftcheck.portal")
PAGE_SIZE = 100


def render(request: Request, name: str, context: dict, status: int = 200, headers: dict | None = None) -> HTMLResponse:
    portal: Portal = get_portal(request)
    p = getattr(request.state, "principal", None) or session_principal(request)
    # made on first use: an owner's page has no form and needs no session cookie
    base = {"request": request, "me": p, "csrf": lambda: auth.csrf_token(request.session), "roles": access.ROLES,
            "flash": request.session.pop("flash", None), "access": access, "snapshot": None, "stale": False}
    snap = context.get("snap")
    if snap is not None:
        base["snapshot"] = snap
        base["stale"] = not portal.snapshots.is_current(snap)
    return request.app.state.templates.TemplateResponse(request, name, base | context, status_code=status,
                                                        headers=headers)


def login_page(request: Request, status: int = 200, next_path: str = "/dashboard", error: str | None = None):
    return render(request, "login.html", {"next": next_path, "error": error}, status=status)


def _paged(request: Request, df: pl.DataFrame) -> tuple[pl.DataFrame, int, int]:
    """(rows shown, page, pages); a page out of range answers 400 (views.page_number)."""
    page, pages = views.page_number(request.query_params.get("page"), df.height, PAGE_SIZE)
    return df.slice((page - 1) * PAGE_SIZE, PAGE_SIZE), page, pages


def _export(request: Request, p: Principal, version: int, response):
    """An export is a download: the base of the account's next upload (deps.mark_download)."""
    mark_download(request, p, response, version)
    return response


# ---- owners (no account) ----------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def index(request: Request):
    snap = get_portal(request).snapshots.city()
    return render(request, "index.html", {"snap": snap, "code": ""})


@router.get("/lookup", response_class=HTMLResponse)
async def lookup(request: Request, code: str = ""):
    snap = await get_portal(request).owner_snapshot()
    elevator_id = views.lookup_code(snap, code)
    if elevator_id is None:
        return render(request, "index.html", {"snap": snap, "code": code, "not_found": bool(code.strip())},
                      status=404 if code.strip() else 200)
    return RedirectResponse(f"/public/elevators/{quote(elevator_id)}", status_code=303)


@router.get("/public/elevators/{elevator_id}", response_class=HTMLResponse)
async def public_elevator(request: Request, elevator_id: str):
    snap = await get_portal(request).owner_snapshot()
    facts = views.public_facts(snap, elevator_id)
    return render(request, "public_elevator.html", {"snap": snap, "e": facts})


@router.get("/healthz")
def healthz(request: Request):
    portal = get_portal(request)
    snap = portal.snapshots.latest
    return {"status": "ok", "data_version": portal.store.data_version(),
            "snapshot_version": snap.version if snap else None,
            "snapshot_seconds": round(snap.computed_in, 3) if snap else None,
            "snapshot_error": portal.snapshots.last_error}


# ---- signing in ------------------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/dashboard"):
    return login_page(request, next_path=next)


def _client(request: Request) -> str:
    # the connection's address, or the client a trusted proxy names (app.ClientAddress)
    return request.client.host if request.client else "unknown"


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def login(request: Request, name: str = Form(...), password: str = Form(...), next: str = Form("/dashboard")):
    portal = get_portal(request)
    target = next if next.startswith("/") and not next.startswith("//") and "\\" not in next else "/dashboard"
    who = auth.name_digest(portal.log_key, name)   # the log never holds the typed name (it may be a password)
    wait = portal.limiter.wait(_client(request), name)
    if wait:
        log.warning("login_limited", user_hash=who, wait_s=wait)
        page = login_page(request, 429, target, f"登录失败次数过多，请 {wait} 秒后再试 / too many failed sign-ins, "
                                                 f"try again in {wait} s")
        page.headers["Retry-After"] = str(wait)
        return page
    with Session(portal.store.engine) as s:
        user = auth.verify_password(s, name.strip(), password)
        if user is None:
            portal.limiter.failed(_client(request), name)
            log.info("login_failed", user_hash=who)
            return login_page(request, 401, target, "用户名或密码不对 / wrong name or password")
        portal.limiter.succeeded(name)
        sign_in(request, s, user)
        s.commit()
        log.info("login", user_id=user.id, role=user.role)
        if user.must_change_password:
            return RedirectResponse("/account/password", status_code=303)
    return RedirectResponse(target, status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request):
    sign_out(request)
    return RedirectResponse("/", status_code=303)


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, p: Principal = Depends(page_user)):
    return render(request, "password.html", {"error": None})


@router.post("/account/password", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def change_password(request: Request, current: str = Form(...), new: str = Form(...), repeat: str = Form(...),
                    p: Principal = Depends(page_user)):
    portal = get_portal(request)
    if new != repeat:
        return render(request, "password.html", {"error": "两次输入的新密码不一致 / the new passwords differ"}, status=400)
    with Session(portal.store.engine) as s:
        user = auth.verify_password(s, p.name, current)
        if user is None:
            return render(request, "password.html", {"error": "当前密码不对 / wrong current password"}, status=400)
        try:
            auth.set_password(user, new)
        except LiftcheckError as exc:
            return render(request, "password.html", {"error": f"{exc.zh} / {exc.en}"}, status=400)
        auth.revoke_sessions(s, user.id, "password")   # every other browser signed in as this account
        sign_in(request, s, user)
        s.commit()
        request.session["flash"] = "密码已修改；其他已登录的会话均已退出 / password changed; every other session was ended"
    return RedirectResponse("/dashboard", status_code=303)


# ---- the signed-in pages -----------------------------------------------------------------------------

@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, p: Principal = Depends(page_user)):
    portal = get_portal(request)
    snap = portal.snapshot_for(p)
    elevators = views.scoped_elevators(snap, p)
    context = {"snap": snap, "elevators": elevators.height,
               "old": int(elevators.get_column("old").fill_null(False).sum()),
               "open_hazards": int(elevators.get_column("open_hazards").sum()),
               "violations": views.scoped_violations(snap, p).height if p.role in access.CAN_SEE_VIOLATIONS else None,
               "pending": views.scoped_pending(snap, p).height if p.role in access.CAN_SEE_VIOLATIONS else None,
               "credit": views.credit_of(snap, p.org_id) if p.role == "use_unit" else None, "queue": None}
    if p.role in access.CAN_SEE_QUEUE:
        queue = business.open_applications(portal.store, snap.end).filter(access.elevator_filter(p))
        context["queue"] = queue.height
    return render(request, "dashboard.html", context)


@router.get("/elevators", response_class=HTMLResponse)
def elevators(request: Request, q: str = "", format: str = "html", p: Principal = Depends(page_user)):
    views.check_format(format)
    snap = get_portal(request).snapshot_for(p)
    rows = views.scoped_elevators(snap, p)
    if q.strip():
        needle = q.strip()
        rows = rows.filter(pl.col("elevator_id").str.contains(needle, literal=True)
                           | pl.col("community").str.contains(needle, literal=True)
                           | pl.col("rescue_code").fill_null("").str.contains(needle, literal=True))
    if format == "xlsx":
        return _export(request, p, snap.version, xlsx_response(rows, views.ELEVATOR_COLUMNS, "电梯清单.xlsx"))
    shown, page, pages = _paged(request, rows)
    return render(request, "elevators.html", {"snap": snap, "rows": shown.to_dicts(), "total": rows.height,
                                              "page": page, "pages": pages, "q": q})


@router.get("/elevators/{elevator_id}", response_class=HTMLResponse)
def elevator(request: Request, elevator_id: str, p: Principal = Depends(page_user)):
    portal = get_portal(request)
    snap = portal.snapshot_for(p)
    row = views.find_elevator(snap, p, elevator_id)
    facts = views.public_facts(snap, elevator_id)
    a = portal.store.read_typed("assessments", _assessments_of(elevator_id))
    hazards = snap.hazards.filter(pl.col("elevator_id") == elevator_id).to_dicts()
    sees = p.role in access.CAN_SEE_VIOLATIONS
    open_application = a.filter(pl.col("completed_on").is_null()).height > 0
    return render(request, "elevator.html", {
        "snap": snap, "e": facts, "row": row, "assessments": a.sort("applied_on").to_dicts(), "hazards": hazards,
        "violations": views.records_of(views.scoped_violations(snap, p, elevator_id=elevator_id)) if sees else None,
        "pending": views.scoped_pending(snap, p, elevator_id=elevator_id).to_dicts() if sees else None,
        "use_unit_name": snap.org_name(row["use_unit_id"]), "maintenance_unit_name": snap.org_name(row["maintenance_unit_id"]),
        "can_apply": p.role in access.CAN_APPLY and not open_application, "open_application": open_application})


def _assessments_of(elevator_id: str):
    from checker.portal.db import RECORD_TABLES

    return RECORD_TABLES["assessments"].c.elevator_id == elevator_id


@router.post("/elevators/{elevator_id}/assessment-application", dependencies=[Depends(check_csrf)])
def apply(request: Request, elevator_id: str, p: Principal = Depends(page_user)):
    portal = get_portal(request)
    snap = portal.snapshot_for(p)
    views.find_elevator(snap, p, elevator_id)
    need(p, access.CAN_APPLY)
    record = business.apply_for_assessment(portal.store, elevator_id, snap.end, p.user_id, p.org_id)
    log.info("assessment_applied", user_id=p.user_id, elevator_id=elevator_id, assessment_id=record.assessment_id)
    request.session["flash"] = (f"已提交全面评估申请 {record.assessment_id}（{record.applied_on}），监管部门的受理队列中可见 / "
                                f"assessment application {record.assessment_id} submitted")
    return RedirectResponse(f"/elevators/{quote(elevator_id)}", status_code=303)


@router.get("/violations", response_class=HTMLResponse)
def violations(request: Request, rule: str = "", format: str = "html", p: Principal = Depends(page_user)):
    need(p, access.CAN_SEE_VIOLATIONS)
    views.check_format(format)
    snap = get_portal(request).snapshot_for(p)
    rows = views.scoped_violations(snap, p, rule_id=rule or None)
    if format == "xlsx":
        return _export(request, p, snap.version, xlsx_response(rows, views.VIOLATION_COLUMNS, "违规清单.xlsx"))
    shown, page, pages = _paged(request, rows)
    rules = sorted(set(views.scoped_violations(snap, p).get_column("rule_id").to_list())) if rows.height or rule else []
    return render(request, "violations.html", {"snap": snap, "rows": shown.to_dicts(), "total": rows.height,
                                               "page": page, "pages": pages, "rule": rule, "rules": rules})


@router.get("/pending", response_class=HTMLResponse)
def pending(request: Request, format: str = "html", p: Principal = Depends(page_user)):
    need(p, access.CAN_SEE_VIOLATIONS)
    views.check_format(format)
    snap = get_portal(request).snapshot_for(p)
    rows = views.scoped_pending(snap, p)
    if format == "xlsx":
        return _export(request, p, snap.version, xlsx_response(rows, views.PENDING_COLUMNS, "待履行义务.xlsx"))
    shown, page, pages = _paged(request, rows)
    return render(request, "pending.html", {"snap": snap, "rows": shown.to_dicts(), "total": rows.height,
                                            "page": page, "pages": pages})


@router.get("/orgs/{org_id}", response_class=HTMLResponse)
def organisation(request: Request, org_id: str, p: Principal = Depends(page_user)):
    snap = get_portal(request).snapshot_for(p)
    view = views.org_view(snap, p, org_id)
    v = view["violations"]
    return render(request, "org.html", {
        "snap": snap, **view, "sees_credit": p.role in access.CAN_SEE_CREDIT,
        "violations": views.records_of(v.head(200)) if v is not None else None,
        "violations_total": v.height if v is not None else None})


@router.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request, p: Principal = Depends(page_user)):
    need(p, access.CAN_UPLOAD)
    return render(request, "upload.html", {"result": None, "limits": get_portal(request).config.upload,
                                           "allowed": _allowed_types(p)})


def _allowed_types(p: Principal) -> list[str]:
    from checker.contract import record_types

    allowed = access.UPLOAD_TYPES.get(p.role)
    return [rt.label for name, rt in record_types().items() if allowed is None or name in allowed]


@router.get("/upload/template.xlsx")
def upload_template(request: Request, p: Principal = Depends(page_user)):
    need(p, access.CAN_UPLOAD)
    from checker.template import write_template

    with tempfile.TemporaryDirectory() as tmp:
        body = write_template(Path(tmp) / "t.xlsx").read_bytes()
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=\"liftcheck-template.xlsx\"; "
                                                    f"filename*=UTF-8''{quote('liftcheck-填报模板.xlsx')}"})


def receive_upload(portal: Portal, p: Principal, file: UploadFile, base_version: str | None = None):
    """Stage an uploaded file in a private temporary folder; the upload worker checks it (and
    stores it when nothing is wrong) in a process of its own, under the upload limits."""
    base = portal.base_version(p, base_version)
    with tempfile.TemporaryDirectory(prefix="liftcheck-upload-") as tmp:
        work = Path(tmp)
        saved = work / "upload.bin"
        with open(saved, "wb") as out:
            shutil.copyfileobj(file.file, out, 1 << 16)
        try:
            result = portal.uploads.run(p, saved, file.filename or "", base, work)
        except LiftcheckError as exc:
            log.info("upload_refused", user_id=p.user_id, file=safe_name(file.filename or ""),
                     status=getattr(exc, "status", 400))
            raise
        finally:
            portal.store.changed()
    log.info("upload", user_id=p.user_id, file=safe_name(file.filename or ""), accepted=result.accepted,
             errors=result.total_errors, batch=result.batch_id, conflict=result.conflict, base_version=base)
    return result


def upload_status(result) -> int:
    return 200 if result.accepted else 409 if result.conflict else 422


@router.post("/upload", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def upload(request: Request, file: UploadFile = File(...), base_version: str = Form(""),
           p: Principal = Depends(page_user)):
    need(p, access.CAN_UPLOAD)
    portal = get_portal(request)
    try:
        result = receive_upload(portal, p, file, base_version)
    except LiftcheckError as exc:
        return render(request, "upload.html", {"result": None, "refused": exc, "limits": portal.config.upload,
                                               "allowed": _allowed_types(p)},
                      status=getattr(exc, "status", 400), headers=getattr(exc, "headers", None))
    problems = result.problems.sort("file", "row", nulls_last=False, maintain_order=True)
    groups: dict[str, list[dict]] = {}
    for row in problems.iter_rows(named=True):
        groups.setdefault(row["file"], []).append(row)
    snap = portal.snapshot_for(p) if result.accepted else None
    return render(request, "upload.html", {
        "result": result, "groups": groups, "filename": safe_name(file.filename or ""), "limits": portal.config.upload,
        "allowed": _allowed_types(p), "snap": snap,
        "pending": views.scoped_pending(snap, p).height if snap is not None else None},
        status=upload_status(result))


@router.get("/assessments/queue", response_class=HTMLResponse)
def queue(request: Request, format: str = "html", p: Principal = Depends(page_user)):
    need(p, access.CAN_SEE_QUEUE)
    views.check_format(format)
    portal = get_portal(request)
    snap = portal.snapshot_for(p)
    rows = business.open_applications(portal.store, snap.end).filter(access.elevator_filter(p))
    if format == "xlsx":
        return _export(request, p, snap.version, xlsx_response(rows, views.QUEUE_COLUMNS, "全面评估申请受理队列.xlsx"))
    return render(request, "queue.html", {"snap": snap, "rows": rows.to_dicts()})


def _stats_page(request: Request, p: Principal, district: str | None, table: str, format: str):
    views.check_format(format)
    snap = get_portal(request).snapshot_for(p)
    stats = views.statistics(snap, district)
    names = [t.name for t in stats.tables]
    if table not in names:
        raise views.BadParameter("table", table, f"以下之一：{'、'.join(names)}", f"one of: {', '.join(names)}")
    if format == "xlsx":
        chosen = next(t for t in stats.tables if t.name == table)
        frame = pl.DataFrame(chosen.rows, schema={c: None for c in chosen.columns} if not chosen.rows else None,
                             infer_schema_length=None)
        return _export(request, p, snap.version, xlsx_response(frame, chosen.columns, f"{chosen.title}（{stats.scope}）.xlsx"))
    tables = {t.name: t for t in stats.tables}
    districts = [r for r in tables["districts"].rows if r["district"] != "全市合计"]
    charts = {
        "by_rule": bar_chart([r["rule_id"] for r in tables["violations_by_rule"].rows],
                             [r["violations"] for r in tables["violations_by_rule"].rows], "违规数（按规则）"),
        "by_district": bar_chart([r["district"] for r in tables["violations_by_district"].rows],
                                 [r["violations"] for r in tables["violations_by_district"].rows], "违规数（按区）"),
        "closed_loop": bar_chart([r["district"] for r in districts if r["closed_loop_rate"] is not None],
                                 [round(r["closed_loop_rate"] * 100, 1) for r in districts
                                  if r["closed_loop_rate"] is not None], "隐患闭环率（%）", unit="%", color="#2c7a4b"),
        "firms": bar_chart([r["name"] or r["org_id"] for r in tables["firms"].rows[:15]],
                           [r["points"] for r in tables["firms"].rows[:15]], "物业服务企业扣分（前 15 名）",
                           color="#8a5a00"),
    }
    return render(request, "stats.html", {"snap": snap, "stats": stats, "tables": tables, "charts": charts,
                                          "district": district, "quarters": views.quarters(snap),
                                          "all_districts": sorted(set(snap.elevators.get_column("district").to_list()))})


@router.get("/stats", response_class=HTMLResponse)
def stats(request: Request, table: str = "districts", format: str = "html", p: Principal = Depends(page_user)):
    need(p, access.CAN_SEE_STATS)
    return _stats_page(request, p, p.district if p.role == "district_government" else None, table, format)


@router.get("/stats/districts/{district}", response_class=HTMLResponse)
def district_stats(request: Request, district: str, table: str = "districts", format: str = "html",
                   p: Principal = Depends(page_user)):
    snap = get_portal(request).snapshot_for(p)
    if not access.district_allowed(p, district) or district not in set(snap.elevators.get_column("district").to_list()):
        raise views.NotVisible(district)
    need(p, access.CAN_SEE_STATS)
    return _stats_page(request, p, district, table, format)


@router.get("/stats/old-list", response_class=HTMLResponse)
def old_list(request: Request, quarter: str = "", district: str = "", format: str = "html",
             p: Principal = Depends(page_user)):
    need(p, access.CAN_SEE_STATS)
    views.check_format(format)
    snap = get_portal(request).snapshot_for(p)
    day, rows = views.old_list_for(snap, p, quarter or None, district or None)
    if format == "xlsx":
        name = f"老旧住宅电梯清单（{quarter or day.isoformat()}{'·' + district if district else ''}）.xlsx"
        return _export(request, p, snap.version, xlsx_response(rows, views.OLD_LIST_COLUMNS, name))
    shown, page, pages = _paged(request, rows)
    return render(request, "old_list.html", {"snap": snap, "rows": shown.to_dicts(), "total": rows.height, "day": day,
                                             "quarter": quarter, "district": district, "quarters": views.quarters(snap),
                                             "page": page, "pages": pages})

