"""Random byte-level damage to a valid CSV submission is refused with its place, or changes nothing.

Hypothesis flips, inserts and deletes bytes (control bytes, broken and multi-byte UTF-8,
look-alike digits and spaces, bidi controls, separators and quotes) in one file of the
judged submission of tests/hostile.py. Either liftcheck refuses it (a LiftcheckError that
names a file of the submission, and for record problems the row) or it judges exactly the
verdicts of the undamaged submission. Never an internal error, never a different verdict
without a word. Damage that only makes another valid value (a digit for a digit, deleting
a letter or a '.') is left out: that is a different submission, not a corrupt one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.errors import LiftcheckError
from checker.pipeline import InvalidSubmission, run_check
from hostile import tables, write

HOSTILE_BYTES = (
    [bytes([b]) for b in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)]   # control bytes
    + [bytes([b]) for b in (0x80, 0xBF, 0xC0, 0xC3, 0xE4, 0xF0, 0xFF)]                  # broken UTF-8
    + [c.encode() for c in ("٣", "३", "๓", "é", "区", "\u202e", "\u00a0", "\u3000", "\u0085", "\ufeff",
                            "\u2028", "\x9b")]                                         # multi-byte
    + [b",", b'"', b"\n", b"\r", b";"]
)
# bytes whose loss cannot turn one valid value into another valid value
DELETABLE = set(b',"\n\r:-/ ') | set(range(0x80, 0x100))
FILES = ["organizations.csv", "elevators.csv", "maintenance.csv", "daily_checks.csv", "hazards.csv",
         "entrapments.csv", "fund_applications.csv"]
START, END = dt.date(2024, 1, 1), dt.date(2024, 3, 31)


def _verdicts(report: dict) -> set:
    return {(v["rule_id"], v["subject"], v["period_key"]) for v in report["violations"]}


_BASELINE: dict = {}


def _clean(tmp: Path) -> tuple[Path, set]:
    if "folder" not in _BASELINE:
        folder = write(tmp / "clean", tables(), "csv")
        _BASELINE["folder"] = folder
        _BASELINE["files"] = {f: (folder / f).read_bytes() for f in FILES}
        _BASELINE["verdicts"] = _verdicts(run_check(folder, START, END).report)
    return _BASELINE["folder"], _BASELINE["verdicts"]


@st.composite
def damage(draw):
    """(file, [(operation, position fraction, bytes)])."""
    name = draw(st.sampled_from(FILES))
    ops = draw(st.lists(st.tuples(st.sampled_from(["flip", "insert", "delete"]), st.floats(0, 1, exclude_max=True),
                                  st.sampled_from(HOSTILE_BYTES)), min_size=1, max_size=3))
    return name, ops


def _apply(data: bytes, ops) -> bytes:
    out = bytearray(data)
    for op, where, byte in ops:
        if not out:
            break
        i = int(where * len(out))
        if op == "flip":
            if out[i] in b"0123456789" and byte in (b"\x85",):   # keep to damage, not a new valid digit
                continue
            out[i:i + 1] = byte
        elif op == "insert":
            out[i:i] = byte
        elif out[i] in DELETABLE:
            del out[i]
    return bytes(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(damage())
def test_byte_damage_is_refused_with_its_place_or_changes_no_verdict(tmp_path_factory, case):
    name, ops = case
    clean, expected = _clean(tmp_path_factory.mktemp("base"))
    folder = tmp_path_factory.mktemp("damaged")
    for f, data in _BASELINE["files"].items():
        (folder / f).write_bytes(_apply(data, ops) if f == name else data)
    try:
        report = run_check(folder, START, END).report
    except InvalidSubmission as exc:
        errors = exc.submission.problems.filter(exc.submission.problems["severity"] == "error").to_dicts()
        assert errors, "refused without a problem"
        for p in errors:
            assert p["file"] and p["file"] in p["message_en"], p
            assert p["row"] is not None or p["record_type"] is None, p
        return
    except LiftcheckError as exc:
        assert any(f in exc.en for f in FILES), exc.en
        return
    assert _verdicts(report) == expected, (name, ops)
