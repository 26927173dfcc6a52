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
           "use_unit_id": FIRM, "maintenance_unit_id": MAINTAINER, "manufacturer_id": MAKER}
    return row | fields


def _visits(elevator_id: str, dates: list[str]) -> list[dict]:
    return [{"elevator_id": elevator_id, "date": d, "maintenance_unit_id": MAINTAINER, "kind": "half_month"} for d in dates]


BASE: dict[str, list[dict]] = {
    "organizations": [dict(o) for o in ORGANIZATIONS],
    # E1: old, affordable and dense (97 households): its visits 12 days apart break the 10-day rule
    "elevators": [_elevator("E1", commissioned_on="2005-01-01", affordable_housing=True, households_served=97),
                  _elevator("E2", households_served=12)],
    "maintenance": _visits("E1", ["2024-01-03", "2024-01-15", "2024-01-27", "2024-02-08"])
    + _visits("E2", ["2024-01-03", "2024-01-17", "2024-01-31"]),
    "daily_checks": [{"elevator_id": "E1", "date": d, "inspector": "王伟", "note": "正常"} for d in days("2024-01-01", "2024-01-20")]
    + [{"elevator_id": "E2", "date": d, "inspector": "李娜"} for d in days("2024-01-01", "2024-01-31")],
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
