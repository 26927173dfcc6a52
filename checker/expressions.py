"""The rule-condition language: a small, safe subset of Python expressions, compiled to polars.

What a drafter may write (docs/rule-language.md):
  names           a column of the rule's fact table, or period_from / period_to
  literals        12, "major", True, None, ["major", "serious"]
  operators       and  or  not  <  <=  >  >=  ==  !=  in  not in  +  -  *
  param("name")   the parameter's value in force on the fact's judged_on date
  functions       is_null(x) not_null(x) coalesce(a, b, ...) when(cond, a, b)
                  add_days(date, n) add_months(date, n) later(a, b) earlier(a, b)
                  days_between(a, b)
A comparison involving an empty value is false (never "unknown"), so a missing date
never silently passes or fails a rule by accident of three-valued logic.
Nothing else parses: no attribute access, no imports, no calls outside this list.
"""

from __future__ import annotations

import ast
import datetime as dt
from typing import Callable

import polars as pl

from checker.errors import LiftcheckError
from checker.params import ParameterSet

_COMPARE = {
    ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
}


class ExpressionError(LiftcheckError):
    pass


class Compiler:
    def __init__(self, params: ParameterSet, columns: set[str], constants: dict[str, object],
                 where: str, judged_on: str = "judged_on"):
        self.params = params
        self.columns = columns
        self.constants = constants
        self.where = where
        self.judged_on = judged_on
        self.used_params: set[str] = set()
        self.functions: dict[str, Callable[..., pl.Expr]] = {
            "is_null": lambda x: x.is_null(),
            "not_null": lambda x: x.is_not_null(),
            "coalesce": lambda *xs: pl.coalesce(*xs),
            "when": lambda c, a, b: pl.when(c).then(a).otherwise(b),
            "add_days": lambda d, n: d + pl.duration(days=n),
            "add_months": lambda d, n: d.dt.offset_by(pl.format("{}mo", n)),
            "later": lambda a, b: pl.when(a.is_null() | b.is_null()).then(pl.coalesce(a, b))
            .otherwise(pl.max_horizontal(a, b)),
            "earlier": lambda a, b: pl.when(a.is_null() | b.is_null()).then(pl.coalesce(a, b))
            .otherwise(pl.min_horizontal(a, b)),
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
                    if not isinstance(right, (ast.List, ast.Tuple)):
                        raise self.fail("in 之后应是一个列表，如 [\"major\", \"serious\"]", "`in` needs a list literal")
                    values = [self._literal(e) for e in right.elts]
                    part = self._node(left).is_in(values)
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
            if node.id in self.constants:
                return pl.lit(self.constants[node.id])
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
                if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant):
                    raise self.fail("param() 需要一个参数名字符串", "param() takes one parameter name string")
                pname = node.args[0].value
                self.used_params.add(pname)
                return self.params[pname].expr(pl.col(self.judged_on))
            if name not in self.functions:
                raise self.fail(f"未知函数「{name}」；可用：param, {', '.join(self.functions)}",
                                f"unknown function {name!r}; available: param, {', '.join(self.functions)}")
            return self.functions[name](*[self._node(a) for a in node.args])
        raise self.fail(f"不支持的写法：{ast.unparse(node)}", f"unsupported construct: {ast.unparse(node)}")

    def _bool(self, node: ast.AST) -> pl.Expr:
        return self._node(node).fill_null(False)

    def _literal(self, node: ast.AST):
        if isinstance(node, ast.Constant):
            return node.value
        raise self.fail("列表里只能写常量", "lists may hold constants only")


def period_constants(start: dt.date, end: dt.date) -> dict[str, object]:
    return {"period_from": start, "period_to": end}
