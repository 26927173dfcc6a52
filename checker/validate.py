"""Type and check raw frames against the contract, vectorised: the city-scale validator.

Each check is a polars expression derived from the schemas (via contract.py), so a
million rows cost one pass per field, never a Python object per row. The result is a
`Submission`: typed frames of the records that may be judged, and one frame listing
every problem with its file, row, field, value and what was expected, in Chinese and
English. tests/test_fastpath_vs_jsonschema.py proves this path and the JSON Schemas
reject the same bad rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from checker.contract import Field, RecordType, record_types
from checker.load import FILE_COL, JSON_TYPE_MARK, ROW_COL, RawSubmission, SourceFile

VALID_COL = "_valid"
ERR_PREFIX = "_err_"

PROBLEM_SCHEMA = {
    "severity": pl.String, "record_type": pl.String, "file": pl.String, "row": pl.Int64,
    "row_kind": pl.String, "field": pl.String, "value": pl.String, "code": pl.String,
    "message_zh": pl.String, "message_en": pl.String,
}

_TRUE = ["true", "1", "是", "y", "yes", "t"]
_FALSE = ["false", "0", "否", "n", "no", "f"]
_DATE_ANY = r"^(\d{4})(?:-|/|年)(\d{1,2})(?:-|/|月)(\d{1,2})日?(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
_DATE_ISO = r"^(\d{4})-(\d{2})-(\d{2})$"
_DT_ANY = r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
_DT_ISO = r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?$"


def _expected(f: Field, canonical: bool) -> dict[str, tuple[str, str]]:
    """For one field: problem code -> (what was expected in Chinese, in English)."""
    allowed_zh = "、".join(f"{c}（{z}）" for c, z in f.enum_labels.items())
    allowed_en = ", ".join(f.enum_labels)
    date_zh = "日期 YYYY-MM-DD" if canonical else "日期（YYYY-MM-DD、YYYY/MM/DD 或 YYYY年MM月DD日）"
    date_en = "a date YYYY-MM-DD" if canonical else "a date (YYYY-MM-DD, YYYY/MM/DD or YYYY年MM月DD日)"
    bounds = ""
    if f.minimum is not None and f.maximum is not None:
        bounds = f" {int(f.minimum)}–{int(f.maximum)}"
    elif f.minimum is not None:
        bounds = f" ≥ {int(f.minimum)}"
    return {
        "required": ("必填字段，不能为空", "a required field; it is empty"),
        "json_type": ("JSON 值不对：" + {"integer": "应为整数", "number": "应为数字", "boolean": "应为 true/false",
                                      "list": "应为非空字符串的数组"}.get(f.kind, "应为非空字符串"),
                      "wrong JSON value: expected " + {"integer": "an integer", "number": "a number", "boolean": "true/false",
                                                      "list": "an array of non-empty strings"}.get(f.kind, "a non-empty string")),
        "enum": (f"应为以下之一：{allowed_zh}", f"expected one of: {allowed_en}"),
        "integer": ("应为整数", "expected a whole number"),
        "number": ("应为数字", "expected a number"),
        "range": (f"超出范围（应{bounds.strip().replace('≥', '不小于')}）", f"out of range (expected{bounds})"),
        "boolean": ("应为布尔值（true/false、1/0、是/否、Y/N）" if not canonical else "应为 true 或 false",
                    "expected a boolean (true/false, 1/0, 是/否, Y/N)" if not canonical else "expected true or false"),
        "date": (date_zh, date_en),
        "datetime": ("日期时间 YYYY-MM-DDTHH:MM[:SS]（可带时区偏移，默认北京时间）",
                     "a datetime YYYY-MM-DDTHH:MM[:SS] (offset optional, Asia/Shanghai by default)"),
        "pattern": ("格式不对（应为 6 位数字）" if f.name == "rescue_code" else f"格式不对（{f.pattern}）",
                    "wrong format (expected 6 digits)" if f.name == "rescue_code" else f"wrong format ({f.pattern})"),
        "duplicate_id": ("编号重复，应唯一", "duplicate id; it must be unique"),
        "duplicate_record": ("与前面的记录完全相同（重复记录）", "identical to an earlier record (duplicate)"),
        "reference": (f"引用的{_REF_ZH.get(f.ref or '', f.ref)}不存在", f"refers to a record of {f.ref} that does not exist"),
        "order": ("日期先后顺序不对", "dates out of order"),
        "rejected_reference": (f"引用的{_REF_ZH.get(f.ref or '', f.ref)}已被拒收，本记录随之不参与评判",
                               f"refers to a rejected record of {f.ref}; not judged either"),
    }


_REF_ZH = {"organizations": "单位", "elevators": "电梯", "assessments": "评估报告"}
_ORDER_RULES = {
    # record type -> [(later field, earlier field, zh, en)]
    "stop_periods": [("end", "start", "恢复使用日期早于停用日期", "end is before start")],
    "entrapments": [("arrived_at", "reported_at", "救援到达时间早于报警时间", "arrived_at is before reported_at"),
                    ("released_at", "reported_at", "解困时间早于报警时间", "released_at is before reported_at"),
                    ("released_at", "arrived_at", "解困时间早于救援到达时间", "released_at is before arrived_at")],
}


def _enum_map(f: Field, canonical: bool) -> dict[str, str]:
    mapping = {c: c for c in f.enum_labels}
    if not canonical:
        for code, zh in f.enum_labels.items():
            mapping[zh] = code
            for part in zh.split("/"):
                mapping[part] = code
    return mapping


def _parse(f: Field, canonical: bool, iso_only: bool = False) -> tuple[pl.Expr, pl.Expr]:
    """(typed value, problem code or null) for one field of a raw, stripped string column.

    `iso_only`: every present value of this date column is already a valid YYYY-MM-DD, so
    the native parser gives the same result as the variant-tolerant path at a tenth the cost.
    """
    v = pl.col(f.name)
    marked = v.str.starts_with(JSON_TYPE_MARK)
    present = v.is_not_null() & ~marked
    if f.kind == "string":
        parsed, bad = v, pl.lit(None, pl.String)
    elif f.kind == "enum":
        parsed = v.replace_strict(_enum_map(f, canonical), default=None, return_dtype=pl.String)
        bad = pl.when(present & parsed.is_null()).then(pl.lit("enum"))
    elif f.kind == "integer":
        ok = v.str.contains(r"^[+-]?\d{1,15}(\.0+)?$")
        parsed = pl.when(ok).then(v.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False))
        low = pl.lit(False) if f.minimum is None else parsed < f.minimum
        high = pl.lit(False) if f.maximum is None else parsed > f.maximum
        bad = pl.when(present & ~ok).then(pl.lit("integer")).when(present & (low | high)).then(pl.lit("range"))
    elif f.kind == "number":
        parsed = v.cast(pl.Float64, strict=False)
        low = pl.lit(False) if f.minimum is None else parsed < f.minimum
        bad = pl.when(present & parsed.is_null()).then(pl.lit("number")).when(present & low).then(pl.lit("range"))
    elif f.kind == "boolean":
        lower = v.str.to_lowercase()
        truth = ["true"] if canonical else _TRUE
        falsity = ["false"] if canonical else _FALSE
        parsed = pl.when(lower.is_in(truth)).then(True).when(lower.is_in(falsity)).then(False)
        bad = pl.when(present & parsed.is_null()).then(pl.lit("boolean"))
    elif f.kind == "date" and iso_only:
        parsed = v.str.to_date("%Y-%m-%d", strict=False)
        bad = pl.lit(None, pl.String)
    elif f.kind == "date":
        groups = v.str.extract_groups(_DATE_ISO if canonical else _DATE_ANY)
        iso = pl.concat_str([groups.struct.field("1"), groups.struct.field("2").str.zfill(2),
                             groups.struct.field("3").str.zfill(2)], separator="-")
        parsed = iso.str.to_date("%Y-%m-%d", strict=False)
        bad = pl.when(present & parsed.is_null()).then(pl.lit("date"))
    elif f.kind == "datetime":
        g = v.str.extract_groups(_DT_ISO if canonical else _DT_ANY)
        text = pl.concat_str([g.struct.field("1"), pl.lit("-"), g.struct.field("2").str.zfill(2), pl.lit("-"),
                              g.struct.field("3").str.zfill(2), pl.lit(" "), g.struct.field("4").str.zfill(2),
                              pl.lit(":"), g.struct.field("5"), pl.lit(":"),
                              g.struct.field("6").fill_null("00")])
        naive = text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
        off = g.struct.field("7")
        digits = off.str.replace(":", "")
        minutes = (pl.when(off == "Z").then(0)
                   .otherwise(digits.str.slice(1, 2).cast(pl.Int64, strict=False) * 60
                              + digits.str.slice(3, 2).cast(pl.Int64, strict=False))
                   * pl.when(off.str.starts_with("-")).then(-1).otherwise(1))
        # An explicit offset is converted to Beijing time (UTC+8), the contract's local time.
        parsed = pl.when(off.is_null()).then(naive).otherwise(
            naive - pl.duration(minutes=minutes) + pl.duration(hours=8))
        bad = pl.when(present & naive.is_null()).then(pl.lit("datetime"))
    elif f.kind == "list":
        parsed = v.str.split(";").list.eval(pl.element().str.strip_chars()).list.eval(
            pl.element().filter(pl.element() != ""))
        bad = pl.lit(None, pl.String)
    else:  # pragma: no cover - the contract has no other kinds
        raise ValueError(f.kind)
    if f.pattern is not None:
        bad = pl.coalesce(bad, pl.when(present & ~v.str.contains(f.pattern)).then(pl.lit("pattern")))
    if f.default is not None:
        parsed = parsed.fill_null(pl.lit(f.default))
    required = pl.when(v.is_null()).then(pl.lit("required")) if f.required else pl.lit(None, pl.String)
    bad = pl.coalesce(pl.when(marked).then(pl.lit("json_type")), required, bad)
    return parsed.alias(f.name), bad.cast(pl.String).alias(ERR_PREFIX + f.name)


def _all_iso_dates(values: pl.Series) -> bool:
    """True when every present value is exactly YYYY-MM-DD and a real date."""
    present = values.drop_nulls()
    if present.is_empty():
        return True
    iso = present.str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    return bool(iso) and present.str.to_date("%Y-%m-%d", strict=False).null_count() == 0


def _typed(rt: RecordType, source: SourceFile, frame: pl.DataFrame) -> pl.DataFrame:
    """Strip, parse and flag one file's frame; keeps the raw text of each field for messages."""
    stripped = frame.with_columns(
        [pl.col(n).str.strip_chars().replace("", None).alias(n) for n in rt.field_names])
    parsed = [_parse(f, source.canonical, f.kind == "date" and _all_iso_dates(stripped.get_column(f.name)))
              for f in rt.fields]
    return stripped.select(
        FILE_COL, ROW_COL,
        *[p for p, _ in parsed],
        *[e for _, e in parsed],
        *[pl.col(n).alias("_raw_" + n) for n in rt.field_names],
    )


