"""Typing slips a drafter makes in a Chinese feature file, found before anything runs.

A Chinese input method gives a full-width colon "：" and curly quotes “…” where Gherkin and
the step vocabulary need ":" and "…". Gherkin then silently reads "场景：" as description text
(the scenario vanishes) and a step with “…” matches nothing. Each slip is reported with the
file, the line, and the line as it should be written. The keywords come from the Gherkin
dialect the file declares (`# language: zh-CN`), as the parser itself reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gherkin.dialect import Dialect

_LANGUAGE = re.compile(r"^\s*#\s*language\s*:\s*(\S+)\s*$")


@dataclass(frozen=True)
class FeatureProblem:
    path: Path
    line: int
    zh: str
    en: str
    fixed: str          # the line as it should read

    def text(self) -> tuple[str, str]:
        where = f"{self.path}:{self.line}"
        return (f"{where}：{self.zh}\n  应写作：{self.fixed.strip()}",
                f"{where}: {self.en}\n  write: {self.fixed.strip()}")


def _language(lines: list[str]) -> str:
    for line in lines:
        if line.strip() and not line.lstrip().startswith("#"):
            break
        m = _LANGUAGE.match(line)
        if m:
            return m.group(1)
    return "en"


def _keywords(dialect: Dialect) -> tuple[list[str], set[str], list[str]]:
    """(block keywords such as 场景, those that open steps, step keywords such as 假如), longest first."""
    with_steps = {*dialect.background_keywords, *dialect.scenario_keywords, *dialect.scenario_outline_keywords}
    blocks = {*with_steps, *dialect.feature_keywords, *dialect.examples_keywords, *dialect.rule_keywords}
    steps = {k.strip() for k in (*dialect.given_keywords, *dialect.when_keywords, *dialect.then_keywords,
                                 *dialect.and_keywords, *dialect.but_keywords)}
    return sorted(blocks, key=len, reverse=True), with_steps, sorted(steps - {""}, key=len, reverse=True)


def lint_feature(path: Path) -> list[FeatureProblem]:
    lines = path.read_text(encoding="utf-8").splitlines()
    language = _language(lines)
    chinese_blocks = _keywords(Dialect.for_name("zh-CN"))[0]
    dialect = Dialect.for_name(language)
    if dialect is None:
        return [FeatureProblem(path, 1, f"不认识的语言「{language}」", f"unknown language {language!r}", "# language: zh-CN")]
    blocks, with_steps, steps = _keywords(dialect)
    problems = []
    in_docstring = in_steps = False   # steps follow 场景/背景; free description follows 功能
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if text.startswith(('"""', "```")):
            in_docstring = not in_docstring
            continue
        if in_docstring or not text or text.startswith(("#", "|")):
            continue
        indent = line[: len(line) - len(line.lstrip())]
        block = next((k for k in blocks if text.startswith(k)), None)
        if block is not None:
            in_steps = block in with_steps
            rest = text[len(block):].lstrip()
            if rest.startswith("："):
                problems.append(FeatureProblem(
                    path, number, f"“{block}”后面是全角冒号“：”，Gherkin 只认英文冒号“:”（否则这一段不会被当作{block}）",
                    f"full-width colon '：' after {block!r}: Gherkin needs an ASCII ':' (else the block is ignored)",
                    f"{indent}{block}: {rest[1:].lstrip()}"))
            continue
        if language != "zh-CN" and any(text.startswith(k + ":") or text.startswith(k + "：") for k in chinese_blocks):
            problems.append(FeatureProblem(
                path, number, "文件第一行应为 # language: zh-CN，否则中文关键词（功能、场景……）不被识别",
                "the file must start with '# language: zh-CN', else the Chinese keywords are not recognised",
                "# language: zh-CN"))
            break
        step = next((k for k in steps if text.startswith(k)), None) if in_steps else None
        if step is None:
            continue
        rest = text[len(step):].lstrip()
        fixed = rest
        found_zh, found_en = [], []
        if rest.startswith("："):
            fixed = fixed[1:].lstrip()
            found_zh.append(f"“{step}”后面多了全角冒号“：”")
            found_en.append(f"a full-width colon '：' after {step!r}")
        if any(q in rest for q in "“”‘’"):
            fixed = re.sub("[“”]", '"', re.sub("[‘’]", "'", fixed))
            found_zh.append('步骤中的参数用了中文引号“…”，请用英文引号 "…" 代替 “…”')
            found_en.append('Chinese quotes “…” around a step argument: use ASCII quotes "…"')
        if rest.endswith("："):
            fixed = fixed[:-1] + ":"
            found_zh.append("步骤末尾是全角冒号“：”，表格前应为英文冒号“:”")
            found_en.append("a full-width colon '：' ends the step: a table needs an ASCII ':'")
        if found_zh:
            problems.append(FeatureProblem(path, number, "；".join(found_zh), "; ".join(found_en),
                                           f"{indent}{step} {fixed}"))
    return problems


def lint_features(target: Path) -> list[FeatureProblem]:
    paths = sorted(target.rglob("*.feature")) if target.is_dir() else [target]
    return [p for path in paths for p in lint_feature(path)]
