"""Typed verdicts: what the engine concludes, independent of how it is rendered."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

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
    clause: str
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
