"""The portal's findings of issue 25, one test (or more) each: parameters, methods and bodies,
headers, sign-in limits and logs, sessions that end, names drawn as typed, uploads as
transactions, the upload worker's limits and queue, a district's view of credit, and what
an upload may register. The hostile uploads against a real server under an address-space
limit are in test_portal_bounds.py."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import threading
import time
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter
from click.testing import CliRunner
from sqlalchemy.orm import Session

from checker.cli import main
from checker.portal import auth
from checker.portal.app import create_app
from checker.portal.deps import PortalConfig
from checker.portal.uploads import UploadLimits
from portal_support import (DISTRICT_A, FIRM_A, FIRM_B, MAINT_A, PASSWORD, build, clone, csrf_of,
                            served_routes, write_demo)

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
EVIL = 'Evil Co $\\foo$ \\sqrt{x} {} 100% <b>粗</b> & "q"'


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return write_demo(tmp_path_factory.mktemp("demo") / "data")


@pytest.fixture(scope="module")
def golden(tmp_path_factory, demo):
    return build(str(tmp_path_factory.mktemp("golden") / "portal.sqlite"), demo)


@pytest.fixture
def fresh(tmp_path, golden):
    return clone(golden, tmp_path / "portal.sqlite")


def workbook(path: Path, sheets: dict[str, list[dict]]) -> Path:
    with xlsxwriter.Workbook(path, {"strings_to_numbers": False}) as wb:
        for sheet, rows in sheets.items():
            ws = wb.add_worksheet(sheet)
            columns = list(dict.fromkeys(c for row in rows for c in row))
            ws.write_row(0, 0, columns)
            for i, row in enumerate(rows, start=1):
                ws.write_row(i, 0, [row.get(c) for c in columns])
    return path


def upload(h, account: str, path: Path, base_version: int | None = None, app=None):
    from fastapi.testclient import TestClient

    client = TestClient(app) if app is not None else h.anonymous()
    data = {"base_version": str(base_version)} if base_version is not None else None
    return client.post("/api/submissions", headers=h.api(account), data=data,
                       files={"file": (path.name, path.read_bytes())})


def own_elevator(h, org=FIRM_A) -> str:
    return h.elevators().filter(pl.col("use_unit_id") == org).sort("elevator_id")["elevator_id"][0]


def add_account(h, name: str, role: str = "use_unit", org_id: str | None = FIRM_A, district: str | None = None) -> str:
    """A further account (password PASSWORD); its API token."""
    with Session(h.store.engine) as s:
        account = auth.create_user(s, name, role, org_id, district)
        auth.set_password(account.user, PASSWORD)
        s.commit()
    h.tokens[name] = account.token
    return account.token


def sign_in(client, name: str, password: str = PASSWORD, headers: dict | None = None):
    return client.post("/login", data={"name": name, "password": password, "csrf_token": csrf_of(client.get("/login").text)},
                       headers=headers or {}, follow_redirects=False)


# ---- 8: out-of-range parameters answer 4xx in both languages -----------------------------------------------

@pytest.mark.parametrize("url, zh, en", [
    ("/stats/old-list?quarter=0000Q1", "参数 quarter 的值「0000Q1」无效：应为 2000Q1 至 2024Q4 之间的季度",
     "parameter quarter: '0000Q1' is invalid; expected a quarter from 2000Q1 to 2024Q4"),
    ("/stats/old-list?quarter=9999Q4&format=xlsx", "参数 quarter 的值「9999Q4」无效", "parameter quarter: '9999Q4'"),
    ("/stats/old-list?quarter=2024Q5", "参数 quarter 的值「2024Q5」无效", "parameter quarter: '2024Q5'"),
    ("/elevators?page=99999999999999999999999", "参数 page 的值「99999999999999999999999」无效：应为 1 至 ",
     "parameter page: '99999999999999999999999' is invalid; expected a whole number from 1 to "),
    ("/violations?page=9223372036854775807", "参数 page 的值「9223372036854775807」无效", "parameter page"),
    ("/violations?page=0", "参数 page 的值「0」无效", "parameter page: '0'"),
    ("/violations?page=-1", "参数 page 的值「-1」无效", "parameter page: '-1'"),
    ("/pending?page=abc", "参数 page 的值「abc」无效", "parameter page: 'abc'"),
    ("/violations?format=pdf", "参数 format 的值「pdf」无效：应为 html 或 xlsx", "parameter format: 'pdf' is invalid"),
    ("/stats?table=nope&format=xlsx", "参数 table 的值「nope」无效：应为以下之一：districts、violations_by_rule",
     "parameter table: 'nope' is invalid; expected one of: districts, violations_by_rule"),
])
def test_an_out_of_range_query_parameter_answers_400_in_both_languages(golden, url, zh, en):
    r = golden.browser("market_regulator").get(url)
    assert r.status_code == 400, (url, r.status_code)
    assert zh in r.text and en in r.text.replace("&#39;", "'")


def test_the_apis_out_of_range_quarter_answers_400_in_json(golden):
    r = golden.anonymous().get("/api/stats/old-list", params={"quarter": "0000Q1"}, headers=golden.api("market_regulator"))
    assert r.status_code == 400
    assert r.json()["detail"]["zh"].startswith("参数 quarter 的值「0000Q1」无效")
    assert r.json()["detail"]["en"].startswith("parameter quarter: '0000Q1' is invalid")


def test_the_last_page_is_served_and_the_one_after_it_is_not(golden):
    client = golden.browser("market_regulator")
    page = client.get("/violations")
    pages = int(re.search(r"第 1/(\d+) 页", page.text).group(1))
    assert client.get("/violations", params={"page": pages}).status_code == 200
    r = client.get("/violations", params={"page": pages + 1})
    assert r.status_code == 400 and f"应为 1 至 {pages} 之间的整数（共 {pages} 页）" in r.text


# ---- 10: 405 with Allow, HEAD where GET is, 413 for any oversized body ---------------------------------

def test_a_wrong_method_answers_405_with_allow_and_head_answers_wherever_get_does(golden):
    client = golden.anonymous()
    r = client.post("/healthz")
    assert r.status_code == 405 and r.headers["allow"] == "GET"
    r = client.delete("/api/public/lookup", params={"code": "x"})
    assert r.status_code == 405 and r.headers["allow"] == "GET" and r.json()["detail"]["en"].startswith("method not allowed")
    r = client.get("/logout")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    for path in ("/", "/healthz", "/login", "/openapi.json"):
        head, get = client.head(path), client.get(path)
        assert head.status_code == 200 == get.status_code, path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]
    assert client.head("/logout").status_code == 405
    browser = golden.browser("market_regulator")
    assert browser.head("/stats?format=xlsx").status_code == 200


def test_a_chunked_upload_over_the_limit_answers_413_not_400(golden):
    def body():
        yield b"--xx\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.zip\"\r\n\r\n"
        for _ in range(21 * 16):
            yield b"x" * 65536

    r = golden.anonymous().post("/api/submissions", content=body(),
                                headers=golden.api("use_unit") | {"content-type": "multipart/form-data; boundary=xx"})
    assert r.status_code == 413
    assert r.json()["detail"] == {"zh": "提交的内容超过上限 20 MB", "en": "the request body is over the limit of 20,971,520 bytes"}
    form = golden.anonymous().post("/login", content=(b"x" * 65536 for _ in range(20)),
                                   headers={"content-type": "application/x-www-form-urlencoded"})
    assert form.status_code == 413 and "提交的内容超过上限 1 MB" in form.text


# ---- 10: security headers -------------------------------------------------------------------------------------

def test_every_answer_carries_a_csp_without_script_and_private_ones_are_not_stored(golden):
    browser = golden.browser("use_unit")
    answers = {"/": golden.anonymous().get("/"), "/dashboard": browser.get("/dashboard"),
               "/elevators?format=xlsx": browser.get("/elevators?format=xlsx"),
               "/api/elevators": golden.anonymous().get("/api/elevators", headers=golden.api("use_unit")),
               "404": browser.get("/no-such-page"), "/login": golden.anonymous().get("/login")}
    for name, r in answers.items():
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp, name
        assert r.headers["x-content-type-options"] == "nosniff", name
        assert r.headers["cache-control"] == "no-store", name
        assert "strict-transport-security" not in r.headers, name
    public = golden.anonymous().get("/api/public/lookup", params={"code": own_elevator(golden)})
    assert public.status_code == 200 and "cache-control" not in public.headers
    # no page has a script to allow
    for r in answers.values():
        assert "<script" not in r.text


def test_hsts_is_sent_behind_tls_only(golden, tmp_path):
    proxied = clone(golden, tmp_path / "proxied.sqlite", trusted_proxies=("testclient",))
    assert proxied.anonymous().get("/", headers={"X-Forwarded-Proto": "https"}).headers[
        "strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in proxied.anonymous().get("/", headers={"X-Forwarded-Proto": "http"}).headers
    # from a peer that is not a trusted proxy, X-Forwarded-Proto says nothing
    assert "strict-transport-security" not in golden.anonymous().get("/", headers={"X-Forwarded-Proto": "https"}).headers
    secure = clone(golden, tmp_path / "secure.sqlite", secure_cookies=True)
    assert secure.anonymous().get("/").headers["strict-transport-security"] == "max-age=31536000"


# ---- 10: a failed sign-in logs a hash of the name, never the name ---------------------------------------------

def test_a_failed_sign_in_logs_a_keyed_hash_of_the_typed_name_never_the_name(fresh):
    from checker.portal.logs import configure_logging

    stream = io.StringIO()
    handler = configure_logging(stream)
    typed = "my-Secret-passw0rd"   # a password typed into the name field
    try:
        sign_in(fresh.anonymous(), typed, "x")
        sign_in(fresh.anonymous(), typed, "y")
    finally:
        for name in ("liftcheck", "uvicorn", "uvicorn.error", "alembic"):
            logging.getLogger(name).removeHandler(handler)
    text = stream.getvalue()
    assert typed not in text and typed.lower() not in text
    failures = [json.loads(line) for line in text.splitlines() if '"login_failed"' in line]
    assert len(failures) == 2 and "user" not in failures[0]
    digest = failures[0]["user_hash"]
    assert re.fullmatch(r"[0-9a-f]{16}", digest) and failures[1]["user_hash"] == digest
    assert digest == auth.name_digest(fresh.portal.log_key, typed)


# ---- 6: sessions that end ---------------------------------------------------------------------------------------

def _stolen(h, client):
    """Another client holding a copy of `client`'s session cookie."""
    from fastapi.testclient import TestClient

    thief = TestClient(h.app)
    thief.cookies.set("liftcheck_session", client.cookies.get("liftcheck_session"))
    return thief


