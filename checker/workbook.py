"""Reading an .xlsx workbook without trusting it: size limits first, then cells that say what they hold.

An .xlsx is a zip of XML. Before anything is inflated, the sizes its directory declares are
checked against stated limits (a 3.3 MB file can claim gigabytes). Every part is then inflated
once, in bounded chunks, counting the bytes it *actually* produces: a part whose deflate stream
runs on past the size it declares (a 377 KB workbook whose sheet declares 80 KB, with the
checksum of those 80 KB, and inflates to 102 MB) is refused after its declared size, and all the
workbooks of a submission together may produce at most MAX_UNPACKED_BYTES. calamine (the fast
reader behind polars) is then handed a workbook rebuilt from exactly what was inflated and
counted: each part's compressed bytes, as far as its stream really ends, under headers written
here from the sizes and checksums measured, so no part can mean one thing to this check and
another to calamine. The sheet XML that holds records is read with a streaming parser that
refuses DTDs and entities (defusedxml), to find what calamine reads as "empty" although the
cell is not: a formula whose value was never saved, and an error value such as #N/A. It also
finds the row the header is on, so records keep the row numbers a person sees in Excel.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

import polars as pl

from checker.errors import LiftcheckError
from checker.text import visible

# The limits a workbook must stay within, stated in messages and in docs/hostile-input.md.
# Bytes are counted as they are inflated, not as the zip directory declares them; the unpacked
# limit holds for all the workbooks of a submission together (Budget).
MAX_UNPACKED_BYTES = 512 << 20       # 512 MiB of XML in all: 3x a sheet of 1.04 M daily checks (172 MB)
MAX_RATIO = 100                       # no part may inflate to more than 100 times its packed size…
RATIO_FLOOR_BYTES = 1 << 20           # …once it is over 1 MiB (small parts compress as they like)
MAX_PARTS = 10_000
# calamine holds a sheet as one dense rectangle from A1 to its last cell: a single cell at
# XFD1048576 (or a mangled reference such as "Eresidential2") asks for tens of GB at once, and a
# failed allocation in Rust aborts the process. Sheets are refused beyond Excel's own bounds and
# beyond this many cells in their rectangle (1,048,576 rows of 8 columns): calamine takes about
# 100 bytes a cell (a 1 KB workbook with one stray cell at AD1048576, 31 M cells, took 1.66 GB;
# a sheet of 1,048,576 rows of 16 columns 1.75 GB to load), this many about 0.8 GB at most.
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384
MAX_CELLS = 8_388_608
_CHUNK = 1 << 20


@dataclass
class Budget:
    """The bytes a submission's workbooks may still inflate, counted as they are produced."""

    limit: int = MAX_UNPACKED_BYTES
    used: int = 0


# A formula (<f>, with a namespace prefix or none) or an error value (t="e"); each pattern starts
# with a literal the regex engine skips to (60x faster than one alternation over a 170 MB sheet).
_MARK_FORMULA = re.compile(rb"<f[\s>/]")
_MARK_PREFIXED_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_MARK_ERROR = re.compile(rb"t(?<=\st)=[\"']e[\"']")


def _marks(text: bytes) -> bool:
    return (_MARK_FORMULA.search(text) is not None or _MARK_ERROR.search(text) is not None
            or (b":f" in text and _MARK_PREFIXED_FORMULA.search(text) is not None))


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
_R = rb"""r(?<![\w:.-]r)\s*=\s*["']"""   # "r" first: the regex engine then skips to each r (3x faster)
_COLUMN_LETTERS = re.compile(_R + rb"""([A-Z]+)[0-9]*["']""")
_ROW_DIGITS = re.compile(_R + rb"""[A-Z]*([0-9]+)["']""")
# (a value the text's end cuts is odd only when what is there already cannot be a reference;
# read whole, it is looked at again with the next chunk)
_ODD_POSITION = re.compile(_R + rb"""(?![A-Z]{0,3}[0-9]{0,7}(?:["']|\Z))""")
_QUOTED = re.compile(rb"""[^"']*["']([^"']{0,40})""")
# One search over a sheet finds any position worth counting: an odd one, a column beyond H (the
# 8th) or a row beyond Excel's last. Without one, the sheet is within 1,048,576 x 8 = MAX_CELLS
# and nothing is counted; with one, the sheet is read again and its rows and columns counted.
_BEYOND_ROWS = rb"(?:[2-9][0-9]{6}|1[1-9][0-9]{5}|10[5-9][0-9]{4}|1049[0-9]{3}|1048[6-9][0-9]{2}|10485[89][0-9]|104857[7-9])"
_WORTH_COUNTING = re.compile(_R + rb"""(?:(?![A-Z]{0,3}[0-9]{0,7}(?:["']|\Z))"""
                             rb"""|(?:[A-Z]{2,3}|[I-Z])[0-9]|[A-Z]*""" + _BEYOND_ROWS + rb"""["'])""")


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


