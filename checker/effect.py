"""整治后评价 (issue 24): outcomes per elevator-month, and who was remediated when.

The opinion asks for "运用大数据开展评估分析和整治后评价，提升评估整改建议有效性" (一) and
"整治效果比对分析" (四（三）). This module turns the records into what the evaluation compares:

- the **population**: in-scope elevators in the remediation pipeline, i.e. with a completed
  assessment calling for works (维修、大修、改造、更新) or with a works record; every one of them
  either completed works in the period (treated), or had not started works by its end
  (not yet remediated: the controls), or is left out with the reason;
- the **panel**: per population elevator and calendar month of the period, its in-service days
  (rules/definitions.yaml in_service_day: stopped days do not count) and its events — entrapments,
  failed alarm tests, hazards (by severity and source), daily-check findings, failed periodic
  inspections — dated on in-service days; rates per 100 elevator-months of service, where an
  elevator-month is 365.25 / 12 in-service days.

Everything is vectorised polars over the population (about a thousand elevators in a city-year);
the estimation itself is checker/effect_estimate.py, the report checker/effect_report.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from checker.errors import LiftcheckError
from checker.facts import FactBase
from checker.params import load_parameters
from checker.validate import Submission

OUTCOMES = ("entrapments", "alarm_failures", "hazards", "daily_findings", "failed_inspections")
OUTCOME_LABELS = {
    "entrapments": ("困人故障", "entrapments"),
    "alarm_failures": ("紧急报警装置测试不合格", "failed alarm tests"),
    "hazards": ("发现隐患", "hazards found"),
    "daily_findings": ("日管控发现问题", "daily-check findings"),
    "failed_inspections": ("定期检验不合格", "failed periodic inspections"),
}
HAZARD_SEVERITIES = ("general", "major", "serious")
HAZARD_SOURCES = ("assessment", "screening", "inspection", "daily_check", "weekly_review", "spot_check", "other")
# One elevator-month of service: 365.25 / 12 in-service days, so that a rate does not depend on
# the length of the calendar month; rates are per 100 of them.
DAYS_PER_MONTH = 365.25 / 12
PER = 100
UNIT_ZH, UNIT_EN = "次/百台月", "events per 100 elevator-months of service"
# The works kinds in the order of how much they do; an assessment's conclusion uses the same words.
WORKS_RANK = {"repair": 1, "major_repair": 2, "renovate": 3, "replace": 4}
WORKS_LABELS = {"repair": "修理", "major_repair": "大修", "renovate": "改造", "replace": "更新"}
FOLLOWED_LABELS = {"followed": ("按评估结论整治", "works as the assessment called for"),
                   "less": ("整治少于评估要求", "works less than the assessment called for"),
                   "no_assessment": ("未关联评估结论", "works without an assessment conclusion")}

# Why a population elevator is not in the comparison (left_out), in the order they are decided.
LEFT_OUT_REASONS = {
    "no_status_dates": ("状态为停用但没有停用记录，无法计算在用天数",
                        "status stopped without a stop record: its in-service days are unknown"),
    "no_service": ("期间内没有在用天数", "no in-service day in the period"),
    "unfinished": ("整治未完工（期末没有竣工日期），效果无法衡量",
                   "works begun but not completed by the end of the period: no effect to measure"),
    "no_pre_period": ("整治前没有数据（在期间第一个月或之前竣工）",
                      "no data before the works (completed in the period's first month or before it)"),
    "no_post_period": ("在期间最后一个月竣工，没有竣工后的整月",
                       "completed in the period's last month: no whole month after completion"),
}


@dataclass
class Panel:
    """The evaluation's input: one row per population elevator (`elevators`) and one per
    elevator-month (`months`), plus the events that could not be counted."""

    start: dt.date
    end: dt.date
    months_in_period: int
    elevators: pl.DataFrame   # elevator_id, district, role, reason, cohort, completed_on, kind, conclusion, followed
    months: pl.DataFrame      # elevator_id, month (0 = the month of `start`), month_start, service_days, counts
    uncounted: pl.DataFrame   # outcome, reason, records: events on stopped days or outside the population's service


def month_index(day: pl.Expr, start: dt.date) -> pl.Expr:
    """Calendar months from the month of `start` (0) to the month of `day`."""
    return day.dt.year().cast(pl.Int32) * 12 + day.dt.month().cast(pl.Int32) - (start.year * 12 + start.month)


def months_between(start: dt.date, end: dt.date) -> int:
    return (end.year * 12 + end.month) - (start.year * 12 + start.month) + 1


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise LiftcheckError(f"评价期间有误：--to {end} 早于 --from {start}", f"bad period: --to {end} is before --from {start}")
    if months_between(start, end) < 3:
        raise LiftcheckError(
            f"评价期间 {start} 至 {end} 不足 3 个自然月：整治前后的比较至少需要竣工前一个月、竣工当月和竣工后一个月",
            f"the period {start} to {end} spans fewer than 3 calendar months: a before/after comparison needs at "
            "least the month before completion, the month of completion and a month after it")


def build_panel(sub: Submission, start: dt.date, end: dt.date, facts: FactBase | None = None) -> Panel:
    """The population, its roles and its elevator-month outcomes over [start, end]."""
    check_period(start, end)
    facts = facts or FactBase(sub, load_parameters(), start, end)
    n_months = months_between(start, end)
    elevators = _population(sub, facts, start, end, n_months)
    grid = _service_months(elevators.select("elevator_id", "commissioned_on"), facts, start, end, n_months)
    events, uncounted = _events(sub, facts, elevators.select("elevator_id", "commissioned_on"), start, end)
    counts = _counts(events, start)
    months = (grid.join(counts, on=["elevator_id", "month"], how="left")
              .with_columns([pl.col(c).fill_null(0) for c in counts.columns if c not in ("elevator_id", "month")]))
    # an elevator with no in-service day in the whole period has nothing to compare
    served = months.group_by("elevator_id").agg(pl.col("service_days").sum().alias("_served"))
    elevators = (elevators.join(served, on="elevator_id", how="left")
                 .with_columns(pl.when(pl.col("reason").is_null() & (pl.col("_served").fill_null(0) == 0))
                               .then(pl.lit("no_service")).otherwise(pl.col("reason")).alias("reason"))
                 .with_columns(pl.when(pl.col("reason").is_not_null()).then(pl.lit("left_out"))
                               .otherwise(pl.col("role")).alias("role"))
                 .drop("_served"))
    return Panel(start, end, n_months, elevators.drop("commissioned_on"), months.sort("elevator_id", "month"),
                 uncounted)


def _population(sub: Submission, facts: FactBase, start: dt.date, end: dt.date, n_months: int) -> pl.DataFrame:
    """Population elevators with their role: treated (first works completed in the period with a
    month before and a whole month after), control (no works begun by `end`) or left out."""
    e = facts.elevators.select("elevator_id", "district", "commissioned_on", "unjudged")
    works = sub.table("works").filter(pl.col("started_on") <= end)
    assessments = sub.table("assessments")
    calling = (assessments.filter(pl.col("completed_on").is_not_null() & (pl.col("completed_on") <= end)
                                  & pl.col("conclusion").is_in(list(WORKS_RANK)))
               .get_column("elevator_id"))
    ids = pl.concat([calling, works.get_column("elevator_id")]).unique()
    e = e.filter(pl.col("elevator_id").is_in(ids.implode()))

    done = (works.filter(pl.col("completed_on").is_not_null() & (pl.col("completed_on") <= end))
            .sort("completed_on", "work_id").group_by("elevator_id", maintain_order=True).first()
            .select("elevator_id", "completed_on", "kind", pl.col("assessment_id").alias("_answers")))
    begun = works.group_by("elevator_id").agg(pl.len().alias("_works"))
    conclusion = assessments.select(pl.col("assessment_id").alias("_answers"), pl.col("conclusion").alias("_named"))
    # the assessment the works answer; else the elevator's latest conclusion calling for works
    latest = (assessments.filter(pl.col("completed_on").is_not_null() & (pl.col("completed_on") <= end)
                                 & pl.col("conclusion").is_in(list(WORKS_RANK)))
              .sort("completed_on", "assessment_id").group_by("elevator_id").last()
              .select("elevator_id", pl.col("conclusion").alias("_latest")))
    e = (e.join(done, on="elevator_id", how="left").join(begun, on="elevator_id", how="left")
         .join(conclusion, on="_answers", how="left").join(latest, on="elevator_id", how="left")
         .with_columns(pl.coalesce("_named", "_latest").alias("conclusion"))
         .drop("_answers", "_named", "_latest"))
    completion_month = month_index(pl.col("completed_on"), start)
    rank = pl.col("kind").replace_strict(WORKS_RANK, default=None, return_dtype=pl.Int32)
    called = pl.col("conclusion").replace_strict(WORKS_RANK, default=None, return_dtype=pl.Int32)
    reason = (pl.when(pl.col("unjudged")).then(pl.lit("no_status_dates"))
              .when(pl.col("completed_on").is_null() & pl.col("_works").is_not_null()).then(pl.lit("unfinished"))
              .when(pl.col("completed_on").is_not_null() & (completion_month < 1)).then(pl.lit("no_pre_period"))
              .when(pl.col("completed_on").is_not_null() & (completion_month >= n_months - 1))
              .then(pl.lit("no_post_period")))
    return (e.with_columns(
        reason.alias("reason"),
        pl.when(pl.col("completed_on").is_not_null()).then(pl.lit("treated")).otherwise(pl.lit("control")).alias("role"),
        # the first whole month after the month of completion (the month of completion itself is
        # neither before nor after: the library's anticipation period)
        pl.when(pl.col("completed_on").is_not_null()).then(completion_month + 1).alias("cohort"),
        pl.when(called.is_null()).then(pl.lit("no_assessment"))
        .when(rank >= called).then(pl.lit("followed")).otherwise(pl.lit("less")).alias("followed"))
        .with_columns(pl.when(pl.col("role") == "treated").then(pl.col("followed")).alias("followed"))
        .drop("unjudged", "_works").sort("elevator_id"))


def _service_months(e: pl.DataFrame, facts: FactBase, start: dt.date, end: dt.date, n_months: int) -> pl.DataFrame:
    """Per elevator and month of the period: in-service days (definition in_service_day)."""
    first = dt.date(start.year, start.month, 1)
    month_starts = pl.date_range(first, end, "1mo", eager=True).alias("month_start")
    grid = e.join(pl.DataFrame(month_starts).with_row_index("month").with_columns(pl.col("month").cast(pl.Int32)),
                  how="cross")
    grid = grid.with_columns(
        pl.max_horizontal(pl.col("month_start"), pl.lit(start)).alias("_first"),
        pl.min_horizontal(pl.col("month_start").dt.month_end(), pl.lit(end)).alias("_last"))
    grid = facts.in_service_days_between(grid, "_first", "_last", "service_days")
    return grid.select("elevator_id", "month", "month_start",
                       ((pl.col("_last") - pl.col("_first")).dt.total_days() + 1).cast(pl.Int64).alias("days"),
                       pl.col("service_days").cast(pl.Int64))


def _events(sub: Submission, facts: FactBase, e: pl.DataFrame, start: dt.date, end: dt.date):
    """Every outcome event of a population elevator dated in the period: elevator_id, day,
    outcome, severity, source (hazards). Events on a stopped day (or before commissioning) are
    not counted against in-service days: they are returned apart, counted per outcome."""
    def frame(df: pl.DataFrame, day: pl.Expr, outcome: str, where: pl.Expr = pl.lit(True),
              severity: pl.Expr = pl.lit(None, pl.String), source: pl.Expr = pl.lit(None, pl.String)):
        return (df.filter(where).select("elevator_id", day.alias("day"), pl.lit(outcome).alias("outcome"),
                                        severity.alias("severity"), source.alias("source")))

    ids = e.get_column("elevator_id").implode()
    parts = [
        frame(sub.table("entrapments"), pl.col("reported_at").dt.date(), "entrapments"),
        frame(sub.table("alarm_tests"), pl.col("date"), "alarm_failures", ~pl.col("ok")),
        frame(sub.table("hazards"), pl.col("found_on"), "hazards", pl.lit(True), pl.col("severity"), pl.col("source")),
        frame(sub.table("daily_checks"), pl.col("date"), "daily_findings", pl.col("result") == "hazard_found"),
        frame(sub.table("inspections"), pl.col("date"), "failed_inspections", pl.col("conclusion") == "fail"),
    ]
    events = (pl.concat([p.filter(pl.col("elevator_id").is_in(ids)) for p in parts], how="vertical")
              .filter((pl.col("day") >= start) & (pl.col("day") <= end)))
    events = facts.stopped_on(events.join(e, on="elevator_id", how="left"), "day", "_stopped")
    before = pl.col("day") < pl.col("commissioned_on")
    uncounted = (events.filter(pl.col("_stopped") | before)
                 .with_columns(pl.when(before).then(pl.lit("before_commissioning")).otherwise(pl.lit("stopped_day"))
                               .alias("reason"))
                 .group_by("outcome", "reason").agg(pl.len().cast(pl.Int64).alias("records")).sort("outcome", "reason"))
    counted = events.filter(~pl.col("_stopped") & ~before).drop("_stopped", "commissioned_on")
    return counted, uncounted


def _counts(events: pl.DataFrame, start: dt.date) -> pl.DataFrame:
    """Per elevator and month: a column per outcome, and hazards by severity and by source."""
    ev = events.with_columns(month_index(pl.col("day"), start).alias("month"))
    aggs = [(pl.col("outcome") == o).sum().cast(pl.Int64).alias(o) for o in OUTCOMES]
    hazard = pl.col("outcome") == "hazards"
    aggs += [(hazard & (pl.col("severity") == s)).sum().cast(pl.Int64).alias(f"hazards_{s}") for s in HAZARD_SEVERITIES]
    aggs += [(hazard & (pl.col("source") == s)).sum().cast(pl.Int64).alias(f"hazards_from_{s}") for s in HAZARD_SOURCES]
    return ev.group_by("elevator_id", "month").agg(aggs)


def rate(events: pl.Expr, service_days: pl.Expr) -> pl.Expr:
    """Events per 100 elevator-months of service (null without a day of service)."""
    return pl.when(service_days > 0).then(events * (PER * DAYS_PER_MONTH) / service_days)


# ---- the comparison: a balanced panel of treated and control elevators ------------------------

GROUP_COLUMNS = {"kind": "kind", "district": "district", "assessment_conclusion": "conclusion", "followed": "followed"}
SHORT_MONTH = ("short_month", "某个月在用不足半个月（停用超过半月），无法逐月比较",
               "a month with fewer in-service days than half its days in the period: it cannot be compared "
               "month by month")


def comparison_units(panel: Panel) -> pl.DataFrame:
    """The treated and control elevators of the comparison, each with its unit number and the
    cohort as the library counts months (t = 1 … T; g = cohort + 1, 0 for a control).

    An elevator with a month in service for less than half of it leaves the comparison (reason
    short_month): the rate of a month of a few in-service days is no monthly measurement (one
    entrapment in two days is 1,500 per 100 elevator-months), and such months made the
    bootstrap's intervals too narrow in the coverage tests."""
    empty_month = panel.months.filter(2 * pl.col("service_days") < pl.col("days")).get_column("elevator_id").unique()
    units = (panel.elevators.with_columns(
        pl.when((pl.col("role") != "left_out") & pl.col("elevator_id").is_in(empty_month.implode()))
        .then(pl.lit(SHORT_MONTH[0])).otherwise(pl.col("reason")).alias("reason"))
        .with_columns(pl.when(pl.col("reason").is_not_null()).then(pl.lit("left_out")).otherwise(pl.col("role"))
                      .alias("role")))
    return units.with_columns(
        pl.when(pl.col("role") == "left_out").then(None)
        .otherwise(pl.int_range(pl.len()).cast(pl.Int64)).alias("unit"),
        pl.when(pl.col("role") == "treated").then(pl.col("cohort") + 1)
        .when(pl.col("role") == "control").then(pl.lit(0)).cast(pl.Int64).alias("g"))


