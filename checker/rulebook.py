"""The rule book: rules/*.yaml, validated against rules/rule.schema.json when loaded.

A drafter's overlay (`--rules DIR`) is a folder of rule files laid over the shipped ones: a file
replaces the shipped rule of its id, adds a rule with a new id, or (`disabled: true` with a
`reason`) removes one. Parameters and credit points are not part of an overlay: they go through
`--params` and `--credit`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
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
        if name == "body" or name.startswith("__"):  # unpickling asks a bare instance for these
            raise AttributeError(name)
        try:
            return self.body[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def subject_columns(self) -> list[str]:
        return self.body["subject"]["columns"]

    def party_entries(self) -> list[dict]:
        """Each case of `responsible` with the source and draft sentences that lay the duty on
        that party (its own, or the rule's), the default last."""
        r = self.body["responsible"]
        cases = r if isinstance(r, list) else [{"party": r}]
        return [{"source": c.get("source", self.body["source"]), "draft": c.get("draft", self.body["draft"]), **c}
                for c in cases]

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
class Overlay:
    """What one `--rules DIR` folder changed in the rule book it was laid over."""

    folder: Path
    files: list[Path]                 # its rule files, by name
    replaced: list[str]
    added: list[str]
    disabled: dict[str, str]          # rule id -> the drafter's reason


@dataclass
class RuleBook:
    rules: dict[str, Rule]
    files: list[Path] = field(default_factory=list)
    overlays: list[Overlay] = field(default_factory=list)   # laid in this order over the shipped rules
    shipped: frozenset[str] = frozenset()

    def __iter__(self):
        return iter(self.rules.values())

    @property
    def disabled(self) -> dict[str, str]:
        """Rules an overlay removed (and no later one brought back), with the reason given."""
        out: dict[str, str] = {}
        for overlay in self.overlays:
            out |= overlay.disabled
        return {rule_id: reason for rule_id, reason in out.items() if rule_id not in self.rules}

    def get(self, rule_id: str) -> Rule:
        try:
            return self.rules[rule_id.upper()]
        except KeyError:
            if rule_id.upper() in RETIRED:
                zh, en = RETIRED[rule_id.upper()]
                raise LiftcheckError(zh, en) from None
            if rule_id.upper() in self.disabled:
                reason = self.disabled[rule_id.upper()]
                raise LiftcheckError(f"规则「{rule_id}」已被 --rules 停用：{reason}",
                                     f"rule {rule_id!r} is disabled by --rules: {reason}") from None
            raise LiftcheckError(f"没有规则「{rule_id}」；可用：{', '.join(self.rules)}",
                                 f"no rule {rule_id!r}; available: {', '.join(self.rules)}") from None

    def digest(self, extra: bytes = b"") -> str:
        h = hashlib.sha256()
        for path in sorted(self.files):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        # each overlay by file name and content, wherever its folder lies; no overlay adds nothing
        for layer, overlay in enumerate(self.overlays, start=1):
            prefix = b"overlay/" if layer == 1 else f"overlay{layer}/".encode()
            for path in overlay.files:
                h.update(prefix + path.name.encode() + b"\0" + path.read_bytes())
        h.update(extra)
        return h.hexdigest()


# The order of the catalogue in rules.md; reports list rules in this order.
CATALOGUE = [
    "DAILY-CHECK", "WEEKLY-REVIEW", "MONTHLY-DISPATCH", "EMERGENCY-PLAN", "EMERGENCY-DRILL", "ALARM-FAULT",
    "RESCUE-ARRIVAL", "RESCUE-COORDINATION", "MAINT-INTERVAL", "MAINT-INTERVAL-DENSE", "MAINT-PROVIDER",
    "INSPECTION-VALID", "SCREENING-AT-INSPECTION", "ASSESSMENT-AFTER-HIGH-RISK", "ASSESSMENT-AFFORDABLE",
    "ASSESSMENT-WORKGROUP", "HAZARD-OVERDUE", "HAZARD-LISTED", "HAZARD-SERIOUS-STOP", "HAZARD-STOP-ORDER",
    "DEFECT-REPAIR", "FUND-DECISION-TIME", "ASSESSMENT-COMPLETION", "AFFORDABLE-FUNDING-PLAN",
]


# libyaml's safe loader where PyYAML has it: the same documents, six times faster to read, which
# counts when a comparison or a test loads the rule book many times.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The other files of rules/: parameters, the point schedule, definitions, coverage notes, sources.
NOT_RULES = {"params.yaml", "credit.yaml", "definitions.yaml", "coverage.yaml", "sources.yaml"}

# Rules a revision retired: their ids stay reserved, and a file or a request naming one is
# answered with why (rules R3-3), never with a bare "no such rule".
RETIRED = {
    "FUND-EMERGENCY-BASIS": (
        "规则 FUND-EMERGENCY-BASIS 已于修订三（R3-3）改为审核：评估报告是应急通道申请的依据，不是申请人的义务；"
        "依据是否充分见 liftcheck fund-check 和报告的 fund_reviews 部分，房产部门的审批时限见 FUND-DECISION-TIME",
        "rule FUND-EMERGENCY-BASIS was retired to a review by Revision 3 (R3-3): the assessment report qualifies an "
        "application for the emergency channel, it lays no duty on the applicant; see liftcheck fund-check and the "
        "report's fund_reviews, and FUND-DECISION-TIME for the housing department's decision time"),
    "SCREENING-COVERAGE": (
        "规则 SCREENING-COVERAGE 已于修订三（R3-5）由 SCREENING-AT-INSPECTION 取代：预诊筛查结合每次定期检验判断，"
        "不再按滚动 12 个月判断",
        "rule SCREENING-COVERAGE was replaced by SCREENING-AT-INSPECTION in Revision 3 (R3-5): screening is judged "
        "with each periodic inspection, not over a rolling 12 months"),
}


@dataclass(frozen=True)
class Source:
    """A law, regulation or technical rule of rules/sources.yaml (R3-1, R3-A 6)."""

    id: str
    title: str
    title_en: str
    in_force_from: object = None          # a date, or None
    in_force_parameter: str | None = None  # the draft: the parameter that sets its commencement
    note: str = ""
    short: str = ""                         # for a narrow table: 《特种设备安全法》, 意见稿

    def short_citation(self, article: str | None) -> str:
        return f"{self.short or self.title}{article or ''}"

    def citation(self, article: str | None) -> str:
        return f"{self.title}{article or ''}"

    def citation_en(self, article: str | None) -> str:
        return f"{self.title_en}, {article}" if article else self.title_en


def load_sources() -> dict[str, Source]:
    return _load_sources(data_dir("rules") / "sources.yaml")


@lru_cache(maxsize=8)
def _load_sources(path: Path) -> dict[str, Source]:
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    return {key: Source(key, body["title"], body["title_en"], body.get("in_force_from"),
                        body.get("in_force_parameter"), body.get("note", ""), body.get("short", ""))
            for key, body in raw.items()}


def _validator(folder: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads((folder / "rule.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _read_rule_file(path: Path, validator: jsonschema.Draft202012Validator, label: str | None = None) -> dict[str, Any]:
    """One rule file, parsed and validated; errors name the file (`label`: as the user knows it) and the field."""
    label = label or path.name
    try:
        body = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise LiftcheckError(f"规则文件 {label} 不是有效的 YAML：{exc}", f"rule file {label} is not valid YAML: {exc}") from None
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(顶层 top level)"
        if first.validator == "required" and isinstance(first.instance, dict):
            missing = [f for f in first.validator_value if f not in first.instance]
            where = "/".join([*(str(p) for p in first.absolute_path), missing[0]]) if missing else where
        zh = f"缺少此字段（{first.message}）" if first.validator == "required" else first.message
        raise LiftcheckError(f"规则文件 {label} 字段 {where}：{zh}", f"rule file {label}, field {where}: {first.message}")
    if body["id"] != path.stem:
        raise LiftcheckError(f"规则文件 {label} 的 id「{body['id']}」应与文件名一致",
                             f"rule file {label}: id {body['id']!r} must match the file name")
    if body["id"] in RETIRED and not body.get("disabled"):
        zh, en = RETIRED[body["id"]]
        raise LiftcheckError(f"规则文件 {label}：{zh}；请换一个规则编号", f"rule file {label}: {en}; choose another rule id")
    if not body.get("disabled"):
        sources = load_sources()
        for i, entry in enumerate([body, *(c for c in body["responsible"] if isinstance(body["responsible"], list))]):
            law = (entry.get("source") or {}).get("law")
            if law is not None and law not in sources:
                where = "source/law" if i == 0 else f"responsible/{i - 1}/source/law"
                raise LiftcheckError(f"规则文件 {label} 字段 {where}：「{law}」不在 rules/sources.yaml 中；可用：{', '.join(sources)}",
                                     f"rule file {label}, field {where}: {law!r} is not in rules/sources.yaml; "
                                     f"known: {', '.join(sources)}")
    return body


def load_rulebook(overlay: Path | None = None) -> RuleBook:
    """The shipped rule book, with the drafter's overlay folder laid over it when one is given."""
    folder = data_dir("rules")
    validator = _validator(folder)
    rules: dict[str, Rule] = {}
    # the definitions the rules lean on, the laws they cite and the reviews the report gives
    # (fund_reviews) are part of what a ruleset means
    files = [folder / "rule.schema.json", folder / "definitions.yaml", folder / "sources.yaml",
             *sorted((folder / "reviews").glob("*.yaml"))]
    for path in sorted(folder.glob("*.yaml")):
        if path.name in NOT_RULES:
            continue
        body = _read_rule_file(path, validator)
        if body.get("disabled"):
            raise LiftcheckError(f"规则文件 {path.name}：只有 --rules 覆盖目录中的文件可以停用规则",
                                 f"rule file {path.name}: only a file in a --rules overlay can disable a rule")
        rules[body["id"]] = Rule(body["id"], body, path)
        files.append(path)
    book = RuleBook(_in_catalogue_order(rules), files, shipped=frozenset(rules))
    return book if overlay is None else lay_overlay(book, overlay)


def _in_catalogue_order(rules: dict[str, Rule]) -> dict[str, Rule]:
    ordered = {rid: rules[rid] for rid in CATALOGUE if rid in rules}
    return ordered | {rid: r for rid, r in rules.items() if rid not in ordered}


# Files of the rules folder that are not rules, and where their content goes instead.
_NOT_IN_OVERLAY = {
    "params.yaml": ("参数请用 --params 文件", "parameters go through --params FILE"),
    "credit.yaml": ("扣分标准请用 --credit 文件", "credit points go through --credit FILE"),
    "definitions.yaml": ("定义（老旧、高梯户比……）也用于推导事实表，不能在覆盖目录中修改；其中的门槛是参数，请用 --params",
                         "definitions (old, dense, ...) also shape the fact tables and cannot be overlaid; "
                         "their thresholds are parameters: use --params"),
    "coverage.yaml": ("条款覆盖说明不能覆盖", "the coverage notes cannot be overlaid"),
    "sources.yaml": ("法律法规的名称与施行日期不由草稿改动；意见稿的施行日是参数 opinion.in_force_from，请用 --params",
                     "the laws' titles and commencements are not a draft's to change; the opinion's commencement is "
                     "the parameter opinion.in_force_from: use --params"),
}


def lay_overlay(book: RuleBook, folder: Path) -> RuleBook:
    """A new rule book: `book` with the rule files of `folder` replacing, adding or disabling rules
    (`book` itself is left as it was, so that a comparison can keep both)."""
    if not folder.is_dir():
        raise LiftcheckError(f"--rules {folder}：找不到这个文件夹", f"--rules {folder}: no such folder")
    paths = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")], key=lambda p: p.name)
    for path in paths:
        if path.name in _NOT_IN_OVERLAY:
            zh, en = _NOT_IN_OVERLAY[path.name]
            raise LiftcheckError(f"--rules {folder}：{path.name} 不是规则文件，覆盖目录只放规则文件（{zh}）",
                                 f"--rules {folder}: {path.name} is not a rule file; an overlay holds rule files only ({en})")
    if not paths:
        raise LiftcheckError(f"--rules {folder}：文件夹中没有规则文件（*.yaml）",
                             f"--rules {folder}: the folder holds no rule files (*.yaml)")
    validator = _validator(data_dir("rules"))
    rules = dict(book.rules)
    overlay = Overlay(folder, paths, [], [], {})
    for path in paths:
        body = _read_rule_file(path, validator, str(path))
        rule_id = body["id"]
        if rule_id in overlay.disabled or rule_id in overlay.replaced or rule_id in overlay.added:
            raise LiftcheckError(f"--rules {folder}：规则「{rule_id}」有两个文件（{rule_id}.yaml 与 {rule_id}.yml）",
                                 f"--rules {folder}: rule {rule_id!r} has two files ({rule_id}.yaml and {rule_id}.yml)")
        if body.get("disabled"):
            if rule_id not in book.rules and rule_id in RETIRED:
                raise LiftcheckError(f"规则文件 {path} 字段 id：{RETIRED[rule_id][0]}，无需停用",
                                     f"rule file {path}, field id: {RETIRED[rule_id][1]}; there is nothing to disable")
            if rule_id not in book.rules:
                raise LiftcheckError(f"规则文件 {path} 字段 id：要停用的规则「{rule_id}」不存在；可用：{', '.join(book.rules)}",
                                     f"rule file {path}, field id: disables {rule_id!r}, which is not a rule of the rule book")
            overlay.disabled[rule_id] = body["reason"]
            del rules[rule_id]
            continue
        (overlay.replaced if rule_id in book.rules else overlay.added).append(rule_id)
        rules[rule_id] = Rule(rule_id, body, path)
    return RuleBook(_in_catalogue_order(rules), book.files, [*book.overlays, overlay], book.shipped)


def ruleset_info(book: RuleBook, params_material: bytes) -> dict[str, str]:
    return {"version": __version__, "digest": "sha256:" + book.digest(params_material)}
