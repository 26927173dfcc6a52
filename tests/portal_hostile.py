"""Hostile uploads for the portal's bounded worker (issue 25), and the honest large one.

Each generator writes a file a firm could upload (within the 20 MB body limit) that costs a
reader far more than its size, without holding it in memory here:

- `size_lie_workbook`: an .xlsx whose sheet part declares a small size, with a CRC that
  matches that many leading bytes, while its deflate stream runs on for `inflated` bytes;
  every check made from the zip's headers passes before anything is inflated;
- `honest_workbook`: a valid workbook of daily checks, about a million rows (9:1 deflate);
- `wide_csv_zip`: a CSV of `columns` columns (a 7 MB header line), stored in a zip;
- `long_line_zip`: a CSV whose single line is `size` bytes, deflated at about 100:1 so that
  the zip's ratio check (200:1) lets it through.

`python tests/portal_hostile.py FOLDER` writes all four (and their CLI forms) for measuring.
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import zipfile
import zlib
from pathlib import Path

MB = 1000 * 1000


def _patch_entry(path: Path, part: str, size: int, crc: int) -> None:
    """Rewrite the uncompressed size and CRC of `part` in its local header and the central directory."""
    data = bytearray(path.read_bytes())
    name = part.encode()
    local = data.find(b"PK\x03\x04")
    while local != -1:
        n = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30: local + 30 + n] == name:
            struct.pack_into("<I", data, local + 14, crc)
            struct.pack_into("<I", data, local + 22, size)
            break
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        n = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46: central + 46 + n] == name:
            struct.pack_into("<I", data, central + 16, crc)
            struct.pack_into("<I", data, central + 24, size)
            break
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def _workbook_with_sheet(path: Path, sheet: str, columns: list[str]) -> str:
    """A one-sheet workbook (xlsxwriter) whose sheet has only the header; the sheet part's name."""
    import xlsxwriter

    with xlsxwriter.Workbook(path, {"strings_to_numbers": False}) as wb:
        ws = wb.add_worksheet(sheet)
        ws.write_row(0, 0, columns)
    return "xl/worksheets/sheet1.xml"


def _rewrite_part(path: Path, part: str, chunks) -> tuple[int, bytes]:
    """Replace `part` by the concatenated `chunks` (deflated); (its size, its first 80 KB)."""
    tmp = path.with_suffix(".tmp")
    size, head = 0, bytearray()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename != part:
                dst.writestr(info, src.read(info.filename))
                continue
            entry = zipfile.ZipInfo(part, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(entry, "w", force_zip64=False) as out:
                for chunk in chunks:
                    out.write(chunk)
                    if len(head) < 80 * 1024:
                        head += chunk[: 80 * 1024 - len(head)]
                    size += len(chunk)
    tmp.replace(path)
    return size, bytes(head)


def size_lie_workbook(path: Path, inflated: int = 102 * MB, declared: int = 80 * 1024,
                      elevator_id: str = "E1") -> Path:
    """An .xlsx whose daily_checks sheet declares `declared` bytes (and their CRC) but inflates to `inflated`."""
    part = _workbook_with_sheet(path, "daily_checks", ["elevator_id", "date", "inspector"])
    start = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData><row><c t="inlineStr"><is><t>elevator_id</t></is></c><c t="inlineStr">'
             '<is><t>date</t></is></c><c t="inlineStr"><is><t>inspector</t></is></c></row>').encode()
    row = (f'<row><c t="inlineStr"><is><t>{elevator_id}</t></is></c><c t="inlineStr"><is><t>2024-01-01</t></is></c>'
           '<c t="inlineStr"><is><t>王伟</t></is></c></row>').encode()
    end = b"</sheetData></worksheet>"
    block = row * (1 << 12)

    def chunks():
        yield start
        left = inflated - len(start) - len(end)
        while left > 0:
            piece = block[:left]
            left -= len(piece)
            yield piece
        yield end

    size, head = _rewrite_part(path, part, chunks())
    _patch_entry(path, part, declared, zlib.crc32(head[:declared]))
    return path


def honest_workbook(path: Path, elevators: list[str], rows: int = 1_040_000, year: int = 2024) -> Path:
    """Daily checks of `elevators`, `rows` of them, each different (a note per row)."""
    import xlsxwriter

    days = [dt.date(year, 1, 1) + dt.timedelta(days=i) for i in range(366 if year % 4 == 0 else 365)]
    with xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False}) as wb:
        ws = wb.add_worksheet("daily_checks")
        ws.write_row(0, 0, ["elevator_id", "date", "inspector", "result", "note"])
        for i in range(rows):
            e = elevators[i % len(elevators)]
            d = days[(i // len(elevators)) % len(days)]
            ws.write_row(i + 1, 0, [e, d.isoformat(), "王伟", "normal", f"第{i}次巡查"])
    return path


def wide_csv(path: Path, columns: int = 1_000_000) -> Path:
    """A CSV of `columns` columns: a header line and one row (about 7 MB)."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(",".join(["elevator_id", "date", "inspector"] + [f"c{i:x}" for i in range(columns - 3)]) + "\n")
        fh.write(",".join(["E1", "2024-01-01", "王伟"] + [""] * (columns - 3)) + "\n")
    return path


def wide_csv_zip(path: Path, columns: int = 1_000_000) -> Path:
    csv = wide_csv(path.with_name("daily_checks.csv"), columns)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.write(csv, "daily_checks.csv")
    csv.unlink()
    return path


def _long_line_chunks(size: int, seed: int = 25):
    """`size` bytes of one line: repetitive text with a few random bytes (about 100:1 deflated)."""
    rng = random.Random(seed)
    filler = b"a" * 700
    left = size
    yield b"elevator_id,"
    left -= 12
    while left > 0:
        piece = (rng.randbytes(3).hex().encode() + filler)[:left]
        left -= len(piece)
        yield piece
    yield b"\n"


def long_line(path: Path, size: int = 200 * MB) -> Path:
    with open(path, "wb") as fh:
        for chunk in _long_line_chunks(size):
            fh.write(chunk)
    return path


def long_line_zip(path: Path, size: int = 200 * MB) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("daily_checks.csv", "w", force_zip64=True) as out:
            for chunk in _long_line_chunks(size):
                out.write(chunk)
    return path


if __name__ == "__main__":   # the measured inputs (docs/portal.md, the report to issue 25)
    import sys

    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    elevators = sys.argv[2].split(",") if len(sys.argv) > 2 else ["E1"]
    size_lie_workbook(out / "size-lie.xlsx", elevator_id=elevators[0])
    honest_workbook(out / "honest.xlsx", elevators)
    wide_csv_zip(out / "wide.zip")
    (out / "wide").mkdir(exist_ok=True)
    wide_csv(out / "wide" / "daily_checks.csv")
    long_line_zip(out / "long-line.zip")
    (out / "long-line").mkdir(exist_ok=True)
    long_line(out / "long-line" / "daily_checks.csv")
    for f in sorted(out.rglob("*")):
        if f.is_file():
            print(f"{f.stat().st_size:>12,}  {f}")
