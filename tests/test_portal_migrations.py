"""The portal's schema migrations on SQLite and PostgreSQL, and the commands around them."""

from __future__ import annotations

import importlib.util

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner

from checker.cli import main
from checker.errors import LiftcheckError
from checker.portal import migrate
from checker.portal.db import RECORD_TABLES, metadata
from checker.portal.store import Store


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "portal.sqlite")
    return request.getfixturevalue("postgres_database")


def test_an_empty_database_is_migrated_to_the_head_and_matches_the_contracts_tables(db):
    store = Store(db)
    store.migrate()
    assert migrate.current_revisions(store.engine) == (migrate.head_revision(),)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    # a contract change without a new migration shows here: write the revision (docs/portal.md)
    assert diff == []
    names = set(sa.inspect(store.engine).get_table_names())
    assert set(RECORD_TABLES) | {"portal_users", "portal_batches", "portal_settings"} <= names
    store.migrate()   # a second start changes nothing
    assert migrate.current_revisions(store.engine) == (migrate.head_revision(),)


def test_a_database_of_an_unknown_newer_revision_is_refused_with_a_clear_message(db):
    store = Store(db)
    store.migrate()
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(LiftcheckError) as caught:
        store.migrate()
    assert "9999_from_the_future" in caught.value.zh and "请升级 liftcheck" in caught.value.zh
    assert "written by a newer liftcheck" in caught.value.en
    result = CliRunner().invoke(main, ["users", "list", "--db", db])
    assert result.exit_code == 2
    assert "结构版本 9999_from_the_future" in result.output and "Traceback" not in result.output


def test_users_add_prints_a_one_time_password_and_a_token_line(tmp_path):
    db = str(tmp_path / "portal.sqlite")
    result = CliRunner().invoke(main, ["users", "add", "监管员", "--role", "market_regulator", "--db", db])
    assert result.exit_code == 0, result.output
    token_lines = [line for line in result.output.splitlines() if "token" in line]
    assert len(token_lines) == 1 and len(token_lines[0].rsplit(" ", 1)[1]) >= 40
    assert "one-time password" in result.output
    again = CliRunner().invoke(main, ["users", "add", "监管员", "--role", "market_regulator", "--db", db])
    assert again.exit_code == 2 and "用户「监管员」已存在" in again.output
    missing = CliRunner().invoke(main, ["users", "add", "区", "--role", "district_government", "--db", db])
    assert missing.exit_code == 2 and "需要 --district" in missing.output


def test_serve_without_the_portal_extra_says_how_to_install_it(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "fastapi" else real(name, *a))
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2
    assert "pip install 'liftcheck[portal]'" in result.output
    assert "门户（云小站）需要额外的依赖" in result.output and "the portal needs extra dependencies" in result.output
