"""`liftcheck features`: run the Chinese features through pytest-bdd and report in Chinese."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from rich.console import Console

from checker.bdd.steps import nearest_sentences
from checker.errors import LiftcheckError

_MODULE = '''from pathlib import Path
import pytest
from pytest_bdd import scenarios
from checker.bdd.steps import *  # noqa: F401,F403


@pytest.fixture
def rules_overlay():
    return {overlay}


scenarios({path!r})
'''


class ChineseReport:
    """A pytest plugin that prints each scenario's outcome and, on failure, the step and why."""

    def __init__(self, console: Console):
        self.console = console
        self.passed = 0
        self.failed = 0
        self.broken = 0          # scenarios that could not be judged: a step no sentence matches
        self.errors: dict[str, tuple[str, str]] = {}
        self.titles: dict[str, str] = {}

    def pytest_bdd_before_scenario(self, request, feature, scenario):
        self.titles[request.node.nodeid] = f"{feature.name} › {scenario.name}"

    def pytest_bdd_step_error(self, request, feature, scenario, step, step_func, step_func_args, exception):
        self.errors[request.node.nodeid] = (f"{step.keyword.strip()} {step.name}", str(exception))

    def pytest_bdd_step_func_lookup_error(self, request, feature, scenario, step, exception):
        self.broken += 1
        self.errors[request.node.nodeid] = unknown_step(feature.filename, step)

    def pytest_collectreport(self, report):
        if report.failed:  # the feature file could not be parsed: Gherkin says where
            self.broken += 1
            self.console.print(f"[red]✗ 无法读取功能文件 cannot read the feature file[/]\n  {_last_line(report.longrepr)}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when != "call" and not report.failed:
            return
        title = self.titles.get(item.nodeid, item.name)
        params = getattr(item, "callspec", None)
        if params and params.params.get("_pytest_bdd_example"):
            title += "  " + "，".join(f"{k}={v}" for k, v in params.params["_pytest_bdd_example"].items())
        if report.passed and report.when == "call":
            self.passed += 1
            self.console.print(f"[green]✓[/] {title}")
        elif report.failed:
            self.failed += 1
            step, why = self.errors.get(item.nodeid, ("（场景准备阶段 setup）", _last_line(report.longrepr)))
            self.console.print(f"[red]✗ {title}[/]\n  步骤：{step}\n  {why}")


def _last_line(longrepr) -> str:
    lines = [line for line in str(longrepr).splitlines() if line.strip()]
    return lines[-1] if lines else ""


def unknown_step(filename: str, step) -> tuple[str, str]:
    """(the step as written, a bilingual explanation with file:line and the nearest sentences)."""
    written = f"{step.keyword.strip()} {step.name}"
    where = f"{filename}:{step.line_number}"
    near = nearest_sentences(step.name)
    hint_zh = f"\n  最接近的写法：{'；'.join(near)}" if near else ""
    hint_en = f"\n  nearest sentences: {'; '.join(near)}" if near else ""
    return written, (f"{where}：没有这样的步骤「{written}」（可用的句子见 docs/drafting.md）{hint_zh}\n"
                     f"  {where}: unknown step {written!r} (the sentences are listed in docs/drafting.md){hint_en}")


def run_features(path: Path | None, console: Console | None = None, rules_overlay: Path | None = None) -> int:
    from checker.bdd.lint import lint_features
    from checker.resources import data_dir

    console = console or Console()
    target = (path or data_dir("features")).resolve()
    if not target.exists():
        raise LiftcheckError(f"找不到功能文件：{target}", f"feature file or folder not found: {target}")
    if rules_overlay is not None:
        _compile_overlay(rules_overlay)
    problems = lint_features(target)
    if problems:   # printed here, line by line: an error message would show its newlines as \n
        from rich.markup import escape

        from checker.terminal import say

        texts = [p.text() for p in problems]
        say(console, "[red]功能文件有书写错误[/] the feature files have typing slips：")
        for zh, en in texts:
            say(console, escape(zh))
            say(console, f"[dim]{escape(en)}[/]")
        say(console, f"[red]{len(problems)} 处书写错误，场景未运行[/] {len(problems)} slip(s); no scenario was run")
        return 2
    overlay = "None" if rules_overlay is None else f"Path({str(rules_overlay.resolve())!r})"
    with tempfile.TemporaryDirectory(prefix="liftcheck-features-") as tmp:
        # a basename of its own, so that a second run in the same process imports its own module
        module = Path(tmp) / f"test_{Path(tmp).name.replace('-', '_')}.py"
        module.write_text(_MODULE.format(path=str(target), overlay=overlay), encoding="utf-8")
        (Path(tmp) / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        report = ChineseReport(console)
        code = pytest.main([str(module), "-p", "no:cacheprovider", "-p", "no:terminal",
                            "-c", str(Path(tmp) / "pytest.ini"), "--rootdir", tmp, "-W", "ignore"], plugins=[report])
    total = report.passed + report.failed
    if total == 0:
        console.print("[yellow]没有找到场景[/] no scenarios found")
        return 2
    colour = "green" if report.failed == 0 else "red"
    console.print(f"[{colour}]{total} 个场景：{report.passed} 个通过，{report.failed} 个不通过[/]")
    console.print(f"{report.passed} passed, {report.failed} failed")
    if report.broken:
        console.print(f"[red]{report.broken} 个场景无法评判（步骤写法有误）[/] {report.broken} could not be judged (unknown steps)")
        return 2
    return 0 if code == 0 else (1 if report.failed else 2)


def _compile_overlay(folder: Path) -> None:
    """A drafter's overlay is compiled before any scenario runs: a typo is one message, not one per scenario."""
    import datetime as dt

    from checker.overrides import compile_overlay
    from checker.params import load_parameters
    from checker.rulebook import load_rulebook

    today = dt.date.today()
    compile_overlay(load_rulebook(folder), load_parameters(), today, today)
