"""Characters that must never pass silently: control codes, look-alike digits, and how to show them.

The loader and the validator refuse control characters in submitted values and read the
full-width digits a Chinese input method types; every message that echoes a value, a file
name or a header shows control characters as visible escapes (`\\x1b`), so nothing a
submission holds can drive the terminal it is shown on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:   # no polars import: checker.files uses this module before polars is loaded
    import polars as pl

# C0 controls, DEL and C1 controls (Unicode category Cc), plus the bidirectional embedding,
# override and isolate controls that can reorder what a terminal or spreadsheet shows.
_BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
CONTROL_CHARS = [chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))] + _BIDI
# The same sets as regular-expression classes (Rust regex for polars, Python re elsewhere).
CONTROL_CLASS = r"[\x00-\x1f\x7f-\x9f\x{202a}-\x{202e}\x{2066}-\x{2069}]"
CONTROL_CLASS_NO_TAB = r"[\x00-\x08\x0a-\x1f\x7f-\x9f\x{202a}-\x{202e}\x{2066}-\x{2069}]"
PY_CONTROL_CLASS = "[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
PY_CONTROL_CLASS_NO_TAB = "[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"

FULLWIDTH_DIGITS = [chr(0xFF10 + d) for d in range(10)]
ASCII_DIGITS = [str(d) for d in range(10)]
# Any decimal digit that is neither ASCII nor full-width: Arabic-Indic, Devanagari, Thai, …
FOREIGN_DIGIT_CLASS = r"[\p{Nd}--[0-9\x{ff10}-\x{ff19}]]"


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch == "\t":
        return "\\t"
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_ESCAPES = [_escape(c) for c in CONTROL_CHARS]
_TABLE = {ord(c): e for c, e in zip(CONTROL_CHARS, _ESCAPES)}


def visible(text: object) -> str:
    """Text safe to print: every control character shown as an escape such as \\x1b."""
    return str(text).translate(_TABLE)


def visible_expr(expr: pl.Expr) -> pl.Expr:
    """`visible` for a polars string column."""
    return expr.str.replace_many(CONTROL_CHARS, _ESCAPES)


def shorten(text: str, limit: int = 120) -> str:
    """A value echoed in a message, cut to a readable length (the length is said)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…（共 {len(text):,} 字符 / {len(text):,} characters）"
