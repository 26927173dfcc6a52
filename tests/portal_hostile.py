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
    """Daily checks of `elevators`, `rows` of them, each different (a note per row): about
    17 MB at 9:1 deflate, as the issue's."""
    import xlsxwriter

    days = [dt.date(year, 1, 1) + dt.timedelta(days=i) for i in range(366 if year % 4 == 0 else 365)]
    # shared strings for the repeated ids, days and name (as Excel writes them); the note a number
    with xlsxwriter.Workbook(path, {"strings_to_numbers": False}) as wb:
        ws = wb.add_worksheet("daily_checks")
        ws.write_row(0, 0, ["elevator_id", "date", "inspector", "note"])
        for i in range(rows):
            e = elevators[i % len(elevators)]
            d = days[(i // len(elevators)) % len(days)]
            ws.write_string(i + 1, 0, e)
            ws.write_string(i + 1, 1, d.isoformat())
            ws.write_string(i + 1, 2, "王伟")
            ws.write_number(i + 1, 3, i)
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


# ---- measuring a portal as it runs: `python tests/portal_hostile.py measure CODE DB FILE…` ---------------------

def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(code: Path, db: Path, files: list[Path], org: str = "9132010000000000X", port: int = 8765) -> None:
    """For each file: a fresh copy of `db` served by the checkout `code` (`liftcheck serve` under
    /usr/bin/time -v), one upload through POST /api/submissions; prints the answer, its time,
    the server process's peak RSS, the largest sum of server and children seen (sampled every
    20 ms), and /usr/bin/time's maximum resident set size."""
    import json as _json
    import os
    import re as _re
    import shutil
    import signal
    import subprocess
    import sys
    import threading
    import time
    import urllib.request

    python = sys.executable
    for path in files:
        work = Path(f"/tmp/liftcheck-measure-{os.getpid()}")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        copy = work / "portal.sqlite"
        shutil.copyfile(db, copy)
        added = subprocess.run([python, "-m", "checker.cli", "users", "add", f"m{time.time_ns()}", "--role", "use_unit",
                                "--org", org, "--db", str(copy)], cwd=code, capture_output=True, text=True, check=True)
        token = _re.search(r"token: (\S+)", added.stdout).group(1)
        log = open(work / "server.log", "w")
        timer = subprocess.Popen(["/usr/bin/time", "-v", python, "-m", "checker.cli", "serve", "--db", str(copy),
                                  "--port", str(port)], cwd=code, stdout=log, stderr=log)
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        server = _children(timer.pid)[0]
        base_rss = _kb(server, "VmRSS")
        peak = {"sum": 0, "child": 0}
        done = threading.Event()

        def sample():
            while not done.is_set():
                kids = _children(server)
                rss = [_kb(k, "VmRSS") for k in kids]
                peak["sum"] = max(peak["sum"], _kb(server, "VmRSS") + sum(rss))
                peak["child"] = max([peak["child"], *rss])
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        boundary = "liftcheck-measure"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/submissions", data=body, method="POST", headers={
            "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=900) as r:
                status, text = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        except OSError as e:
            status, text = "no answer", repr(e)
        seconds = time.monotonic() - t0
        done.set()
        sampler.join()
        alive = "yes"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
        except OSError:
            alive = "NO"
        server_peak = _kb(server, "VmHWM")
        os.kill(server, signal.SIGINT)
        timer.wait(timeout=60)
        log.close()
        text_log = (work / "server.log").read_text(errors="replace")
        maxrss = _re.search(r"Maximum resident set size \(kbytes\): (\d+)", text_log)
        worker = [_json.loads(line) for line in text_log.splitlines() if '"upload_worker' in line]
        try:
            detail = _json.loads(text)
            summary = detail.get("detail") or {k: detail[k] for k in ("accepted", "errors", "warnings") if k in detail}
        except ValueError:
            summary = text[:200]
        print(_json.dumps({"file": path.name, "bytes": path.stat().st_size, "status": status, "seconds": round(seconds, 1),
                           "server_base_mb": base_rss // 1024, "server_peak_mb": server_peak // 1024,
                           "child_peak_mb": peak["child"] // 1024, "server_plus_children_peak_mb": peak["sum"] // 1024,
                           "time_v_max_rss_mb": int(maxrss.group(1)) // 1024 if maxrss else None,
                           "worker_log": worker, "alive_after": alive, "answer": summary}, ensure_ascii=False), flush=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":   # the measured inputs (docs/portal.md, the report to issue 25)
    import sys

    if sys.argv[1] == "measure":
        measure(Path(sys.argv[2]), Path(sys.argv[3]), [Path(f) for f in sys.argv[4:]])
        sys.exit(0)
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
