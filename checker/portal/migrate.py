"""Schema migrations (Alembic), applied programmatically when the portal opens its database.

A database stamped with a revision this program does not know (written by a newer
liftcheck) is refused with a clear message rather than used or "downgraded" by guesswork.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from checker.errors import LiftcheckError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revisions(engine: sa.Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def upgrade(engine: sa.Engine, target: str = "head") -> None:
    """Bring the database to `target`; refuse one stamped by a newer liftcheck."""
    cfg = alembic_config()
    script = ScriptDirectory.from_config(cfg)
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = [r for r in current_revisions(engine) if r not in known]
    if unknown:
        where = engine.url.render_as_string(hide_password=True)
        raise LiftcheckError(
            f"数据库 {where} 的结构版本 {', '.join(unknown)} 不是本程序所知的版本（可能由更新版本的 liftcheck 写入），"
            f"为免损坏数据，拒绝使用；请升级 liftcheck（本程序最高版本 {script.get_current_head()}）",
            f"the database {where} is at schema revision {', '.join(unknown)}, which this program does not know "
            f"(probably written by a newer liftcheck); refusing to use it so as not to damage it. Upgrade liftcheck "
            f"(this program knows up to {script.get_current_head()})")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
