"""The upload worker: every upload is processed in a process of its own, under hard limits.

Whatever a reader does with a hostile file — inflate a zip entry past its declared size,
build a frame of a million columns, hold a 200 MB line — it does it in a child process
whose address space is capped (RLIMIT_AS, `UploadLimits.max_memory_bytes`), whose CPU time
is capped (RLIMIT_CPU) and which is killed after `max_seconds` of wall-clock time. The
server never holds the upload's frames; it waits for the child's answer (a small JSON file
and at most `max_problems` problems) and answers 413, in both languages, when the child ran
out of memory or time.

Uploads are queued: at most `workers` run at once, one at a time per organisation; at most
`max_waiting` wait behind them (503 beyond that, with Retry-After) and at most
`max_waiting_per_firm` of one organisation (429). The child writes to the database itself,
in one transaction (Store.apply_upload), so nothing of a refused or killed upload is stored.

Run as `python -m checker.portal.worker JOBDIR` by `run_isolated`; not a command for people.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from checker.errors import LiftcheckError

MEMORY_EXIT = 3      # the child caught MemoryError
CRASH_EXIT = 4       # the child caught another exception (a bug: logged, 500)


class UploadRefused(LiftcheckError):
    """An upload refused before or while it was processed: 413 (too big to process), 429, 503."""

    def __init__(self, zh: str, en: str, status: int, retry_after: int | None = None):
        super().__init__(zh, en)
        self.status = status
        self.headers = {"Retry-After": str(retry_after)} if retry_after else None


class UploadQueue:
    """At most `workers` uploads processed at once, one per organisation; a bounded queue."""

    def __init__(self, limits, target: str):
        self.limits = limits
        self.target = target
        self._slots = threading.BoundedSemaphore(max(1, limits.workers))
        self._lock = threading.Lock()
        self._in = 0
        self._per_firm: Counter = Counter()
        self._firm_locks: dict[str, threading.Lock] = {}

    @property
    def waiting(self) -> int:
        return self._in

    def run(self, p, saved: Path, filename: str, base_version: int, workdir: Path):
        limits = self.limits
        firm = p.org_id or f"user:{p.user_id}"
        retry = int(limits.max_seconds)
        with self._lock:
            if self._per_firm[firm] >= 1 + limits.max_waiting_per_firm:
                raise UploadRefused(
                    f"本单位已有 {self._per_firm[firm]} 份上传正在处理或排队，请稍后再试",
                    f"your organisation already has {self._per_firm[firm]} uploads being processed or waiting; "
                    "try again later", 429, retry)
            if self._in >= max(1, limits.workers) + limits.max_waiting:
                raise UploadRefused("上传排队已满，请稍后再试", "the upload queue is full; try again later", 503, retry)
            self._in += 1
            self._per_firm[firm] += 1
            firm_lock = self._firm_locks.setdefault(firm, threading.Lock())
        try:
            with firm_lock, self._slots:   # one at a time per organisation, `workers` at a time in all
                return run_isolated(self.target, p, saved, filename, base_version, limits, workdir)
        finally:
            with self._lock:
                self._in -= 1
                self._per_firm[firm] -= 1
                if not self._per_firm[firm]:
                    del self._per_firm[firm]
                    self._firm_locks.pop(firm, None)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MB"


def run_isolated(target: str, p, saved: Path, filename: str, base_version: int, limits, workdir: Path):
    """Process one staged upload in a child process under the limits; the UploadResult."""
    import polars as pl

    from checker.portal.uploads import UploadResult, safe_name
    from checker.validate import PROBLEM_SCHEMA

    job = {"db": target, "principal": {"user_id": p.user_id, "name": p.name, "role": p.role, "org_id": p.org_id,
                                       "district": p.district},
           "upload": str(saved), "filename": filename, "base_version": base_version, "limits": asdict(limits)}
    (workdir / "job.json").write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    # fewer threads, and allocators that neither reserve address space they may never use
    # (pyarrow's jemalloc alone reserves about 1 GB) nor keep what was freed (polars' jemalloc):
    # the address-space limit then bounds what is really used
    env = dict(os.environ, POLARS_MAX_THREADS=str(min(2, os.cpu_count() or 1)), MALLOC_ARENA_MAX="2",
               ARROW_DEFAULT_MEMORY_POOL="system",
               _RJEM_MALLOC_CONF=os.environ.get("_RJEM_MALLOC_CONF",
                                                "retain:false,dirty_decay_ms:0,muzzy_decay_ms:0,narenas:2"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[2]),
                                                        os.environ.get("PYTHONPATH")])))
    display = safe_name(filename)
    with open(workdir / "worker.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "checker.portal.worker", str(workdir)], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log, env=env, start_new_session=True)
        code = _watch(proc, workdir / "worker.log", limits.max_seconds)
    if code == TIMED_OUT:
        raise UploadRefused(
            f"{display}：处理超过 {limits.max_seconds:g} 秒仍未完成，已停止，未保存任何记录；请拆分成较小的文件后再上传",
            f"{display}: processing took longer than {limits.max_seconds:g} s and was stopped; nothing was stored. "
            "Split it into smaller files and upload again", 413)
    answer = workdir / "result.json"
    result = json.loads(answer.read_text(encoding="utf-8")) if answer.exists() else None
    if result is None or result.get("status") == "memory":
        tail = (workdir / "worker.log").read_bytes()[-2000:].decode("utf-8", "replace")
        if result is None and code == CRASH_EXIT:
            _log_failure(display, code, tail)
            raise LiftcheckError(f"{display}：处理上传时服务器出错，已记录，未保存任何记录；请联系管理员",
                                 f"{display}: the server failed while processing the upload (logged); nothing was "
                                 "stored. Tell the administrator")
        _log_failure(display, code, tail, level="warning")
        raise UploadRefused(
            f"{display}：处理所需内存超过上限 {_mb(limits.max_memory_bytes)}（解压或读取后的数据过大），已停止，"
            "未保存任何记录；请拆分成较小的文件后再上传",
            f"{display}: processing needed more memory than the limit of {_mb(limits.max_memory_bytes)} (the data "
            "unpacks or reads too large) and was stopped; nothing was stored. Split it into smaller files and upload "
            "again", 413)
    if result["status"] == "refused":
        raise LiftcheckError(result["zh"], result["en"])
    problems = pl.read_parquet(workdir / "problems.parquet").cast(PROBLEM_SCHEMA)
    _log_done(display, result)
    return UploadResult(result["accepted"], problems, result["counts"], result["batch_id"], conflict=result["conflict"],
                        error_count=result["errors"], warning_count=result["warnings"])


def _log_done(display: str, result: dict) -> None:
    from checker.portal.logs import get_logger

    get_logger("liftcheck.portal").info("upload_worker", file=display, peak_rss_kb=result.get("peak_rss_kb"),
                                        peak_vm_kb=result.get("peak_vm_kb"))


TIMED_OUT = "timed out"
OUT_OF_MEMORY = "out of memory"
# What a child out of memory writes before it dies — or, when a library's thread panicked,
# before it hangs waiting for that thread (polars' CSV reader): then it is not waited for.
MEMORY_SIGNS = (b"memory allocation of", b"Cannot allocate memory", b"MemoryError", b"out of memory")


def _watch(proc: subprocess.Popen, log: Path, seconds: float, grace: float = 2.0):
    """The child's exit code; TIMED_OUT when it ran past `seconds`, OUT_OF_MEMORY when it said
    it ran out of memory and did not end within `grace` seconds. Either way it is killed."""
    import time

    start, seen, signed = time.monotonic(), 0, None
    while True:
        try:
            return proc.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        if now - start > seconds:
            verdict = TIMED_OUT
        else:
            with open(log, "rb") as fh:   # what it wrote since the last look (and a little before)
                at = max(0, seen - 64)
                fh.seek(at)
                fresh = fh.read()
            seen = at + len(fresh)
            if signed is None and any(sign in fresh for sign in MEMORY_SIGNS):
                signed = now
            if signed is None or now - signed < grace:
                continue
            verdict = OUT_OF_MEMORY
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return verdict


def _log_failure(display: str, code: int, tail: str, level: str = "error") -> None:
    from checker.portal.logs import get_logger

    getattr(get_logger("liftcheck.portal"), level)("upload_worker_failed", file=display, exit=code, output=tail[-500:])


# ---- the child ---------------------------------------------------------------------------------------

def _limit(limits: dict) -> None:
    import resource

    memory = int(limits["max_memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits["max_seconds"]) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _peaks() -> dict[str, int]:
    """This process's peak resident and virtual memory (kB), from /proc (Linux), for the log."""
    out = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmPeak:")):
                out["peak_rss_kb" if line.startswith("VmHWM") else "peak_vm_kb"] = int(line.split()[1])
    except OSError:
        pass
    return out


