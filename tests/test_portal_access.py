"""No role sees what is not its own: a walk over every route the portal serves.

Routes come from app.routes (never a hand-made list): every route not in PUBLIC must refuse
an anonymous caller (401); every route with an id answers 404 to each scoped role for
someone else's elevator, organisation or district, exactly as for an id that does not
exist; with its own ids each role gets what ROUTE_ROLES says (and ROUTE_ROLES must name
every route, so a new route cannot slip past this file). Lists and exports of a scoped
role never mention an elevator outside its scope, and owners never see credit or names.
"""

from __future__ import annotations

import io
import json
import warnings

import openpyxl
import polars as pl
import pytest

from checker.portal.deps import api_user, page_user

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from portal_support import (DISTRICT_A, DISTRICT_B, FIRM_A, FIRM_B, MAINT_A, MAINT_B, build,  # noqa: E402
                            depends_on, served_routes, write_demo)

PUBLIC = {("GET", "/openapi.json"), ("GET", "/"), ("GET", "/lookup"), ("GET", "/public/elevators/{elevator_id}"),
          ("GET", "/healthz"), ("GET", "/login"), ("POST", "/login"), ("POST", "/logout"),
          ("GET", "/api/public/lookup"), ("GET", "/api/public/elevators/{elevator_id}")}
ACCOUNT_ROLES = ["use_unit", "maintenance_unit", "inspection_agency", "market_regulator", "district_government",
                 "housing_department"]
EVERYONE = tuple(ACCOUNT_ROLES)
SEES_VIOLATIONS = ("use_unit", "maintenance_unit", "market_regulator", "district_government", "housing_department")
REGULATORS = ("market_regulator", "district_government", "housing_department", "inspection_agency")
# The roles allowed on each private route (with their own ids). Also the table in docs/portal.md.
ROUTE_ROLES = {
    ("GET", "/account/password"): EVERYONE, ("POST", "/account/password"): EVERYONE,
    ("GET", "/dashboard"): EVERYONE, ("GET", "/elevators"): EVERYONE, ("GET", "/elevators/{elevator_id}"): EVERYONE,
    ("POST", "/elevators/{elevator_id}/assessment-application"): ("use_unit",),
    ("GET", "/violations"): SEES_VIOLATIONS, ("GET", "/pending"): SEES_VIOLATIONS,
    ("GET", "/orgs/{org_id}"): ("use_unit", "maintenance_unit", "market_regulator", "district_government",
                                "housing_department"),
    ("GET", "/upload"): ("use_unit", "maintenance_unit"), ("GET", "/upload/template.xlsx"): ("use_unit", "maintenance_unit"),
    ("POST", "/upload"): ("use_unit", "maintenance_unit"),
    ("GET", "/assessments/queue"): REGULATORS, ("GET", "/stats"): REGULATORS,
    ("GET", "/stats/districts/{district}"): REGULATORS, ("GET", "/stats/old-list"): REGULATORS,
    ("GET", "/stats/effect"): REGULATORS, ("GET", "/stats/effect/districts/{district}"): REGULATORS,
    ("GET", "/api/me"): EVERYONE, ("GET", "/api/elevators"): EVERYONE, ("GET", "/api/elevators/{elevator_id}"): EVERYONE,
    ("GET", "/api/elevators/{elevator_id}/violations"): SEES_VIOLATIONS,
    ("GET", "/api/elevators/{elevator_id}/pending"): SEES_VIOLATIONS,
    ("POST", "/api/elevators/{elevator_id}/assessment-application"): ("use_unit",),
    ("GET", "/api/violations"): SEES_VIOLATIONS, ("GET", "/api/pending"): SEES_VIOLATIONS,
    ("GET", "/api/orgs/{org_id}"): ("use_unit", "maintenance_unit", "market_regulator", "district_government",
                                    "housing_department"),
    ("POST", "/api/submissions"): ("use_unit", "maintenance_unit"),
    ("GET", "/api/assessments/queue"): REGULATORS, ("GET", "/api/stats"): REGULATORS,
    ("GET", "/api/stats/districts/{district}"): REGULATORS, ("GET", "/api/stats/old-list"): REGULATORS,
}
SCOPED = ["use_unit", "maintenance_unit", "district_government"]


@pytest.fixture(scope="module")
def h(tmp_path_factory):
    folder = tmp_path_factory.mktemp("portal")
    return build(str(folder / "portal.sqlite"), write_demo(folder / "data"))