# A shared-string cell (t="s") holds the index of its string in sharedStrings.xml. calamine reads
# a value that is no index (-1, 1.5, " 3", an index past 2^64) as index 0, which is another
# string, silently (issue 25): any such value is refused before calamine reads the sheet. A
# value found here (`<v>` not holding plain digits) is looked at only where it is: most sheets
# hold none that is not a number cell's.
_ODD_VALUE = re.compile(rb"<v>(?![0-9]{1,19}<|[0-9]{0,19}\Z)")   # (cut by the piece's end: the next piece
# starts at this tag again)
_ODD_PREFIXED_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v>(?![0-9]{1,19}<|[0-9]{0,19}\Z)")
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s>/])")
_SHARED_TYPE = re.compile(rb"""(?<![\w:.-])t\s*=\s*["']s["']""")
_OUTSIDE_CELL = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?c>|</?(?:[A-Za-z_][\w.-]*:)?(?:row|sheetData)[\s>/]")
_REF_ATTR = re.compile(rb"""(?<![\w:.-])r\s*=\s*["']([^"']{0,40})["']""")


def _odd_shared_index(text: bytes, start: int, part: str, name: str) -> None:
    """Refuse a shared-string cell whose value (found at `start`) is not an index."""
    at = start
    for _ in range(64):   # Excel puts at most a formula (<f>…</f>) between a cell's tag and its value
        at = text.rfind(b"<", 0, at)
        if at < 0 or _OUTSIDE_CELL.match(text, at):
            return
        if _CELL_TAG.match(text, at):
            break
    else:
        raise _damaged(name, f"{part}: a value (<v>) more than 64 tags away from its cell's tag")
    tag = text[at:text.find(b">", at) + 1]
    if not _SHARED_TYPE.search(tag):
        return
    ref = _REF_ATTR.search(tag)
    value = text[text.find(b">", start) + 1:][:40].split(b"<", 1)[0].decode("utf-8", "replace")
    where = f"单元格 {visible(ref[1].decode('utf-8', 'replace'))} " if ref else ""
    where_en = f"cell {visible(ref[1].decode('utf-8', 'replace'))} " if ref else "a cell "
    raise _refuse(name, f"无法读取 Excel 工作簿（文件损坏）：{visible(part)} 中{where}的共享字符串编号「{visible(value)}」"
                        "不是编号（应为 0、1、2 这样的整数），照读会读成另一个字符串，未读取",
                  f"cannot read the Excel workbook (damaged): in {visible(part)}, {where_en}refers to shared string "
                  f"\"{visible(value)}\", which is no index (0, 1, 2, …): read on, it would be another string; not read")


# Counting cells, and which of them carry their position as their first attribute (r="C5"), as
# Excel, xlsxwriter and openpyxl write them all. A cell without one takes the next column (a row
# without one the next row): such a sheet's rectangle is found by walking its tags
# (`_walk_extent`), the search over positions alone would miss it.
_CELL_TAGS = (b"<c ", b"<c>", b"<c/>", b"<c\t", b"<c\n", b"<c\r")
_ROW_TAGS = (b"<row ", b"<row>", b"<row/>", b"<row\t", b"<row\n", b"<row\r")


def _check_positions(zf: zipfile.ZipFile, part: str, name: str) -> None:
    """Refuse a sheet calamine could not hold (see MAX_CELLS), or would misread (a shared-string
    index that is none), before calamine reads it."""
    worth_counting = walk = False
    before = b""
    for text in _sheet_texts(zf, part, name):
        worth_counting = worth_counting or _WORTH_COUNTING.search(text) is not None
        for odd in (_ODD_PREFIXED_VALUE if b":v>" in text else _ODD_VALUE).finditer(text):
            # the cell's tag may be in the piece before: look back over its last 64 KiB too
            _odd_shared_index(before + text, len(before) + odd.start(), part, name)
        if not walk:
            # the tags this piece leaves unfinished begin the next piece: count them there
            body = text[:text.rfind(b"<")]
            walk = (b":c" in body or b":row" in body
                    or sum(map(body.count, _CELL_TAGS)) != body.count(b'<c r="')
                    or sum(map(body.count, _ROW_TAGS)) != body.count(b'<row r="'))
        before = text[-65536:]
    if walk:
        _walk_extent(zf, part, name)
    elif worth_counting:
        _count_extent(zf, part, name)


