"""Calendar arithmetic as the opinion reads it (民法典 第二百零二条: a missing day is the month's last)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from checker.errors import LiftcheckError


def add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


_DATE_FORMS = re.compile(r"^(\d{4})(?:-|/|年)(\d{1,2})(?:-|/|月)(\d{1,2})日?$")


def parse_date(text: str, what: str = "date") -> dt.date:
    """A date typed on the command line: YYYY-MM-DD, YYYY/MM/DD or YYYY年MM月DD日."""
    match = _DATE_FORMS.match(text.strip())
    try:
        if not match:
            raise ValueError
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise LiftcheckError(f"{what}：「{text}」不是有效日期（应为 YYYY-MM-DD）",
                             f"{what}: {text!r} is not a valid date (expected YYYY-MM-DD)") from None


def quarter_end(text: str) -> dt.date:
    match = re.fullmatch(r"(\d{4})\s*[Qq]([1-4])", text.strip())
    if not match:
        raise LiftcheckError(f"--quarter：「{text}」应写作 2024Q3", f"--quarter: {text!r} should look like 2024Q3")
    year, q = int(match[1]), int(match[2])
    return add_months(dt.date(year, 3 * q, 1), 1) - dt.timedelta(days=1)
