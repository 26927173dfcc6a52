"""The staggered difference-in-differences of the effect evaluation, by the csdid library.

Callaway & Sant'Anna (2021) group-time average treatment effects on the treated, ATT(g, t):
g is an elevator's cohort (the first whole month after the month its works were completed),
t a calendar month. Controls are the elevators not yet treated at t (never within the period,
or later); the month of completion is neither before nor after (anticipation = 1 month: the base
month of cohort g is g − 2, so no day after completion is ever counted as "before"). The
group-time effects are aggregated by the library into an overall effect (weighted by cohort
size) and an event study over months relative to completion. Confidence intervals come from the
library's multiplier bootstrap clustered on the elevator (every elevator's months move together).

Why csdid, and what was measured against it: docs/decisions/0002-effect-evaluation.md. The
library is imported lazily (scipy and statsmodels take seconds), and only here: the rest of
liftcheck never sees pandas.
"""

from __future__ import annotations

import contextlib
import io
import math
import threading
import warnings
import zlib
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from checker.errors import LiftcheckError

BOOT_ITERATIONS = 999
ALPHA = 0.05
ANTICIPATION = 1
# A split (a kind, a district, a conclusion) is estimated only with at least this many treated
# elevators and this many never-treated controls: fewer give an interval that means nothing.
MIN_TREATED = 5
MIN_CONTROLS = 5
# The interval rests on a normal approximation: with fewer events than this among the treated
# elevators before completion, after it, or among the controls, it is not stated (the estimate
# is). Measured over 40 samples of 10,000 elevators: with 0–3 events on the thinnest side (failed
# inspections) the 95% interval covered the planted value 32 times; with 9 or more (the other
# outcomes) 35–39 times (docs/effect.md).
MIN_EVENTS = 10
# The library prints its summaries and draws from numpy's global generator: one estimation at a
# time per process (the portal may run them from several threads).
_LOCK = threading.Lock()


@dataclass
class Estimate:
    outcome: str
    group: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    treated: int
    controls: int
    event_study: list[dict] = field(default_factory=list)   # event_time, estimate, ci_low, ci_high
    group_time: list[dict] = field(default_factory=list)    # cohort, month, estimate, ci_low, ci_high
    events: dict = field(default_factory=dict)              # treated_before, treated_after, controls
    too_few_events: bool = False


def require_library() -> None:
    try:
        import csdid  # noqa: F401
    except ImportError:
        raise LiftcheckError(
            "整治后评价需要 csdid 库：请运行 pip install 'liftcheck[effect]'",
            "the effect evaluation needs the csdid library: pip install 'liftcheck[effect]'") from None


def import_in_background() -> threading.Thread:
    """Import the library (seconds: scipy, statsmodels) while the submission is being read."""
    def load():   # a failure here shows again, as itself, where the library is used
        with contextlib.suppress(Exception):
            import csdid.att_gt  # noqa: F401

    thread = threading.Thread(target=load, name="liftcheck-import-csdid", daemon=True)
    thread.start()
    return thread


def _number(value) -> float | None:
    value = float(np.ravel(value)[0]) if value is not None else math.nan
    return value if math.isfinite(value) else None


def _interval(att, se) -> tuple[float | None, float | None, float | None]:
    """The estimate and its pointwise 95% interval, estimate ± z·se with the bootstrap's se."""
    att, se = _number(att), _number(se)
    if att is None:
        return None, None, None
    if se is None:
        return att, None, None
    z = 1.959963984540054
    return att, att - z * se, att + z * se


@contextlib.contextmanager
def _quiet_seeded(seed: int):
    """The library's own printing silenced, numpy's global generator seeded and then restored."""
    state = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        np.random.set_state(state)


def estimate(long: pl.DataFrame, outcome: str, group: str, seed: int = 1,
             iterations: int = BOOT_ITERATIONS) -> Estimate:
    """ATT(g, t), the overall effect and the event study of one outcome for one group.

    `long`: a balanced panel, one row per elevator and month: unit (int), t (1…T), g (the cohort's
    t, 0 for an elevator not treated within the period), y (events per 100 elevator-months) and
    events (the count). With fewer than MIN_EVENTS events on a side the overall interval is not
    stated (too_few_events); the event study's and the cells' are kept, for the charts."""
    units = long.group_by("unit").agg(pl.col("g").first())
    treated = int((units.get_column("g") > 0).sum())
    controls = units.height - treated
    result = Estimate(outcome, group, None, None, None, treated, controls)
    g, t = pl.col("g"), pl.col("t")
    result.events = {k: int(v) for k, v in long.select(
        pl.col("events").filter((g > 0) & (t < g - 1)).sum().alias("treated_before"),
        pl.col("events").filter((g > 0) & (t >= g)).sum().alias("treated_after"),
        pl.col("events").filter(g == 0).sum().alias("controls")).row(0, named=True).items()}
    result.too_few_events = min(result.events.values()) < MIN_EVENTS
    if treated < MIN_TREATED or controls < MIN_CONTROLS:
        return result
    import pandas as pd
    from csdid.att_gt import ATTgt
    from csdid.utils.mboot import mboot

    data = pd.DataFrame({c: long.get_column(c).to_numpy() for c in ("unit", "t", "g", "y")})
    with _LOCK, _quiet_seeded(seed + zlib.crc32(f"{outcome}|{group}".encode())):
        model = ATTgt(yname="y", tname="t", idname="unit", gname="g", data=data, control_group="notyettreated",
                      anticipation=ANTICIPATION, biters=iterations, alp=ALPHA, cband=False, panel=True)
        # the point estimates and influence functions first; then one multiplier bootstrap over all
        # of them (group-time cells, the overall effect, every event time) with the same draws: the
        # library's own mboot, called once instead of once per aggregate
        model.fit(est_method="reg", base_period="varying", bstrap=False)
        cells = model.results
        cell_inf = np.asarray(model.MP["inffunc"]["inffunc"])
        model.aggte(typec="simple", na_rm=True, bstrap=False)
        simple = model.atte
        model.aggte(typec="dynamic", na_rm=True, bstrap=False)
        dynamic = model.atte
        event_inf = np.asarray(dynamic["inf_function"]["dynamic_inf_func_e"])
        stacked = np.column_stack([np.ravel(simple["inf_function"]["simple_att"]), event_inf, cell_inf])
        se = np.asarray(mboot(stacked, model.dp)["se"], dtype=float)
    # an estimate no elevator's months move (no event on either side): no uncertainty, the interval
    # is the point itself (the library reports such a column as degenerate)
    se[np.all(stacked == 0, axis=0)] = 0.0
    n_events = event_inf.shape[1]
    result.estimate, result.ci_low, result.ci_high = _interval(simple["overall_att"], se[0])
    if result.too_few_events:
        result.ci_low = result.ci_high = None
    for e, att, s_e in zip(np.ravel(dynamic["egt"]), np.ravel(dynamic["att_egt"]), se[1:1 + n_events]):
        est, lo, hi = _interval(att, s_e)
        result.event_study.append({"event_time": int(e), "estimate": est, "ci_low": lo, "ci_high": hi})
    for g, t, att, s_e in zip(cells["group"], cells["year"], cells["att"], se[1 + n_events:]):
        est, lo, hi = _interval(att, s_e)
        result.group_time.append({"cohort": int(g), "month": int(t), "estimate": est, "ci_low": lo, "ci_high": hi})
    return result
