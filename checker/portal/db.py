"""The portal's database: tables that mirror the contract, plus users, batches and settings.

The record tables are built from `checker.contract.record_types()` (one table per record
type, one column per field, SQL types from the field kinds), so the contract stays in one
place; the migrations in `migrations/versions/` freeze each revision of them, and a test
proves the migrated schema equals these tables. SQLAlchemy talks to the database for the
small things (users, one application); whole columns move through ADBC (Arrow), see store.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from checker.contract import RecordType, record_types
from checker.errors import LiftcheckError

DEFAULT_SQLITE = "liftcheck-portal.sqlite"
BATCH_COL = "batch_id"

_SQL_TYPES = {
    "string": sa.Text, "enum": sa.Text, "integer": sa.BigInteger, "number": sa.Double,
    "boolean": sa.Boolean, "date": sa.Date, "datetime": sa.DateTime, "list": sa.Text,
}
# Columns looked up by: the elevator a record is about, the unit a unit-level record is about,
# the owners' rescue code, a district's elevators, a maintenance unit's elevators.
_INDEXED = {"elevator_id", "use_unit_id", "rescue_code", "district", "maintenance_unit_id"}


class Base(DeclarativeBase):
    # named constraints and indexes, so that migrations can name what they change
    metadata = sa.MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s"})


metadata = Base.metadata


class User(Base):
    __tablename__ = "portal_users"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    role: Mapped[str] = mapped_column(sa.String(40))
    org_id: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    district: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    password_hash: Mapped[str] = mapped_column(sa.Text)
    # sha256 of the API token: a token is 256 random bits, so a fast hash cannot be brute-forced
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    must_change_password: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # bumped when the password changes or is reset (sessions themselves are rows of portal_sessions)
    session_epoch: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    # the data version of the account's last download of records (exports, API reads): an
    # upload that changes a record another account changed after it is refused (uploads.py)
    downloaded_version: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)


class SessionRecord(Base):
    """A signed-in browser: the cookie holds a random key, the database its SHA-256 and its
    life. Ended by logout, a password change or reset, a role change, `liftcheck users
    revoke`, or the idle and absolute timeouts (deps.session_principal)."""

    __tablename__ = "portal_sessions"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    # the account's role and scope when it signed in: any change ends the session
    role: Mapped[str] = mapped_column(sa.String(40))
    org_id: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    district: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    revoked_why: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)


class Batch(Base):
    """One arrival of records: the import at start, an accepted upload, an application."""

    __tablename__ = "portal_batches"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    user_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    org_id: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    source: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    records: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)


class Setting(Base):
    __tablename__ = "portal_settings"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)


def _record_table(rt: RecordType) -> sa.Table:
    columns = []
    for f in rt.fields:
        columns.append(sa.Column(f.name, _SQL_TYPES[f.kind](), nullable=not f.required,
                                 primary_key=f.name == rt.unique, index=f.name in _INDEXED and f.name != rt.unique))
    columns.append(sa.Column(BATCH_COL, sa.Integer, nullable=False))
    return sa.Table(rt.name, metadata, *columns)


RECORD_TABLES: dict[str, sa.Table] = {name: _record_table(rt) for name, rt in record_types().items()}


def database_url(target: str | None) -> str:
    """A SQLAlchemy URL from what a person types: nothing (the local SQLite file), a path, or a URL."""
    if not target:
        target = DEFAULT_SQLITE
    if target.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + target.split("://", 1)[1]
    if target.startswith(("postgresql+psycopg://", "sqlite://")):
        return target
    if "://" in target:
        raise LiftcheckError(f"不支持的数据库地址：{target.split('://')[0]}://（支持 SQLite 文件路径或 postgresql://…）",
                             f"unsupported database URL {target.split('://')[0]}:// (a SQLite file path or postgresql://…)")
    return "sqlite:///" + str(Path(target).resolve())


def adbc_uri(url: sa.URL) -> tuple[str, str]:
    """(driver, URI) for ADBC, from a SQLAlchemy URL."""
    if url.get_backend_name() == "sqlite":
        return "sqlite", url.database or ":memory:"
    plain = url.set(drivername="postgresql")
    return "postgresql", plain.render_as_string(hide_password=False)


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        # A connection per use: a pooled SQLite connection can keep a finished SELECT's read
        # snapshot (WAL) and so miss what the bulk writer (another connection, ADBC) committed.
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args={"timeout": 30})
    else:
        engine = sa.create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _pragmas(conn, _record):  # readers keep reading while an upload is written
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
    return engine
