"""The rule-condition language: a small, safe subset of Python expressions, compiled to polars.

What a drafter may write (docs/rule-language.md):
  names           a column of the rule's fact table, or period_from / period_to
  literals        12, "major", True, None, ["major", "serious"]
  operators       and  or  not  <  <=  >  >=  ==  !=  in  not in  +  -  *
  param("name")   the parameter's value in force on the fact's judged_on date
                  (x in param("name") for a list parameter)
  functions       is_null(x) not_null(x) coalesce(a, b, ...) when(cond, a, b)
                  add_days(date, n) add_months(date, n) add_years(date, n)
                  later(a, b, ...) earlier(a, b, ...) days_between(a, b)
  definitions     old(day) dense(day) in_scope assessment_hazard maintenance_visit ...
                  (rules/definitions.yaml: the words a rule leans on, written once;
                  a parameter inside a definition is taken as of the definition's day)
A comparison involving an empty value is false (never "unknown"), so a missing date
never silently passes or fails a rule by accident of three-valued logic.
Nothing else parses: no attribute access, no imports, no calls outside this list.
"""

from __future__ import annotations

import ast
import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import polars as pl
import yaml

from checker.errors import LiftcheckError
from checker.params import ParameterSet
from checker.resources import data_dir

_COMPARE = {
    ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
}


class ExpressionError(LiftcheckError):
    pass


def _later(*xs: pl.Expr) -> pl.Expr:
    """The latest of the present values (empty only when all are empty)."""
    return pl.max_horizontal(*xs)


def _earlier(*xs: pl.Expr) -> pl.Expr:
    return pl.min_horizontal(*xs)


