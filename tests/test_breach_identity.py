"""Golden breach identities: fixed inputs give fixed fingerprints.

A ledger holds fingerprints for years; an appeal and every later sweep find a breach by it. If the
formula (rule id, subject and period key joined by U+001F, SHA-256, first 32 hex digits) or a
rule's subject or period key format changes, every breach already deducted would be deducted again.
Such a change must be deliberate and versioned: bump `FINGERPRINT_SCHEME`, teach
`liftcheck credit migrate` to re-key the old scheme, and only then change the values below.
"""

from __future__ import annotations

import hashlib

from conftest import daily, days, visits
from checker.verdicts import FINGERPRINT_SCHEME, fingerprint


def test_the_fingerprint_formula_is_pinned():
    assert fingerprint("DAILY-CHECK", "E1", "2024-01") == "a1679dbf9a8e36b8ffa1f0faff9f0d54"
    assert fingerprint("WEEKLY-REVIEW", "91320100MA1FIRM01X", "2024-W01") == "25db09c1f2b6ef9be5efee5d3b774ee1"
    assert fingerprint("MAINT-INTERVAL", "E1", "2024-01-01") == "69cc202a8620fa5c3d11ae2be9bad295"
    # a subject joined from several columns keeps its own separator inside the identity
    assert fingerprint("DAILY-CHECK", "E1|x", "2024-01") == "791b59051391c724704554187ab76ee1"


def test_the_fingerprint_is_the_documented_hash_of_its_three_parts():
    # independent of checker.verdicts: rules.md's breach identity, written out
    expected = hashlib.sha256("RESCUE-ARRIVAL\x1fK1\x1fK1".encode("utf-8")).hexdigest()[:32]
    assert fingerprint("RESCUE-ARRIVAL", "K1", "K1") == expected == "ee906b9257837091a8fff63aab3bdbc0"
    assert fingerprint("DAILY-CHECK", "E1", "2024-01") != fingerprint("DAILY-CHECK", "E1", "2024-02")
    assert fingerprint("DAILY-CHECK", "E1", "2024-01") != fingerprint("MONTHLY-DISPATCH", "E1", "2024-01")


def test_the_scheme_is_two():
    assert FINGERPRINT_SCHEME == 2, "a new scheme needs a migration in checker/migrate.py and new golden values here"


def test_a_fixed_submission_gives_fixed_breach_identities(judge):
    r = judge("2024-01-01", "2024-01-31", rules=["DAILY-CHECK", "WEEKLY-REVIEW", "MAINT-INTERVAL", "INSPECTION-VALID"],
              daily_checks=daily("E1", days("2024-01-01", "2024-01-30")), weekly_reviews=[],
              maintenance=visits("E1", ["2023-12-20", "2024-01-20"]),
              inspections=[{"elevator_id": "E1", "date": "2022-12-01", "conclusion": "pass", "next_due": "2024-01-09"}])
    got = sorted((v["rule_id"], v["subject"], v["period_key"], v["fingerprint"]) for v in r["violations"])
    assert got == [
        ("DAILY-CHECK", "E1", "2024-01", "a1679dbf9a8e36b8ffa1f0faff9f0d54"),            # the month
        ("INSPECTION-VALID", "E1", "2024-01-10", "84bf0c48daac7381a1660527374a6e5b"),    # the lapse's first day
        ("MAINT-INTERVAL", "E1", "2023-12-20", "a6b97159672b0c23bc21769641845d09"),      # the interval's opening visit
        ("WEEKLY-REVIEW", "91320100MA1FIRM01X", "2024-W01", "25db09c1f2b6ef9be5efee5d3b774ee1"),  # ISO week
        ("WEEKLY-REVIEW", "91320100MA1FIRM01X", "2024-W02", "e15d9c4a91cf5dbbc34ea149bb9f6cb4"),
        ("WEEKLY-REVIEW", "91320100MA1FIRM01X", "2024-W03", "7a12c778a7d3cc964d820a6f1b830364"),
        ("WEEKLY-REVIEW", "91320100MA1FIRM01X", "2024-W04", "72b1eda35763fc22088ebdd9c066bd39"),
    ]
    # W05 (01-29 .. 02-04) ends after `to`: judged by the sweep that holds its Sunday, not this one
    assert [(s["rule_id"], s["cases"]) for s in r["rules"]] == [
        ("DAILY-CHECK", 1), ("WEEKLY-REVIEW", 4), ("MAINT-INTERVAL", 2), ("INSPECTION-VALID", 1)]
