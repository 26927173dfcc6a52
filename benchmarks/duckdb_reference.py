"""A second, independent reading of three rules, in hand-written DuckDB SQL over the CSV files.

    python benchmarks/duckdb_reference.py DATA --from 2024-01-01 --to 2024-12-31 [-o verdicts.json]
                                          [--compare report.json]

DAILY-CHECK, MAINT-INTERVAL and MAINT-INTERVAL-DENSE, written straight from
/work/shared/spec/rules.md (Revision 2), sharing no code with liftcheck: the yardstick the
city-year benchmark measures liftcheck against ("≤ 2× a DuckDB two-rule reference"), and a
check that both read the spec alike. It prints (or writes) the breaches as
[rule, subject, period_key] triples; with --compare it compares them with a liftcheck JSON
report of the same submission and period and exits 1 when the two sets differ.

It reads canonical CSV as `liftcheck sample` writes it (English headers, ISO dates,
true/false) and assumes the submission is valid (run `liftcheck validate` first); the
parameters are the defaults of rules/params.yaml, written below as constants.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import duckdb

# rules/params.yaml defaults (Revision 2)
OLD_MIN_AGE_YEARS = 15            # old.min_age_years, old.boundary inclusive: commissioned_on + 15 y <= day
DENSE_MIN_HOUSEHOLDS = 70         # dense.min_households: households_served > 70
MAX_MISSING_PER_MONTH = 0         # daily_check.max_missing_days_per_month
MAX_INTERVAL_DAYS = 15            # maintenance.max_interval_days
DENSE_MAX_INTERVAL_DAYS = 10      # maintenance.dense_max_interval_days

TRUE = "('true', '1', '是', 'y', 'yes', 't')"

SQL = """
-- In scope: residential (default true) and not scrapped. An elevator whose status is stopped
-- without an open stop record is not judged by these (day-by-day) rules at all.
CREATE TEMP TABLE elevator AS
SELECT elevator_id,
       CAST(commissioned_on AS DATE) AS commissioned_on,
       coalesce(lower(trim(affordable_housing)) IN {true}, false) AS affordable,
       TRY_CAST(nullif(trim(households_served), '') AS INTEGER) AS households
FROM {elevators} e
WHERE coalesce(lower(trim(residential)) IN {true}, true)
  AND coalesce(nullif(trim(status), ''), 'in_service') <> 'scrapped'
  AND NOT (coalesce(trim(status), '') = 'stopped'
           AND NOT EXISTS (SELECT 1 FROM {stop_periods} s
                           WHERE s.elevator_id = e.elevator_id AND nullif(trim(s."end"), '') IS NULL));

-- Stopped day d: start <= d < end (end is the first day back in service), or start <= d when end is empty.
CREATE TEMP TABLE stop AS
SELECT elevator_id, CAST(start AS DATE) AS start, CAST(nullif(trim("end"), '') AS DATE) AS stop_end
FROM {stop_periods};

-- DAILY-CHECK: every calendar month meeting P, from its first day up to the earlier of its last
-- day and `to`; each in-service day (>= commissioned_on, not stopped) on or after the history
-- start of the daily checks needs a daily check. History start (rules R3-7, R3-A 1; the sample
-- declares none): the earliest daily check of the submission, else each elevator's commissioning.
CREATE TEMP TABLE daily_check_breach AS
WITH daily_history AS (SELECT CAST(min(date) AS DATE) AS history_start FROM {daily_checks}),
day AS (
    SELECT e.elevator_id, CAST(d AS DATE) AS d
    FROM elevator e,
         generate_series(greatest(date_trunc('month', {start})::DATE, e.commissioned_on,
                                  coalesce((SELECT history_start FROM daily_history), e.commissioned_on)),
                         {end}, INTERVAL 1 DAY) AS g(d)
),
stopped AS (
    SELECT DISTINCT elevator_id, CAST(d AS DATE) AS d
    FROM stop, generate_series(start, coalesce(stop_end - 1, {end}), INTERVAL 1 DAY) AS g(d)
),
in_service AS (
    SELECT * FROM day ANTI JOIN stopped USING (elevator_id, d)
),
checked AS (                           -- an anti join: a day checked twice needs no DISTINCT
    SELECT elevator_id, CAST(date AS DATE) AS d
    FROM {daily_checks}
)
SELECT 'DAILY-CHECK' AS rule_id, i.elevator_id AS subject, strftime(i.d, '%Y-%m') AS period_key
FROM in_service i ANTI JOIN checked c ON c.elevator_id = i.elevator_id AND c.d = i.d
GROUP BY ALL
HAVING count(*) > {max_missing_per_month};

