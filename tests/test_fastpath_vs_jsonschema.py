"""The vectorised validator, the JSON Schemas and the pydantic models reject the same bad rows."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.contract import record_types
from checker.load import load_submission
from checker.records import MODELS
from checker.validate import validate

GOOD = {"string": st.text("abc甲乙1", min_size=1, max_size=4), "integer": st.integers(0, 5),
        "number": st.floats(0, 1e6, allow_nan=False), "boolean": st.booleans(),
        "date": st.dates().map(lambda d: d.isoformat()),
        "datetime": st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S")),
        "list": st.lists(st.text("abc", min_size=1, max_size=3), max_size=2)}
BAD = [7, 1.5, True, "", " ", [" "], "2024/01/05", "2024-02-30", "86400", "是", [1], "not-a-code", -3, "12:00", None]
CROSS_ROW = {"reference", "duplicate_id", "duplicate_record", "order"}


def good_value(field):
    if field.kind == "enum":
        return st.sampled_from(sorted(field.enum_labels))
    if field.name == "rescue_code":
        return st.from_regex(r"\A[0-9]{6}\Z")
    if field.name == "maintenance_star":
        return st.integers(1, 5)
    return GOOD[field.kind]


@st.composite
def rows(draw, rt):
    out = []
    for i in range(draw(st.integers(1, 8))):
        row = {}
        for f in rt.fields:
            if f.required or draw(st.booleans()):
                row[f.name] = draw(good_value(f))
        if rt.unique:
            row[rt.unique] = f"ID{i}"
        if draw(st.integers(0, 2)) == 0:  # corrupt one field
            f = draw(st.sampled_from(rt.fields))
            bad = draw(st.sampled_from(BAD))
            if bad is None:
                row.pop(f.name, None)
            else:
                row[f.name] = bad
        out.append(row)
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(record_types())).flatmap(lambda n: st.tuples(st.just(n), rows(record_types()[n]))))
def test_fast_path_schema_and_model_reject_the_same_rows(case):
    name, records = case
    rt = record_types()[name]
    schema_check = jsonschema.Draft202012Validator(rt.schema, format_checker=jsonschema.FormatChecker())
    by_schema = {i + 1 for i, r in enumerate(records) if any(True for _ in schema_check.iter_errors(r))}
    by_model = set()
    for i, r in enumerate(records):
        try:
            MODELS[name].model_validate_json(json.dumps(r))
        except Exception:  # noqa: BLE001 - any validation error counts
            by_model.add(i + 1)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / f"{name}.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n",
                                                 encoding="utf-8")
        problems = validate(load_submission(tmp)).problems
    by_fast = {p["row"] for p in problems.to_dicts() if p["code"] not in CROSS_ROW}
    assert by_fast == by_schema == by_model, (records, problems.to_dicts())
