"""Who sees what: roles, their scope, and the filters that keep each to its own.

Every page and endpoint that names an elevator, an organisation, a district or an
assessment first finds it *inside the caller's scope*; anything outside answers 404,
exactly like an id that does not exist, so a firm cannot even learn that another
firm's elevator is there. Only then is the role's permission for the action checked (403).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

ROLES = {
    "owner": "业主",
    "use_unit": "使用单位",
    "maintenance_unit": "维保单位",
    "inspection_agency": "检验机构",
    "market_regulator": "市场监管部门",
    "district_government": "区人民政府",
    "housing_department": "住房城乡建设（房产）部门",
}
ACCOUNT_ROLES = [r for r in ROLES if r != "owner"]   # an owner needs no account
ORG_ROLES = ("use_unit", "maintenance_unit")
CITY_ROLES = ("market_regulator", "housing_department", "inspection_agency")

# What each role may do beyond reading its scope.
CAN_SEE_VIOLATIONS = ("use_unit", "maintenance_unit", "market_regulator", "district_government", "housing_department")
CAN_SEE_CREDIT = ("use_unit", "market_regulator", "district_government", "housing_department")
CAN_SEE_QUEUE = ("market_regulator", "district_government", "housing_department", "inspection_agency")
CAN_UPLOAD = ("use_unit", "maintenance_unit")
CAN_APPLY = ("use_unit",)
CAN_SEE_STATS = ("market_regulator", "district_government", "housing_department", "inspection_agency")
# Record types each submitting role may send (for its own elevators and unit only).
UPLOAD_TYPES = {
    "use_unit": None,   # every type
    "maintenance_unit": {"organizations", "maintenance", "alarm_tests", "entrapments"},
}


@dataclass(frozen=True)
class Principal:
    """The signed-in account (or nobody: an owner)."""

    user_id: int | None
    name: str
    role: str
    org_id: str | None = None
    district: str | None = None
    must_change_password: bool = False

    @property
    def role_zh(self) -> str:
        return ROLES[self.role]

    @property
    def is_org(self) -> bool:
        return self.role in ORG_ROLES

    @property
    def scope_zh(self) -> str:
        if self.is_org:
            return f"本单位（{self.org_id}）"
        if self.role == "district_government":
            return f"{self.district}"
        return "全市"


OWNER = Principal(user_id=None, name="业主", role="owner")


def elevator_filter(p: Principal) -> pl.Expr:
    """The elevators a principal may see (over a frame with use_unit_id, maintenance_unit_id, district)."""
    if p.role == "use_unit":
        return pl.col("use_unit_id") == p.org_id
    if p.role == "maintenance_unit":
        return pl.col("maintenance_unit_id") == p.org_id
    if p.role == "district_government":
        return pl.col("district") == p.district
    if p.role in CITY_ROLES:
        return pl.lit(True)
    return pl.lit(False)


def violation_filter(p: Principal) -> pl.Expr:
    """A firm's own violations are those it is responsible for; a district's, those in it."""
    if p.is_org:
        return pl.col("responsible_org_id") == p.org_id
    if p.role == "district_government":
        return pl.col("district") == p.district
    if p.role in ("market_regulator", "housing_department"):
        return pl.lit(True)
    return pl.lit(False)


def district_allowed(p: Principal, district: str) -> bool:
    if p.role == "district_government":
        return district == p.district
    return p.role in CITY_ROLES
