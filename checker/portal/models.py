"""API bodies: the contract's record models, the verdicts' models, and the portal's own views.

Records are `checker.records` models and verdicts are `checker.verdicts` models, so the
OpenAPI document describes the same contract as schemas/. The owners' view is its own model
with `extra="forbid"`: it can hold only the public facts listed here, never a name or credit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from checker.records import Assessment, Elevator, Hazard, Organization
from checker.verdicts import Pending, Violation


class PublicHazard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hazard_id: str
    found_on: dt.date
    severity: str
    severity_zh: str
    deadline: dt.date | None
    rectified_on: dt.date | None
    listed_on: dt.date | None
    progress: str          # rectified · in_progress · overdue
    progress_zh: str


class PublicAssessment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    applied_on: dt.date | None
    completed_on: dt.date | None
    conclusion: str | None
    conclusion_zh: str | None


class PublicElevator(BaseModel):
    """What an owner may know about an elevator (四（四）: 为业主…提供一站式查询)."""

    model_config = ConfigDict(extra="forbid")

    elevator_id: str
    district: str
    subdistrict: str | None
    community: str
    residential: bool
    status: str
    status_zh: str
    commissioned_on: dt.date
    age_years: int | None
    old: bool | None
    inspection_valid_until: dt.date | None
    latest_inspection_on: dt.date | None
    latest_inspection_conclusion: str | None
    latest_screening_on: dt.date | None
    latest_risk_level: str | None
    latest_risk_level_zh: str | None
    latest_assessment: PublicAssessment | None
    hazards: list[PublicHazard]
    open_hazards: int
    last_maintenance_on: dt.date | None
    data_as_of: dt.date


class Me(BaseModel):
    name: str
    role: str
    role_zh: str
    org_id: str | None
    district: str | None
    scope_zh: str


class ElevatorSummary(BaseModel):
    elevator_id: str
    district: str
    community: str
    use_unit_id: str
    maintenance_unit_id: str
    status: str
    age_years: int | None
    old: bool | None
    inspection_valid_until: dt.date | None
    open_hazards: int


class ElevatorDetail(BaseModel):
    elevator: Elevator
    facts: PublicElevator
    hazards: list[Hazard]
    assessments: list[Assessment]
    violations: list[Violation] | None = None   # None: the role does not see violations
    pending: list[Pending] | None = None


class CreditEntry(BaseModel):
    model_config = ConfigDict(extra="allow")   # the report may grow keys

    org_id: str
    name: str | None = None
    points: int
    points_by_year: dict[int, int] = {}
    dishonest_register: bool = False


class OrgSummary(BaseModel):
    organization: Organization
    elevators: int
    violations: int | None
    pending: int | None
    credit: CreditEntry | None
    credit_applies: bool


class Problem(BaseModel):
    severity: str
    record_type: str | None
    file: str
    row: int | None
    row_kind: str | None
    field: str | None
    value: str | None
    code: str
    message_zh: str
    message_en: str


class SubmissionResult(BaseModel):
    accepted: bool
    errors: int
    warnings: int
    problems: list[Problem]
    counts: dict[str, dict[str, int]]
    data_version: int | None


class QueueItem(BaseModel):
    assessment: Assessment
    district: str | None
    community: str | None
    use_unit_id: str | None
    use_unit_name: str | None
    waiting_days: int | None


class Table(BaseModel):
    """One statistics table: Chinese headers and rows, as the page and the xlsx show them."""

    name: str
    title: str
    columns: dict[str, str]
    rows: list[dict[str, Any]]


class Statistics(BaseModel):
    scope: str
    period_from: dt.date
    period_to: dt.date
    data_version: int
    tables: list[Table]
