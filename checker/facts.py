"""Fact tables derived from typed records: the shared, rule-free machinery.

A rule never walks a timeline or joins records itself: it names one of these tables and
states its condition over the columns. Every table has `judged_on` (the date a parameter
is taken as of) and, where the subject belongs to an elevator, the elevator's own columns
(ELEVATOR_INFO), so that a rule can say old(a) or dense(a) (rules/definitions.yaml).

Days are never enumerated for the whole population: stopped days are merged spans,
in-service days are counted by subtracting spans from intervals, and a day grid is built
only where a rule needs the days themselves as evidence (the missing daily checks of a
month that has some). Definitions follow rules.md "Common definitions" (Revision 2).
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import polars as pl

from checker.contract import record_types
from checker.expressions import Compiler, load_definitions, period_constants
from checker.params import ParameterSet
from checker.validate import Submission

FAR_FUTURE = dt.date(2999, 12, 31)
ONE_DAY = pl.duration(days=1)
# What every fact table about an elevator carries: who is responsible for it, where it is,
# and what the definitions old(day) and dense(day) read.
ELEVATOR_INFO = ["elevator_id", "use_unit_id", "use_unit_name", "maintenance_unit_id", "maintenance_unit_name",
                 "district", "subdistrict", "commissioned_on", "affordable_housing", "households_served"]


def _labels(record_type: str, field: str) -> list[pl.Expr]:
    """`<field>_zh` (as _label) and `<field>_en`: the code in words (major_repair → major repair)."""
    return [_label(record_type, field), pl.col(field).str.replace_all("_", " ").alias(field + "_en")]


def _label(record_type: str, field: str) -> pl.Expr:
    """`<field>_zh`: the contract's Chinese name of an enum code, for Chinese messages."""
    labels = record_types()[record_type].field(field).enum_labels
    return pl.col(field).replace_strict(labels, default=None, return_dtype=pl.String).alias(field + "_zh")


def _latest_on_or_before(df: pl.DataFrame, key: str, date_col: str, end: dt.date, name: str) -> pl.DataFrame:
    return df.filter(pl.col(date_col) <= end).group_by(key).agg(pl.col(date_col).max().alias(name))


def _first_on_or_after(events: pl.DataFrame, on: str, dates: pl.DataFrame, date_col: str, name: str,
                       strictly: bool = False) -> pl.DataFrame:
    """Each event with `name`: the earliest `date_col` of the same elevator on or after it
    (strictly after when `strictly`), or empty: the fulfilment of a deadline obligation."""
    right = dates.select("elevator_id", pl.col(date_col).alias(name)).unique().sort(name)
    # both sides are sorted by the date globally, which polars cannot verify once `by` is given
    return events.sort(on).join_asof(right, left_on=on, right_on=name, by="elevator_id", strategy="forward",
                                     allow_exact_matches=not strictly, check_sortedness=False)


