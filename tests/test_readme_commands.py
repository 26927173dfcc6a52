"""Every `liftcheck` command shown in README.md runs on the demo data without failing (exit 2).

The README's code blocks are parsed (comments dropped, `;` and `&&` split), each `liftcheck …`
command is kept, in order, and its placeholders are replaced by the demo's paths: DATA/ and
我的数据/ → liftcheck-demo/submission/, 我的数据.xlsx → the demo's workbook, 12天.yaml → the
demo's parameter file, 我的草稿/ → its rule overlay, FINGERPRINT → a deduction the demo's report holds. `liftcheck demo`
itself comes first, from the install line. Outputs go to a fresh working folder.

Two are not run verbatim: `liftcheck features` runs on one feature file here, since
tests/test_features.py runs every feature already (the whole set takes minutes); `liftcheck serve`
never exits by itself, so it runs in a process of its own on a free port until it answers the
home page, and is then stopped (it must not have exited 2 meanwhile).
"""

from __future__ import annotations

import json
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.demo import try_next
from checker.resources import data_dir

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_commands() -> list[str]:
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            command: list[str] = []
            for word in words + [";"]:
                if word in (";", "&&"):
                    if command and command[0] == "liftcheck":
                        commands.append(shlex.join(command))
                    command = []
                else:
                    command.append(word)
    return commands


def substitute(command: str, demo: Path) -> list[str]:
    report = json.loads((demo / "report.json").read_text(encoding="utf-8"))
    fingerprint = report["credit"][0]["items"][0]["fingerprint"]
    out = []
    for word in shlex.split(command)[1:]:
        word = {"DATA/": f"{demo / 'submission'}/", "我的数据/": f"{demo / 'submission'}/",
                "我的数据.xlsx": str(demo / "我的数据.xlsx"), "12天.yaml": str(demo / "12天.yaml"),
                "我的草稿/": f"{demo / '我的草稿'}/",
                "FINGERPRINT": fingerprint}.get(word, word)
        out.append(word)
    return out


def serve_until_it_answers(args: list[str], cwd: Path) -> int:
    """Run `liftcheck serve` on a free port until its home page answers 200; returns 0 when it did."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", "from checker.cli import main; main()", *args, "--port", str(port)],
                              cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if server.poll() is not None:
                return server.returncode or 2
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    if page.status == 200:
                        return 0
            except OSError:
                time.sleep(1)
        return 2
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def test_the_readme_shows_the_commands_this_test_expects():
    commands = readme_commands()
    assert commands[0] == "liftcheck demo"
    assert {c.split()[1] for c in commands} >= {"demo", "check", "credit", "old-list", "template", "validate",
                                                "fund-check", "rules", "features", "coverage", "compare", "serve",
                                                "users"}
    assert ["liftcheck", "fund-check", "我的数据.xlsx", "ZJ0000000"] in [shlex.split(c) for c in commands]


def test_every_readme_command_runs_on_the_demo_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner(env={"COLUMNS": "100"})
    demo = Path("liftcheck-demo")
    ran = []
    for command in readme_commands():
        args = ["demo"] if command == "liftcheck demo" else substitute(command, demo)
        if args == ["features"]:
            args = ["features", str(data_dir("features") / "EMERGENCY-PLAN.feature")]
        started = time.perf_counter()
        if args[0] == "serve":
            import fastapi  # noqa: F401 - a test dependency (liftcheck[portal]): fails, never skips
            code = serve_until_it_answers(args, tmp_path)
            ran.append((shlex.join(["liftcheck", *args, "--port", "N"]), code, time.perf_counter() - started))
            assert code == 0, f"{command}: the portal did not answer"
            continue
        result = runner.invoke(main, args, catch_exceptions=False)
        ran.append((shlex.join(["liftcheck", *args]), result.exit_code, time.perf_counter() - started))
        assert result.exit_code in (0, 1), f"{command}\n→ liftcheck {shlex.join(args)}\n{result.output[-3000:]}"
        assert "Traceback" not in result.output and "Internal error" not in result.output, command
    print("\n".join(f"{code}  {seconds:5.1f}s  {c}" for c, code, seconds in ran))
    assert [c for c, _, _ in ran if c.startswith("liftcheck users add")], "the portal's account command ran"
    # what they were meant to write is there
    for name in ("report.json", "报告.html", "credit.sqlite", "信用扣分.xlsx", "老旧电梯清单.xlsx", "我的模板.xlsx",
                 "违规清单.xlsx"):
        assert (tmp_path / name).stat().st_size > 0, name
    # the fund application the README names is an emergency application of an old elevator, reviewed (R3-3)
    verdict = json.loads(runner.invoke(main, ["fund-check", str(demo / "我的数据.xlsx"), "ZJ0000000", "--format", "json"]).stdout)
    assert verdict["well_founded"] is False and verdict["unmet"] == ["report_exists"]
    # and the demo's closing list is the README's commands with the demo's paths
    fingerprint = json.loads((demo / "report.json").read_text(encoding="utf-8"))["credit"][0]["items"][0]["fingerprint"]
    suggested = [shlex.split(c) for c, _ in try_next(demo, fingerprint)]
    # the portal's commands need its extra and a server, `effect` the effect extra: not suggested by the demo
    portal = ("serve", "users", "effect")
    readme = [["liftcheck", *substitute(c, demo)] for c in readme_commands()
              if c != "liftcheck demo" and c.split()[1] not in portal]
    assert sorted(map(shlex.join, suggested)) == sorted(map(shlex.join, readme))
