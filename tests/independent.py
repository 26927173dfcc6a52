"""What tests expect of a submission, read from its CSV files with the standard library and
rules.md's definitions alone: never through liftcheck's loader, validator or facts. Beside a
comparison of liftcheck with itself (parts and whole, cluster and one machine, Parquet and CSV)
these are the independent expectation."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path


def table(folder: Path, name: str) -> list[dict]:
    with open(folder / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def plus_years(d: dt.date, years: int) -> dt.date:
    """民法典 第二百零二条: the same day, or the month's last day when it has no such day (02-29)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def in_scope(e: dict) -> bool:
    return e["residential"] != "false" and e["status"] != "scrapped"


def stopped_without_a_stop_record(folder: Path) -> set[str]:
    open_stops = {s["elevator_id"] for s in table(folder, "stop_periods") if not s["end"]}
    return {e["elevator_id"] for e in table(folder, "elevators")
            if in_scope(e) and e["status"] == "stopped" and e["elevator_id"] not in open_stops}


def daily_check_breaches(folder: Path, start: dt.date, end: dt.date) -> set[tuple[str, str]]:
    """rules.md DAILY-CHECK, read day by day: (elevator, month) with an in-service day of the month
    up to `end` without a daily check; stopped days are start <= d < end (or no end)."""
    checks = {(c["elevator_id"], c["date"]) for c in table(folder, "daily_checks")}
    stops: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    for s in table(folder, "stop_periods"):
        stops.setdefault(s["elevator_id"], []).append((day(s["start"]), day(s["end"]) if s["end"] else None))
    unjudged = stopped_without_a_stop_record(folder)
    found = set()
    for e in table(folder, "elevators"):
        if not in_scope(e) or e["elevator_id"] in unjudged:
            continue
        d = start.replace(day=1)
        while d <= end:
            stopped = any(a <= d and (b is None or d < b) for a, b in stops.get(e["elevator_id"], []))
            if d >= day(e["commissioned_on"]) and not stopped and (e["elevator_id"], d.isoformat()) not in checks:
                found.add((e["elevator_id"], d.strftime("%Y-%m")))
            d += dt.timedelta(days=1)
    return found


def closed_loop(folder: Path, start: dt.date, end: dt.date) -> dict[str, tuple[int, int]]:
    """rules.md's closed-loop rate per district: hazards found by a safety assessment on elevators old on
    their found_on, found by `end`, not rectified before `start`: (how many, how many rectified by `end`)."""
    elevators = {e["elevator_id"]: e for e in table(folder, "elevators") if in_scope(e)}
    out: dict[str, list[int]] = {}
    for h in table(folder, "hazards"):
        e = elevators.get(h["elevator_id"])
        found, fixed = day(h["found_on"]), (day(h["rectified_on"]) if h["rectified_on"] else None)
        if e is None or not (h["source"] == "assessment" or h.get("assessment_id")):
            continue
        if plus_years(day(e["commissioned_on"]), 15) <= found <= end and not (fixed and fixed < start):
            counts = out.setdefault(e["district"], [0, 0])
            counts[0] += 1
            counts[1] += bool(fixed and fixed <= end)
    return {d: (n, c) for d, (n, c) in out.items()}
