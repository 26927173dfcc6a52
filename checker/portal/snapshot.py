"""What the pages show, computed by the pipeline over the stored records, cached per data version.

A snapshot is one run of `checker.pipeline.run_check` over the records read back from the
database (written out as CSV and read by the CLI's own loader and validator, so stored
records are judged exactly as a file would be), plus the tables the pages need: public
facts per elevator (from `FactBase` and `metrics.old_list`), violations, pending
obligations and credit as frames. The city snapshot is computed once per data version;
a firm's own view after its upload is computed on its own use units only (the pipeline
gives the same verdicts per use-unit partition, tests/test_partition.py), so a firm sees
its obligations update at once while the city snapshot is recomputed in the background.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import polars as pl
import sqlalchemy as sa

from checker.errors import LiftcheckError
from checker.facts import FactBase
from checker.metrics import old_list
from checker.params import ParameterSet
from checker.pipeline import run_check
from checker.portal.db import RECORD_TABLES
from checker.portal.store import Store
from checker.validate import Submission

log = logging.getLogger("liftcheck.portal")

# The record types the old-elevator list is derived from (FactBase.elevators and metrics.old_list).
LIST_TABLES = ("organizations", "elevators", "screenings", "assessments", "hazards")


@dataclass
class Snapshot:
    version: int
    scope: str                      # "city", or "use_unit:ORG" / "maintenance_unit:ORG" (a partition)
    start: dt.date
    end: dt.date
    report: dict
    elevators: pl.DataFrame         # one row per elevator: public facts + the ids scoping needs
    hazards: pl.DataFrame           # hazards open on `end` or rectified in the period (public columns)
    old: pl.DataFrame               # metrics.old_list as of `end`
    violations: pl.DataFrame
    pending: pl.DataFrame
    organizations: pl.DataFrame
    computed_in: float
    computed_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    index: dict[str, int] = field(default_factory=dict)        # elevator_id -> row of `elevators`
    by_rescue_code: dict[str, str] = field(default_factory=dict)
    # what the old-elevator list of another day needs (small tables only) and its parameters
    overdue_hazards: frozenset = frozenset()   # hazard ids the pipeline found overdue (HAZARD-OVERDUE)
    hazards_of: dict = field(default_factory=dict)     # elevator_id -> its hazard rows (few per elevator)
    public: dict = field(default_factory=dict)         # elevator_id -> PublicElevator, made on first lookup
    list_submission: Submission | None = None
    params: ParameterSet | None = None
    _old_lists: dict = field(default_factory=dict)

    def old_list_on(self, day: dt.date) -> pl.DataFrame:
        """metrics.old_list as of `day` (a quarter's last day), computed once per day."""
        if day == self.end:
            return self.old
        if day not in self._old_lists:
            self._old_lists[day] = old_list(FactBase(self.list_submission, self.params, day, day), day)
        return self._old_lists[day]

    def elevator(self, elevator_id: str) -> dict | None:
        i = self.index.get(elevator_id)
        return None if i is None else self.elevators.row(i, named=True)

    def org_name(self, org_id: str | None) -> str | None:
        if org_id is None:
            return None
        hit = self.organizations.filter(pl.col("org_id") == org_id)
        return hit.item(0, "name") if hit.height else None


def portal_period(store: Store, today: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar year of the newest activity record (not after today), up to today.

    A live platform is judged from 1 January to today; a sample of 2024 is judged over 2024,
    not over the years after it in which it has no records."""
    latest = store.data_year_end(today) or today
    return dt.date(latest.year, 1, 1), min(today, dt.date(latest.year, 12, 31))


def _partition_where(store: Store, units: sa.Select) -> dict:
    """SQL conditions selecting the records of the use units `units` (one column of ids)."""
    t = RECORD_TABLES
    ids = sa.select(t["elevators"].c.elevator_id).where(t["elevators"].c.use_unit_id.in_(units))
    named = sa.select(t["fund_applications"].c.assessment_id).where(t["fund_applications"].c.elevator_id.in_(ids))
    where = {}
    for name, table in t.items():
        if name == "organizations":
            continue
        if name == "elevators":
            where[name] = table.c.use_unit_id.in_(units)
        elif name == "assessments":
            where[name] = table.c.elevator_id.in_(ids) | table.c.assessment_id.in_(named)
        elif "elevator_id" in table.c:
            where[name] = table.c.elevator_id.in_(ids)
        elif "use_unit_id" in table.c:
            where[name] = table.c.use_unit_id.in_(units)
    return where


def units_of(role: str, org_id: str) -> sa.Select:
    """The use units whose partition holds everything an organisation may see."""
    e = RECORD_TABLES["elevators"]
    if role == "maintenance_unit":
        return sa.select(e.c.use_unit_id).where(e.c.maintenance_unit_id == org_id).distinct()
    return sa.select(sa.literal(org_id))


def compute(store: Store, today: dt.date, scope: str = "city", where: dict | None = None,
            period: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    t0 = time.perf_counter()
    version = store.data_version(max_age=0)
    start, end = period or portal_period(store, today)
    present = {name for name, table in RECORD_TABLES.items()
               if store.scalar(sa.select(sa.literal(1)).select_from(table).limit(1))}
    text = store.read_text(where)
    elevators = text["elevators"].height
    t_read = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="liftcheck-portal-") as tmp:
        folder = Path(tmp)
        for name, df in text.items():
            if name in present:  # a type never submitted stays absent: its rules are "not evaluated"
                df.write_csv(folder / f"{name}.csv")
        del text
        t_csv = time.perf_counter()
        run = run_check(folder, start, end, skip_invalid=True,
                        partitions=2 if elevators > 5000 else 1)
    t_check = time.perf_counter()
    snap = _tables(run, version, scope, start, end, time.perf_counter() - t0)
    log.info("snapshot", extra={"scope": scope, "data_version": version, "elevators": elevators,
                                "seconds": round(snap.computed_in, 3), "read_s": round(t_read - t0, 1),
                                "csv_s": round(t_csv - t_read, 1), "check_s": round(t_check - t_csv, 1)})
    return snap


def _tables(run, version: int, scope: str, start: dt.date, end: dt.date, seconds: float) -> Snapshot:
    sub, facts, report = run.submission, run.evaluation.facts, run.report
    e = facts.elevators
    # old and dense on the period's last day, by rules/definitions.yaml (as metrics.old_list does)
    e_facts = e.with_columns(facts.define("old(period_to)", e.columns).alias("old"),
                             facts.define("dense(period_to)", e.columns).alias("dense")).select(
        "elevator_id", "age_years", "old", "dense", "latest_screening_on", "latest_risk_level")
    inspections = sub.table("inspections").filter(pl.col("date") <= end).sort("date")
    cycle = run.params["inspection.cycle_months"].expr(pl.col("date"))
    latest_inspection = inspections.group_by("elevator_id").agg(
        pl.col("date").last().alias("latest_inspection_on"),
        pl.col("conclusion").last().alias("latest_inspection_conclusion"),
        pl.coalesce(pl.col("next_due"), pl.col("date").dt.offset_by(pl.format("{}mo", cycle)) - pl.duration(days=1))
        .last().alias("inspection_valid_until"))
    maintenance = sub.table("maintenance").filter(
        (pl.col("date") <= end) & pl.col("on_site") & (pl.col("kind") != "repair"))
    last_visit = maintenance.group_by("elevator_id").agg(pl.col("date").max().alias("last_maintenance_on"))
    assessments = sub.table("assessments").filter(pl.col("applied_on") <= end).sort("applied_on")
    latest_assessment = assessments.group_by("elevator_id").agg(
        pl.col("assessment_id").last().alias("latest_assessment_id"),
        pl.col("applied_on").last().alias("assessment_applied_on"),
        pl.col("completed_on").last().alias("assessment_completed_on"),
        pl.col("conclusion").last().alias("assessment_conclusion"))
    hazards = sub.table("hazards").filter(
        (pl.col("found_on") <= end) & (pl.col("rectified_on").is_null() | (pl.col("rectified_on") >= start)))
    hazards = hazards.with_columns(
        pl.when(pl.col("rectified_on").is_not_null() & (pl.col("rectified_on") <= end)).then(pl.lit("rectified"))
        .when(pl.col("deadline").is_not_null() & (pl.col("deadline") < end)).then(pl.lit("overdue"))
        .otherwise(pl.lit("in_progress")).alias("progress"),
    ).select("hazard_id", "elevator_id", "found_on", "source", "severity", "deadline", "rectified_on", "listed_on",
             "progress").sort("elevator_id", "found_on")
    open_counts = hazards.filter(pl.col("progress") != "rectified").group_by("elevator_id").agg(
        pl.len().alias("open_hazards"))
    elevators = (sub.table("elevators")
                 .select("elevator_id", "rescue_code", "district", "subdistrict", "community", "commissioned_on",
                         "residential", "status", "use_unit_id", "maintenance_unit_id", "affordable_housing")
                 .join(e_facts, on="elevator_id", how="left")
                 .join(latest_inspection, on="elevator_id", how="left")
                 .join(last_visit, on="elevator_id", how="left")
                 .join(latest_assessment, on="elevator_id", how="left")
                 .join(open_counts, on="elevator_id", how="left")
                 .with_columns(pl.col("open_hazards").fill_null(0))
                 .sort("district", "community", "elevator_id"))
    violations = _frame(report["violations"])
    pending = _frame(report["pending"])
    snap = Snapshot(version=version, scope=scope, start=start, end=end, report=report, elevators=elevators,
                    hazards=hazards, old=old_list(facts, end), violations=violations, pending=pending,
                    organizations=sub.table("organizations").select("org_id", "name", "kind"),
                    computed_in=seconds, params=run.params,
                    list_submission=Submission(
                        tables={n: sub.table(n) for n in LIST_TABLES}, present_types=set(sub.present_types),
                        problems=sub.problems.clear()))
    if violations.height:
        snap.overdue_hazards = frozenset(
            violations.filter(pl.col("rule_id") == "HAZARD-OVERDUE").get_column("subject").to_list())
    for row in hazards.iter_rows(named=True):   # thousands a year: one small list per elevator
        snap.hazards_of.setdefault(row["elevator_id"], []).append(row)
    ids = elevators.get_column("elevator_id").to_list()
    snap.index = {eid: i for i, eid in enumerate(ids)}
    codes = elevators.select("rescue_code", "elevator_id").drop_nulls()
    # a rescue code should name one elevator; a repeated one is not a lookup key
    unique_codes = codes.filter(pl.col("rescue_code").is_unique())
    snap.by_rescue_code = dict(zip(unique_codes.get_column("rescue_code").to_list(),
                                   unique_codes.get_column("elevator_id").to_list()))
    return snap


# Report items travel as frames; a nested value (evidence, and whatever nested keys the report
# gains) is kept as JSON text behind this mark, and turned back by views.records_of.
NESTED_MARK = "\x00json:"


def _frame(items: list[dict]) -> pl.DataFrame:
    """Report items as a frame. Keys the report gains later come along as further columns."""
    if not items:
        return pl.DataFrame(schema={c: pl.String for c in (
            "rule_id", "title", "clause", "severity", "responsible_role", "responsible_org_id", "elevator_id",
            "use_unit_id", "district", "subject", "period_key", "message_zh", "evidence", "due_on", "arises_on")})
    rows = [{k: (NESTED_MARK + json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (dict, list)) else v)
             for k, v in item.items()} for item in items]
    return pl.DataFrame(rows, infer_schema_length=None)


class Snapshots:
    """The city snapshot per data version, and partition snapshots for firms while it is stale.

    A data change is shown at once where it is cheap: when the last city computation took
    less than `sync_seconds`, the next request recomputes it; otherwise the stale city
    snapshot is served (pages say so) while a background thread computes the new one.
    """

    def __init__(self, store: Store, today: Callable[[], dt.date] = dt.date.today, sync_seconds: float = 5.0,
                 partitions_kept: int = 32):
        self.store = store
        self.today = today
        self.sync_seconds = sync_seconds
        self._city: Snapshot | None = None
        self._city_lock = threading.Lock()
        self._part_lock = threading.Lock()
        self._parts: OrderedDict[tuple, Snapshot] = OrderedDict()
        self._kept = partitions_kept
        self._background: threading.Thread | None = None
        self._period: tuple[int, tuple[dt.date, dt.date]] | None = None
        self.last_error: str | None = None

    def period(self) -> tuple[dt.date, dt.date]:
        """The judged period, found once per data version (it scans the dated records)."""
        version = self.store.data_version()
        if self._period is None or self._period[0] != version:
            self._period = (version, portal_period(self.store, self.today()))
        return self._period[1]

    def _refresh_city(self) -> Snapshot:
        with self._city_lock:
            version = self.store.data_version(max_age=0)
            if self._city is None or self._city.version != version:
                self._city = compute(self.store, self.today(), period=self.period())
            return self._city

    def _background_refresh(self) -> None:
        try:
            self._refresh_city()
            self.last_error = None
        except Exception as exc:  # noqa: BLE001 - logged, and the stale snapshot keeps serving
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("snapshot_failed")

    def city(self) -> Snapshot:
        snap = self._city
        version = self.store.data_version()
        if snap is not None and snap.version == version:
            return snap
        if snap is None or snap.computed_in <= self.sync_seconds:
            return self._refresh_city()
        if self._background is None or not self._background.is_alive():
            self._background = threading.Thread(target=self._background_refresh, name="liftcheck-snapshot",
                                                daemon=True)
            self._background.start()
        return snap

    def ready(self) -> Snapshot | None:
        """The city snapshot when it can be served without computing now (current, or stale
        while the background recomputes it); None when the caller must compute it (city())."""
        snap = self._city
        if snap is None:
            return None
        if snap.version == self.store.data_version():
            return snap
        return None if snap.computed_in <= self.sync_seconds else self.city()

    @property
    def latest(self) -> Snapshot | None:
        """The newest city snapshot computed, if any (for /healthz), without computing one."""
        return self._city

    def is_current(self, snap: Snapshot) -> bool:
        return snap.version == self.store.data_version()

    def for_org(self, role: str, org_id: str) -> Snapshot:
        """An organisation's snapshot: the city's when it is current, else its own partition's."""
        city = self.city()
        version = self.store.data_version()
        if city.version == version:
            return city
        key = (role, org_id, version)
        with self._part_lock:
            snap = self._parts.get(key)
            if snap is None:
                try:
                    snap = compute(self.store, self.today(), scope=f"{role}:{org_id}",
                                   where=_partition_where(self.store, units_of(role, org_id)), period=self.period())
                except LiftcheckError:   # e.g. a firm with no elevator yet: nothing of its own to judge
                    return city
                self._parts[key] = snap
                while len(self._parts) > self._kept:
                    self._parts.popitem(last=False)
            self._parts.move_to_end(key)
            return snap