def _signed_in(r) -> bool:
    return r.status_code == 200 and 'action="/login"' not in r.text


def test_logout_ends_the_session_on_the_server_for_every_copy_of_the_cookie(fresh):
    client = fresh.anonymous()
    assert sign_in(client, "use_unit").status_code == 303
    thief = _stolen(fresh, client)
    assert _signed_in(thief.get("/dashboard"))
    r = client.post("/logout", data={"csrf_token": csrf_of(client.get("/dashboard").text)}, follow_redirects=False)
    assert r.status_code == 303
    r = thief.get("/dashboard")
    assert r.status_code == 401 and 'action="/login"' in r.text


def test_a_password_change_ends_every_other_session_and_keeps_this_one(fresh):
    mine, other = fresh.anonymous(), fresh.anonymous()
    sign_in(mine, "use_unit")
    sign_in(other, "use_unit")
    form = mine.get("/account/password").text
    r = mine.post("/account/password", data={"current": PASSWORD, "new": "a-brand-new-secret", "repeat": "a-brand-new-secret",
                                             "csrf_token": csrf_of(form)})
    assert r.status_code == 200 and "其他已登录的会话均已退出" in r.text
    assert _signed_in(mine.get("/dashboard"))
    assert other.get("/dashboard").status_code == 401


