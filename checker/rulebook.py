"""The rule book: rules/*.yaml, validated against rules/rule.schema.json when loaded."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from checker import __version__
from checker.errors import LiftcheckError
from checker.resources import data_dir

SEVERITY_ORDER = ["notice", "general", "major", "serious"]
RESPONSIBLE_ZH = {"use_unit": "使用单位", "maintenance_unit": "维保单位", "market_regulator": "市场监管部门",
                  "district_government": "区人民政府（江北新区管理机构）",
                  "town_government": "镇人民政府、街道办事处或开发区管理机构", "housing_department": "房产部门"}
SEVERITY_ZH = {"notice": "提示", "general": "一般", "major": "较重", "serious": "严重"}


@dataclass
class Rule:
    id: str
    body: dict[str, Any]
    path: Path

    def __getattr__(self, name: str) -> Any:
        try:
            return self.body[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def subject_columns(self) -> list[str]:
        return self.body["subject"]["columns"]

    @property
    def parties(self) -> list[str]:
        """Every party a violation of this rule may be laid on (one, or one per case)."""
        r = self.body["responsible"]
        return [p["party"] for p in r] if isinstance(r, list) else [r]

    def responsible_text(self, lang: str = "zh") -> str:
        """使用单位；保障房电梯：市场监管部门 — the responsible party as a drafter reads it."""
        r = self.body["responsible"]
        if not isinstance(r, list):
            return RESPONSIBLE_ZH[r] if lang == "zh" else r
        cases = [f"{p['when']}：{RESPONSIBLE_ZH[p['party']] if lang == 'zh' else p['party']}"
                 for p in r if "when" in p]
        default = RESPONSIBLE_ZH[r[-1]["party"]] if lang == "zh" else r[-1]["party"]
        return default + "（" + "；".join(cases) + "）"


@dataclass
class RuleBook:
    rules: dict[str, Rule]
    files: list[Path] = field(default_factory=list)

    def __iter__(self):
        return iter(self.rules.values())

    def get(self, rule_id: str) -> Rule:
        try:
            return self.rules[rule_id.upper()]
        except KeyError:
            raise LiftcheckError(f"没有规则「{rule_id}」；可用：{', '.join(self.rules)}",
                                 f"no rule {rule_id!r}; available: {', '.join(self.rules)}") from None

    def digest(self, extra: bytes = b"") -> str:
        h = hashlib.sha256()
        for path in sorted(self.files):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        h.update(extra)
        return h.hexdigest()


# The order of the catalogue in rules.md; reports list rules in this order.
CATALOGUE = [
    "DAILY-CHECK", "WEEKLY-REVIEW", "MONTHLY-DISPATCH", "EMERGENCY-PLAN", "EMERGENCY-DRILL", "ALARM-FAULT",
    "RESCUE-ARRIVAL", "MAINT-INTERVAL", "MAINT-INTERVAL-DENSE", "MAINT-PROVIDER", "INSPECTION-VALID",
    "SCREENING-COVERAGE", "ASSESSMENT-AFTER-HIGH-RISK", "ASSESSMENT-AFFORDABLE", "ASSESSMENT-WORKGROUP",
    "HAZARD-OVERDUE", "HAZARD-LISTED", "HAZARD-SERIOUS-STOP", "HAZARD-STOP-ORDER", "DEFECT-REPAIR",
    "FUND-EMERGENCY-BASIS",
]


# The other files of rules/: parameters, the point schedule, definitions, coverage notes.
NOT_RULES = {"params.yaml", "credit.yaml", "definitions.yaml", "coverage.yaml"}


def _validator(folder: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads((folder / "rule.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def load_rulebook(folder: Path | None = None) -> RuleBook:
    folder = folder or data_dir("rules")
    validator = _validator(data_dir("rules"))
    rules: dict[str, Rule] = {}
    # the definitions the rules lean on are part of what a ruleset means
    files = [folder / "rule.schema.json", data_dir("rules") / "definitions.yaml"]
    for path in sorted(folder.glob("*.yaml")):
        if path.name in NOT_RULES:
            continue
        try:
            body = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise LiftcheckError(f"规则文件 {path.name} 不是有效的 YAML：{exc}", f"rule file {path.name} is not valid YAML: {exc}") from None
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.absolute_path) or "(顶层 top level)"
            raise LiftcheckError(f"规则文件 {path.name} 字段 {where}：{first.message}",
                                 f"rule file {path.name}, field {where}: {first.message}")
        if body["id"] != path.stem:
            raise LiftcheckError(f"规则文件 {path.name} 的 id「{body['id']}」应与文件名一致",
                                 f"rule file {path.name}: id {body['id']!r} must match the file name")
        rules[body["id"]] = Rule(body["id"], body, path)
        files.append(path)
    ordered = {rid: rules[rid] for rid in CATALOGUE if rid in rules}
    ordered |= {rid: r for rid, r in rules.items() if rid not in ordered}
    return RuleBook(ordered, files)


def ruleset_info(book: RuleBook, params_material: bytes) -> dict[str, str]:
    return {"version": __version__, "digest": "sha256:" + book.digest(params_material)}
