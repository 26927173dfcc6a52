"""Typed verdicts: what the engine concludes, independent of how it is rendered."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any, Literal, get_args

import polars as pl
from pydantic import BaseModel, ConfigDict

Severity = Literal["notice", "general", "major", "serious"]
Responsible = Literal["use_unit", "maintenance_unit", "market_regulator", "district_government", "town_government",
                      "housing_department"]
# The breach identity (rules.md "period_key"): scheme 2 is Revision 2's, independent of the
# sweep window. The ledger records which scheme wrote each deduction.
FINGERPRINT_SCHEME = 2


class Violation(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule_id: str
    title: str
    title_en: str
    # R3-1: the law that lays the duty on the responsible party (title and article), and the
    # draft sentences that restate, presuppose or urge it (their refs)
    clause: str
    draft: str
    severity: Severity
    responsible_role: Responsible
    responsible_org_id: str | None
    responsible_name: str | None
    elevator_id: str | None
    use_unit_id: str | None
    use_unit_name: str | None
    maintenance_unit_id: str | None
    district: str | None
    subject: str
    period_key: str
    # R3-A 6: the breach's own day (a month's first day, an interval's opening day, the day the
    # duty arose), on which the law's commencement and a parameter's adoption are judged
    identity_day: str
    # R3-6: every parameter this verdict's condition read for this case
    depends_on: list[str]
    evidence: dict[str, Any]
    message_zh: str
    message_en: str
    fingerprint: str


class Pending(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule_id: str
    title: str
    elevator_id: str | None
    use_unit_id: str | None
    subject: str
    period_key: str
    arises_on: str
    due_on: str
    message_zh: str
    message_en: str


class RuleStatus(BaseModel):
    rule_id: str
    title: str
    evaluated: bool
    sweep: Literal["span", "state"] = "span"
    reason_zh: str | None = None
    reason_en: str | None = None
    violations: int = 0
    pending: int = 0
    # how many cases (a subject in a period: an elevator-month, an interval, a hazard…) the
    # rule judged after its scope and `applies_when`: "no violation" means something only
    # beside a count above zero
    cases: int = 0


def fingerprint(rule_id: str, subject: str, period_key: str) -> str:
    """Stable across runs and versions: rule id + subject + period key, nothing else."""
    return hashlib.sha256(f"{rule_id}\x1f{subject}\x1f{period_key}".encode()).hexdigest()[:32]


# most severe first, as the report lists them
_RANK = {s: -i for i, s in enumerate(get_args(Severity))}
_ORDER = ["_rank", "rule_id", "subject", "period_key"]


class VerdictTable(Sequence):
    """A sweep's violations in report order (most severe first, then rule, subject and period
    key), kept as the engine's checked columns (Evaluation.verdicts).

    It reads as a sequence of Violation dicts, made on first use, for the table, the workbook,
    the page and the portal. The JSON report writes it from the columns (`json_array`), and
    credit and the summary count it by column (`flat`): a city-year's 53,000 verdicts then cost
    no dict at all (0.9 s of the check, measured before).
    """

    def __init__(self, frames: list[pl.DataFrame]):
        self._frames = [f for f in frames if f.height]
        fields = list(Violation.model_fields)
        if self._frames:
            flat = pl.concat([f.drop("evidence") for f in self._frames], how="vertical_relaxed")
        else:
            flat = pl.DataFrame(schema={name: pl.String for name in fields if name != "evidence"})
        # Python's sort and this one agree: strings by code point (UTF-8 byte order), and ties
        # (none: a breach has one identity) kept in the engine's order
        ordered = (flat.with_row_index("_i")
                   .with_columns(pl.col("severity").replace_strict(_RANK, return_dtype=pl.Int8).alias("_rank"))
                   .sort(_ORDER, maintain_order=True))
        self._index = ordered.get_column("_i")
        # every field but the evidence, one row per verdict in report order
        self.flat = ordered.drop("_i", "_rank")

    def __len__(self) -> int:
        return self.flat.height

    @cached_property
    def _rows(self) -> list[dict]:
        made = [row for frame in self._frames for row in frame.to_dicts()]
        return [made[i] for i in self._index.to_list()]

    def __getitem__(self, i):   # type: ignore[override]
        return self._rows[i]

    def __iter__(self) -> Iterator[dict]:
        return iter(self._rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (VerdictTable, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None   # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"VerdictTable({len(self)} violations)"

    def json_array(self, indent: int, batch: int = 8192) -> Iterator[bytes]:
        """The verdicts as a JSON array, in pieces of `batch` verdicts: the items sit at
        `indent` spaces plus two, one verdict per line, each a compact object with the fields
        in the model's order (polars writes them: the values are what json.loads of the dicts'
        JSON gives; NaN, which no verdict holds, would be null as in the rest of the report).
        In pieces, so that the tens of MB of a city-year's verdicts are never held as one text
        beside the report being written."""
        if not self._frames:
            yield b"[]"
            return
        texts = (pl.concat([_json_lines(f) for f in self._frames]).get_column("j").gather(self._index))
        pad = " " * (indent + 2)
        between = (",\n" + pad).encode()
        yield ("[\n" + pad).encode()
        for start in range(0, texts.len(), batch):
            if start:
                yield between
            # handed over as UTF-8 bytes: a str would be decoded and encoded again
            yield texts.slice(start, batch).str.join(",\n" + pad).cast(pl.Binary).item()
        yield ("\n" + " " * indent + "]").encode()


def _plain(dtype: pl.DataType) -> bool:
    """Whether polars writes a value of this type as JSON exactly as the dicts' JSON would be:
    text, whole numbers, 64-bit floats, booleans, nulls, and lists and structs of them."""
    if isinstance(dtype, pl.List):
        return _plain(dtype.inner)
    if isinstance(dtype, pl.Struct):
        return all(_plain(f.dtype) for f in dtype.fields)
    return dtype in (pl.String, pl.Null, pl.Boolean, pl.Float64) or dtype.is_integer()


def _json_lines(frame: pl.DataFrame) -> pl.DataFrame:
    """Each verdict of one rule's frame as a compact JSON object (column "j"). polars writes
    them; a frame holding any other type (none does today: the engine makes the evidence plain,
    engine._evidence_struct) is written from its dicts instead, as the rest of the report is."""
    if all(_plain(dtype) for dtype in frame.schema.values()):
        return frame.select(pl.struct(pl.all()).struct.json_encode().alias("j"))
    import orjson

    rows = [orjson.dumps(row, option=orjson.OPT_NON_STR_KEYS, default=str).decode() for row in frame.to_dicts()]
    return pl.DataFrame({"j": rows}, schema={"j": pl.String})
