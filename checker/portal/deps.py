"""What every route needs: the portal's state, the caller, CSRF, scope and permission checks."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Callable

import sqlalchemy as sa
from fastapi import Depends, Form, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from checker.portal import auth
from checker.portal.access import Principal
from checker.portal.db import SessionRecord, User
from checker.portal.snapshot import Snapshot, Snapshots
from checker.portal.store import Store
from checker.portal.uploads import UploadLimits
from checker.portal.worker import UploadQueue


@dataclass
class PortalConfig:
    db: str | None = None
    upload: UploadLimits = field(default_factory=UploadLimits)
    max_form_bytes: int = 1024 * 1024          # every other request body
    login_per_address: str = "30/minute"       # failed sign-ins per client address
    login_free_failures: int = 3               # per account name, before each attempt must wait
    login_max_delay: float = 60.0              # the longest wait (seconds) an account's owner may face
    secure_cookies: bool = False               # True behind HTTPS (docs/portal.md): Secure cookie, HSTS
    # X-Forwarded-For / -Proto are believed only from these peers (IPs, networks as 10.0.0.0/8);
    # none by default: a portal reached directly takes the connection's address
    trusted_proxies: tuple[str, ...] = ()
    session_hours: int = 8                     # absolute: a session ends this long after sign-in
    session_idle_minutes: int = 30             # idle: …or this long after its last request
    today: Callable[[], dt.date] = dt.date.today
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now().replace(microsecond=0)
    clock: Callable[[], float] = time.monotonic   # the login delays' clock
    sync_seconds: float = 5.0


class Portal:
    def __init__(self, config: PortalConfig, store: Store | None = None):
        self.config = config
        self.store = store or Store(config.db)
        self.snapshots = Snapshots(self.store, today=config.today, sync_seconds=config.sync_seconds)
        self.limiter = auth.LoginLimiter(config.login_per_address, free=config.login_free_failures,
                                         max_delay=config.login_max_delay, clock=config.clock)
        self.log_key = b""   # keys the hash of typed names in the log (create_app: from the session secret)
        self.uploads = UploadQueue(config.upload, self.store.url)

    def downloaded(self, p: Principal, version: int | None = None) -> int:
        """Note that `p` has just downloaded records as of `version` (default: now): the base an
        upload of theirs is checked against (uploads.py). Returns the version."""
        version = self.store.data_version(max_age=0) if version is None else version
        if p.user_id is not None:
            u = User.__table__
            with self.store.engine.begin() as conn:
                conn.execute(sa.update(u).where((u.c.id == p.user_id) & (u.c.downloaded_version.is_(None)
                                                                         | (u.c.downloaded_version < version)))
                             .values(downloaded_version=version))
        return version

    def base_version(self, p: Principal, given: str | None) -> int:
        """The data version an upload is based on: as the uploader says (`base_version`), else
        their last download, else 0 (then any record another account changed is a conflict)."""
        if given is not None and str(given).strip() != "":
            text = str(given).strip()
            if not text.isdigit() or len(text) > 12:
                from checker.portal.views import BadParameter

                raise BadParameter("base_version", text, "不小于 0 的整数（你下载数据时的数据版本）",
                                   "a whole number ≥ 0 (the data version of your download)")
            return int(text)
        with Session(self.store.engine) as s:
            user = s.get(User, p.user_id) if p.user_id is not None else None
            return (user.downloaded_version or 0) if user is not None else 0

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


VERSION_HEADER = "X-Liftcheck-Data-Version"


def mark_download(request: Request, p: Principal, response, version: int) -> None:
    """A download of records by `p` as of data `version`: noted as the base of their next
    upload (Portal.downloaded), and said in the answer's X-Liftcheck-Data-Version."""
    response.headers[VERSION_HEADER] = str(get_portal(request).downloaded(p, version))


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

SEEN_EVERY = dt.timedelta(seconds=60)   # last_seen_at is written at most this often per session


def session_principal(request: Request) -> Principal | None:
    """The account of the browser's session, if the session is open on the server: not
    revoked, not idle longer than `session_idle_minutes`, not older than `session_hours`, and
    opened for the account's present role and scope. Anything else ends it."""
    key = request.session.get("sid")
    if key is None:
        return None
    portal = get_portal(request)
    config = portal.config
    now = config.now()
    with Session(portal.store.engine) as s:
        record = auth.session_record(s, key)
        user = s.get(User, record.user_id) if record is not None else None
        why = _ended(record, user, now, config)
        if why is not None:
            if record is not None and record.revoked_at is None:
                record.revoked_at, record.revoked_why = now, why
                s.commit()
            request.session.pop("sid", None)
            return None
        if now - record.last_seen_at >= SEEN_EVERY:
            record.last_seen_at = now
            s.commit()
        return auth.principal(user)


def _ended(record: SessionRecord | None, user: User | None, now: dt.datetime, config: PortalConfig) -> str | None:
    if record is None or user is None:
        return "unknown"
    if record.revoked_at is not None:
        return record.revoked_why or "revoked"
    if now - record.created_at > dt.timedelta(hours=config.session_hours):
        return "expired"
    if now - record.last_seen_at > dt.timedelta(minutes=config.session_idle_minutes):
        return "idle"
    if (record.role, record.org_id, record.district) != (user.role, user.org_id, user.district):
        return "role"
    return None


def sign_in(request: Request, s: Session, user: User) -> None:
    """A fresh session for `user` in this browser (a new cookie: no session fixation). The
    account's sessions past their absolute timeout are deleted: they can never be used again."""
    config = get_portal(request).config
    now = config.now()
    s.execute(sa.delete(SessionRecord).where((SessionRecord.user_id == user.id)
                                             & (SessionRecord.created_at < now - dt.timedelta(hours=config.session_hours))))
    key = auth.open_session(s, user, now)
    request.session.clear()
    request.session["sid"] = key
    auth.csrf_token(request.session)


def sign_out(request: Request, why: str = "logout") -> None:
    portal = get_portal(request)
    with Session(portal.store.engine) as s:
        record = auth.session_record(s, request.session.get("sid"))
        if record is not None and record.revoked_at is None:
            record.revoked_at, record.revoked_why = portal.config.now(), why
            s.commit()
    request.session.clear()


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

