"""Deadline obligations, as rules.md defines them, in one place for every rule that has one.

An obligation arises from a record dated on or before `to`, is due on day D and fulfilled
on day F (or never). It is *violated* when D <= to and (F is empty or F > D); *reported*
in the period when violated and (F is empty or F >= from), since a breach settled before
the period began belongs to an earlier report; *pending* when D > to and F is empty.
"""

from __future__ import annotations

import datetime as dt

import polars as pl


def judge(df: pl.DataFrame, arises_on: pl.Expr, due_on: pl.Expr, fulfilled_on: pl.Expr,
          start: dt.date, end: dt.date) -> pl.DataFrame:
    """Add arises_on, due_on, fulfilled_on, violated, reported, pending and days_late."""
    # one after the other: a fulfilment may speak of the due day ("rectified by the due day")
    out = df.with_columns(arises_on.alias("arises_on")).with_columns(due_on.alias("due_on"))
    out = out.with_columns(fulfilled_on.alias("fulfilled_on"))
    out = out.filter(pl.col("arises_on").is_not_null() & (pl.col("arises_on") <= end))
    d, f = pl.col("due_on"), pl.col("fulfilled_on")
    violated = (d <= end) & (f.is_null() | (f > d))
    return out.with_columns(
        violated.alias("violated"),
        (violated & (f.is_null() | (f >= start))).alias("reported"),
        ((d > end) & f.is_null()).alias("pending"),
        # how late: until fulfilment, or until the period's end while still open
        pl.when(violated).then((pl.coalesce(f, pl.lit(end)) - d).dt.total_days()).alias("days_late"),
    )
