"""The credit ledger on SQLite and on a real PostgreSQL: each breach deducted once, ever."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest
from conftest import new_postgres_database

from checker.credit import load_schedule
from checker.errors import LiftcheckError
from checker.ledger import SCHEMA_VERSION, open_ledger, totals
from checker.pipeline import run_check
from checker.sample import SampleSpec, generate, write
from checker.verdicts import fingerprint


@pytest.fixture(params=["sqlite", "postgres"])
def target(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "ledger.sqlite")
    return new_postgres_database(request.getfixturevalue("postgres_admin_url"), "ledger")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    write(generate(SampleSpec(80, dt.date(2024, 1, 1), dt.date(2024, 12, 31), seed=11)), folder)
    def run(a, b):
        return run_check(folder, dt.date.fromisoformat(a), dt.date.fromisoformat(b)).report
    return {"h1": run("2024-01-01", "2024-06-30"), "q2q4": run("2024-04-01", "2024-12-31"), "year": run("2024-01-01", "2024-12-31")}


def fingerprints(report):
    return {i["fingerprint"] for f in report["credit"] for i in f["items"]}


def test_the_same_sweep_twice_deducts_once(target, reports):
    expected = fingerprints(reports["year"])
    assert len(expected) > 50
    with open_ledger(target) as ledger:
        assert ledger.record_sweep(reports["year"]) == len(expected)
        assert ledger.record_sweep(reports["year"]) == 0
        rows = ledger.deductions()
    assert sorted(r["fingerprint"] for r in rows) == sorted(expected)


def test_overlapping_periods_add_only_new_breaches(target, reports):
    h1, later = fingerprints(reports["h1"]), fingerprints(reports["q2q4"])
    assert h1 & later  # the overlap holds breaches both sweeps see
    with open_ledger(target) as ledger:
        assert ledger.record_sweep(reports["h1"]) == len(h1)
        assert ledger.record_sweep(reports["q2q4"]) == len(later - h1)
        assert {r["fingerprint"] for r in ledger.deductions()} == h1 | later


def test_two_concurrent_sweeps_never_double_deduct(target, reports):
    barrier = threading.Barrier(2, timeout=60)
    added, errors = [], []

    def sweep():
        try:
            with open_ledger(target) as ledger:
                barrier.wait()
                added.append(ledger.record_sweep(reports["year"]))
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    expected = fingerprints(reports["year"])
    assert sorted(added) == [0, len(expected)]
    with open_ledger(target) as ledger:
        assert len(ledger.deductions()) == len(expected)


def test_a_crash_in_the_middle_of_a_sweep_leaves_the_ledger_as_it_was(target, reports):
    # a report whose last item the database refuses (no deduction of 0 points), after all the others were written
    broken = {**reports["year"], "credit": [dict(f, items=list(f["items"])) for f in reports["year"]["credit"]]}
    broken["credit"][-1]["items"].append(dict(broken["credit"][-1]["items"][0], fingerprint="f" * 32, points=0))
    if target.startswith("postgresql"):
        import psycopg

        refused = pytest.raises(psycopg.errors.CheckViolation,
                                match='new row for relation "deductions" violates check constraint "deductions_points_check"')
    else:
        refused = pytest.raises(sqlite3.IntegrityError, match=r"^CHECK constraint failed: points > 0$")
    h1, year = fingerprints(reports["h1"]), fingerprints(reports["year"])
    assert year - h1  # the crashed sweep had new breaches to write
    with open_ledger(target) as ledger:
        assert ledger.record_sweep(reports["h1"]) == len(h1)
        before = ledger.deductions()
        with refused:
            ledger.record_sweep(broken)
        # nothing of the crashed sweep stays: the same rows, one sweep, no 0-point row
        assert ledger.deductions() == before
        assert sorted(r["fingerprint"] for r in before) == sorted(h1)
        cur = ledger.conn.cursor()
        cur.execute("SELECT count(*) FROM sweeps")
        assert cur.fetchone()[0] == 1
        cur.execute(ledger._sql("SELECT count(*) FROM deductions WHERE points <= 0 OR fingerprint = %s"), ("f" * 32,))
        assert cur.fetchone()[0] == 0
        cur.close()
        # and the ledger goes on: the sweep without the bad item records exactly what h1 did not
        assert ledger.record_sweep(reports["year"]) == len(year - h1)
        assert sorted(r["fingerprint"] for r in ledger.deductions()) == sorted(h1 | year)


def test_revoke_keeps_who_when_and_why_and_totals_show_it(target, reports):
    schedule = load_schedule()
    with open_ledger(target) as ledger:
        ledger.record_sweep(reports["year"])
        firm = reports["year"]["credit"][0]
        item = firm["items"][0]
        before = totals(ledger.deductions(org=firm["org_id"]), schedule)[0]
        ledger.revoke(item["fingerprint"], "申诉成立：当日检查记录纸质存档", "市场监管局 张三")
        after = totals(ledger.deductions(org=firm["org_id"]), schedule)[0]
        with pytest.raises(LiftcheckError, match="already revoked by 市场监管局 张三"):
            ledger.revoke(item["fingerprint"], "again", "someone")
        with pytest.raises(LiftcheckError, match="no deduction with fingerprint nope"):
            ledger.revoke("nope", "x", "y")
    revoked = next(i for i in after["items"] if i["fingerprint"] == item["fingerprint"])
    assert revoked["revoked"]["reason"] == "申诉成立：当日检查记录纸质存档"
    assert revoked["revoked"]["by"] == "市场监管局 张三"
    assert after["revoked_points"] == item["points"]
    assert after["uncapped_points"] == before["uncapped_points"] - item["points"]
    assert len(after["items"]) == len(before["items"])  # nothing deleted


def _scheme1_ledger(target: str, rows: list[tuple]) -> None:
    """A ledger as liftcheck 0.1 wrote it: schema version 2, period keys clipped to the sweep."""
    with open_ledger(target, migrate_to=2) as old:
        assert old.version() == 2
        cur = old.conn.cursor()
        cur.execute(old._sql("INSERT INTO sweeps (sweep_id, recorded_at, period_from, period_to, ruleset_digest, tool_version)"
                             " VALUES (%s, %s, %s, %s, %s, %s)"),
                    ("s1", "2024-02-01T00:00:00+00:00", "2024-01-01", "2024-01-31", "sha256:old", "0.1.0"))
        for rule_id, subject, key, points, recorded_at in rows:
            cur.execute(old._sql("INSERT INTO deductions (fingerprint, org_id, rule_id, subject, period_key, points, clause,"
                                 " severity, year, sweep_id, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"),
                        (fingerprint(rule_id, subject, key), "ORG1", rule_id, subject, key, points, "四（一）", "general",
                         2024, "s1", recorded_at))
        old.conn.commit()


def test_a_ledger_written_by_an_older_liftcheck_is_refused_until_migrated_and_keeps_its_history(target, reports):
    _scheme1_ledger(target, [
        ("DAILY-CHECK", "E1", "2024-01", 1, "2024-02-01T00:00:00+00:00"),
        # one over-long interval seen open by January's sweep and closed by February's: deducted twice under scheme 1
        ("MAINT-INTERVAL", "E1", "2024-01-20..2024-01-31", 1, "2024-02-01T00:00:00+00:00"),
        ("MAINT-INTERVAL", "E1", "2024-01-20..2024-02-09", 1, "2024-03-01T00:00:00+00:00"),
    ])
    with open_ledger(target) as ledger:
        assert ledger.version() == SCHEMA_VERSION and ledger.scheme() == 1
        with pytest.raises(LiftcheckError, match="written under fingerprint scheme 1.*liftcheck credit migrate"):
            ledger.record_sweep(reports["h1"])
        assert len(ledger.deductions()) == 3  # refused before anything was written
        ledger.revoke(fingerprint("MAINT-INTERVAL", "E1", "2024-01-20..2024-02-09"), "申诉成立", "tester")
        done = ledger.migrate_fingerprints()
        assert done == {"unchanged": 1, "rekeyed": 1, "merged": 1, "merged_points": 1}
        rows = {r["fingerprint"]: r for r in ledger.deductions()}
        new = fingerprint("MAINT-INTERVAL", "E1", "2024-01-20")
        assert set(rows) == {fingerprint("DAILY-CHECK", "E1", "2024-01"), new}
        assert rows[new]["period_key"] == "2024-01-20" and rows[new]["recorded_at"] == "2024-02-01T00:00:00+00:00"
        assert rows[new]["reason"] == "申诉成立"  # the appeal upheld for one row holds for the breach
        cur = ledger.conn.cursor()
        cur.execute("SELECT old_period_key, merged FROM rekeyed ORDER BY old_period_key")
        assert cur.fetchall() == [("2024-01-20..2024-01-31", 0), ("2024-01-20..2024-02-09", 1)]
        assert ledger.scheme() == 2 and ledger.migrate_fingerprints() == {"unchanged": 0, "rekeyed": 0, "merged": 0,
                                                                          "merged_points": 0}
        assert ledger.record_sweep(reports["h1"]) == len(fingerprints(reports["h1"]))


def test_inspection_lapses_are_rekeyed_from_the_submission(tmp_path):
    from conftest import ORGANIZATIONS, elevator, write_submission
    from checker.migrate import inspection_keys

    target = str(tmp_path / "old.sqlite")
    # a lapse from 2024-01-11 that the monthly sweeps of January and February each deducted, clipped to the month
    _scheme1_ledger(target, [("INSPECTION-VALID", "E1", "2024-01-11..2024-01-31", 5, "2024-02-01T00:00:00+00:00"),
                             ("INSPECTION-VALID", "E1", "2024-02-01..2024-02-29", 5, "2024-03-01T00:00:00+00:00")])
    data = write_submission(tmp_path / "s", {
        "organizations": ORGANIZATIONS, "elevators": [elevator("E1", commissioned_on="2020-01-01")],
        "inspections": [{"elevator_id": "E1", "date": "2023-01-10", "conclusion": "pass", "next_due": "2024-01-10"}]})
    with open_ledger(target) as ledger:
        with pytest.raises(LiftcheckError, match="2 INSPECTION-VALID deductions.*--data SUBMISSION; the ledger is unchanged"):
            ledger.migrate_fingerprints()
        assert ledger.scheme() == 1
        assert ledger.migrate_fingerprints(inspection_keys(data)) == {"unchanged": 0, "rekeyed": 1, "merged": 1,
                                                                      "merged_points": 5}
        [row] = ledger.deductions()
        assert (row["period_key"], row["points"]) == ("2024-01-11", 5)
        assert row["fingerprint"] == fingerprint("INSPECTION-VALID", "E1", "2024-01-11")


def test_year_cap_and_dishonest_threshold(reports):
    schedule = load_schedule()
    rows = [{"fingerprint": str(i), "org_id": "F", "rule_id": "HAZARD-OVERDUE", "subject": str(i), "period_key": str(i),
             "points": 10, "clause": "四（三）", "severity": "serious", "year": 2024, "recorded_at": "t",
             "reason": None, "revoked_by": None, "revoked_at": None} for i in range(12)]
    [firm] = totals(rows, schedule)
    assert (firm["uncapped_points"], firm["points"], firm["dishonest_register"]) == (120, 100, True)


def test_not_a_ledger_is_a_clear_error(tmp_path):
    bogus = tmp_path / "notes.sqlite"
    bogus.write_text("this is not a database" * 100)
    with pytest.raises(LiftcheckError, match="is not a liftcheck ledger"):
        with open_ledger(str(bogus)):
            pass
    with pytest.raises(LiftcheckError, match="the ledger's folder does not exist"):
        with open_ledger(str(tmp_path / "missing" / "x.sqlite")):
            pass
    assert sqlite3.sqlite_version_info >= (3, 24)  # ON CONFLICT … DO NOTHING