def test_a_session_ends_after_its_idle_and_its_absolute_timeout(golden, tmp_path):
    now = {"t": dt.datetime(2025, 3, 1, 9, 0, 0)}
    h = clone(golden, tmp_path / "portal.sqlite", now=lambda: now["t"], session_idle_minutes=30, session_hours=8)
    client = h.anonymous()
    sign_in(client, "use_unit")
    now["t"] += dt.timedelta(minutes=29)
    assert _signed_in(client.get("/dashboard"))
    now["t"] += dt.timedelta(minutes=31)     # idle 31 minutes since the last request
    assert client.get("/dashboard").status_code == 401
    sign_in(client, "use_unit")
    for _ in range(16):                      # active every 29 minutes: 7 h 44 min
        now["t"] += dt.timedelta(minutes=29)
        assert _signed_in(client.get("/dashboard"))
    now["t"] += dt.timedelta(minutes=17)     # 8 h 01 min after signing in, however active
    assert client.get("/dashboard").status_code == 401


def test_a_role_change_ends_the_accounts_sessions(fresh):
    import sqlalchemy as sa

    from checker.portal.db import User

    client = fresh.anonymous()
    sign_in(client, "district_government")
    assert _signed_in(client.get("/dashboard"))
    with fresh.store.engine.begin() as conn:   # however the role changes (here: by hand, in SQL)
        conn.execute(sa.update(User).where(User.name == "district_government").values(district="鼓楼区"))
    assert client.get("/dashboard").status_code == 401
    sign_in(client, "district_government")
    result = CliRunner().invoke(main, ["users", "set-role", "district_government", "--role", "market_regulator",
                                       "--db", str(fresh.store.engine.url.database)])
    assert result.exit_code == 0, result.output
    assert "现为 market_regulator，其全部会话已结束" in result.output
    assert client.get("/dashboard").status_code == 401


