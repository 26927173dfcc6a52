"""`liftcheck serve` and `liftcheck users`: open the database, load records, run uvicorn.

With no PATH and an empty database the demo's sample is loaded (through the loader and
validator, like any submission), so `liftcheck serve` alone shows a working portal.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from checker.load import load_submission
from checker.pipeline import InvalidSubmission
from checker.portal.store import Store
from checker.validate import validate


def open_store(db: str | None) -> Store:
    store = Store(db)
    store.migrate()
    return store


def import_submission(store: Store, path: Path, source: str | None = None) -> tuple[int, int]:
    """(batch id, records) after loading a submission whole; refused if any record is invalid."""
    sub = validate(load_submission(path))
    if sub.error_count:
        raise InvalidSubmission(sub)
    total = sum(df.height for df in sub.tables.values())
    return store.write(sub.tables, "import", source=source or str(path)), total


def load_demo(store: Store) -> tuple[int, int]:
    from checker.demo import DEMO_SPEC
    from checker.sample import generate, write

    with tempfile.TemporaryDirectory(prefix="liftcheck-demo-") as tmp:
        folder = Path(tmp) / "submission"
        write(generate(DEMO_SPEC), folder)
        return import_submission(store, folder, source="liftcheck demo sample")


def prepare(store: Store, path: Path | None, echo: Callable[[str], None]) -> None:
    """Load PATH (or the demo) into an empty database; a database with records keeps them."""
    if store.has_records():
        if path is not None:
            echo(f"数据库已有数据（数据版本 {store.data_version()}），未再导入 {path}；如需重新导入请用新的 --db\n"
                 f"the database already holds records (data version {store.data_version()}); {path} was not imported "
                 "again (use a fresh --db to import it)")
        return
    if path is None:
        batch, total = load_demo(store)
        echo(f"数据库为空，已载入演示数据 {total:,} 条 / empty database: loaded the demo sample ({total:,} records)")
    else:
        echo(f"正在导入 importing {path} …")
        batch, total = import_submission(store, path)
        echo(f"已导入 {total:,} 条记录 / imported {total:,} records (data version {batch})")


def trusted_proxies(given: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The proxies whose X-Forwarded-For is believed: --trusted-proxy, else LIFTCHECK_TRUSTED_PROXIES
    (comma separated), else none."""
    if given:
        return tuple(given)
    return tuple(x.strip() for x in os.environ.get("LIFTCHECK_TRUSTED_PROXIES", "").split(",") if x.strip())


def upload_limits():
    """The upload worker's limits, with LIFTCHECK_UPLOAD_MEMORY_MB and LIFTCHECK_UPLOAD_SECONDS if set."""
    from dataclasses import replace

    from checker.errors import LiftcheckError
    from checker.portal.uploads import UploadLimits

    limits = UploadLimits()
    for name, field, scale in (("LIFTCHECK_UPLOAD_MEMORY_MB", "max_memory_bytes", 1024 * 1024),
                               ("LIFTCHECK_UPLOAD_SECONDS", "max_seconds", 1)):
        value = os.environ.get(name, "").strip()
        if value:
            if not value.isdigit() or int(value) == 0:
                raise LiftcheckError(f"环境变量 {name}=「{value}」应为正整数", f"{name}={value!r} should be a positive whole number")
            limits = replace(limits, **{field: int(value) * scale})
    return limits


def serve(path: Path | None, db: str | None, host: str, port: int, echo: Callable[[str], None],
          proxies: tuple[str, ...] = ()) -> None:
    import uvicorn

    from checker.portal.app import create_app
    from checker.portal.deps import Portal, PortalConfig
    from checker.portal.logs import configure_logging

    configure_logging()
    store = open_store(db)
    echo(f"数据库 database: {store.display}")
    prepare(store, path, echo)
    config = PortalConfig(db=db, secure_cookies=os.environ.get("LIFTCHECK_SECURE_COOKIES") == "1",
                          trusted_proxies=trusted_proxies(proxies), upload=upload_limits())
    portal = Portal(config, store)
    echo("正在计算统计 computing the first snapshot …")
    snap = portal.snapshots.city()
    echo(f"已就绪：{snap.elevators.height:,} 部电梯，{snap.start} 至 {snap.end}，用时 {snap.computed_in:.1f} 秒 / "
         f"ready: {snap.elevators.height:,} elevators, {snap.start}..{snap.end}, {snap.computed_in:.1f} s")
    if config.trusted_proxies:
        echo(f"信任这些代理的 X-Forwarded-For / trusting X-Forwarded-For from: {', '.join(config.trusted_proxies)}")
    echo(f"云小站 portal: http://{host}:{port}/")
    app = create_app(config, portal)
    # X-Forwarded-* are read by the application itself, from the configured proxies only
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, proxy_headers=False)


def add_user(db: str | None, name: str, role: str, org_id: str | None, district: str | None):
    from sqlalchemy.orm import Session

    from checker.portal import auth

    store = open_store(db)
    with Session(store.engine, expire_on_commit=False) as s:
        account = auth.create_user(s, name, role, org_id, district)
        known = org_id is None or auth.org_known(s, org_id)
        s.commit()
    return account, known


def list_users(db: str | None) -> list[dict]:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from checker.portal.db import User

    store = open_store(db)
    with Session(store.engine) as s:
        return [{"name": u.name, "role": u.role, "org_id": u.org_id, "district": u.district,
                 "must_change_password": u.must_change_password, "created_at": u.created_at}
                for u in s.scalars(sa.select(User).order_by(User.id))]



def _account(db: str | None, name: str, change: Callable):
    from sqlalchemy.orm import Session

    from checker.portal import auth

    store = open_store(db)
    with Session(store.engine, expire_on_commit=False) as s:
        user = auth.user_named(s, name)
        out = change(s, user)
        s.commit()
    return out


def revoke_user_sessions(db: str | None, name: str) -> int:
    """End every session of an account (signed-in browsers must sign in again); returns how many."""
    from checker.portal import auth

    return _account(db, name, lambda s, user: auth.revoke_sessions(s, user.id, "admin"))


def reset_user(db: str | None, name: str) -> str:
    """A new one-time password; every session of the account ends."""
    from checker.portal import auth

    return _account(db, name, lambda s, user: auth.reset_password(s, user))


def new_user_token(db: str | None, name: str) -> str:
    """A new API token; the old one stops working."""
    from checker.portal import auth

    return _account(db, name, lambda s, user: auth.new_token(user))


def set_user_role(db: str | None, name: str, role: str, org_id: str | None, district: str | None) -> None:
    from checker.portal import auth

    _account(db, name, lambda s, user: auth.set_role(s, user, role, org_id, district))
