"""Typed verdicts: what the engine concludes, independent of how it is rendered."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["notice", "general", "major", "serious"]


class Violation(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule_id: str
    title: str
    title_en: str
    clause: str
    severity: Severity
    responsible_role: str
    responsible_org_id: str | None
    elevator_id: str | None
    use_unit_id: str | None
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
    reason_zh: str | None = None
    reason_en: str | None = None
    violations: int = 0
    pending: int = 0


def fingerprint(rule_id: str, subject: str, period_key: str) -> str:
    """Stable across runs and versions: rule id + subject + period key, nothing else."""
    return hashlib.sha256(f"{rule_id}\x1f{subject}\x1f{period_key}".encode()).hexdigest()[:32]
