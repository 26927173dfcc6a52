"""The declaration of the history a submission holds (records.md Revision 3; rules R3-7, R3-A 1):
submission.yaml in a folder, the sheet 说明 in a workbook; every mistake named, nothing guessed."""

from __future__ import annotations

import datetime as dt

from conftest import ORGANIZATIONS, elevator, write_submission
from checker.load import load_submission
from checker.validate import validate


def _folder(tmp_path, text: str | None, **tables):
    write_submission(tmp_path, {"organizations": ORGANIZATIONS, "elevators": [elevator("E1")], **tables})
    if text is not None:
        (tmp_path / "submission.yaml").write_text(text, encoding="utf-8")
    return validate(load_submission(tmp_path))


def _messages(sub) -> list[tuple[str, str]]:
    return list(zip(sub.problems.get_column("message_en").to_list(), sub.problems.get_column("message_zh").to_list()))


def test_a_folder_declares_its_history_by_english_or_chinese_record_type(tmp_path):
    sub = _folder(tmp_path, "records_from:\n  maintenance: 2023-01-01\n  每日电梯安全检查记录（日管控）: 2024/1/5\n",
                  maintenance=[{"elevator_id": "E1", "date": "2022-12-20", "maintenance_unit_id": ORGANIZATIONS[2]["org_id"],
                                "kind": "half_month", "on_site": True}])
    assert sub.error_count == 0 and _messages(sub) == []
    assert sub.declared_from == {"maintenance": dt.date(2023, 1, 1), "daily_checks": dt.date(2024, 1, 5)}
    # R3-A 1: a record before the declared start is accepted; the history starts at the declared day
    assert sub.table("maintenance").height == 1
    assert sub.history == {"maintenance": dt.date(2023, 1, 1), "daily_checks": dt.date(2024, 1, 5)}


def test_without_a_declaration_the_history_starts_at_the_earliest_record_of_each_type(tmp_path):
    sub = _folder(tmp_path, None,
                  maintenance=[{"elevator_id": "E1", "date": d, "maintenance_unit_id": ORGANIZATIONS[2]["org_id"],
                                "kind": "half_month"} for d in ("2024-02-03", "2024-01-20")],
                  weekly_reviews=[])
    # an empty file is evidence but has no earliest record: its history starts at each
    # elevator's commissioning day (R3-A 1), which is no entry here
    assert sub.history == {"maintenance": dt.date(2024, 1, 20)} and sub.declared_from == {}


def test_an_unknown_type_a_day_that_is_not_a_date_and_an_unknown_key_are_each_an_error(tmp_path):
    sub = _folder(tmp_path, "records_from:\n  maintenence: 2023-01-01\n  daily_checks: 2023-02-30\n  weekly_reviews: soon\n"
                            "since: 2020-01-01\n")
    assert sub.error_count == 4 and sub.declared_from == {}
    found = _messages(sub)
    assert found[0][0].startswith('submission.yaml, field maintenence, value "maintenence": no record type \'maintenence\'; '
                                  'expected one of: organizations, elevators,')
    assert found[0][1].startswith("submission.yaml，字段 maintenence，值「maintenence」：记录类型「maintenence」不存在；应为：")
    assert found[1] == ('submission.yaml, field daily_checks, value "2023-02-30": records_from of daily_checks: '
                        "'2023-02-30' is not a date (expected YYYY-MM-DD, a year 1900-2100)",
                        "submission.yaml，字段 daily_checks，值「2023-02-30」：每日电梯安全检查记录（日管控）（daily_checks）的起始日期"
                        "「2023-02-30」不是日期（应为 YYYY-MM-DD，年份 1900–2100）")
    assert found[2][0] == ('submission.yaml, field weekly_reviews, value "soon": records_from of weekly_reviews: '
                           "'soon' is not a date (expected YYYY-MM-DD, a year 1900-2100)")
    assert found[3] == ('submission.yaml, field since, value "since": unknown key \'since\'; known: records_from, omitted_columns',
                        "submission.yaml，字段 since，值「since」：不认识的键「since」；可用：records_from、omitted_columns")


def test_a_declaration_that_is_not_yaml_is_refused_with_its_line(tmp_path):
    sub = _folder(tmp_path, "records_from:\n  maintenance: [2023-01-01\n")
    assert sub.error_count == 1
    assert _messages(sub)[0][0].startswith('submission.yaml, value "": not valid YAML (line 3)')


def test_a_workbook_declares_its_history_on_the_sheet_shuoming(tmp_path):
    import openpyxl

    from checker.template import write_template

    book = write_template(tmp_path / "模板.xlsx")
    wb = openpyxl.load_workbook(book)
    wb["单位"].append(["P1", "甲物业", "物业服务企业", None])
    wb["单位"].append(["M1", "乙维保", "维保单位", 4])
    wb["电梯"].append(["E1", None, "123456", "玄武区", None, "梅园", dt.date(2008, 2, 29), "P1", "M1", None, "是", "否", 71, "在用"])
    wb["说明"].append(["维护保养记录", dt.date(2023, 1, 1)])
    wb["说明"].append(["weekly_reviews", "2023-06-05"])
    wb.save(book)
    sub = validate(load_submission(book))
    assert sub.error_count == 0
    assert sub.declared_from == {"maintenance": dt.date(2023, 1, 1), "weekly_reviews": dt.date(2023, 6, 5)}

    wb["说明"].append(["每周巡查", "2023-13-01"])
    wb.save(book)
    sub = validate(load_submission(book))
    assert sub.declared_from == {}
    assert [m for m, _ in _messages(sub)] == [
        '模板.xlsx[说明] row 4, field 每周巡查, value "每周巡查": no record type \'每周巡查\'; expected one of: '
        + ", ".join(["organizations", "elevators", "daily_checks", "weekly_reviews", "monthly_dispatches", "maintenance",
                     "inspections", "screenings", "assessments", "hazards", "entrapments", "alarm_tests", "drills",
                     "emergency_plans", "fund_applications", "stop_periods", "works"])]
