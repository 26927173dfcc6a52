"""Titles and messages of rule files, compiled to polars: `{column}` and `{param.NAME}` placeholders.

A message is rendered for every violation at once, as an expression over the verdict rows;
a parameter placeholder takes the value in force on the row's `judged_on`, so no text ever
states a limit that a parameter owns (rules.md "Messages and titles"). Values read as people
write them: ISO dates, 是/否, lists joined with 、, whole numbers without ".0".
"""

from __future__ import annotations

import datetime as dt
import string

import polars as pl

from checker.params import ParameterSet

NONE_TEXT = {"zh": "（无）", "en": "(none)"}
PARAM_PREFIX = "param."


def fields(template: str) -> set[str]:
    """The placeholders of a template, e.g. {"a", "param.maintenance.max_interval_days"}."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def text_of(col: pl.Expr, dtype: pl.DataType, lang: str) -> pl.Expr:
    """A column as the text a person reads in a message, vectorised."""
    if dtype == pl.Date:
        out = col.dt.strftime("%Y-%m-%d")
    elif isinstance(dtype, pl.Datetime):
        out = col.dt.strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(dtype, pl.List):
        sep = "、" if lang == "zh" else ", "
        out = col.list.eval(text_of(pl.element(), dtype.inner, lang)).list.join(sep)
    elif dtype == pl.Boolean:
        yes, no = ("是", "否") if lang == "zh" else ("yes", "no")
        out = pl.when(col).then(pl.lit(yes)).when(~col).then(pl.lit(no))
    elif dtype.is_float():
        out = pl.when(col.round(0) == col).then(col.cast(pl.Int64).cast(pl.String)).otherwise(col.round(1).cast(pl.String))
    else:
        out = col.cast(pl.String)
    return out.fill_null(pl.lit(NONE_TEXT[lang]))


def param_text(params: ParameterSet, name: str, day: pl.Expr, lang: str) -> pl.Expr:
    """The value of a parameter in force on `day`, as text."""
    p = params[name]
    out = pl.lit(p.text(p.values[0][1], lang))
    for since, value in p.values[1:]:
        out = pl.when(day >= pl.lit(since)).then(pl.lit(p.text(value, lang))).otherwise(out)
    return out


def render(template: str, schema: dict[str, pl.DataType], params: ParameterSet, lang: str,
           day: str = "judged_on") -> pl.Expr:
    """One text per row: the template with each placeholder replaced by the row's value."""
    parts: list[pl.Expr] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(pl.lit(literal))
        if name is None:
            continue
        if name.startswith(PARAM_PREFIX):
            parts.append(param_text(params, name[len(PARAM_PREFIX):], pl.col(day), lang))
        else:
            parts.append(text_of(pl.col(name), schema[name], lang))
    return pl.concat_str(parts) if parts else pl.lit("")


def render_static(template: str, params: ParameterSet, day: dt.date, lang: str = "zh") -> str:
    """A title (only parameter placeholders) as of one day, e.g. the period's end."""
    out = []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            p = params[name[len(PARAM_PREFIX):]]
            out.append(p.text(p.at(day), lang))
    return "".join(out)


def unknown_fields(template: str, available: set[str], params: ParameterSet) -> list[str]:
    """Placeholders that name neither an available column nor a known parameter."""
    bad = []
    for name in sorted(fields(template)):
        if name.startswith(PARAM_PREFIX):
            if name[len(PARAM_PREFIX):] not in params.params:
                bad.append(name)
        elif name not in available:
            bad.append(name)
    return bad