-- MAINT-INTERVAL(-DENSE). Visits: maintenance records on site whose kind is not repair, one per
-- date. History start (R3-7, R3-A 1): the earliest maintenance record of the submission, else each
-- elevator's commissioning day; a step ending before it is not judged, one crossing it from it.
CREATE TEMP TABLE maintenance AS
SELECT elevator_id, CAST(date AS DATE) AS date, kind, coalesce(lower(trim(on_site)) IN {true}, true) AS on_site
FROM {maintenance};

CREATE TEMP TABLE maint_breach AS
WITH walked AS (                       -- every in-scope elevator, even one commissioned after `to`
    SELECT * FROM elevator
),
visit AS (
    SELECT DISTINCT m.elevator_id, m.date FROM maintenance m SEMI JOIN walked w ON w.elevator_id = m.elevator_id
    WHERE m.on_site AND m.kind <> 'repair'
),
history AS (SELECT min(date) AS history_start FROM maintenance),
walked_h AS (SELECT w.elevator_id, coalesce((SELECT history_start FROM history), w.commissioned_on) AS h FROM walked w),
-- the walk: anchor -> visits inside P -> `to`; the anchor is the last visit before `from`, or
-- else the later of commissioned_on and the history start
point AS (
    SELECT w.elevator_id, 0 AS leg,
           coalesce((SELECT max(v.date) FROM visit v WHERE v.elevator_id = w.elevator_id AND v.date < {start}),
                    greatest(w.commissioned_on, wh.h)) AS p
    FROM walked w JOIN walked_h wh USING (elevator_id)
    UNION ALL SELECT elevator_id, 1, date FROM visit WHERE date BETWEEN {start} AND {end}
    UNION ALL SELECT elevator_id, 2, {end} FROM walked
),
step AS (
    SELECT row_number() OVER () AS step_id, elevator_id, greatest(a, h) AS a, b
    FROM (SELECT elevator_id, lag(p) OVER (PARTITION BY elevator_id ORDER BY leg, p) AS a, p AS b FROM point)
         JOIN walked_h USING (elevator_id)
    WHERE a IS NOT NULL AND b >= h
),
-- stopped days strictly between a and b (several stop records may cover one day: counted once)
stopped_between AS (
    SELECT s.step_id, count(DISTINCT CAST(g.d AS DATE)) AS n
    FROM step s JOIN stop t ON t.elevator_id = s.elevator_id,
         generate_series(greatest(s.a + 1, t.start), least(s.b - 1, coalesce(t.stop_end - 1, s.b - 1)),
                         INTERVAL 1 DAY) AS g(d)
    GROUP BY s.step_id
),
interval_ AS (
    SELECT s.elevator_id, s.a, s.b, (s.b - s.a) - coalesce(sb.n, 0) AS interval_days
    FROM step s LEFT JOIN stopped_between sb USING (step_id)
),
judged AS (                            -- dense on the interval's opening day a
    SELECT i.*, (CAST(e.commissioned_on + INTERVAL {old_min_age_years} YEAR AS DATE) <= i.a
                 AND e.affordable AND e.households IS NOT NULL AND e.households > {dense_min_households}) AS dense
    FROM interval_ i JOIN elevator e USING (elevator_id)
)
SELECT CASE WHEN dense THEN 'MAINT-INTERVAL-DENSE' ELSE 'MAINT-INTERVAL' END AS rule_id,
       elevator_id AS subject, strftime(a, '%Y-%m-%d') AS period_key
