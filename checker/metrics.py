"""Measures that are not violations: the closed-loop rate (隐患闭环率) and the old-elevator list."""

from __future__ import annotations

import datetime as dt

import polars as pl

from checker.facts import FactBase


def closed_loop_counts(facts: FactBase) -> pl.DataFrame:
    """老旧住宅电梯安全评估隐患闭环率 (四（三）), as counts per district: of the hazards found by a
    safety assessment on elevators old on their finding day, found on or before `to` and not
    rectified before `from`, how many were rectified by `to`. Counts add up over partitions."""
    start, end = facts.start, facts.end
    h = facts.hazards
    h = h.filter(facts.define("assessment_hazard and old(found_on)", h.columns)
                 & (pl.col("found_on") <= end) & (pl.col("rectified_on").is_null() | (pl.col("rectified_on") >= start)))
    return (h.group_by("district")
            .agg(pl.len().cast(pl.Int64).alias("hazards"),
                 (pl.col("rectified_on") <= end).fill_null(False).sum().cast(pl.Int64).alias("closed")))


def closed_loop(counts: pl.DataFrame) -> dict:
    """The rate overall and per district, from closed_loop_counts (empty rate: no such hazard)."""

    def rate(total: int, closed: int) -> dict:
        return {"hazards": total, "closed": closed, "rate": round(closed / total, 4) if total else None}

    by_district = {row["district"]: rate(row["hazards"], row["closed"])
                   for row in counts.sort("district", nulls_last=True).iter_rows(named=True)}
    return {"overall": rate(int(counts.get_column("hazards").sum()), int(counts.get_column("closed").sum())),
            "by_district": by_district}


def old_list(facts: FactBase, as_of: dt.date) -> pl.DataFrame:
    """四（二）: every old in-scope elevator with age, flags, latest screening, assessment and open hazards."""
    e = facts.elevators
    e = e.with_columns(facts.define("old(period_to)", e.columns).alias("old"),
                       facts.define("dense(period_to)", e.columns).alias("dense")).filter(pl.col("old"))
    hazards = facts.sub.table("hazards").filter(
        (pl.col("found_on") <= as_of) & (pl.col("rectified_on").is_null() | (pl.col("rectified_on") > as_of)))
    open_h = hazards.group_by("elevator_id").agg(
        pl.len().alias("open_hazards"), pl.col("hazard_id").sort().alias("open_hazard_ids"),
        (pl.col("severity") != "general").sum().alias("open_major_hazards"))
    assessments = facts.sub.table("assessments").filter(pl.col("applied_on") <= as_of).sort("applied_on")
    latest_a = assessments.group_by("elevator_id").agg(
        pl.col("assessment_id").last().alias("latest_assessment_id"),
        pl.col("applied_on").last().alias("assessment_applied_on"),
        pl.col("completed_on").last().alias("assessment_completed_on"),
        pl.col("conclusion").last().alias("assessment_conclusion"))
    status = (pl.when(pl.col("assessment_applied_on").is_null()).then(pl.lit("未申请 not applied"))
              .when(pl.col("assessment_completed_on").is_null() | (pl.col("assessment_completed_on") > as_of))
              .then(pl.lit("评估中 in progress"))
              .otherwise(pl.lit("已完成 completed")))
    out = (e.join(latest_a, on="elevator_id", how="left").join(open_h, on="elevator_id", how="left")
           .with_columns(status.alias("assessment_status"),
                         pl.col("open_hazards").fill_null(0), pl.col("open_major_hazards").fill_null(0),
                         pl.col("open_hazard_ids").fill_null([]))
           .select("elevator_id", "district", "subdistrict", "community", "use_unit_id", "use_unit_name", "commissioned_on",
                   "age_years", "status", "affordable_housing", "households_served", "dense",
                   "latest_screening_on", "latest_risk_level", "latest_assessment_id", "assessment_status",
                   "assessment_completed_on", "assessment_conclusion", "open_hazards", "open_major_hazards",
                   "open_hazard_ids")
           .sort("district", "community", "elevator_id"))
    return out
