"""The report: one structure behind every output (JSON for machines, rich tables for people)."""

from __future__ import annotations

import polars as pl

from checker.credit import CreditSchedule, deductions, load_schedule, per_firm
from checker.engine import Evaluation
from checker.metrics import closed_loop
from checker.overrides import overrides_section
from checker.params import ParameterSet, value_at
from checker.rulebook import SEVERITY_ORDER, RuleBook, load_sources, ruleset_info
from checker.verdicts import Pending, VerdictTable


def plain(verdicts: list[Pending]) -> list[dict]:
    """Each pending obligation as model_dump() gives it: its fields are plain values already, so
    copying them gives the same dict. (Violations are plain dicts from the engine on.)"""
    return [dict(v.__dict__) for v in verdicts]


# Parameters every report relies on: the closed-loop rate counts hazards on old elevators.
# read whatever rules run: the age of "old", and whether a deduction is charged (R3-6)
_MACHINERY = {"old.min_age_years", "old.boundary", "opinion.in_force_from", "credit.objection_days"}


def parameters_section(params: ParameterSet, used: set[str], day) -> dict:
    out = {}
    for name, p in sorted(params.params.items()):
        if name not in used and name not in _MACHINERY:
            continue
        out[name] = {
            "value": p.at(day), "unit": p.unit, "basis": p.basis, "interpretation": p.interpretation,
            "overridden": p.overridden, "description_zh": p.description_zh, "description_en": p.description_en,
            "values": {d.isoformat(): v for d, v in p.values},
        }
    return out


def rejected_elevators(sub, names: dict[str, str]) -> list[dict]:
    """The elevators --skip-invalid left unjudged or judged on incomplete records, with why."""
    from checker.contract import record_types

    rows = sub.rejected_elevators
    if rows.height == 0:
        return []
    types = record_types()
    known = sub.table("elevators").select("elevator_id", "use_unit_id", "district")
    info = {r["elevator_id"]: r for r in known.filter(pl.col("elevator_id").is_in(rows.get_column("elevator_id").implode()))
            .iter_rows(named=True)}
    out = []
    for (elevator_id,), group in rows.group_by("elevator_id", maintain_order=True):
        records = dict(sorted(zip(group.get_column("record_type").to_list(), group.get_column("records").to_list()),
                              key=lambda tn: (tn[0] != "elevators", tn[0])))
        own = records.get("elevators", 0) > 0
        listed_zh = "、".join(f"{types[t].label} {n} 条" for t, n in records.items())
        listed_en = ", ".join(f"{n} {t}" for t, n in records.items())
        if own:
            zh = f"电梯本身的记录被拒收，未评判（被拒收：{listed_zh}）"
            en = f"the elevator's own record was rejected, so it was not judged (rejected: {listed_en})"
        else:
            zh = f"有记录被拒收（{listed_zh}）：依赖这些记录的规则对该电梯的评判不完整，可能多报或漏报"
            en = f"some of its records were rejected ({listed_en}): rules that rely on them judged it on incomplete records"
        unit = (info.get(elevator_id) or {}).get("use_unit_id")
        out.append({"elevator_id": elevator_id, "use_unit_id": unit, "use_unit_name": names.get(unit),
                    "district": (info.get(elevator_id) or {}).get("district"), "elevator_rejected": own,
                    "records": records, "reason_zh": zh, "reason_en": en})
    return out


def adoptions(params: ParameterSet, day) -> list[dict]:
    """R3-6: every interpretation adopted by a published document, in force by `day` (the ledger
    records them with each sweep)."""
    out = []
    for name, p in sorted(params.params.items()):
        for since, doc in sorted(p.adopted.items()):
            if since <= day:
                out.append({"parameter": name, "from": since.isoformat(), "value": value_at(p.values, since)} | doc)
    return out


def rule_sources(rule) -> dict:
    """R3-1: the law that lays a rule's duty (per party where it differs) and the draft sentences."""
    if rule is None:
        return {}
    sources = load_sources()
    parties = []
    for entry in rule.party_entries():
        src = sources[entry["source"]["law"]]
        parties.append({"party": entry["party"], "when": entry.get("when"),
                        "source": src.citation(entry["source"].get("article")), "source_en": src.citation_en(entry["source"].get("article")),
                        "duty": entry["source"]["duty"],
                        "draft": [{"ref": d["ref"], "text": d["text"], "coverage": d["coverage"]} for d in entry["draft"]]})
    return {"sources": parties}


