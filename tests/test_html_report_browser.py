"""The HTML report as a reader sees it: opened in headless Chromium (the Debian package, never a
downloaded browser), driven by Playwright. The charts are there with one bar per rule, district,
month and firm; nothing is fetched from the network; a phone-sized screen needs no sideways
scrolling; screenshots are taken (LIFTCHECK_SCREENSHOTS=DIR keeps them).

Skipped only where /usr/bin/chromium or Playwright is missing AND LIFTCHECK_REQUIRE_BROWSER is not
set; CI (.ci/run) installs Chromium and fonts-noto-cjk and sets it, so there they must run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.charts import months_of
from checker.cli import main
from checker.sample import SampleSpec, generate, write

CHROMIUM = Path("/usr/bin/chromium")
REQUIRED = bool(os.environ.get("LIFTCHECK_REQUIRE_BROWSER"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED,
                                 reason="no /usr/bin/chromium (apt-get install chromium; CI sets LIFTCHECK_REQUIRE_BROWSER)")]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright  # a test dependency: fails, never skips, when missing
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("html")
    data = folder / "submission"
    write(generate(SampleSpec(120, dt.date(2024, 1, 1), dt.date(2024, 12, 31), seed=2024)), data)  # the demo's
    runner = CliRunner()
    html = folder / "report.html"
    period = ["--from", "2024-01-01", "--to", "2024-12-31"]
    r = runner.invoke(main, ["check", str(data), *period, "--format", "html", "-o", str(html)], catch_exceptions=False)
    assert r.exit_code == 1, r.output
    report = json.loads(runner.invoke(main, ["check", str(data), *period, "--format", "json"]).stdout)
    return html, report


def _open(browser, html: Path, **context):
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    fetched: list[str] = []

    def refuse(route):  # a self-contained page asks for nothing beyond itself
        fetched.append(route.request.url)
        route.abort()

    page.route("http*://**/*", refuse)
    page.goto(html.as_uri(), wait_until="load")
    return ctx, page, fetched


def _keep(shot: Path) -> None:
    keep = os.environ.get("LIFTCHECK_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)


def test_the_charts_have_one_bar_per_rule_district_month_and_firm(browser, report_page, tmp_path):
    html, report = report_page
    ctx, page, fetched = _open(browser, html, viewport={"width": 1280, "height": 900})
    s = report["summary"]
    expected = {
        "by-rule": sum(1 for r in report["rules"] if r["evaluated"] and r["violations"]),
        "by-district": len(s["by_district"]),
        "monthly": len(months_of(dt.date(2024, 1, 1), dt.date(2024, 12, 31))),
        "closed-loop": sum(1 for r in report["metrics"]["closed_loop_rate"]["by_district"].values() if r["hazards"]),
        "top-firms": min(10, sum(1 for f in report["credit"] if f["points"])),
    }
    assert expected["by-rule"] > 5 and expected["by-district"] > 5 and expected["monthly"] == 12
    assert expected["closed-loop"] >= 1 and expected["top-firms"] >= 1
    for chart, bars in expected.items():
        figure = page.locator(f"figure#{chart}")
        assert figure.locator("svg").count() == 1, chart
        drawn = figure.locator(f'[id^="chart-{chart}-bar-"]')
        assert drawn.count() == bars, chart
        # the bars are drawn, not merely present: the browser laid out a box for every one
        boxes = [drawn.nth(i).bounding_box() for i in range(drawn.count())]
        if chart == "closed-loop":   # a district that closed none of its hazards has a bar of 0 %: no width
            closing = sum(1 for r in report["metrics"]["closed_loop_rate"]["by_district"].values() if r["closed"])
            assert sum(1 for b in boxes if b is not None and b["width"] > 0) == closing, chart
            continue
        assert all(b is not None and b["width"] > 0 for b in boxes if b is not None), chart
    # the labels stay text the browser draws with its own fonts (svg.fonttype = none)
    labels = page.locator("figure#by-district svg text")
    assert any("区" in labels.nth(i).text_content() for i in range(labels.count()))
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith('"Noto Sans CJK SC"')
    if REQUIRED:  # CI installs fonts-noto-cjk: the Chinese is shown with it, not as boxes
        assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '老旧电梯')")
    shot = tmp_path / "report-desktop.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    _keep(shot)
    assert fetched == []
    ctx.close()


def test_a_phone_reads_the_report_without_sideways_scrolling(browser, report_page, tmp_path):
    html, report = report_page
    ctx, page, fetched = _open(browser, html, viewport={"width": 390, "height": 844}, device_scale_factor=2,
                               is_mobile=True, has_touch=True)
    assert page.evaluate("document.querySelector('meta[name=viewport]').content") == "width=device-width, initial-scale=1"
    widths = page.evaluate("""() => ({inner: window.innerWidth, doc: document.documentElement.scrollWidth,
                                      body: document.body.scrollWidth})""")
    assert widths["inner"] == 390 and widths["doc"] <= 390 and widths["body"] <= 390, widths
    # a chart fits the screen; a wide table scrolls inside its own box, not the page
    chart = page.locator("figure#by-rule svg").bounding_box()
    assert 300 < chart["width"] <= 390
    assert page.locator("div.scroll").count() >= 4
    # names beside ids: the firm with most points is listed by name and code
    firm = report["credit"][0]
    row = page.locator("table tr", has_text=firm["org_id"]).first
    assert firm["name"] in row.text_content()
    shot = tmp_path / "report-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    _keep(shot)
    assert fetched == []
    ctx.close()