@dataclass
class Submission:
    """Typed records that may be judged, plus everything wrong with what was submitted."""

    tables: dict[str, pl.DataFrame]
    present_types: set[str]
    problems: pl.DataFrame
    unknown_files: list[str] = field(default_factory=list)
    record_counts: dict[str, int] = field(default_factory=dict)
    rejected_counts: dict[str, int] = field(default_factory=dict)
    # rules.md "History start": the earliest maintenance record of the whole submission
    # (None when it has none); a partition keeps its whole submission's.
    history_start: dt.date | None = None

    @property
    def error_count(self) -> int:
        return self.problems.filter(pl.col("severity") == "error").height

    def table(self, name: str) -> pl.DataFrame:
        if name in self.tables:
            return self.tables[name]
        return empty_table(name)


def empty_table(name: str) -> pl.DataFrame:
    rt = record_types()[name]
    dtypes = {"string": pl.String, "enum": pl.String, "integer": pl.Int64, "number": pl.Float64,
              "boolean": pl.Boolean, "date": pl.Date, "datetime": pl.Datetime("us"), "list": pl.List(pl.String)}
    return pl.DataFrame(schema={FILE_COL: pl.String, ROW_COL: pl.Int64} | {f.name: dtypes[f.kind] for f in rt.fields})


