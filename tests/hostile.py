"""A small, fully judged submission written in every input format, for the hostile-input tests.

`BASE` holds typed rows (ints, booleans, text). `write(folder, tables, fmt)` writes them as a
folder of CSV, JSON Lines or JSON files, or as one workbook, and returns the path to check.
`verdicts(...)` runs `liftcheck check` and gives the set of (rule, subject, period) judged.
"""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

from click.testing import CliRunner

from checker.cli import main
from conftest import FIRM, MAINTAINER, MAKER, ORGANIZATIONS, days

PERIOD = ["--from", "2024-01-01", "--to", "2024-03-31"]


def _elevator(elevator_id: str, **fields) -> dict:
    row = {"elevator_id": elevator_id, "district": "玄武区", "community": "梅园新村", "commissioned_on": "2015-01-01",
           "use_unit_id": FIRM, "maintenance_unit_id": MAINTAINER, "manufacturer_id": MAKER, "residential": True,
           "affordable_housing": False, "status": "in_service"}
    return row | fields


def _visits(elevator_id: str, dates: list[str]) -> list[dict]:
    return [{"elevator_id": elevator_id, "date": d, "maintenance_unit_id": MAINTAINER, "kind": "half_month",
             "on_site": True} for d in dates]


BASE: dict[str, list[dict]] = {
    "organizations": [dict(o) for o in ORGANIZATIONS],
    # E1: old, affordable and dense (97 households): its visits 12 days apart break the 10-day rule
    "elevators": [_elevator("E1", commissioned_on="2005-01-01", affordable_housing=True, households_served=97),
                  _elevator("E2", households_served=12)],
    "maintenance": _visits("E1", ["2024-01-03", "2024-01-15", "2024-01-27", "2024-02-08"])
    + _visits("E2", ["2024-01-03", "2024-01-17", "2024-01-31"]),
    "daily_checks": [{"elevator_id": "E1", "date": d, "inspector": "王伟", "note": "正常", "result": "normal"}
                     for d in days("2024-01-01", "2024-01-20")]
    + [{"elevator_id": "E2", "date": d, "inspector": "李娜", "result": "normal"} for d in days("2024-01-01", "2024-01-31")],
    "hazards": [{"hazard_id": "H1", "elevator_id": "E1", "found_on": "2024-01-10", "source": "inspection",
                 "severity": "serious", "description": "曳引绳磨损", "rectified_on": "2024-02-20"}],
    "entrapments": [{"incident_id": "K1", "elevator_id": "E2", "reported_at": "2024-02-01T10:00:00",
                     "arrived_at": "2024-02-01T10:20:00", "released_at": "2024-02-01T10:40:00", "trapped": 2}],
    "fund_applications": [{"application_id": "F1", "elevator_id": "E2", "applied_on": "2024-02-10", "channel": "ordinary",
                           "amount": 12000.5}],
}


def tables() -> dict[str, list[dict]]:
    return copy.deepcopy(BASE)


