"""A portal over the demo sample with one account per role, for the portal's tests.

Accounts are named after their role; two firms, two maintenance units and a district give
each scoped role someone else's elevator, organisation and district to be refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from checker.demo import DEMO_SPEC
from checker.portal import auth
from checker.portal.app import create_app
from checker.portal.deps import PortalConfig
from checker.portal.server import import_submission
from checker.sample import generate, write

FIRM_A, FIRM_B = "9132010000000000X", "9132010000000001X"
MAINT_A, MAINT_B = "9132040000000000X", "9132040000000001X"
DISTRICT_A, DISTRICT_B = "玄武区", "鼓楼区"
PASSWORD = "correct-horse-battery-staple"

ACCOUNTS = {
    "use_unit": {"role": "use_unit", "org_id": FIRM_A},
    "use_unit_b": {"role": "use_unit", "org_id": FIRM_B},
    "maintenance_unit": {"role": "maintenance_unit", "org_id": MAINT_A},
    "inspection_agency": {"role": "inspection_agency"},
    "market_regulator": {"role": "market_regulator"},
    "district_government": {"role": "district_government", "district": DISTRICT_A},
    "housing_department": {"role": "housing_department"},
}


def write_demo(folder: Path) -> Path:
    write(generate(DEMO_SPEC), folder)
    return folder


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@dataclass
class Harness:
    app: object
    data: Path
    tokens: dict[str, str] = field(default_factory=dict)
    _clients: dict[str, TestClient] = field(default_factory=dict)

    @property
    def portal(self):
        return self.app.state.portal

    @property
    def store(self):
        return self.portal.store

    def anonymous(self) -> TestClient:
        return TestClient(self.app)

    def api(self, account: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[account]}"}

    def browser(self, account: str) -> TestClient:
        """A client signed in to the pages as `account` (password already changed)."""
        if account not in self._clients:
            client = TestClient(self.app)
            page = client.get("/login")
            r = client.post("/login", data={"name": account, "password": PASSWORD, "csrf_token": csrf_of(page.text),
                                            "next": "/dashboard"}, follow_redirects=False)
            assert r.status_code == 303, r.text
            self._clients[account] = client
        return self._clients[account]

    def csrf(self, account: str) -> str:
        return csrf_of(self.browser(account).get("/dashboard").text)

    def elevators(self) -> pl.DataFrame:
        return pl.read_csv(self.data / "elevators.csv", infer_schema=False)


def clone(golden: Harness, path: Path, **config) -> Harness:
    """A copy of a SQLite harness's database behind a new app: a fresh portal in a blink."""
    import shutil

    import sqlalchemy as sa

    with golden.store.engine.connect() as conn:
        conn.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
    shutil.copyfile(golden.store.engine.url.database, path)
    app = create_app(PortalConfig(db=str(path), **config))
    return Harness(app, golden.data, dict(golden.tokens))


def build(db: str, data: Path, **config) -> Harness:
    """A portal on `db` holding the demo sample, with every account of ACCOUNTS."""
    app = create_app(PortalConfig(db=db, **config))
    harness = Harness(app, data)
    import_submission(app.state.portal.store, data)
    with Session(app.state.portal.store.engine) as s:
        for name, spec in ACCOUNTS.items():
            account = auth.create_user(s, name, spec["role"], spec.get("org_id"), spec.get("district"))
            auth.set_password(account.user, PASSWORD)   # past the one-time password
            harness.tokens[name] = account.token
        s.commit()
    return harness


def served_routes(app) -> list[tuple[str, str, object]]:
    """(method, path, route) for every route the application serves, from app.routes.

    FastAPI ≥ 0.16x keeps an included router as one entry (`original_router`); older
    versions copy its routes in. Both are walked."""
    out = []

    def walk(routes, prefix: str) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes, prefix + route.include_context.prefix)
                continue
            for method in sorted(getattr(route, "methods", None) or []):
                if method != "HEAD":
                    out.append((method, prefix + route.path, route))

    walk(app.routes, "")
    return out


def depends_on(route, function) -> bool:
    """True when `function` is among the route's dependencies (at any depth)."""
    dependant = getattr(route, "dependant", None)
    stack = [dependant] if dependant else []
    while stack:
        d = stack.pop()
        if d.call is function:
            return True
        stack.extend(d.dependencies)
    return False
