"""The portal in a real browser: headless Debian Chromium driven by Playwright, on PostgreSQL.

An owner looks an elevator up; a firm signs in, uploads a workbook with a mistake, reads the
problem by sheet and row, fixes it, uploads again and applies for an assessment; the
regulator signs in and finds the application in the queue. uvicorn serves the app on
127.0.0.1 at a free port in a thread. Screenshots go to a temporary folder (printed).
Never downloads a browser: /usr/bin/chromium (Debian's `chromium`, installed by .ci/run).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import polars as pl
import pytest

from portal_support import FIRM_A, PASSWORD, build, write_demo

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """uvicorn running an app in a thread on 127.0.0.1."""

    def __init__(self, app):
        import uvicorn

        self.port = _free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                                    access_log=False, lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("LIFTCHECK_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required here (apt-get install chromium)")
        pytest.skip(f"no {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(tmp_path, postgres_database):
    h = build(postgres_database, write_demo(tmp_path / "data"))
    with Served(h.app) as url:
        yield h, url


def _workbook(path: Path, severity: str, elevator: str) -> Path:
    import xlsxwriter

    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("隐患")
        ws.write_row(0, 0, ["隐患编号", "设备代码", "发现日期", "来源", "隐患等级", "整改期限"])
        ws.write_row(1, 0, ["YH-WEB-1", elevator, "2024-12-20", "日管控", "一般隐患", "2025-01-10"])
        ws.write_row(2, 0, ["YH-WEB-2", elevator, "2024-12-21", "日管控", severity, "2025-01-15"])
    return path


def test_owner_firm_and_regulator_do_their_business_in_the_browser(chromium, site, tmp_path):
    h, url = site
    shots = tmp_path / "screenshots"
    shots.mkdir()
    elevators = h.elevators()
    mine = elevators.filter(pl.col("use_unit_id") == FIRM_A).sort("elevator_id")
    elevator = mine.filter(pl.col("rescue_code").is_not_null()).row(0, named=True)

    # an owner, no account: look the elevator up by its rescue code
    owner = chromium.new_page()
    owner.goto(url + "/")
    owner.fill("#code", elevator["rescue_code"])
    owner.click("button[type=submit]")
    owner.wait_for_selector("h1")
    assert owner.inner_text("h1") == f"电梯 {elevator['elevator_id']}"
    assert owner.inner_text("#age").endswith("年")
    assert owner.inner_text("#maintenance") != "—"
    owner.screenshot(path=str(shots / "1-owner-lookup.png"), full_page=True)

    # a firm signs in
    firm = chromium.new_context().new_page()
    firm.goto(url + "/login")
    firm.fill("#name", "use_unit")
    firm.fill("#password", PASSWORD)
    firm.click("button[type=submit]")
    firm.wait_for_url(url + "/dashboard")
    assert "工作台" in firm.inner_text("h1")

    # uploads a workbook with a mistake and reads the problem by sheet and row
    target = elevator["elevator_id"]
    bad = _workbook(tmp_path / "隐患上报.xlsx", "很严重", target)
    firm.goto(url + "/upload")
    firm.set_input_files("#file", str(bad))
    firm.click("#upload")
    firm.wait_for_selector("#refused")
    assert "1 个错误，未保存任何记录" in firm.inner_text("#refused")
    problems = firm.inner_text("table.problems")
    assert "隐患上报.xlsx[隐患] 第 3 行，字段 severity（隐患等级）值「很严重」" in problems
    assert "隐患上报.xlsx[隐患]" in firm.inner_text("h2")
    firm.screenshot(path=str(shots / "2-firm-upload-refused.png"), full_page=True)

    # fixes it and uploads again
    good = _workbook(tmp_path / "隐患上报.xlsx", "重大隐患", target)
    firm.set_input_files("#file", str(good))
    firm.click("#upload")
    firm.wait_for_selector("#accepted")
    assert "hazards：新增 2，更新 0" in firm.inner_text("#accepted")
    firm.screenshot(path=str(shots / "3-firm-upload-accepted.png"), full_page=True)

    # applies for the comprehensive assessment from the elevator's page
    firm.goto(url + f"/elevators/{target}")
    firm.click("#apply")
    flash = firm.inner_text("p.flash")
    assert flash.startswith("已提交全面评估申请 SQ20241231")
    application = flash.split()[1].split("（")[0]
    firm.screenshot(path=str(shots / "4-firm-applied.png"), full_page=True)

    # the regulator signs in and finds it in the queue
    regulator = chromium.new_context().new_page()
    regulator.goto(url + "/login")
    regulator.fill("#name", "market_regulator")
    regulator.fill("#password", PASSWORD)
    regulator.click("button[type=submit]")
    regulator.wait_for_url(url + "/dashboard")
    regulator.goto(url + "/assessments/queue")
    queue = regulator.inner_text("#queue")
    assert application in queue and target in queue
    regulator.screenshot(path=str(shots / "5-regulator-queue.png"), full_page=True)
    regulator.goto(url + "/stats")
    assert regulator.locator("figure svg").count() == 4
    regulator.screenshot(path=str(shots / "6-regulator-stats.png"), full_page=True)
    print(f"screenshots: {shots}")