def _cross_row_checks(rt: RecordType, df: pl.DataFrame, keys: dict[str, pl.Series]) -> pl.DataFrame:
    """Uniqueness, duplicates, date order and references: checks that look beyond one row."""
    checks: dict[str, list[pl.Expr]] = {}
    if rt.unique:
        key = pl.col(rt.unique)
        checks.setdefault(rt.unique, []).append(
            pl.when(key.is_not_null() & ~key.is_first_distinct()).then(pl.lit("duplicate_id")))
    for later, earlier, _, _ in _ORDER_RULES.get(rt.name, []):
        checks.setdefault(later, []).append(
            pl.when(pl.col(later) < pl.col(earlier)).then(pl.lit("order:" + earlier)))
    for f in rt.fields:
        if f.ref:
            known = keys.get(f.ref, pl.Series([], dtype=pl.String))
            checks.setdefault(f.name, []).append(
                pl.when(pl.col(f.name).is_not_null() & ~pl.col(f.name).is_in(known.implode())).then(pl.lit("reference")))
    # An identical earlier record makes this one a duplicate; reported on the first field.
    # Rows with a twin are found in one cheap pass; "not the first of its twins" only among those.
    first_field = rt.unique or rt.field_names[0]
    twins = ~df.select(rt.field_names).is_unique()
    if twins.any():
        later = (df.select(rt.field_names).with_row_index("_i").filter(twins)
                 .filter(~pl.struct(rt.field_names).is_first_distinct()).get_column("_i"))
        is_later = pl.int_range(pl.len(), dtype=pl.UInt32).is_in(later.implode())
        checks.setdefault(first_field, []).append(pl.when(is_later).then(pl.lit("duplicate_record")))
    # A field's own (type) problem comes first; a cross-row problem only where there is none.
    return df.with_columns([pl.coalesce(pl.col(ERR_PREFIX + name), *exprs).alias(ERR_PREFIX + name)
                            for name, exprs in checks.items()])


