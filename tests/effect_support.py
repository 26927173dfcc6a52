"""Helpers for the effect evaluation's tests: a sample as a Submission without files, and the
planted value an estimate should cover."""

from __future__ import annotations

import datetime as dt

import polars as pl

from checker import effect as fx
from checker.load import FILE_COL, ROW_COL
from checker.sample import EFFECT_REMAINING, SampleSpec, generate
from checker.validate import PROBLEM_SCHEMA, Submission, history_starts

YEAR = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))


def as_submission(tables: dict[str, pl.DataFrame]) -> Submission:
    """The generated tables as a validated submission (the generator writes only valid records;
    tests/test_effect_cli.py takes the same samples through files, the loader and the validator)."""
    tables = {name: df.with_columns(pl.lit(f"{name}.csv").alias(FILE_COL),
                                    pl.int_range(2, df.height + 2, dtype=pl.Int64).alias(ROW_COL))
              for name, df in tables.items()}
    return Submission(tables=tables, present_types=set(tables), problems=pl.DataFrame(schema=PROBLEM_SCHEMA),
                      history=history_starts(tables, {}), record_counts={n: df.height for n, df in tables.items()})


def sample(elevators: int, seed: int, effect: bool = True, period=YEAR) -> Submission:
    return as_submission(generate(SampleSpec(elevators, *period, seed=seed, effect=effect)))


def planted_value(with_effect: fx.Panel, without: fx.Panel, outcome: str, units: pl.DataFrame) -> float:
    """The effect the generator planted on the compared treated elevators: the mean over their
    months after completion of (p_kind − 1) × the rate the same elevator-month has without the
    effect (the --no-effect twin of the sample: the same records but for the thinned events),
    the weighting of the library's overall effect (every treated elevator-month after completion)."""
    treated = units.filter(pl.col("role") == "treated").select("elevator_id", "g", "kind")
    months = (without.months.join(treated, on="elevator_id", how="inner")
              .filter(pl.col("month") + 1 >= pl.col("g"))
              .with_columns(fx.rate(pl.col(outcome), pl.col("service_days")).alias("y0"),
                            pl.col("kind").replace_strict(EFFECT_REMAINING, return_dtype=pl.Float64).alias("p")))
    assert with_effect.elevators.equals(without.elevators)
    return float(months.select(((pl.col("p") - 1) * pl.col("y0")).mean()).item())
