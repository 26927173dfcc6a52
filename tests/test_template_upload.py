"""The template is accepted by every reader (issue 25): the portal took its own
GET /upload/template.xlsx for a zip bomb ("压缩包内有 74 个文件，超过上限 64 个"), empty and filled in.
Whatever `liftcheck template` and `liftcheck sample` write stays within what the portal accepts."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from portal_support import FIRM_A, build, clone, write_demo
from checker.cli import main
from checker.load import load_submission
from checker.portal.uploads import UploadLimits
from checker.validate import validate


@pytest.fixture(scope="module")
def golden(tmp_path_factory):
    demo = write_demo(tmp_path_factory.mktemp("demo") / "data")
    return build(str(tmp_path_factory.mktemp("golden") / "portal.sqlite"), demo)


@pytest.fixture
def portal(tmp_path, golden):
    return clone(golden, tmp_path / "portal.sqlite")


def _upload(h, path: Path):
    return h.anonymous().post("/api/submissions", headers=h.api("use_unit"),
                              files={"file": (path.name, path.read_bytes())})


def test_the_portal_accepts_its_own_template_empty_and_filled_in(portal, tmp_path):
    page = portal.browser("use_unit").get("/upload/template.xlsx")
    assert page.status_code == 200
    book = tmp_path / "liftcheck-template.xlsx"
    book.write_bytes(page.content)
    empty = _upload(portal, book)
    assert empty.status_code == 200, empty.text
    assert empty.json()["accepted"] is True and empty.json()["errors"] == 0
    with zipfile.ZipFile(book) as z:   # a comment per header took it to 82 parts; prompts take none
        assert len(z.infolist()) <= UploadLimits().max_entries
    # filled in as a clerk does, and saved again by a spreadsheet program (openpyxl here)
    mine = portal.elevators().filter(pl.col("use_unit_id") == FIRM_A).sort("elevator_id")["elevator_id"][0]
    wb = openpyxl.load_workbook(book)
    wb["每日电梯安全检查记录（日管控）"].append([mine, "2025-01-02", "王伟", "正常", None])
    wb["隐患"].append(["YH-T-1", mine, "2024-12-30", "日管控", None, "一般隐患", "按钮失灵", "2025-01-10"])
    wb.save(book)
    filled = _upload(portal, book)
    assert filled.status_code == 200, filled.text
    assert filled.json()["counts"] == {"daily_checks": {"new": 1, "updated": 0, "unchanged": 0},
                                       "hazards": {"new": 1, "updated": 0, "unchanged": 0}}


def test_the_template_and_the_sample_workbook_stay_within_every_readers_limits(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["template", str(tmp_path / "t.xlsx")]).exit_code == 0
    assert runner.invoke(main, ["sample", str(tmp_path / "s.xlsx"), "--format", "xlsx", "--elevators", "20"]).exit_code == 0
    limits = UploadLimits()
    for book in (tmp_path / "t.xlsx", tmp_path / "s.xlsx"):
        with zipfile.ZipFile(book) as z:
            infos = z.infolist()
        assert len(infos) <= limits.max_entries, (book.name, len(infos))
        assert sum(i.file_size for i in infos) <= limits.max_unpacked_bytes
        sub = validate(load_submission(book))
        assert sub.error_count == 0 or book.name == "t.xlsx", sub.problems
