"""Accounts, passwords, API tokens, sessions' CSRF tokens and the login rate limit.

Passwords: Argon2id (argon2-cffi, memory-hard, its recommended parameters). API tokens: 256
random bits shown once; only their SHA-256 is stored (a token cannot be guessed, so a slow
hash adds nothing). Pages keep the account in Starlette's signed session cookie together
with a CSRF token (the synchroniser-token pattern: every form carries the token, the
server compares it with the one in the signed session in constant time). Login attempts
are counted per client address and per account name with `limits` (the library slowapi
is built on), failures only, so a clerk who types correctly is never slowed down.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import Session

from checker.errors import LiftcheckError
from checker.portal.access import ACCOUNT_ROLES, ROLES, Principal
from checker.portal.db import RECORD_TABLES, Setting, User

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


def create_user(session: Session, name: str, role: str, org_id: str | None = None,
                district: str | None = None) -> NewAccount:
    """A new account with a one-time password (changed at first sign-in) and an API token."""
    name = name.strip()
    if not name:
        raise LiftcheckError("用户名不能为空", "the user name is empty")
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
    if session.scalar(sa.select(User).where(User.name == name)) is not None:
        raise LiftcheckError(f"用户「{name}」已存在", f"user {name!r} already exists")
    password, token = new_password(), secrets.token_urlsafe(32)
    user = User(name=name, role=role, org_id=org_id or None, district=district or None,
                password_hash=_hasher.hash(password), token_hash=hash_token(token), must_change_password=True,
                session_epoch=0, created_at=dt.datetime.now().replace(microsecond=0))
    session.add(user)
    session.flush()
    return NewAccount(user, password, token)


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


def set_password(user: User, password: str) -> None:
    if len(password) < 10:
        raise LiftcheckError("新密码至少 10 个字符", "the new password must have at least 10 characters")
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


class LoginLimiter:
    """Failed sign-ins allowed per client address and per account name in a moving window."""

    def __init__(self, per_address: str = "20/minute", per_account: str = "5/minute"):
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._address, self._account = parse(per_address), parse(per_account)

    def _keys(self, address: str, name: str):
        return [(self._address, "address", address), (self._account, "account", name.strip().lower())]

    def allowed(self, address: str, name: str) -> bool:
        return all(self._limiter.test(item, *key) for item, *key in self._keys(address, name))

    def failed(self, address: str, name: str) -> None:
        for item, *key in self._keys(address, name):
            self._limiter.hit(item, *key)