def _text(value) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def write(folder: Path, data: dict[str, list[dict]], fmt: str) -> Path:
    """Write a submission; returns what to hand to `liftcheck check` (the folder, or the workbook)."""
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":   # xlsxwriter: it can store control characters (as _x001B_), openpyxl refuses them
        import xlsxwriter

        path = folder / "book.xlsx"
        with xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_numbers": False,
                                        "strings_to_urls": False}) as wb:
            for name, rows in data.items():
                ws = wb.add_worksheet(name)
                columns = list(dict.fromkeys(k for r in rows for k in r))
                ws.write_row(0, 0, columns)
                for i, r in enumerate(rows, start=1):
                    for j, c in enumerate(columns):
                        if r.get(c) is not None:
                            ws.write(i, j, r[c])
        return path
    for name, rows in data.items():
        if fmt == "csv":
            columns = list(dict.fromkeys(k for r in rows for k in r)) or ["elevator_id"]
            with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
                out = csv.DictWriter(fh, fieldnames=columns)
                out.writeheader()
                for r in rows:
                    out.writerow({k: _text(v) for k, v in r.items()})
        elif fmt == "jsonl":
            (folder / f"{name}.jsonl").write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        elif fmt == "json":
            (folder / f"{name}.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            raise ValueError(fmt)
    return folder


def where(fmt: str, record_type: str, index: int) -> str:
    """How a message names the place of record `index` (0-based) of a type, in English."""
    return {"csv": f"{record_type}.csv line {index + 2}", "jsonl": f"{record_type}.jsonl line {index + 1}",
            "json": f"{record_type}.json item {index}", "xlsx": f"book.xlsx[{record_type}] row {index + 2}"}[fmt]


def run(*args) -> "object":
    return CliRunner(env={"COLUMNS": "400"}).invoke(main, [str(a) for a in args], catch_exceptions=False)


def check(path: Path, *extra: str):
    return run("check", path, *PERIOD, "--format", "json", *extra)


def columns(data: dict[str, list[dict]], record_type: str) -> list[str]:
    return list(dict.fromkeys(k for r in data[record_type] for k in r))


def messages(result) -> list[str]:
    """Every problem message a refused check gave (its JSON problems), and what it said on stderr."""
    found = []
    try:
        body = json.loads(result.stdout)
        found += [p["message_en"] for p in body.get("problems", [])]
    except ValueError:
        pass
    return found + [result.stderr]


def judged(result) -> set[tuple[str, str, str]]:
    report = json.loads(result.stdout)
    return {(v["rule_id"], v["subject"], v["period_key"]) for v in report["violations"]}


_cache: dict[str, set] = {}


def verdicts(folder: Path, data: dict[str, list[dict]], fmt: str = "csv") -> set[tuple[str, str, str]]:
    """The verdicts of a clean submission (cached by content: many cases share one)."""
    key = json.dumps(data, sort_keys=True, ensure_ascii=False) + fmt
    if key not in _cache:
        result = check(write(folder, data, fmt))
        assert result.exit_code in (0, 1), result.output
        _cache[key] = judged(result)
    return _cache[key]


# ---- inputs that would take a reader's memory (issue 25): built fast, byte by byte ---------------
# Each writes a file the way an attacker (or a very large honest firm) would, in seconds, so the
# tests can run the CLI on it under an address-space limit.

def _zip(path: Path, parts: list[tuple[str, bytes, bytes, int, int]]) -> None:
    """A zip of (name, deflated bytes, method, declared size, declared CRC): the sizes and
    checksums are written as given, which is how a part lies about what it holds."""
    import struct

    out, central = bytearray(), bytearray()
    for name, body, method, size, crc in parts:
        raw = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, method, 0, 0x21, crc, len(body), size, len(raw), 0)
        out += raw + body
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, method, 0, 0x21, crc, len(body),
                               size, len(raw), 0, 0, 0, 0, 0, offset)
        central += raw
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))


def _deflated(data: bytes, level: int = 6) -> bytes:
    import zlib

    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def _book_parts(sheets: list[tuple[str, bytes]], shared: list[str] | None = None) -> list[tuple[str, bytes]]:
    """The parts of a workbook of `sheets` (name, sheet XML), and a shared-string table."""
    types = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
             b'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
             + b"".join(b'<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-'
                        b'officedocument.spreadsheetml.worksheet+xml"/>' % (i + 1) for i in range(len(sheets)))
             + (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                b'officedocument.spreadsheetml.sharedStrings+xml"/>' if shared is not None else b"")
             + b"</Types>")
    root = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    book = (b'<?xml version="1.0" encoding="UTF-8"?><workbook ' + _NS + b" " + _REL_NS + b"><sheets>"
            + b"".join(b'<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (name.encode(), i + 1, i + 1)
                       for i, (name, _) in enumerate(sheets)) + b"</sheets></workbook>")
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/relationships">'
            + b"".join(b'<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       b'relationships/worksheet" Target="worksheets/sheet%d.xml"/>' % (i + 1, i + 1)
                       for i in range(len(sheets)))
            + (b'<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
               b'sharedStrings" Target="sharedStrings.xml"/>' % (len(sheets) + 1) if shared is not None else b"")
            + b"</Relationships>")
    parts = [("[Content_Types].xml", types), ("_rels/.rels", root), ("xl/workbook.xml", book),
             ("xl/_rels/workbook.xml.rels", rels)]
    parts += [(f"xl/worksheets/sheet{i + 1}.xml", xml) for i, (_, xml) in enumerate(sheets)]
    if shared is not None:
        from xml.sax.saxutils import escape

        parts.append(("xl/sharedStrings.xml", b'<?xml version="1.0" encoding="UTF-8"?><sst ' + _NS + b">"
                      + "".join(f"<si><t>{escape(s)}</t></si>" for s in shared).encode() + b"</sst>"))
    return parts