def _ids(h) -> dict[str, dict[str, str]]:
    """For each account: an elevator, organisation and district of its own, and someone else's."""
    e = h.elevators()
    other_district_org = (e.group_by("use_unit_id").agg(pl.col("district")).filter(
        ~pl.col("district").list.contains(DISTRICT_A)).get_column("use_unit_id"))
    org_outside_a = other_district_org[0] if len(other_district_org) else "9132050000000007X"
    return {
        "use_unit": {"own": dict(elevator_id=e.filter(pl.col("use_unit_id") == FIRM_A)["elevator_id"][0],
                                 org_id=FIRM_A, district=DISTRICT_A),
                     "foreign": dict(elevator_id=e.filter(pl.col("use_unit_id") == FIRM_B)["elevator_id"][0],
                                     org_id=FIRM_B, district=DISTRICT_B)},
        "maintenance_unit": {"own": dict(elevator_id=e.filter(pl.col("maintenance_unit_id") == MAINT_A)["elevator_id"][0],
                                         org_id=MAINT_A, district=DISTRICT_A),
                             "foreign": dict(elevator_id=e.filter(pl.col("maintenance_unit_id") == MAINT_B)["elevator_id"][0],
                                             org_id=FIRM_A, district=DISTRICT_B)},
        "district_government": {"own": dict(elevator_id=e.filter(pl.col("district") == DISTRICT_A)["elevator_id"][0],
                                            org_id=e.filter(pl.col("district") == DISTRICT_A)["use_unit_id"][0],
                                            district=DISTRICT_A),
                                "foreign": dict(elevator_id=e.filter(pl.col("district") == DISTRICT_B)["elevator_id"][0],
                                                org_id=org_outside_a, district=DISTRICT_B)},
        **{role: {"own": dict(elevator_id=e["elevator_id"][0], org_id=FIRM_A, district=DISTRICT_A)}
           for role in ("inspection_agency", "market_regulator", "housing_department")},
    }


def _call(h, account: str | None, method: str, path: str, ids: dict[str, str]):
    url = path.format(**ids)
    is_api = path.startswith("/api/")
    if account is None:
        client, headers, data = h.anonymous(), {}, {}
    elif is_api:
        client, headers, data = h.anonymous(), h.api(account), {}
    else:
        client, headers, data = h.browser(account), {}, {"csrf_token": h.csrf(account)}
    if method == "GET":
        return client.get(url, headers=headers, follow_redirects=False)
    files = {"file": ("empty.zip", b"", "application/zip")} if path in ("/upload", "/api/submissions") else None
    if path == "/account/password":
        data |= {"current": "wrong", "new": "x" * 12, "repeat": "x" * 12}
    return client.post(url, headers=headers, data=data or None, files=files, follow_redirects=False)


def test_route_roles_names_every_private_route_and_every_private_route_requires_an_account(h):
    served = {(m, p) for m, p, _ in served_routes(h.app)}
    assert served - PUBLIC == set(ROUTE_ROLES)
    for method, path, route in served_routes(h.app):
        if (method, path) in PUBLIC:
            assert not depends_on(route, page_user) and not depends_on(route, api_user)
        else:
            wanted = api_user if path.startswith("/api/") else page_user
            assert depends_on(route, wanted), f"{method} {path} does not ask who is calling"


def test_anonymous_callers_are_refused_on_every_private_route(h):
    ids = _ids(h)["market_regulator"]["own"]
    for method, path, _ in served_routes(h.app):
        if (method, path) in PUBLIC:
            continue
        r = _call(h, None, method, path, ids)
        if path.startswith("/api/"):
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers["www-authenticate"] == "Bearer"
        else:  # the sign-in page, with 401 — or 403 when a form arrives without the session's CSRF token
            assert r.status_code in ((401, 403) if method == "POST" else (401,)), (method, path, r.status_code)
            if method == "GET":
                assert 'action="/login"' in r.text


@pytest.mark.parametrize("account", SCOPED)
def test_someone_elses_id_answers_404_on_every_route_with_an_id(h, account):
    ids = _ids(h)[account]
    walked = 0
    for method, path, _ in served_routes(h.app):
        if (method, path) in PUBLIC or "{" not in path:
            continue
        for param in ("elevator_id", "org_id", "district"):
            if "{" + param + "}" not in path:
                continue
            foreign = ids["own"] | {param: ids["foreign"][param]}
            r = _call(h, account, method, path, foreign)
            assert r.status_code == 404, (account, method, path, foreign[param], r.status_code)
            missing = _call(h, account, method, path, ids["own"] | {param: "NO-SUCH-ID"})
            assert missing.status_code == 404
            # the two answers are alike: nothing tells "someone else's" from "not there"
            assert r.text.replace(foreign[param], "X") == missing.text.replace("NO-SUCH-ID", "X")
            walked += 1
    assert walked >= 10


@pytest.mark.parametrize("account", ACCOUNT_ROLES)
def test_each_role_gets_what_route_roles_allows_with_its_own_ids(h, account):
    ids = _ids(h)[account]["own"]
    for method, path, _ in served_routes(h.app):
        if (method, path) in PUBLIC:
            continue
        r = _call(h, account, method, path, ids)
        allowed = account in ROUTE_ROLES[(method, path)]
        scope_missing = (("{org_id}" in path and account == "inspection_agency")
                         or ("{district}" in path and account in ("use_unit", "maintenance_unit")))
        if scope_missing:   # the role has no organisation or district of its own: nothing is found
            assert r.status_code == 404, (account, method, path, r.status_code)
        elif allowed:
            assert r.status_code in (200, 201, 303, 400, 409), (account, method, path, r.status_code, r.text[:300])
        else:
            assert r.status_code == 403, (account, method, path, r.status_code)