def test_users_revoke_reset_and_revoke_token_end_what_they_say(fresh):
    db = str(fresh.store.engine.url.database)
    import sqlalchemy as sa

    from checker.portal.db import SessionRecord, User

    client = fresh.anonymous()
    sign_in(client, "use_unit")
    with Session(fresh.store.engine) as s:
        uid = s.scalar(sa.select(User.id).where(User.name == "use_unit"))
        n = s.scalar(sa.select(sa.func.count()).where((SessionRecord.user_id == uid) & SessionRecord.revoked_at.is_(None)))
    assert n >= 1
    result = CliRunner().invoke(main, ["users", "revoke", "use_unit", "--db", db])
    assert result.exit_code == 0 and f"已结束用户 use_unit 的 {n} 个会话 / ended {n} session(s) of use_unit" in result.output
    assert client.get("/dashboard").status_code == 401

    sign_in(client, "use_unit")
    result = CliRunner().invoke(main, ["users", "reset", "use_unit", "--db", db])
    assert result.exit_code == 0, result.output
    one_time = re.search(r"one-time password: (\S+)", result.output).group(1)
    assert client.get("/dashboard").status_code == 401
    assert sign_in(fresh.anonymous(), "use_unit", PASSWORD).status_code == 401
    r = sign_in(client, "use_unit", one_time)
    assert r.headers["location"] == "/account/password"

    old = fresh.tokens["use_unit"]
    result = CliRunner().invoke(main, ["users", "revoke-token", "use_unit", "--db", db])
    assert result.exit_code == 0, result.output
    new = re.search(r"new token: (\S+)", result.output).group(1)
    assert fresh.anonymous().get("/api/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert fresh.anonymous().get("/api/me", headers={"Authorization": f"Bearer {new}"}).json()["name"] == "use_unit"
    missing = CliRunner().invoke(main, ["users", "revoke", "nobody", "--db", db])
    assert missing.exit_code == 2 and "没有用户「nobody」" in missing.output and "Traceback" not in missing.output


def test_the_one_time_password_is_never_accepted_as_the_new_one(fresh):
    with Session(fresh.store.engine) as s:
        account = auth.create_user(s, "新物业", "use_unit", FIRM_B)
        s.commit()
    client = fresh.anonymous()
    sign_in(client, "新物业", account.password)
    form = client.get("/account/password").text
    r = client.post("/account/password", data={"current": account.password, "new": account.password,
                                               "repeat": account.password, "csrf_token": csrf_of(form)})
    assert r.status_code == 400 and "新密码不能与当前密码（或一次性密码）相同" in r.text
    assert client.get("/dashboard", follow_redirects=False).headers["location"] == "/account/password"


# ---- 3: names are drawn and shown as typed, everywhere -------------------------------------------------------

def _texts(response) -> str:
    if response.headers.get("content-type", "").startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row)
    return response.text


def test_a_firm_named_with_math_markup_and_braces_is_shown_literally_on_every_page_and_export(fresh, tmp_path):
    orgs = pl.read_csv(fresh.data / "organizations.csv", infer_schema=False)
    me = orgs.filter(pl.col("org_id") == FIRM_A).to_dicts()[0]
    renamed = workbook(tmp_path / "单位.xlsx", {"organizations": [{k: v for k, v in me.items() if v is not None}
                                                                  | {"name": EVIL}]})
    r = upload(fresh, "use_unit", renamed)
    assert r.status_code == 200, r.text
    escaped = EVIL.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    html_escaped = escaped.replace('"', "&#34;")
    regulator, district = fresh.browser("market_regulator"), fresh.browser("district_government")
    stats = regulator.get("/stats")
    assert stats.status_code == 200
    # the firms chart draws the name as typed (SVG text, XML-escaped), not as a formula
    assert re.search(r"<text[^>]*>" + re.escape(escaped) + "</text>", stats.text)
    for client, path in ((regulator, "/stats"), (regulator, f"/stats/districts/{DISTRICT_A}"), (district, "/stats"),
                         (regulator, f"/orgs/{FIRM_A}"), (district, f"/orgs/{FIRM_A}"),
                         (fresh.browser("use_unit"), f"/orgs/{FIRM_A}")):
        page = client.get(path)
        assert page.status_code == 200, path
        assert escaped in page.text or html_escaped in page.text, path
        assert "<b>粗</b>" not in page.text, path
    for client, path in ((regulator, "/stats?table=firms&format=xlsx"), (district, "/stats?table=firms&format=xlsx"),
                         (regulator, f"/stats/districts/{DISTRICT_A}?table=firms&format=xlsx")):
        export = client.get(path)
        assert export.status_code == 200 and EVIL in _texts(export), path
    api = fresh.anonymous().get("/api/stats", headers=fresh.api("market_regulator")).json()
    assert EVIL in [row["name"] for row in api["tables"][3]["rows"]]
    assert fresh.anonymous().get(f"/api/orgs/{FIRM_A}", headers=fresh.api("use_unit")).json()["organization"]["name"] == EVIL
    # every page and export the portal serves, for three roles, still answers (never 500)
    ids = {"elevator_id": own_elevator(fresh), "org_id": FIRM_A, "district": DISTRICT_A}
    walked = 0
    for account in ("market_regulator", "district_government", "use_unit"):
        for method, path, _ in served_routes(fresh.app):
            if method != "GET":
                continue
            for query in ("", "?format=xlsx"):
                url = path.format(**ids) + query
                if path.startswith("/api/"):
                    r = fresh.anonymous().get(url, headers=fresh.api(account))
                else:
                    r = fresh.browser(account).get(url, follow_redirects=False)
                assert r.status_code in (200, 303, 400, 403, 404, 422), (account, url, r.status_code)
                walked += r.status_code == 200
    assert walked >= 60


