"""Typed records (pydantic, strict) for small inputs and single-record APIs.

The city-scale path keeps records columnar in polars (see validate.py); these models are
the same contract in Python form. tests/test_contract.py proves they agree with schemas/.
Dates are strict and pattern-checked: in lax mode pydantic would read 86400 as a date.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

_YEAR = r"(19[0-9]{2}|20[0-9]{2}|2100)"   # records.md: a year outside 1900-2100 is an error
_DATE_PATTERN = rf"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}$"
_DATETIME_PATTERN = rf"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}[T ][0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}})?(Z|[+-][0-9]{{2}}:?[0-9]{{2}})?$"


def _iso_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, (str, dt.date)):
        raise ValueError("expected an ISO date YYYY-MM-DD")
    if isinstance(value, dt.date):
        if not 1900 <= value.year <= 2100:
            raise ValueError("expected a year from 1900 to 2100")
        return value
    import re

    if not re.fullmatch(_DATE_PATTERN, value):
        raise ValueError("expected an ISO date YYYY-MM-DD")
    return dt.date.fromisoformat(value)


def _local_datetime(value: object) -> dt.datetime:
    import re
    from zoneinfo import ZoneInfo

    if isinstance(value, dt.datetime):
        if not 1900 <= value.year <= 2100:
            raise ValueError("expected a year from 1900 to 2100")
        parsed = value
    elif isinstance(value, str) and re.fullmatch(_DATETIME_PATTERN, value):
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError("expected an ISO 8601 datetime YYYY-MM-DDTHH:MM[:SS][offset]")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    return parsed


def _no_controls(allow_tab: bool):
    import re

    from checker.text import PY_CONTROL_CLASS, PY_CONTROL_CLASS_NO_TAB

    pattern = re.compile(PY_CONTROL_CLASS_NO_TAB if allow_tab else PY_CONTROL_CLASS)

    def check(value: str) -> str:
        if pattern.search(value):
            raise ValueError("control characters are not accepted")
        return value

    return AfterValidator(check)


Date = Annotated[dt.date, BeforeValidator(_iso_date)]
LocalDateTime = Annotated[dt.datetime, BeforeValidator(_local_datetime)]
Text = Annotated[str, StringConstraints(min_length=1, pattern=r"\S"), _no_controls(allow_tab=False)]
FreeText = Annotated[str, StringConstraints(min_length=1, pattern=r"\S"), _no_controls(allow_tab=True)]


class Record(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Organization(Record):
    org_id: Text
    name: Text
    kind: Literal[
        "property_service_enterprise", "owners_committee", "self_managed", "developer",
        "maintenance_unit", "manufacturer", "inspection_agency", "other",
    ]
    maintenance_star: Annotated[int, Field(ge=1, le=5)] | None = None


class Elevator(Record):
    elevator_id: Text
    registration_no: Text | None = None
    rescue_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")] | None = None
    district: Text
    subdistrict: Text | None = None
    community: Text
    commissioned_on: Date
    use_unit_id: Text
    maintenance_unit_id: Text
    manufacturer_id: Text | None = None
    residential: bool = True
    affordable_housing: bool = False
    households_served: Annotated[int, Field(ge=0)] | None = None
    status: Literal["in_service", "stopped", "scrapped"] = "in_service"


class DailyCheck(Record):
    elevator_id: Text
    date: Date
    inspector: Text
    result: Literal["normal", "hazard_found"] = "normal"
    note: FreeText | None = None


class WeeklyReview(Record):
    use_unit_id: Text
    date: Date
    director: Text | None = None
    note: FreeText | None = None


class MonthlyDispatch(Record):
    use_unit_id: Text
    date: Date
    chair: Text | None = None
    note: FreeText | None = None


class Maintenance(Record):
    elevator_id: Text
    date: Date
    maintenance_unit_id: Text
    kind: Literal["half_month", "quarter", "half_year", "year", "repair"]
    on_site: bool = True


class Inspection(Record):
    elevator_id: Text
    date: Date
    conclusion: Literal["pass", "pass_after_rectification", "fail"]
    next_due: Date | None = None
    report_no: Text | None = None


class Screening(Record):
    elevator_id: Text
    date: Date
    risk_level: Literal["low", "medium", "high"]
    report_no: Text | None = None


class Assessment(Record):
    assessment_id: Text
    elevator_id: Text
    applied_on: Date
    completed_on: Date | None = None
    conclusion: Literal["continue_use", "repair", "major_repair", "renovate", "replace"] | None = None
    working_group_on: Date | None = None
    plan_on: Date | None = None
    funding_plan_on: Date | None = None


class Hazard(Record):
    hazard_id: Text
    elevator_id: Text
    found_on: Date
    source: Literal["assessment", "screening", "inspection", "daily_check", "weekly_review", "spot_check", "other"]
    assessment_id: Text | None = None
    severity: Literal["general", "major", "serious"]
    description: FreeText | None = None
    deadline: Date | None = None
    rectified_on: Date | None = None
    listed_on: Date | None = None


class Entrapment(Record):
    incident_id: Text
    elevator_id: Text
    reported_at: LocalDateTime
    notified_at: LocalDateTime | None = None
    arrived_at: LocalDateTime | None = None
    released_at: LocalDateTime | None = None
    trapped: Annotated[int, Field(ge=0)] | None = None
    rescue_unit_id: Text | None = None
    cause: Literal["device_fault", "power_cut", "misuse", "external", "unknown"] | None = None


class AlarmTest(Record):
    elevator_id: Text
    date: Date
    ok: bool


class Drill(Record):
    use_unit_id: Text
    date: Date
    elevator_ids: list[Text] | None = None


class EmergencyPlan(Record):
    use_unit_id: Text
    approved_on: Date


class FundApplication(Record):
    application_id: Text
    elevator_id: Text
    applied_on: Date
    channel: Literal["emergency", "ordinary"]
    assessment_id: Text | None = None
    amount: Annotated[float, Field(ge=0)] | None = None
    decided_on: Date | None = None
    decision: Literal["approved", "rejected", "returned"] | None = None


class StopPeriod(Record):
    elevator_id: Text
    start: Date
    end: Date | None = None
    reason: Literal["order", "hazard", "owner", "works", "other"] | None = None


class Works(Record):
    work_id: Text
    elevator_id: Text
    kind: Literal["repair", "major_repair", "renovate", "replace"]
    started_on: Date
    completed_on: Date | None = None
    assessment_id: Text | None = None
    cost: Annotated[float, Field(ge=0)] | None = None
    funding: list[Literal["maintenance_fund", "fiscal_subsidy", "public_revenue", "owners", "insurance", "loan",
                          "other"]] | None = None


MODELS: dict[str, type[Record]] = {
    "organizations": Organization, "elevators": Elevator, "daily_checks": DailyCheck,
    "weekly_reviews": WeeklyReview, "monthly_dispatches": MonthlyDispatch, "maintenance": Maintenance,
    "inspections": Inspection, "screenings": Screening, "assessments": Assessment, "hazards": Hazard,
    "entrapments": Entrapment, "alarm_tests": AlarmTest, "drills": Drill,
    "emergency_plans": EmergencyPlan, "fund_applications": FundApplication, "stop_periods": StopPeriod,
    "works": Works,
}