def _text(response) -> str:
    if response.headers.get("content-type", "").startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row)
    return response.text


@pytest.mark.parametrize("account", SCOPED)
def test_lists_and_exports_of_a_scoped_role_mention_only_its_own_elevators(h, account):
    e = h.elevators()
    keep = {"use_unit": pl.col("use_unit_id") == FIRM_A, "maintenance_unit": pl.col("maintenance_unit_id") == MAINT_A,
            "district_government": pl.col("district") == DISTRICT_A}[account]
    others = e.filter(~keep).get_column("elevator_id").to_list()
    mine = e.filter(keep).get_column("elevator_id").to_list()
    ids = _ids(h)[account]["own"]
    checked = 0
    for method, path, _ in served_routes(h.app):
        if method != "GET" or (method, path) in PUBLIC or path.endswith(".xlsx") and "template" in path:
            continue
        for query in ("", "?format=xlsx"):
            r = _call(h, account, method, path + query, ids)
            if r.status_code != 200:
                continue
            body = _text(r)
            leaked = [x for x in others if x in body]
            assert not leaked, (account, path + query, leaked[:3])
            checked += 1
    assert checked >= 15
    listed = h.anonymous().get("/api/elevators", headers=h.api(account)).json()
    assert sorted(x["elevator_id"] for x in listed) == sorted(mine)


def test_a_firm_sees_only_the_violations_it_answers_for_and_its_own_credit(h):
    violations = h.anonymous().get("/api/violations", headers=h.api("use_unit")).json()
    assert violations and {v["responsible_org_id"] for v in violations} == {FIRM_A}
    pending = h.anonymous().get("/api/pending", headers=h.api("use_unit")).json()
    assert all(p["use_unit_id"] == FIRM_A for p in pending)
    org = h.anonymous().get(f"/api/orgs/{FIRM_A}", headers=h.api("use_unit")).json()
    report = h.portal.snapshots.city().report
    expected = next(c for c in report["credit"] if c["org_id"] == FIRM_A)
    assert org["credit"]["points"] == expected["points"] and org["credit_applies"] is True
    # a maintenance unit answers for its own violations and has no credit (扣分 applies to property firms)
    mv = h.anonymous().get("/api/violations", headers=h.api("maintenance_unit")).json()
    assert {v["responsible_org_id"] for v in mv} <= {MAINT_A}
    morg = h.anonymous().get(f"/api/orgs/{MAINT_A}", headers=h.api("maintenance_unit")).json()
    assert morg["credit"] is None and morg["credit_applies"] is False


def test_owners_see_public_facts_only_never_credit_or_names(h):
    names = set()
    for file, column in (("daily_checks", "inspector"), ("weekly_reviews", "director"), ("monthly_dispatches", "chair")):
        names |= set(pl.read_csv(h.data / f"{file}.csv", infer_schema=False).get_column(column).drop_nulls().to_list())
    assert len(names) > 5
    owner = h.anonymous()
    expected_keys = {"elevator_id", "district", "subdistrict", "community", "residential", "status", "status_zh",
                     "commissioned_on", "age_years", "old", "inspection_valid_until", "latest_inspection_on",
                     "latest_inspection_conclusion", "latest_screening_on", "latest_risk_level",
                     "latest_risk_level_zh", "latest_assessment", "hazards", "open_hazards", "last_maintenance_on",
                     "data_as_of"}
    for elevator_id in h.elevators().get_column("elevator_id").to_list():
        body = owner.get(f"/api/public/elevators/{elevator_id}")
        assert body.status_code == 200 and set(body.json()) == expected_keys
        page = owner.get(f"/public/elevators/{elevator_id}").text
        for text in (body.text, page):
            assert not [n for n in names if n in text], elevator_id
            for word in ("credit", "points", "扣分", "信用", "失信", "inspector", "安全员", "description"):
                assert word not in text, (elevator_id, word)
        assert json.dumps(body.json()).count("org") == 0


def test_a_district_government_sees_its_district_only(h):
    stats = h.anonymous().get("/api/stats", headers=h.api("district_government")).json()
    assert stats["scope"] == DISTRICT_A
    assert [r["district"] for r in stats["tables"][0]["rows"]] == [DISTRICT_A]
    other = h.anonymous().get(f"/api/stats/districts/{DISTRICT_B}", headers=h.api("district_government"))
    assert other.status_code == 404
    city = h.anonymous().get(f"/api/stats/districts/{DISTRICT_B}", headers=h.api("market_regulator"))
    assert city.status_code == 200 and city.json()["scope"] == DISTRICT_B
