"""Coverage-guided fuzzing of the loaders with atheris: bytes → a submission → load + validate.

    python tests/fuzz_loaders.py -max_total_time=600 [-jobs=1] [CORPUS_DIR]

The first byte of each input picks what the rest becomes: a CSV file, a JSON Lines file, a
JSON file, a whole .xlsx file, or the XML of one sheet inside an otherwise valid workbook
(so mutations reach the sheet scanner and calamine, not only the zip reader). Each is
written beside a valid organizations.csv and loaded and validated as a submission. A
LiftcheckError is the right answer to bad input; any other exception is a finding, and
atheris stops with the input that caused it. Seeds are made at start from the sample
generator, so nothing generated is committed. tests/test_fuzz.py runs this for a bounded time.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import zipfile
from pathlib import Path

os.environ.setdefault("POLARS_MAX_THREADS", "1")   # before polars is imported: one core, as the fuzzer runs

import atheris  # noqa: E402

import numpy  # noqa: E402,F401 - imported first so that only liftcheck's own code is instrumented
import polars  # noqa: E402,F401

with atheris.instrument_imports(include=["checker"]):
    from checker.errors import LiftcheckError
    from checker.load import load_submission
    from checker.validate import validate

ORGANIZATIONS = ("org_id,name,kind\n91320100MA1FIRM01X,甲物业,物业服务企业\n"
                 "91320100MA1MAIN01X,丙维保,维保单位\n").encode("utf-8")
KINDS = ["csv", "jsonl", "json", "xlsx", "sheet"]
_WORK = Path(tempfile.mkdtemp(prefix="liftcheck-fuzz-"))


def _template_workbook() -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf, {"in_memory": True}) as wb:
        ws = wb.add_worksheet("elevators")
        ws.write_row(0, 0, ["elevator_id", "district", "community", "commissioned_on", "use_unit_id",
                            "maintenance_unit_id", "households_served"])
        ws.write_row(1, 0, ["E1", "玄武区", "梅园", "2005-01-01", "91320100MA1FIRM01X", "91320100MA1MAIN01X", 97])
    return buf.getvalue()


_WORKBOOK = _template_workbook()


def _with_sheet_xml(xml: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_WORKBOOK)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = xml if info.filename == "xl/worksheets/sheet1.xml" else src.read(info.filename)
            dst.writestr(info.filename, data)
    return out.getvalue()


def submission(data: bytes) -> Path:
    """The folder (or workbook) one fuzz input stands for."""
    kind = KINDS[data[0] % len(KINDS)] if data else "csv"
    body = data[1:]
    folder = _WORK / "s"
    if folder.exists():
        for f in folder.iterdir():
            f.unlink()
    else:
        folder.mkdir()
    if kind in ("csv", "jsonl", "json"):
        (folder / "organizations.csv").write_bytes(ORGANIZATIONS)
        (folder / f"elevators.{kind}").write_bytes(body)
        return folder
    book = folder / "book.xlsx"
    book.write_bytes(body if kind == "xlsx" else _with_sheet_xml(body))
    return book


def TestOneInput(data: bytes) -> None:
    try:
        validate(load_submission(submission(data)), skip_invalid=bool(data and data[-1] & 1))
    except LiftcheckError:
        pass


def seeds(folder: Path) -> None:
    """A few valid inputs of every kind, from the sample generator."""
    import datetime as dt

    from checker.sample import SampleSpec, generate, write

    folder.mkdir(parents=True, exist_ok=True)
    tables = generate(SampleSpec(3, dt.date(2024, 1, 1), dt.date(2024, 1, 31), seed=7))
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("csv", "jsonl"):
            written = write({"elevators": tables["elevators"]}, Path(tmp) / kind, kind)
            (folder / f"seed-{kind}").write_bytes(bytes([KINDS.index(kind)]) + written[0].read_bytes())
        text = (Path(tmp) / "jsonl" / "elevators.jsonl").read_text(encoding="utf-8")
        array = "[" + ",\n".join(line for line in text.splitlines() if line) + "]"
        (folder / "seed-json").write_bytes(bytes([KINDS.index("json")]) + array.encode("utf-8"))
    (folder / "seed-xlsx").write_bytes(bytes([KINDS.index("xlsx")]) + _WORKBOOK)
    with zipfile.ZipFile(io.BytesIO(_WORKBOOK)) as z:
        (folder / "seed-sheet").write_bytes(bytes([KINDS.index("sheet")]) + z.read("xl/worksheets/sheet1.xml"))


def main() -> None:
    args = list(sys.argv)
    corpus = next((a for a in args[1:] if not a.startswith("-")), None)
    if corpus is None:
        corpus = str(_WORK / "corpus")
        args.append(corpus)
    seeds(Path(corpus))
    atheris.Setup(args, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