def _extent_refused(part: str, name: str, rows: int, columns: int) -> None:
    if rows > MAX_ROWS or columns > MAX_COLUMNS:
        raise _damaged(name, f"{part}: a cell beyond Excel's last row {MAX_ROWS:,} or column XFD "
                             f"(row {rows:,}, column {columns:,})")
    if rows * columns > MAX_CELLS:
        raise _refuse(name, f"工作表 {visible(part)} 的单元格区域达 {rows:,} 行 × {columns:,} 列，"
                            f"超过上限 {MAX_CELLS:,} 个单元格，未读取（请删除远处的空白或格式单元格，或改用 CSV）",
                      f"sheet part {visible(part)} spans {rows:,} rows × {columns:,} columns, over the "
                      f"limit of {MAX_CELLS:,} cells; not read (delete stray cells far away, or submit CSV)")


def _odd_position(text: bytes, part: str, name: str) -> None:
    odd = _ODD_POSITION.search(text)
    if odd:
        value = _QUOTED.match(text, odd.start())
        shown = visible(value[1].decode("utf-8", "replace") if value else "")
        raise _damaged(name, f"{part}: a cell position that is not a reference such as C5: r=\"{shown}\"")


def _count_extent(zf: zipfile.ZipFile, part: str, name: str) -> None:
    """Refuse a sheet whose positions calamine could not hold: odd ones, ones beyond Excel's
    bounds, or a rectangle of more than MAX_CELLS cells."""
    rows = columns = 0
    for text in _sheet_texts(zf, part, name):
        _odd_position(text, part, name)
        rows = max(rows, max(map(int, _ROW_DIGITS.findall(text)), default=0))
        letters = set(_COLUMN_LETTERS.findall(text))   # few distinct ones
        columns = max(columns, max((_column_index(c.decode("ascii")) + 1 for c in letters), default=0))
    _extent_refused(part, name, rows, columns)


_ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s>/])([^>]*)>")
_POSITION = re.compile(_R + rb"""([A-Z]{0,3})([0-9]{0,7})["']""")


def _walk_extent(zf: zipfile.ZipFile, part: str, name: str) -> None:
    """`_count_extent` for a sheet some of whose cells or rows carry no position (or not first):
    each tag is walked as calamine walks it, a cell without a position taking the next column,
    a row without one the next row."""
    rows = columns = 0
    row = column = 0
    for text in _sheet_texts(zf, part, name):
        _odd_position(text, part, name)
        body = text[:text.rfind(b"<")]   # the last tag begins the next piece (the sheet's last is no cell)
        for tag in _ROW_OR_CELL.finditer(body):
            at = _POSITION.search(tag[2])
            if tag[1] == b"row":
                row = int(at[2]) if at and at[2] else row + 1
                column = 0
            elif at and at[1]:
                column = _column_index(at[1].decode("ascii")) + 1
                row = int(at[2]) if at[2] else row
            else:
                column += 1
            rows, columns = max(rows, row), max(columns, column)
        if rows > MAX_ROWS or columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
            break
    _extent_refused(part, name, rows, columns)


_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")


def _inflated(info: zipfile.ZipInfo, raw: memoryview, name: str, budget: Budget, marked: set[str]) -> int:
    """Inflate one part's compressed bytes, counting what they produce; returns how many of the
    compressed bytes the stream really takes. Refuses a part that produces more (or fewer) bytes
    than it declares, one whose checksum differs, one past the ratio or the submission's budget."""
    part = visible(info.filename)
    declared = info.file_size
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == zipfile.ZIP_DEFLATED else None
    pending = raw
    crc = produced = 0
    tail = b""
    while True:
        if inflater is None:   # stored: the bytes are the part
            chunk, pending = bytes(pending[:_CHUNK]), pending[_CHUNK:]
        else:
            try:
                chunk = inflater.decompress(pending, _CHUNK)
            except zlib.error as exc:
                raise _damaged(name, f"{info.filename}: {exc}") from None
            pending = inflater.unconsumed_tail
        if produced + len(chunk) > declared:
            # more than it declares: calamine would inflate it all, whatever the directory says
            if zlib.crc32(chunk[:declared - produced], crc) != info.CRC:
                raise _damaged(name, f"Bad CRC-32 for file {info.filename!r}")
            raise _damaged(name, f"{info.filename}: inflates to more than the {declared:,} bytes it declares "
                                 "(its checksum covers only those)")
        crc = zlib.crc32(chunk, crc)
        produced += len(chunk)
        if produced > RATIO_FLOOR_BYTES and produced > MAX_RATIO * max(info.compress_size, 1):
            ratio = produced / max(info.compress_size, 1)
            raise _refuse(name, f"工作簿部件 {part} 的压缩比为 {ratio:,.0f}:1，超过上限（{LIMITS_ZH}），未读取",
                          f"workbook part {part} inflates {ratio:,.0f}:1, over the limit ({LIMITS_EN}); not read")
        if budget.used + produced > budget.limit:
            raise _refuse(name, f"工作簿解压后超过 {_mib(budget.limit)}（提交的全部工作簿合计；{LIMITS_ZH}），未读取",
                          f"the workbook unpacks to more than {_mib(budget.limit)} (all the workbooks of the submission "
                          f"together; {LIMITS_EN}); not read")
        if info.filename not in marked and _marks(tail + chunk):
            marked.add(info.filename)
        tail = chunk[-16:]
        if inflater is None:
            if not pending:
                break
        elif inflater.eof:
            break
        elif not chunk and not pending:
            raise _damaged(name, f"{info.filename}: the compressed data ends before the part does")
    if produced != declared:
        raise _damaged(name, f"{info.filename}: inflates to {produced:,} bytes, not the {declared:,} it declares")
    if crc != info.CRC:
        raise _damaged(name, f"Bad CRC-32 for file {info.filename!r}")
    budget.used += produced
    return len(raw) if inflater is None else len(raw) - len(inflater.unused_data) - len(inflater.unconsumed_tail)


