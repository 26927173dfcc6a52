"""Accounts, passwords, API tokens, server-side sessions, CSRF tokens and the login limits.

Passwords: Argon2id (argon2-cffi, memory-hard, its recommended parameters). API tokens: 256
random bits shown once; only their SHA-256 is stored (a token cannot be guessed, so a slow
hash adds nothing). A signed-in browser holds, in Starlette's signed session cookie, a random
session key and a CSRF token (the synchroniser-token pattern: every form carries the token,
the server compares it with the one in the signed session in constant time); the database
holds the key's SHA-256 in `portal_sessions` with the session's life, so a session ends on
the server — logout, password change or reset, role change, `liftcheck users revoke`, idle
and absolute timeouts — whatever cookie a browser (or a thief) kept.

Failed sign-ins slow an account down rather than lock it: after a few free failures each
further attempt on that name must wait twice as long as the last (capped), whoever makes it;
the right password arriving after the wait is accepted. Separately, failures are counted per
client address with `limits` (the library slowapi is built on). Failures only, so a clerk who
types correctly is never slowed down.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import Session

from checker.errors import LiftcheckError
from checker.portal.access import ACCOUNT_ROLES, ROLES, Principal
from checker.portal.db import RECORD_TABLES, SessionRecord, Setting, User

_hasher = PasswordHasher()
# Verified against when the account name is unknown, so timing does not tell names apart.
_DUMMY_HASH = _hasher.hash("liftcheck-no-such-user")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_password() -> str:
    return secrets.token_urlsafe(12)


@dataclass
class NewAccount:
    user: User
    password: str
    token: str


def _check_role(role: str, org_id: str | None, district: str | None) -> None:
    if role not in ACCOUNT_ROLES:
        raise LiftcheckError(f"未知角色：{role}（可选：{'、'.join(ACCOUNT_ROLES)}；业主不需要账号）",
                             f"unknown role {role!r} (choose one of: {', '.join(ACCOUNT_ROLES)}; owners need no account)")
    if role in ("use_unit", "maintenance_unit") and not org_id:
        raise LiftcheckError(f"{ROLES[role]}账号需要 --org 统一社会信用代码", f"a {role} account needs --org ORG_ID")
    if role == "district_government" and not district:
        raise LiftcheckError("区人民政府账号需要 --district（如 玄武区）", "a district_government account needs --district (e.g. 玄武区)")
    if role not in ("use_unit", "maintenance_unit", "inspection_agency") and org_id:
        raise LiftcheckError(f"{ROLES[role]}账号不属于某个单位，不需要 --org", f"a {role} account belongs to no organisation: drop --org")
    if role != "district_government" and district:
        raise LiftcheckError("只有区人民政府账号需要 --district", "only district_government accounts take --district")


def create_user(session: Session, name: str, role: str, org_id: str | None = None,
                district: str | None = None) -> NewAccount:
    """A new account with a one-time password (changed at first sign-in) and an API token."""
    name = name.strip()
    if not name:
        raise LiftcheckError("用户名不能为空", "the user name is empty")
    _check_role(role, org_id, district)
    if session.scalar(sa.select(User).where(User.name == name)) is not None:
        raise LiftcheckError(f"用户「{name}」已存在", f"user {name!r} already exists")
    password, token = new_password(), secrets.token_urlsafe(32)
    user = User(name=name, role=role, org_id=org_id or None, district=district or None,
                password_hash=_hasher.hash(password), token_hash=hash_token(token), must_change_password=True,
                session_epoch=0, created_at=now())
    session.add(user)
    session.flush()
    return NewAccount(user, password, token)


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def user_named(session: Session, name: str) -> User:
    user = session.scalar(sa.select(User).where(User.name == name.strip()))
    if user is None:
        raise LiftcheckError(f"没有用户「{name}」（liftcheck users list 列出全部账号）",
                             f"no user {name!r} (liftcheck users list shows every account)")
    return user


def reset_password(session: Session, user: User) -> str:
    """A new one-time password (to be changed at the next sign-in); every session ends."""
    password = new_password()
    user.password_hash = _hasher.hash(password)
    user.must_change_password = True
    user.session_epoch += 1
    revoke_sessions(session, user.id, "reset")
    return password


def new_token(user: User) -> str:
    """A new API token; the old one stops working at once."""
    token = secrets.token_urlsafe(32)
    user.token_hash = hash_token(token)
    return token


def set_role(session: Session, user: User, role: str, org_id: str | None, district: str | None) -> None:
    """Change an account's role or scope; its sessions end (they were opened for the old one)."""
    _check_role(role, org_id, district)
    user.role, user.org_id, user.district = role, org_id or None, district or None
    revoke_sessions(session, user.id, "role")


def org_known(session: Session, org_id: str) -> bool:
    orgs = RECORD_TABLES["organizations"]
    return session.execute(sa.select(orgs.c.org_id).where(orgs.c.org_id == org_id)).first() is not None


def principal(user: User) -> Principal:
    return Principal(user_id=user.id, name=user.name, role=user.role, org_id=user.org_id, district=user.district,
                     must_change_password=user.must_change_password)


