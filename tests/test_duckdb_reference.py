"""The DuckDB SQL reference (benchmarks/duckdb_reference.py), a second reading of rules.md written
without any of liftcheck's code, finds the same DAILY-CHECK and MAINT-INTERVAL(-DENSE) breaches."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import duckdb  # noqa: F401 - a test dependency: where it is missing this module fails, never skips
import pytest

from checker.pipeline import run_check
from checker.sample import SampleSpec, generate, write

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("duckdb_reference", HERE.parent / "benchmarks" / "duckdb_reference.py")
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("duckdb") / "csv"
    write(generate(SampleSpec(200, dt.date(2024, 1, 1), dt.date(2024, 12, 31), seed=5)), folder)
    return folder


def liftcheck_breaches(folder: Path, start: dt.date, end: dt.date) -> set:
    report = run_check(folder, start, end, only=list(reference.RULES)).report
    return {(v["rule_id"], v["subject"], v["period_key"]) for v in report["violations"]}


@pytest.mark.parametrize("start, end", [
    (dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
    # months cut by the period, anchors before `from`, intervals open at `to`
    (dt.date(2024, 3, 10), dt.date(2024, 5, 20)),
])
def test_the_sql_reference_finds_the_same_breaches_as_liftcheck(sample, start, end):
    ours = liftcheck_breaches(sample, start, end)
    sql = reference.breaches(sample, start, end)
    counts = {rule: sum(1 for b in sql if b[0] == rule) for rule in reference.RULES}
    assert counts["DAILY-CHECK"] > 50 and counts["MAINT-INTERVAL"] > 20 and counts["MAINT-INTERVAL-DENSE"] > 0
    assert sql == ours


def test_the_reference_reads_stops_commissioning_and_the_dense_boundary_like_liftcheck(tmp_path):
    from conftest import daily, days, elevator, visits, write_submission, ORGANIZATIONS

    folder = write_submission(tmp_path / "s", {
        "organizations": ORGANIZATIONS,
        "elevators": [
            # commissioned mid-period; its first month starts on the commissioning day
            elevator("E1", commissioned_on="2024-02-10"),
            # turns 15 on 2024-02-05: dense from then (71 households, affordable)
            elevator("E2", commissioned_on="2009-02-05", affordable_housing="true", households_served="71"),
            # stopped without a stop record: judged by neither
            elevator("E3", status="stopped"),
            elevator("E4", commissioned_on="2000-01-01"),
            # commissioned after `to`, last visited before `from`: an interval to `to` all the same
            elevator("E5", commissioned_on="2024-04-02"),
        ],
        "stop_periods": [{"elevator_id": "E4", "start": "2024-01-20", "end": "2024-02-03", "reason": "works"},
                         {"elevator_id": "E4", "start": "2024-01-25", "end": "2024-01-28", "reason": "other"}],
        "daily_checks": daily("E1", days("2024-02-10", "2024-03-31")) + daily("E2", days("2024-01-01", "2024-03-30"))
        + daily("E4", days("2024-01-01", "2024-01-19") + days("2024-02-04", "2024-03-31")),
        "maintenance": visits("E1", ["2024-02-20", "2024-03-10"]) + visits("E2", ["2023-12-28", "2024-01-12", "2024-02-04",
                                                                                  "2024-02-05", "2024-02-16", "2024-03-01"])
        + visits("E4", ["2024-01-10", "2024-02-08", "2024-02-20", "2024-03-20"]) + visits("E3", ["2024-01-02"])
        + visits("E5", ["2023-12-20"]),
    })
    start, end = dt.date(2024, 1, 1), dt.date(2024, 3, 31)
    sql = reference.breaches(folder, start, end)
    assert sql == liftcheck_breaches(folder, start, end)
    assert ("DAILY-CHECK", "E2", "2024-03") in sql and not any(b[1] == "E3" for b in sql)
    assert [b for b in sql if b[1] == "E5"] == [("MAINT-INTERVAL", "E5", "2023-12-20")]
    # 02-04 -> 02-05 opens the day before it turns 15; 02-05 -> 02-16 on a dense day: 11 days > 10
    assert ("MAINT-INTERVAL-DENSE", "E2", "2024-02-05") in sql
    assert not any(b[1] == "E2" and b[2] == "2024-02-04" for b in sql)
    # 2024-01-10 -> 02-08 is 29 days less 14 stopped: 15, within the general limit
    assert not any(b[1] == "E4" and b[2] == "2024-01-10" for b in sql)
