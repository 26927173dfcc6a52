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


def serve(path: Path | None, db: str | None, host: str, port: int, echo: Callable[[str], None]) -> None:
    import uvicorn

    from checker.portal.app import create_app
    from checker.portal.deps import Portal, PortalConfig
    from checker.portal.logs import configure_logging

    configure_logging()
    store = open_store(db)
    echo(f"数据库 database: {store.display}")
    prepare(store, path, echo)
    config = PortalConfig(db=db, secure_cookies=os.environ.get("LIFTCHECK_SECURE_COOKIES") == "1")
    portal = Portal(config, store)
    echo("正在计算统计 computing the first snapshot …")
    snap = portal.snapshots.city()
    echo(f"已就绪：{snap.elevators.height:,} 部电梯，{snap.start} 至 {snap.end}，用时 {snap.computed_in:.1f} 秒 / "
         f"ready: {snap.elevators.height:,} elevators, {snap.start}..{snap.end}, {snap.computed_in:.1f} s")
    echo(f"云小站 portal: http://{host}:{port}/")
    app = create_app(config, portal)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, proxy_headers=True,
                forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"))


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

