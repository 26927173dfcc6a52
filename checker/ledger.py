"""The credit ledger: deductions recorded once, ever, per violation fingerprint.

TARGET is a file path (SQLite, the embedded default) or a PostgreSQL URL. "Never twice" is
the database's primary key on the fingerprint with INSERT … ON CONFLICT DO NOTHING, not a
check in Python, so two sweeps at the same time cannot double-deduct. A sweep is one
transaction: a crash leaves the ledger as it was. Revocations (appeals) are rows of their
own; nothing is ever lost (re-keying to a new fingerprint scheme keeps every old row in
`rekeyed`). The schema is versioned and migrated forward on open; the fingerprint scheme is
migrated only when asked (`liftcheck credit migrate`), since it may need the submission.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from checker import __version__
from checker.credit import CreditSchedule, per_firm
from checker.errors import LiftcheckError
from checker.verdicts import FINGERPRINT_SCHEME

# Each migration takes the ledger from the previous version to its own; never edit one
# that has shipped, add the next.
MIGRATIONS: list[tuple[int, list[str]]] = [
    (1, [
        """CREATE TABLE sweeps (
               sweep_id TEXT PRIMARY KEY, recorded_at TEXT NOT NULL, period_from TEXT NOT NULL,
               period_to TEXT NOT NULL, ruleset_digest TEXT NOT NULL, tool_version TEXT NOT NULL)""",
        """CREATE TABLE deductions (
               fingerprint TEXT PRIMARY KEY, org_id TEXT NOT NULL, rule_id TEXT NOT NULL,
               subject TEXT NOT NULL, period_key TEXT NOT NULL, points INTEGER NOT NULL CHECK (points > 0),
               clause TEXT NOT NULL, severity TEXT NOT NULL, year INTEGER NOT NULL,
               sweep_id TEXT NOT NULL REFERENCES sweeps (sweep_id), recorded_at TEXT NOT NULL)""",
        "CREATE INDEX deductions_org_year ON deductions (org_id, year)",
    ]),
    (2, [
        """CREATE TABLE revocations (
               fingerprint TEXT PRIMARY KEY REFERENCES deductions (fingerprint),
               reason TEXT NOT NULL CHECK (length(reason) > 0), revoked_by TEXT NOT NULL CHECK (length(revoked_by) > 0),
               revoked_at TEXT NOT NULL)""",
        "ALTER TABLE sweeps ADD COLUMN credit_official INTEGER NOT NULL DEFAULT 0",
    ]),
    # Revision 2: the breach identity no longer depends on the sweep window, so the
    # fingerprints written before it (scheme 1) are re-keyed by `liftcheck credit migrate`;
    # until then a sweep refuses to mix the two. The firm's name as seen at the sweep is kept.
    (3, [
        "ALTER TABLE deductions ADD COLUMN org_name TEXT",
        "ALTER TABLE deductions ADD COLUMN scheme INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE sweeps ADD COLUMN scheme INTEGER NOT NULL DEFAULT 1",
        "CREATE TABLE ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """INSERT INTO ledger_meta (key, value) SELECT 'fingerprint_scheme',
               CASE WHEN EXISTS (SELECT 1 FROM deductions) THEN '1' ELSE '2' END""",
        """CREATE TABLE rekeyed (
               old_fingerprint TEXT PRIMARY KEY, fingerprint TEXT NOT NULL REFERENCES deductions (fingerprint),
               old_period_key TEXT NOT NULL, merged INTEGER NOT NULL, org_id TEXT NOT NULL, rule_id TEXT NOT NULL,
               subject TEXT NOT NULL, points INTEGER NOT NULL, year INTEGER NOT NULL, sweep_id TEXT NOT NULL,
               recorded_at TEXT NOT NULL, rekeyed_at TEXT NOT NULL)""",
    ]),
    # Revision 3 (R3-6, R3-A 1, R3-A 6): a charged deduction is *proposed* from the day the firm
    # was told and *final* once the objection window has passed; a sweep records the adoption
    # documents in force; `credit migrate` marks (never deletes) what Revision 3 would not
    # charge; the earliest history start each use unit ever declared is kept.
    (4, [
        "ALTER TABLE deductions ADD COLUMN identity_day TEXT",
        "ALTER TABLE deductions ADD COLUMN notified_on TEXT",
        "ALTER TABLE deductions ADD COLUMN not_charged_reason TEXT",
        "ALTER TABLE deductions ADD COLUMN not_charged_at TEXT",
        "ALTER TABLE sweeps ADD COLUMN adoptions TEXT",
        """CREATE TABLE declared_starts (
               use_unit_id TEXT NOT NULL, record_type TEXT NOT NULL, records_from TEXT NOT NULL,
               sweep_id TEXT NOT NULL REFERENCES sweeps (sweep_id), recorded_at TEXT NOT NULL,
               PRIMARY KEY (use_unit_id, record_type))""",
    ]),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]
_MIGRATION_LOCK = 0x6C69667463686B  # "liftchk": the PostgreSQL advisory lock key for migrations


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _today() -> dt.date:
    """Today in Nanjing (UTC+8): the day a firm is told of a deduction."""
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8)).date()


class Ledger:
    def __init__(self, conn, kind: str, target: str):
        self.conn = conn
        self.kind = kind
        self.target = target

    # ---- plumbing ---------------------------------------------------------------------

    def _sql(self, text: str) -> str:
        return text.replace("%s", "?") if self.kind == "sqlite" else text

    @contextmanager
    def transaction(self) -> Iterator[object]:
        cur = self.conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE" if self.kind == "sqlite" else "BEGIN")
            yield cur
            self.conn.commit()
        except BaseException:
            self.conn.rollback()
            raise
        finally:
            cur.close()

    def version(self) -> int:
        cur = self.conn.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        self.conn.commit()
        cur.execute("SELECT max(version) FROM schema_version")
        row = cur.fetchone()
        cur.close()
        return row[0] or 0

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        # Two sweeps may open a fresh ledger at the same moment: PostgreSQL serialises the
        # whole migration on an advisory lock (CREATE TABLE IF NOT EXISTS is not safe under
        # concurrency there); SQLite serialises each step with BEGIN IMMEDIATE.
        if self.kind == "postgres":
            self.conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        try:
            current = self.version()
            if current > SCHEMA_VERSION:
                raise LiftcheckError(f"账本 {self.target} 的版本 {current} 比本程序支持的 {SCHEMA_VERSION} 新，请升级 liftcheck",
                                     f"ledger {self.target} is at version {current}, newer than this liftcheck's {SCHEMA_VERSION}; upgrade liftcheck")
            for version, statements in MIGRATIONS:
                if current < version <= target:
                    with self.transaction() as cur:
                        # re-read under the lock: a concurrent opener may have migrated already
                        cur.execute("SELECT max(version) FROM schema_version")
                        if (cur.fetchone()[0] or 0) >= version:
                            continue
                        for statement in statements:
                            cur.execute(statement)
                        cur.execute(self._sql("INSERT INTO schema_version (version) VALUES (%s)"), (version,))
        finally:
            if self.kind == "postgres":
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))

    # ---- what the commands do ------------------------------------------------------------

    def scheme(self) -> int:
        """The fingerprint scheme the ledger's deductions were written under."""
        cur = self.conn.cursor()
        cur.execute("SELECT value FROM ledger_meta WHERE key = 'fingerprint_scheme'")
        row = cur.fetchone()
        cur.close()
        return int(row[0]) if row else FINGERPRINT_SCHEME

    def _require_current_scheme(self, cur) -> None:
        cur.execute("SELECT value FROM ledger_meta WHERE key = 'fingerprint_scheme'")
        row = cur.fetchone()
        if row is not None and int(row[0]) != FINGERPRINT_SCHEME:
            raise LiftcheckError(
                f"账本 {self.target} 的扣分是按旧的违规指纹方案（{row[0]}）记录的：同一项违规在新旧方案下指纹不同，"
                f"直接写入会重复扣分。请先运行 liftcheck credit migrate {self.target}（有 INSPECTION-VALID 扣分时加 --data 提交的数据），"
                "历史记录会全部保留。",
                f"ledger {self.target} was written under fingerprint scheme {row[0]}: one breach has different fingerprints under "
                f"the two schemes, so writing to it would deduct twice. Run liftcheck credit migrate {self.target} first "
                "(with --data SUBMISSION when it holds INSPECTION-VALID deductions); its history is kept.")

    def record_sweep(self, report: dict, declared: dict[str, dict[str, str]] | None = None) -> int:
        """Record a report's charged deductions in one transaction, as proposed from today (R3-A 6:
        provisional ones never enter); the adoption documents in force; and, per use unit and
        record type, the earliest history start ever declared (`declared`: type -> unit -> day).
        Returns how many deductions were new."""
        import json

        sweep_id = uuid.uuid4().hex
        now = _now()
        told = _today().isoformat()
        insert = self._sql(
            "INSERT INTO deductions (fingerprint, org_id, org_name, rule_id, subject, period_key, points, clause,"
            " severity, year, sweep_id, recorded_at, scheme, identity_day, notified_on)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (fingerprint) DO NOTHING")
        added = 0
        with self.transaction() as cur:
            self._require_current_scheme(cur)
            cur.execute(self._sql(
                "INSERT INTO sweeps (sweep_id, recorded_at, period_from, period_to, ruleset_digest, tool_version,"
                " credit_official, scheme, adoptions) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"),
                (sweep_id, now, report["period"]["from"], report["period"]["to"], report["ruleset"]["digest"],
                 __version__, 1 if report["credit_schedule"]["official"] else 0, FINGERPRINT_SCHEME,
                 json.dumps(report.get("adoptions", []), ensure_ascii=False)))
            for firm in report["credit"]:
                for item in firm["items"]:
                    if item.get("status", "charged") != "charged":
                        continue
                    cur.execute(insert, (item["fingerprint"], item["org_id"], item.get("org_name"), item["rule_id"],
                                         item["subject"], item["period_key"], item["points"], item["clause"],
                                         item["severity"], item["year"], sweep_id, now, FINGERPRINT_SCHEME,
                                         item.get("identity_day"), told))
                    added += cur.rowcount if cur.rowcount and cur.rowcount > 0 else 0
            upsert = self._sql(
                "INSERT INTO declared_starts (use_unit_id, record_type, records_from, sweep_id, recorded_at)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (use_unit_id, record_type) DO UPDATE SET"
                " records_from = excluded.records_from, sweep_id = excluded.sweep_id, recorded_at = excluded.recorded_at"
                " WHERE excluded.records_from < declared_starts.records_from")
            for record_type, units in sorted((declared or {}).items()):
                for unit, day in sorted(units.items()):
                    cur.execute(upsert, (unit, record_type, day, sweep_id, now))
        return added

    def declared_starts(self) -> dict[str, dict[str, "dt.date"]]:
        """record type -> use unit -> the earliest history start ever declared (R3-A 1)."""
        cur = self.conn.cursor()
        cur.execute("SELECT use_unit_id, record_type, records_from FROM declared_starts")
        out: dict[str, dict[str, dt.date]] = {}
        for unit, record_type, day in cur.fetchall():
            out.setdefault(record_type, {})[unit] = dt.date.fromisoformat(day)
        cur.close()
        return out

    def sweep_periods(self) -> list[tuple[str, str]]:
        cur = self.conn.cursor()
        cur.execute("SELECT DISTINCT period_from, period_to FROM sweeps ORDER BY period_from, period_to")
        out = [(a, b) for a, b in cur.fetchall()]
        cur.close()
        return out

    def mark_not_charged(self, reasons: dict[str, str]) -> int:
        """R3-6 for a ledger written before Revision 3: mark the deductions Revision 3 would not
        charge (fingerprint -> why), keeping them; a marked row counts nothing. Returns how many
        were newly marked."""
        now = _now()
        marked = 0
        with self.transaction() as cur:
            for fingerprint, reason in sorted(reasons.items()):
                cur.execute(self._sql("UPDATE deductions SET not_charged_reason = %s, not_charged_at = %s"
                                      " WHERE fingerprint = %s AND not_charged_reason IS NULL"),
                            (reason, now, fingerprint))
                marked += cur.rowcount if cur.rowcount and cur.rowcount > 0 else 0
        return marked

    def migrate_fingerprints(self, inspection_keys=None) -> dict:
        """Re-key scheme-1 deductions to Revision 2's breach identity, in one transaction.

        MAINT-INTERVAL(-DENSE) keys "a..b" become "a" (the interval's opening day); INSPECTION-VALID
        keys "first..last" (the run clipped to a sweep) become the run's first uncovered day, which
        only the submission can tell: `inspection_keys(subject, first, last)` gives it. Other rules'
        keys are unchanged. Deductions that turn out to be one breach are merged: the first recorded
        stays, the others move to `rekeyed` (kept, counted nothing) — the double deductions the old
        scheme made. Nothing is deleted: every re-keyed row is kept in `rekeyed` with its old key.
        """
        from checker.verdicts import fingerprint as make_fingerprint

        now = _now()
        summary = {"unchanged": 0, "rekeyed": 0, "merged": 0, "merged_points": 0}
        with self.transaction() as cur:
            if self.scheme() == FINGERPRINT_SCHEME:
                return summary
            cur.execute("SELECT fingerprint, org_id, org_name, rule_id, subject, period_key, points, clause, severity,"
                        " year, sweep_id, recorded_at FROM deductions ORDER BY recorded_at, fingerprint")
            cols = [c[0] for c in cur.description]
            rows = [dict(zip(cols, r)) for r in cur.fetchall()]
            legacy_inspections = [r for r in rows if r["rule_id"] == "INSPECTION-VALID"]
            if legacy_inspections and inspection_keys is None:
                raise LiftcheckError(
                    f"账本中有 {len(legacy_inspections)} 项 INSPECTION-VALID 扣分，它们的新期间键（失效的第一天）要从提交的数据中找出："
                    f"请加上 --data 提交的数据 再运行；账本未改动。",
                    f"the ledger holds {len(legacy_inspections)} INSPECTION-VALID deductions whose new key (the lapse's first day) "
                    "can only be found in the submission: run again with --data SUBMISSION; the ledger is unchanged.")
            kept: dict[str, str] = {}
            for r in rows:
                key = r["period_key"]
                if r["rule_id"] in ("MAINT-INTERVAL", "MAINT-INTERVAL-DENSE") and ".." in key:
                    key = key.split("..")[0]
                elif r["rule_id"] == "INSPECTION-VALID" and ".." in key:
                    first, last = key.split("..")
                    key = inspection_keys(r["subject"], first, last)
                new = make_fingerprint(r["rule_id"], r["subject"], key)
                if new == r["fingerprint"]:
                    summary["unchanged"] += 1
                    kept[new] = r["fingerprint"]
                    continue
                merged = new in kept
                if not merged:
                    cur.execute(self._sql(
                        "INSERT INTO deductions (fingerprint, org_id, org_name, rule_id, subject, period_key, points,"
                        " clause, severity, year, sweep_id, recorded_at, scheme)"
                        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"),
                        (new, r["org_id"], r["org_name"], r["rule_id"], r["subject"], key, r["points"], r["clause"],
                         r["severity"], r["year"], r["sweep_id"], r["recorded_at"], FINGERPRINT_SCHEME))
                    kept[new] = r["fingerprint"]
                # an appeal upheld for any of the rows of one breach holds for the breach
                cur.execute(self._sql("SELECT reason, revoked_by, revoked_at FROM revocations WHERE fingerprint = %s"),
                            (r["fingerprint"],))
                revocation = cur.fetchone()
                if revocation is not None:
                    cur.execute(self._sql("DELETE FROM revocations WHERE fingerprint = %s"), (r["fingerprint"],))
                    cur.execute(self._sql(
                        "INSERT INTO revocations (fingerprint, reason, revoked_by, revoked_at) VALUES (%s, %s, %s, %s)"
                        " ON CONFLICT (fingerprint) DO NOTHING"), (new, *revocation))
                cur.execute(self._sql(
                    "INSERT INTO rekeyed (old_fingerprint, fingerprint, old_period_key, merged, org_id, rule_id, subject,"
                    " points, year, sweep_id, recorded_at, rekeyed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"),
                    (r["fingerprint"], new, r["period_key"], 1 if merged else 0, r["org_id"], r["rule_id"], r["subject"],
                     r["points"], r["year"], r["sweep_id"], r["recorded_at"], now))
                cur.execute(self._sql("DELETE FROM deductions WHERE fingerprint = %s"), (r["fingerprint"],))
                summary["merged" if merged else "rekeyed"] += 1
                if merged:
                    summary["merged_points"] += r["points"]
            cur.execute("UPDATE deductions SET scheme = 2")
            cur.execute(self._sql("UPDATE ledger_meta SET value = %s WHERE key = 'fingerprint_scheme'"),
                        (str(FINGERPRINT_SCHEME),))
        return summary

    def revoke(self, fingerprint: str, reason: str, by: str) -> None:
        if not reason.strip() or not by.strip():
            raise LiftcheckError("撤销需要写明理由（--reason）和经办人（--by）", "a revocation needs --reason and --by")
        with self.transaction() as cur:
            cur.execute(self._sql("SELECT org_id FROM deductions WHERE fingerprint = %s"), (fingerprint,))
            if cur.fetchone() is None:
                raise LiftcheckError(f"账本中没有指纹为 {fingerprint} 的扣分", f"no deduction with fingerprint {fingerprint} in the ledger")
            cur.execute(self._sql("SELECT revoked_by, revoked_at FROM revocations WHERE fingerprint = %s"), (fingerprint,))
            earlier = cur.fetchone()
            if earlier is not None:
                raise LiftcheckError(f"该扣分已于 {earlier[1]} 由 {earlier[0]} 撤销", f"already revoked by {earlier[0]} at {earlier[1]}")
            cur.execute(self._sql("INSERT INTO revocations (fingerprint, reason, revoked_by, revoked_at) VALUES (%s, %s, %s, %s)"),
                        (fingerprint, reason.strip(), by.strip(), _now()))

    def deductions(self, year: int | None = None, org: str | None = None) -> list[dict]:
        where, args = [], []
        if year is not None:
            where.append("d.year = %s")
            args.append(year)
        if org is not None:
            where.append("d.org_id = %s")
            args.append(org)
        sql = ("SELECT d.fingerprint, d.org_id, d.org_name, d.rule_id, d.subject, d.period_key, d.points, d.clause, d.severity,"
               " d.year, d.sweep_id, d.recorded_at, d.identity_day, d.notified_on, d.not_charged_reason,"
               " r.reason, r.revoked_by, r.revoked_at"
               " FROM deductions d LEFT JOIN revocations r ON r.fingerprint = d.fingerprint"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY d.org_id, d.rule_id, d.subject, d.period_key")
        cur = self.conn.cursor()
        cur.execute(self._sql(sql), args)
        cols = [c[0] for c in cur.description]
        rows = [dict(zip(cols, r)) for r in cur.fetchall()]
        cur.close()
        return rows

    def close(self) -> None:
        self.conn.close()


def _is_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def _liftcheck_tables() -> set[str]:
    """Every table liftcheck's migrations create (read from them, so a new migration counts)."""
    names = {"schema_version"}
    for _, statements in MIGRATIONS:
        for statement in statements:
            names.update(n.lower() for n in re.findall(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", statement, re.I))
    return names


def _inspect(conn, kind: str, target: str) -> int | None:
    """The ledger's schema version, or None for an empty database; anything else is refused
    untouched: a database holding tables that are not liftcheck's is not a ledger."""
    from checker.text import visible

    cur = conn.cursor()
    try:
        if kind == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")
        else:
            cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        tables = {str(r[0]).lower() for r in cur.fetchall()}
        if not tables:
            return None
        foreign = sorted(tables - _liftcheck_tables())
        if foreign or "schema_version" not in tables:
            shown = ", ".join(visible(t) for t in (foreign or sorted(tables))[:8])
            raise LiftcheckError(f"{visible(target)} 不是 liftcheck 账本（其中有不属于 liftcheck 的表：{shown}），未做任何改动",
                                 f"{visible(target)} is not a liftcheck ledger (it holds tables that are not liftcheck's: "
                                 f"{shown}); it was left unchanged")
        cur.execute("SELECT max(version) FROM schema_version")
        row = cur.fetchone()
        version = (row[0] if row else 0) or 0
    finally:
        cur.close()
    if version > SCHEMA_VERSION:
        raise LiftcheckError(f"账本 {visible(target)} 的版本 {version} 比本程序支持的 {SCHEMA_VERSION} 新，请升级 liftcheck",
                             f"ledger {visible(target)} is at version {version}, newer than this liftcheck's "
                             f"{SCHEMA_VERSION}; upgrade liftcheck")
    return version


def _sqlite_path(target: str, must_exist: bool, write: bool) -> Path:
    """The checks a SQLite ledger path must pass before it is opened (nothing is created here)."""
    from checker.text import visible

    path = Path(target)
    shown = visible(path)
    if must_exist and not path.exists():
        raise LiftcheckError(f"找不到账本：{shown}（先用 liftcheck check … --ledger {shown} 记录扣分）",
                             f"ledger not found: {shown} (record deductions first with liftcheck check … --ledger {shown})")
    if path.is_dir():
        raise LiftcheckError(f"账本路径 {shown} 是一个文件夹，应为文件", f"ledger path {shown} is a folder, not a file")
    if not path.parent.exists():
        raise LiftcheckError(f"账本所在的文件夹不存在：{visible(path.parent)}",
                             f"the ledger's folder does not exist: {visible(path.parent)}")
    if path.exists() and not path.is_file():
        raise LiftcheckError(f"账本路径 {shown} 不是普通文件", f"ledger path {shown} is not a regular file")
    if write:
        # the honest test of "can liftcheck write here": open the file for writing (nothing is
        # written), and make a file beside it, as SQLite's journal will
        try:
            if path.exists():
                os.close(os.open(path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0)))
            fd, probe = tempfile.mkstemp(dir=path.parent or Path("."), prefix=".liftcheck-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise LiftcheckError(f"账本 {shown} 只读或所在文件夹不可写（{exc.strerror}），无法记录扣分；未做任何检查",
                                 f"ledger {shown} is read-only or its folder cannot be written ({exc.strerror}); "
                                 "deductions cannot be recorded, so nothing was checked") from None
    return path


def _sqlite_read_only(path: Path):
    """A connection that cannot change the file: SQLite's read-only URI mode."""
    from urllib.parse import quote

    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=60, isolation_level=None)


def _pg_connect(target: str, read_only: bool):
    try:
        import psycopg
    except ImportError:
        raise LiftcheckError("使用 PostgreSQL 账本需要安装 psycopg：pip install 'liftcheck[postgres]'",
                             "a PostgreSQL ledger needs psycopg: pip install 'liftcheck[postgres]'") from None
    try:
        conn = psycopg.connect(target, autocommit=True)
        if read_only:
            conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        return conn
    except psycopg.Error as exc:
        raise LiftcheckError(f"无法连接 PostgreSQL 账本：{exc}", f"cannot connect to the PostgreSQL ledger: {exc}") from None


def _not_a_ledger(target: str, exc: Exception) -> LiftcheckError:
    from checker.text import visible

    return LiftcheckError(f"{visible(target)} 不是 liftcheck 账本：{exc}", f"{visible(target)} is not a liftcheck ledger: {exc}")


def check_ledger(target: str, must_exist: bool = False, inputs: list | None = None) -> None:
    """Before any work: the ledger can be written and is a liftcheck ledger (or absent, or empty).

    Nothing is created or changed here; `inputs` are files the command reads, which a SQLite
    ledger may not be."""
    from checker.text import visible

    if _is_url(target):
        conn = _pg_connect(target, read_only=False)
        try:
            cur = conn.execute("SHOW transaction_read_only")
            if cur.fetchone()[0] == "on":
                raise LiftcheckError(f"PostgreSQL 账本 {visible(target)} 只读，无法记录扣分；未做任何检查",
                                     f"the PostgreSQL ledger {visible(target)} is read-only; deductions cannot be "
                                     "recorded, so nothing was checked")
            _inspect(conn, "postgres", target)
        finally:
            conn.close()
        return
    path = _sqlite_path(target, must_exist, write=True)
    for given in inputs or []:
        if given is not None and Path(given).exists() and (
                path.resolve() == Path(given).resolve() or path.resolve().is_relative_to(Path(given).resolve())):
            raise LiftcheckError(f"账本 {visible(path)} 是本次读取的输入（或在提交的数据文件夹里），不能写入",
                                 f"the ledger {visible(path)} is an input of this command (or inside the submission "
                                 "folder); it is not written")
    if path.exists():
        try:
            conn = _sqlite_read_only(path)
            try:
                _inspect(conn, "sqlite", target)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise _not_a_ledger(target, exc) from None


def _connect(target: str, must_exist: bool = False, read_only: bool = False) -> Ledger:
    if _is_url(target):
        conn = _pg_connect(target, read_only)
        ledger = Ledger(conn, "postgres", target)
        try:
            _inspect(conn, "postgres", target)
        except BaseException:
            ledger.close()
            raise
        return ledger
    path = _sqlite_path(target, must_exist, write=not read_only)
    try:
        if read_only:
            conn = _sqlite_read_only(path)
        else:
            conn = sqlite3.connect(path, timeout=60, isolation_level=None)
            conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise LiftcheckError(f"{path} 不是 liftcheck 账本（SQLite 打不开：{exc}）",
                             f"{path} is not a liftcheck ledger (SQLite cannot open it: {exc})") from None
    ledger = Ledger(conn, "sqlite", target)
    try:
        _inspect(conn, "sqlite", target)
    except sqlite3.DatabaseError as exc:
        ledger.close()
        raise _not_a_ledger(target, exc) from None
    except BaseException:
        ledger.close()
        raise
    return ledger


def _read_only_view(ledger: Ledger, target: str) -> Ledger:
    """A ledger to read from, at the current schema, without changing the stored one.

    An empty database, or one at an older schema, is copied into memory and migrated there
    (SQLite); PostgreSQL cannot be copied so cheaply: there, an older ledger is refused with
    what to do."""
    version = _inspect(ledger.conn, ledger.kind, target)
    if version == SCHEMA_VERSION:
        return ledger
    if ledger.kind == "postgres":
        from checker.text import visible

        ledger.close()
        if version is None:
            raise LiftcheckError(f"{visible(target)} 里还没有 liftcheck 账本（先用 liftcheck check … --ledger 记录扣分）",
                                 f"{visible(target)} holds no liftcheck ledger yet (record deductions first with "
                                 "liftcheck check … --ledger)")
        raise LiftcheckError(f"账本 {visible(target)} 的版本 {version} 旧于 {SCHEMA_VERSION}；只读命令不升级账本。"
                             "下一次记录扣分（liftcheck check … --ledger，或 credit revoke）会先升级它",
                             f"ledger {visible(target)} is at version {version}, older than {SCHEMA_VERSION}; a read-only "
                             "command does not upgrade it. The next command that records (check … --ledger, or "
                             "credit revoke) upgrades it first")
    memory = sqlite3.connect(":memory:", isolation_level=None)
    ledger.conn.backup(memory)
    ledger.close()
    copy = Ledger(memory, "sqlite", target)
    copy.migrate()
    return copy


@contextmanager
def open_ledger(target: str, migrate_to: int = SCHEMA_VERSION, must_exist: bool = False,
                read_only: bool = False) -> Iterator[Ledger]:
    """`must_exist`: reading or revoking needs a ledger that is there; only a sweep creates one.
    `read_only`: the database is opened so that it cannot change (SQLite mode=ro, a read-only
    PostgreSQL session) and never migrated."""
    ledger = _connect(target, must_exist, read_only)
    try:
        try:
            if read_only:
                ledger = _read_only_view(ledger, target)
            else:
                ledger.migrate(migrate_to)
        except sqlite3.DatabaseError as exc:
            raise _not_a_ledger(target, exc) from None
        yield ledger
    finally:
        ledger.close()


def kept_declared_starts(target: str) -> dict:
    """The earliest history starts a ledger kept per use unit and record type (empty for a ledger
    not yet made, or one from before Revision 3), read without changing it."""
    if not _is_url(target) and not Path(target).exists():
        return {}
    ledger = _connect(target, read_only=True)
    try:
        version = _inspect(ledger.conn, ledger.kind, target)
        if version is None or version < 4:
            return {}
        return ledger.declared_starts()
    finally:
        ledger.close()


def unrecorded(target: str, report: dict) -> int:
    """How many of a report's deductions the ledger does not hold yet (read only)."""
    fingerprints = sorted({i["fingerprint"] for firm in report["credit"] for i in firm["items"]
                           if i.get("status", "charged") == "charged"})
    if not fingerprints or (not _is_url(target) and not Path(target).exists()):
        return len(fingerprints)
    ledger = _connect(target, read_only=True)
    try:
        if _inspect(ledger.conn, ledger.kind, target) is None:   # an empty database: all are new
            return len(fingerprints)
        known = 0
        cur = ledger.conn.cursor()
        try:
            for i in range(0, len(fingerprints), 500):
                chunk = fingerprints[i:i + 500]
                marks = ", ".join(["%s"] * len(chunk))
                cur.execute(ledger._sql(f"SELECT count(*) FROM deductions WHERE fingerprint IN ({marks})"), chunk)
                known += cur.fetchone()[0]
        finally:
            cur.close()
        return len(fingerprints) - known
    finally:
        ledger.close()


def state_of(row: dict, params, today: dt.date | None = None) -> str:
    """R3-A 6: `proposed` (拟扣分) until `credit.objection_days` have passed since the firm was told,
    then `final`; a row written before Revision 3 (no day told) is final."""
    if not row.get("notified_on"):
        return "final"
    told = dt.date.fromisoformat(row["notified_on"])
    window = params.at("credit.objection_days", told)
    return "final" if (today or _today()) > told + dt.timedelta(days=window) else "proposed"


def totals(rows: list[dict], schedule: CreditSchedule, names: dict[str, str] | None = None, params=None,
           today: dt.date | None = None) -> list[dict]:
    """Per-firm totals of ledger rows (`deductions()`): revocations and rows Revision 3 does not
    charge shown but not counted; final and proposed points apart (R3-A 6)."""
    from checker.params import load_parameters

    params = params or load_parameters()
    items = []
    for r in rows:
        item = {k: r.get(k) for k in ("fingerprint", "org_id", "org_name", "rule_id", "subject", "period_key", "points",
                                      "clause", "severity", "year", "recorded_at", "identity_day", "notified_on")}
        item["state"] = state_of(r, params, today)
        if r["revoked_at"] is not None:
            item["revoked"] = {"reason": r["reason"], "by": r["revoked_by"], "at": r["revoked_at"]}
        if r.get("not_charged_reason"):
            item["not_charged"] = r["not_charged_reason"]
        items.append(item)
    # the name each firm had at its latest sweep, unless the caller knows better
    seen = {r["org_id"]: r["org_name"] for r in sorted(rows, key=lambda r: r["recorded_at"]) if r.get("org_name")}
    return per_firm(items, schedule, seen | (names or {}))