class Compiler:
    def __init__(self, params: ParameterSet, columns: set[str], constants: dict[str, object],
                 where: str, judged_on: str = "judged_on", definitions: dict | None = None):
        self.params = params
        self.columns = columns
        self.constants = constants
        self.where = where
        self.judged_on = judged_on
        self.definitions = callable_definitions(definitions if definitions is not None else load_definitions())
        self.used_params: set[str] = set()
        self.used_definitions: set[str] = set()
        # R3-6: for each parameter read, the rows it was read for: None for every row (read by
        # the rule's own text, or by a definition that does not narrow it), or a condition a
        # definition declares (old.boundary matters only on the 15th anniversary)
        self.param_reads: dict[str, list[pl.Expr | None]] = {}
        self._narrowed: list[dict[str, pl.Expr]] = [{}]
        # the day a param() is taken as of: the fact's judged_on, or a definition's own day
        self._param_day: list[pl.Expr] = [pl.col(judged_on)]
        self._bound: list[dict[str, pl.Expr]] = [{}]
        self.functions: dict[str, Callable[..., pl.Expr]] = {
            "is_null": lambda x: x.is_null(),
            "not_null": lambda x: x.is_not_null(),
            "coalesce": lambda *xs: pl.coalesce(*xs),
            "when": lambda c, a, b: pl.when(c).then(a).otherwise(b),
            "add_days": lambda d, n: d + pl.duration(days=n),
            "add_months": lambda d, n: d.dt.offset_by(pl.format("{}mo", n)),
            # 民法典 第二百零二条: 2008-02-29 + 15 years = 2023-02-28
            "add_years": lambda d, n: d.dt.offset_by(pl.format("{}y", n)),
            "later": _later,
            "earlier": _earlier,
            "days_between": lambda a, b: (b - a).dt.total_days(),
        }

    def fail(self, zh: str, en: str) -> ExpressionError:
        return ExpressionError(f"{self.where}：{zh}", f"{self.where}: {en}")

    def compile(self, text: str) -> pl.Expr:
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise self.fail(f"表达式语法错误：{exc.msg}（{text}）", f"expression syntax error: {exc.msg} ({text})") from None
        return self._node(tree.body)

    def _node(self, node: ast.AST) -> pl.Expr:
        if isinstance(node, ast.BoolOp):
            parts = [self._bool(v) for v in node.values]
            out = parts[0]
            for p in parts[1:]:
                out = (out & p) if isinstance(node.op, ast.And) else (out | p)
            return out
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return ~self._bool(node.operand)
            if isinstance(node.op, ast.USub):
                return -self._node(node.operand)
        if isinstance(node, ast.Compare):
            out = None
            left = node.left
            for op, right in zip(node.ops, node.comparators):
                if isinstance(op, (ast.In, ast.NotIn)):
                    if self._is_param_call(right):
                        part = self._param(right).contains(self._node(left), self._param_day[-1])
                    elif isinstance(right, (ast.List, ast.Tuple)):
                        part = self._node(left).is_in([self._literal(e) for e in right.elts])
                    else:
                        raise self.fail("in 之后应是一个列表，如 [\"major\", \"serious\"]，或列表参数 param(\"…\")",
                                        "`in` needs a list literal or a list parameter param(\"…\")")
                    part = ~part if isinstance(op, ast.NotIn) else part
                elif type(op) in _COMPARE:
                    part = _COMPARE[type(op)](self._node(left), self._node(right))
                else:
                    raise self.fail(f"不支持的比较：{ast.unparse(node)}", f"unsupported comparison: {ast.unparse(node)}")
                part = part.fill_null(False)
                out = part if out is None else (out & part)
                left = right
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            a, b = self._node(node.left), self._node(node.right)
            return a + b if isinstance(node.op, ast.Add) else a - b if isinstance(node.op, ast.Sub) else a * b
        if isinstance(node, ast.Name):
            if node.id in self._bound[-1]:
                return self._bound[-1][node.id]
            if node.id in self.constants:
                return pl.lit(self.constants[node.id])
            if node.id in self.definitions and node.id not in self.columns:
                return self._definition(node.id, [])
            if node.id not in self.columns:
                raise self.fail(f"未知名称「{node.id}」；可用的列：{', '.join(sorted(self.columns))}",
                                f"unknown name {node.id!r}; columns available: {', '.join(sorted(self.columns))}")
            return pl.col(node.id)
        if isinstance(node, ast.Constant):
            return pl.lit(node.value)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if node.keywords:
                raise self.fail(f"{name}() 不接受关键字参数", f"{name}() takes no keyword arguments")
            if name == "param":
                return self._param(node).expr(self._param_day[-1])
            if name in self.definitions:
                return self._definition(name, node.args)
            if name not in self.functions:
                raise self.fail(f"未知函数「{name}」；可用：param, {', '.join(self.functions)}",
                                f"unknown function {name!r}; available: param, {', '.join(self.functions)}")
            return self.functions[name](*[self._node(a) for a in node.args])
        raise self.fail(f"不支持的写法：{ast.unparse(node)}", f"unsupported construct: {ast.unparse(node)}")

    @staticmethod
    def _is_param_call(node: ast.AST) -> bool:
        return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "param"

    def _param(self, node: ast.Call):
        if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant) or node.keywords:
            raise self.fail("param() 需要一个参数名字符串", "param() takes one parameter name string")
        pname = node.args[0].value
        if pname not in self.params.params:
            raise self.fail(f"未知参数「{pname}」", f"unknown parameter {pname!r}")
        self.used_params.add(pname)
        self.param_reads.setdefault(pname, []).append(self._narrowed[-1].get(pname))
        return self.params[pname]

    def read_condition(self, name: str) -> pl.Expr | None:
        """The rows a parameter was read for (None: every row it was read for at all)."""
        reads = self.param_reads.get(name)
        if not reads or any(r is None for r in reads):
            return None
        out = reads[0]
        for r in reads[1:]:
            out = out | r
        return out

    def _definition(self, name: str, args: list[ast.AST]) -> pl.Expr:
        """A definition's expression, with its day bound to the argument: old(a) is 'old on a'."""
        d = self.definitions[name]
        if len(args) != len(d.arguments):
            want = f"{name}({', '.join(d.arguments)})"
            raise self.fail(f"{want} 需要 {len(d.arguments)} 个参数", f"{want} takes {len(d.arguments)} argument(s)")
        bound = {a: self._node(x) for a, x in zip(d.arguments, args)}
        self.used_definitions.add(name)
        self._bound.append(bound)
        self._param_day.append(bound.get("day", self._param_day[-1]))
        try:
            # the conditions under which this definition's parameters matter, with its day bound
            narrowed = dict(self._narrowed[-1])
            for pname, tree in d.depends_trees.items():
                self._narrowed.append({})
                try:
                    narrowed[pname] = self._bool(tree)
                finally:
                    self._narrowed.pop()
            self._narrowed.append(narrowed)
            try:
                return self._node(d.tree)
            finally:
                self._narrowed.pop()
        finally:
            self._bound.pop()
            self._param_day.pop()

    def _bool(self, node: ast.AST) -> pl.Expr:
        return self._node(node).fill_null(False)

    def _literal(self, node: ast.AST):
        if isinstance(node, ast.Constant):
            return node.value
        raise self.fail("列表里只能写常量", "lists may hold constants only")