def test_a_file_name_with_markup_is_logged_as_typed_in_json(fresh, tmp_path):
    from checker.portal.logs import configure_logging

    stream = io.StringIO()
    handler = configure_logging(stream)
    try:
        r = upload(fresh, "use_unit", _daily(fresh, tmp_path, "Evil $x^2$ {}%<b>&.xlsx"))
    finally:
        for name in ("liftcheck", "uvicorn", "uvicorn.error", "alembic"):
            logging.getLogger(name).removeHandler(handler)
    assert r.status_code == 200
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if '"event": "upload"' in line]
    assert [line["file"] for line in lines] == ["Evil $x^2$ {}%<b>&.xlsx"]


def test_the_reports_charts_draw_a_firm_name_and_a_district_literally():
    from checker import charts

    name = "$\\foo$%{<b>&"       # short enough not to be cut (charts._short: 12 characters)
    report = {"credit": [{"org_id": "X1", "name": name, "points": 5}], "credit_schedule": {"official": True},
              "summary": {"by_district": {"$\\sqrt{x}$区": 3}}}
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", charts.top_firms(report))
    assert "$\\foo$%{&lt;b&gt;&amp;" in texts
    assert "$\\sqrt{x}$区" in re.findall(r"<text[^>]*>([^<]*)</text>", charts.by_district(report))


# ---- 5: uploads are transactions ---------------------------------------------------------------------------------

def _open_hazard(h) -> dict:
    hazards = pl.read_csv(h.data / "hazards.csv", infer_schema=False)
    mine = h.elevators().filter(pl.col("use_unit_id") == FIRM_A).get_column("elevator_id")
    return (hazards.filter(pl.col("elevator_id").is_in(mine.implode()) & pl.col("rectified_on").is_null()
                           & (pl.col("found_on") < "2024-12-01"))
            .sort("hazard_id").to_dicts()[0])


