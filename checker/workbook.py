"""Reading an .xlsx workbook without trusting it: size limits first, then cells that say what they hold.

An .xlsx is a zip of XML. Before anything is inflated, the sizes its directory declares are
checked against stated limits (a 3.3 MB file can claim gigabytes); every part is then
inflated once, in bounded chunks, so a part that lies about its size or is damaged is
refused before calamine (the fast reader behind polars) sees the file. The sheet XML that
holds records is read with a streaming parser that refuses DTDs and entities (defusedxml),
to find what calamine reads as "empty" although the cell is not: a formula whose value was
never saved, and an error value such as #N/A. It also finds the row the header is on, so
records keep the row numbers a person sees in Excel.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field

import polars as pl

from checker.errors import LiftcheckError
from checker.text import visible

# The limits a workbook must stay within, stated in messages and in docs/hostile-input.md.
MAX_UNPACKED_BYTES = 1 << 30          # 1 GiB of XML in all: far beyond Excel's 1,048,576 rows a sheet
MAX_RATIO = 100                       # no part may inflate to more than 100 times its packed size…
RATIO_FLOOR_BYTES = 1 << 20           # …once it is over 1 MiB (small parts compress as they like)
MAX_PARTS = 10_000
# calamine holds a sheet as one dense rectangle from A1 to its last cell: a single cell at
# XFD1048576 (or a mangled reference such as "Eresidential2") asks for tens of GB at once, and a
# failed allocation in Rust aborts the process. Sheets are refused beyond Excel's own bounds and
# beyond this many cells in their rectangle (1,048,576 rows of 30 columns).
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384
MAX_CELLS = 31_457_280
_CHUNK = 1 << 20

_MARKS = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]|\st=[\"']e[\"']")


@dataclass
class BadCell:
    """A cell calamine would read as empty, though it is not: what a person must fix."""

    ref: str            # "C5"
    row: int            # sheet row, 1-based
    column: int         # 0-based column index
    code: str           # "formula" or "error_value"
    shown: str          # "=SUM(A1:A3)" or "#N/A"


@dataclass
class Sheet:
    name: str
    frame: pl.DataFrame                  # every cell as text; the header row's labels are the columns
    header_row: int                      # the sheet row the header is on (1-based)
    columns: dict[int, str]              # 0-based sheet column -> frame column
    bad_cells: list[BadCell] = field(default_factory=list)
    hidden: bool = False


def _refuse(name: str, zh: str, en: str) -> LiftcheckError:
    return LiftcheckError(f"{name}：{zh}", f"{name}: {en}")


def _damaged(name: str, detail: str) -> LiftcheckError:
    detail = visible(detail)
    return _refuse(name, f"无法读取 Excel 工作簿（文件损坏或不是 .xlsx）：{detail}",
                   f"cannot read the Excel workbook (damaged or not .xlsx): {detail}")


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MiB"


LIMITS_ZH = f"工作簿解压后最多 {_mib(MAX_UNPACKED_BYTES)}，每个部件压缩比不超过 {MAX_RATIO}:1"
LIMITS_EN = f"a workbook may unpack to at most {_mib(MAX_UNPACKED_BYTES)}, no part more than {MAX_RATIO}:1"


def _check_sizes(zf: zipfile.ZipFile, name: str) -> None:
    """Refuse a workbook by what its zip directory declares, before inflating a byte."""
    infos = zf.infolist()
    if len(infos) > MAX_PARTS:
        raise _refuse(name, f"工作簿由 {len(infos):,} 个部件组成，超过上限 {MAX_PARTS:,}，未读取",
                      f"the workbook has {len(infos):,} parts, over the limit of {MAX_PARTS:,}; not read")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):   # readers disagree on which copy counts: none is trusted
        twice = next(n for n in names if names.count(n) > 1)
        raise _damaged(name, f"the part {twice} appears more than once")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED_BYTES:
        raise _refuse(name, f"工作簿解压后将达 {_mib(total)}，超过上限（{LIMITS_ZH}），未读取",
                      f"the workbook would unpack to {_mib(total)}, over the limit ({LIMITS_EN}); not read")
    for i in infos:
        if i.file_size > RATIO_FLOOR_BYTES and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            ratio = i.file_size / max(i.compress_size, 1)
            part = visible(i.filename)
            raise _refuse(name, f"工作簿部件 {part} 的压缩比为 {ratio:,.0f}:1，超过上限（{LIMITS_ZH}），未读取",
                          f"workbook part {part} inflates {ratio:,.0f}:1, over the limit ({LIMITS_EN}); not read")


# A cell's (or a row's) position: r="C5", r="5" (an attribute named r, however spaced or quoted).
# What is read as a reference is bounded by the quotes; one that is not letters then digits is
# refused before calamine parses it.
_R = rb"""(?<![\w:.-])r\s*=\s*["']"""
_COLUMN_LETTERS = re.compile(_R + rb"""([A-Z]+)[0-9]*["']""")
_ROW_DIGITS = re.compile(_R + rb"""[A-Z]*([0-9]+)["']""")
# (a value the text's end cuts is odd only when what is there already cannot be a reference;
# read whole, it is looked at again with the next chunk)
_ODD_POSITION = re.compile(_R + rb"""(?![A-Z]{0,3}[0-9]{0,7}(?:["']|\Z))""")
_QUOTED = re.compile(rb"""[^"']*["']([^"']{0,40})""")
# One search over a sheet finds any position worth counting: an odd one, a column beyond AD (the
# 30th) or a row beyond Excel's last. Without one, the sheet is within 1,048,576 x 30 = MAX_CELLS
# and nothing is counted; with one, the sheet is read again and its rows and columns counted.
_BEYOND_ROWS = rb"(?:[2-9][0-9]{6}|1[1-9][0-9]{5}|10[5-9][0-9]{4}|1049[0-9]{3}|1048[6-9][0-9]{2}|10485[89][0-9]|104857[7-9])"
_WORTH_COUNTING = re.compile(_R + rb"""(?:(?![A-Z]{0,3}[0-9]{0,7}(?:["']|\Z))"""
                             rb"""|(?:[A-Z]{3}|[B-Z][A-Z]|A[E-Z])[0-9]|[A-Z]*""" + _BEYOND_ROWS + rb"""["'])""")


def _sheet_texts(zf: zipfile.ZipFile, part: str, name: str):
    """A sheet's XML in pieces of about a MiB, each starting with the last tag the piece before
    it left unfinished (from its last "<"), so that no attribute is ever cut in two. A tag (or a
    text) running over _CHUNK bytes is no sheet Excel writes (a cell holds at most 32,767
    characters): it is refused rather than searched piecemeal."""
    with zf.open(part) as fh:
        tail = b""
        while chunk := fh.read(_CHUNK):
            text = tail + chunk
            yield text
            cut = text.rfind(b"<")
            tail = text[cut:] if cut >= 0 else text
            if len(tail) > _CHUNK:
                raise _damaged(name, f"{part}: over {_mib(_CHUNK)} of XML without a tag")


def _check_positions(zf: zipfile.ZipFile, part: str, name: str) -> None:
    """Refuse a sheet calamine could not hold (see MAX_CELLS) before calamine reads it."""
    if any(_WORTH_COUNTING.search(text) for text in _sheet_texts(zf, part, name)):
        _count_extent(zf, part, name)


def _count_extent(zf: zipfile.ZipFile, part: str, name: str) -> None:
    """Refuse a sheet whose positions calamine could not hold: odd ones, ones beyond Excel's
    bounds, or a rectangle of more than MAX_CELLS cells."""
    rows = columns = 0
    for text in _sheet_texts(zf, part, name):
        odd = _ODD_POSITION.search(text)
        if odd:
            value = _QUOTED.match(text, odd.start())
            shown = visible(value[1].decode("utf-8", "replace") if value else "")
            raise _damaged(name, f"{part}: a cell position that is not a reference such as C5: r=\"{shown}\"")
        rows = max(rows, max(map(int, _ROW_DIGITS.findall(text)), default=0))
        letters = set(_COLUMN_LETTERS.findall(text))   # few distinct ones
        columns = max(columns, max((_column_index(c.decode("ascii")) + 1 for c in letters), default=0))
    if rows > MAX_ROWS or columns > MAX_COLUMNS:
        raise _damaged(name, f"{part}: a cell beyond Excel's last row {MAX_ROWS:,} or column XFD "
                             f"(row {rows:,}, column {columns:,})")
    if rows * columns > MAX_CELLS:
        raise _refuse(name, f"工作表 {visible(part)} 的单元格区域达 {rows:,} 行 × {columns:,} 列，"
                            f"超过上限 {MAX_CELLS:,} 个单元格，未读取（请删除远处的空白或格式单元格，或改用 CSV）",
                      f"sheet part {visible(part)} spans {rows:,} rows × {columns:,} columns, over the "
                      f"limit of {MAX_CELLS:,} cells; not read (delete stray cells far away, or submit CSV)")


def _inflate_all(zf: zipfile.ZipFile, name: str) -> set[str]:
    """Inflate every part once, bounded by its declared size and checked against its CRC.

    Returns the parts whose XML holds a formula or an error value (worth a close look)."""
    marked = set()
    for info in zf.infolist():
        if info.is_dir():
            continue
        try:
            with zf.open(info) as fh:
                tail = b""
                read = 0
                while chunk := fh.read(_CHUNK):
                    read += len(chunk)
                    if read > info.file_size:  # zipfile stops at the declared size; never trust it alone
                        raise zipfile.BadZipFile(f"{info.filename} is longer than it declares")
                    if info.filename not in marked and _MARKS.search(tail + chunk):
                        marked.add(info.filename)
                    tail = chunk[-16:]
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
            raise _damaged(name, f"{info.filename}: {exc}") from None
    return marked


def _xml(zf: zipfile.ZipFile, part: str, name: str):
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring
    from xml.etree.ElementTree import ParseError

    try:
        return fromstring(zf.read(part), forbid_dtd=True)
    except KeyError:
        return None
    except (DefusedXmlException, ParseError, LookupError, ValueError) as exc:   # LookupError: encoding="UTF-9"
        raise _damaged(name, f"{part}: {exc}") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rels(zf: zipfile.ZipFile, part: str, name: str) -> dict[str, str]:
    """Relationship id -> target part, for one part's .rels."""
    folder, base = posixpath.split(part)
    root = _xml(zf, posixpath.join(folder, "_rels", base + ".rels"), name)
    out = {}
    if root is None:
        return out
    for rel in root:
        target = rel.get("Target") or ""
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id") or ""] = target
    return out


def _sheet_parts(zf: zipfile.ZipFile, name: str) -> dict[str, str]:
    """Sheet name -> the part holding its cells."""
    root_rels = _xml(zf, "_rels/.rels", name)
    book = "xl/workbook.xml"
    if root_rels is not None:
        for rel in root_rels:
            if (rel.get("Type") or "").endswith("/officeDocument"):
                book = (rel.get("Target") or book).lstrip("/")
    workbook = _xml(zf, book, name)
    if workbook is None:
        raise _damaged(name, f"{book} is missing")
    rels = _rels(zf, book, name)
    parts = {}
    for elem in workbook.iter():
        if _local(elem.tag) == "sheet":
            rid = next((v for k, v in elem.attrib.items() if _local(k) == "id"), "")
            if rid in rels:
                parts[elem.get("name") or ""] = rels[rid]
    return parts


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _column_letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


_REF = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})$")


