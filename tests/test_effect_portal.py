"""整治后评价 on the portal's statistics page: the city and per district, exported to xlsx, within
each account's scope (a district sees its own; a firm may not see statistics)."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest

from checker.sample import SampleSpec, generate, write
from portal_support import DISTRICT_A, DISTRICT_B, build


@pytest.fixture(scope="module")
def h(tmp_path_factory):
    folder = tmp_path_factory.mktemp("effect-portal")
    write(generate(SampleSpec(800, dt.date(2024, 1, 1), dt.date(2024, 12, 31), seed=2024)), folder / "data")
    return build(str(folder / "portal.sqlite"), folder / "data", today=lambda: dt.date(2025, 3, 1))


def test_the_statistics_page_links_the_evaluation_and_it_shows_the_city_with_its_districts(h):
    client = h.browser("market_regulator")
    assert 'href="/stats/effect"' in client.get("/stats").text
    r = client.get("/stats/effect")
    assert r.status_code == 200
    page = r.text
    assert "整治后评价 · 全市" in page and "2024-01-01 至 2024-12-31" in page
    assert re.search(r'id="conclusion"><b>结论</b>\s*2024-01-01 至 2024-12-31 完成整治的电梯（\d+ 台），困人故障', page)
    assert page.count("<svg") == 2   # the event study and the per-district chart
    assert f'href="/stats/effect/districts/{DISTRICT_A}"' in page or "/stats/effect/districts/%E7%8E%84" in page
    r = client.get("/stats/effect?format=xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    assert book.sheetnames[:2] == ["结论", "整治效果"]
    groups = {row[1] for row in book["整治效果"].iter_rows(min_row=2, values_only=True)}
    assert {"全部", DISTRICT_A, DISTRICT_B} <= groups


def test_a_district_sees_its_own_district_only(h):
    client = h.browser("district_government")
    r = client.get("/stats/effect")
    assert r.status_code == 200 and f"整治后评价 · {DISTRICT_A}" in r.text
    assert client.get(f"/stats/effect/districts/{DISTRICT_A}").status_code == 200
    assert client.get(f"/stats/effect/districts/{DISTRICT_B}").status_code == 404
    book = openpyxl.load_workbook(io.BytesIO(client.get("/stats/effect?format=xlsx").content), read_only=True)
    groups = {row[1] for row in book["整治效果"].iter_rows(min_row=2, values_only=True)}
    assert groups == {DISTRICT_A}


def test_firms_may_not_and_bad_parameters_answer_4xx(h):
    assert h.browser("use_unit").get("/stats/effect").status_code == 403
    assert h.anonymous().get("/stats/effect", follow_redirects=False).status_code == 401
    client = h.browser("housing_department")
    assert client.get("/stats/effect?format=pdf").status_code == 400
    assert client.get("/stats/effect/districts/没有这个区").status_code == 404


def test_a_district_export_names_no_elevator_of_another_district(h):
    """The district's workbook (every sheet) holds only its own elevators' ids, while the city's
    names elevators of other districts (so the check is not empty)."""
    own = set(h.elevators().filter(__import__("polars").col("district") == DISTRICT_A)["elevator_id"].to_list())

    def ids_in(account: str) -> set[str]:
        book = openpyxl.load_workbook(io.BytesIO(h.browser(account).get("/stats/effect?format=xlsx").content),
                                      read_only=True)
        found = set()
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                for cell in row:
                    found |= set(re.findall(r"3110\d{12}", str(cell or "")))
        return found

    assert ids_in("market_regulator") - own
    assert ids_in("district_government") <= own
