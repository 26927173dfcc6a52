"""Text for an 80-column terminal: Chinese folds between characters, ids and words never break.

rich wraps at spaces only, so to rich a run of Chinese is one long word: it folds that run at
whatever cell the line ends on, and an id inside it ("…判断，HAZARD-SERIOUS-STOP 对该电梯…") is cut
in two (HA / ZARD-SERIOUS-STOP). `Wrapped` wraps as Chinese is typeset instead: a line may break
between two Chinese characters, at a space, and between Chinese and a Latin word, but never
inside a Latin word, a number, an id, a date or a parameter name; closing punctuation （，。）」
、；：） never starts a line and opening punctuation （（「“） never ends one. Only a single word
wider than the whole line is folded, as a last resort. Every table cell and detail line the
renderers print goes through it (checker/render.py, checker/render_whatif.py).
"""

from __future__ import annotations

import unicodedata

from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table as RichTable
from rich.text import Text

# never at the start of a line (kinsoku): closing brackets and punctuation, full-width and ASCII
NO_START = set("，。、；：？！）」』】》〉〗〕”’…‥·％,.;:!?)]}%°")
# never at the end of a line: opening brackets and quotes
NO_END = set("（「『【《〈〖〔“‘")


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def atoms(text: str) -> list[str]:
    """`text` cut where a line may break: spaces and newlines are atoms of their own; a Latin
    word (letters, digits and ASCII symbols without a space: an id, a date, 3110320100000000,
    MAINT-INTERVAL(-DENSE)) is one atom; each Chinese character is one, closing punctuation
    glued to the atom before it and opening punctuation to the atom after it."""
    out: list[str] = []
    glue_next = False   # the last atom ends with opening punctuation: the next character joins it
    for ch in text:
        if ch == "\n" or ch.isspace():
            if ch != "\n" and out and out[-1] != "\n" and out[-1].isspace():
                out[-1] += ch
            else:
                out.append(ch)
            glue_next = False
            continue
        last = out[-1] if out else ""
        joinable = bool(last) and last != "\n" and not last.isspace()
        if joinable and (glue_next or ch in NO_START):
            out[-1] += ch
        elif joinable and not _wide(ch) and not _wide(last[-1]):
            out[-1] += ch   # inside a Latin word
        else:
            out.append(ch)
        glue_next = ch in NO_END
    return out


def break_offsets(text: str, width: int) -> list[int]:
    """Character offsets at which to start a new line so that no line is wider than `width`
    (a newline in the text is kept; the spaces at a break stay at the end of the line before)."""
    width = max(width, 1)
    offsets: list[int] = []
    position = 0
    line = 0             # cells on the current line, without the spaces after its last word
    pending = 0          # cells of those spaces
    for atom in atoms(text):
        size = cell_len(atom)
        if atom == "\n":
            position += 1
            offsets.append(position)
            line = pending = 0
            continue
        if atom.isspace():
            pending += size
            position += len(atom)
            continue
        if line and line + pending + size > width:
            offsets.append(position)
            line = pending = 0
        if size > width:   # the last resort: a word wider than the whole line is folded
            pieces = chop_cells(atom, width)
            start = position
            for piece in pieces[:-1]:
                start += len(piece)
                offsets.append(start)
            line = cell_len(pieces[-1])
        else:
            line += pending + size
        pending = 0
        position += len(atom)
    return [o for o in offsets if 0 < o < len(text)]


def wrap(text: Text | str, width: int) -> list[Text]:
    """The lines of `text` at `width` cells, styles kept, spaces at the breaks dropped."""
    text = Text(text) if isinstance(text, str) else text
    out = []
    for line in text.divide(break_offsets(text.plain, width)):
        line.rstrip()
        out.append(line)
    return out


def min_width(text: str) -> int:
    """The narrowest a column holding `text` may be without breaking a word: its widest atom."""
    return max((cell_len(a) for a in atoms(text) if not a.isspace()), default=0)


class Wrapped:
    """A text (plain, rich markup or Text) wrapped as Chinese is typeset: for table cells and
    detail lines. Measured by its widest word, so a table never narrows a column below an id."""

    def __init__(self, text: Text | str, style: str = "", markup: bool = False, indent: int = 0):
        if isinstance(text, Text):
            self.text = text
        else:
            self.text = Text.from_markup(text, style=style) if markup else Text(text, style=style)
        self.indent = indent

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        plain = self.text.plain
        widest = max((cell_len(line) for line in plain.split("\n")), default=0) + self.indent
        return Measurement(min(min_width(plain) + self.indent, options.max_width), min(widest, options.max_width))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = wrap(self.text, options.max_width - self.indent)
        joined = Text("\n").join([Text(" " * self.indent) + line if self.indent else line for line in lines])
        joined.no_wrap = True
        joined.overflow = "fold"
        yield joined


def display_width(text: str) -> int:
    """Columns a text takes on a terminal: a Chinese character takes two."""
    return cell_len(text)


class Table(RichTable):
    """A rich Table whose text cells are `Wrapped` (markup parsed, as rich's own add_row does), so
    that every table the renderers print folds Chinese and keeps ids whole."""

    def add_row(self, *renderables, style=None, end_section: bool = False) -> None:
        cells = [Wrapped(r, markup=True) if isinstance(r, str) else Wrapped(r) if isinstance(r, Text) else r
                 for r in renderables]
        super().add_row(*cells, style=style, end_section=end_section)


def say(console: Console, markup: str, indent: int = 0) -> None:
    """One line (or paragraph) of rich markup, wrapped as Chinese is typeset."""
    console.print(Wrapped(markup, markup=True, indent=indent))