def long_panel(panel: Panel, units: pl.DataFrame, outcome: str, by: str | None = None,
               value: str | None = None) -> pl.DataFrame:
    """unit, t, g, y for one outcome: every compared elevator's months, or, for one value of a
    split, the treated elevators of that value and the controls (a district's own, for district)."""
    chosen = units.filter(pl.col("role") != "left_out")
    if by is not None:
        column = GROUP_COLUMNS[by]
        is_value = pl.col(column) == value
        chosen = chosen.filter(is_value if by == "district" else (pl.col("role") == "control") | is_value)
    return (panel.months.join(chosen.select("elevator_id", "unit", "g"), on="elevator_id", how="inner")
            .select("unit", (pl.col("month") + 1).cast(pl.Int64).alias("t"), "g",
                    rate(pl.col(outcome), pl.col("service_days")).alias("y"), pl.col(outcome).alias("events"))
            .sort("unit", "t"))


def raw_table(panel: Panel, units: pl.DataFrame, columns: list[str], by: str | None = None) -> pl.DataFrame:
    """Before and after, as a clerk can count it: per (group,) who and outcome column — the
    treated elevators' months before the month of completion, the month of completion, the months
    after it, and the controls' months — with elevators, events, elevator-months and the rate."""
    m = panel.months.join(units.filter(pl.col("role") != "left_out")
                          .select("elevator_id", "role", "g", *([GROUP_COLUMNS[by]] if by else [])),
                          on="elevator_id", how="inner")
    t = pl.col("month") + 1
    who = (pl.when(pl.col("role") == "control").then(pl.lit("controls"))
           .when(t < pl.col("g") - 1).then(pl.lit("treated_before"))
           .when(t == pl.col("g") - 1).then(pl.lit("treated_completion_month"))
           .otherwise(pl.lit("treated_after")))
    m = m.with_columns(who.alias("who"))
    keys = ["who"] + ([GROUP_COLUMNS[by]] if by else [])
    long = m.unpivot(index=["elevator_id", "service_days", *keys], on=columns, variable_name="outcome",
                     value_name="events")
    out = (long.group_by(["outcome", *keys])
           .agg(pl.col("elevator_id").n_unique().cast(pl.Int64).alias("elevators"),
                pl.col("events").sum().cast(pl.Int64).alias("events"),
                pl.col("service_days").sum().cast(pl.Int64).alias("service_days"))
           .with_columns((pl.col("service_days") / DAYS_PER_MONTH).alias("elevator_months"),
                         rate(pl.col("events"), pl.col("service_days")).alias("rate")))
    if by:
        out = out.rename({GROUP_COLUMNS[by]: "group"})
    else:
        out = out.with_columns(pl.lit("all").alias("group"))
    order = {"treated_before": 0, "treated_completion_month": 1, "treated_after": 2, "controls": 3}
    return (out.with_columns(pl.col("who").replace_strict(order, return_dtype=pl.Int8).alias("_o"),
                             pl.col("outcome").replace_strict({c: i for i, c in enumerate(columns)},
                                                              return_dtype=pl.Int32).alias("_c"))
            .sort("group", "_c", "_o").drop("_o", "_c", "service_days")
            .select("outcome", "group", "who", "elevators", "events", "elevator_months", "rate"))
