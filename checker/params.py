"""Parameters: every threshold with its effective dates, basis and interpretation flag.

A rule asks for `param("name")` and gets the value in force on the date the fact is
judged, as a polars expression over that fact's `judged_on` column.

An interpretation (a number liftcheck chose where the draft says "及时", "定期", "高星级") can be
*adopted* (rules R3-6, R3-A 6): a dated value that names the published document that set it,

    alarm.repair_within_days:
      values:
        2024-01-01: 3
        2025-03-01: {value: 3, adopted_by: {document: 南京市市场监管局关于…的通知, number: 宁市监规〔2025〕3号, date: 2025-02-10}}

is adopted from 2025-03-01 on, never before (no retroactive deduction). `narrows_law: true`
marks an interpretation that only narrows what the law itself forbids (a grace period added to
a duty the law makes immediate): a verdict resting on it alone is a breach of the law too.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from checker.errors import LiftcheckError
from checker.resources import data_dir


def value_at(values: list[tuple[dt.date, Any]], day: dt.date) -> Any:
    """The value in force on `day`: the latest that took effect by then, else the first."""
    value = values[0][1]
    for since, v in values:
        if since <= day:
            value = v
    return value


@dataclass
class Parameter:
    name: str
    description_zh: str
    description_en: str
    type: str
    unit: str | None
    basis: str
    interpretation: bool
    values: list[tuple[dt.date, Any]]          # sorted by effective date
    choices: list[str] | None = None
    overridden: bool = False
    shipped: list[tuple[dt.date, Any]] | None = None   # the rule book's own values, once overridden
    narrows_law: bool = False
    # effective date -> the document that adopted the value taking effect that day
    adopted: dict[dt.date, dict] = field(default_factory=dict)

    def at(self, day: dt.date) -> Any:
        return value_at(self.values, day)

    def in_force_since(self, day: dt.date) -> dt.date:
        """The effective date of the value in force on `day` (the first value's before it)."""
        since = self.values[0][0]
        for effective, _ in self.values:
            if effective <= day:
                since = effective
        return since

    def adoption_on(self, day: dt.date) -> dict | None:
        """The document that adopted the value in force on `day`, if it took effect by then
        (a value before its adoption's commencement is the interpretation it was)."""
        since = self.in_force_since(day)
        return self.adopted.get(since) if since <= day else None

    def binds_on(self, day: dt.date) -> bool:
        """Whether a verdict resting on this parameter on `day` rests on the law (R3-6): a legal
        basis, a value adopted by `day`, or an interpretation that only narrows the law."""
        return not self.interpretation or self.narrows_law or self.adoption_on(day) is not None

    def expr(self, day: pl.Expr) -> pl.Expr:
        """The value in force on `day`, vectorised (a list parameter is used with `in`, see `contains`)."""
        if self.type == "list":
            raise LiftcheckError(f"参数 {self.name} 是一个列表，只能写在 in 之后：x in param(\"{self.name}\")",
                                 f"parameter {self.name} is a list: use it after `in`, as x in param(\"{self.name}\")")
        if len(self.values) == 1:
            return pl.lit(self.values[0][1])
        out = pl.lit(self.values[0][1])
        for since, v in self.values[1:]:
            out = pl.when(day >= pl.lit(since)).then(pl.lit(v)).otherwise(out)
        return out

    def contains(self, item: pl.Expr, day: pl.Expr) -> pl.Expr:
        """`item in param(...)` for a list parameter: membership in the list in force on `day`."""
        out = item.is_in(list(self.values[0][1]))
        for since, v in self.values[1:]:
            out = pl.when(day >= pl.lit(since)).then(item.is_in(list(v))).otherwise(out)
        return out

    def text(self, value: Any, lang: str = "zh") -> str:
        """A value as people read it in a title or message: 12, 是/否, 维修、大修."""
        if isinstance(value, bool):
            return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
        if isinstance(value, list):
            return ("、" if lang == "zh" else ", ").join(map(str, value))
        return str(value)


@dataclass
class ParameterSet:
    params: dict[str, Parameter]
    sources: list[Path] = field(default_factory=list)

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self.params[name]
        except KeyError:
            raise LiftcheckError(f"未知参数：{name}", f"unknown parameter: {name}") from None

    def at(self, name: str, day: dt.date) -> Any:
        return self[name].at(day)

    def digest_material(self) -> bytes:
        return b"".join(p.read_bytes() for p in self.sources)


def _date_key(key: Any, where: str) -> dt.date:
    if isinstance(key, dt.date):
        return key
    try:
        return dt.date.fromisoformat(str(key))
    except ValueError:
        raise LiftcheckError(f"{where}：生效日期「{key}」应为 YYYY-MM-DD", f"{where}: effective date {key!r} must be YYYY-MM-DD") from None


def _check_value(p: Parameter, value: Any, where: str) -> Any:
    if p.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise LiftcheckError(f"{where}：参数 {p.name} 应为整数，得到「{value}」",
                                 f"{where}: parameter {p.name} must be an integer, got {value!r}")
        if value < 0:
            raise LiftcheckError(f"{where}：参数 {p.name} 不能为负数，得到 {value}",
                                 f"{where}: parameter {p.name} cannot be negative, got {value}")
    elif p.type == "enum":
        if value not in (p.choices or []):
            raise LiftcheckError(f"{where}：参数 {p.name} 应为 {' 或 '.join(p.choices or [])} 之一，得到「{value}」",
                                 f"{where}: parameter {p.name} must be one of {', '.join(p.choices or [])}, got {value!r}")
    elif p.type == "boolean":
        if not isinstance(value, bool):
            raise LiftcheckError(f"{where}：参数 {p.name} 应为 true 或 false，得到「{value}」",
                                 f"{where}: parameter {p.name} must be true or false, got {value!r}")
    elif p.type == "date":
        if value is None:
            return None
        if isinstance(value, dt.datetime) or not isinstance(value, (dt.date, str)):
            raise LiftcheckError(f"{where}：参数 {p.name} 应为日期 YYYY-MM-DD 或留空，得到「{value}」",
                                 f"{where}: parameter {p.name} must be a date YYYY-MM-DD or empty, got {value!r}")
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                raise LiftcheckError(f"{where}：参数 {p.name} 应为日期 YYYY-MM-DD 或留空，得到「{value}」",
                                     f"{where}: parameter {p.name} must be a date YYYY-MM-DD or empty, got {value!r}") from None
    elif p.type == "list":
        if not isinstance(value, list) or any(v not in (p.choices or []) for v in value):
            raise LiftcheckError(f"{where}：参数 {p.name} 应为由 {'、'.join(p.choices or [])} 组成的列表，得到「{value}」",
                                 f"{where}: parameter {p.name} must be a list of {', '.join(p.choices or [])}, got {value!r}")
        value = list(dict.fromkeys(value))
    return value


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError:
        raise LiftcheckError(f"找不到参数文件：{path}", f"parameter file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise LiftcheckError(f"{path}：不是有效的 YAML：{exc}", f"{path}: not valid YAML: {exc}") from None


def _adoption(p: Parameter, since: dt.date, body: dict, where: str) -> tuple[Any, dict]:
    """A dated value that names its adopting document: {value: V, adopted_by: {document, number, date}}."""
    extra = sorted(str(k) for k in body if k not in ("value", "adopted_by"))
    doc = body.get("adopted_by")
    example = ("{value: 3, adopted_by: {document: 关于…的通知, number: 宁市监规〔2025〕3号, date: 2025-02-10}}")
    if extra or "value" not in body or not isinstance(doc, dict) or set(doc) != {"document", "number", "date"} \
            or not all(str(doc[k]).strip() for k in doc):
        raise LiftcheckError(f"{where}：参数 {p.name} 在 {since} 的取值应写成 {example}（采纳文件的名称、文号和日期都要写）",
                             f"{where}: parameter {p.name}, value from {since}: write {example} (the adopting document's "
                             "title, number and date are all needed)")
    if not p.interpretation:
        raise LiftcheckError(f"{where}：参数 {p.name} 有法定依据，不是解释性参数，无需采纳",
                             f"{where}: parameter {p.name} has a legal basis; it is not an interpretation to adopt")
    issued = _date_key(doc["date"], f"{where} {p.name} adopted_by.date")
    if issued > since:
        raise LiftcheckError(f"{where}：参数 {p.name}：采纳文件 {doc['number']} 的日期 {issued} 晚于其取值生效日 {since}，采纳不能溯及既往",
                             f"{where}: parameter {p.name}: the adopting document {doc['number']} is dated {issued}, after "
                             f"the value takes effect on {since}; an adoption is never retroactive")
    return body["value"], {"document": str(doc["document"]), "number": str(doc["number"]), "date": issued.isoformat()}


def _dated_values(p: Parameter, mapping: dict, where: str) -> tuple[list[tuple[dt.date, Any]], dict[dt.date, dict]]:
    values, adopted = [], {}
    for key, value in mapping.items():
        since = _date_key(key, f"{where} {p.name}")
        if isinstance(value, dict) and p.type != "list":
            value, adopted[since] = _adoption(p, since, value, where)
        values.append((since, _check_value(p, value, where)))
    return sorted(values, key=lambda sv: sv[0]), adopted


def load_parameters(overrides: Path | None = None) -> ParameterSet:
    path = data_dir("rules") / "params.yaml"
    raw = _read_yaml(path)
    params = {}
    for name, body in raw.items():
        p = Parameter(
            name=name, description_zh=body["description"]["zh"], description_en=body["description"]["en"],
            type=body["type"], unit=body.get("unit"), basis=body["basis"],
            interpretation=bool(body.get("interpretation", False)), values=[], choices=body.get("choices"),
            narrows_law=bool(body.get("narrows_law", False)))
        p.values, p.adopted = _dated_values(p, body["values"], path.name)
        params[name] = p
    ps = ParameterSet(params, [path])
    if overrides is not None:
        apply_overrides(ps, overrides)
    return ps


# What a parameter entry of rules/params.yaml documents beside its values: a --params file
# may carry these (copied from params.yaml, or the drafter's own note) and they change nothing.
_DOCUMENTARY = {"description", "unit", "basis", "interpretation", "type", "choices", "narrows_law"}


def apply_overrides(ps: ParameterSet, path: Path) -> None:
    """`--params FILE`: each dotted name maps to a value, to {effective date: value}, or, as in
    rules/params.yaml, to {values: {effective date: value}} (with its description, basis, ... if copied)."""
    data = _read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise LiftcheckError(f"{path}：参数文件应为“参数名: 值”的映射", f"{path}: a parameter file must map names to values")
    for name, value in data.items():
        if name not in ps.params:
            known = "、".join(sorted(ps.params))
            raise LiftcheckError(f"{path}：未知参数「{name}」。可用参数：{known}",
                                 f"{path}: unknown parameter {name!r}. Known parameters: {', '.join(sorted(ps.params))}")
        set_parameter(ps, name, _file_value(ps[name], value, path), str(path))
    ps.sources.append(path)


def _file_value(p: Parameter, value: Any, path: Path) -> Any:
    """The value or dated mapping one entry of a parameter file gives, in either form of params.yaml."""
    since, example = (p.shipped or p.values)[0]
    if example is None and p.type == "date":
        example = "2025-01-01"
    example = json.dumps(example, ensure_ascii=False) if isinstance(example, (list, bool)) else example
    forms = (f"{p.name}: {example}", f"{p.name}: {{{since}: {example}}}", f"{p.name}: {{values: {{{since}: {example}}}}}")
    forms_zh, forms_en = "、".join(forms[:2]) + " 或 " + forms[2], ", ".join(forms[:2]) + " or " + forms[2]
    if isinstance(value, dict) and "values" in value:
        extra = sorted(str(k) for k in value if k != "values" and k not in _DOCUMENTARY)
        if extra:
            raise LiftcheckError(f"{path}：参数 {p.name} 中有不认识的键 {extra}；写法应为 {forms_zh}",
                                 f"{path}: parameter {p.name} has unknown keys {extra}; write {forms_en}")
        if value.get("type", p.type) != p.type or value.get("choices", p.choices) != p.choices:
            raise LiftcheckError(f"{path}：参数 {p.name} 的 type/choices 不能在参数文件中修改",
                                 f"{path}: parameter {p.name}: its type and choices cannot be changed by a parameter file")
        value = value["values"]
        if not isinstance(value, dict):
            raise LiftcheckError(f"{path}：参数 {p.name} 的 values 应为“生效日期: 值”的映射，如 {forms[2]}",
                                 f"{path}: parameter {p.name}: values must map effective dates to values, e.g. {forms[2]}")
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, dt.date):
                try:
                    dt.date.fromisoformat(str(key))
                except ValueError:
                    raise LiftcheckError(f"{path}：参数 {p.name} 中的「{key}」不是生效日期（YYYY-MM-DD）；写法应为 {forms_zh}",
                                         f"{path}: parameter {p.name}: {key!r} is not an effective date (YYYY-MM-DD); "
                                         f"write {forms_en}") from None
    listed = isinstance(value, (list, tuple, set)) and p.type != "list"
    # null is a value only of a date (opinion.in_force_from: not in force)
    if (value is None and p.type != "date") or listed or (isinstance(value, dict) and not value):
        raise LiftcheckError(f"{path}：参数 {p.name} 的取值「{value}」无法识别；写法应为 {forms_zh}",
                             f"{path}: parameter {p.name}: cannot read the value {value!r}; write {forms_en}")
    return value


def set_parameter(ps: ParameterSet, name: str, value: Any, where: str = "参数") -> None:
    p = ps[name]
    if isinstance(value, dict):
        values, adopted = _dated_values(p, value, where)
    else:
        values, adopted = [(p.values[0][0], _check_value(p, value, where))], {}
    if p.shipped is None:
        p.shipped = p.values
    p.values = values
    p.adopted = adopted
    p.overridden = True
