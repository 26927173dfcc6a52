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


# ---- Revision 3: what it would not charge (R3-6) -------------------------------------------------

def _day_of_key(period_key: str) -> dt.date | None:
    """The identity day a breach key names by itself: a month (its first day), an ISO week (its
    Monday), a day, or a year (its first day); None for a record id (only the data can tell)."""
    import re

    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", period_key):
        return dt.date.fromisoformat(period_key)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}", period_key):
        return dt.date.fromisoformat(period_key + "-01")
    if re.fullmatch(r"[0-9]{4}-W[0-9]{2}", period_key):
        return dt.date.fromisocalendar(int(period_key[:4]), int(period_key[6:]), 1)
    if re.fullmatch(r"[0-9]{4}", period_key):
        return dt.date(int(period_key), 1, 1)
    return None


def revision3_by_rule(rows: list[dict], params_file: Path | None = None) -> tuple[dict[str, str], list[dict]]:
    """Without the submission: (fingerprint -> why Revision 3 would not charge it) for the rows the
    rule book alone decides, and the rows it cannot (their case decides: the data must be given)."""
    from checker.credit import load_schedule
    from checker.rulebook import RETIRED, load_rulebook, load_sources

    book, params, schedule, sources = load_rulebook(), load_parameters(params_file), load_schedule(), load_sources()
    marks: dict[str, str] = {}
    undecided: list[dict] = []
    for row in rows:
        rule = book.rules.get(row["rule_id"])
        if rule is None:
            why = RETIRED.get(row["rule_id"], ("修订三不再有这条规则", ""))[0]
            marks[row["fingerprint"]] = f"修订三：{why}"
            continue
        entry = next((e for e in rule.party_entries() if e["party"] == "use_unit"), None)
        if entry is None or not schedule.points.get(rule.id):
            marks[row["fingerprint"]] = f"修订三：{rule.id} 不是物业服务企业（使用单位）的义务，或不扣分"
            continue
        interpretations = [n for n in rule.parameters if n not in rule.body.get("depends", {})
                           and params[n].interpretation and not params[n].narrows_law and not params[n].adopted]
        if interpretations:
            marks[row["fingerprint"]] = f"修订三：依据解释性参数 {'、'.join(interpretations)}（未经正式采纳），扣分暂定"
            continue
        day = _day_of_key(row["period_key"]) if not rule.body.get("depends") else None
        if day is None:
            undecided.append(row)
            continue
        src = sources[entry["source"]["law"]]
        since = src.in_force_from if src.in_force_parameter is None else params.at(src.in_force_parameter, day)
        if since is None or since > day:
            marks[row["fingerprint"]] = f"修订三：依据的{src.title}在违规日 {day} 尚未施行"
    return marks, undecided


def revision3_by_data(rows: list[dict], path: Path, sweeps: list[tuple[str, str]],
                      params_file: Path | None = None) -> dict[str, str]:
    """With the submission: every recorded sweep's period judged again under Revision 3; a row
    is kept where some period charges it, and marked with why otherwise."""
    from checker.pipeline import run_check

    charged: set[str] = set()
    provisional: dict[str, str] = {}
    for start, end in sorted(set(sweeps)):
        report = run_check(path, dt.date.fromisoformat(start), dt.date.fromisoformat(end), params_file).report
        for firm in report["credit"]:
            charged |= {i["fingerprint"] for i in firm["items"]}
            for i in firm["provisional_items"]:
                provisional[i["fingerprint"]] = "修订三：" + "；".join(i["provisional_zh"]) + "，扣分暂定"
    marks = {}
    for row in rows:
        if row["fingerprint"] in charged:
            continue
        marks[row["fingerprint"]] = provisional.get(
            row["fingerprint"], f"修订三：重新评判后，{row['rule_id']} 不再认定此项为物业服务企业的违规（责任方、依据或条件已改）")
    return marks
