"""The loaders under a coverage-guided fuzzer (tests/fuzz_loaders.py, atheris), and what it found.

`pytest -m fuzz` (and CI, in the whole suite) fuzzes for LIFTCHECK_FUZZ_SECONDS (20 s by
default); `python tests/fuzz_loaders.py -max_total_time=600` fuzzes for longer. Any
exception other than LiftcheckError stops the fuzzer with the input that caused it. Each
finding is fixed and kept below as a regression test that needs no fuzzer.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from checker.errors import LiftcheckError
from checker.load import load_submission

FUZZER = Path(__file__).with_name("fuzz_loaders.py")


@pytest.mark.fuzz
def test_fuzzing_the_loaders_finds_no_internal_error(tmp_path):
    import atheris  # noqa: F401 - a test dependency: missing, this test fails, never skips
    seconds = int(os.environ.get("LIFTCHECK_FUZZ_SECONDS", "20"))
    result = subprocess.run(
        [sys.executable, str(FUZZER), f"-max_total_time={seconds}", "-timeout=120", "-rss_limit_mb=6000",
         "-print_final_stats=1", str(tmp_path / "corpus")],
        cwd=tmp_path, capture_output=True, text=True, timeout=seconds + 600)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    assert "DONE" in log and "stat::number_of_executed_units" in log, log[-2000:]
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("timeout-*"))


def _workbook_with_sheet_xml(tmp_path: Path, xml: bytes) -> Path:
    import xlsxwriter

    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf, {"in_memory": True}) as wb:
        wb.add_worksheet("elevators").write_row(0, 0, ["elevator_id", "district"])
    out = tmp_path / "book.xlsx"
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, xml if info.filename == "xl/worksheets/sheet1.xml" else src.read(info.filename))
    return out


def test_finding_a_sheet_declaring_an_unknown_encoding_is_a_damaged_workbook(tmp_path):
    """Fuzzing finding 1: encoding="UTF-9" made the XML parser raise LookupError (an internal error)."""
    book = _workbook_with_sheet_xml(tmp_path, b'<?xml version="1.0" encoding="UTF-9"?><worksheet/>')
    with pytest.raises(LiftcheckError) as err:
        load_submission(book)
    assert err.value.en == ("book.xlsx: cannot read the Excel workbook (damaged or not .xlsx): "
                            "xl/worksheets/sheet1.xml: unknown encoding: UTF-9")


def test_sheet_xml_that_is_not_well_formed_is_a_damaged_workbook(tmp_path):
    book = _workbook_with_sheet_xml(tmp_path, b'<?xml version="1.0"?><worksheet>\xff\xfe</worksheet>')
    with pytest.raises(LiftcheckError) as err:
        load_submission(book)
    assert err.value.en.startswith("book.xlsx: cannot read the Excel workbook (damaged or not .xlsx): "
                                   "xl/worksheets/sheet1.xml: not well-formed (invalid token)")