FROM judged
WHERE interval_days > CASE WHEN dense THEN {dense_max_interval_days} ELSE {max_interval_days} END;
"""

RULES = ("DAILY-CHECK", "MAINT-INTERVAL", "MAINT-INTERVAL-DENSE")


def breaches(folder: Path, start: dt.date, end: dt.date) -> set[tuple[str, str, str]]:
    con = duckdb.connect()
    def csv(name: str, columns: list[str]) -> str:
        """The file's rows, every column as text; a type without a file has no rows."""
        path = folder / f"{name}.csv"
        if not path.exists() or path.stat().st_size == 0:
            return "(SELECT " + ", ".join(f'NULL::VARCHAR AS "{c}"' for c in columns) + " WHERE false)"
        with open(path, encoding="utf-8-sig") as fh:
            header = fh.readline().strip().split(",")
        absent = "".join(f', NULL::VARCHAR AS "{c}"' for c in columns if c not in header)  # optional fields
        quoted = str(path).replace("'", "''")
        return f"(SELECT *{absent} FROM read_csv('{quoted}', header = true, all_varchar = true))"

    sql = SQL.format(start=f"DATE '{start}'", end=f"DATE '{end}'", true=TRUE, old_min_age_years=OLD_MIN_AGE_YEARS,
                     dense_min_households=DENSE_MIN_HOUSEHOLDS, max_missing_per_month=MAX_MISSING_PER_MONTH,
                     max_interval_days=MAX_INTERVAL_DAYS, dense_max_interval_days=DENSE_MAX_INTERVAL_DAYS,
                     elevators=csv("elevators", ["elevator_id", "commissioned_on", "affordable_housing", "households_served",
                                                   "residential", "status"]),
                     stop_periods=csv("stop_periods", ["elevator_id", "start", "end"]),
                     daily_checks=csv("daily_checks", ["elevator_id", "date"]),
                     maintenance=csv("maintenance", ["elevator_id", "date", "kind", "on_site"]))
    con.execute(sql)
    rows = con.execute("SELECT * FROM daily_check_breach UNION ALL SELECT * FROM maint_breach").fetchall()
    return set(rows)


def liftcheck_breaches(report: Path) -> set[tuple[str, str, str]]:
    data = json.loads(report.read_text(encoding="utf-8"))
    return {(v["rule_id"], v["subject"], v["period_key"]) for v in data["violations"] if v["rule_id"] in RULES}


def compare(ours: set, theirs: set) -> dict:
    """Per rule: how many breaches each side found, and the first few found by one side only."""
    out = {}
    for rule in RULES:
        a = {x for x in ours if x[0] == rule}
        b = {x for x in theirs if x[0] == rule}
        out[rule] = {"duckdb": len(a), "liftcheck": len(b), "only_duckdb": sorted(a - b)[:5],
                     "only_liftcheck": sorted(b - a)[:5]}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--from", dest="start", type=dt.date.fromisoformat, required=True)
    ap.add_argument("--to", dest="end", type=dt.date.fromisoformat, required=True)
    ap.add_argument("-o", "--output", type=Path, help="write the breaches here as JSON")
    ap.add_argument("--compare", type=Path, help="a liftcheck JSON report of the same data and period")
    args = ap.parse_args()
    t0 = time.perf_counter()
    found = breaches(args.data, args.start, args.end)
    seconds = time.perf_counter() - t0
    counts = {rule: sum(1 for x in found if x[0] == rule) for rule in RULES}
    if args.output:
        args.output.write_text(json.dumps(sorted(found), ensure_ascii=False), encoding="utf-8")
    print(json.dumps({"seconds": round(seconds, 2), "breaches": counts}))
    if args.compare:
        result = compare(found, liftcheck_breaches(args.compare))
        agree = all(not r["only_duckdb"] and not r["only_liftcheck"] for r in result.values())
        print(json.dumps({"agree": agree, "rules": result}, ensure_ascii=False))
        return 0 if agree else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
