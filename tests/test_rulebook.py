"""Rule files, parameters and the credit schedule: readable, validated, and faithful to the draft."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import elevator, keys, visits
from checker.credit import load_schedule
from checker.engine import CompiledRule
from checker.errors import LiftcheckError
from checker.params import load_parameters
from checker.rulebook import CATALOGUE, load_rulebook

DRAFT = next((p / "shared" / "policy" / "opinion-draft.zh.txt" for p in Path(__file__).resolve().parents
              if (p / "shared" / "policy" / "opinion-draft.zh.txt").exists()), None)


def test_the_catalogue_is_complete_and_in_order():
    assert list(load_rulebook().rules) == CATALOGUE


@pytest.mark.skipif(DRAFT is None, reason="shared/policy/opinion-draft.zh.txt is not beside this checkout")
def test_every_rule_quotes_its_clause_verbatim():
    draft = re.sub(r"\s", "", DRAFT.read_text(encoding="utf-8"))
    for rule in load_rulebook():
        assert re.sub(r"\s", "", rule.clause["text"]) in draft, rule.id


def test_every_use_unit_rule_has_points_and_no_other_rule_does():
    book, schedule = load_rulebook(), load_schedule()
    for rule in book:
        points = schedule.points.get(rule.id, 0)
        values = list(points.values()) if isinstance(points, dict) else [points]
        if rule.responsible == "use_unit":
            assert values and all(v > 0 for v in values), rule.id
            assert rule.credit == f"credit.yaml#{rule.id}"
        else:
            assert rule.id not in schedule.points and rule.credit is None, rule.id
    assert schedule.official is False and "非官方" in schedule.notice_zh


def test_every_parameter_of_the_spec_is_there_with_its_default():
    p = load_parameters()
    defaults = {"old.min_age_years": 15, "old.boundary": "inclusive", "dense.min_households": 70,
                "daily_check.max_missing_days_per_month": 0, "drill.window_months": 12, "alarm.repair_within_days": 3,
                "rescue.max_arrival_minutes": 30, "maintenance.max_interval_days": 15,
                "maintenance.dense_max_interval_days": 10, "maintenance.min_star": 4, "inspection.cycle_months": 12,
                "screening.window_months": 12, "assessment.apply_within_days": 30,
                "assessment.workgroup_within_days": 60, "hazard.deadline_days.general": 30,
                "hazard.deadline_days.major": 90, "hazard.deadline_days.serious": 90,
                "hazard.listing_within_days": 15, "hazard.stop_within_days": 1, "fund.report_max_age_months": 12}
    assert {n: p.at(n, dt.date(2024, 6, 1)) for n in defaults} == defaults
    assert set(p.params) == set(defaults)
    assert {n for n, x in p.params.items() if x.interpretation} >= {"maintenance.min_star", "assessment.apply_within_days"}


def test_a_rule_uses_the_parameter_value_in_force_on_the_day_it_judges(judge):
    # 12 days allowed from 2024-01-15 on: the interval ending 01-12 is judged at 10, the one ending 01-26 at 12
    dense = elevator(commissioned_on="2009-01-01", affordable_housing="是", households_served=71)
    r = judge("2024-01-01", "2024-01-26", rules=["MAINT-INTERVAL-DENSE"], elevators=[dense],
              params={"maintenance.dense_max_interval_days": {"2024-01-01": 10, "2024-01-15": 12}},
              maintenance=visits("E1", ["2024-01-01", "2024-01-12", "2024-01-24", "2024-01-26"]))
    assert keys(r, "MAINT-INTERVAL-DENSE") == [("E1", "2024-01-01..2024-01-12")]
    assert r["parameters"]["maintenance.dense_max_interval_days"]["values"] == {"2024-01-01": 10, "2024-01-15": 12}


def _copy_rules(tmp_path: Path) -> Path:
    from checker.resources import data_dir

    folder = tmp_path / "rules"
    shutil.copytree(data_dir("rules"), folder)
    return folder


def test_a_broken_rule_file_names_the_file_and_the_field(tmp_path):
    folder = _copy_rules(tmp_path)
    path = folder / "MAINT-INTERVAL.yaml"
    body = yaml.safe_load(path.read_text(encoding="utf-8"))
    body["severity"] = "catastrophic"
    path.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LiftcheckError) as err:
        load_rulebook(folder)
    assert err.value.en.startswith("rule file MAINT-INTERVAL.yaml, field severity: 'catastrophic' is not one of")


@pytest.mark.parametrize("condition,message", [
    ("interval_days >", "expression syntax error"),
    ("interval_dayz > 15", "unknown name 'interval_dayz'"),
    ("__import__('os')", "unknown function '__import__'"),
    ("interval_days.bit_length() > 1", "unsupported construct"),
    ('interval_days > param("maintenance.min_star")', "parameters used but not listed: ['maintenance.min_star']"),
])
def test_the_condition_language_refuses_what_it_does_not_know(condition, message):
    rule = load_rulebook().get("MAINT-INTERVAL")
    rule.body["condition"] = condition
    columns = {"interval_days", "dense", "a", "b", "stopped_days_between", "ends_at_period_end", "elevator_id",
               "use_unit_id", "maintenance_unit_id", "district", "judged_on"}
    with pytest.raises(LiftcheckError) as err:
        CompiledRule(rule, load_parameters(), columns, dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert message in err.value.en
