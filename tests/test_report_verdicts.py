"""The report lists each verdict exactly as its model would dump it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import polars as pl
import pytest

from checker.engine import _verdict_rows, evaluate
from checker.load import load_submission
from checker.params import load_parameters
from checker.report import build_report, plain
from checker.rulebook import load_rulebook
from checker.sample import SampleSpec, generate, write
from checker.validate import validate
from checker.verdicts import Violation


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """An 80-elevator half-year, judged: (submission, evaluation, rule book, parameters)."""
    folder = tmp_path_factory.mktemp("sample")
    write(generate(SampleSpec(80, dt.date(2024, 1, 1), dt.date(2024, 6, 30), seed=9)), folder)
    book, params = load_rulebook(), load_parameters()
    sub = validate(load_submission(folder))
    return sub, evaluate(sub, book, params, dt.date(2024, 1, 1), dt.date(2024, 6, 30)), book, params


def test_the_reports_verdicts_are_their_models_dumps(judged):
    _, result, book, params = judged
    assert len(result.violations) > 50 and result.pending
    # every verdict the engine hands over is a valid Violation, exactly as the model dumps it,
    # keys in field order (as the JSON report shows them)
    assert [Violation.model_validate(v, strict=True).model_dump() for v in result.violations] == result.violations
    assert all(list(v) == list(Violation.model_fields) for v in result.violations)
    assert plain(result.pending) == [p.model_dump() for p in result.pending]
    report = build_report(result, book, params)
    ordered = sorted(result.violations, key=lambda v: (
        -["notice", "general", "major", "serious"].index(v["severity"]), v["rule_id"], v["subject"], v["period_key"]))
    assert list(report["violations"]) == ordered and len(report["violations"]) == len(ordered)
    # the JSON report holds the same verdicts, one per line
    from checker.render import report_json_bytes

    text = report_json_bytes(report)
    assert json.loads(text)["violations"] == ordered
    lines = text.decode().splitlines()
    start = lines.index('  "violations": [')
    assert [json.loads(line.strip().rstrip(",")) for line in lines[start + 1:start + 1 + len(ordered)]] == ordered
    assert lines[start + 1 + len(ordered)] == "  ],"
    # written in pieces: any batch size gives the same text, and no verdicts give []
    verdicts = report["violations"]
    assert b"".join(verdicts.json_array(2, batch=7)) == b"".join(verdicts.json_array(2, batch=len(ordered)))
    assert b"".join(type(verdicts)([]).json_array(2)) == b"[]"
    assert json.loads(report_json_bytes(build_report(
        dataclasses.replace(result, verdicts=[]), book, params)))["violations"] == []


def _one_violation(**changes) -> pl.DataFrame:
    row = {"rule_id": "R", "title": "t", "title_en": "t", "clause": "c", "draft": "d", "severity": "general",
           "responsible_role": "use_unit", "responsible_org_id": "O", "responsible_name": "n", "elevator_id": "E",
           "use_unit_id": "O", "use_unit_name": "n", "maintenance_unit_id": None, "district": "玄武区",
           "subject": "E", "period_key": "2024-01", "identity_day": "2024-01-01", "depends_on": [],
           "evidence": {"month": "2024-01"}, "message_zh": "m",
           "message_en": "m", "fingerprint": "f"}
    return pl.DataFrame([row | changes]).with_columns(pl.col("depends_on").cast(pl.List(pl.String)))


@pytest.mark.parametrize("changes, column", [
    ({"severity": "grave"}, "severity"),                    # not one of the four severities
    ({"responsible_role": "landlord"}, "responsible_role"),
    ({"subject": None}, "subject"),                         # text the model requires
    ({"title": 3}, "title"),                                # a number where text is due
])
def test_a_verdict_the_model_would_refuse_is_refused_by_column(changes, column):
    assert _verdict_rows(_one_violation()).to_dicts() == [
        Violation.model_validate(_one_violation().row(0, named=True)).model_dump()]
    with pytest.raises(ValueError, match=f"verdict column {column} "):
        _verdict_rows(_one_violation(**changes))


def test_each_deduction_is_a_valid_deduction_in_field_order(judged):
    from checker.credit import Deduction, deductions, load_schedule
    from checker.verdicts import VerdictTable

    sub, result, book, _ = judged
    orgs = sub.table("organizations")
    kinds = dict(zip(orgs["org_id"], orgs["kind"]))
    schedule = load_schedule(book=book)
    verdicts = VerdictTable(result.verdicts)
    items = deductions(verdicts, kinds, schedule, 2024)
    assert len(items) > 20
    assert [Deduction.model_validate(d, strict=True).model_dump() for d in items] == items
    assert all(list(d) == list(Deduction.model_fields) for d in items)
    # the same deductions as a verdict-by-verdict reading of credit.yaml, in the report's order
    expected = [{"org_id": v["responsible_org_id"], "org_name": v["responsible_name"], "rule_id": v["rule_id"],
                 "subject": v["subject"], "period_key": v["period_key"], "fingerprint": v["fingerprint"],
                 "points": schedule.points_for(v), "clause": v["clause"], "severity": v["severity"], "year": 2024,
                 "identity_day": v["identity_day"]}
                for v in verdicts if v["responsible_role"] == "use_unit"
                and kinds.get(v["responsible_org_id"]) == "property_service_enterprise" and schedule.points_for(v) > 0]
    decided = ("status", "provisional_zh", "provisional_en")
    assert [{k: d[k] for k in d if k not in decided} for d in items] == expected
    # R3-6: provisional exactly when there is a reason, in both languages (which reasons: test_oracle.py)
    assert all((d["status"] == "provisional") == bool(d["provisional_zh"]) and
               len(d["provisional_zh"]) == len(d["provisional_en"]) for d in items)
    assert {d["status"] for d in items} == {"charged", "provisional"}
    # plain points, points by severity (HAZARD-OVERDUE), and a rule of the maintenance unit's
    assert {d["rule_id"] for d in items} >= {"DAILY-CHECK", "HAZARD-OVERDUE"}
    assert len({d["points"] for d in items if d["rule_id"] == "HAZARD-OVERDUE"}) > 1
    assert any(v["rule_id"] == "MAINT-INTERVAL" for v in verdicts) and "MAINT-INTERVAL" not in {d["rule_id"] for d in items}


def test_a_verdict_frame_polars_would_write_differently_is_written_from_its_dicts():
    """Types polars' JSON writer renders its own way (a span of time, a 32-bit float) never reach
    the JSON report through it: such a frame is written from its dicts, as the rest of the report."""
    import datetime as dt
    import json

    from checker.verdicts import VerdictTable, _json_lines

    frame = _one_violation().with_columns(pl.struct(pl.lit(dt.timedelta(days=3)).alias("gap"),
                                                    pl.lit(0.1, pl.Float32).alias("share")).alias("evidence"))
    [line] = _json_lines(frame).get_column("j").to_list()
    assert json.loads(line)["evidence"] == {"gap": "3 days, 0:00:00", "share": 0.10000000149011612}
    plain = _one_violation()
    assert _json_lines(plain).get_column("j").to_list() == [
        pl.DataFrame([plain.row(0, named=True)]).select(pl.struct(pl.all()).struct.json_encode()).item()]
    assert json.loads(b"".join(VerdictTable([frame]).json_array(2)))[0]["evidence"]["gap"] == "3 days, 0:00:00"


def test_deductions_take_a_rules_all_null_org_column_typed_null():
    from checker.credit import deductions, load_schedule
    from checker.rulebook import load_rulebook
    from checker.verdicts import VerdictTable

    frame = _one_violation(responsible_org_id=None, responsible_name=None).with_columns(
        pl.lit(None, pl.Null).alias("responsible_org_id"), pl.lit(None, pl.Null).alias("responsible_name"))
    assert frame.schema["responsible_org_id"] == pl.Null
    assert deductions(VerdictTable([_verdict_rows(frame)]), {"O": "property_service_enterprise"},
                      load_schedule(book=load_rulebook()), 2024) == []
