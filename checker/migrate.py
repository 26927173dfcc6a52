"""`liftcheck credit migrate --data`: the facts a ledger written under fingerprint scheme 1 needs.

Scheme 1 keyed an inspection lapse by the run clipped to the sweep ("first..last"); Revision 2
keys it by the run's true first uncovered day, found from the whole history. Only the
submission can tell that day, so it is looked up here with the engine's own facts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

import polars as pl

from checker.facts import FactBase
from checker.load import load_submission
from checker.params import load_parameters
from checker.pipeline import InvalidSubmission
from checker.validate import validate


def inspection_keys(path: Path, params_file: Path | None = None) -> Callable[[str, str, str], str]:
    """(elevator, clipped first, clipped last) -> the first uncovered day of the run containing them."""
    sub = validate(load_submission(path))
    if sub.error_count:
        raise InvalidSubmission(sub)
    params = load_parameters(params_file)
    cache: dict[tuple[str, str], pl.DataFrame] = {}

    def key(elevator_id: str, first: str, last: str) -> str:
        if (first, last) not in cache:
            facts = FactBase(sub, params, dt.date.fromisoformat(first), dt.date.fromisoformat(last))
            cache[(first, last)] = facts.inspection_gaps.select("elevator_id", "first")
        runs = cache[(first, last)].filter(pl.col("elevator_id") == elevator_id)
        # the lapse is no longer in the data (corrected since): its recorded first day stays its key
        return runs.get_column("first").min().isoformat() if runs.height else first

    return key
