"""整治后评价 on the regulators' statistics page: the evaluation for the city and per district.

`/stats/effect` (the city, with a table per district) and `/stats/effect/districts/{district}`,
each exportable to xlsx (`?format=xlsx`), for the roles that see statistics; a district
government sees its own district only (another district answers 404, as everywhere). The
evaluation is `liftcheck effect --by district` over the stored records read back as files (as
the city snapshot reads them), computed once per data version and period and then kept.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from checker.errors import LiftcheckError
from checker.portal import access
from checker.portal.access import Principal
from checker.portal.deps import get_portal, need, page_user
from checker.portal.exports import XLSX
from checker.portal.views import NotVisible

router = APIRouter(include_in_schema=False)
_lock = threading.Lock()
_cache: dict = {}   # (database, data version, period) -> report; the newest only


def evaluation(portal) -> dict:
    """The city's evaluation (by district) for the portal's period, once per data version."""
    store = portal.store
    version = store.data_version(max_age=0)
    start, end = portal.snapshots.period()
    key = (id(store), version, start, end)
    with _lock:
        if key not in _cache:
            _cache.clear()
            _cache[key] = _compute(store, start, end)
        return _cache[key]


def _compute(store, start: dt.date, end: dt.date) -> dict:
    from checker.effect_estimate import require_library
    from checker.effect_report import evaluate
    from checker.pipeline import judged_submission
    from checker.portal.db import RECORD_TABLES

    require_library()
    import sqlalchemy as sa

    present = {name for name, table in RECORD_TABLES.items()
               if store.scalar(sa.select(sa.literal(1)).select_from(table).limit(1))}
    text = store.read_text()
    with tempfile.TemporaryDirectory(prefix="liftcheck-effect-") as tmp:
        for name, df in text.items():
            if name in present:
                df.write_csv(Path(tmp) / f"{name}.csv")
        sub = judged_submission(Path(tmp), skip_invalid=True)
    return evaluate(sub, start, end, by="district")


def district_view(report: dict, district: str) -> dict:
    """The report as one district sees it: its own estimates, event study and raw counts."""
    def mine(items):
        return [x for x in items if x.get("group") == district]

    view = {**report, "effects": mine(report["effects"]), "relative": mine(report["relative"]),
            "event_study": mine(report["event_study"]), "group_time": mine(report["group_time"]),
            "raw": mine(report["raw"]), "raw_by_district": mine(report["raw_by_district"]),
            "recommendation": {**report["recommendation"], "effects": [], "relative": [], "raw": []},
            # the district's own elevators left out, and whether the district could be estimated;
            # never another district's ids, nor the city's counts of records
            "left_out": [x for x in report["left_out_by_district"] if x["group"] == district]
            + [x for x in report["left_out"] if x["reason"] == "group_too_small" and x["group"] == district],
            "left_out_by_district": []}
    e = next((x for x in view["effects"]), None)
    counts = {"treated": e["treated"] if e else 0, "controls": e["controls"] if e else 0}
    view["counts"] = {**report["counts"], **counts}
    return view


def _page(request: Request, p: Principal, district: str | None, format: str):
    if format not in ("html", "xlsx"):
        raise LiftcheckError(f"format 应为 html 或 xlsx，而不是「{format}」", f"format must be html or xlsx, not {format!r}")
    portal = get_portal(request)
    report = evaluation(portal)
    districts = sorted({r["group"] for r in report["raw_by_district"]})
    # a district of the city with no elevator in the remediation pipeline has an evaluation too: an
    # empty one that says so; only a district the city does not have answers 404
    known = set(portal.snapshot_for(p).elevators.get_column("district").to_list())
    if district is not None and district not in known | set(districts):
        raise NotVisible(district)
    shown = report if district is None else district_view(report, district)
    scope = district or "全市"
    if format == "xlsx":
        from checker.effect_render import effect_xlsx_bytes

        name = f"整治后评价（{scope}，{report['period']['from']} 至 {report['period']['to']}）.xlsx"
        return Response(effect_xlsx_bytes(shown), media_type=XLSX, headers={
            "Content-Disposition": f"attachment; filename=\"liftcheck-effect.xlsx\"; filename*=UTF-8''{quote(name)}"})
    from markupsafe import Markup

    from checker.effect_render import _rows, district_svg, event_study_svg
    from checker.effect_report import WHO_LABELS, group_label, outcome_label
    from checker.portal.pages import render

    headline = report["outcomes"][0]
    group = "all" if district is None else district
    charts = {"event": Markup(event_study_svg(report, headline, group)),
              "districts": Markup(district_svg(report, headline)) if district is None else None}
    return render(request, "effect.html", {
        "r": shown, "scope": scope, "district": district, "districts": districts, "rows": _rows(shown),
        "charts": charts, "who": WHO_LABELS, "outcome_label": outcome_label, "group_label": group_label,
        "city_conclusion": report["conclusion_zh"]})


@router.get("/stats/effect", response_class=HTMLResponse)
def effect(request: Request, format: str = "html", p: Principal = Depends(page_user)):
    need(p, access.CAN_SEE_STATS)
    if p.role == "district_government":   # a district sees its own district's evaluation
        return _page(request, p, p.district, format)
    return _page(request, p, None, format)


@router.get("/stats/effect/districts/{district}", response_class=HTMLResponse)
def district_effect(request: Request, district: str, format: str = "html", p: Principal = Depends(page_user)):
    if not access.district_allowed(p, district):
        raise NotVisible(district)
    need(p, access.CAN_SEE_STATS)
    return _page(request, p, district, format)
