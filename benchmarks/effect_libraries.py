"""How the DiD libraries compare on a planted effect: speed and agreement (docs/decisions/0002).

Each candidate is installed in a virtual environment of its own beside liftcheck, then:

    python -m venv /tmp/cand-csdid && /tmp/cand-csdid/bin/pip install -e . csdid
    /tmp/cand-csdid/bin/python benchmarks/effect_libraries.py csdid synthetic 20000
    /tmp/cand-csdid/bin/python benchmarks/effect_libraries.py csdid sample 20000 --seed 7

(likewise `differences` and `pyfixest`). `synthetic`: a Poisson panel of N elevators × 12
months, 4 % (or --share) treated in staggered monthly cohorts, a planted effect of −50 % on a
rate of 3.33 per 100 elevator-months (truth −1.665). `sample`: liftcheck's own city sample with
its planted effect (checker/sample.py) and the --no-effect twin, through checker/effect.py's
panel; the truth is the planted value (tests/effect_support.py). Every library is run as its
documentation shows, with 999 bootstrap draws where it bootstraps; the time is the estimation's
alone (the import is printed apart).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def synthetic(n: int, share: float, months: int = 12, rate: float = 3.33, effect: float = -0.5, seed: int = 0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    treated = rng.random(n) < share
    g = np.where(treated, rng.integers(2, months + 4, size=n), 0)
    g = np.where(g > months, 0, g)
    level = rng.gamma(4, rate / 4, size=n)
    t = np.tile(np.arange(1, months + 1), n)
    unit = np.repeat(np.arange(n), months)
    gg = np.repeat(g, months)
    lam = np.repeat(level, months) * (1 + effect * ((gg > 0) & (t >= gg)))
    y = rng.poisson(lam / 100) * 100.0
    return pd.DataFrame({"unit": unit, "t": t, "g": gg, "y": y}), effect * rate


def from_sample(n: int, seed: int, outcome: str, effect: bool):
    import pandas as pd

    from checker import effect as fx
    from effect_support import YEAR, planted_value, sample

    panel = fx.build_panel(sample(n, seed, effect), *YEAR)
    units = fx.comparison_units(panel)
    long = fx.long_panel(panel, units, outcome)
    truth = 0.0
    if effect:
        twin = fx.build_panel(sample(n, seed, False), *YEAR)
        truth = planted_value(panel, twin, outcome, units)
    return pd.DataFrame({c: long.get_column(c).to_numpy() for c in ("unit", "t", "g", "y", "events")}), truth


def run(lib: str, df, iterations: int):
    """(seconds, (estimate, ci_low, ci_high)) of the overall effect, with an event study made too."""
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        if lib == "csdid":
            from csdid.att_gt import ATTgt

            np.random.seed(1)
            m = ATTgt(yname="y", tname="t", idname="unit", gname="g", data=df, control_group="notyettreated",
                      anticipation=1, biters=iterations)
            m.fit(est_method="reg", bstrap=True)
            m.aggte(typec="simple")
            att, se = float(np.ravel(m.atte["overall_att"])[0]), float(np.ravel(m.atte["overall_se"])[0])
            m.aggte(typec="dynamic")
            out = (att, att - 1.959964 * se, att + 1.959964 * se)
        elif lib == "liftcheck":   # csdid as checker/effect_estimate.py calls it (one joint bootstrap)
            import polars as pl

            from checker.effect_estimate import estimate

            frame = df if "events" in df else df.assign(events=(df.y / 100).round().astype("int64"))
            e = estimate(pl.from_dict({c: frame[c].to_numpy() for c in frame.columns}), "y", "all", 1, iterations)
            out = (e.estimate, e.ci_low, e.ci_high)
        elif lib == "differences":
            from differences import ATTgt

            d = df.assign(cohort=df.g.where(df.g > 0)).set_index(["unit", "t"])
            a = ATTgt(data=d, cohort_column="cohort", anticipation=1)
            a.fit("y", control_group="not_yet_treated", boot_iterations=iterations, random_state=1, progress_bar=False)
            s = a.aggregate("simple", boot_iterations=iterations)
            a.aggregate("event", boot_iterations=iterations)
            r = s.iloc[0]
            out = (float(r.iloc[0]), float(r.iloc[2]), float(r.iloc[3]))
        elif lib == "pyfixest":   # Gardner's two-stage imputation (did2s), the anticipation month dropped
            import pyfixest as pf

            d = df[~((df.g > 0) & (df.t == df.g - 1))].copy()
            d["treat"] = ((d.g > 0) & (d.t >= d.g)).astype(int)
            fit = pf.did2s(d, yname="y", first_stage="~0|unit+t", second_stage="~treat", treatment="treat",
                           cluster="unit")
            tb = fit.tidy()
            out = (float(tb.Estimate.iloc[0]), float(tb["2.5%"].iloc[0]), float(tb["97.5%"].iloc[0]))
        else:
            raise SystemExit(f"unknown library {lib}")
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("lib", choices=["csdid", "liftcheck", "differences", "pyfixest"])
    ap.add_argument("data", choices=["synthetic", "sample"])
    ap.add_argument("elevators", type=int)
    ap.add_argument("--share", type=float, default=0.04)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--outcome", default="entrapments")
    ap.add_argument("--iterations", type=int, default=999)
    args = ap.parse_args()
    t0 = time.perf_counter()
    __import__({"csdid": "csdid.att_gt", "liftcheck": "csdid.att_gt", "differences": "differences",
                "pyfixest": "pyfixest"}[args.lib])
    imported = time.perf_counter() - t0
    cases = [synthetic(args.elevators, args.share) + ("planted",)] if args.data == "synthetic" else [
        from_sample(args.elevators, args.seed, args.outcome, True) + ("planted",),
        from_sample(args.elevators, args.seed, args.outcome, False) + ("none",)]
    for df, truth, label in cases:
        seconds, (est, lo, hi) = run(args.lib, df, args.iterations)
        print(f"{args.lib} {args.data} {label} units={df.unit.nunique()} import={imported:.2f}s fit={seconds:.2f}s "
              f"truth={truth:.3f} estimate={est!r} ci=[{lo:.3f}, {hi:.3f}] covers={lo <= truth <= hi}")


if __name__ == "__main__":
    main()
