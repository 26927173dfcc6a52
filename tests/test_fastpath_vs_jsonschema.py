"""The vectorised validator, the JSON Schemas and the pydantic models reject the same bad rows,
and the validator finds exactly the cross-row problems (unknown references, duplicate ids,
duplicate records, dates out of order) that this test computes from the rows itself."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from conftest import examples
from checker.contract import record_types
from checker.load import load_submission
from checker.records import MODELS
from checker.validate import validate

GOOD = {"string": st.text("abc甲乙1", min_size=1, max_size=4), "integer": st.integers(0, 5),
        "number": st.floats(0, 1e6, allow_nan=False), "boolean": st.booleans(),
        "date": st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)).map(lambda d: d.isoformat()),
        "datetime": st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2030, 12, 31)).map(
            lambda d: d.strftime("%Y-%m-%dT%H:%M:%S")),
        "list": st.lists(st.text("abc", min_size=1, max_size=3), max_size=2)}
BAD = [7, 1.5, True, "", " ", [" "], "2024/01/05", "2024-02-30", "86400", "是", [1], "not-a-code", -3, "12:00", None]
CROSS_ROW = {"reference", "duplicate_id", "duplicate_record", "order", "together"}
# records.md, "Bad input": the dates that must not come before another (later field, earlier field)
ORDER = {"stop_periods": [("end", "start")],
         "entrapments": [("arrived_at", "reported_at"), ("released_at", "reported_at"), ("released_at", "arrived_at"),
                         ("notified_at", "reported_at"), ("arrived_at", "notified_at")],
         # Revision 3
         "fund_applications": [("decided_on", "applied_on")], "assessments": [("funding_plan_on", "completed_on")],
         "works": [("completed_on", "started_on")]}
# records.md Revision 3: a fund decision is given exactly when its date is (field, partner)
TOGETHER = {"fund_applications": [("decision", "decided_on")]}
UNKNOWN = "NOPE9"  # an id no record has

# The records the tested rows may refer to: valid, and written beside them unless they are the tested type.
BASE = {
    "organizations": [{"org_id": "O1", "name": "甲物业", "kind": "property_service_enterprise"},
                      {"org_id": "O2", "name": "乙维保", "kind": "maintenance_unit", "maintenance_star": 4},
                      {"org_id": "O3", "name": "丙制造", "kind": "manufacturer"}],
    "elevators": [{"elevator_id": f"E{i}", "district": "玄武区", "community": "梅园", "commissioned_on": "2008-02-29",
                   "use_unit_id": "O1", "maintenance_unit_id": "O2", "status": "in_service", "affordable_housing": False}
                  for i in (1, 2, 3)],
    "assessments": [{"assessment_id": "A1", "elevator_id": "E1", "applied_on": "2024-01-05"}],
}
NEEDS = {"organizations": [], "elevators": ["organizations"], "assessments": ["organizations", "elevators"]}


def base_for(name: str) -> dict[str, list[dict]]:
    """The base files the tested type may refer to (all of them below it), without the tested type."""
    refs = {f.ref for f in record_types()[name].fields if f.ref}
    wanted = set(refs)
    for ref in refs:
        wanted |= set(NEEDS[ref])
    return {n: rows for n, rows in BASE.items() if n in wanted and n != name}


def good_value(field):
    if field.kind == "enum":
        return st.sampled_from(sorted(field.enum_labels))
    if field.kind == "list" and field.enum_labels:   # works.funding: a list of codes
        return st.lists(st.sampled_from(sorted(field.enum_labels)), max_size=2)
    if field.name == "rescue_code":
        return st.from_regex(r"\A[0-9]{6}\Z")
    if field.name == "maintenance_star":
        return st.integers(1, 5)
    if field.ref:
        known = [r[record_types()[field.ref].unique] for r in BASE[field.ref]]
        return st.sampled_from(known)
    return GOOD[field.kind]


@st.composite
def rows(draw, rt):
    out: list[dict] = []
    for i in range(draw(st.integers(1, 8))):
        row = {}
        for f in rt.fields:
            if f.required or draw(st.booleans()):
                row[f.name] = draw(good_value(f))
        if rt.unique:
            row[rt.unique] = f"ID{i}"
        plant = draw(st.sampled_from(["none", "none", "field", "reference", "duplicate_id", "copy", "order"]))
        if plant == "field":  # one field's value of the wrong type or format, or a field left out
            f = draw(st.sampled_from(rt.fields))
            bad = draw(st.sampled_from(BAD))
            if bad is None:
                row.pop(f.name, None)
            else:
                row[f.name] = bad
        elif plant == "reference" and any(f.ref for f in rt.fields):
            row[draw(st.sampled_from([f.name for f in rt.fields if f.ref]))] = UNKNOWN
        elif plant == "duplicate_id" and rt.unique and out:
            row[rt.unique] = draw(st.sampled_from(out))[rt.unique]
        elif plant == "copy" and out:
            row = dict(draw(st.sampled_from(out)))
        elif plant == "order" and rt.name in ORDER:
            later, earlier = draw(st.sampled_from(ORDER[rt.name]))
            if rt.field(earlier).kind == "date":
                first = draw(st.dates(dt.date(2000, 1, 2), dt.date(2030, 1, 1)))
                row[earlier], row[later] = first.isoformat(), (first - dt.timedelta(days=draw(st.integers(1, 40)))).isoformat()
            else:
                first = draw(st.datetimes(dt.datetime(2000, 1, 2), dt.datetime(2030, 1, 1))).replace(microsecond=0)
                row[earlier] = first.strftime("%Y-%m-%dT%H:%M:%S")
                row[later] = (first - dt.timedelta(seconds=draw(st.integers(1, 86400)))).strftime("%Y-%m-%dT%H:%M:%S")
        out.append(row)
    return out


def field_errors(schema_check, record: dict) -> set[str] | None:
    """The fields the schema finds wrong in one record (None: the record is wrong as a whole)."""
    wrong: set[str] = set()
    for error in schema_check.iter_errors(record):
        if error.path:
            wrong.add(error.path[0])
        elif error.validator == "required":
            wrong.add(error.message.split("'")[1])
        elif error.validator == "additionalProperties":
            return None
        else:
            return None
    return wrong


def expected_cross_row(rt, records: list[dict], wrong: list[set[str]], keys: dict[str, set[str]]) -> set[tuple]:
    """(row, field, code) of every cross-row problem, by records.md, for fields without a problem of their own.
    A field shows one problem: a duplicate id, then a date out of order, then an unknown reference, then
    the whole record repeated (shown on the id, or on the first field)."""

    def value(i: int, f) -> object:
        """The value a field holds once read: its default when left out, nothing when it is wrong."""
        if f.name in wrong[i]:
            return None
        raw = records[i].get(f.name, f.default)
        if f.kind == "date" and raw is not None:
            return dt.date.fromisoformat(raw)
        if f.kind == "datetime" and raw is not None:
            return dt.datetime.fromisoformat(raw)
        if isinstance(raw, list):
            return tuple(raw) or None  # an empty list says nothing, as a list left out
        return raw

    found: dict[tuple[int, str], str] = {}

    def put(i: int, name: str, code: str) -> None:
        if name not in wrong[i]:
            found.setdefault((i, name), code)

    seen: set = set()
    for i in range(len(records)):
        if rt.unique:
            key = value(i, rt.field(rt.unique))
            if key is not None and key in seen:
                put(i, rt.unique, "duplicate_id")
            seen.add(key)
        for later, earlier in ORDER.get(rt.name, []):
            a, b = value(i, rt.field(later)), value(i, rt.field(earlier))
            if a is not None and b is not None and a < b:
                put(i, later, "order")
        for name, partner in TOGETHER.get(rt.name, []):
            if (value(i, rt.field(name)) is None) != (value(i, rt.field(partner)) is None):
                put(i, name, "together")
        for f in rt.fields:
            if f.ref and value(i, f) is not None and value(i, f) not in keys[f.ref]:
                put(i, f.name, "reference")
        read = [tuple(value(i, f) for f in rt.fields)]
        if any(read[0] == tuple(value(j, f) for f in rt.fields) for j in range(i)):
            put(i, rt.unique or rt.fields[0].name, "duplicate_record")
    return {(i + 1, name, code) for (i, name), code in found.items()}


# 30 examples of each of the 16 record types (about 20 s; the "ci" profile of conftest.py fixes the seed, "nightly"
# draws 20 times as many fresh ones): per type, unknown references, duplicate ids or records and dates out of
# order are each reached many times.
@pytest.mark.parametrize("name", list(record_types()))
@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_path_schema_and_model_reject_the_same_rows(name, data):
    rt = record_types()[name]
    records = data.draw(rows(rt), label="records")
    schema_check = jsonschema.Draft202012Validator(rt.schema, format_checker=jsonschema.FormatChecker())
    by_schema = {i + 1 for i, r in enumerate(records) if any(True for _ in schema_check.iter_errors(r))}
    by_model = set()
    for i, r in enumerate(records):
        try:
            MODELS[name].model_validate_json(json.dumps(r))
        except ValidationError:
            by_model.add(i + 1)
    base = base_for(name)
    with tempfile.TemporaryDirectory() as tmp:
        for other, other_rows in base.items():
            (Path(tmp) / f"{other}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in other_rows),
                                                      encoding="utf-8")
        (Path(tmp) / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                                 encoding="utf-8")
        # a file none of whose records has status (affordable_housing) is refused as a whole (issue 25):
        # a rule about the file beyond what a schema says of one record, left out of the comparison
        problems = [p for p in validate(load_submission(tmp)).problems.to_dicts() if p["severity"] == "error"
                    and p["code"] != "missing_column"]
    assert {p["record_type"] for p in problems} <= {name}, problems  # the base records are valid
    by_fast = {p["row"] for p in problems if p["code"] not in CROSS_ROW}
    assert by_fast == by_schema == by_model, (records, problems)
    # the cross-row problems, exactly, against what records.md makes of these rows
    wrong = [field_errors(schema_check, r) for r in records]
    assert None not in wrong, records
    keys = {ref: {r[record_types()[ref].unique] for r in BASE[ref]} for ref in base}
    expected = expected_cross_row(rt, records, wrong, keys)
    assert {(p["row"], p["field"], p["code"]) for p in problems if p["code"] in CROSS_ROW} == expected, (records, problems)
