"""Reading what people really submit, and refusing bad input clearly: file, row, field, value, expectation."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ORGANIZATIONS, elevator, write_submission
from checker.errors import LiftcheckError
from checker.load import load_submission
from checker.sample import SampleSpec, generate, write
from checker.validate import validate


def messages(sub, lang="en"):
    return sub.problems.get_column(f"message_{lang}").to_list()


def test_utf8_bom_and_gb18030_csv_with_chinese_headers(tmp_path):
    header = "统一社会信用代码,单位名称,单位类型,维保星级\n"
    rows = "P1,甲物业,物业服务企业,\nM1,乙维保,维保单位,4\n"
    (tmp_path / "organizations.csv").write_bytes(b"\xef\xbb\xbf" + (header + rows).encode("utf-8"))
    elevators = "设备代码,所在区,小区,投用日期,使用单位,维保单位,保障房,状态\nE1,玄武区,梅园,2008年02月29日,P1,M1,是,在用\n"
    (tmp_path / "elevators.csv").write_bytes(elevators.encode("gb18030"))
    sub = validate(load_submission(tmp_path))
    assert sub.error_count == 0
    e = sub.table("elevators").row(0, named=True)
    assert e["commissioned_on"] == dt.date(2008, 2, 29) and e["affordable_housing"] is True
    assert sub.table("organizations").get_column("kind").to_list() == ["property_service_enterprise", "maintenance_unit"]


def test_every_problem_of_a_file_is_listed_in_both_languages(tmp_path):
    write_submission(tmp_path, {
        "organizations": ORGANIZATIONS,
        "elevators": [elevator("E1"), elevator("E2", commissioned_on="86400", affordable_housing="maybe",
                                               households_served="-3", rescue_code="12a", maintenance_unit_id="NOPE"),
                      elevator("E1")],
        "stop_periods": [{"elevator_id": "E1", "start": "2024-01-05", "end": "2024-01-01"}],
        "entrapments": [{"incident_id": "K1", "elevator_id": "E9", "reported_at": "2024-01-01T10:00",
                         "arrived_at": "2024-01-01T09:59"}],
        "daily_checks": [{"elevator_id": "E1", "date": "2024-01-01", "inspector": "", "result": "normal"},
                         {"elevator_id": "E1", "date": "2024-01-02", "inspector": "王伟", "result": "normal"},
                         {"elevator_id": "E1", "date": "2024-01-02", "inspector": "王伟", "result": "normal"}],
    })
    sub = validate(load_submission(tmp_path))
    assert messages(sub) == [
        'daily_checks.csv line 2, field inspector (安全员), value "": a required field; it is empty',
        'daily_checks.csv line 4, field elevator_id (设备代码), value "E1": identical to an earlier record (duplicate)',
        'elevators.csv line 3, field rescue_code (应急救援识别码), value "12a": wrong format (expected 6 digits)',
        'elevators.csv line 3, field commissioned_on (投用日期（安装监督检验合格日期）), value "86400": '
        'a date (YYYY-MM-DD, YYYY/MM/DD or YYYY年MM月DD日)',
        'elevators.csv line 3, field maintenance_unit_id (维保单位), value "NOPE": refers to a record of organizations that does not exist',
        'elevators.csv line 3, field affordable_housing (保障房), value "maybe": expected a boolean (true/false, 1/0, 是/否, Y/N)',
        'elevators.csv line 3, field households_served (服务户数（梯户比）), value "-3": out of range (expected ≥ 0)',
        'elevators.csv line 4, field elevator_id (设备代码), value "E1": duplicate id; it must be unique',
        'entrapments.csv line 2, field elevator_id (设备代码), value "E9": refers to a record of elevators that does not exist',
        'entrapments.csv line 2, field arrived_at (救援到达时间), value "2024-01-01T09:59": arrived_at is before reported_at',
        'stop_periods.csv line 2, field end (恢复使用日期), value "2024-01-01": end is before start',
    ]
    assert messages(sub, "zh")[0] == "daily_checks.csv 第 2 行，字段 inspector（安全员）值「」：必填字段，不能为空"


def test_json_array_rows_are_items_and_must_be_canonical(tmp_path):
    write_submission(tmp_path, {"organizations": ORGANIZATIONS, "elevators": [elevator("E1")]})
    (tmp_path / "alarm_tests.json").write_text(json.dumps([
        {"elevator_id": "E1", "date": "2024-01-01", "ok": True},
        {"elevator_id": "E1", "date": "2024/01/02", "ok": "是"},
        {"elevator_id": "E1", "date": "2024-01-03", "ok": False, "colour": "red"}], ensure_ascii=False))
    sub = validate(load_submission(tmp_path))
    assert messages(sub) == [
        'alarm_tests.json item 2, field colour, value ""red"": unknown field (alarm_tests has no such field)',
        'alarm_tests.json item 1, field date (测试日期), value "2024/01/02": a date YYYY-MM-DD',
        'alarm_tests.json item 1, field ok (是否正常), value ""是"": wrong JSON value: expected true/false',
    ]


def test_skip_invalid_drops_dependent_records_and_lists_them(tmp_path):
    write_submission(tmp_path, {"organizations": ORGANIZATIONS,
                                "elevators": [elevator("E1"), elevator("E2", commissioned_on="bad")],
                                "daily_checks": [{"elevator_id": "E2", "date": "2024-01-01", "inspector": "王伟"},
                                                 {"elevator_id": "E1", "date": "2024-01-01", "inspector": "王伟"}]})
    sub = validate(load_submission(tmp_path), skip_invalid=True)
    assert sub.table("elevators").get_column("elevator_id").to_list() == ["E1"]
    assert sub.table("daily_checks").get_column("elevator_id").to_list() == ["E1"]
    assert sub.rejected_counts == {"organizations": 0, "elevators": 1, "daily_checks": 1}
    assert messages(sub)[-1] == ('daily_checks.csv line 2, field elevator_id (设备代码), value "E2": '
                                 'refers to a rejected record of elevators; not judged either')
    assert messages(sub, "zh")[-1] == ('daily_checks.csv 第 2 行，字段 elevator_id（设备代码）值「E2」：'
                                       '引用的电梯已被拒收，本记录随之不参与评判')


def test_unknown_files_and_columns_are_reported_not_ignored(tmp_path):
    write_submission(tmp_path, {"organizations": ORGANIZATIONS, "elevators": [elevator("E1", 颜色="红")]})
    (tmp_path / "notes.txt").write_text("hello")
    sub = validate(load_submission(tmp_path))
    assert sub.error_count == 0
    assert sorted(messages(sub)) == [
        'elevators.csv line 1, field 颜色, value "颜色": unknown column, ignored (elevators has no such field)',
        "notes.txt: not a known record type, not read (name files after the record type, e.g. elevators.csv)"]


@pytest.mark.parametrize("content,expected", [
    (b"\xff\xfe\x00garbage\x81\x00", "unrecognised encoding"),
    (b'elevator_id,date\n"E1,2024-01-01\n', "the CSV cannot be read"),
])
def test_unreadable_csv_is_a_clear_error(tmp_path, content, expected):
    (tmp_path / "daily_checks.csv").write_bytes(content)
    with pytest.raises(LiftcheckError) as err:
        validate(load_submission(tmp_path))
    assert expected in err.value.en and "daily_checks.csv" in err.value.en


def test_empty_file_is_zero_records_of_that_type(tmp_path):
    write_submission(tmp_path, {"organizations": ORGANIZATIONS, "elevators": [elevator("E1")]})
    (tmp_path / "daily_checks.csv").write_bytes(b"")
    sub = validate(load_submission(tmp_path))
    assert "daily_checks" in sub.present_types and sub.table("daily_checks").height == 0


def test_workbook_round_trip_with_chinese_sheet_headers(tmp_path):
    tables = generate(SampleSpec(30, dt.date(2024, 1, 1), dt.date(2024, 3, 31), seed=8))
    assert all(df.height > 0 for df in tables.values())  # every record type has rows to compare
    [book] = write(tables, tmp_path, "xlsx", chinese_headers=True)
    sub = validate(load_submission(book))
    assert sub.error_count == 0 and sub.problems.height == 0
    for name, written in tables.items():
        read = sub.table(name)
        assert read.select(written.columns).schema == written.schema, name  # the same types, column by column
        # every cell, as Python values: a date stays a date (not a datetime), 71 stays an int, empty stays None
        # (an empty list is an empty cell in a workbook: it reads as no list)
        expected = [{k: (None if v == [] else v) for k, v in row.items()} for row in written.to_dicts()]
        assert read.select(written.columns).to_dicts() == expected, name
        assert read.get_column("_row").to_list() == list(range(2, written.height + 2)), name
        # a field the sample leaves out of a sheet is read as empty, never invented
        missing = [c for c in read.columns if c not in written.columns and not c.startswith("_")]
        assert all(read.get_column(c).null_count() == read.height for c in missing), (name, missing)


def test_truncated_workbook_is_a_clear_error(tmp_path):
    tables = generate(SampleSpec(5, dt.date(2024, 1, 1), dt.date(2024, 1, 10), seed=3))
    [book] = write(tables, tmp_path, "xlsx")
    data = book.read_bytes()
    book.write_bytes(data[: len(data) // 2])
    with pytest.raises(LiftcheckError) as err:
        load_submission(book)
    assert err.value.en.startswith("submission.xlsx: cannot read the Excel workbook")


def test_sample_is_deterministic_and_valid(tmp_path):
    a = generate(SampleSpec(60, dt.date(2024, 1, 1), dt.date(2024, 6, 30), seed=5))
    b = generate(SampleSpec(60, dt.date(2024, 1, 1), dt.date(2024, 6, 30), seed=5))
    assert all(a[n].equals(b[n]) for n in a)
    write(a, tmp_path / "csv")
    assert validate(load_submission(tmp_path / "csv")).error_count == 0
    write(a, tmp_path / "jsonl", "jsonl")
    assert validate(load_submission(tmp_path / "jsonl")).error_count == 0
    districts = set(a["elevators"].get_column("district"))
    assert "江北新区" in districts and len(districts) >= 10
    assert a["elevators"].schema["commissioned_on"] == pl.Date


def test_real_excel_cells_dates_datetimes_booleans_and_numbers(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "电梯"
    ws.append(["设备代码", "所在区", "小区", "投用日期", "使用单位", "维保单位", "保障房", "服务户数", "状态"])
    ws.append(["E1", "玄武区", "梅园", dt.date(2008, 2, 29), "P1", "M1", True, 71, "在用"])
    ws.append(["E2", "玄武区", "梅园", dt.datetime(2009, 1, 1), "P1", "M1", False, 12.0, "在用"])
    traps = wb.create_sheet("困人故障")
    traps.append(["事件编号", "设备代码", "报警时间", "救援到达时间"])
    traps.append(["K1", "E1", dt.datetime(2024, 3, 1, 10, 0, 0), dt.datetime(2024, 3, 1, 10, 30, 1)])
    orgs = wb.create_sheet("organizations")
    orgs.append(["org_id", "name", "kind", "maintenance_star"])
    orgs.append(["P1", "甲", "物业服务企业", None])
    orgs.append(["M1", "乙", "维保单位", 4])
    wb.save(tmp_path / "book.xlsx")
    sub = validate(load_submission(tmp_path / "book.xlsx"))
    assert sub.error_count == 0
    e = sub.table("elevators").sort("elevator_id")
    assert e.get_column("commissioned_on").to_list() == [dt.date(2008, 2, 29), dt.date(2009, 1, 1)]
    assert e.get_column("affordable_housing").to_list() == [True, False]
    assert e.get_column("households_served").to_list() == [71, 12]
    assert sub.table("entrapments").get_column("arrived_at").to_list() == [dt.datetime(2024, 3, 1, 10, 30, 1)]


def test_a_sub_folder_in_a_submission_is_reported(tmp_path):
    write_submission(tmp_path, {"organizations": ORGANIZATIONS, "elevators": [elevator("E1")]})
    (tmp_path / "2023").mkdir()
    sub = validate(load_submission(tmp_path))
    assert messages(sub) == ["2023/: not a known record type, not read (name files after the record type, e.g. elevators.csv)"]


def test_the_excel_template_round_trips_once_filled_in(tmp_path):
    import openpyxl

    from checker.template import write_template

    book = write_template(tmp_path / "模板.xlsx")
    empty = validate(load_submission(book))
    assert empty.error_count == 0 and empty.problems.height == 0
    assert empty.present_types == set(empty.record_counts) and len(empty.present_types) == 17
    assert empty.declared_from == {}
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[:2] == ["填写说明", "说明"] and "电梯" in wb.sheetnames
    assert [c.value for c in wb["电梯"][1]][:4] == ["设备代码", "使用登记证编号", "应急救援识别码", "所在区"]
    wb["单位"].append(["P1", "甲物业", "物业服务企业", None])
    wb["单位"].append(["M1", "乙维保", "维保单位", 4])
    wb["电梯"].append(["E1", None, "123456", "玄武区", None, "梅园", dt.date(2008, 2, 29), "P1", "M1", None, "是", "否", 71, "在用"])
    for name in [n for n in wb.sheetnames if n not in ("填写说明", "说明", "单位", "电梯")]:
        del wb[name]
    wb.save(book)
    sub = validate(load_submission(book))
    assert sub.error_count == 0 and sub.present_types == {"organizations", "elevators"}
    assert sub.table("elevators").row(0, named=True)["commissioned_on"] == dt.date(2008, 2, 29)


def test_a_repeated_header_is_an_error_and_a_wrongly_separated_file_loses_no_row(tmp_path):
    write_submission(tmp_path, {"organizations": ORGANIZATIONS})
    (tmp_path / "daily_checks.csv").write_text("elevator_id,date,date,inspector\nE1,2024-01-01,2024-01-02,王伟\n",
                                               encoding="utf-8")
    (tmp_path / "elevators.csv").write_text("elevator_id;district;community\nE1;玄武区;梅园\n", encoding="utf-8")
    sub = validate(load_submission(tmp_path))
    found = messages(sub)
    assert 'daily_checks.csv line 1, field date, value "date": the same field appears in two columns' in found
    assert 'elevators.csv line 1, field elevator_id;district;community, value "elevator_id;district;community": ' \
           'unknown column, ignored (elevators has no such field)' in found
    # the elevator row is still there, refused for what it lacks, not dropped
    assert 'elevators.csv line 2, field elevator_id (设备代码), value "": a required field; it is empty' in found
    assert sub.record_counts["elevators"] == 1 and sub.rejected_counts["elevators"] == 1


def test_windows_csv_with_quotes_and_trailing_blank_rows(tmp_path):
    text = "统一社会信用代码,单位名称,单位类型\r\nP1,\"甲物业, 南京\",物业服务企业\r\nM1,乙维保,维保单位\r\n,,\r\n\r\n"
    (tmp_path / "organizations.csv").write_bytes(text.encode("gb18030"))
    sub = validate(load_submission(tmp_path))
    assert sub.error_count == 0
    assert sub.table("organizations").get_column("name").to_list() == ["甲物业, 南京", "乙维保"]
    [warning] = messages(sub)
    assert warning.startswith("organizations.csv, value \"4") and "blank row(s) ignored" in warning


# ---- the whitespace fast path: a CSV said to be free of whitespace has nothing to strip --------

_WHITESPACE = "\t\x0b\x0c \x85\xa0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000"
_CELL_TEXT = "aZ09-王伟。、…—“”·×\u200b" + _WHITESPACE   # punctuation sharing whitespace's lead bytes


@settings(max_examples=300)
@given(st.lists(st.lists(st.text(alphabet=_CELL_TEXT, max_size=4), min_size=2, max_size=2), min_size=1, max_size=6),
       st.sampled_from(["\n", "\r\n"]))
def test_a_csv_read_as_free_of_whitespace_has_no_cell_to_strip(rows, newline):
    from checker.load import _read_csv

    data = newline.join(["a,b", *(",".join(r) for r in rows)]).encode("utf-8") + newline.encode()
    df, _, clean, _, spaceless = _read_csv(data, "t.csv")
    stripped = df.select(pl.all().str.strip_chars())
    if spaceless:
        assert clean and df.equals(stripped)
    if not any(c in _WHITESPACE for r in rows for cell in r for c in cell):
        assert spaceless or any(ch in cell for r in rows for cell in r for ch in "。、…—“”·×\u200b")


@pytest.mark.parametrize("space", ["\u3000", "\xa0", "\u2028", "\u1680", "\u205f", " "])
def test_a_value_in_unicode_whitespace_is_stripped(tmp_path, space):
    write_submission(tmp_path, {"organizations": ORGANIZATIONS, "elevators": [elevator("E1")]})
    path = tmp_path / "elevators.csv"
    text = path.read_text(encoding="utf-8")
    assert text.count("玄武区") == 1
    path.write_text(text.replace("玄武区", f"{space}玄武区{space}"), encoding="utf-8")
    sub = validate(load_submission(tmp_path))
    assert sub.error_count == 0
    assert sub.table("elevators").get_column("district").to_list() == ["玄武区"]


# ---- the value fast paths: a column checked once as a whole reads as the row-by-row path -------

_RESULTS = ["normal", "hazard_found", "正常", "发现隐患", "Normal", "abnormal", "", " normal", "１"]
_DATES = ["2024-01-01", "2024-02-29", "2023-02-29", "2024-1-01", "2024/01/02", "2024年1月3日", "20240104",
          "0999-01-01", "2024-01-０5", "", "x", "+2024-01-01", "2024-13-01"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_DATES), st.sampled_from(_RESULTS)), min_size=1, max_size=8))
def test_whole_column_fast_paths_give_what_the_row_by_row_path_gives(tmp_path_factory, rows):
    """Enum columns of codes only and date columns of ISO dates only skip the per-row lookups;
    any other column takes the per-row path. Both must type and flag every row the same."""
    import checker.validate as V

    folder = write_submission(tmp_path_factory.mktemp("fast"), {
        "organizations": ORGANIZATIONS, "elevators": [elevator("E1")],
        "daily_checks": [{"elevator_id": "E1", "date": d, "inspector": "王伟", "result": r} for d, r in rows]})
    fast = validate(load_submission(folder))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(V, "_codes_only", lambda frame, fields: set())
        m.setattr(V, "_iso_dates", lambda values: None)
        slow = validate(load_submission(folder))
    assert fast.table("daily_checks").equals(slow.table("daily_checks"))
    assert fast.problems.equals(slow.problems)


def test_an_enum_column_of_codes_and_one_label_reads_the_label_too(tmp_path):
    folder = write_submission(tmp_path, {
        "organizations": ORGANIZATIONS, "elevators": [elevator("E1")],
        "daily_checks": [{"elevator_id": "E1", "date": f"2024-01-0{i + 1}", "inspector": "王伟", "result": r}
                         for i, r in enumerate(["normal", "发现隐患", "hazard_found", "", "abnormal"])]})
    sub = validate(load_submission(folder))
    assert sub.table("daily_checks").get_column("result").to_list() == ["normal", "hazard_found", "hazard_found", "normal"]
    assert [m for m in messages(sub) if "result" in m] == [
        # the blank cell is read as the default, and said so (issue 25)
        "daily_checks.csv, field result (检查结果): blank in 1 records (line 5), read as the default normal",
        'daily_checks.csv line 6, field result (检查结果), value "abnormal": expected one of: normal, hazard_found']


# ---- a default is never taken silently (issue 25) ----------------------------------------------

def _maintenance(rows: list[dict]) -> list[dict]:
    return [{"elevator_id": "E1", "date": f"2024-01-{i + 1:02d}", "maintenance_unit_id": ORGANIZATIONS[2]["org_id"],
             "kind": "half_month", **r} for i, r in enumerate(rows)]


def test_a_missing_column_with_a_default_is_a_warning_naming_file_column_and_records(tmp_path):
    write_submission(tmp_path, {
        "organizations": ORGANIZATIONS,
        "elevators": [{k: v for k, v in elevator(e).items() if k != "residential"} for e in ("E1", "E2")],
        "maintenance": _maintenance([{}, {}, {}]),
        "daily_checks": [{"elevator_id": "E1", "date": "2024-01-01", "inspector": "王伟"}]})
    sub = validate(load_submission(tmp_path))
    assert sub.error_count == 0
    assert messages(sub) == [
        "daily_checks.csv, field result (检查结果): the file has no such column; all 1 records take the default normal",
        "elevators.csv, field residential (住宅电梯): the file has no such column; all 2 records take the default true",
        "maintenance.csv, field on_site (现场维保): the file has no such column; all 3 records take the default true",
    ]
    assert messages(sub, "zh")[2] == "maintenance.csv，字段 on_site（现场维保）：文件中没有这一列，全部 3 条记录按默认值「是」读取"
    assert set(sub.problems.get_column("severity")) == {"warning"}
    assert sub.table("maintenance").get_column("on_site").to_list() == [True, True, True]


def test_blank_cells_that_take_a_default_are_counted_with_their_rows(tmp_path):
    write_submission(tmp_path, {
        "organizations": ORGANIZATIONS,
        "elevators": [elevator("E1", status=""), elevator("E2", affordable_housing=" ")],
        "maintenance": _maintenance([{"on_site": "否"}, {"on_site": ""}, {"on_site": "是"}, {"on_site": ""}])})
    sub = validate(load_submission(tmp_path))
    assert sub.error_count == 0
    assert messages(sub) == [
        "elevators.csv, field affordable_housing (保障房): blank in 1 records (line 3), read as the default false",
        "elevators.csv, field status (状态): blank in 1 records (line 2), read as the default in_service",
        "maintenance.csv, field on_site (现场维保): blank in 2 records (line 3, 5), read as the default true",
    ]
    assert messages(sub, "zh")[2] == "maintenance.csv，字段 on_site（现场维保）：2 条记录为空（第 3、5 行），按默认值「是」读取"


def test_a_missing_status_or_affordable_housing_column_is_an_error_and_rejects_the_files_records(tmp_path):
    write_submission(tmp_path, {
        "organizations": ORGANIZATIONS,
        "elevators": [{k: v for k, v in elevator(e).items() if k not in ("status", "affordable_housing")} for e in ("E1", "E2")]})
    sub = validate(load_submission(tmp_path))
    assert messages(sub) == [
        "elevators.csv, field affordable_housing (保障房): the file has no such column. Affordable housing decides which "
        "maintenance interval a dense old elevator is judged by (10 days, not 15), so its 2 records are not taken as false "
        "by default: add the column, or declare it left out on purpose (omitted_columns in submission.yaml; in a workbook, "
        "the column 有意不填的列 of the sheet 说明)",
        "elevators.csv, field status (状态): the file has no such column. The status decides which elevators are judged: a "
        "stopped or scrapped one must not be judged as in service, so its 2 records are not taken as in_service by "
        "default: add the column, or declare it left out on purpose (omitted_columns in submission.yaml; in a workbook, "
        "the column 有意不填的列 of the sheet 说明)",
    ]
    assert messages(sub, "zh")[1] == (
        "elevators.csv，字段 status（状态）：文件中没有这一列。状态决定哪些电梯参与评判：停用、报废的电梯不能当作在用来评判，"
        "不能把全部 2 条记录默认为「在用」：请补上这一列；若确实有意不填，请在 submission.yaml 的 omitted_columns"
        "（工作簿：「说明」表的“有意不填的列”）中写明")
    assert sub.error_count == 2 and sub.rejected_counts["elevators"] == 2   # one message a file, every record rejected
    assert validate(load_submission(tmp_path), skip_invalid=True).table("elevators").height == 0


def test_columns_left_out_on_purpose_are_declared_and_then_read_as_their_default_with_a_warning(tmp_path):
    write_submission(tmp_path, {
        "organizations": ORGANIZATIONS,
        "elevators": [{k: v for k, v in elevator(e).items() if k not in ("status", "affordable_housing")} for e in ("E1", "E2")]})
    (tmp_path / "submission.yaml").write_text("omitted_columns:\n  elevators: [status, 保障房]\n", encoding="utf-8")
    sub = validate(load_submission(tmp_path))
    assert sub.error_count == 0
    assert messages(sub) == [
        "elevators.csv, field affordable_housing (保障房): left out as declared (submission.yaml); all 2 records take the "
        "default false",
        "elevators.csv, field status (状态): left out as declared (submission.yaml); all 2 records take the default in_service",
    ]
    assert messages(sub, "zh")[1] == ("elevators.csv，字段 status（状态）：按声明（submission.yaml）有意不填这一列，"
                                      "全部 2 条记录按默认值「在用」读取")
    assert sub.table("elevators").get_column("status").to_list() == ["in_service", "in_service"]


def test_a_declaration_may_leave_out_only_fields_with_a_default(tmp_path):
    write_submission(tmp_path, {"organizations": ORGANIZATIONS, "elevators": [elevator("E1")]})
    (tmp_path / "submission.yaml").write_text("omitted_columns:\n  电梯: 状态;district;colour\n  maintenance: [on_site]\n",
                                              encoding="utf-8")
    sub = validate(load_submission(tmp_path))
    assert [m for m in messages(sub) if "submission.yaml" in m] == [
        "submission.yaml, field elevators, value \"district\": omitted_columns: 'district' of elevators has no default and "
        "cannot be left out; fields that may be left out: residential, affordable_housing, status",
        "submission.yaml, field elevators, value \"colour\": omitted_columns: 'colour' of elevators is no field of this "
        "record type; fields that may be left out: residential, affordable_housing, status",
    ]
    assert messages(sub, "zh")[0] == (
        "submission.yaml，字段 elevators，值「district」：omitted_columns：电梯（elevators）的「district」没有默认值，"
        "不能声明为有意不填；可以声明的字段：residential（住宅电梯）、affordable_housing（保障房）、status（状态）")
    assert sub.error_count == 2


def test_a_workbook_declares_the_columns_it_leaves_out_on_its_sheet_shuoming(tmp_path):
    import openpyxl

    from checker.template import write_template

    book = write_template(tmp_path / "模板.xlsx")
    wb = openpyxl.load_workbook(book)
    assert [c.value for c in wb["说明"][1]] == ["记录类型", "起始日期", "有意不填的列"]
    wb["单位"].append(["P1", "甲物业", "物业服务企业", None])
    wb["单位"].append(["M1", "乙维保", "维保单位", 4])
    wb["电梯"].delete_cols(14)   # 状态, the last column
    wb["电梯"].append(["E1", None, "123456", "玄武区", None, "梅园", dt.date(2008, 2, 29), "P1", "M1", None, "是", "否", 71])
    wb.save(book)
    refused = validate(load_submission(book))
    assert refused.error_count == 1 and messages(refused)[0].startswith(
        "模板.xlsx[电梯], field status (状态): the file has no such column.")
    wb["说明"].append(["电梯", None, "状态"])
    wb.save(book)
    sub = validate(load_submission(book))
    assert sub.error_count == 0 and messages(sub) == [
        "模板.xlsx[电梯], field status (状态): left out as declared (模板.xlsx[说明]); all 1 records take the default in_service"]


# ---- ids and dates as a spreadsheet leaves them (issue 26) ---------------------------------------

def test_an_id_read_without_its_spaces_is_said_with_its_cell_and_what_it_was_read_as(tmp_path):
    write_submission(tmp_path, {
        "organizations": ORGANIZATIONS,
        "elevators": [elevator("E1\u3000"), elevator(" E2")],
        "daily_checks": [{"elevator_id": "E1 ", "date": "2024-01-01", "inspector": " 王伟 ", "result": "normal"}]})
    sub = validate(load_submission(tmp_path))
    assert sub.error_count == 0 and sub.table("elevators").get_column("elevator_id").to_list() == ["E1", "E2"]
    assert messages(sub) == [
        'daily_checks.csv line 2, field elevator_id (设备代码), value "E1 ": the id has spaces before or after it '
        "(full-width ones too); they were removed (read as E1)",
        'elevators.csv line 2, field elevator_id (设备代码), value "E1\u3000": the id has spaces before or after it '
        "(full-width ones too); they were removed (read as E1)",
        'elevators.csv line 3, field elevator_id (设备代码), value " E2": the id has spaces before or after it '
        "(full-width ones too); they were removed (read as E2)",
    ]   # a name (inspector) is stripped without a word: it names no record
    assert messages(sub, "zh")[1] == ("elevators.csv 第 2 行，字段 elevator_id（设备代码）值「E1\u3000」："
                                      "编号前后有空格（含全角空格），已去掉（读作 E1）")


def test_a_bare_excel_serial_in_a_date_says_which_day_it_is(tmp_path):
    write_submission(tmp_path, {
        "organizations": ORGANIZATIONS, "elevators": [elevator("E1", commissioned_on="39509")],
        "entrapments": [{"incident_id": "K1", "elevator_id": "E1", "reported_at": "45321.75"}]})
    sub = validate(load_submission(tmp_path))
    assert messages(sub, "zh") == [
        "elevators.csv 第 2 行，字段 commissioned_on（投用日期（安装监督检验合格日期））值「39509」：日期（YYYY-MM-DD、YYYY/MM/DD "
        "或 YYYY年MM月DD日）（像是 Excel 日期序列号 39509 = 2008-03-02：请把单元格设为日期格式，或直接填写 2008-03-02）",
        "entrapments.csv 第 2 行，字段 reported_at（报警时间）值「45321.75」：日期时间 YYYY-MM-DDTHH:MM[:SS]（可带时区偏移，"
        "默认北京时间）（像是 Excel 日期序列号 45321.75 = 2024-01-30 18:00：请把单元格设为日期格式，或直接填写 2024-01-30 18:00）",
    ]
    assert messages(sub)[0].endswith("(it looks like an Excel date serial number: 39509 = 2008-03-02; format the cell as "
                                     "a date, or type 2008-03-02)")
