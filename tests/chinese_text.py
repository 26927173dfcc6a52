"""What "Chinese first" means, as a test can check it: no code, raw JSON, Python repr or English
without Chinese beside it in a text a Chinese reader gets (tests/test_chinese_outputs.py).

A text (a workbook cell, an HTML table cell or paragraph, a terminal line) is read line by line:
- a line with Chinese in it may carry English words (a bilingual label, "规则 Rules", "较重 major"),
  ids, dates, numbers and quoted values 「…」, but no code of liftcheck's vocabulary
  (`codes()`: the contract's enum codes, severities, parties, evidence keys) outside
  quotes: none with an underscore (use_unit, in_service, half_month), and no one-word code as the
  value of a Chinese label (严重程度：major);
- a line without Chinese must be made of ids only (the allow-list below: rule ids, parameter names,
  fingerprints, record and organisation ids, dates, numbers, file names, the ruleset digest), or be
  the English beside a Chinese line of the same text (not read further: it is the translation);
- nowhere raw JSON ({"…": …}) or a Python repr (['…'], {'…': …}, None, True, False).
`untranslated(text)` returns what is wrong, or [] when nothing is.
"""

from __future__ import annotations

import functools
import json
import re

from checker import labels

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
QUOTED = re.compile(r"「[^」]*」|“[^”]*”|\"[^\"]*\"")
TOKEN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:\-]*")
WORD = re.compile(r"[A-Za-z]{2,}")
REPR = re.compile(r"\['|'\]|\{'|\{\"[^\"]+\":|\bNone\b|\bTrue\b|\bFalse\b|\bnan\b")

ID_PATTERNS = [re.compile(p) for p in (
    r"[A-Z0-9]+(?:-[A-Z0-9]+)*(?:\(-[A-Z0-9]+\))?",          # rule ids, record ids (YH0000000), org ids
    r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+",                       # parameter names
    r"[0-9a-f]{32}", r"sha256:[0-9a-f]{64}",                   # fingerprints, the ruleset digest
    r"\d{4}-\d\d(?:-\d\d)?(?:[ T]\d\d:\d\d(?::\d\d)?)?", r"\d{4}-W\d\d", r"\d{4}Q\d",
    r"[\d.,%+\-−/×: ]+",                                       # numbers, ratios, times
    r"\d+\.\d+\.\d+",                                          # the ruleset version
    r".*\.(?:csv|xlsx|json|jsonl|yaml|yml|html|sqlite)",        # file names
    r".*/.*",                                                  # paths
)]


@functools.lru_cache(maxsize=1)
def codes() -> frozenset[str]:
    """Read from the contract and the rule book themselves (not from checker.labels, under test):
    every enum code of a record field, record type names, severities, parties, evidence keys."""
    from checker.contract import record_types
    from checker.rulebook import RESPONSIBLE_ZH, SEVERITY_ZH

    out = set(SEVERITY_ZH) | set(RESPONSIBLE_ZH) | set(labels.EVIDENCE) | {"severity", "responsible", "evidence"}
    for rt in record_types().values():
        out |= {rt.name, *(code for f in rt.fields for code in f.enum_labels)}
    return frozenset(out)


def is_id(token: str) -> bool:
    return any(p.fullmatch(token) for p in ID_PATTERNS)


def _repr_or_json(text: str) -> str | None:
    stripped = text.strip()
    if stripped[:1] in "{[" and stripped[-1:] in "}]":
        try:
            json.loads(stripped)
            return f"raw JSON {stripped[:40]!r}"
        except ValueError:
            pass
    m = REPR.search(QUOTED.sub("", text))
    return f"Python repr {m.group(0)!r} in {text[:60]!r}" if m else None


def untranslated(text: str, allow: frozenset[str] = frozenset()) -> list[str]:
    """What in `text` a Chinese reader should not see: codes, JSON, reprs, English alone."""
    if not isinstance(text, str) or not text.strip():
        return []
    found = []
    bad = _repr_or_json(text)
    if bad:
        found.append(bad)
    lines = [line for line in text.splitlines() if line.strip()]
    has_chinese = any(CJK.search(line) for line in lines)
    for line in lines:
        bare = QUOTED.sub(" ", line)
        tokens = [t.strip(".-:") for t in TOKEN.findall(bare)]
        if has_chinese and not CJK.search(line):
            continue   # the English beside a Chinese line: a translation, read by those who want it
        for t in tokens:
            if t in codes() and t not in allow and "_" in t:
                found.append(f"code {t!r} in {line[:80]!r}")
        # a one-word code (major, normal, pass) is English beside Chinese where it follows a word of its
        # own; as the value of a Chinese label (严重程度：major, （major）) it is a code shown instead of words
        for m in re.finditer(r"[：（]\s*([A-Za-z]+)\b", bare):
            if m.group(1) in codes() and m.group(1) not in allow:
                found.append(f"code {m.group(1)!r} as a value in {line[:80]!r}")
        if CJK.search(line):
            continue
        english = [t for t in tokens if WORD.search(t) and not is_id(t) and t not in allow]
        if english and not has_chinese:
            found.append(f"English without Chinese beside it: {line[:80]!r}")
    return found
