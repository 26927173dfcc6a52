"""A drafter's slip in a feature file is named by file and line, in Chinese and English, with the fix."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from checker.bdd.lint import lint_features
from checker.cli import main
from checker.resources import data_dir

HEAD = """# language: zh-CN
功能: 试验
  条款 四（五）：“梯户比超过70户/梯的……不大于10天/次。”（描述里的中文引号和冒号照常）
"""
SCENARIO = """  场景: 一部电梯
    假如 以下电梯:
      | 设备代码 | 投用日期   |
      | E1       | 2009-01-01 |
    当 检查 "2024-01-01" 至 "2024-01-31"
    那么 规则 "DAILY-CHECK" 未评判
"""


def features(tmp_path: Path, text: str) -> tuple[int, str, Path]:
    path = tmp_path / "试验.feature"
    path.write_text(text, encoding="utf-8")
    r = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["features", str(path)], catch_exceptions=False)
    assert "All traceback entries are hidden" not in r.output and "Traceback" not in r.output
    return r.exit_code, r.output, path


def test_a_well_written_feature_passes(tmp_path):
    code, out, _ = features(tmp_path, HEAD + SCENARIO)
    assert code == 0, out
    assert out.splitlines() == ["✓ 试验 › 一部电梯", "1 个场景：1 个通过，0 个不通过", "1 passed, 0 failed"]
    # and its one assertion can fail: the same scenario expecting a violation instead is reported, exit 1
    # (in a file of its own: pytest-bdd keeps a parsed feature per path for the life of the process)
    (tmp_path / "wrong").mkdir()
    code, out, _ = features(tmp_path / "wrong", HEAD + SCENARIO.replace("未评判", "的违规数为 1"))
    assert code == 1 and "1 个场景：0 个通过，1 个不通过" in out
    assert "规则 DAILY-CHECK：期望 1 条违规，实际 0 条：（没有违规）" in out


def test_an_unknown_step_names_file_and_line_and_the_nearest_sentence(tmp_path):
    code, out, path = features(tmp_path, HEAD + SCENARIO.replace('未评判', '的违规有 3 条'))
    assert code == 2
    assert f'{path}:9：没有这样的步骤「那么 规则 "DAILY-CHECK" 的违规有 3 条」' in out
    assert f"{path}:9: unknown step '那么 规则 \"DAILY-CHECK\" 的违规有 3 条'" in out
    # the nearest sentence, written with the drafter's own rule and number (not the vocabulary's example)
    assert '最接近的写法：那么 规则 "DAILY-CHECK" 的违规数为 3' in out
    assert "MAINT-INTERVAL-DENSE" not in out
    assert "1 个场景无法评判" in out


def test_a_full_width_colon_after_a_keyword_is_named_with_the_line_as_it_should_be(tmp_path):
    code, out, path = features(tmp_path, HEAD + SCENARIO.replace("场景: 一部电梯", "场景：一部电梯"))
    assert code == 2
    assert f"{path}:4：“场景”后面是全角冒号“：”，Gherkin 只认英文冒号“:”" in out
    assert f"{path}:4: full-width colon '：' after '场景'" in out
    # the fix on a line of its own: a real newline, never a printed "\n"
    assert "\\n" not in out
    assert "  应写作：场景: 一部电梯" in out.splitlines() and "  write: 场景: 一部电梯" in out.splitlines()


def test_a_full_width_colon_before_a_table_is_named(tmp_path):
    code, out, path = features(tmp_path, HEAD + SCENARIO.replace("以下电梯:", "以下电梯："))
    assert code == 2
    assert f"{path}:5：步骤末尾是全角冒号“：”" in out and "应写作：假如 以下电梯:" in out


def test_chinese_quotes_around_a_step_argument_are_named_with_the_hint(tmp_path):
    code, out, path = features(tmp_path, HEAD + SCENARIO.replace('"2024-01-01" 至 "2024-01-31"', "“2024-01-01” 至 “2024-01-31”"))
    assert code == 2
    assert f'{path}:8：步骤中的参数用了中文引号“…”，请用英文引号 "…" 代替 “…”' in out
    assert f"{path}:8: Chinese quotes “…” around a step argument: use ASCII quotes" in out
    assert '应写作：当 检查 "2024-01-01" 至 "2024-01-31"' in out


def test_every_slip_in_a_file_is_listed_at_once(tmp_path):
    text = HEAD + SCENARIO.replace("场景: 一部电梯", "场景：一部电梯").replace('"DAILY-CHECK"', "“DAILY-CHECK”")
    code, out, path = features(tmp_path, text)
    assert code == 2 and f"{path}:4：" in out and f"{path}:9：" in out


def test_a_chinese_feature_without_its_language_line_is_named(tmp_path):
    code, out, path = features(tmp_path, (HEAD + SCENARIO).replace("# language: zh-CN\n", ""))
    assert code == 2 and f"{path}:1：文件第一行应为 # language: zh-CN" in out


def test_the_shipped_features_have_no_slips():
    assert lint_features(data_dir("features")) == []


def test_every_sentence_of_the_vocabulary_is_a_step_and_every_step_has_a_sentence():
    import checker.bdd.steps as steps

    # pytest-bdd keeps each step definition as a fixture of the module that defines it
    definitions = [getattr(steps, name)._get_wrapped_function()() for name in vars(steps)
                   if name.startswith("pytestbdd_stepdef_")]
    kinds = {"假如": "given", "当": "when", "那么": "then", "并且": "then"}
    for keyword, sentence in steps.VOCABULARY:
        matching = [d for d in definitions if d.type == kinds[keyword] and d.parser.is_matching(sentence)]
        assert matching, f"no step reads {keyword} {sentence}"
    for d in definitions:
        assert any(d.parser.is_matching(sentence) for _, sentence in steps.VOCABULARY), d.parser


def test_a_wrong_column_is_named_in_words_with_the_nearest_column(tmp_path):
    code, out, _ = features(tmp_path, HEAD + SCENARIO.replace("| 投用日期   |", "| 投用日   |"))
    assert code == 1
    assert "电梯 没有列「投用日」，您是不是要找「投用日期」？可用的列：" in out
    assert "['" not in out   # never a Python list


def test_a_misspelt_parameter_in_a_step_gets_the_nearest_name(tmp_path):
    step = '    假如 参数 "maintenance.dense_max_interval_day" 为 12\n'
    code, out, _ = features(tmp_path, HEAD + SCENARIO.replace("    当 检查", step + "    当 检查"))
    assert code == 1
    assert ("未知参数「maintenance.dense_max_interval_day」，您是不是要找「maintenance.dense_max_interval_days」？"
            in out.replace("\n", ""))