def _row(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def test_a_stale_upload_is_refused_naming_the_rows_changed_since_the_uploaders_last_download(fresh, tmp_path):
    add_account(fresh, "use_unit_2")
    hazard = _open_hazard(fresh)
    elevator = hazard["elevator_id"]
    for account in ("use_unit", "use_unit_2"):   # both download the elevator's records
        r = fresh.anonymous().get(f"/api/elevators/{elevator}", headers=fresh.api(account))
        assert r.status_code == 200 and int(r.headers["x-liftcheck-data-version"]) == 1
    first = workbook(tmp_path / "整改.xlsx", {"hazards": [_row(hazard) | {"rectified_on": "2024-12-30"}]})
    r = upload(fresh, "use_unit", first)
    assert r.status_code == 200 and r.json()["counts"] == {"hazards": {"new": 0, "updated": 1, "unchanged": 0}}
    version = r.json()["data_version"]
    second = workbook(tmp_path / "复核.xlsx", {"hazards": [_row(hazard) | {"description": "复核：曳引绳磨损"}]})
    r = upload(fresh, "use_unit_2", second)
    assert r.status_code == 409
    body = r.json()
    assert body["accepted"] is False and body["errors"] == 1 and body["data_version"] is None
    p = body["problems"][0]
    assert (p["file"], p["row"], p["field"], p["value"], p["code"]) == (
        "复核.xlsx[hazards]", 2, "hazard_id", hazard["hazard_id"], "changed_since_download")
    assert p["message_zh"].startswith(f"复核.xlsx[hazards] 第 2 行：隐患「{hazard['hazard_id']}」在你上次下载数据（数据版本 1）之后，"
                                      f"已由 use_unit 于 ")
    assert p["message_zh"].endswith(f"修改（数据版本 {version}）；为免覆盖他人的修改，本次上传未保存。请重新下载、核对后再上传")
    stored = fresh.anonymous().get(f"/api/elevators/{elevator}", headers=fresh.api("use_unit_2"))
    h = [x for x in stored.json()["hazards"] if x["hazard_id"] == hazard["hazard_id"]][0]
    assert h["rectified_on"] == "2024-12-30" and h["description"] == hazard["description"]
    # that read was a download: the same change now replaces the record (it keeps the rectification
    # only if the uploader says so: the upload is the whole record)
    again = upload(fresh, "use_unit_2", workbook(tmp_path / "复核2.xlsx", {"hazards": [
        _row(hazard) | {"rectified_on": "2024-12-30", "description": "复核：曳引绳磨损"}]}))
    assert again.status_code == 200 and again.json()["counts"]["hazards"]["updated"] == 1
    # the uploader's own earlier change is never a conflict; an explicit base_version is taken as said
    own = upload(fresh, "use_unit_2", workbook(tmp_path / "复核3.xlsx", {"hazards": [
        _row(hazard) | {"rectified_on": "2024-12-29", "description": "复核：曳引绳磨损"}]}), base_version=0)
    assert own.status_code == 200
    bad = upload(fresh, "use_unit_2", first, base_version="v1")
    assert bad.status_code == 400 and bad.json()["detail"]["en"].startswith("parameter base_version: 'v1' is invalid")


def _race(h, tmp_path: Path):
    add_account(h, "use_unit_2")
    second_server = create_app(PortalConfig(db=h.portal.config.db))   # another process on the same database
    hazard = _open_hazard(h)
    elevator = hazard["elevator_id"]
    for account in ("use_unit", "use_unit_2"):
        h.anonymous().get(f"/api/elevators/{elevator}", headers=h.api(account))
    check = {"elevator_id": elevator, "date": "2024-12-31", "inspector": "赵六", "note": "并发上传"}
    books = {"use_unit": workbook(tmp_path / "a.xlsx", {"hazards": [_row(hazard) | {"rectified_on": "2024-12-30"}],
                                                       "daily_checks": [check]}),
             "use_unit_2": workbook(tmp_path / "b.xlsx", {"hazards": [_row(hazard) | {"deadline": "2025-02-28"}],
                                                         "daily_checks": [check]})}
    answers = {}
    start = threading.Barrier(2)

    def send(account, app):
        start.wait()
        answers[account] = upload(h, account, books[account], app=app)

    threads = [threading.Thread(target=send, args=("use_unit", h.app)),
               threading.Thread(target=send, args=("use_unit_2", second_server))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in answers.values()) == [200, 409], {a: r.text[:300] for a, r in answers.items()}
    won = next(a for a, r in answers.items() if r.status_code == 200)
    lost = answers["use_unit_2" if won == "use_unit" else "use_unit"].json()
    assert [(p["code"], p["value"]) for p in lost["problems"]] == [("changed_since_download", hazard["hazard_id"])]
    assert f"已由 {won} 于" in lost["problems"][0]["message_zh"]
    stored = h.store.read_typed("hazards").filter(pl.col("hazard_id") == hazard["hazard_id"]).to_dicts()
    assert len(stored) == 1
    assert (stored[0]["rectified_on"], stored[0]["deadline"]) == (
        (dt.date(2024, 12, 30), None) if won == "use_unit" else (None, dt.date(2025, 2, 28)))
    # the same new record sent by both at once is one record
    same = {"elevator_id": elevator, "date": "2024-12-31", "inspector": "钱七", "note": "两人同时补录"}
    books = {a: workbook(tmp_path / f"{a}-same.xlsx", {"daily_checks": [same]}) for a in ("use_unit", "use_unit_2")}
    start = threading.Barrier(2)
    threads = [threading.Thread(target=send, args=("use_unit", h.app)),
               threading.Thread(target=send, args=("use_unit_2", second_server))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in answers.values()] == [200, 200], {a: r.text[:300] for a, r in answers.items()}
    assert sorted(r.json()["counts"]["daily_checks"]["new"] for r in answers.values()) == [0, 1]
    checks = h.store.read_typed("daily_checks").filter(pl.col("elevator_id") == elevator)
    assert checks.filter(pl.col("inspector") == "钱七").height == 1
    assert checks.filter(pl.col("inspector") == "赵六").height == 1


def test_two_uploaders_of_one_firm_at_once_on_sqlite_lose_no_change_and_store_nothing_twice(fresh, tmp_path):
    _race(fresh, tmp_path)


def test_two_uploaders_of_one_firm_at_once_on_postgresql_lose_no_change_and_store_nothing_twice(
        postgres_database, demo, tmp_path):
    _race(build(postgres_database, demo), tmp_path)


# ---- 1: the upload worker: limits and queue -----------------------------------------------------------------------

def _daily(h, tmp_path: Path, name: str = "日检.xlsx", org=FIRM_A) -> Path:
    return workbook(tmp_path / name, {"daily_checks": [{"elevator_id": own_elevator(h, org), "date": "2024-12-31",
                                                        "inspector": "王伟"}]})


def test_an_upload_past_the_workers_memory_limit_answers_413_stores_nothing_and_the_server_goes_on(golden, tmp_path):
    h = clone(golden, tmp_path / "portal.sqlite", upload=UploadLimits(max_memory_bytes=200 * 1024 * 1024))
    version = h.store.data_version(max_age=0)
    r = upload(h, "use_unit", _daily(h, tmp_path))
    assert r.status_code == 413
    assert r.json()["detail"] == {
        "zh": "日检.xlsx：处理所需内存超过上限 200 MB（解压或读取后的数据过大），已停止，未保存任何记录；请拆分成较小的文件后再上传",
        "en": "日检.xlsx: processing needed more memory than the limit of 200 MB (the data unpacks or reads too large) "
              "and was stopped; nothing was stored. Split it into smaller files and upload again"}
    assert h.store.data_version(max_age=0) == version
    page = h.browser("use_unit").post("/upload", data={"csrf_token": h.csrf("use_unit")},
                                      files={"file": ("日检.xlsx", _daily(h, tmp_path).read_bytes())})
    assert page.status_code == 413 and "处理所需内存超过上限 200 MB" in page.text
    assert h.anonymous().get("/healthz").status_code == 200


def test_an_upload_past_the_workers_time_limit_answers_413(golden, tmp_path):
    h = clone(golden, tmp_path / "portal.sqlite", upload=UploadLimits(max_seconds=0.2))
    t0 = time.monotonic()
    r = upload(h, "use_unit", _daily(h, tmp_path))
    assert r.status_code == 413 and time.monotonic() - t0 < 10
    assert r.json()["detail"]["zh"] == "日检.xlsx：处理超过 0.2 秒仍未完成，已停止，未保存任何记录；请拆分成较小的文件后再上传"


def test_uploads_run_one_at_a_time_per_firm_behind_a_bounded_queue(golden, tmp_path):
    h = clone(golden, tmp_path / "portal.sqlite",
              upload=UploadLimits(workers=1, max_waiting=1, max_waiting_per_firm=0))
    add_account(h, "use_unit_2")
    queue = h.portal.uploads
    answers = {}

    def send(account, book):
        answers[account] = upload(h, account, book)

    first = threading.Thread(target=send, args=("use_unit", _daily(h, tmp_path, "a.xlsx")))
    first.start()
    for _ in range(200):
        if queue.waiting == 1:
            break
        time.sleep(0.02)
    # the same firm's next upload may not wait behind its first (max_waiting_per_firm=0)
    r = upload(h, "use_unit_2", _daily(h, tmp_path, "b.xlsx"))
    assert r.status_code == 429 and r.headers["retry-after"] == "120"
    assert r.json()["detail"]["zh"] == "本单位已有 1 份上传正在处理或排队，请稍后再试"
    # another firm's waits its turn…
    second = threading.Thread(target=send, args=("use_unit_b", _daily(h, tmp_path, "c.xlsx", FIRM_B)))
    second.start()
    for _ in range(200):
        if queue.waiting == 2:
            break
        time.sleep(0.02)
    # …and beyond the queue's length, 503
    r = upload(h, "maintenance_unit", workbook(tmp_path / "维保.xlsx", {"maintenance": [
        {"elevator_id": h.elevators().filter(pl.col("maintenance_unit_id") == MAINT_A)["elevator_id"][0],
         "date": "2024-12-30", "maintenance_unit_id": MAINT_A, "kind": "half_month"}]}))
    assert r.status_code == 503 and r.json()["detail"]["en"] == "the upload queue is full; try again later"
    first.join()
    second.join()
    assert answers["use_unit"].status_code == 200 and answers["use_unit_b"].status_code == 200
    assert queue.waiting == 0


def test_the_portals_own_template_is_accepted_empty_and_filled(fresh, tmp_path):
    from checker.contract import record_types

    template = fresh.browser("use_unit").get("/upload/template.xlsx")
    assert template.status_code == 200
    with zipfile.ZipFile(io.BytesIO(template.content)) as zf:   # 74 parts once; prompts instead of comments: 28
        assert len(zf.infolist()) == 28
    empty = tmp_path / "liftcheck-填报模板.xlsx"
    empty.write_bytes(template.content)
    r = upload(fresh, "use_unit", empty)
    assert r.status_code == 200 and r.json()["accepted"] is True and r.json()["counts"] == {}
    book = openpyxl.load_workbook(empty)
    rt = record_types()["daily_checks"]
    sheet = book[rt.label]
    columns = {cell.value: cell.column for cell in sheet[1] if cell.value}
    by_field = {f.name: columns[f.label] for f in rt.fields if f.label in columns}
    for name, value in {"elevator_id": own_elevator(fresh), "date": "2024-12-31", "inspector": "王伟"}.items():
        sheet.cell(row=2, column=by_field[name], value=value)
    filled = tmp_path / "填好的模板.xlsx"
    book.save(filled)
    r = upload(fresh, "use_unit", filled)
    assert r.status_code == 200, r.text
    counts = r.json()["counts"]["daily_checks"]
    assert counts["new"] + counts["unchanged"] == 1


# ---- 10: a district's view of credit; what an upload may register ---------------------------------------------

def test_a_district_sees_a_firms_credit_for_its_own_district_only(golden):
    snap = golden.portal.snapshots.city()
    report = snap.report
    city = next(c for c in report["credit"] if c["org_id"] == FIRM_A)
    here = {v["fingerprint"] for v in report["violations"] if v["district"] == DISTRICT_A}
    points = sum(i["points"] for i in city["items"] if i["fingerprint"] in here)
    assert 0 < points < city["points"]
    body = golden.anonymous().get(f"/api/orgs/{FIRM_A}", headers=golden.api("district_government")).json()
    assert body["credit"]["points"] == min(points, report["credit_schedule"]["year_cap"])
    assert body["credit"]["scope"] == DISTRICT_A
    page = golden.browser("district_government").get(f"/orgs/{FIRM_A}").text
    assert f'<span class="num" id="credit">{points}</span>' in page and f"仅计在{DISTRICT_A}的违规" in page
    # the city sees the city's points; the district's statistics rank firms by the district's
    assert golden.anonymous().get(f"/api/orgs/{FIRM_A}", headers=golden.api("market_regulator")).json()[
        "credit"]["points"] == city["points"]
    stats = golden.anonymous().get("/api/stats", headers=golden.api("district_government")).json()
    firm = next(r for r in stats["tables"][3]["rows"] if r["org_id"] == FIRM_A)
    assert firm["points"] == points


def test_an_upload_may_register_only_the_kinds_of_organisation_its_role_may(fresh, tmp_path):
    book = workbook(tmp_path / "单位.xlsx", {"organizations": [
        {"org_id": "91320100MA1AGNC01X", "name": "某检验所", "kind": "inspection_agency"},
        {"org_id": "91320100MA1PROP01X", "name": "另一家物业", "kind": "property_service_enterprise"},
        {"org_id": "91320100MA1MAIN09X", "name": "新维保公司", "kind": "maintenance_unit", "maintenance_star": 4}]})
    body = upload(fresh, "use_unit", book).json()
    assert body["accepted"] is False
    assert [(p["row"], p["field"], p["value"], p["code"]) for p in body["problems"] if p["severity"] == "error"] == [
        (2, "kind", "inspection_agency", "kind_not_allowed"), (3, "kind", "property_service_enterprise", "kind_not_allowed")]
    assert body["problems"][0]["message_zh"].endswith(
        "使用单位只能登记以下类型的其他单位：维保单位、制造单位；其他类型由监管部门登记")
    ok = upload(fresh, "use_unit", workbook(tmp_path / "维保单位.xlsx", {"organizations": [
        {"org_id": "91320100MA1MAIN09X", "name": "新维保公司", "kind": "maintenance_unit", "maintenance_star": 4}]}))
    assert ok.status_code == 200 and ok.json()["counts"]["organizations"]["new"] == 1


def test_an_elevators_maintenance_unit_must_be_a_maintenance_unit(fresh, tmp_path):
    elevator = fresh.elevators().filter(pl.col("use_unit_id") == FIRM_A).sort("elevator_id").to_dicts()[0]
    moved = _row(elevator) | {"maintenance_unit_id": FIRM_B}   # a property firm
    body = upload(fresh, "use_unit", workbook(tmp_path / "电梯.xlsx", {"elevators": [moved]})).json()
    assert [(p["field"], p["value"], p["code"]) for p in body["problems"] if p["severity"] == "error"] == [
        ("maintenance_unit_id", FIRM_B, "not_a_maintainer")]
    assert body["problems"][0]["message_zh"].endswith("该单位登记的类型不是维保单位（应为：维保单位、制造单位）")
    good = upload(fresh, "use_unit", workbook(tmp_path / "电梯2.xlsx", {"elevators": [_row(elevator) | {
        "maintenance_unit_id": MAINT_A}]}))
    assert good.status_code == 200


def test_a_worker_that_says_it_ran_out_of_memory_and_then_hangs_is_not_waited_for(tmp_path):
    """polars' CSV reader, out of memory in one of its threads, panics there and leaves the
    main thread waiting for ever: the worker's own words are enough to stop it."""
    import subprocess
    import sys

    from checker.portal.worker import OUT_OF_MEMORY, TIMED_OUT, _watch

    log = tmp_path / "worker.log"
    hang = "import sys, time; sys.stderr.write('{}'); sys.stderr.flush(); time.sleep(60)"
    with open(log, "wb") as out:
        child = subprocess.Popen([sys.executable, "-c", hang.format("memory allocation of 64 bytes failed\\n")],
                                 stdout=out, stderr=out, start_new_session=True)
        t0 = time.monotonic()
        assert _watch(child, log, seconds=60) == OUT_OF_MEMORY
        assert time.monotonic() - t0 < 10 and child.poll() is not None
    with open(log, "wb") as out:
        child = subprocess.Popen([sys.executable, "-c", hang.format("working\\n")], stdout=out, stderr=out,
                                 start_new_session=True)
        assert _watch(child, log, seconds=1) == TIMED_OUT and child.poll() is not None
