"""The effect evaluation against the truth: on samples with the planted effect (checker/sample.py)
the 95% interval of each outcome's overall effect covers the planted value, and on the
--no-effect twins it covers 0, in at least 90% of 40 seeded samples each.

The planted value is the effect the generator planted on the compared treated elevators
(tests/effect_support.py: p_kind − 1 times the rate the same elevator-month has in the twin
without the effect). The slow test draws 40 city-sized samples (20,000 elevators: about 420
treated and 235 control elevators); the default suite runs the first 2 of 10,000 elevators.
An interval withheld for too few events (effect_estimate.MIN_EVENTS) counts as not covering:
for entrapments, failed alarm tests, hazards and daily-check findings the 90% must be met with
stated intervals. Failed periodic inspections (2% of yearly inspections: 0–4 events a side even
in a city-year) get no interval in at least 90% of the samples instead, and those stated must
cover. Measured (docs/effect.md): at 20,000 elevators the four covered 38–40 times of 40; at
10,000 failed alarm tests covered only 35 times, hence the city size for the slow test."""

from __future__ import annotations

import pytest

from checker import effect as fx
from checker.effect_estimate import estimate
from effect_support import YEAR, planted_value, sample

DENSE = ["entrapments", "alarm_failures", "hazards", "daily_findings"]


def intervals(seeds, elevators: int) -> dict[tuple[str, str], list[bool | None]]:
    """(outcome, planted|none) -> per seed: covered (True/False), or None when withheld."""
    out = {(o, kind): [] for o in fx.OUTCOMES for kind in ("planted", "none")}
    for seed in seeds:
        planted = fx.build_panel(sample(elevators, seed), *YEAR)
        twin = fx.build_panel(sample(elevators, seed, effect=False), *YEAR)
        units = fx.comparison_units(planted)
        assert units.equals(fx.comparison_units(twin))
        for outcome in fx.OUTCOMES:
            truth = planted_value(planted, twin, outcome, units)
            for kind, panel, value in (("planted", planted, truth), ("none", twin, 0.0)):
                e = estimate(fx.long_panel(panel, units, outcome), outcome, "all", seed)
                out[(outcome, kind)].append(None if e.ci_low is None else e.ci_low <= value <= e.ci_high)
    return out


def check(result: dict, samples: int) -> None:
    need = -(-9 * samples // 10)   # 90%, rounded up
    for (outcome, kind), hits in result.items():
        stated = [h for h in hits if h is not None]
        if outcome in DENSE:
            assert sum(stated) >= need, (outcome, kind, hits)
        else:
            assert len(stated) <= samples - need and all(stated), (outcome, kind, hits)


@pytest.mark.slow
def test_intervals_cover_the_planted_value_and_zero_in_90_percent_of_40_samples_each():
    check(intervals(range(1, 41), 20_000), 40)


def test_intervals_cover_the_planted_value_and_zero_on_two_samples():
    check(intervals(range(1, 3), 10_000), 2)