def _problems(rt: RecordType, df: pl.DataFrame, row_kinds: dict[str, str], canonical: dict[str, bool]) -> pl.DataFrame:
    err_cols = [ERR_PREFIX + n for n in rt.field_names]
    bad = df.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in err_cols]))
    if bad.height == 0:
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    long = bad.select(
        FILE_COL, ROW_COL,
        pl.concat_list([pl.struct(pl.lit(n).alias("field"), pl.col(ERR_PREFIX + n).alias("code"),
                                  pl.col("_raw_" + n).alias("value")) for n in rt.field_names]).alias("p"),
    ).explode("p").unnest("p").filter(pl.col("code").is_not_null())
    # expected texts: a small table over (canonical, field, code)
    texts = []
    for can in (False, True):
        for f in rt.fields:
            exp = _expected(f, can)
            for code, (zh, en) in exp.items():
                texts.append({"_canonical": can, "field": f.name, "code": code, "zh": zh, "en": en,
                              "label": f.label})
            for later, earlier, zh, en in _ORDER_RULES.get(rt.name, []):
                if later == f.name:
                    texts.append({"_canonical": can, "field": f.name, "code": "order:" + earlier,
                                  "zh": zh, "en": en, "label": f.label})
    texts_df = pl.DataFrame(texts)
    files = pl.DataFrame({"file": list(row_kinds), "row_kind": list(row_kinds.values()),
                          "_canonical": [canonical[k] for k in row_kinds]})
    long = (long.rename({FILE_COL: "file", ROW_COL: "row"})
            .join(files, on="file", how="left")
            .join(texts_df, on=["_canonical", "field", "code"], how="left"))
    return _with_messages(long.with_columns(pl.lit(rt.name).alias("record_type"))).sort("file", "row", maintain_order=True)


