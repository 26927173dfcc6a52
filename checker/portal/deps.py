"""What every route needs: the portal's state, the caller, CSRF, scope and permission checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from fastapi import Depends, Form, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from checker.portal import auth
from checker.portal.access import Principal
from checker.portal.db import User
from checker.portal.snapshot import Snapshot, Snapshots
from checker.portal.store import Store
from checker.portal.uploads import UploadLimits


@dataclass
class PortalConfig:
    db: str | None = None
    upload: UploadLimits = field(default_factory=UploadLimits)
    max_form_bytes: int = 1024 * 1024          # every other request body
    login_per_address: str = "30/minute"
    login_per_account: str = "5/minute"
    secure_cookies: bool = False               # True behind HTTPS (docs/portal.md)
    session_hours: int = 8
    today: Callable[[], dt.date] = dt.date.today
    sync_seconds: float = 5.0


class Portal:
    def __init__(self, config: PortalConfig, store: Store | None = None):
        self.config = config
        self.store = store or Store(config.db)
        self.snapshots = Snapshots(self.store, today=config.today, sync_seconds=config.sync_seconds)
        self.limiter = auth.LoginLimiter(config.login_per_address, config.login_per_account)

    async def owner_snapshot(self) -> Snapshot:
        """The city snapshot for an owner's lookup, on the event loop when it is ready (no
        thread hop for the many small lookups), else computed in the thread pool."""
        snap = self.snapshots.ready()
        if snap is None:
            from starlette.concurrency import run_in_threadpool

            snap = await run_in_threadpool(self.snapshots.city)
        return snap

    def snapshot_for(self, p: Principal) -> Snapshot:
        if p.is_org:
            return self.snapshots.for_org(p.role, p.org_id)
        return self.snapshots.city()


# ---- errors the handlers in app.py turn into pages or JSON ----------------------------------

class LoginRequired(Exception):
    pass


class PasswordChangeRequired(Exception):
    pass


class CsrfFailed(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, p: Principal):
        super().__init__(p.role)
        self.principal = p


def get_portal(request: Request) -> Portal:
    return request.app.state.portal


def need(p: Principal, roles: tuple[str, ...]) -> None:
    """403 unless the principal's role may do this (checked after the scope check's 404)."""
    if p.role not in roles:
        raise Forbidden(p)


# ---- pages: the signed session cookie ----------------------------------------------------------

def session_principal(request: Request) -> Principal | None:
    uid = request.session.get("uid")
    if uid is None:
        return None
    portal = get_portal(request)
    with Session(portal.store.engine) as s:
        user = s.get(User, uid)
        if user is None or user.session_epoch != request.session.get("epoch"):
            request.session.pop("uid", None)
            return None
        return auth.principal(user)


def page_user(request: Request) -> Principal:
    p = session_principal(request)
    if p is None:
        raise LoginRequired()
    if p.must_change_password and request.url.path not in ("/account/password", "/logout"):
        raise PasswordChangeRequired()
    request.state.principal = p
    return p


def check_csrf(request: Request, csrf_token: str = Form("")) -> None:
    if not auth.csrf_ok(request.session, csrf_token):
        raise CsrfFailed()


# ---- API: Authorization: Bearer TOKEN -------------------------------------------------------------

bearer = HTTPBearer(auto_error=False, description="The API token `liftcheck users add` printed.")


class TokenRequired(Exception):
    pass


def api_user(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise TokenRequired()
    portal = get_portal(request)
    with Session(portal.store.engine) as s:
        user = auth.user_for_token(s, credentials.credentials)
        if user is None:
            raise TokenRequired()
        p = auth.principal(user)
    request.state.principal = p
    return p