def _scan_sheet(zf: zipfile.ZipFile, part: str, name: str, full: bool) -> tuple[int | None, list[BadCell]]:
    """(the first row holding a value, the cells that hold no value calamine can read).

    Streams the sheet's XML; without `full` it stops at the first row holding a value."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse
    from xml.etree.ElementTree import ParseError

    first_row: int | None = None
    bad: list[BadCell] = []
    row_number = 0
    column = -1
    rows_parent = None
    try:
        with zf.open(part) as fh:
            for event, elem in iterparse(fh, events=("start", "end"), forbid_dtd=True):
                tag = _local(elem.tag)
                if event == "start":
                    if tag == "sheetData":
                        rows_parent = elem
                    elif tag == "row":
                        r = elem.get("r")
                        row_number = int(r) if r and r.isascii() and r.isdigit() else row_number + 1
                        column = -1
                    continue
                if tag == "c":
                    ref = elem.get("r") or ""
                    match = _REF.match(ref)
                    column = _column_index(match[1]) if match else column + 1
                    ref = ref if match else f"{_column_letters(column)}{row_number}"
                    kinds = {_local(child.tag): child for child in elem}
                    v = kinds.get("v")
                    has_value = (v is not None and (v.text or "") != "") or "is" in kinds
                    if elem.get("t") == "e":
                        bad.append(BadCell(ref, row_number, column, "error_value", (v.text or "") if v is not None else ""))
                    elif "f" in kinds and not has_value and not (v is not None and elem.get("t") == "str"):
                        formula = kinds["f"].text
                        bad.append(BadCell(ref, row_number, column, "formula",
                                           "=" + formula if formula else "=（共享公式 shared formula）"))
                    elif has_value and first_row is None:
                        first_row = row_number
                        if not full:
                            break
                elif tag == "row":  # rows are done with: keep memory flat on a million of them
                    elem.clear()
                    if rows_parent is not None:
                        rows_parent.clear()
    except (DefusedXmlException, ParseError, LookupError, ValueError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise _damaged(name, f"{part}: {exc}") from None
    return first_row, bad


def _drop_unnamed_empty_columns(df: pl.DataFrame) -> pl.DataFrame:
    """A column with neither a header nor any value is formatting, not data."""
    empty = [c for c in df.columns if re.fullmatch(r"__UNNAMED__\d+", c) and df.get_column(c).null_count() == df.height]
    return df.drop(empty) if empty else df


def read_sheets(data: bytes, name: str, wanted) -> tuple[list[Sheet], list[str]]:
    """The sheets `wanted(sheet_name)` accepts, read as text; and the names of the others."""
    import fastexcel

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _damaged(name, str(exc) or type(exc).__name__) from None
    with zf:
        _check_sizes(zf, name)
        marked = _inflate_all(zf, name)
        parts = _sheet_parts(zf, name)
        present = set(zf.namelist())
        # every sheet calamine may read, wherever the workbook's relationships put it
        for part in sorted({p for p in parts.values() if p in present}
                           | {p for p in present if p.startswith("xl/worksheets/") and p.endswith(".xml")}):
            _check_positions(zf, part, name)
        try:
            reader = fastexcel.read_excel(data)
            sheet_names = list(reader.sheet_names)
        except Exception as exc:  # noqa: BLE001 - fastexcel raises its own types for foreign files
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise _damaged(name, first) from None
        sheets, others = [], []
        for index, sheet_name in enumerate(sheet_names):
            if not wanted(sheet_name):
                others.append(sheet_name)
                continue
            part = parts.get(sheet_name)
            if part is None or part not in zf.namelist():
                raise _damaged(name, f"the cells of sheet {sheet_name!r} cannot be located")
            first_row, bad = _scan_sheet(zf, part, name, full=part in marked)
            try:
                loaded = reader.load_sheet(index, dtypes="string")
                frame = pl.DataFrame(loaded)
                columns = {c.absolute_index: c.name for c in loaded.available_columns()}
                hidden = loaded.visible != "visible"
            except Exception as exc:  # noqa: BLE001
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise _damaged(name, f"{sheet_name}: {first}") from None
            frame = _drop_unnamed_empty_columns(frame)
            columns = {i: c for i, c in columns.items() if c in frame.columns}
            sheets.append(Sheet(sheet_name, frame, first_row or 1, columns, bad, hidden))
    return sheets, others
