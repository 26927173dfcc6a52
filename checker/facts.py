"""Fact tables derived from typed records: the shared, rule-free machinery.

A rule never walks a timeline or joins records itself: it names one of these tables and
states its condition over the columns. Every table has `judged_on` (the date a parameter
is taken as of) and, where the subject belongs to an elevator, `elevator_id`,
`use_unit_id`, `maintenance_unit_id` and `district`. Definitions follow rules.md
"Common definitions"; each table's columns are those its property below selects.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import polars as pl

from checker.contract import record_types
from checker.params import ParameterSet
from checker.validate import Submission

FAR_FUTURE = dt.date(2999, 12, 31)
ONE_DAY = pl.duration(days=1)
ELEVATOR_INFO = ["elevator_id", "use_unit_id", "maintenance_unit_id", "district"]


def _label(record_type: str, field: str) -> pl.Expr:
    """`<field>_zh`: the contract's Chinese name of an enum code, for Chinese messages."""
    labels = record_types()[record_type].field(field).enum_labels
    return pl.col(field).replace_strict(labels, default=None, return_dtype=pl.String).alias(field + "_zh")


def _latest_on_or_before(df: pl.DataFrame, key: str, date_col: str, end: dt.date, name: str) -> pl.DataFrame:
    return df.filter(pl.col(date_col) <= end).group_by(key).agg(pl.col(date_col).max().alias(name))


def _first_after(events: pl.DataFrame, on: str, records: pl.DataFrame, record_on: str, name: str,
                 strictly: bool) -> pl.DataFrame:
    """Each event with `name`: the earliest `record_on` date of the same elevator on or after it
    (strictly after when `strictly`), or empty: the fulfilment of a deadline obligation."""
    events = events.unique().sort(on)
    dates = records.select("elevator_id", pl.col(record_on).alias(name)).unique().sort(name)
    # both sides are sorted by the date globally, which polars cannot verify once `by` is given
    return events.join_asof(dates, left_on=on, right_on=name, by="elevator_id", strategy="forward",
                            allow_exact_matches=not strictly, check_sortedness=False)


