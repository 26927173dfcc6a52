"""The report lists each verdict exactly as its model dumps it."""

from __future__ import annotations

import datetime as dt

from checker.engine import evaluate
from checker.load import load_submission
from checker.params import load_parameters
from checker.report import build_report, plain
from checker.rulebook import load_rulebook
from checker.sample import SampleSpec, generate, write
from checker.validate import validate


def test_the_reports_verdicts_are_their_models_dumps(tmp_path):
    write(generate(SampleSpec(80, dt.date(2024, 1, 1), dt.date(2024, 6, 30), seed=9)), tmp_path)
    book, params = load_rulebook(), load_parameters()
    result = evaluate(validate(load_submission(tmp_path)), book, params, dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    assert len(result.violations) > 50 and result.pending
    assert plain(result.violations) == [v.model_dump() for v in result.violations]
    assert plain(result.pending) == [p.model_dump() for p in result.pending]
    # keys in field order, as the JSON report shows them; the evidence a copy, not the verdict's own
    first = plain(result.violations)[0]
    assert list(first) == list(type(result.violations[0]).model_fields)
    first["evidence"]["extra"] = 1
    assert "extra" not in result.violations[0].evidence
    report = build_report(result, book, params)
    assert report["violations"] == sorted(plain(result.violations), key=lambda v: (
        -["notice", "general", "major", "serious"].index(v["severity"]), v["rule_id"], v["subject"], v["period_key"]))
