"""The data contract, read from the published JSON Schemas in schemas/ (the single source).

Loader, validator, templates and sample writer all take field names, Chinese labels,
kinds, enums and references from here, so the contract lives in exactly one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from checker.resources import data_dir

FieldKind = Literal["string", "enum", "integer", "number", "boolean", "date", "datetime", "list"]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: FieldKind
    required: bool
    enum_labels: dict[str, str] = field(default_factory=dict)  # code -> Chinese name
    ref: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    default: Any = None
    free_text: bool = False    # notes and descriptions: the one place a tab is not a control character


@dataclass(frozen=True)
class RecordType:
    name: str
    label: str
    fields: tuple[Field, ...]
    unique: str | None
    schema: dict = field(repr=False, compare=False, default_factory=dict)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def headers(self) -> dict[str, str]:
        """Every column header people may use -> field name: the English name, the Chinese
        label, and the label without its parenthesised note (投用日期 for 投用日期（…）)."""
        out: dict[str, str] = {}
        for f in self.fields:
            out[f.name] = out[f.label] = out[f.label.split("（")[0]] = f.name
        return out


def _kind(prop: dict) -> FieldKind:
    if "enum" in prop:
        return "enum"
    if prop.get("type") == "array":
        return "list"
    if prop.get("format") == "date":
        return "date"
    if "x-local-time" in prop:
        return "datetime"
    return prop["type"]


def _record_type(schema: dict) -> RecordType:
    required = set(schema.get("required", []))
    fields = []
    for name, prop in schema["properties"].items():
        fields.append(
            Field(
                name=name,
                label=prop["title"],
                kind=_kind(prop),
                required=name in required,
                # a list of codes (works.funding) carries its items' labels
                enum_labels=dict(prop.get("x-enum-labels", prop.get("items", {}).get("x-enum-labels", {}))),
                ref=prop.get("x-ref"),
                minimum=prop.get("minimum"),
                maximum=prop.get("maximum"),
                pattern=prop.get("pattern") if prop.get("format") is None and "x-local-time" not in prop else None,
                default=prop.get("default"),
                free_text=bool(prop.get("x-free-text")),
            )
        )
    return RecordType(
        name=schema["x-record-type"],
        label=schema["title"],
        fields=tuple(fields),
        unique=schema.get("x-unique"),
        schema=schema,
    )


@lru_cache(maxsize=1)
def record_types() -> dict[str, RecordType]:
    """Every record type of the contract, in the order of records.md."""
    order = [
        "organizations", "elevators", "daily_checks", "weekly_reviews", "monthly_dispatches",
        "maintenance", "inspections", "screenings", "assessments", "hazards", "entrapments",
        "alarm_tests", "drills", "emergency_plans", "fund_applications", "stop_periods", "works",
    ]
    folder = data_dir("schemas")
    found = {}
    for path in sorted(folder.glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        rt = _record_type(schema)
        found[rt.name] = rt
    return {name: found[name] for name in order if name in found} | {
        name: rt for name, rt in found.items() if name not in order
    }


def record_type_for_name(stem: str) -> RecordType | None:
    """The record type a file or sheet name stands for: its English or its Chinese name."""
    stem = stem.strip()
    for rt in record_types().values():
        if stem.lower() == rt.name or stem == rt.label or stem == rt.label.split("（")[0]:
            return rt
    return None