def _with_messages(long: pl.DataFrame) -> pl.DataFrame:
    """Problem rows (record_type, file, row, row_kind, field, label, value, code, zh, en) with their
    messages: every record-level problem names its place the same way, line, item or row."""
    where_zh = pl.concat_str([pl.col("file"), pl.lit(" 第 "), pl.col("row").cast(pl.String),
                              pl.when(pl.col("row_kind") == "item").then(pl.lit(" 项")).otherwise(pl.lit(" 行"))])
    where_en = pl.concat_str([pl.col("file"), pl.lit(" "), pl.col("row_kind"), pl.lit(" "), pl.col("row").cast(pl.String)])
    value = pl.col("value").fill_null("").str.replace(JSON_TYPE_MARK, "", literal=True)
    return long.select(
        pl.lit("error").alias("severity"), "record_type", "file", "row", "row_kind",
        "field", value.alias("value"), pl.col("code").str.replace(r":.*$", ""),
        pl.concat_str([where_zh, pl.lit("，字段 "), pl.col("field"), pl.lit("（"), pl.col("label"), pl.lit("）值「"),
                       value, pl.lit("」："), pl.col("zh")]).alias("message_zh"),
        pl.concat_str([where_en, pl.lit(", field "), pl.col("field"), pl.lit(" ("), pl.col("label"), pl.lit("), value \""),
                       value, pl.lit("\": "), pl.col("en")]).alias("message_en"),
    )


def _file_problems(raw: RawSubmission) -> pl.DataFrame:
    rows = []
    for p in raw.file_problems:
        unit_zh = "项" if p["row_kind"] == "item" else "行"
        where = f"{p['file']} 第 {p['row']} {unit_zh}" if p["row"] is not None else p["file"]
        where_en = f"{p['file']} {p['row_kind']} {p['row']}" if p["row"] is not None else p["file"]
        rows.append({"severity": p["severity"], "record_type": None, "file": p["file"], "row": p["row"],
                     "row_kind": p["row_kind"], "field": p["field"], "value": p["value"], "code": p["code"],
                     "message_zh": f"{where}，{('字段 ' + p['field'] + '，') if p['field'] else ''}值「{p['value']}」：{p['expected_zh']}",
                     "message_en": f"{where_en}, {('field ' + p['field'] + ', ') if p['field'] else ''}value \"{p['value']}\": {p['expected_en']}"})
    for name in raw.unknown_files:
        rows.append({"severity": "warning", "record_type": None, "file": name, "row": None, "row_kind": "line",
                     "field": "", "value": name, "code": "unknown_file",
                     "message_zh": f"{name}：不是已知的记录类型，未读取（文件名应为记录类型名，如 elevators.csv）",
                     "message_en": f"{name}: not a known record type, not read (name files after the record type, e.g. elevators.csv)"})
    return pl.DataFrame(rows, schema=PROBLEM_SCHEMA)


# Types whose keys others refer to come first, so references can be checked against them.
_KEY_ORDER = ["organizations", "elevators", "assessments"]


def validate(raw: RawSubmission, skip_invalid: bool = False) -> Submission:
    """Type every record, find every problem, and keep what may be judged."""
    types = record_types()
    typed: dict[str, pl.DataFrame] = {}
    row_kinds: dict[str, str] = {}
    canonical: dict[str, bool] = {}
    for name, parts in raw.frames.items():
        rt = types[name]
        frames = []
        for source, frame in parts:
            row_kinds[source.display] = source.row_kind
            canonical[source.display] = source.canonical
            frames.append(_typed(rt, source, frame))
        typed[name] = pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]

    keys = {n: typed[n].get_column(types[n].unique).drop_nulls().unique()
            for n in _KEY_ORDER if n in typed}
    problems = [_file_problems(raw)]
    checked: dict[str, pl.DataFrame] = {}
    for name, df in typed.items():
        rt = types[name]
        df = _cross_row_checks(rt, df, keys)
        problems.append(_problems(rt, df, row_kinds, canonical))
        err_cols = [ERR_PREFIX + n for n in rt.field_names]
        checked[name] = df.with_columns(
            pl.all_horizontal([pl.col(c).is_null() for c in err_cols]).alias(VALID_COL)
        ).drop(err_cols + ["_raw_" + n for n in rt.field_names])

    if skip_invalid:
        checked, cascade = _cascade(checked, row_kinds)
        problems.append(cascade)
    tables = {n: df.filter(pl.col(VALID_COL)).drop(VALID_COL) for n, df in checked.items()}
    problems.append(_stopped_without_record(tables, row_kinds))
    maintenance = tables.get("maintenance")
    return Submission(
        tables=tables,
        present_types=set(raw.frames),
        history_start=maintenance.get_column("date").min() if maintenance is not None else None,
        problems=pl.concat(problems, how="vertical"),
        unknown_files=list(raw.unknown_files),
        record_counts={n: df.height for n, df in checked.items()},
        rejected_counts={n: checked[n].height - tables[n].height for n in checked},
    )


