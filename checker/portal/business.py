"""Online business (四（四）): the comprehensive-assessment application and the regulators' queue."""

from __future__ import annotations

import datetime as dt
import secrets

import polars as pl
import sqlalchemy as sa

from checker.errors import LiftcheckError
from checker.portal.db import RECORD_TABLES
from checker.portal.store import Store
from checker.records import Assessment
from checker.load import FILE_COL, ROW_COL
from checker.validate import empty_table


class AlreadyApplied(LiftcheckError):
    pass


def apply_for_assessment(store: Store, elevator_id: str, applied_on: dt.date, user_id: int | None,
                         org_id: str | None) -> Assessment:
    """全面评估申请: an assessment record with applied_on and a generated id, stored as its own batch."""
    a = RECORD_TABLES["assessments"]
    open_ = store.scalar(sa.select(a.c.assessment_id).where((a.c.elevator_id == elevator_id)
                                                           & a.c.completed_on.is_(None)).limit(1))
    if open_ is not None:
        raise AlreadyApplied(f"电梯 {elevator_id} 已有在办的全面评估申请 {open_}，无需重复申请",
                             f"elevator {elevator_id} already has an open assessment application {open_}")
    record = Assessment(assessment_id=f"SQ{applied_on:%Y%m%d}{secrets.token_hex(3).upper()}",
                        elevator_id=elevator_id, applied_on=applied_on)
    row = pl.DataFrame([record.model_dump()], schema=empty_table("assessments").drop(FILE_COL, ROW_COL).schema)
    store.write({"assessments": row}, "application", source="全面评估申请 assessment application",
                user_id=user_id, org_id=org_id)
    return record


def open_applications(store: Store, today: dt.date) -> pl.DataFrame:
    """Every assessment applied for and not completed, with its elevator's place and use unit (live, not cached)."""
    a, e = RECORD_TABLES["assessments"], RECORD_TABLES["elevators"]
    queue = store.read_typed("assessments", a.c.completed_on.is_(None))
    elevators = store.read_typed("elevators", e.c.elevator_id.in_(sa.select(a.c.elevator_id)
                                                                  .where(a.c.completed_on.is_(None))))
    orgs = store.read_typed("organizations").select(pl.col("org_id").alias("use_unit_id"),
                                                    pl.col("name").alias("use_unit_name"))
    return (queue.join(elevators.select("elevator_id", "district", "community", "use_unit_id", "maintenance_unit_id"),
                       on="elevator_id", how="left")
            .join(orgs, on="use_unit_id", how="left")
            .with_columns((pl.lit(today) - pl.col("applied_on")).dt.total_days().alias("waiting_days"))
            .sort("applied_on", "assessment_id"))
