"""Where liftcheck writes: outputs never destroy inputs (records.md, "Outputs never destroy inputs").

Every command that writes a file checks its path before any work starts (`check_output`):
never a file of the submission it reads (nor anything inside the submission folder, where
the next run would read it as records), never another input (a parameter file, the
ledger), never an existing file unless `--force` is given, and only where it can write.
The file itself is written whole or not at all (`atomic_output`: a temporary file in the
same folder, then a rename), so a full disk leaves no half-written report behind.

CSV cells that a spreadsheet would run as a formula are neutralised (`csv_safe`): text
that begins with =, +, -, @, a tab or a carriage return (or their full-width forms) gets a
leading apostrophe, as OWASP advises for CSV injection. Numbers stay numbers.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

import polars as pl

from checker.errors import LiftcheckError
from checker.text import visible

FORMULA_START = r"^[=+\-@\t\r＝＋－＠]"
# xlsxwriter options for every workbook liftcheck writes: text is always stored as text.
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def _refuse(path: Path, zh: str, en: str) -> LiftcheckError:
    shown = visible(path)
    return LiftcheckError(f"输出路径 {shown}：{zh}", f"output path {shown}: {en}")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def check_output(path: Path, inputs: Iterable[Path | str | None] = (), force: bool = False) -> Path:
    """Refuse, before any work, an output path that would destroy an input or cannot be written.

    `inputs`: the submission (folder or workbook) and every other file the command reads."""
    path = Path(path)
    target = Path(os.path.abspath(path))
    resolved = target.resolve()
    for given in inputs:
        if given is None or (isinstance(given, str) and "://" in given):
            continue
        source = Path(given).resolve()
        if source.is_dir():
            if _inside(resolved, source) or _inside(target, source):
                raise _refuse(path, f"在提交的数据文件夹 {visible(given)} 里面；输出不能写进被检查的数据（下次检查会把它当作记录读入），即使加 --force 也不行",
                              f"is inside the submission folder {visible(given)}; an output never goes into the data it "
                              "was computed from (the next run would read it as records), not even with --force")
        elif resolved == source or (target.exists() and source.exists() and os.path.samefile(target, source)):
            raise _refuse(path, f"是本次读取的输入文件 {visible(given)}；输出不能覆盖输入，即使加 --force 也不行",
                          f"is the input {visible(given)} this command reads; an output never overwrites an input, "
                          "not even with --force")
    if os.path.lexists(target):
        try:
            mode = os.lstat(target).st_mode
        except OSError as exc:
            raise _refuse(path, f"无法查看：{exc.strerror}", f"cannot be examined: {exc.strerror}") from None
        if stat.S_ISDIR(mode) or target.is_dir():
            raise _refuse(path, "是一个文件夹，应为文件名", "is a folder; give a file name")
        if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            raise _refuse(path, "已存在且不是普通文件", "exists and is not a regular file")
        if not force:
            raise _refuse(path, "文件已存在；要覆盖请加 --force", "the file exists; add --force to overwrite it")
    parent = target.parent
    if not parent.exists():
        raise _refuse(path, f"所在的文件夹 {visible(parent)} 不存在", f"its folder {visible(parent)} does not exist")
    if not parent.is_dir():
        raise _refuse(path, f"{visible(parent)} 不是文件夹", f"{visible(parent)} is not a folder")
    try:   # the honest test of "can I write here": make (and remove) a file there
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".liftcheck-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _refuse(path, f"无法在 {visible(parent)} 中写入：{exc.strerror}",
                      f"cannot write in {visible(parent)}: {exc.strerror}") from None
    return path


def check_output_folder(folder: Path, force: bool, owned_marker: str | None = None) -> Path:
    """A folder a command fills with files of its own (`sample`, `demo`): absent, empty, one it
    made itself (it holds `owned_marker`), or --force."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise _refuse(folder, "已存在且不是文件夹", "exists and is not a folder")
    if folder.is_dir():
        entries = [e for e in os.listdir(folder)]
        owned = owned_marker is not None and owned_marker in entries
        if entries and not owned and not force:
            raise _refuse(folder, "文件夹已存在且不是空的；要写入（覆盖同名文件）请加 --force",
                          "the folder exists and is not empty; add --force to write into it (files of the same name are replaced)")
    else:
        parent = Path(os.path.abspath(folder)).parent
        if parent.exists() and not parent.is_dir():
            raise _refuse(folder, f"{visible(parent)} 不是文件夹", f"{visible(parent)} is not a folder")
        if not parent.exists():
            raise _refuse(folder, f"所在的文件夹 {visible(parent)} 不存在", f"its folder {visible(parent)} does not exist")
    return folder


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write_failed(path: Path, exc: BaseException) -> LiftcheckError:
    shown = visible(path)
    text = str(exc)
    full = (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "os error 28" in text or "No space left" in text
    if full:
        return LiftcheckError(f"写入 {shown} 失败：磁盘已满；没有留下不完整的文件",
                              f"writing {shown} failed: the disk is full; no partial file was left")
    reason = getattr(exc, "strerror", None) or (text.strip().splitlines()[0] if text.strip() else type(exc).__name__)
    reason = visible(reason)
    return LiftcheckError(f"写入 {shown} 失败：{reason}；没有留下不完整的文件",
                          f"writing {shown} failed: {reason}; no partial file was left")


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, on failure it is removed."""
    path = Path(path)
    target = Path(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part" + target.suffix)
        os.close(fd)
    except OSError as exc:
        raise _write_failed(path, exc) from None
    try:
        yield Path(tmp)
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except LiftcheckError:
        _remove(tmp)
        raise
    except BaseException as exc:
        _remove(tmp)
        if isinstance(exc, (OSError, pl.exceptions.PolarsError)) or "os error" in str(exc):
            raise _write_failed(path, exc) from None
        raise


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def write_text(path: Path, text: str) -> None:
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_pieces(path: Path, pieces: Iterable[bytes]) -> None:
    """Write bytes made piece by piece (a city-year's JSON report) without joining them first."""
    with atomic_output(path) as tmp, open(tmp, "wb") as fh:
        for piece in pieces:
            fh.write(piece)


def csv_safe(df: pl.DataFrame) -> pl.DataFrame:
    """Text cells a spreadsheet would run as a formula, prefixed with ' (OWASP); numbers unchanged."""
    return df.with_columns([
        pl.when(pl.col(c).str.contains(FORMULA_START)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c, t in df.schema.items() if t == pl.String])
