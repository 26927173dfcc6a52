"""The portal's behaviour through HTTP (FastAPI's TestClient, httpx): owners' lookup, signing
in, online business (upload, assessment application, queue), statistics and exports."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from checker.facts import FactBase
from checker.metrics import old_list
from checker.pipeline import run_check
from checker.portal import views
from checker.portal.uploads import UploadLimits
from portal_support import FIRM_A, FIRM_B, MAINT_A, PASSWORD, build, clone, csrf_of, write_demo

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
END = dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return write_demo(tmp_path_factory.mktemp("demo") / "data")


@pytest.fixture(scope="module")
def h(tmp_path_factory, demo):
    return build(str(tmp_path_factory.mktemp("portal") / "portal.sqlite"), demo)


@pytest.fixture(scope="module")
def golden(tmp_path_factory, demo):
    return build(str(tmp_path_factory.mktemp("golden") / "portal.sqlite"), demo)


@pytest.fixture
def fresh(tmp_path, golden):
    """A portal of its own (a copy of the golden one), for tests that change data."""
    return clone(golden, tmp_path / "portal.sqlite")


@pytest.fixture(scope="module")
def cli_run(demo):
    """The same data judged by the CLI's pipeline, to compare the portal with."""
    return run_check(demo, dt.date(2024, 1, 1), END)


def workbook(path: Path, sheets: dict[str, list[dict]]) -> Path:
    with xlsxwriter.Workbook(path) as wb:
        for sheet, rows in sheets.items():
            ws = wb.add_worksheet(sheet)
            columns = list(rows[0])
            ws.write_row(0, 0, columns)
            for i, row in enumerate(rows, start=1):
                ws.write_row(i, 0, [row[c] for c in columns])
    return path


def upload(h, account: str, path: Path, api: bool = True):
    files = {"file": (path.name, path.read_bytes())}
    if api:
        return h.anonymous().post("/api/submissions", headers=h.api(account), files=files)
    return h.browser(account).post("/upload", data={"csrf_token": h.csrf(account)}, files=files)


def own_elevator(h, org=FIRM_A) -> str:
    return h.elevators().filter(pl.col("use_unit_id") == org).sort("elevator_id")["elevator_id"][0]


# ---- owners ---------------------------------------------------------------------------------------

def test_an_owner_finds_an_elevator_by_its_code_or_its_rescue_code_with_facts_from_the_records(h, demo):
    e = h.elevators().filter(pl.col("rescue_code").is_not_null()).sort("elevator_id").row(5, named=True)
    by_code = h.anonymous().get("/api/public/lookup", params={"code": e["elevator_id"]}).json()
    by_rescue = h.anonymous().get("/api/public/lookup", params={"code": e["rescue_code"]}).json()
    assert by_code == by_rescue and by_code["elevator_id"] == e["elevator_id"]
    commissioned = dt.date.fromisoformat(e["commissioned_on"])
    age = END.year - commissioned.year - ((END.month, END.day) < (commissioned.month, commissioned.day))
    assert by_code["age_years"] == age and by_code["old"] == (age >= 15)
    visits = pl.read_csv(demo / "maintenance.csv", infer_schema=False).filter(
        (pl.col("elevator_id") == e["elevator_id"]) & (pl.col("on_site") != "false") & (pl.col("kind") != "repair"))
    assert by_code["last_maintenance_on"] == visits.get_column("date").max()
    inspections = pl.read_csv(demo / "inspections.csv", infer_schema=False).filter(
        pl.col("elevator_id") == e["elevator_id"]).sort("date")
    latest = inspections.row(-1, named=True)
    assert by_code["latest_inspection_on"] == latest["date"]
    assert by_code["inspection_valid_until"] == (latest["next_due"] or str(
        (dt.date.fromisoformat(latest["date"]).replace(year=int(latest["date"][:4]) + 1) - dt.timedelta(days=1))))
    assert by_code["data_as_of"] == "2024-12-31"
    page = h.anonymous().get("/lookup", params={"code": e["rescue_code"]}, follow_redirects=True)
    assert page.status_code == 200 and f"{age} 年" in page.text and by_code["last_maintenance_on"] in page.text