class FactBase:
    """Derives each fact table once, on first use, for one submission and one period."""

    def __init__(self, sub: Submission, params: ParameterSet, start: dt.date, end: dt.date):
        self.sub = sub
        self.params = params
        self.start = start
        self.end = end

    def get(self, name: str) -> pl.DataFrame:
        if name not in FACT_TABLES:
            raise KeyError(name)
        return getattr(self, name)

    # ---- elevators and their scope ------------------------------------------------------

    @cached_property
    def elevators(self) -> pl.DataFrame:
        """Every residential elevator with its scope, age, old/dense flags and latest records."""
        end = self.end
        years = self.params.at("old.min_age_years", end)
        inclusive = self.params.at("old.boundary", end) == "inclusive"
        min_households = self.params.at("dense.min_households", end)
        orgs = self.sub.table("organizations").select(
            pl.col("org_id").alias("maintenance_unit_id"), pl.col("kind").alias("maintainer_kind"),
            pl.col("maintenance_star").alias("maintainer_star"))
        e = self.sub.table("elevators").filter(pl.col("residential"))
        c = pl.col("commissioned_on")
        whole = pl.lit(end.year) - c.dt.year()
        e = e.with_columns(
            c.dt.offset_by(f"{years}y").alias("old_since"),
            (whole - (c.dt.offset_by(pl.format("{}y", whole)) > pl.lit(end)).cast(pl.Int32)).alias("age_years"),
            (pl.col("status") == "in_service").alias("in_service_scope"),
        ).with_columns(
            (pl.col("old_since") <= end if inclusive else pl.col("old_since") < end).alias("old"),
        ).with_columns(
            (pl.col("old") & pl.col("affordable_housing") & pl.col("households_served").is_not_null()
             & (pl.col("households_served") > min_households)).fill_null(False).alias("dense"),
        ).join(orgs, on="maintenance_unit_id", how="left")
        screenings = self.sub.table("screenings").filter(pl.col("date") <= end).sort("date")
        latest_screening = screenings.group_by("elevator_id").agg(
            pl.col("date").last().alias("latest_screening_on"), pl.col("risk_level").last().alias("latest_risk_level"))
        assessments = self.sub.table("assessments")
        completed = _latest_on_or_before(assessments, "elevator_id", "completed_on", end, "latest_assessment_completed_on")
        applied = _latest_on_or_before(assessments, "elevator_id", "applied_on", end, "latest_assessment_applied_on")
        return (e.join(latest_screening, on="elevator_id", how="left")
                .join(completed, on="elevator_id", how="left")
                .join(applied, on="elevator_id", how="left")
                .with_columns(pl.lit(end).alias("judged_on"), pl.lit(str(end.year)).alias("period_year")))

    @cached_property
    def info(self) -> pl.DataFrame:
        return self.elevators.select(ELEVATOR_INFO)

    def with_elevator(self, df: pl.DataFrame) -> pl.DataFrame:
        """Attach the subject elevator's use unit, maintenance unit and district."""
        return df.join(self.info, on="elevator_id", how="inner")

    @cached_property
    def in_service_ids(self) -> pl.Series:
        return self.elevators.filter(pl.col("in_service_scope")).get_column("elevator_id")

    @cached_property
    def not_scrapped_ids(self) -> pl.Series:
        return self.elevators.filter(pl.col("status") != "scrapped").get_column("elevator_id")

    # ---- stopped days and in-service days --------------------------------------------

    @cached_property
    def merged_stops(self) -> pl.DataFrame:
        """Stop periods merged per elevator into disjoint, non-adjacent spans [start, end]."""
        s = self.sub.table("stop_periods").select(
            "elevator_id", pl.col("start"), pl.col("end").fill_null(FAR_FUTURE)).sort("elevator_id", "start")
        prev_end = pl.col("end").cast(pl.Int32).cum_max().shift(1).over("elevator_id")
        new_span = prev_end.is_null() | (pl.col("start").cast(pl.Int32) > prev_end + 1)
        return (s.with_columns(new_span.cast(pl.Int32).cum_sum().over("elevator_id").alias("_span"))
                .group_by("elevator_id", "_span")
                .agg(pl.col("start").min(), pl.col("end").max())
                .drop("_span").sort("elevator_id", "start"))

    @cached_property
    def stopped_days(self) -> pl.DataFrame:
        """(elevator_id, day) for every stopped day inside the period."""
        s = self.merged_stops.with_columns(
            pl.max_horizontal("start", pl.lit(self.start)).alias("start"),
            pl.min_horizontal("end", pl.lit(self.end)).alias("end"),
        ).filter(pl.col("start") <= pl.col("end"))
        return s.select("elevator_id", pl.date_ranges("start", "end").alias("day")).explode("day")

    @cached_property
    def in_service_days(self) -> pl.DataFrame:
        """(elevator_id, day): every in-service day inside the period of every in-service-scope elevator."""
        e = self.elevators.filter(pl.col("in_service_scope")).select(
            "elevator_id", pl.max_horizontal("commissioned_on", pl.lit(self.start)).alias("first"))
        e = e.filter(pl.col("first") <= self.end)
        grid = e.select("elevator_id", pl.date_ranges("first", pl.lit(self.end)).alias("day")).explode("day")
        return grid.join(self.stopped_days, on=["elevator_id", "day"], how="anti").sort("elevator_id", "day")

    def stopped_between(self, df: pl.DataFrame, lo: str, hi: str, out: str) -> pl.DataFrame:
        """Add `out`: the number of stopped days d with lo <= d <= hi (by merged spans)."""
        keyed = df.with_row_index("_k")
        overlap = (keyed.select("_k", "elevator_id", lo, hi)
                   .join(self.merged_stops, on="elevator_id", how="inner")
                   .with_columns(((pl.min_horizontal("end", hi) - pl.max_horizontal("start", lo)).dt.total_days() + 1)
                                 .clip(lower_bound=0).alias("_n"))
                   .group_by("_k").agg(pl.col("_n").sum()))
        return (keyed.join(overlap, on="_k", how="left")
                .with_columns(pl.col("_n").fill_null(0).cast(pl.Int64).alias(out)).drop("_k", "_n"))

    # ---- use management: 日管控、周排查、月调度, plans, drills ---------------------------------

    @cached_property
    def daily_check_months(self) -> pl.DataFrame:
        grid = self.in_service_days.with_columns(pl.col("day").dt.truncate("1mo").alias("month_start"))
        checked = (self.sub.table("daily_checks")
                   .filter(pl.col("date").is_between(self.start, self.end))
                   .select("elevator_id", pl.col("date").alias("day")).unique())
        in_scope = grid.group_by("elevator_id", "month_start").agg(pl.len().alias("in_service_days"))
        missing = (grid.join(checked, on=["elevator_id", "day"], how="anti")
                   .group_by("elevator_id", "month_start")
                   .agg(pl.len().alias("missing_days"), pl.col("day").sort().alias("missing_dates")))
        out = in_scope.join(missing, on=["elevator_id", "month_start"], how="left").with_columns(
            pl.col("missing_days").fill_null(0),
            pl.col("month_start").dt.strftime("%Y-%m").alias("month"),
            pl.min_horizontal(pl.col("month_start").dt.month_end(), pl.lit(self.end)).alias("judged_on"),
        )
        return self.with_elevator(out)

    def _unit_spans(self, unit: str, records: str, count: str, key: str, key_format: str,
                    names: tuple[str, str]) -> pl.DataFrame:
        """Per use unit and whole week/month of P in which it has an in-service elevator: how many
        records of `records` are dated in it (周排查 reports, 月调度 minutes)."""
        truncate = "1w" if unit == "week" else "1mo"
        span_end = (pl.col("span_start") + pl.duration(days=6)) if unit == "week" else pl.col("span_start").dt.month_end()
        calendar = (self.in_service_days
                    .select("elevator_id", pl.col("day").dt.truncate(truncate).alias("span_start")).unique()
                    .join(self.info.select("elevator_id", "use_unit_id"), on="elevator_id")
                    .select("use_unit_id", "span_start").unique()
                    .with_columns(span_end.alias("span_end"))
                    .filter((pl.col("span_start") >= self.start) & (pl.col("span_end") <= self.end)))
        counted = (self.sub.table(records)
                   .group_by("use_unit_id", pl.col("date").dt.truncate(truncate).alias("span_start"))
                   .agg(pl.len().alias(count)))
        return (calendar.join(counted, on=["use_unit_id", "span_start"], how="left")
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
        units = self.elevators.filter(pl.col("in_service_scope")).select("use_unit_id").unique()
        plans = _latest_on_or_before(self.sub.table("emergency_plans"), "use_unit_id", "approved_on", self.end,
                                     "latest_plan_on")
        drills = _latest_on_or_before(self.sub.table("drills"), "use_unit_id", "date", self.end, "latest_drill_on")
        return (units.join(plans, on="use_unit_id", how="left").join(drills, on="use_unit_id", how="left")
                .with_columns(pl.lit(self.end).alias("judged_on"), pl.lit(str(self.end.year)).alias("period_year"))
                .sort("use_unit_id"))

    # ---- alarms and rescue --------------------------------------------------------------

    @cached_property
    def failed_alarm_tests(self) -> pl.DataFrame:
        tests = self.sub.table("alarm_tests")
        fails = tests.filter(~pl.col("ok")).select("elevator_id", pl.col("date").alias("failed_on"))
        joined = _first_after(fails, "failed_on", tests.filter(pl.col("ok")), "date", "next_ok_test_on", strictly=True)
        return self.with_elevator(joined.with_columns(pl.col("failed_on").alias("judged_on")))

    @cached_property
    def entrapments(self) -> pl.DataFrame:
        e = self.sub.table("entrapments").filter(pl.col("reported_at").dt.date().is_between(self.start, self.end))
        return self.with_elevator(e.select(
            "incident_id", "elevator_id", "reported_at", "arrived_at", "released_at",
            (pl.col("arrived_at") - pl.col("reported_at")).dt.total_seconds().alias("arrival_seconds"),
            pl.col("reported_at").dt.date().alias("judged_on"),
        ).with_columns((pl.col("arrival_seconds") / 60).round(1).alias("arrival_minutes")))

    # ---- maintenance ----------------------------------------------------------------------

    @cached_property
    def maintenance_intervals(self) -> pl.DataFrame:
        """The walk anchor -> visits in P -> period end, one row per step a -> b."""
        start, end = self.start, self.end
        e = self.elevators.filter(pl.col("in_service_scope") & (pl.col("commissioned_on") <= end)).select(
            "elevator_id", "commissioned_on", "dense")
        visits = (self.sub.table("maintenance").filter(pl.col("on_site") & (pl.col("kind") != "repair"))
                  .select("elevator_id", pl.col("date").alias("point")).unique()
                  .join(e.select("elevator_id"), on="elevator_id", how="semi"))
        before = visits.filter(pl.col("point") < start).group_by("elevator_id").agg(pl.col("point").max().alias("last_before"))
        anchors = e.join(before, on="elevator_id", how="left").select(
            "elevator_id",
            pl.coalesce("last_before", pl.max_horizontal("commissioned_on", pl.lit(start))).alias("point"),
            pl.lit(0).alias("_leg"), pl.lit("anchor").alias("_kind"))
        inside = visits.filter(pl.col("point").is_between(start, end)).with_columns(
            pl.lit(1).alias("_leg"), pl.lit("visit").alias("_kind"))
        ends = e.select("elevator_id", pl.lit(end).alias("point"), pl.lit(2).alias("_leg"), pl.lit("period_end").alias("_kind"))
        walk = (pl.concat([anchors, inside.select(anchors.columns), ends], how="vertical")
                .sort("elevator_id", "_leg", "point")
                .with_columns(pl.col("point").shift(1).over("elevator_id").alias("a"),
                              pl.col("_kind").shift(1).over("elevator_id").alias("a_kind"))
                .filter(pl.col("a").is_not_null())
                .rename({"point": "b", "_kind": "b_kind"}).drop("_leg"))
        walk = walk.with_columns((pl.col("a") + ONE_DAY).alias("_lo"), (pl.col("b") - ONE_DAY).alias("_hi"))
        walk = self.stopped_between(walk, "_lo", "_hi", "stopped_days_between").drop("_lo", "_hi")
        walk = walk.with_columns(
            ((pl.col("b") - pl.col("a")).dt.total_days() - pl.col("stopped_days_between")).alias("interval_days"),
            (pl.col("b_kind") == "period_end").alias("ends_at_period_end"),
            pl.col("b").alias("judged_on"),
        ).join(e.select("elevator_id", "dense"), on="elevator_id")
        return self.with_elevator(walk)

    @cached_property
    def inspection_gaps(self) -> pl.DataFrame:
        """Maximal runs of in-service days not covered by a valid, passed latest inspection."""
        e = self.elevators.filter(pl.col("in_service_scope"))
        real = self.sub.table("inspections").select(
            "elevator_id", "date", "conclusion", "next_due", pl.lit(1).alias("_real"))
        installation = e.select("elevator_id", pl.col("commissioned_on").alias("date"), pl.lit("pass").alias("conclusion"),
                                pl.lit(None, pl.Date).alias("next_due"), pl.lit(0).alias("_real"))
        insp = pl.concat([installation, real], how="vertical")
        cycle = self.params["inspection.cycle_months"].expr(pl.col("date"))
        passed = pl.col("conclusion").is_in(["pass", "pass_after_rectification"])
        insp = insp.with_columns(
            pl.coalesce("next_due", pl.col("date").dt.offset_by(pl.format("{}mo", cycle)) - ONE_DAY).alias("valid_until"),
            passed.alias("_passed"),
        )
        # One inspection per day: a real record over the installation; a passed one over a failed one.
        insp = (insp.sort("elevator_id", "date", "_real", "_passed", "valid_until")
                .group_by("elevator_id", "date", maintain_order=True).last()
                .rename({"date": "inspection_on"}).sort("inspection_on"))
        days = self.in_service_days.sort("day")
        judged = days.join_asof(insp, left_on="day", right_on="inspection_on", by="elevator_id", strategy="backward",
                                check_sortedness=False)
        judged = judged.sort("elevator_id", "day").with_columns(
            ~(pl.col("_passed").fill_null(False) & (pl.col("day") <= pl.col("valid_until")).fill_null(False))
            .alias("_uncovered"))
        starts = pl.col("_uncovered") & ~pl.col("_uncovered").shift(1).over("elevator_id").fill_null(False)
        runs = (judged.with_columns(starts.cast(pl.Int32).cum_sum().over("elevator_id").alias("_run"))
                .filter(pl.col("_uncovered"))
                .group_by("elevator_id", "_run")
                .agg(pl.col("day").min().alias("first"), pl.col("day").max().alias("last"),
                     pl.len().alias("uncovered_days"),
                     pl.col("inspection_on").first().alias("latest_inspection_on"),
                     pl.col("conclusion").first().alias("latest_conclusion"),
                     pl.col("valid_until").first().alias("valid_until"))
                .drop("_run").with_columns(pl.col("first").alias("judged_on")))
        return self.with_elevator(runs)

    # ---- screening and assessment ---------------------------------------------------------

    @cached_property
    def high_risk_screenings(self) -> pl.DataFrame:
        high = (self.sub.table("screenings").filter(pl.col("risk_level") == "high")
                .select("elevator_id", pl.col("date").alias("screened_on")))
        joined = _first_after(high, "screened_on", self.sub.table("assessments"), "applied_on", "first_applied_on",
                              strictly=False)
        return self.with_elevator(joined.with_columns(pl.col("screened_on").alias("judged_on")))

    @cached_property
    def completed_assessments(self) -> pl.DataFrame:
        a = self.sub.table("assessments").filter(pl.col("completed_on").is_not_null()).drop("_file", "_row")
        return self.with_elevator(a.with_columns(pl.col("completed_on").alias("judged_on"),
                                                 _label("assessments", "conclusion")))

    # ---- hazards ----------------------------------------------------------------------------

    @cached_property
    def hazards(self) -> pl.DataFrame:
        h = self.sub.table("hazards").drop("_file", "_row")
        return self.with_elevator(h.with_columns(pl.col("found_on").alias("judged_on"), _label("hazards", "severity")))

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
        h = h.with_columns(
            ((pl.col("stop_through") - pl.col("stop_from")).dt.total_days() + 1).clip(lower_bound=0).alias("days_required"))
        h = h.with_columns((pl.col("days_required") - pl.col("stopped_days")).alias("unstopped_days"))
        # first unstopped day: stop_from itself, or the day after the merged stop that covers it
        keyed = h.with_row_index("_k")
        covering = (keyed.select("_k", "elevator_id", "stop_from")
                    .join(self.merged_stops, on="elevator_id")
                    .filter((pl.col("start") <= pl.col("stop_from")) & (pl.col("end") >= pl.col("stop_from")))
                    .select("_k", (pl.col("end") + ONE_DAY).alias("_after")))
        return (keyed.join(covering, on="_k", how="left")
                .with_columns(pl.when(pl.col("unstopped_days") > 0)
                              .then(pl.coalesce("_after", "stop_from")).alias("first_unstopped_day"))
                .drop("_k", "_after"))

    # ---- maintenance-fund applications -----------------------------------------------------

    @cached_property
    def emergency_fund_applications(self) -> pl.DataFrame:
        apps = self.sub.table("fund_applications").filter(
            (pl.col("channel") == "emergency") & pl.col("applied_on").is_between(self.start, self.end)).drop("_file", "_row")
        reports = self.sub.table("assessments").select(
            "assessment_id", pl.col("elevator_id").alias("report_elevator_id"),
            pl.col("completed_on").alias("report_completed_on"), pl.col("plan_on").alias("report_plan_on"),
            pl.lit(True).alias("report_exists"))
        out = apps.join(reports, on="assessment_id", how="left").with_columns(
            pl.col("report_exists").fill_null(False), pl.col("applied_on").alias("judged_on"))
        return self.with_elevator(out)


FACT_TABLES = {
    name for name, value in vars(FactBase).items() if isinstance(value, cached_property)
} - {"info", "in_service_ids", "not_scrapped_ids", "merged_stops", "stopped_days", "in_service_days"}
