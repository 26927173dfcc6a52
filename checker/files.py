"""The files of a submission: only regular files inside its folder are read (records.md,
"Never silent"), and `liftcheck check` may start reading them while it imports its modules.

Light on purpose (no polars, no numpy): the command starts `prefetch` first, and the half
second Python spends importing polars and the rules' machinery is spent by this thread
reading the files, which releases the interpreter while the kernel copies (0.25 s of a
city-year's 0.3 s of reading, measured).
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from checker.contract import record_type_for_name
from checker.errors import LiftcheckError
from checker.text import visible

# the suffixes of record files (load.SUFFIXES); workbooks (.xlsx) are read whatever their name
RECORD_SUFFIXES = (".csv", ".jsonl", ".json")
# What a submission may hold, in bytes read (not as the file system reports them: a file may grow
# while it is read): 1 GiB a file, 2 GiB in all (a city-year of 8.1 M records is 337 MiB of CSV).
MAX_FILE_BYTES = 1 << 30
MAX_SUBMISSION_BYTES = 2 << 30


def size_text(n: int) -> str:
    """A size as people read it: 128 MiB, 1 GiB, 1.5 GiB."""
    if n >= 1 << 30:
        return f"{n / (1 << 30):,.3g} GiB"
    if n >= 1 << 20:
        return f"{n / (1 << 20):,.0f} MiB"
    return f"{n:,} B"


def too_large(name: str, size: int | None, limit: int = MAX_FILE_BYTES, hint: tuple[str, str] = ("", "")) -> LiftcheckError:
    """The refusal of a file over its limit in bytes (`size` None: found while it was read)."""
    zh = size_text(size) if size is not None else f"超过 {size_text(limit)}"
    en = size_text(size) if size is not None else f"more than {size_text(limit)}"
    return LiftcheckError(f"{visible(name)}：文件大小为 {zh}，超过上限 {size_text(limit)}，未读取{hint[0]}",
                          f"{visible(name)}: the file holds {en}, over the limit of {size_text(limit)}; not read{hint[1]}")


def kind_of(mode: int) -> tuple[str, str]:
    if stat.S_ISFIFO(mode):
        return "命名管道 FIFO", "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件", "a device"
    if stat.S_ISSOCK(mode):
        return "套接字", "a socket"
    return "不是普通文件", "not a regular file"


def scan_folder(root: Path) -> tuple[list[Path], list[str]]:
    """The regular files of a submission folder, and its sub-folders (reported, not read).

    Looks at each entry without opening it (lstat), and refuses the whole submission, naming
    every entry, when one is a FIFO, a device, a socket or a link leading outside the folder:
    opening a FIFO would hang, a device or an outside link would read what was not submitted."""
    root_real = root.resolve()
    files, folders, refused_zh, refused_en = [], [], [], []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        shown = visible(entry.name)
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISLNK(mode):
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    refused_zh.append(f"{shown}（失效或循环的符号链接）")
                    refused_en.append(f"{shown} (a broken or looping symbolic link)")
                    continue
                if not target.is_relative_to(root_real):
                    refused_zh.append(f"{shown}（指向文件夹之外的符号链接 → {visible(target)}）")
                    refused_en.append(f"{shown} (a symbolic link leading outside the folder, to {visible(target)})")
                    continue
                mode = os.stat(target).st_mode
        except OSError as exc:
            refused_zh.append(f"{shown}（无法读取：{exc.strerror}）")
            refused_en.append(f"{shown} (cannot be read: {exc.strerror})")
            continue
        if stat.S_ISDIR(mode):
            folders.append(entry.name + "/")
        elif stat.S_ISREG(mode):
            files.append(path)
        else:
            zh, en = kind_of(mode)
            refused_zh.append(f"{shown}（{zh}）")
            refused_en.append(f"{shown} ({en})")
    if refused_zh:
        raise LiftcheckError(
            f"{visible(root)}：提交的文件夹里只能有普通文件，以下项目未读取，整份数据未做评判：" + "；".join(refused_zh),
            f"{visible(root)}: a submission folder may hold only regular files; these were not read and "
            "the submission was not judged: " + "; ".join(refused_en))
    return files, folders


def read_regular(path: Path, inside: Path | None = None, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file, checked on the open descriptor itself (no race, no hang),
    and never more than `limit` of them: a larger file is refused, by its size or as it is read."""
    real = path.resolve()
    if inside is not None and not real.is_relative_to(inside):
        raise LiftcheckError(f"{visible(path.name)}：指向提交文件夹之外，未读取",
                             f"{visible(path.name)}: leads outside the submission folder; not read")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if inside is not None:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(real, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            zh, en = kind_of(mode)
            raise LiftcheckError(f"{visible(path.name)}：{zh}，不是普通文件，未读取",
                                 f"{visible(path.name)}: {en}, not a regular file; not read")
        size = os.fstat(fd).st_size
        if size > limit:
            raise too_large(path.name, size, limit)
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            data = fh.read(size + 1)   # (never a buffer of the limit's size: a small file stays small)
            if len(data) > size:   # it grows while it is read: read on, up to the limit
                pieces, total = [data], len(data)
                while piece := fh.read(1 << 20):
                    total += len(piece)
                    if total > limit:
                        raise too_large(path.name, None, limit)
                    pieces.append(piece)
                data = b"".join(pieces)
        return data
    finally:
        if fd >= 0:
            os.close(fd)


def _stamp(path: Path) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def loader_reads(path: Path) -> bool:
    """Whether load_submission reads this file of a folder: a record file (named after its
    record type) or a workbook. Anything else is listed as not read, and never opened."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return True
    return suffix in RECORD_SUFFIXES and record_type_for_name(path.stem) is not None


class _Prefetch:
    """Reads a folder's record files in a thread, as load_submission would (same scan, same
    files, same checks on each open descriptor). It only ever saves work: on any problem it
    stops and keeps nothing, and load_submission reads (and reports) everything itself."""

    def __init__(self, root: Path):
        self.root = root
        self.files: dict[Path, tuple[tuple[int, int, int, int], bytes]] | None = None
        self.thread = threading.Thread(target=self._run, name="liftcheck-prefetch", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            if not stat.S_ISDIR(os.stat(self.root).st_mode):
                return
            files, _ = scan_folder(self.root)
            inside = self.root.resolve()
            found = {}
            total = 0
            for file in files:
                if loader_reads(file):
                    before = _stamp(file)
                    total += before[2]
                    if total > MAX_SUBMISSION_BYTES:   # the loader refuses it: read no further
                        return
                    data = read_regular(file, inside)
                    if _stamp(file) == before:   # not being written meanwhile
                        found[file] = (before, data)
            self.files = found
        except Exception:   # noqa: BLE001 - whatever it was, the loader meets it again and says so
            self.files = None


_started: dict[Path, _Prefetch] = {}


def prefetch(root: Path) -> None:
    """Start reading the submission at `root` (a folder) in the background; a read started
    earlier for the same folder and never taken is dropped."""
    _started[root] = _Prefetch(root)


def take_prefetched(root: Path) -> dict[Path, bytes]:
    """The files read in the background for `root`, once (then forgotten): only those whose
    device, inode, size and modification time are still what they were when read; empty if
    none were read."""
    job = _started.pop(root, None)
    if job is None:
        return {}
    job.thread.join()
    fresh = {}
    for path, (stamp, data) in (job.files or {}).items():
        try:
            if _stamp(path) == stamp:
                fresh[path] = data
        except OSError:
            pass
    return fresh


def forget_prefetched() -> None:
    """Drop every read not taken (a command that stopped before loading)."""
    _started.clear()