def test_an_unknown_code_is_said_so_to_the_owner(h):
    page = h.anonymous().get("/lookup", params={"code": "0000000000000000"})
    assert page.status_code == 404 and "没有找到「0000000000000000」对应的电梯" in page.text
    assert h.anonymous().get("/api/public/lookup", params={"code": "123"}).status_code == 404


def test_an_overdue_hazard_shows_as_overdue_to_the_owner(h, cli_run):
    overdue = [v for v in cli_run.report["violations"] if v["rule_id"] == "HAZARD-OVERDUE"
               and v["evidence"]["rectified_on"] is None]
    assert overdue
    v = overdue[0]
    facts = h.anonymous().get(f"/api/public/elevators/{v['elevator_id']}").json()
    hazard = next(x for x in facts["hazards"] if x["hazard_id"] == v["subject"])
    assert hazard["progress"] == "overdue" and hazard["progress_zh"] == "逾期未整改"
    assert facts["open_hazards"] >= 1


# ---- signing in -------------------------------------------------------------------------------------

class Clock:
    """The login limiter's clock, moved by hand."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _sign_in(client, name: str, password: str, address: str | None = None):
    headers = {"X-Forwarded-For": address} if address else {}
    return client.post("/login", data={"name": name, "password": password, "csrf_token": csrf_of(client.get("/login").text)},
                       headers=headers, follow_redirects=False)


def test_failed_sign_ins_slow_the_account_down_exponentially_but_never_lock_its_owner_out(golden, tmp_path):
    clock = Clock()
    h = clone(golden, tmp_path / "portal.sqlite", clock=clock, trusted_proxies=("testclient",))
    attacker, owner = h.anonymous(), h.anonymous()
    for _ in range(3):   # three free failures
        r = _sign_in(attacker, "use_unit", "wrong", "10.0.0.66")
        assert r.status_code == 401 and "用户名或密码不对" in r.text
    # then each attempt on the name waits 1, 2, 4, … s after the last failure, whoever makes it;
    # an attempt inside the wait is not even checked (so guessing gains nothing from it)
    waits = []
    for _ in range(8):
        r = _sign_in(owner, "use_unit", PASSWORD, "10.0.0.1")
        assert r.status_code == 429 and "登录失败次数过多" in r.text
        waits.append(int(r.headers["retry-after"]))
        clock.t += waits[-1]
        assert _sign_in(attacker, "use_unit", "wrong", "10.0.0.66").status_code == 401
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]   # capped at login_max_delay
    # the owner waits out the last delay (60 s at most, never a lock) and is in
    clock.t += 60
    assert _sign_in(owner, "use_unit", PASSWORD, "10.0.0.1").status_code == 303
    # a success clears the name: the next mistake is free again
    assert _sign_in(h.anonymous(), "use_unit", "wrong", "10.0.0.1").status_code == 401
    # another account is not slowed by these failures
    assert _sign_in(h.anonymous(), "use_unit_b", PASSWORD, "10.0.0.66").status_code == 303


def test_failures_are_also_limited_per_address_and_x_forwarded_for_is_believed_only_from_a_trusted_proxy(golden, tmp_path):
    behind = clone(golden, tmp_path / "proxied.sqlite", trusted_proxies=("testclient",))
    for i in range(30):   # one failure on each of 30 names: no name is slowed, the address is
        assert _sign_in(behind.anonymous(), f"guess{i}", "wrong", "10.0.0.66").status_code == 401
    r = _sign_in(behind.anonymous(), "use_unit", PASSWORD, "10.0.0.66")
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    # the proxy names another client: not limited
    assert _sign_in(behind.anonymous(), "use_unit", PASSWORD, "10.0.0.7").status_code == 303
    # reached directly (no proxy configured, the default), X-Forwarded-For is ignored: varying it
    # does not walk around the limit of the connection's own address
    direct = clone(golden, tmp_path / "direct.sqlite")
    for i in range(30):
        assert _sign_in(direct.anonymous(), f"guess{i}", "wrong", f"10.1.0.{i}").status_code == 401
    assert _sign_in(direct.anonymous(), "use_unit", PASSWORD, "10.1.0.200").status_code == 429


def test_a_form_without_the_sessions_csrf_token_is_refused(fresh):
    client = fresh.anonymous()
    client.get("/login")
    r = client.post("/login", data={"name": "use_unit", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403 and "CSRF" in r.text
    signed_in = fresh.browser("use_unit")
    elevator = own_elevator(fresh)
    r = signed_in.post(f"/elevators/{elevator}/assessment-application", data={"csrf_token": "forged"})
    assert r.status_code == 403
    assert fresh.anonymous().get(f"/api/elevators/{elevator}", headers=fresh.api("market_regulator")).json()["assessments"] \
        == fresh.anonymous().get(f"/api/elevators/{elevator}", headers=fresh.api("market_regulator")).json()["assessments"]


def test_the_one_time_password_must_be_changed_and_then_no_longer_works(fresh):
    from sqlalchemy.orm import Session

    from checker.portal import auth

    with Session(fresh.store.engine) as s:
        account = auth.create_user(s, "新物业", "use_unit", FIRM_B)
        s.commit()
    client = fresh.anonymous()
    r = client.post("/login", data={"name": "新物业", "password": account.password,
                                    "csrf_token": csrf_of(client.get("/login").text)}, follow_redirects=False)
    assert r.headers["location"] == "/account/password"
    assert client.get("/elevators", follow_redirects=False).headers["location"] == "/account/password"
    form = client.get("/account/password").text
    assert "初始密码只能使用一次" in form
    r = client.post("/account/password", data={"current": account.password, "new": "another-secret-1",
                                               "repeat": "another-secret-1", "csrf_token": csrf_of(form)})
    assert r.status_code == 200 and "密码已修改" in r.text
    again = fresh.anonymous()
    r = again.post("/login", data={"name": "新物业", "password": account.password,
                                   "csrf_token": csrf_of(again.get("/login").text)})
    assert r.status_code == 401
    # the token printed with the account works for the API all along
    assert fresh.anonymous().get("/api/me", headers={"Authorization": f"Bearer {account.token}"}).json()["org_id"] == FIRM_B


def test_a_bad_token_is_refused_with_401(h):
    r = h.anonymous().get("/api/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.json()["detail"]["en"].startswith("a valid API token is required")


# ---- online business -----------------------------------------------------------------------------

def test_a_firm_applies_for_an_assessment_and_the_regulator_sees_it_in_the_queue(fresh):
    elevator = own_elevator(fresh)
    r = fresh.anonymous().post(f"/api/elevators/{elevator}/assessment-application", headers=fresh.api("use_unit"))
    assert r.status_code == 201
    body = r.json()
    assert body["elevator_id"] == elevator and body["applied_on"] == "2024-12-31" and body["completed_on"] is None
    assert re.fullmatch(r"SQ20241231[0-9A-F]{6}", body["assessment_id"])
    again = fresh.anonymous().post(f"/api/elevators/{elevator}/assessment-application", headers=fresh.api("use_unit"))
    assert again.status_code == 409 and body["assessment_id"] in again.json()["detail"]["zh"]
    queue = fresh.anonymous().get("/api/assessments/queue", headers=fresh.api("market_regulator")).json()
    assert [q for q in queue if q["assessment"]["assessment_id"] == body["assessment_id"]][0]["use_unit_id"] == FIRM_A
    page = fresh.browser("market_regulator").get("/assessments/queue").text
    assert body["assessment_id"] in page
    # the application is a stored assessment record: the elevator's own page lists it
    detail = fresh.anonymous().get(f"/api/elevators/{elevator}", headers=fresh.api("use_unit")).json()
    assert body["assessment_id"] in [a["assessment_id"] for a in detail["assessments"]]
    maintained = fresh.elevators().filter(pl.col("maintenance_unit_id") == MAINT_A)["elevator_id"][0]
    r = fresh.anonymous().post(f"/api/elevators/{maintained}/assessment-application", headers=fresh.api("maintenance_unit"))
    assert r.status_code == 403


def test_an_upload_with_a_mistake_is_refused_naming_sheet_and_row_and_stores_nothing(fresh, tmp_path):
    elevator = own_elevator(fresh)
    version = fresh.store.data_version(max_age=0)
    bad = workbook(tmp_path / "隐患上报.xlsx", {"隐患": [
        {"hazard_id": "YH-NEW-1", "elevator_id": elevator, "found_on": "2024-12-20", "source": "daily_check",
         "severity": "一般隐患", "deadline": "2025-01-10"},
        {"hazard_id": "YH-NEW-2", "elevator_id": elevator, "found_on": "2024-12-21", "source": "daily_check",
         "severity": "很严重", "deadline": "2025-01-10"}]})
    r = upload(fresh, "use_unit", bad)
    assert r.status_code == 422
    body = r.json()
    assert body["accepted"] is False and body["errors"] == 1
    problem = body["problems"][0]
    assert (problem["file"], problem["row"], problem["field"], problem["value"]) == ("隐患上报.xlsx[隐患]", 3, "severity", "很严重")
    assert problem["message_zh"].startswith("隐患上报.xlsx[隐患] 第 3 行，字段 severity（隐患等级）值「很严重」：应为以下之一")
    assert fresh.store.data_version(max_age=0) == version
    page = upload(fresh, "use_unit", bad, api=False)
    assert page.status_code == 422 and "隐患上报.xlsx[隐患]" in page.text and "未保存任何记录" in page.text


def test_an_accepted_upload_joins_the_firms_data_and_its_pending_obligations_update(fresh, tmp_path):
    elevator = own_elevator(fresh)
    before = fresh.anonymous().get("/api/pending", headers=fresh.api("use_unit")).json()
    good = workbook(tmp_path / "隐患上报.xlsx", {"隐患": [
        {"hazard_id": "YH-NEW-1", "elevator_id": elevator, "found_on": "2024-12-20", "source": "daily_check",
         "severity": "一般隐患", "deadline": "2025-01-10"}]})
    r = upload(fresh, "use_unit", good)
    assert r.status_code == 200, r.text
    assert r.json()["counts"] == {"hazards": {"new": 1, "updated": 0, "unchanged": 0}}
    after = fresh.anonymous().get("/api/pending", headers=fresh.api("use_unit")).json()
    added = [p for p in after if p not in before]
    assert [(p["rule_id"], p["subject"], p["due_on"]) for p in added] == [("HAZARD-OVERDUE", "YH-NEW-1", "2025-01-10")]
    # the same workbook again changes nothing; a rectification date updates the record
    assert upload(fresh, "use_unit", good).json()["counts"] == {"hazards": {"new": 0, "updated": 0, "unchanged": 1}}
    fixed = workbook(tmp_path / "整改.xlsx", {"hazards": [
        {"hazard_id": "YH-NEW-1", "elevator_id": elevator, "found_on": "2024-12-20", "source": "daily_check",
         "severity": "general", "deadline": "2025-01-10", "rectified_on": "2024-12-28"}]})
    assert upload(fresh, "use_unit", fixed).json()["counts"] == {"hazards": {"new": 0, "updated": 1, "unchanged": 0}}
    final = fresh.anonymous().get("/api/pending", headers=fresh.api("use_unit")).json()
    assert [p for p in final if p["subject"] == "YH-NEW-1"] == []
    facts = fresh.anonymous().get(f"/api/public/elevators/{elevator}").json()
    assert [x["progress"] for x in facts["hazards"] if x["hazard_id"] == "YH-NEW-1"] == ["rectified"]


def test_records_of_another_firms_elevator_are_refused_by_row(fresh, tmp_path):
    theirs = own_elevator(fresh, FIRM_B)
    mine = own_elevator(fresh)
    book = workbook(tmp_path / "日检.xlsx", {"daily_checks": [
        {"elevator_id": mine, "date": "2024-12-31", "inspector": "王伟"},
        {"elevator_id": theirs, "date": "2024-12-31", "inspector": "王伟"}]})
    body = upload(fresh, "use_unit", book).json()
    assert body["accepted"] is False
    assert [(p["file"], p["row"], p["code"]) for p in body["problems"] if p["severity"] == "error"] == [
        ("日检.xlsx[daily_checks]", 3, "not_own_elevator")]
    assert "不是本单位的电梯" in body["problems"][0]["message_zh"]
    # nor may a firm register an elevator under another use unit, or change another firm's registration
    elevators = fresh.elevators().filter(pl.col("elevator_id") == theirs).to_dicts()
    body = upload(fresh, "use_unit", workbook(tmp_path / "电梯.xlsx", {"elevators": elevators})).json()
    assert {p["code"] for p in body["problems"] if p["severity"] == "error"} == {"not_own_unit", "not_own_elevator"}


def test_a_maintenance_unit_may_submit_maintenance_records_only(fresh, tmp_path):
    maintained = fresh.elevators().filter(pl.col("maintenance_unit_id") == MAINT_A)["elevator_id"][0]
    visits = workbook(tmp_path / "维保.xlsx", {"maintenance": [
        {"elevator_id": maintained, "date": "2024-12-30", "maintenance_unit_id": MAINT_A, "kind": "half_month"}]})
    r = upload(fresh, "maintenance_unit", visits)
    assert r.status_code == 200 and r.json()["counts"]["maintenance"]["new"] + r.json()["counts"]["maintenance"]["unchanged"] == 1
    checks = workbook(tmp_path / "日检.xlsx", {"daily_checks": [
        {"elevator_id": maintained, "date": "2024-12-30", "inspector": "王伟"}]})
    body = upload(fresh, "maintenance_unit", checks).json()
    assert [p["code"] for p in body["problems"] if p["severity"] == "error"] == ["not_allowed"]


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def test_a_zipped_csv_submission_is_accepted(fresh, tmp_path):
    elevator = own_elevator(fresh)
    csv = f"elevator_id,date,ok\n{elevator},2024-12-30,true\n".encode()
    r = upload(fresh, "use_unit", _zip(tmp_path / "alarm.zip", {"数据/alarm_tests.csv": csv}))
    assert r.status_code == 200 and r.json()["counts"]["alarm_tests"]["new"] == 1


@pytest.mark.parametrize("entries, message", [
    ({"../../elevators.csv": b"x"}, "压缩包内的路径不安全"),
    ({"/etc/elevators.csv": b"x"}, "压缩包内的路径不安全"),
    ({"a/b/c/elevators.csv": b"x"}, "多层文件夹"),
    ({"bomb.csv": b"0" * (60 * 1024 * 1024)}, "压缩比"),
])
def test_unsafe_or_exploding_archives_are_refused_before_unpacking(fresh, tmp_path, entries, message):
    r = upload(fresh, "use_unit", _zip(tmp_path / "x.zip", entries), api=False)
    assert r.status_code == 400 and message in r.text


def test_an_archive_over_the_unpacked_limit_is_refused(tmp_path, golden):
    small = clone(golden, tmp_path / "p.sqlite", upload=UploadLimits(max_unpacked_bytes=1000))
    r = upload(small, "use_unit", _zip(tmp_path / "big.zip", {"daily_checks.csv": b"a,b\n" * 500}))
    assert r.status_code == 400 and "超过上限 1,000 字节" in r.json()["detail"]["zh"]


def test_a_request_body_over_the_upload_limit_answers_413(tmp_path, golden):
    small = clone(golden, tmp_path / "p.sqlite", upload=UploadLimits(max_upload_bytes=10_000))
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"x" * 20_000)
    r = upload(small, "use_unit", path)
    assert r.status_code == 413 and "超过上限" in r.json()["detail"]["zh"]


# ---- statistics and exports -------------------------------------------------------------------------

def test_statistics_agree_with_the_cli_pipeline(h, cli_run):
    stats = h.anonymous().get("/api/stats", headers=h.api("market_regulator")).json()
    city = next(r for r in stats["tables"][0]["rows"] if r["district"] == "全市合计")
    listing = old_list(cli_run.evaluation.facts, END)
    assert city["old"] == listing.height
    assert city["closed_loop_rate"] == cli_run.report["metrics"]["closed_loop_rate"]["overall"]["rate"]
    assert city["violations"] == len(cli_run.report["violations"])
    by_rule = {r["rule_id"]: r["violations"] for r in stats["tables"][1]["rows"]}
    assert by_rule == {k: n for k, n in cli_run.report["summary"]["by_rule"].items() if n}
    firms = stats["tables"][3]["rows"]
    assert [f["points"] for f in firms] == sorted((c["points"] for c in cli_run.report["credit"]), reverse=True)


def test_every_statistics_table_exports_to_xlsx_with_chinese_headers(h):
    client = h.browser("market_regulator")
    for name, columns in (("districts", views.DISTRICT_COLUMNS), ("violations_by_rule", views.RULE_COLUMNS),
                          ("violations_by_district", views.VDISTRICT_COLUMNS), ("firms", views.FIRM_COLUMNS)):
        r = client.get("/stats", params={"table": name, "format": "xlsx"})
        assert r.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
        assert [c.value for c in sheet[1]] == list(columns.values())


def test_the_quarterly_old_list_export_is_the_list_as_of_the_quarters_last_day(h, cli_run):
    r = h.browser("market_regulator").get("/stats/old-list", params={"quarter": "2024Q3", "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("设备代码", "所在区", "街道/镇", "小区")
    day = dt.date(2024, 9, 30)
    expected = old_list(FactBase(cli_run.submission, cli_run.params, day, day), day)
    assert sorted(r[0] for r in rows[1:]) == sorted(expected.get_column("elevator_id").to_list())
    api = h.anonymous().get("/api/stats/old-list", params={"quarter": "2024Q3"}, headers=h.api("market_regulator")).json()
    assert api["as_of"] == "2024-09-30" and api["count"] == expected.height


def test_the_statistics_page_draws_svg_charts_with_chinese_text(h):
    page = h.browser("market_regulator").get("/stats").text
    assert page.count("<svg") == 4
    assert re.search(r"<text[^>]*>违规数（按规则）</text>", page)


def test_lists_export_to_xlsx_with_chinese_headers(h):
    client = h.browser("use_unit")
    for path, first in (("/elevators", "设备代码"), ("/violations", "规则"), ("/pending", "规则")):
        r = client.get(path, params={"format": "xlsx"})
        assert openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]["A1"].value == first


# ---- the API's description and operations --------------------------------------------------------------

def test_the_openapi_document_describes_the_api_with_the_contracts_models(h):
    doc = h.anonymous().get("/openapi.json").json()
    elevator = doc["paths"]["/api/elevators/{elevator_id}"]["get"]
    assert [p["name"] for p in elevator["parameters"] if p["in"] == "path"] == ["elevator_id"]
    assert {"Elevator", "Assessment", "Hazard", "Violation", "Pending", "PublicElevator"} <= set(doc["components"]["schemas"])
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert all(not p.startswith(("/dashboard", "/login")) for p in doc["paths"])


def test_healthz_reports_the_data_version(h):
    body = h.anonymous().get("/healthz").json()
    assert body["status"] == "ok" and body["data_version"] == h.store.data_version(max_age=0)


def test_no_password_token_or_cookie_reaches_the_log(fresh):
    from checker.portal.logs import configure_logging

    stream = io.StringIO()
    handler = configure_logging(stream)
    try:
        client = fresh.anonymous()
        client.post("/login", data={"name": "use_unit", "password": "wrong-secret-pw",
                                    "csrf_token": csrf_of(client.get("/login").text)})
        client.post("/login", data={"name": "use_unit", "password": PASSWORD, "csrf_token": csrf_of(client.get("/login").text)})
        fresh.anonymous().get("/api/me", headers=fresh.api("use_unit"))
        cookie = client.cookies.get("liftcheck_session")
        logging.getLogger("liftcheck.portal").info("oops", extra={"password": PASSWORD, "api_token": "t0k"})
    finally:
        for name in ("liftcheck", "uvicorn", "uvicorn.error", "alembic"):
            logging.getLogger(name).removeHandler(handler)
    text = stream.getvalue()
    assert '"event": "login"' in text and '"path": "/api/me"' in text
    for secret in ("wrong-secret-pw", PASSWORD, fresh.tokens["use_unit"], cookie, "t0k"):
        assert secret and secret not in text
    assert '"password": "[redacted]"' in text


def test_report_items_with_keys_the_report_gains_later_pass_through_unchanged(cli_run):
    from checker.portal.snapshot import _frame
    from checker.verdicts import Violation

    items = [dict(v, names={"use_unit": "甲物业", "elevator": None}, responsible_role="town_government")
             for v in cli_run.report["violations"][:3]]
    back = views.records_of(_frame(items))
    assert back == items
    assert Violation(**back[0]).evidence == items[0]["evidence"]
