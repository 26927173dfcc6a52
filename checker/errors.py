"""The one exception type that reaches the command line: a bilingual, user-facing problem."""

from __future__ import annotations


class LiftcheckError(Exception):
    """A problem the user can fix. Printed as Chinese then English; exit status 2."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh}\n{en}")
        self.zh = zh
        self.en = en