def _minutes_seconds(seconds: str, name: str) -> list[pl.Expr]:
    """`name`_zh "31 分 00 秒" and `name`_en "31:00" of a number of seconds."""
    s = pl.col(seconds)
    minutes, rest = (s // 60).cast(pl.Int64), (s % 60).cast(pl.Int64).cast(pl.String).str.zfill(2)
    return [pl.format("{} 分 {} 秒", minutes, rest).alias(name + "_zh"), pl.format("{}:{}", minutes, rest).alias(name + "_en")]


def _days(lo: str | pl.Expr, hi: str | pl.Expr) -> pl.Expr:
    """Days from lo through hi, both included (0 when hi < lo)."""
    lo = pl.col(lo) if isinstance(lo, str) else lo
    hi = pl.col(hi) if isinstance(hi, str) else hi
    return ((hi - lo).dt.total_days() + 1).clip(lower_bound=0)


class FactBase:
    """Derives each fact table once, on first use, for one submission and one period."""

    def __init__(self, sub: Submission, params: ParameterSet, start: dt.date, end: dt.date):
        self.sub = sub
        self.params = params
        self.start = start
        self.end = end
        self.definitions = load_definitions()

    def population(self, name: str) -> int | None:
        """How many cases a rule over fact table `name` judges, where the table lists only the
        findings: inspection_gaps holds the lapses, but INSPECTION-VALID judges every elevator
        in service on some day up to `to` (the day-by-day ones). None: the table's rows are the cases."""
        if name == "inspection_gaps":
            return (self.info.filter(pl.col("commissioned_on") <= self.end)
                    .filter(pl.col("elevator_id").is_in(self.day_by_day_ids.implode())).height)
        return None

    def get(self, name: str) -> pl.DataFrame:
        if name not in FACT_TABLES:
            raise KeyError(name)
        return getattr(self, name)

    def define(self, text: str, columns) -> pl.Expr:
        """A definition of rules/definitions.yaml (or an expression using them) over `columns`."""
        return Compiler(self.params, set(columns), period_constants(self.start, self.end), "rules/definitions.yaml",
                        definitions=self.definitions).compile(text)

    # ---- elevators and their scope ------------------------------------------------------

    @cached_property
    def organizations(self) -> pl.DataFrame:
        return self.sub.table("organizations").select("org_id", "name", "kind", "maintenance_star")

    def _org(self, role: str) -> pl.DataFrame:
        return self.organizations.select(pl.col("org_id").alias(f"{role}_id"), pl.col("name").alias(f"{role}_name"))

    @cached_property
    def elevators(self) -> pl.DataFrame:
        """Every in-scope elevator (definition in_scope) with its units' names, its age on `to`,
        whether it is judged day by day, and its latest screening and assessment."""
        end = self.end
        e = self.sub.table("elevators")
        e = e.filter(self.define("in_scope", e.columns))
        stops = self.sub.table("stop_periods")
        open_ids = stops.filter(pl.col("end").is_null()).get_column("elevator_id").unique()
        e = e.with_columns(pl.col("elevator_id").is_in(open_ids.implode()).alias("has_open_stop"))
        e = e.with_columns(self.define("stopped_status_without_record", e.columns).alias("unjudged"))
        c = pl.col("commissioned_on")
        whole = pl.lit(end.year) - c.dt.year()
        maintainer = self.organizations.select(pl.col("org_id").alias("maintenance_unit_id"),
                                               pl.col("kind").alias("maintainer_kind"),
                                               pl.col("maintenance_star").alias("maintainer_star"))
        e = (e.with_columns((whole - (c.dt.offset_by(pl.format("{}y", whole)) > pl.lit(end)).cast(pl.Int32))
                            .alias("age_years"))
             .join(self._org("use_unit"), on="use_unit_id", how="left")
             .join(self._org("maintenance_unit"), on="maintenance_unit_id", how="left")
             .join(maintainer, on="maintenance_unit_id", how="left"))
        screenings = self.sub.table("screenings").filter(pl.col("date") <= end).sort("date")
        latest_screening = screenings.group_by("elevator_id").agg(
            pl.col("date").last().alias("latest_screening_on"), pl.col("risk_level").last().alias("latest_risk_level"))
        assessments = self.sub.table("assessments")
        completed = _latest_on_or_before(assessments, "elevator_id", "completed_on", end, "latest_assessment_completed_on")
        applied = _latest_on_or_before(assessments, "elevator_id", "applied_on", end, "latest_assessment_applied_on")
        return (e.drop("_file", "_row")
                .join(latest_screening, on="elevator_id", how="left")
                .join(completed, on="elevator_id", how="left")
                .join(applied, on="elevator_id", how="left")
                .with_columns(pl.lit(end).alias("judged_on"), pl.lit(str(end.year)).alias("period_year"),
                              pl.lit(dt.date(end.year, 1, 1)).alias("year_start")))

    @cached_property
    def info(self) -> pl.DataFrame:
        return self.elevators.select(ELEVATOR_INFO)

    def with_elevator(self, df: pl.DataFrame) -> pl.DataFrame:
        """Attach the subject elevator's columns; records of elevators out of scope drop out."""
        return df.join(self.info, on="elevator_id", how="inner")

    @cached_property
    def unjudged(self) -> pl.DataFrame:
        """Elevators the day-by-day rules cannot judge (definition stopped_status_without_record)."""
        return self.elevators.filter(pl.col("unjudged")).select("elevator_id", "use_unit_id", "use_unit_name", "district")

    @cached_property
    def day_by_day_ids(self) -> pl.Series:
        return self.elevators.filter(~pl.col("unjudged")).get_column("elevator_id")

    # ---- the history a submission holds (rules R3-7, R3-A 1) ------------------------------

    def history_start(self, record_type: str) -> pl.Expr:
        """The first day a record type is held, per row (it needs use_unit_id): the declared day
        (the earliest a ledger ever kept for the unit, when it keeps one: a later submission
        cannot move it forward), else the submission's earliest record of the type; empty when
        there is neither, and the history then starts at each elevator's commissioning day."""
        uniform = self.sub.history.get(record_type)
        kept = (self.sub.declared_by_unit or {}).get(record_type) or {}
        if not kept:
            return pl.lit(uniform, pl.Date)
        declared = self.sub.declared_from.get(record_type)
        by_unit = {u: min(d, declared) if declared else d for u, d in kept.items()}
        return pl.col("use_unit_id").replace_strict(by_unit, default=pl.lit(uniform, pl.Date), return_dtype=pl.Date)

    @cached_property
    def declared_gaps(self) -> pl.DataFrame:
        """Per elevator (per unit for the weekly and monthly duties) and declared record type, the
        days of the period before the declared start: not judged, listed (R3-A 1)."""
        rules = {"daily_checks": ["DAILY-CHECK"], "maintenance": ["MAINT-INTERVAL", "MAINT-INTERVAL-DENSE"],
                 "weekly_reviews": ["WEEKLY-REVIEW"], "monthly_dispatches": ["MONTHLY-DISPATCH"]}
        declared = set(self.sub.declared_from) | set(self.sub.declared_by_unit or {})
        judged = self.info.filter(pl.col("elevator_id").is_in(self.day_by_day_ids.implode()))
        parts = []
        for record_type in sorted(declared & set(rules)):
            starts = judged.with_columns(self.history_start(record_type).alias("_h"))
            span = starts.with_columns(
                pl.max_horizontal(pl.lit(self.start), "commissioned_on").alias("span_from"),
                pl.min_horizontal(pl.lit(self.end), pl.col("_h") - ONE_DAY).alias("span_to"),
            ).filter(pl.col("_h").is_not_null() & (pl.col("span_from") <= pl.col("span_to")))
            if record_type in ("weekly_reviews", "monthly_dispatches"):
                span = (span.group_by("use_unit_id").agg(pl.col("span_from").min(), pl.col("span_to").max())
                        .join(self._org("use_unit"), on="use_unit_id", how="left")
                        .with_columns(pl.lit(None, pl.String).alias("elevator_id"), pl.lit(None, pl.String).alias("district")))
            parts.append(span.select("elevator_id", "use_unit_id", "use_unit_name", "district", "span_from", "span_to",
                                     pl.lit(rules[record_type], dtype=pl.List(pl.String)).alias("rules")))
        if not parts:
            return pl.DataFrame(schema={"elevator_id": pl.String, "use_unit_id": pl.String, "use_unit_name": pl.String,
                                        "district": pl.String, "span_from": pl.Date, "span_to": pl.Date,
                                        "rules": pl.List(pl.String)})
        return pl.concat(parts, how="vertical_relaxed").sort("use_unit_id", "elevator_id", "span_from", nulls_last=True)

    # ---- stopped days and in-service days --------------------------------------------

    @cached_property
    def stop_spans(self) -> pl.DataFrame:
        """Stopped days (definition stopped_day) merged per elevator into disjoint, non-adjacent
        spans [start, last], both days stopped: a record's `end` is its first day back in service."""
        s = (self.sub.table("stop_periods")
             .select("elevator_id", "start", (pl.col("end") - ONE_DAY).fill_null(FAR_FUTURE).alias("last"))
             .filter(pl.col("start") <= pl.col("last")).sort("elevator_id", "start"))
        prev_last = pl.col("last").cast(pl.Int32).cum_max().shift(1).over("elevator_id")
        new_span = prev_last.is_null() | (pl.col("start").cast(pl.Int32) > prev_last + 1)
        return (s.with_columns(new_span.cast(pl.Int32).cum_sum().over("elevator_id").alias("_span"))
                .group_by("elevator_id", "_span")
                .agg(pl.col("start").min(), pl.col("last").max())
                .drop("_span").sort("elevator_id", "start"))

    def stopped_between(self, df: pl.DataFrame, lo: str, hi: str, out: str) -> pl.DataFrame:
        """Add `out`: the number of stopped days d with lo <= d <= hi."""
        keyed = df.with_row_index("_k")
        overlap = (keyed.select("_k", "elevator_id", lo, hi)
                   .join(self.stop_spans, on="elevator_id", how="inner")
                   .with_columns(_days(pl.max_horizontal("start", lo), pl.min_horizontal("last", hi)).alias("_n"))
                   .group_by("_k").agg(pl.col("_n").sum()))
        return (keyed.join(overlap, on="_k", how="left")
                .with_columns(pl.col("_n").fill_null(0).cast(pl.Int64).alias(out)).drop("_k", "_n"))

    def in_service_days_between(self, df: pl.DataFrame, lo: str, hi: str, out: str) -> pl.DataFrame:
        """Add `out`: in-service days (definition in_service_day) d with lo <= d <= hi; needs commissioned_on."""
        df = df.with_columns(pl.max_horizontal(lo, "commissioned_on").alias("_lo"))
        df = self.stopped_between(df, "_lo", hi, "_stopped")
        return df.with_columns((_days("_lo", hi) - pl.col("_stopped")).alias(out)).drop("_lo", "_stopped")

    def stopped_on(self, df: pl.DataFrame, day: str, out: str) -> pl.DataFrame:
        """Add `out`: whether `day` is a stopped day of the row's elevator."""
        spans = self.stop_spans.select("elevator_id", pl.col("start").alias("_s"), pl.col("last").alias("_l")).sort("_s")
        keyed = df.with_row_index("_k").sort(day)
        joined = keyed.join_asof(spans, left_on=day, right_on="_s", by="elevator_id", strategy="backward",
                                 check_sortedness=False)
        return (joined.with_columns((pl.col("_l") >= pl.col(day)).fill_null(False).alias(out))
                .sort("_k").drop("_k", "_s", "_l"))

    # ---- use management: 日管控、周排查、月调度, plans, drills ---------------------------------

    @cached_property
    def daily_check_months(self) -> pl.DataFrame:
        """Per elevator and calendar month meeting P: its in-service days from the month's first
        day up to the earlier of its last day and `to`, and those without a daily check."""
        first_month = self.start.replace(day=1)
        months = pl.DataFrame({"month_start": pl.date_range(first_month, self.end.replace(day=1), "1mo", eager=True)})
        # R3-7: a month is judged from the later of its first day and the history start of the
        # daily checks (days before it are never judged missing)
        grid = (self.info.join(months, how="cross")
                .with_columns(pl.col("month_start").dt.month_end().alias("month_end"))
                .with_columns(pl.max_horizontal("month_start", "commissioned_on",
                                                self.history_start("daily_checks")).alias("lo"),
                              pl.min_horizontal("month_end", pl.lit(self.end)).alias("hi"))
                .filter(pl.col("lo") <= pl.col("hi")))
        grid = self.stopped_between(grid, "lo", "hi", "_stopped")
        grid = grid.with_columns((_days("lo", "hi") - pl.col("_stopped")).alias("in_service_days"))
        # One pass over the checks (millions of rows): each elevator-month's distinct check days.
        # They all count where the month is whole and has no stopped day, as in most months;
        # the few others keep only their in-service days from lo to hi.
        checked = (self.sub.table("daily_checks").lazy()
                   .filter(pl.col("date").is_between(first_month, self.end))
                   .group_by("elevator_id", pl.col("date").dt.truncate("1mo").alias("month_start"))
                   .agg(pl.col("date").unique().alias("_checked"))
                   .collect())
        grid = grid.join(checked, on=["elevator_id", "month_start"], how="left")
        partial = (pl.col("lo") > pl.col("month_start")) | (pl.col("_stopped") > 0)
        exact = (grid.filter(partial & pl.col("_checked").is_not_null())
                 .select("elevator_id", "month_start", "lo", "hi", pl.col("_checked").alias("day")).explode("day")
                 .filter(pl.col("day").is_between(pl.col("lo"), pl.col("hi"))))
        exact = (self.stopped_on(exact, "day", "_day_stopped").filter(~pl.col("_day_stopped"))
                 .group_by("elevator_id", "month_start").agg(pl.col("day").alias("_exact")))
        grid = (grid.join(exact, on=["elevator_id", "month_start"], how="left")
                .with_columns(pl.when(partial).then(pl.col("_exact")).otherwise(pl.col("_checked")).alias("_checked"))
                .with_columns((pl.col("in_service_days") - pl.col("_checked").list.len().fill_null(0)).alias("missing_days")))
        # the missing dates themselves, only for the months that miss some: the days from lo to
        # hi without a check, less the stopped ones where the month has any
        no_dates = pl.lit([], dtype=pl.List(pl.Date))
        short = grid.filter(pl.col("missing_days") > 0).select(
            "elevator_id", "month_start", "_stopped",
            pl.date_ranges("lo", "hi").list.set_difference(pl.col("_checked").fill_null(no_dates)).alias("day"))
        stopped_months = short.filter(pl.col("_stopped") > 0).select("elevator_id", "month_start", "day").explode("day")
        stopped_months = (self.stopped_on(stopped_months, "day", "_day_stopped").filter(~pl.col("_day_stopped"))
                          .group_by("elevator_id", "month_start").agg(pl.col("day")))
        missing = pl.concat([short.filter(pl.col("_stopped") == 0).select("elevator_id", "month_start", "day"),
                             stopped_months], how="vertical")
        missing = missing.select("elevator_id", "month_start", pl.col("day").list.sort().alias("missing_dates"))
        grid = grid.drop("_stopped", "_checked", "_exact")
        return (grid.join(missing, on=["elevator_id", "month_start"], how="left")
                .with_columns(pl.col("missing_dates").fill_null(pl.lit([], dtype=pl.List(pl.Date))),
                              pl.col("month_start").dt.strftime("%Y-%m").alias("month"),
                              pl.col("month_end").alias("judged_on"))
                .drop("lo", "hi"))

    def _unit_spans(self, unit: str, records: str, count: str, key: str, key_format: str,
                    names: tuple[str, str]) -> pl.DataFrame:
        """Per use unit and week/month that closes inside P (its last day in P) in which one of
        its elevators judged day by day has an in-service day: the records of `records` dated in it,
        before `from` too (周排查 reports, 月调度 minutes)."""
        if unit == "week":
            first_sunday = self.start + dt.timedelta(days=6 - self.start.weekday())
            ends = pl.date_range(first_sunday, max(first_sunday, self.end), "1w", eager=True)
            spans = pl.DataFrame({"span_end": ends}).with_columns((pl.col("span_end") - pl.duration(days=6)).alias("span_start"))
        else:
            starts = pl.date_range(self.start.replace(day=1), self.end.replace(day=1), "1mo", eager=True)
            spans = pl.DataFrame({"span_start": starts}).with_columns(pl.col("span_start").dt.month_end().alias("span_end"))
        spans = spans.filter(pl.col("span_end").is_between(self.start, self.end))
        judged = self.info.filter(pl.col("elevator_id").is_in(self.day_by_day_ids.implode()))
        grid = judged.select("elevator_id", "use_unit_id", "commissioned_on").join(spans, how="cross")
        # R3-7: a week or month is judged from the later of its first day and the history start
        # of its records; a record dated anywhere in it (before `from` too) is evidence
        grid = grid.with_columns(pl.max_horizontal("span_start", self.history_start(records)).alias("_judged_from"))
        grid = self.in_service_days_between(grid, "_judged_from", "span_end", "_in_service")
        owing = (grid.filter(pl.col("_in_service") > 0).select("use_unit_id", "span_start", "span_end").unique()
                 .join(self._org("use_unit"), on="use_unit_id", how="left"))
        truncate = "1w" if unit == "week" else "1mo"
        counted = (self.sub.table(records)
                   .group_by("use_unit_id", pl.col("date").dt.truncate(truncate).alias("span_start"))
                   .agg(pl.len().alias(count)))
        return (owing.join(counted, on=["use_unit_id", "span_start"], how="left")
                .with_columns(pl.col(count).fill_null(0).cast(pl.Int64),
                              pl.col("span_start").dt.strftime(key_format).alias(key),
                              pl.col("span_end").alias("judged_on"))
                .rename({"span_start": names[0], "span_end": names[1]}))

    @cached_property
    def unit_weeks(self) -> pl.DataFrame:
        return self._unit_spans("week", "weekly_reviews", "reviews", "iso_week", "%G-W%V", ("monday", "sunday"))

    @cached_property
    def unit_months(self) -> pl.DataFrame:
        return self._unit_spans("month", "monthly_dispatches", "dispatches", "month", "%Y-%m",
                                ("month_start", "month_end"))

    @cached_property
    def use_units(self) -> pl.DataFrame:
        units = self.elevators.select("use_unit_id", "use_unit_name").unique()
        plans = _latest_on_or_before(self.sub.table("emergency_plans"), "use_unit_id", "approved_on", self.end,
                                     "latest_plan_on")
        drills = _latest_on_or_before(self.sub.table("drills"), "use_unit_id", "date", self.end, "latest_drill_on")
        return (units.join(plans, on="use_unit_id", how="left").join(drills, on="use_unit_id", how="left")
                .with_columns(pl.lit(self.end).alias("judged_on"), pl.lit(str(self.end.year)).alias("period_year"),
                              pl.lit(dt.date(self.end.year, 1, 1)).alias("year_start"))
                .sort("use_unit_id"))

    # ---- alarms and rescue --------------------------------------------------------------

    @cached_property
    def failed_alarm_tests(self) -> pl.DataFrame:
        tests = self.sub.table("alarm_tests")
        fails = tests.filter(~pl.col("ok")).select("elevator_id", pl.col("date").alias("failed_on")).unique()
        joined = _first_on_or_after(fails, "failed_on", tests.filter(pl.col("ok")), "date", "next_ok_test_on",
                                    strictly=True)
        return self.with_elevator(joined.with_columns(pl.col("failed_on").alias("judged_on")))

    @cached_property
    def entrapments(self) -> pl.DataFrame:
        """Each entrapment reported in P, timed from the alarm and from the call to the rescuers
        (R3-2, R3-A 2), with the elevator's maintenance unit on the incident's date: the unit of
        its latest maintenance record on or before that day, else the one it is registered with
        (the rescuer named by `rescue_unit_id` is evidence only)."""
        e = self.sub.table("entrapments").filter(pl.col("reported_at").dt.date().is_between(self.start, self.end))
        e = e.select("incident_id", "elevator_id", "reported_at", "notified_at", "arrived_at", "released_at",
                     "rescue_unit_id", "cause", pl.col("reported_at").dt.date().alias("incident_on"))
        serviced = (self.sub.table("maintenance").select("elevator_id", pl.col("date").alias("_serviced_on"),
                                                        pl.col("maintenance_unit_id").alias("_serviced_by"))
                    .sort("_serviced_on", "_serviced_by").unique(["elevator_id", "_serviced_on"], keep="last",
                                                                  maintain_order=True))
        e = (e.sort("incident_on").join_asof(serviced, left_on="incident_on", right_on="_serviced_on", by="elevator_id",
                                             strategy="backward", check_sortedness=False))
        e = self.with_elevator(e).rename({"maintenance_unit_id": "registered_maintenance_unit_id"}).drop(
            "maintenance_unit_name")
        e = (e.with_columns(pl.coalesce("_serviced_by", "registered_maintenance_unit_id").alias("maintenance_unit_id"))
             .join(self._org("maintenance_unit"), on="maintenance_unit_id", how="left")
             .join(self.organizations.select(pl.col("org_id").alias("rescue_unit_id"),
                                             pl.col("name").alias("rescue_unit_name")), on="rescue_unit_id", how="left")
             .drop("_serviced_on", "_serviced_by"))
        seconds = lambda a, b: (pl.col(b) - pl.col(a)).dt.total_seconds()  # noqa: E731
        return e.with_columns(
            seconds("reported_at", "notified_at").alias("notify_seconds"),
            seconds("notified_at", "arrived_at").alias("arrival_seconds"),
            seconds("reported_at", "arrived_at").alias("arrival_from_alarm_seconds"),
            pl.col("incident_on").alias("judged_on"),
            *_labels("entrapments", "cause"),
        ).with_columns(
            # 30:01 must read as late: minutes and seconds, never a rounded 30
            *[expr for col, name in (("notify_seconds", "notify_time"), ("arrival_seconds", "arrival_time"),
                                     ("arrival_from_alarm_seconds", "arrival_from_alarm_time"))
              for expr in _minutes_seconds(col, name)],
            (pl.col("arrival_seconds") / 60).round(1).alias("arrival_minutes"),
        ).sort("incident_id")

    # ---- maintenance ----------------------------------------------------------------------

    @cached_property
    def maintenance_intervals(self) -> pl.DataFrame:
        """The walk anchor -> visits in P -> `to`, one row per step a -> b (rules.md
        MAINT-INTERVAL): the anchor is the last visit before `from`, or the later of
        commissioned_on and the history start; each interval is judged as of its opening day a."""
        start, end = self.start, self.end
        # every in-scope elevator, as rules.md says, even one commissioned after `to`: its
        # walk from a visit before `from` to `to` is an interval like any other
        e = self.info
        maintenance = self.sub.table("maintenance")
        visits = (maintenance.filter(self.define("maintenance_visit", maintenance.columns))
                  .select("elevator_id", pl.col("date").alias("point")).unique()
                  .join(e.select("elevator_id"), on="elevator_id", how="semi"))
        # R3-7, R3-A 1: the history start of the maintenance records (declared, else the earliest
        # record); with neither, each elevator's commissioning day: never `from`. A visit before
        # the commissioning day is evidence like any other (rules.md walks from it).
        e = e.with_columns(pl.coalesce(self.history_start("maintenance"), "commissioned_on").alias("_history"))
        before = visits.filter(pl.col("point") < start).group_by("elevator_id").agg(pl.col("point").max().alias("last_before"))
        anchors = e.join(before, on="elevator_id", how="left").select(
            "elevator_id",
            # a visit before a declared start is evidence; only the gap before the start is not
            # judged (the steps are clipped to the history start below)
            pl.coalesce("last_before", pl.max_horizontal("commissioned_on", "_history")).alias("point"),
            pl.lit(0).alias("_leg"), pl.lit("anchor").alias("_kind"))
        inside = visits.filter(pl.col("point").is_between(start, end)).with_columns(
            pl.lit(1).alias("_leg"), pl.lit("visit").alias("_kind"))
        ends = e.select("elevator_id", pl.lit(end).alias("point"), pl.lit(2).alias("_leg"), pl.lit("period_end").alias("_kind"))
        # in walk order: by elevator, anchor first, then the visits by date, then `to`; the step
        # into each point comes from the row before it, when that row is the same elevator's
        # (one sort key for leg and date, leg * 2^32 + the date's day number, which is an i32:
        # a third sort column cost more than the shifts)
        same = pl.col("elevator_id") == pl.col("elevator_id").shift(1)
        walk = (pl.concat([anchors, inside.select(anchors.columns), ends], how="vertical")
                .sort("elevator_id", pl.col("_leg").cast(pl.Int64) * 2**32 + pl.col("point").cast(pl.Int64))
                .with_columns(pl.when(same).then(pl.col("point").shift(1)).alias("a"),
                              pl.when(same).then(pl.col("_kind").shift(1)).alias("a_kind"))
                .filter(pl.col("a").is_not_null())
                .rename({"point": "b", "_kind": "b_kind"}).drop("_leg"))
        # a step that ends before the history start is not judged; one that crosses it, from it
        walk = (walk.join(e.select("elevator_id", "_history"), on="elevator_id", how="left")
                .filter(pl.col("b") >= pl.col("_history"))
                .with_columns(pl.max_horizontal("a", "_history").alias("a")).drop("_history"))
        walk = walk.with_columns((pl.col("a") + ONE_DAY).alias("_lo"), (pl.col("b") - ONE_DAY).alias("_hi"))
        walk = self.stopped_between(walk, "_lo", "_hi", "stopped_days_between").drop("_lo", "_hi")
        walk = walk.with_columns(
            ((pl.col("b") - pl.col("a")).dt.total_days() - pl.col("stopped_days_between")).alias("interval_days"),
            (pl.col("b_kind") == "period_end").alias("ends_at_period_end"),
            # the limit in force is fixed when the interval opens
            pl.col("a").alias("judged_on"),
        )
        return self.with_elevator(walk)

    @cached_property
    def inspection_gaps(self) -> pl.DataFrame:
        """Maximal runs of in-service days not covered by a valid, passed latest inspection, found
        from the whole history up to `to` (a run may begin before `from`); stopped days neither
        count nor split a run. One row per run with an uncovered in-service day inside P."""
        e = self.info
        real = self.sub.table("inspections").select(
            "elevator_id", "date", "conclusion", "next_due", pl.lit(1).alias("_real"))
        installation = e.select("elevator_id", pl.col("commissioned_on").alias("date"), pl.lit("pass").alias("conclusion"),
                                pl.lit(None, pl.Date).alias("next_due"), pl.lit(0).alias("_real"))
        insp = pl.concat([installation, real.join(e.select("elevator_id"), on="elevator_id", how="semi")], how="vertical")
        insp = insp.filter(pl.col("date") <= self.end)
        cycle = self.params["inspection.cycle_months"].expr(pl.col("date"))
        insp = insp.with_columns(
            pl.coalesce("next_due", pl.col("date").dt.offset_by(pl.format("{}mo", cycle)) - ONE_DAY).alias("valid_until"),
            pl.col("conclusion").is_in(["pass", "pass_after_rectification"]).alias("_passed"),
        ).with_columns(
            # R3-6: a validity the record does not state comes from inspection.cycle_months (an interpretation)
            (pl.col("_passed") & pl.col("next_due").is_null()).alias("_by_cycle"))
        # One inspection per day: a real record over the installation; a passed one over a failed one.
        insp = (insp.sort("elevator_id", "date", "_real", "_passed", "valid_until")
                .group_by("elevator_id", "date", maintain_order=True).last()
                .sort("elevator_id", "date"))
        # each inspection governs the days up to the next one; the uncovered part of that span
        insp = insp.join(e.select("elevator_id", "commissioned_on"), on="elevator_id").with_columns(
            pl.coalesce(pl.col("date").shift(-1).over("elevator_id") - ONE_DAY, pl.lit(self.end)).alias("_gov_end"))
        uncovered = insp.with_columns(
            pl.max_horizontal(pl.when(pl.col("_passed")).then(pl.col("valid_until") + ONE_DAY).otherwise(pl.col("date")),
                              "date", "commissioned_on").alias("lo"),
            pl.col("_gov_end").alias("hi"),
        ).filter(pl.col("lo") <= pl.col("hi")).select(
            "elevator_id", "lo", "hi", pl.col("date").alias("inspection_on"), pl.col("conclusion"),
            pl.col("valid_until"), (pl.col("_real") == 0).alias("latest_is_installation"),
            pl.col("_by_cycle").alias("valid_until_by_cycle"))
        # runs: components of (uncovered ∪ stopped) spans; only their in-service days count
        stops = self.stop_spans.filter(pl.col("start") <= self.end).select(
            "elevator_id", pl.col("start").alias("lo"), pl.min_horizontal("last", pl.lit(self.end)).alias("hi"))
        both = pl.concat([uncovered.select("elevator_id", "lo", "hi", pl.lit(True).alias("_u")),
                          stops.join(uncovered.select("elevator_id").unique(), on="elevator_id", how="semi")
                          .with_columns(pl.lit(False).alias("_u"))], how="vertical").sort("elevator_id", "lo")
        prev_hi = pl.col("hi").cast(pl.Int32).cum_max().shift(1).over("elevator_id")
        both = both.with_columns(
            (prev_hi.is_null() | (pl.col("lo").cast(pl.Int32) > prev_hi + 1)).cast(pl.Int32).cum_sum()
            .over("elevator_id").alias("_run"))
        spans = uncovered.join(both.filter(pl.col("_u")).select("elevator_id", "lo", "_run").unique(),
                               on=["elevator_id", "lo"])
        # per uncovered span: its first and last in-service day, and how many (in P too)
        spans = self.stopped_between(spans, "lo", "hi", "_stopped")
        spans = spans.with_columns(pl.max_horizontal("lo", pl.lit(self.start)).alias("_plo"))
        spans = self.stopped_between(spans, "_plo", "hi", "_pstopped")
        spans = self.stopped_on(spans, "lo", "_lo_stopped")
        spans = self.stopped_on(spans, "hi", "_hi_stopped")
        edges = self.stop_spans.select("elevator_id", pl.col("start").alias("_s"), pl.col("last").alias("_l"))
        after_lo = (spans.select("elevator_id", "lo").unique().join(edges, on="elevator_id")
                    .filter(pl.col("lo").is_between(pl.col("_s"), pl.col("_l")))
                    .select("elevator_id", "lo", (pl.col("_l") + ONE_DAY).alias("_first")))
        before_hi = (spans.select("elevator_id", "hi").unique().join(edges, on="elevator_id")
                     .filter(pl.col("hi").is_between(pl.col("_s"), pl.col("_l")))
                     .select("elevator_id", "hi", (pl.col("_s") - ONE_DAY).alias("_last")))
        spans = (spans.join(after_lo, on=["elevator_id", "lo"], how="left")
                 .join(before_hi, on=["elevator_id", "hi"], how="left")
                 .with_columns((_days("lo", "hi") - pl.col("_stopped")).alias("_n"),
                               (_days("_plo", "hi") - pl.col("_pstopped")).alias("_n_in_p"))
                 .filter(pl.col("_n") > 0)
                 .with_columns(pl.when(pl.col("_lo_stopped")).then(pl.col("_first")).otherwise(pl.col("lo")).alias("_first"),
                               pl.when(pl.col("_hi_stopped")).then(pl.col("_last")).otherwise(pl.col("hi")).alias("_last")))
        runs = (spans.sort("elevator_id", "lo")
                .group_by("elevator_id", "_run")
                .agg(pl.col("_first").min().alias("first"), pl.col("_last").max().alias("last"),
                     pl.col("_n").sum().cast(pl.Int64).alias("uncovered_days"),
                     pl.col("_n_in_p").sum().cast(pl.Int64).alias("uncovered_days_in_period"),
                     pl.col("inspection_on").first().alias("latest_inspection_on"),
                     pl.col("conclusion").first().alias("latest_conclusion"),
                     pl.col("valid_until").first().alias("valid_until"),
                     pl.col("latest_is_installation").first(), pl.col("valid_until_by_cycle").first())
                .filter(pl.col("uncovered_days_in_period") > 0)
                .drop("_run"))
        labels = record_types()["inspections"].field("conclusion").enum_labels
        runs = runs.with_columns(pl.col("first").alias("judged_on"),
                                 pl.col("latest_conclusion").replace_strict(labels, default=None, return_dtype=pl.String)
                                 .alias("latest_conclusion_zh"),
                                 pl.col("latest_conclusion").str.replace_all("_", " ").alias("latest_conclusion_en"))
        return self.with_elevator(runs)

    # ---- screening and assessment ---------------------------------------------------------

    @cached_property
    def high_risk_screenings(self) -> pl.DataFrame:
        high = (self.sub.table("screenings").filter(pl.col("risk_level") == "high")
                .select("elevator_id", pl.col("date").alias("screened_on")).unique())
        joined = _first_on_or_after(high, "screened_on", self.sub.table("assessments"), "applied_on", "first_applied_on")
        return self.with_elevator(joined.with_columns(pl.col("screened_on").alias("judged_on")))

    @cached_property
    def inspections_with_screening(self) -> pl.DataFrame:
        """Each periodic inspection (R3-5 SCREENING-AT-INSPECTION) with the earliest screening of
        the same elevator dated no more than `screening.with_inspection_days` before it (the
        value in force on the inspection's date): the screening done with it, or after it."""
        n = self.params["screening.with_inspection_days"].expr(pl.col("inspected_on"))
        insp = (self.sub.table("inspections").select("elevator_id", pl.col("date").alias("inspected_on"), "conclusion")
                .unique(["elevator_id", "inspected_on"], keep="first", maintain_order=True)
                .with_columns((pl.col("inspected_on") - pl.duration(days=n)).alias("screening_window_from")))
        joined = _first_on_or_after(insp, "screening_window_from", self.sub.table("screenings"), "date",
                                    "screened_on")
        return self.with_elevator(joined.with_columns(pl.col("inspected_on").alias("judged_on"),
                                                      *_labels("inspections", "conclusion")).sort("elevator_id", "inspected_on"))

    @cached_property
    def assessment_applications(self) -> pl.DataFrame:
        """Every assessment applied for (R3-5 ASSESSMENT-COMPLETION), completed or not."""
        a = self.sub.table("assessments").drop("_file", "_row")
        return self.with_elevator(a.with_columns(pl.col("applied_on").alias("judged_on"),
                                                 *_labels("assessments", "conclusion")))

    @cached_property
    def completed_assessments(self) -> pl.DataFrame:
        a = self.sub.table("assessments").filter(pl.col("completed_on").is_not_null()).drop("_file", "_row")
        return self.with_elevator(a.with_columns(pl.col("completed_on").alias("judged_on"),
                                                 *_labels("assessments", "conclusion")))

    # ---- hazards ----------------------------------------------------------------------------

    @cached_property
    def hazards(self) -> pl.DataFrame:
        h = self.sub.table("hazards").drop("_file", "_row")
        return self.with_elevator(h.with_columns(pl.col("found_on").alias("judged_on"), *_labels("hazards", "severity"),
                                                 *_labels("hazards", "source")))

    @cached_property
    def serious_hazard_stops(self) -> pl.DataFrame:
        """Per serious hazard: the days it should have been stopped inside P, and those it was not."""
        k = self.params["hazard.stop_within_days"].expr(pl.col("found_on"))
        h = self.hazards.filter(pl.col("severity") == "serious").with_columns(
            pl.max_horizontal(pl.col("found_on") + pl.duration(days=k), pl.lit(self.start)).alias("stop_from"),
            pl.min_horizontal(pl.coalesce(pl.col("rectified_on") - ONE_DAY, pl.lit(self.end)), pl.lit(self.end))
            .alias("stop_through"),
        )
        h = self.stopped_between(h, "stop_from", "stop_through", "stopped_days")
        h = h.with_columns(_days("stop_from", "stop_through").alias("days_required"))
        h = h.with_columns((pl.col("days_required") - pl.col("stopped_days")).alias("unstopped_days"))
        # first unstopped day: stop_from itself, or the day after the merged stop that covers it
        keyed = h.with_row_index("_k")
        covering = (keyed.select("_k", "elevator_id", "stop_from")
                    .join(self.stop_spans, on="elevator_id")
                    .filter(pl.col("stop_from").is_between(pl.col("start"), pl.col("last")))
                    .select("_k", (pl.col("last") + ONE_DAY).alias("_after")))
        return (keyed.join(covering, on="_k", how="left")
                .with_columns(pl.when(pl.col("unstopped_days") > 0)
                              .then(pl.coalesce("_after", "stop_from")).alias("first_unstopped_day"))
                .drop("_k", "_after"))

    @cached_property
    def hazard_stop_orders(self) -> pl.DataFrame:
        """Per hazard: whether a stop record of reason `order` covers its finding day, and the
        first one that starts on or after it (五（三） 依法责令停用)."""
        orders = self.sub.table("stop_periods").filter(pl.col("reason") == "order").select("elevator_id", "start", "end")
        h = self.hazards
        covering = (h.select("hazard_id", "elevator_id", "found_on").join(orders, on="elevator_id")
                    .filter((pl.col("start") <= pl.col("found_on"))
                            & (pl.col("end").is_null() | (pl.col("found_on") < pl.col("end"))))
                    .select("hazard_id").unique().with_columns(pl.lit(True).alias("order_stop_covers_found_on")))
        h = _first_on_or_after(h, "found_on", orders, "start", "first_order_stop_on")
        return (h.join(covering, on="hazard_id", how="left")
                .with_columns(pl.col("order_stop_covers_found_on").fill_null(False)))

    # ---- defects found by daily checks ----------------------------------------------------

    @cached_property
    def defect_findings(self) -> pl.DataFrame:
        """Each defect the use unit must have repaired (R3-5 DEFECT-REPAIR): a day a daily check
        found one, and an entrapment (its incident) with its cause; with the first later repair,
        registered hazard or stop of that elevator (on or after the day), and whether a stop
        already covered it. `finding_key` is the breach's identity: the day, or the incident."""
        checks = (self.sub.table("daily_checks").filter(pl.col("result") == "hazard_found")
                  .select("elevator_id", pl.col("date").alias("found_on")).unique()
                  .with_columns(pl.lit("daily_check").alias("finding"), pl.lit(None, pl.String).alias("incident_id"),
                                pl.lit(None, pl.String).alias("cause")))
        trapped = self.sub.table("entrapments").select(
            "elevator_id", pl.col("reported_at").dt.date().alias("found_on"), pl.lit("entrapment").alias("finding"),
            "incident_id", "cause")
        found = pl.concat([checks.select(trapped.columns), trapped], how="vertical")
        repairs = self.sub.table("maintenance").filter(pl.col("kind") == "repair")
        found = _first_on_or_after(found, "found_on", repairs, "date", "repaired_on")
        found = _first_on_or_after(found, "found_on", self.sub.table("hazards"), "found_on", "hazard_registered_on")
        found = _first_on_or_after(found, "found_on", self.sub.table("stop_periods"), "start", "stop_started_on")
        found = self.stopped_on(found, "found_on", "stopped_on_found_on")
        return self.with_elevator(found.with_columns(
            pl.col("found_on").alias("judged_on"),
            pl.coalesce("incident_id", pl.col("found_on").dt.strftime("%Y-%m-%d")).alias("finding_key"),
            *_labels("entrapments", "cause")).sort("elevator_id", "found_on", "finding_key"))

    # ---- maintenance-fund applications -----------------------------------------------------

    @cached_property
    def emergency_fund_applications(self) -> pl.DataFrame:
        """Every emergency-channel application with the report it names (R3-3): the fund review
        reads those applied in P; FUND-DECISION-TIME judges each as a deadline, whenever applied."""
        apps = self.sub.table("fund_applications").filter(pl.col("channel") == "emergency").drop("_file", "_row")
        reports = self.sub.table("assessments").select(
            "assessment_id", pl.col("elevator_id").alias("report_elevator_id"),
            pl.col("completed_on").alias("report_completed_on"), pl.col("plan_on").alias("report_plan_on"),
            pl.lit(True).alias("report_exists"))
        out = apps.join(reports, on="assessment_id", how="left").with_columns(
            pl.col("report_exists").fill_null(False), pl.col("applied_on").alias("judged_on"),
            *_labels("fund_applications", "decision"))
        return self.with_elevator(out).sort("application_id")


FACT_TABLES = {
    name for name, value in vars(FactBase).items() if isinstance(value, cached_property)
} - {"organizations", "info", "unjudged", "day_by_day_ids", "stop_spans"}

# The definitions of rules/definitions.yaml each fact table applies while it is derived
# (beside in_scope, which every table applies); `liftcheck rules show` lists them.
FACT_DEFINITIONS = {
    "daily_check_months": ["stopped_day", "in_service_day"],
    "unit_weeks": ["stopped_day", "in_service_day", "stopped_status_without_record"],
    "unit_months": ["stopped_day", "in_service_day", "stopped_status_without_record"],
    "maintenance_intervals": ["maintenance_visit", "history_start", "stopped_day"],
    "inspection_gaps": ["stopped_day", "in_service_day"],
    "serious_hazard_stops": ["stopped_day"],
    "defect_findings": ["stopped_day"],
}
# The parameters each fact table reads while it is derived (beside those of its definitions):
# what `liftcheck compare` must keep equal for two rule books to share a fact base.
FACT_PARAMETERS = {
    "inspection_gaps": ["inspection.cycle_months"],
    "serious_hazard_stops": ["hazard.stop_within_days"],
    "inspections_with_screening": ["screening.with_inspection_days"],
    "maintenance_intervals": [],
}
