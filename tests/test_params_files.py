"""--params files: the three forms a drafter meets in rules/params.yaml, and every other form refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from checker.errors import LiftcheckError
from checker.params import load_parameters

NAME = "maintenance.dense_max_interval_days"


def _load(tmp_path: Path, text: str):
    path = tmp_path / "提案.yaml"
    path.write_text(text, encoding="utf-8")
    return load_parameters(path)


@pytest.mark.parametrize("text", [
    f"{NAME}: 12",
    f"{NAME}: {{2024-01-01: 12}}",
    f"{NAME}:\n  values: {{2024-01-01: 12}}",
    # a whole entry copied from rules/params.yaml, with the drafter's own basis
    f"{NAME}:\n  description: {{zh: 上限, en: limit}}\n  type: integer\n  unit: days\n  basis: 征求意见稿第12条\n"
    f"  values: {{2024-01-01: 12}}",
])
def test_each_form_of_params_yaml_sets_the_value_and_keeps_the_shipped_one(tmp_path, text):
    p = _load(tmp_path, text)[NAME]
    assert p.values == [(dt.date(2024, 1, 1), 12)]
    assert p.shipped == [(dt.date(2024, 1, 1), 10)]
    assert p.overridden


def test_a_dated_mapping_in_the_values_form_keeps_every_date(tmp_path):
    p = _load(tmp_path, f"{NAME}:\n  values: {{2024-01-01: 10, 2024-07-01: 12}}")[NAME]
    assert p.at(dt.date(2024, 6, 30)) == 10 and p.at(dt.date(2024, 7, 1)) == 12


@pytest.mark.parametrize("text,message", [
    (f"{NAME}: {{value: 12}}", "'value' is not an effective date (YYYY-MM-DD); write maintenance.dense_max_interval_days: 10,"),
    (f"{NAME}: [12]", "cannot read the value [12]; write"),
    (f"{NAME}:", "cannot read the value None; write"),
    (f"{NAME}: {{}}", "cannot read the value {}; write"),
    (f"{NAME}: {{values: 12}}", "values must map effective dates to values, e.g. "
                                "maintenance.dense_max_interval_days: {values: {2024-01-01: 10}}"),
    (f"{NAME}: {{values: {{2024-01-01: 12}}, valeus: 3}}", "has unknown keys ['valeus']"),
    (f"{NAME}: {{values: {{2024-01-01: 12}}, type: enum}}", "its type and choices cannot be changed"),
    (f"{NAME}: {{values: {{2024-01-01: twelve}}}}", "must be an integer, got 'twelve'"),
    ("old.boundary: {values: {2024-01-01: 以上}}", "must be one of inclusive, exclusive, got '以上'"),
])
def test_any_other_form_is_refused_naming_the_file_and_the_parameter(tmp_path, text, message):
    with pytest.raises(LiftcheckError) as err:
        _load(tmp_path, text)
    name = text.split(":")[0]
    assert err.value.en.startswith(f"{tmp_path / '提案.yaml'}: parameter {name}"), err.value.en
    assert message in err.value.en
    assert str(tmp_path / "提案.yaml") in err.value.zh and name in err.value.zh


def test_a_list_parameter_takes_a_list_in_every_form(tmp_path):
    name = "assessment.workgroup_conclusions"
    for text in (f"{name}: [major_repair, replace]", f"{name}: {{2024-01-01: [major_repair, replace]}}",
                 f"{name}:\n  values: {{2024-01-01: [major_repair, replace]}}"):
        assert _load(tmp_path, text)[name].values == [(dt.date(2024, 1, 1), ["major_repair", "replace"])]
    with pytest.raises(LiftcheckError) as err:
        _load(tmp_path, f"{name}: [fix_it]")
    assert "must be a list of continue_use, repair, major_repair, renovate, replace, got ['fix_it']" in err.value.en
    with pytest.raises(LiftcheckError) as err:
        _load(tmp_path, "fund.require_plan: [true]")
    assert 'cannot read the value [True]; write fund.require_plan: false' in err.value.en
