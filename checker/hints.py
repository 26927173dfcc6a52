"""What a drafter meant: the nearest known name for a misspelt one, and the slips a Chinese input
method makes in a parameter file (a full-width colon "：" where YAML needs ":").

Used where a drafter types names: a feature file's steps (checker/bdd/steps.py: parameters and
column headers) and a --params file (checked by `check_params_file` before the parameters are
loaded, from the command line's --params and --proposal-params). Messages are Chinese and
English, with "您是不是要找 …" / "did you mean …" from difflib.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Iterable

from checker.errors import LiftcheckError
from checker.text import visible

FULL_WIDTH_COLON = "："


def nearest(word: str, choices: Iterable[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    """The known names closest to `word` (difflib), best first."""
    return difflib.get_close_matches(word, list(dict.fromkeys(choices)), n=n, cutoff=cutoff)


def did_you_mean(word: str, choices: Iterable[str]) -> tuple[str, str]:
    """("，您是不是要找「X」？", ", did you mean 'X'?") — or two empty strings when nothing is near."""
    near = nearest(word, choices)
    if not near:
        return "", ""
    return f"，您是不是要找「{near[0]}」？", f", did you mean {near[0]!r}?"


def unknown_parameter(name: str, known: Iterable[str], where: str = "") -> LiftcheckError:
    """A parameter name that is not in rules/params.yaml, with the nearest one that is."""
    zh_hint, en_hint = did_you_mean(name, known)
    prefix_zh, prefix_en = (f"{where}：", f"{where}: ") if where else ("", "")
    return LiftcheckError(f"{prefix_zh}未知参数「{visible(name)}」{zh_hint or '。'}参数名见 rules/params.yaml"
                          "（liftcheck rules show 规则编号 列出一条规则用到的参数）",
                          f"{prefix_en}unknown parameter {visible(name)!r}{en_hint or '.'} The parameters are listed "
                          "in rules/params.yaml (liftcheck rules show RULE lists a rule's)")


_COLON_LINE = re.compile(r"^\s*[A-Za-z_][\w.]*\s*：")


def check_params_file(path: Path | None) -> None:
    """Before a --params file is loaded: a full-width colon after a name, and a misspelt name,
    are said as such (the YAML reader would only say "not a mapping" or list every parameter).
    Anything else is left to checker.params, which reads and checks the values."""
    if path is None:
        return
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return   # not found, not text: checker.params says so with its own words
    for number, line in enumerate(text.splitlines(), start=1):
        if _COLON_LINE.match(line) and not line.lstrip().startswith("#"):
            name, rest = line.split(FULL_WIDTH_COLON, 1)
            fixed = f"{name.strip()}: {rest.strip()}"
            raise LiftcheckError(f"{path} 第 {number} 行：参数名后面是全角冒号“：”，YAML 只认英文冒号“:”（冒号后加一个空格）；"
                                 f"应写作：{fixed.strip()}",
                                 f"{path} line {number}: a full-width colon '：' after the parameter name; YAML needs an "
                                 f"ASCII ':' followed by a space; write: {fixed.strip()}")
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return
    if not isinstance(data, dict):
        return
    from checker.params import load_parameters

    known = load_parameters().params
    for name in data:
        if isinstance(name, str) and name not in known:
            raise unknown_parameter(name, known, str(path))
