"""Records in and out of the portal's database, a whole column at a time.

Writes go from polars through Arrow into the database with ADBC (a bulk COPY on
PostgreSQL, prepared batches on SQLite); reads come back the same way. Nothing here turns
a row into a Python object: a city-year is 8 M records. Every read returns the text a
person would have typed (ISO dates, true/false, lists joined by ';') so that records go
back through the very loader and validator the CLI uses (see snapshot.py).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from checker.contract import record_types
from checker.portal.db import BATCH_COL, RECORD_TABLES, Batch, User, adbc_uri, database_url, make_engine

# Dated activity records: the latest of these (not after today) says which year the data is of.
ACTIVITY_DATES = {"daily_checks": "date", "maintenance": "date", "alarm_tests": "date", "inspections": "date"}


def storage_form(name: str, df: pl.DataFrame) -> pl.DataFrame:
    """A typed frame (as validate.py makes them) as the columns of the record table."""
    fields = record_types()[name].field_names
    return df.select([pl.col(c).list.join(";") if isinstance(df.schema[c], pl.List) else pl.col(c) for c in fields])


def typed(name: str, text: pl.DataFrame) -> pl.DataFrame:
    """Text read back from the database, typed like the validator's tables (lists stay joined)."""
    exprs = []
    for f in record_types()[name].fields:
        v = pl.col(f.name)
        if f.kind == "date":
            exprs.append(v.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False).alias(f.name))
        elif f.kind == "datetime":
            exprs.append(v.str.replace("T", " ").str.slice(0, 19)
                         .str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us").alias(f.name))
        elif f.kind == "boolean":
            exprs.append(pl.when(v.is_null()).then(None).otherwise(v.str.to_lowercase().is_in(["1", "true", "t"]))
                         .alias(f.name))
        elif f.kind == "integer":
            exprs.append(v.cast(pl.Float64, strict=False).cast(pl.Int64).alias(f.name))
        elif f.kind == "number":
            exprs.append(v.cast(pl.Float64, strict=False).alias(f.name))
        else:
            exprs.append(v)
    return text.select(exprs)


class Store:
    """One portal database: SQLAlchemy for small statements, ADBC for whole tables."""

    def __init__(self, target: str | None):
        self.url = database_url(target)
        self.engine = make_engine(self.url)
        self.dialect = self.engine.dialect.name
        self._adbc_driver, self._adbc_target = adbc_uri(self.engine.url)
        self._write_lock = threading.Lock()
        self._version: tuple[int, float] | None = None

    @property
    def display(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def migrate(self) -> None:
        from checker.portal import migrate   # Alembic: not needed by the upload worker

        migrate.upgrade(self.engine)

    # ---- connections and statements ------------------------------------------------------

    @contextmanager
    def arrow(self) -> Iterator[object]:
        """An ADBC connection (DB-API) that moves Arrow tables; one transaction until commit."""
        if self._adbc_driver == "sqlite":
            import adbc_driver_sqlite.dbapi as driver

            conn = driver.connect(uri=self._adbc_target)
            cur = conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
        else:
            import adbc_driver_postgresql.dbapi as driver

            conn = driver.connect(self._adbc_target)
        try:
            yield conn
        finally:
            conn.close()

    def _compile(self, stmt) -> tuple[str, list]:
        dialect = sqlite.dialect(paramstyle="qmark") if self.dialect == "sqlite" else \
            postgresql.dialect(paramstyle="numeric_dollar")
        compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        return str(compiled), [compiled.params[name] for name in (compiled.positiontup or [])]

    def _fetch(self, conn, stmt) -> pl.DataFrame:
        sql, params = self._compile(stmt)
        cur = conn.cursor()
        try:
            cur.execute(sql, params or None)
            return pl.from_arrow(cur.fetch_arrow_table())
        finally:
            cur.close()

    # ---- reading ----------------------------------------------------------------------------

    def text_select(self, name: str, where=None) -> sa.Select:
        """Every field as text; an empty string stands for null (the loader reads it so),
        because ADBC's SQLite driver fixes a column's type from its first values."""
        table = RECORD_TABLES[name]
        cols = [sa.func.coalesce(sa.cast(table.c[f], sa.Text), sa.literal("")).label(f)
                for f in record_types()[name].field_names]
        stmt = sa.select(*cols)
        return stmt if where is None else stmt.where(where)

    def read_text(self, where: dict | None = None, conn=None) -> dict[str, pl.DataFrame]:
        """Every record table (or those `where` filters: name -> SQL condition) as text frames."""
        where = where or {}
        with (self.arrow() if conn is None else _same(conn)) as c:
            return {name: self._read_one(c, name, where.get(name)) for name in RECORD_TABLES}

    def read_typed(self, name: str, where=None) -> pl.DataFrame:
        with self.arrow() as conn:
            df = self._read_one(conn, name, where)
        return typed(name, df)

    def _read_one(self, conn, name: str, where=None) -> pl.DataFrame:
        df = self._fetch(conn, self.text_select(name, where))
        fields = record_types()[name].field_names
        if df.height == 0:
            return pl.DataFrame(schema={f: pl.String for f in fields})
        return df.select([pl.col(f).cast(pl.String).replace("", None) for f in fields])

    def scalar(self, stmt):
        with self.engine.connect() as conn:
            return conn.execute(stmt).scalar()

    def data_version(self, max_age: float = 1.0) -> int:
        """The id of the newest batch: it changes whenever records change (checked at most once a second)."""
        now = time.monotonic()
        if self._version is None or now - self._version[1] > max_age:
            self._version = (int(self.scalar(sa.select(sa.func.coalesce(sa.func.max(Batch.id), 0)))), now)
        return self._version[0]

    def changed(self) -> None:
        """Records may have changed (another process wrote them): read the data version afresh."""
        self._version = None

    def has_records(self) -> bool:
        return bool(self.scalar(sa.select(sa.func.count()).select_from(RECORD_TABLES["elevators"])))

    def data_year_end(self, today: dt.date) -> dt.date | None:
        """The latest activity date on or before today: the data's 'now'."""
        latest = None
        for name, col in ACTIVITY_DATES.items():
            c = RECORD_TABLES[name].c[col]
            value = self.scalar(sa.select(sa.func.max(c)).where(c <= today))
            if isinstance(value, str):  # SQLite keeps dates as ISO text
                value = dt.date.fromisoformat(value[:10])
            if value is not None and (latest is None or value > latest):
                latest = value
        return latest

    # ---- writing ----------------------------------------------------------------------------

    def write(self, tables: dict[str, pl.DataFrame], kind: str, source: str | None = None,
              user_id: int | None = None, org_id: str | None = None) -> int:
        """Store typed frames as one batch, in one transaction; a record whose key is already
        stored replaces it. Returns the new batch id (the new data version)."""
        q = self.engine.dialect.identifier_preparer.quote
        ph = (lambda i: "?") if self.dialect == "sqlite" else (lambda i: f"${i}")
        types = record_types()
        total = sum(df.height for df in tables.values())
        with self._write_lock, self.arrow() as conn:
            cur = conn.cursor()
            try:
                cur.execute(f"INSERT INTO portal_batches (kind, user_id, org_id, source, records, created_at) "
                            f"VALUES ({', '.join(ph(i) for i in range(1, 7))}) RETURNING id",
                            (kind, user_id, org_id, (source or "")[:300] or None, total,
                             dt.datetime.now().replace(microsecond=0)))
                batch = int(cur.fetchone()[0])
                for name, df in tables.items():
                    if df.height == 0:
                        continue
                    key = types[name].unique
                    if key:
                        cur.adbc_ingest("portal_new_keys", df.select(pl.col(key).alias("k")).unique().to_arrow(),
                                        mode="create", temporary=True)
                        cur.execute(f"DELETE FROM {q(name)} WHERE {q(key)} IN (SELECT k FROM portal_new_keys)")
                        cur.execute("DROP TABLE portal_new_keys")
                    rows = storage_form(name, df).with_columns(pl.lit(batch, dtype=pl.Int32).alias(BATCH_COL))
                    cur.adbc_ingest(name, rows.to_arrow(), mode="append")
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            finally:
                cur.close()
        self._version = None
        return batch


    # ---- an upload: one transaction, uploads one at a time, no lost update ------------------------

    def apply_upload(self, tables: dict[str, pl.DataFrame], base_version: int, user_id: int | None,
                     org_id: str | None, source: str | None = None) -> "Applied":
        """Store a validated upload as one batch, or nothing.

        Inside one transaction that holds the database's upload lock (PostgreSQL: an advisory
        lock; SQLite: the write lock, taken by the transaction's first statement), the stored
        counterparts of the uploaded records are read and compared: a record identical to a
        stored one is not written again (so the same record sent twice, even by two uploads at
        once, is one record); a keyed record that differs replaces the stored one — unless the
        stored one was changed after `base_version` (the uploader's last download) by another
        account, in which case nothing is written and those records are returned as conflicts.
        `tables` are typed frames with the loader's _file and _row columns."""
        types = record_types()
        with self._write_lock, self.arrow() as conn:
            cur = conn.cursor()
            try:
                if self.dialect == "postgresql":
                    cur.execute("SELECT pg_advisory_xact_lock(7265822)")   # uploads, one at a time
                    cur.fetchall()
                ph = (lambda i: "?") if self.dialect == "sqlite" else (lambda i: f"${i}")
                cur.execute(f"INSERT INTO portal_batches (kind, user_id, org_id, source, records, created_at) "
                            f"VALUES ({', '.join(ph(i) for i in range(1, 7))}) RETURNING id",
                            ("upload", user_id, org_id, (source or "")[:300] or None, 0,
                             dt.datetime.now().replace(microsecond=0)))
                batch = int(cur.fetchone()[0])
                plans = {name: self._plan(conn, cur, name, df, types[name]) for name, df in tables.items() if df.height}
                conflicts = self._conflicts(conn, plans, base_version, user_id, batch)
                counts = {name: plan.counts for name, plan in plans.items()}
                total = sum(plan.write.height for plan in plans.values())
                if conflicts.height or total == 0:
                    conn.rollback()
                    return Applied(None, counts, conflicts)
                q = self.engine.dialect.identifier_preparer.quote
                for name, plan in plans.items():
                    if plan.write.height == 0:
                        continue
                    key = types[name].unique
                    if key and plan.replaced:
                        self._ingest_keys(cur, pl.Series("k", plan.replaced, dtype=pl.String))
                        cur.execute(f"DELETE FROM {q(name)} WHERE {q(key)} IN (SELECT k FROM portal_upload_keys)")
                        cur.execute("DROP TABLE portal_upload_keys")
                    rows = storage_form(name, plan.write).with_columns(pl.lit(batch, dtype=pl.Int32).alias(BATCH_COL))
                    cur.adbc_ingest(name, rows.to_arrow(), mode="append")
                cur.execute(f"UPDATE portal_batches SET records = {ph(1)} WHERE id = {ph(2)}", (total, batch))
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            finally:
                cur.close()
        self._version = None
        return Applied(batch, counts, conflicts)

    def _ingest_keys(self, cur, keys: pl.Series) -> None:
        cur.adbc_ingest("portal_upload_keys", pl.DataFrame({"k": keys.cast(pl.String)}).unique().to_arrow(),
                        mode="create", temporary=True)

    def _plan(self, conn, cur, name: str, df: pl.DataFrame, rt) -> "_Plan":
        """What of `df` to write, against the stored records read inside the transaction."""
        from checker.load import FILE_COL, ROW_COL

        fields = rt.field_names
        table = RECORD_TABLES[name]
        keys_table = sa.table("portal_upload_keys", sa.column("k"))
        # the stored counterparts: the same keys, or (records without an id) the same elevators or units
        scope_col = rt.unique or ("elevator_id" if "elevator_id" in fields else "use_unit_id")
        self._ingest_keys(cur, df.get_column(scope_col).drop_nulls())
        stmt = self.text_select(name, table.c[scope_col].in_(sa.select(keys_table.c.k)))
        stmt = stmt.add_columns(table.c[BATCH_COL].label(BATCH_COL))
        found = self._fetch(conn, stmt)
        cur.execute("DROP TABLE portal_upload_keys")
        if found.height:
            stored = typed(name, found.select([pl.col(f).cast(pl.String).replace("", None) for f in fields]))
            stored = stored.with_columns(found.get_column(BATCH_COL).cast(pl.Int64).alias(BATCH_COL))
        else:
            stored = typed(name, pl.DataFrame(schema={f: pl.String for f in fields})).with_columns(
                pl.lit(None, pl.Int64).alias(BATCH_COL))
        rows = storage_form(name, df).with_columns(df.get_column(FILE_COL), df.get_column(ROW_COL))
        stored_rows = storage_form(name, stored)
        same = rows.join(stored_rows, on=fields, how="semi", nulls_equal=True)
        # a record sent twice in one upload is one record too
        fresh = rows.join(stored_rows, on=fields, how="anti", nulls_equal=True).unique(fields, keep="first",
                                                                                       maintain_order=True)
        key = rt.unique
        changed = pl.DataFrame()
        if key:
            changed = fresh.join(stored.select(key, BATCH_COL), on=key, how="inner")
        write = fresh.drop(FILE_COL, ROW_COL)
        counts = {"new": fresh.height - changed.height, "updated": changed.height, "unchanged": same.height}
        replaced = changed.get_column(key).to_list() if key else []
        return _Plan(write=write, changed=changed, counts=counts, replaced=replaced, key=key)

    def _conflicts(self, conn, plans: dict, base_version: int, user_id: int | None, batch: int) -> pl.DataFrame:
        """The changed records whose stored version came after `base_version` from another account."""
        touched = {b for plan in plans.values() if plan.changed.height
                   for b in plan.changed.get_column(BATCH_COL).to_list() if b > base_version}
        if not touched:
            return pl.DataFrame(schema=CONFLICT_SCHEMA)
        b, u = Batch.__table__, User.__table__
        stmt = (sa.select(b.c.id.label(BATCH_COL), b.c.kind, b.c.user_id, b.c.created_at, u.c.name.label("user_name"))
                .select_from(b.outerjoin(u, u.c.id == b.c.user_id)).where(b.c.id.in_(sorted(touched))))
        batches = self._fetch(conn, stmt)
        if user_id is not None:
            others = batches.filter((pl.col("kind") != "import") & pl.col("user_id").ne_missing(user_id))
        else:
            others = batches.filter(pl.col("kind") != "import")
        from checker.load import FILE_COL, ROW_COL

        out = []
        for name, plan in plans.items():
            if not plan.changed.height:
                continue
            hit = plan.changed.join(others.with_columns(pl.col(BATCH_COL).cast(pl.Int64)), on=BATCH_COL, how="inner")
            if hit.height:
                out.append(hit.select(
                    pl.lit(name).alias("record_type"), pl.col(FILE_COL).alias("file"),
                    pl.col(ROW_COL).cast(pl.Int64).alias("row"), pl.lit(plan.key).alias("field"),
                    pl.col(plan.key).cast(pl.String).alias("value"), pl.col(BATCH_COL).cast(pl.Int64).alias("version"),
                    pl.col("user_name").cast(pl.String), pl.col("kind").cast(pl.String),
                    pl.col("created_at").cast(pl.String).str.slice(0, 19).str.replace("T", " ").alias("changed_at")))
        return pl.concat(out).sort("file", "row") if out else pl.DataFrame(schema=CONFLICT_SCHEMA)


CONFLICT_SCHEMA = {"record_type": pl.String, "file": pl.String, "row": pl.Int64, "field": pl.String,
                   "value": pl.String, "version": pl.Int64, "user_name": pl.String, "kind": pl.String,
                   "changed_at": pl.String}


@dataclass
class _Plan:
    write: pl.DataFrame          # the rows to insert (new, and replacements of changed keyed records)
    changed: pl.DataFrame        # keyed rows that replace a stored, different one (with its batch_id)
    counts: dict[str, int]
    replaced: list[str]
    key: str | None


@dataclass
class Applied:
    batch_id: int | None                  # None: nothing written (nothing new, or conflicts)
    counts: dict[str, dict[str, int]]
    conflicts: pl.DataFrame               # CONFLICT_SCHEMA: records changed by another account since the base


@contextmanager
def _same(conn):
    yield conn
