"""A drafter's slips in a --params file are said as what they are, before anything is read: a
full-width colon after the name, and a misspelt name with "您是不是要找 …" (checker/hints.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main

PERIOD = ["--from", "2024-01-01", "--to", "2024-12-31"]


def run(*args) -> tuple[int, str]:
    r = CliRunner(env={"COLUMNS": "400"}).invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in r.output and "Internal error" not in r.output
    return r.exit_code, r.output


@pytest.mark.parametrize("command", [["check", "data", *PERIOD, "--params"], ["compare", "data", *PERIOD, "--proposal-params"],
                                     ["compare", "data", *PERIOD, "--params"], ["old-list", "data", "--quarter", "2024Q3",
                                                                                "--params"]])
def test_a_full_width_colon_in_a_params_file_is_named_with_the_line_as_it_should_be(tmp_path, command):
    path = tmp_path / "12天.yaml"
    path.write_text("# 提案\nmaintenance.dense_max_interval_days：12\n", encoding="utf-8")
    code, out = run(*command, path)
    assert code == 2
    assert (f"{path} 第 2 行：参数名后面是全角冒号“：”，YAML 只认英文冒号“:”（冒号后加一个空格）；"
            "应写作：maintenance.dense_max_interval_days: 12") in out
    assert f"{path} line 2: a full-width colon '：' after the parameter name" in out
    assert "应为映射" not in out and "must map names to values" not in out


def test_a_misspelt_parameter_in_a_params_file_gets_the_nearest_name(tmp_path):
    path = tmp_path / "12天.yaml"
    path.write_text("maintenance.dense_max_intervall_days: 12\n", encoding="utf-8")
    code, out = run("check", tmp_path / "data", *PERIOD, "--params", path)
    assert code == 2
    assert (f"{path}：未知参数「maintenance.dense_max_intervall_days」，您是不是要找「maintenance.dense_max_interval_days」？"
            in out)
    assert "did you mean 'maintenance.dense_max_interval_days'?" in out
    # nothing near: no guess, and no list of every parameter either
    path.write_text("zzz: 12\n", encoding="utf-8")
    code, out = run("check", tmp_path / "data", *PERIOD, "--params", path)
    assert code == 2 and f"{path}：未知参数「zzz」。参数名见 rules/params.yaml" in out and "您是不是要找" not in out


def test_a_well_written_params_file_passes_the_check(tmp_path):
    from checker.hints import check_params_file

    path = tmp_path / "ok.yaml"
    path.write_text("# 冒号：在注释里照常\nmaintenance.dense_max_interval_days: 12\n", encoding="utf-8")
    check_params_file(path)
    check_params_file(None)
    check_params_file(Path(tmp_path / "missing.yaml"))   # checker.params says "not found" in its own words
