"""The sample's planted remediation effect (checker/sample.py, docs/sample-data.md): --no-effect
leaves every record as the generator made it before the effect existed; the effect only takes
away events dated after an elevator's first completed works, at the documented rate per kind."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from checker.sample import EFFECT_REMAINING, SampleSpec, first_completions, generate

YEAR = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))


@pytest.fixture(scope="module")
def pair():
    return (generate(SampleSpec(3000, *YEAR, seed=8)), generate(SampleSpec(3000, *YEAR, seed=8, effect=False)))


def test_only_the_five_outcomes_change_and_every_other_record_is_the_same(pair):
    planted, none = pair
    changed = {name for name in none if not planted[name].equals(none[name])}
    # (a failed inspection after the works is rare: 2 % of inspections; this sample may have none to take)
    assert {"entrapments", "alarm_tests", "hazards", "daily_checks"} <= changed <= {
        "entrapments", "alarm_tests", "hazards", "daily_checks", "inspections"}
    # a failed alarm test, a daily-check finding, a failed inspection taken away is recorded as passed
    for name, column in (("alarm_tests", "ok"), ("daily_checks", "result"), ("inspections", "conclusion")):
        assert planted[name].drop(column).equals(none[name].drop(column))


def _taken(planted: pl.DataFrame, none: pl.DataFrame, key: str) -> pl.DataFrame:
    return none.join(planted.select(key), on=key, how="anti")


def test_events_are_taken_only_after_the_first_completed_works(pair):
    planted, none = pair
    done = first_completions(none["works"])
    gone = _taken(planted["entrapments"], none["entrapments"], "incident_id").with_columns(
        pl.col("reported_at").dt.date().alias("day"))
    gone = pl.concat([gone.select("elevator_id", "day"),
                      _taken(planted["hazards"], none["hazards"], "hazard_id").select("elevator_id",
                                                                                     pl.col("found_on").alias("day"))])
    flipped = (none["daily_checks"].with_row_index().filter(
        pl.Series((none["daily_checks"]["result"] != planted["daily_checks"]["result"]).to_list()))
        .select("elevator_id", pl.col("date").alias("day")))
    everything = pl.concat([gone, flipped]).join(done, on="elevator_id", how="left")
    assert everything.height > 20
    assert everything.filter(pl.col("completed_on").is_null() | (pl.col("day") <= pl.col("completed_on"))).height == 0
    # the showcases of other rules stay: the first entrapment and the first hazard
    assert planted["entrapments"].item(0, "incident_id") == "KR0000000"
    assert planted["hazards"].item(0, "hazard_id") == "YH0000000"


def test_the_share_taken_after_completion_is_the_documented_one_by_kind():
    """Over a large sample the share of daily-check findings after completion that remain is
    EFFECT_REMAINING[kind] within binomial noise (3 standard errors)."""
    start, end = YEAR
    planted = generate(SampleSpec(20000, start, end, seed=2))["daily_checks"]
    none = generate(SampleSpec(20000, start, end, seed=2, effect=False))
    done = first_completions(none["works"])
    after = (none["daily_checks"].with_columns(planted.get_column("result").alias("planted"))
             .filter(pl.col("result") == "hazard_found").join(done, on="elevator_id", how="inner")
             .filter(pl.col("date") > pl.col("completed_on"))
             .group_by("kind").agg(pl.len().alias("n"), (pl.col("planted") == "hazard_found").mean().alias("kept")))
    shares = {r["kind"]: (r["n"], r["kept"]) for r in after.iter_rows(named=True)}
    assert set(shares) == set(EFFECT_REMAINING)
    for kind, (n, kept) in shares.items():
        p = EFFECT_REMAINING[kind]
        assert abs(kept - p) < 3 * (p * (1 - p) / n) ** 0.5, (kind, n, kept)


def test_the_cli_writes_no_effect_samples_on_request(tmp_path):
    from click.testing import CliRunner

    from checker.cli import main

    for flag, name in (([], "planted"), (["--no-effect"], "none")):
        result = CliRunner().invoke(main, ["sample", str(tmp_path / name), "--elevators", "400", "--seed", "3", *flag])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "planted/works.csv").read_bytes() == (tmp_path / "none/works.csv").read_bytes()
    assert (tmp_path / "planted/daily_checks.csv").read_bytes() != (tmp_path / "none/daily_checks.csv").read_bytes()
    from checker.sample import write

    write(generate(SampleSpec(400, *YEAR, seed=3, effect=False)), tmp_path / "api")
    assert (tmp_path / "api/daily_checks.csv").read_bytes() == (tmp_path / "none/daily_checks.csv").read_bytes()


@pytest.mark.parametrize("elevators, end", [(3, dt.date(2024, 1, 31)), (1, dt.date(2024, 1, 10))])
def test_a_sample_without_entrapments_or_works_is_made_with_the_effect_as_without(elevators, end):
    """Empty tables (no entrapment, no works) take the effect as they are: nothing to thin."""
    spec = dict(elevators=elevators, start=dt.date(2024, 1, 1), end=end, seed=7)
    planted, none = generate(SampleSpec(**spec)), generate(SampleSpec(**spec, effect=False))
    assert planted["works"].height == 0
    assert all(planted[name].equals(none[name]) for name in none)