def period_constants(start: dt.date, end: dt.date) -> dict[str, object]:
    return {"period_from": start, "period_to": end}


@dataclass(frozen=True)
class Definition:
    """One word of rules/definitions.yaml: an expression in this language, or words naming the code."""

    name: str
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str
    arguments: tuple[str, ...] = ()
    expression: str | None = None
    implemented_by: str | None = None
    parameters: tuple[str, ...] = ()
    tree: ast.AST | None = field(default=None, compare=False, repr=False)
    # parameter -> the condition (over the definition's arguments) under which a verdict
    # reading it through this definition depends on it (R3-6)
    depends: tuple[tuple[str, str], ...] = ()
    depends_trees: dict = field(default_factory=dict, compare=False, repr=False)


def load_definitions(path: Path | None = None) -> dict[str, Definition]:
    """rules/definitions.yaml, parsed once; only the definitions with an expression can be called."""
    path = path or data_dir("rules") / "definitions.yaml"
    return _load_definitions(path)


@lru_cache(maxsize=8)
def _load_definitions(path: Path) -> dict[str, Definition]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = {}
    for name, body in raw.items():
        tree = None
        if body.get("expression"):
            try:
                tree = ast.parse(body["expression"].strip(), mode="eval").body
            except SyntaxError as exc:
                raise ExpressionError(f"{path.name} 定义 {name}：表达式语法错误：{exc.msg}",
                                      f"{path.name}, definition {name}: expression syntax error: {exc.msg}") from None
        depends = {}
        for pname, text in (body.get("depends") or {}).items():
            try:
                depends[pname] = ast.parse(text.strip(), mode="eval").body
            except SyntaxError as exc:
                raise ExpressionError(f"{path.name} 定义 {name} 的 depends/{pname}：表达式语法错误：{exc.msg}",
                                      f"{path.name}, definition {name}, depends/{pname}: expression syntax error: "
                                      f"{exc.msg}") from None
        out[name] = Definition(
            name=name, title_zh=body["title"]["zh"], title_en=body["title"]["en"],
            text_zh=body["text"]["zh"], text_en=body["text"]["en"], arguments=tuple(body.get("arguments", [])),
            expression=body.get("expression"), implemented_by=body.get("implemented_by"),
            parameters=tuple(body.get("parameters", [])), tree=tree,
            depends=tuple((body.get("depends") or {}).items()), depends_trees=depends)
    return {n: d for n, d in out.items()}


def callable_definitions(definitions: dict[str, Definition]) -> dict[str, Definition]:
    return {n: d for n, d in definitions.items() if d.tree is not None}