def _stopped_without_record(tables: dict[str, pl.DataFrame], row_kinds: dict[str, str]) -> pl.DataFrame:
    """rules.md: a `stopped` status with no open stop record cannot be judged day by day: warn."""
    elevators = tables.get("elevators")
    if elevators is None:
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    stops = tables.get("stop_periods")
    open_ids = (stops.filter(pl.col("end").is_null()).get_column("elevator_id") if stops is not None
                else pl.Series([], dtype=pl.String))
    found = elevators.filter((pl.col("status") == "stopped") & ~pl.col("elevator_id").is_in(open_ids.implode()))
    if found.height == 0:
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    label = record_types()["elevators"].field("status").label
    return _with_messages(found.select(
        pl.lit("elevators").alias("record_type"), pl.col(FILE_COL).alias("file"), pl.col(ROW_COL).alias("row"),
        pl.col(FILE_COL).replace_strict(row_kinds, default="line").alias("row_kind"),
        pl.lit("status").alias("field"), pl.lit(label).alias("label"),
        pl.concat_str([pl.col("elevator_id"), pl.lit(" stopped")]).alias("value"),
        pl.lit("stopped_without_record").alias("code"),
        pl.lit("状态为停用，但没有未结束的停用记录（恢复使用日期为空）：无法逐日判断，"
               "DAILY-CHECK、MAINT-INTERVAL(-DENSE)、INSPECTION-VALID、HAZARD-SERIOUS-STOP 对该电梯不作判断，列入报告的“未评判”").alias("zh"),
        pl.lit("status is stopped but there is no open stop record (empty end): it cannot be judged day by day; "
               "DAILY-CHECK, MAINT-INTERVAL(-DENSE), INSPECTION-VALID and HAZARD-SERIOUS-STOP do not judge it; "
               "listed as unjudged in the report").alias("en"),
    )).with_columns(pl.lit("warning").alias("severity"))


def _cascade(checked: dict[str, pl.DataFrame], row_kinds: dict[str, str]) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """With --skip-invalid: a record that refers to a rejected record is rejected too, and listed."""
    types = record_types()
    extra = []
    for target in _KEY_ORDER:
        if target not in checked:
            continue
        key = types[target].unique
        good = checked[target].filter(pl.col(VALID_COL)).get_column(key).unique()
        for name, df in checked.items():
            for f in types[name].fields:
                if f.ref != target:
                    continue
                orphan = pl.col(VALID_COL) & pl.col(f.name).is_not_null() & ~pl.col(f.name).is_in(good.implode())
                lost = df.filter(orphan)
                if lost.height:
                    exp_zh, exp_en = _expected(f, False)["rejected_reference"]
                    extra.append(_with_messages(lost.select(
                        pl.lit(name).alias("record_type"), pl.col(FILE_COL).alias("file"), pl.col(ROW_COL).alias("row"),
                        pl.col(FILE_COL).replace_strict(row_kinds, default="line").alias("row_kind"),
                        pl.lit(f.name).alias("field"), pl.lit(f.label).alias("label"), pl.col(f.name).alias("value"),
                        pl.lit("rejected_reference").alias("code"), pl.lit(exp_zh).alias("zh"), pl.lit(exp_en).alias("en"),
                    )))
                    checked[name] = df = df.with_columns(pl.when(orphan).then(False)
                                                         .otherwise(pl.col(VALID_COL)).alias(VALID_COL))
    frame = pl.concat(extra, how="vertical") if extra else pl.DataFrame(schema=PROBLEM_SCHEMA)
    return checked, frame