def _inline_sheet(rows: list[list[str]]) -> bytes:
    from xml.sax.saxutils import escape

    body = "".join(f'<row r="{r + 1}">' + "".join(f'<c r="{chr(65 + c)}{r + 1}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
                                                   for c, v in enumerate(row) if v != "") + "</row>"
                   for r, row in enumerate(rows))
    return b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + _NS + b"><sheetData>" + body.encode() + b"</sheetData></worksheet>"


def _small_sheets() -> list[tuple[str, bytes]]:
    orgs = [["org_id", "name", "kind"]] + [[o["org_id"], o["name"], o["kind"]] for o in BASE["organizations"]]
    cols = ["elevator_id", "district", "community", "commissioned_on", "use_unit_id", "maintenance_unit_id",
            "status", "affordable_housing"]
    elevators = [cols] + [[_text(e.get(c, "in_service" if c == "status" else False if c == "affordable_housing" else ""))
                           for c in cols] for e in BASE["elevators"]]
    return [("organizations", _inline_sheet(orgs)), ("elevators", _inline_sheet(elevators))]


def _rows_xml(first: int, count: int) -> bytes:
    """Daily checks of E1, one row each, from sheet row `first` on (inline strings)."""
    import datetime as dt

    day0 = dt.date(2020, 1, 1).toordinal()
    return "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>E1</t></is></c><c r="B{r}" t="inlineStr"><is><t>'
        f'{dt.date.fromordinal(day0 + r % 1500).isoformat()}</t></is></c><c r="C{r}" t="inlineStr"><is><t>王伟</t></is>'
        f"</c></row>" for r in range(first, first + count)).encode()


def size_lie_workbook(path: Path, inflated: int) -> Path:
    """A workbook whose daily_checks sheet declares 80 KB, with the CRC of those first 80 KB,
    while its deflate stream runs on to `inflated` bytes of rows (issue 25: 102 MB in 377 KB)."""
    import zlib

    head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + _NS + b'><sheetData><row><c t="inlineStr"><is>'
            b'<t>elevator_id</t></is></c><c t="inlineStr"><is><t>date</t></is></c><c t="inlineStr"><is><t>inspector'
            b"</t></is></c></row>")
    row = (b'<row><c t="inlineStr"><is><t>E1</t></is></c><c t="inlineStr"><is><t>2024-01-05</t></is></c>'
           b'<c t="inlineStr"><is><t>wang</t></is></c></row>')
    block = row * 10_000
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    pieces, size = [c.compress(head)], len(head)
    while size < inflated:
        pieces.append(c.compress(block))
        size += len(block)
    pieces.append(c.compress(b"</sheetData></worksheet>") + c.flush())
    declared = (head + block)[:80 * 1024]
    sheets = _small_sheets() + [("daily_checks", b"")]
    out = []
    for name, data in _book_parts(sheets):
        if name == f"xl/worksheets/sheet{len(sheets)}.xml":
            out.append((name, b"".join(pieces), 8, len(declared), zlib.crc32(declared)))
        else:
            out.append((name, _deflated(data), 8, len(data), zlib.crc32(data)))
    _zip(path, out)
    return path