def _counts(values: pl.Series) -> dict:
    """How often each value occurs (Counter over a column)."""
    counts = values.value_counts()
    return dict(zip(counts.get_column(values.name).to_list(), counts.get_column("count").to_list()))


def build_report(result: Evaluation, book: RuleBook, params: ParameterSet,
                 schedule: CreditSchedule | None = None, include_rejected: bool = False) -> dict:
    schedule = schedule or load_schedule(book=book)
    sub = result.submission
    violations = VerdictTable(result.verdicts)   # in report order, as columns
    orgs = sub.table("organizations")
    kinds = dict(zip(orgs.get_column("org_id").to_list(), orgs.get_column("kind").to_list()))
    names = dict(zip(orgs.get_column("org_id").to_list(), orgs.get_column("name").to_list()))
    unjudged = (result.unjudged.sort("elevator_id", "use_unit_id", "subject", "span_from", nulls_last=True)
                .with_columns(pl.col("span_from").dt.strftime("%Y-%m-%d"), pl.col("span_to").dt.strftime("%Y-%m-%d"))
                .to_dicts()) if result.unjudged.height else []
    items = deductions(violations, kinds, schedule, result.end.year, book, params)
    credit = per_firm(items, schedule, names)
    provisional = [i for i in items if i["status"] == "provisional"]
    params_used = parameters_section(params, result.used_parameters, result.end)
    by_severity = _counts(violations.flat.get_column("severity"))
    districts = violations.flat.get_column("district").cast(pl.String)
    summary = {
        "violations": len(violations),
        "by_severity": {s: by_severity.get(s, 0) for s in reversed(SEVERITY_ORDER)},
        "by_rule": {s.rule_id: s.violations for s in result.statuses if s.evaluated},
        "by_district": dict(sorted(_counts(districts.filter(districts.is_not_null() & (districts != ""))).items())),
        "pending": len(result.pending),
        "unjudged": len(unjudged),
        "not_evaluated": [{"rule_id": s.rule_id, "reason_zh": s.reason_zh, "reason_en": s.reason_en}
                          for s in result.statuses if not s.evaluated],
        "credit_points": sum(f["points"] for f in credit),
        "firms_with_deductions": sum(1 for f in credit if f["items"]),
        # R3-6: deductions that rest on a number liftcheck chose, or on a source not in force:
        # shown, never in a total or the ledger
        "provisional_points": sum(i["points"] for i in provisional),
        "provisional_deductions": len(provisional),
        "firms_with_provisional": len({i["org_id"] for i in provisional}),
        "rejected_records": sum(sub.rejected_counts.values()),
        "rejected_elevators": sub.rejected_elevators.get_column("elevator_id").n_unique(),
        "exit_status": 1 if violations else 0,
    }
    report = {
        "period": {"from": result.start.isoformat(), "to": result.end.isoformat()},
        "ruleset": ruleset_info(book, params.digest_material() + schedule.path.read_bytes()),
        "parameters": params_used,
        "overrides": overrides_section(book, params, result.end),
        "assumptions": [{"parameter": n, "value": p["value"], "basis": p["basis"]}
                        for n, p in params_used.items() if p["interpretation"]],
        "violations": violations,   # a VerdictTable: dicts only for whatever asks for them
        "pending": [p | {"use_unit_name": names.get(p["use_unit_id"])} for p in
                    plain(sorted(result.pending, key=lambda p: (p.due_on, p.rule_id, p.subject)))],
        "unjudged": unjudged,
        "rules": [s.model_dump() | rule_sources(book.rules.get(s.rule_id)) for s in result.statuses],
        "declared_from": {n: d.isoformat() for n, d in sorted(sub.declared_from.items())},
        "adoptions": adoptions(params, result.end),
        "summary": summary,
        "metrics": {"closed_loop_rate": closed_loop(result.loop_counts)},
        "fund_reviews": result.fund_reviews,
        "credit": credit,
        "credit_schedule": {"official": schedule.official, "notice_zh": schedule.notice_zh,
                            "notice_en": schedule.notice_en, "year_cap": schedule.year_cap,
                            "dishonest_threshold": schedule.dishonest_threshold},
    }
    if include_rejected:
        report["rejected"] = sub.problems.filter(pl.col("severity") == "error").to_dicts()
        report["rejected_elevators"] = rejected_elevators(sub, names)
    return report
