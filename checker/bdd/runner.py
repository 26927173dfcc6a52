"""`liftcheck features`: run the Chinese features through pytest-bdd and report in Chinese."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from rich.console import Console

from checker.errors import LiftcheckError

_MODULE = '''from pytest_bdd import scenarios
from checker.bdd.steps import *  # noqa: F401,F403
scenarios({path!r})
'''


class ChineseReport:
    """A pytest plugin that prints each scenario's outcome and, on failure, the step and why."""

    def __init__(self, console: Console):
        self.console = console
        self.passed = 0
        self.failed = 0
        self.errors: dict[str, tuple[str, str]] = {}
        self.titles: dict[str, str] = {}

    def pytest_bdd_before_scenario(self, request, feature, scenario):
        self.titles[request.node.nodeid] = f"{feature.name} › {scenario.name}"

    def pytest_bdd_step_error(self, request, feature, scenario, step, step_func, step_func_args, exception):
        self.errors[request.node.nodeid] = (f"{step.keyword.strip()} {step.name}", str(exception))

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
            step, why = self.errors.get(item.nodeid, ("（场景准备阶段 setup）", str(report.longrepr).splitlines()[-1]))
            self.console.print(f"[red]✗ {title}[/]\n  步骤：{step}\n  {why}")


def run_features(path: Path | None, console: Console | None = None) -> int:
    from checker.resources import data_dir

    console = console or Console()
    target = (path or data_dir("features")).resolve()
    if not target.exists():
        raise LiftcheckError(f"找不到功能文件：{target}", f"feature file or folder not found: {target}")
    with tempfile.TemporaryDirectory(prefix="liftcheck-features-") as tmp:
        module = Path(tmp) / "test_liftcheck_features.py"
        module.write_text(_MODULE.format(path=str(target)), encoding="utf-8")
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
    return 0 if code == 0 else (1 if report.failed else 2)