def child(workdir: Path) -> int:
    job = json.loads((workdir / "job.json").read_text(encoding="utf-8"))
    _limit(job["limits"])
    answer = workdir / "result.json"
    try:
        import polars as pl

        from checker.portal.access import Principal
        from checker.portal.store import Store
        from checker.portal.uploads import UploadLimits, process_upload, stage

        limits = UploadLimits(**job["limits"])
        p = Principal(**job["principal"])
        submission = stage(Path(job["upload"]), job["filename"], workdir, limits)
        result = process_upload(Store(job["db"]), p, submission, job["base_version"])
        problems = result.problems
        errors = problems.filter(pl.col("severity") == "error")
        shown = pl.concat([errors, problems.filter(pl.col("severity") != "error")]).head(limits.max_problems)
        shown.write_parquet(workdir / "problems.parquet")
        answer.write_text(json.dumps({
            "status": "done", "accepted": result.accepted, "counts": result.counts, "batch_id": result.batch_id,
            "conflict": result.conflict, "errors": errors.height, "warnings": problems.height - errors.height,
            **_peaks()}), encoding="utf-8")
        return 0
    except LiftcheckError as exc:
        # a loader names the file inside the upload (daily_checks.csv); the firm uploaded 日检.zip
        name = job["filename"]
        zh, en = exc.zh if exc.zh.startswith(name) else f"{name}：{exc.zh}", \
            exc.en if exc.en.startswith(name) else f"{name}: {exc.en}"
        answer.write_text(json.dumps({"status": "refused", "zh": zh, "en": en}, ensure_ascii=False), encoding="utf-8")
        return 0
    except MemoryError:
        answer.write_text(json.dumps({"status": "memory"}), encoding="utf-8")
        return MEMORY_EXIT
    except BaseException as exc:  # noqa: BLE001 - a bug: the traceback goes to worker.log, the server logs it
        import traceback

        traceback.print_exc()
        if "memory" in str(exc).lower() or "alloc" in str(exc).lower():   # a library's own out-of-memory error
            answer.write_text(json.dumps({"status": "memory"}), encoding="utf-8")
            return MEMORY_EXIT
        return CRASH_EXIT


if __name__ == "__main__":
    sys.exit(child(Path(sys.argv[1])))