def honest_big_workbook(path: Path, rows: int = 1_040_000) -> Path:
    """A workbook as a big firm's export is: a million daily checks of 2,000 elevators in shared
    strings, deflated as Excel does (about 9:1)."""
    import datetime as dt
    import random
    import zlib

    rng = random.Random(25)
    elevators = [f"3201{i:012d}" for i in range(2000)]
    days = [(dt.date(2023, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(731)]
    names = ["王伟", "李娜", "张敏", "刘洋", "陈静", "杨磊", "赵勇", "黄艳", "周杰", "吴霞"]
    shared = elevators + days + names + ["elevator_id", "date", "inspector", "result", "正常", "发现隐患"]
    index = {s: i for i, s in enumerate(shared)}
    head = (f'<row r="1"><c r="A1" t="s"><v>{index["elevator_id"]}</v></c><c r="B1" t="s"><v>{index["date"]}</v></c>'
            f'<c r="C1" t="s"><v>{index["inspector"]}</v></c><c r="D1" t="s"><v>{index["result"]}</v></c></row>')
    body = [head]
    for r in range(2, rows + 2):   # each elevator's checks day after day, as a firm's export lists them
        body.append(f'<row r="{r}"><c r="A{r}" t="s"><v>{(r - 2) * 2000 // rows}</v></c>'
                    f'<c r="B{r}" t="s"><v>{2000 + (r - 2) % 731}</v></c>'
                    f'<c r="C{r}" t="s"><v>{2731 + rng.randrange(10)}</v></c>'
                    f'<c r="D{r}" t="s"><v>{2745 if rng.random() < 0.99 else 2746}</v></c></row>')
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + _NS + b"><sheetData>" + "".join(body).encode()
             + b"</sheetData></worksheet>")
    orgs = [["org_id", "name", "kind"]] + [[o["org_id"], o["name"], o["kind"]] for o in BASE["organizations"]]
    cols = ["elevator_id", "district", "community", "commissioned_on", "use_unit_id", "maintenance_unit_id",
            "status", "affordable_housing"]
    from conftest import FIRM, MAINTAINER

    els = [cols] + [[e, "玄武区", "梅园新村", "2010-01-01", FIRM, MAINTAINER, "in_service", "false"] for e in elevators]
    parts = _book_parts([("organizations", _inline_sheet(orgs)), ("elevators", _inline_sheet(els)),
                         ("daily_checks", sheet)], shared)
    _zip(path, [(name, _deflated(data, 6), 8, len(data), zlib.crc32(data)) for name, data in parts])
    return path


def wide_csv(folder: Path, columns: int = 1_000_000) -> Path:
    """A submission whose daily_checks.csv has a header of `columns` columns (7 MB for a million)."""
    write(folder, {k: v for k, v in BASE.items() if k in ("organizations", "elevators")}, "csv")
    header = "elevator_id,date,inspector," + ",".join(f"c{i}" for i in range(columns - 3))
    (folder / "daily_checks.csv").write_text(header + "\nE1,2024-01-01,王伟" + "," * (columns - 3) + "\n",
                                             encoding="utf-8")
    return folder


def single_line(folder: Path, size: int, kind: str = "csv") -> Path:
    """A submission whose daily_checks file holds a line of `size` bytes: the CSV's only line
    (its header), the CSV's one record after its header ("csv-row"), or a JSON Lines record."""
    write(folder, {k: v for k, v in BASE.items() if k in ("organizations", "elevators")}, "csv")
    if kind == "csv":
        name, body = "daily_checks.csv", b"elevator_id,date,inspector,note" + b"y" * size
    elif kind == "csv-row":
        name, body = "daily_checks.csv", b"elevator_id,date,inspector,note\nE1,2024-01-01,wang," + b"x" * size
    else:
        name, body = "daily_checks.jsonl", b'{"elevator_id": "E1", "date": "2024-01-01", "note": "' + b"x" * size + b'"}'
    (folder / name).write_bytes(body)
    return folder
