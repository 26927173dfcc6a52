"""Reviews: checks the report lists that are not violations (rules R3-3).

The fund review (rules/reviews/FUND-EMERGENCY-BASIS.yaml) asks, for each emergency-channel
application of an old elevator applied in the period, whether its assessment basis is sound,
prerequisite by prerequisite. Its prerequisites are definitions of rules/definitions.yaml, which
FUND-DECISION-TIME reads too (well_founded_emergency_application): one text decides both. A
review has no responsible party and no fingerprint, and never reaches the ledger.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

from checker import wording
from checker.engine import prerequisite_columns
from checker.expressions import Compiler, load_definitions, period_constants
from checker.facts import FactBase
from checker.params import ParameterSet
from checker.resources import data_dir

FUND_REVIEW = "FUND-EMERGENCY-BASIS"


def load_review(name: str = FUND_REVIEW) -> dict:
    return _load_review(data_dir("rules") / "reviews" / f"{name}.yaml")


@lru_cache(maxsize=4)
def _load_review(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def review_fund_applications(facts: FactBase, params: ParameterSet, application_id: str | None = None) -> list[dict]:
    """The fund review of every application it concerns (or of one), by application day and id."""
    review = load_review()
    table = facts.emergency_fund_applications
    if application_id is not None:
        table = table.filter(pl.col("application_id") == application_id)
    compiler = Compiler(params, set(table.columns), period_constants(facts.start, facts.end), "rules/reviews/"
                        f"{FUND_REVIEW}.yaml", definitions=load_definitions())
    table = table.filter(compiler.compile(review["applies_when"]))
    if table.height == 0:
        return []
    prerequisites = [(p, compiler.compile(p["holds"])) for p in review["prerequisites"]]
    judged = table.with_columns(*prerequisite_columns(prerequisites)).sort("applied_on", "application_id")
    texts = {p["id"]: {lang: wording.render_static(p[lang], params, facts.end, lang) for lang in ("zh", "en")}
             for p in review["prerequisites"]}
    out = []
    for row in judged.select("application_id", "elevator_id", "use_unit_id", "use_unit_name", "district",
                             pl.col("applied_on").dt.strftime("%Y-%m-%d"), "assessment_id", "unmet",
                             "prerequisites").to_dicts():
        checks = []
        for p in review["prerequisites"]:
            holds = row["prerequisites"][p["id"]]
            checks.append({"id": p["id"], "holds": holds,
                           "status": {True: "holds", False: "fails", None: "not_judged"}[holds],
                           "failure_zh": texts[p["id"]]["zh"] if holds is False else None,
                           "failure_en": texts[p["id"]]["en"] if holds is False else None})
        unmet = row.pop("unmet")
        row.pop("prerequisites")
        row |= {"well_founded": not unmet, "prerequisites": checks, "unmet": unmet,
                "unmet_zh": "；".join(texts[u]["zh"] for u in unmet), "unmet_en": "; ".join(texts[u]["en"] for u in unmet)}
        out.append(row)
    return out
