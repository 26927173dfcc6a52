"""docs/drafting.md's worked what-if ("10 还是 12 天？") is run exactly as written, and the numbers
the doc quotes are the numbers liftcheck prints."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from click.testing import CliRunner

from checker.cli import main
from checker.sample import DISTRICTS

DOC = Path(__file__).resolve().parents[1] / "docs" / "drafting.md"


def _normal(line: str) -> str:
    return " ".join(line.replace("│", " ").replace("┃", " ").split())


def _section() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index("## 七、试算"): text.index("## 八、")]


def test_the_worked_what_if_prints_the_numbers_the_doc_quotes(tmp_path, monkeypatch):
    section = _section()
    commands = re.search(r"```bash\n(liftcheck demo\n.*?)```", section, re.S).group(1).strip().splitlines()
    assert commands == ["liftcheck demo", "echo 'maintenance.dense_max_interval_days: 12' > 12天.yaml",
                        "liftcheck compare liftcheck-demo/submission --from 2024-01-01 --to 2024-12-31 "
                        "--proposal-params 12天.yaml"]
    runner = CliRunner(env={"COLUMNS": "400"})
    monkeypatch.chdir(tmp_path)   # liftcheck demo writes ./liftcheck-demo, as a drafter would see it
    assert runner.invoke(main, ["demo"], catch_exceptions=False).exit_code == 0
    Path("12天.yaml").write_text("maintenance.dense_max_interval_days: 12\n", encoding="utf-8")
    args = commands[2].split()[1:]
    table = runner.invoke(main, args, catch_exceptions=False)
    data = runner.invoke(main, [*args, "--format", "json"], catch_exceptions=False)
    assert table.exit_code == 0 and data.exit_code == 0
    printed = {_normal(line) for line in table.output.splitlines()}
    excerpt = re.search(r"<!-- what-if: begin.*?```text\n(.*?)```", section, re.S).group(1)
    for line in excerpt.strip().splitlines():
        assert _normal(line) in printed, f"the doc quotes a line liftcheck does not print: {line}"

    # the reading below the excerpt quotes the same numbers
    c = json.loads(data.output)
    dense = next(r for r in c["by_rule"] if r["rule_id"] == "MAINT-INTERVAL-DENSE")
    m = re.search(r"维保超期违规从 (\d+) 条减为 (\d+) 条，少 (\d+) 条，没有新增；其他 (\d+) 条规则的结论不变", section)
    assert tuple(map(int, m.groups())) == (dense["base"], dense["proposal"], len(c["removed"]),
                                           sum(r["base"] == r["proposal"] for r in c["by_rule"]))
    assert c["added"] == [] and {v["rule_id"] for v in c["removed"]} == {"MAINT-INTERVAL-DENSE"}
    shifts = {d["district"]: d["base"] - d["proposal"] for d in c["by_district"] if d["base"] != d["proposal"]}
    quoted = dict((d, int(n)) for d, n in re.findall(f"({'|'.join(DISTRICTS)})（(\\d+) 条）", section))
    assert quoted == shifts
    assert {v["responsible_role"] for v in c["removed"]} == {"maintenance_unit"}
    assert len({v["elevator_id"] for v in c["removed"]}) == 2 and len({v["responsible_org_id"] for v in c["removed"]}) == 2
    assert "影响 0 家物业企业" in c["conclusion_zh"] and "没有物业服务企业的信用扣分发生变化" in section
    assert sorted(v["evidence"]["interval_days"] for v in c["removed"]) == [11, 12, 12]
    assert "间隔 12 天两次、11 天一次" in section


def test_the_parameter_file_shown_in_the_doc_is_accepted(tmp_path):
    from checker.params import load_parameters

    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"参数文件（`--params`.*?```yaml\n(.*?)```", text, re.S).group(1)
    path = tmp_path / "示例.yaml"
    path.write_text(block, encoding="utf-8")
    params = load_parameters(path)
    assert params["maintenance.dense_max_interval_days"].at(dt.date(2024, 6, 1)) == 12
    assert len(params["old.min_age_years"].values) == 2