def _rebuilt(data: bytes, zf: zipfile.ZipFile, name: str, budget: Budget) -> tuple[bytes, set[str]]:
    """The workbook as calamine may read it, and the parts whose XML holds a formula or an error
    value (worth a close look).

    Every part is inflated once, here (`_inflated`); the workbook handed on holds each part's
    compressed bytes only as far as its stream really ends, under local and central headers
    written here from the sizes and checksums measured, in one plain layout: no data before or
    between the parts, no two parts sharing bytes, no data descriptors, no zip64, no extra fields."""
    view = memoryview(data)
    out = bytearray()
    central = bytearray()
    marked: set[str] = set()
    spans = []
    count = 0
    for info in zf.infolist():
        if info.is_dir():
            continue
        part = info.filename
        if info.flag_bits & 0x1:
            raise _damaged(name, f"{part}: an encrypted part")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _damaged(name, f"{part}: compression method {info.compress_type} (Excel writes stored or deflated parts only)")
        head = data[info.header_offset:info.header_offset + _LOCAL_HEADER.size]
        if len(head) < _LOCAL_HEADER.size or head[:4] != b"PK\x03\x04":
            raise _damaged(name, f"{part}: no local header where the directory says")
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
        if data[info.header_offset + _LOCAL_HEADER.size:info.header_offset + _LOCAL_HEADER.size + name_len] != info.orig_filename.encode(
                "utf-8" if info.flag_bits & 0x800 else "cp437", "replace"):
            raise _damaged(name, f"{part}: its local header names another part")
        stop = start + info.compress_size
        if stop > len(data):
            raise _damaged(name, f"{part}: the file ends inside it")
        spans.append((info.header_offset, stop, part))
        taken = _inflated(info, view[start:stop], name, budget, marked)
        encoded = part.encode("utf-8")
        offset = len(out)
        out += _LOCAL_HEADER.pack(0x04034B50, 20, 0x800, info.compress_type, 0, 0x21, info.CRC, taken,
                                  info.file_size, len(encoded), 0)
        out += encoded
        out += view[start:start + taken]
        central += _CENTRAL_HEADER.pack(0x02014B50, 20, 20, 0x800, info.compress_type, 0, 0x21, info.CRC, taken,
                                        info.file_size, len(encoded), 0, 0, 0, 0, 0, offset)
        central += encoded
        count += 1
    spans.sort()
    for (_, stop, part), (begin, _, following) in zip(spans, spans[1:]):
        if begin < stop:   # parts that share compressed bytes: the "better zip bomb"
            raise _damaged(name, f"the parts {part} and {following} overlap")
    out += central
    out += _END.pack(0x06054B50, 0, 0, count, count, len(central), len(out) - len(central), 0)
    return bytes(out), marked


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


def read_sheets(data: bytes, name: str, wanted, budget: Budget | None = None) -> tuple[list[Sheet], list[str]]:
    """The sheets `wanted(sheet_name)` accepts, read as text; and the names of the others.

    `budget`: what the submission's workbooks may still inflate (one per submission)."""
    import fastexcel

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _damaged(name, str(exc) or type(exc).__name__) from None
    with zf:
        _check_sizes(zf, name)
        data, marked = _rebuilt(data, zf, name, budget if budget is not None else Budget())
    # from here on, only the workbook rebuilt from what was inflated and counted is read
    zf = zipfile.ZipFile(io.BytesIO(data))
    with zf:
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
