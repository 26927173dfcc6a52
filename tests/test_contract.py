"""The published contract (schemas/) and the in-memory types (checker/records.py) agree."""

from __future__ import annotations

import typing

import pytest
from pydantic import ValidationError

from checker.contract import record_types
from checker.records import MODELS, Elevator

KIND_TO_PYTHON = {"string": str, "enum": str, "integer": int, "number": float, "boolean": bool,
                  "date": "date", "datetime": "datetime", "list": list}


def test_seventeen_record_types_with_chinese_titles():
    types = record_types()
    # Revision 3 added works (更新、改造、修理项目)
    assert len(types) == 17 and set(types) == set(MODELS)
    for rt in types.values():
        assert rt.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in f.label) for f in rt.fields), rt.name
        for f in rt.fields:
            if f.kind == "enum":
                assert set(f.enum_labels) == set(rt.schema["properties"][f.name]["enum"])
            if f.kind == "list" and f.enum_labels:   # a list of codes: works.funding
                assert set(f.enum_labels) == set(rt.schema["properties"][f.name]["items"]["enum"])


def _unwrap(annotation):
    """(base type, literal values or None, optional?) of a model field annotation."""
    optional = False
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType")):
        non_none = [a for a in args if a is not type(None)]
        optional = len(non_none) < len(args)
        annotation = non_none[0]
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is typing.Literal:
        return str, set(typing.get_args(annotation)), optional
    if typing.get_origin(annotation) is list:
        return list, None, optional
    return annotation, None, optional


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_agrees_with_schema(name):
    rt = record_types()[name]
    model = MODELS[name]
    assert list(model.model_fields) == rt.field_names
    for f in rt.fields:
        info = model.model_fields[f.name]
        base, literals, optional = _unwrap(info.annotation)
        assert info.is_required() == f.required, f.name
        if f.kind == "enum":
            assert literals == set(f.enum_labels), f.name
        elif f.kind in ("date", "datetime"):
            assert base.__name__ == f.kind, f.name
        else:
            assert base is KIND_TO_PYTHON[f.kind], f.name
        if f.default is not None:
            assert info.default == f.default, f.name


def test_strict_dates_refuse_a_number_and_non_iso_text():
    base = dict(elevator_id="E1", district="玄武区", community="梅园", use_unit_id="P", maintenance_unit_id="M")
    assert Elevator(**base, commissioned_on="2024-01-01").commissioned_on.isoformat() == "2024-01-01"
    for bad in (86400, "86400", "2024/01/01", "2024-02-30", True):
        with pytest.raises(ValidationError):
            Elevator(**base, commissioned_on=bad)
