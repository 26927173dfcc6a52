"""Dates that must come in order (records.md): each order check named, with its exact message.

Issue 16: deleting the check that a rescue cannot be released before help arrived broke no test.
Each check here is pinned on its own (the others hold in its records), on both sides of equality.
"""

from __future__ import annotations

from conftest import ORGANIZATIONS, elevator, write_submission
from checker.load import load_submission
from checker.validate import validate


def _entrapment(reported: str, arrived: str, released: str) -> dict:
    return {"incident_id": "K1", "elevator_id": "E1", "reported_at": reported, "arrived_at": arrived,
            "released_at": released, "trapped": 1}


def _problems(tmp_path, **tables):
    write_submission(tmp_path, {"organizations": ORGANIZATIONS, "elevators": [elevator("E1")], **tables})
    sub = validate(load_submission(tmp_path))
    return sub, list(zip(sub.problems.get_column("message_en").to_list(), sub.problems.get_column("message_zh").to_list()))


def test_a_rescue_released_before_help_arrived_is_refused(tmp_path):
    sub, problems = _problems(tmp_path, entrapments=[_entrapment("2024-01-01T10:00", "2024-01-01T10:20", "2024-01-01T10:19")])
    assert problems == [(
        'entrapments.csv line 2, field released_at (解困时间), value "2024-01-01T10:19": released_at is before arrived_at',
        "entrapments.csv 第 2 行，字段 released_at（解困时间）值「2024-01-01T10:19」：解困时间早于救援到达时间",
    )]
    assert sub.error_count == 1 and sub.table("entrapments").height == 0


def test_a_rescue_released_before_the_alarm_is_refused_with_the_alarm_named(tmp_path):
    # released before reported (and so before arrival too): one problem per cell, the first order
    # it breaks in records.md's list (reported → arrived → released)
    sub, problems = _problems(tmp_path, entrapments=[_entrapment("2024-01-01T10:00", "2024-01-01T10:20", "2024-01-01T09:59")])
    assert problems == [(
        'entrapments.csv line 2, field released_at (解困时间), value "2024-01-01T09:59": released_at is before reported_at',
        "entrapments.csv 第 2 行，字段 released_at（解困时间）值「2024-01-01T09:59」：解困时间早于报警时间",
    )]
    assert sub.error_count == 1


def test_release_at_the_moment_of_arrival_and_arrival_at_the_alarm_are_in_order(tmp_path):
    sub, problems = _problems(tmp_path, entrapments=[_entrapment("2024-01-01T10:00", "2024-01-01T10:00", "2024-01-01T10:00")])
    assert problems == [] and sub.table("entrapments").height == 1


def test_a_stop_resumed_on_the_day_it_began_is_in_order_and_the_day_before_is_not(tmp_path):
    sub, problems = _problems(tmp_path, stop_periods=[{"elevator_id": "E1", "start": "2024-01-05", "end": "2024-01-05"},
                                                      {"elevator_id": "E1", "start": "2024-02-05", "end": "2024-02-04"}])
    assert problems == [(
        'stop_periods.csv line 3, field end (恢复使用日期), value "2024-02-04": end is before start',
        "stop_periods.csv 第 3 行，字段 end（恢复使用日期）值「2024-02-04」：恢复使用日期早于停用日期",
    )]
    assert sub.table("stop_periods").get_column("start").cast(str).to_list() == ["2024-01-05"]