def verify_password(session: Session, name: str, password: str) -> User | None:
    user = session.scalar(sa.select(User).where(User.name == name))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def password_matches(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(user: User, password: str) -> None:
    if len(password) < 10:
        raise LiftcheckError("新密码至少 10 个字符", "the new password must have at least 10 characters")
    if password_matches(user, password):   # above all the one-time password: it was seen by whoever passed it on
        raise LiftcheckError("新密码不能与当前密码（或一次性密码）相同", "the new password must differ from the current (or one-time) password")
    user.password_hash = _hasher.hash(password)
    user.must_change_password = False
    user.session_epoch += 1


def user_for_token(session: Session, token: str) -> User | None:
    if not token:
        return None
    return session.scalar(sa.select(User).where(User.token_hash == hash_token(token)))


def session_secret(session: Session) -> str:
    """The key that signs session cookies: made once and kept in the database, so restarts
    and several server processes share it."""
    row = session.get(Setting, "session_secret")
    if row is None:
        row = Setting(key="session_secret", value=secrets.token_urlsafe(48))
        session.add(row)
        session.flush()
    return row.value


def csrf_token(session_data: dict) -> str:
    token = session_data.get("csrf")
    if not token:
        token = session_data["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(session_data: dict, submitted: str | None) -> bool:
    expected = session_data.get("csrf")
    return bool(expected and submitted and hmac.compare_digest(expected, submitted))


# ---- server-side sessions -----------------------------------------------------------------------

def open_session(session: Session, user: User, at: dt.datetime) -> str:
    """A new session for `user`: returns the key for the cookie (only its hash is stored)."""
    key = secrets.token_urlsafe(32)
    session.add(SessionRecord(key_hash=hash_token(key), user_id=user.id, role=user.role, org_id=user.org_id,
                              district=user.district, created_at=at, last_seen_at=at))
    session.flush()
    return key


def session_record(session: Session, key: str | None) -> SessionRecord | None:
    if not key or not isinstance(key, str):
        return None
    return session.scalar(sa.select(SessionRecord).where(SessionRecord.key_hash == hash_token(key)))


def revoke_sessions(session: Session, user_id: int, why: str, keep: int | None = None) -> int:
    """End every open session of an account (but `keep`); returns how many were open."""
    stmt = sa.update(SessionRecord).where((SessionRecord.user_id == user_id) & SessionRecord.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(SessionRecord.id != keep)
    return session.execute(stmt.values(revoked_at=now(), revoked_why=why)).rowcount


def name_digest(key: bytes, name: str) -> str:
    """What the log says of a typed account name: a keyed hash (people type passwords into the
    name field). The same name gives the same digest, so failures on one name can be followed."""
    return hmac.new(key, name.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]


# ---- failed sign-ins -------------------------------------------------------------------------------

class LoginLimiter:
    """Failed sign-ins: per account name an exponential delay (not a lock), per address a cap.

    Per name: the first `free` failures cost nothing; after that each attempt must wait
    `base_delay` × 2^(failures − free) seconds after the last failure, at most `max_delay`,
    whoever makes it (an attempt during the wait is not even checked, so guessing gains
    nothing from it). A success clears the name; a name quiet for `forget_after` seconds is
    forgotten. The owner of an account under attack waits at most `max_delay`, never more.
    Per client address: at most `per_address` failures in a moving window (`limits`).
    Both are kept in this process's memory (docs/portal.md: one process)."""

    def __init__(self, per_address: str = "30/minute", free: int = 3, base_delay: float = 1.0,
                 max_delay: float = 60.0, forget_after: float = 3600.0, clock: Callable[[], float] = time.monotonic,
                 names_kept: int = 100_000):
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._address = parse(per_address)
        self.free, self.base_delay, self.max_delay, self.forget_after = free, base_delay, max_delay, forget_after
        self.clock = clock
        self._names: OrderedDict[str, tuple[int, float]] = OrderedDict()   # name -> (failures, last failure)
        self._kept = names_kept
        self._lock = threading.Lock()

    @staticmethod
    def _name(name: str) -> str:
        return name.strip().lower()

    def delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.max_delay, self.base_delay * 2 ** min(failures - self.free, 30))

    def wait(self, address: str, name: str) -> int:
        """Seconds the caller must wait before this attempt is checked (0: go ahead)."""
        if not self._limiter.test(self._address, "address", address):
            reset, _ = self._limiter.get_window_stats(self._address, "address", address)
            return max(1, math.ceil(reset - time.time()))
        with self._lock:
            failures, last = self._names.get(self._name(name), (0, 0.0))
        if failures and self.clock() - last > self.forget_after:
            return 0
        remaining = last + self.delay(failures) - self.clock()
        return math.ceil(remaining) if remaining > 0 else 0

    def failed(self, address: str, name: str) -> None:
        self._limiter.hit(self._address, "address", address)
        key, t = self._name(name), self.clock()
        with self._lock:
            failures, last = self._names.pop(key, (0, 0.0))
            if failures and t - last > self.forget_after:
                failures = 0
            self._names[key] = (failures + 1, t)
            while len(self._names) > self._kept:
                self._names.popitem(last=False)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._names.pop(self._name(name), None)
