"""The FastAPI application: middleware (body size, request log, session), error pages, routers.

`create_app(config)` builds a portal over one database; `liftcheck serve` runs it with
uvicorn. Pages live in pages.py, the JSON API under /api/ in api.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import ipaddress
import time
from pathlib import Path

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from checker.errors import LiftcheckError
from checker.portal import auth
from checker.portal.deps import (CsrfFailed, Forbidden, LoginRequired, PasswordChangeRequired, Portal, PortalConfig,
                                 TokenRequired)
from checker.portal.logs import get_logger
from checker.portal.views import NotVisible

TEMPLATES = Path(__file__).resolve().parent / "templates"
UPLOAD_PATHS = ("/upload", "/api/submissions")


def templates() -> Jinja2Templates:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["pct"] = lambda v: "—" if v is None else f"{v * 100:.1f}%"
    env.filters["d"] = lambda v: "—" if v is None else (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
    env.filters["yn"] = lambda v: "—" if v is None else ("是" if v else "否")
    return Jinja2Templates(env=env)


class BodyLimit:
    """Refuse a request body over the limit (413) before the application reads it: by its
    Content-Length, and by counting what actually arrives (a chunked body has no length).

    When the count runs over, the application's own answer (FastAPI turns a failed body read
    into 400) is dropped and 413 is sent instead."""

    def __init__(self, app, uploads: int, forms: int):
        self.app, self.uploads, self.forms = app, uploads, forms

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.uploads if scope["path"] in UPLOAD_PATHS else self.forms
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return await _too_large(scope, send, limit)
        seen, started, over = 0, False, False

        async def counted():
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise _TooLarge()
            return message

        async def watch(message):
            nonlocal started
            if over and not started:
                return   # the application's answer to a body cut short: 413 is sent instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except _TooLarge:
            pass
        if over and not started:
            await _too_large(scope, send, limit)


class ClientAddress:
    """Who is calling: the peer's address, or, only when the peer is a proxy named in the
    configuration (`trusted_proxies`, none by default), the client that proxy names in
    X-Forwarded-For (the rightmost address that is not itself a trusted proxy), and the
    scheme it names in X-Forwarded-Proto. Anyone else's X-Forwarded-* is ignored: the
    login limits count per address, and an address a caller may choose counts nothing."""

    def __init__(self, app, trusted: tuple[str, ...] = ()):
        self.app = app
        self.names, self.networks = set(), []
        for entry in trusted:
            try:
                self.networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                self.names.add(entry.strip())

    def trusted(self, host: str | None) -> bool:
        if host is None:
            return False
        if host in self.names:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and (self.names or self.networks):
            peer = (scope.get("client") or (None, 0))[0]
            if self.trusted(peer):
                headers = dict(scope["headers"])
                scope = dict(scope)
                chain = [a.strip() for a in headers.get(b"x-forwarded-for", b"").decode("latin-1").split(",") if a.strip()]
                for address in reversed(chain):
                    if not self.trusted(address):
                        scope["client"] = (address, 0)
                        break
                else:
                    if chain:
                        scope["client"] = (chain[0], 0)
                proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").split(",")[-1].strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto
        return await self.app(scope, receive, send)


class HeadAsGet:
    """HEAD wherever GET is: the GET answer's status and headers, without its body. A path
    without GET still answers 405 with its Allow header."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)
        scope = dict(scope, method="GET")

        async def headless(message):
            if message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        return await self.app(scope, receive, headless)


# Content-Security-Policy: no script at all (the pages need none), styles from the page itself
# (the stylesheet in base.html and matplotlib's SVG attributes), forms only to the portal.
CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
# Answers a shared cache may keep: the owners' public JSON and the API description. Every page
# (it may name the signed-in account and holds a CSRF token), export and private API answer
# is `Cache-Control: no-store`.
CACHEABLE = ("/api/public/", "/openapi.json")


class RequestLog:
    """One JSON line per request — method, path (no query string), status, time, account id and
    role — and the security headers on every answer. Plain ASGI: no task per request, as
    BaseHTTPMiddleware has. An unexpected error still answers in both languages (500), logged."""

    HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
               (b"referrer-policy", b"same-origin"), (b"content-security-policy", CSP.encode())]
    HSTS = (b"strict-transport-security", b"max-age=31536000")

    def __init__(self, app, hsts: bool = False):
        self.app = app
        self.hsts = hsts
        self.log = get_logger("liftcheck.portal.access")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        status, started = 500, False
        extra = list(self.HEADERS)
        if self.hsts or scope.get("scheme") == "https":
            extra.append(self.HSTS)
        private = not scope["path"].startswith(CACHEABLE)

        async def wrapped(message):
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                headers = list(message.get("headers", []))
                if private:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"] + \
                              [(b"cache-control", b"no-store")]
                message["headers"] = headers + extra
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        except Exception:  # noqa: BLE001 - answered and logged; never a bare traceback page
            self.log.exception("unhandled_error", method=scope["method"], path=scope["path"])
            if not started:
                await _internal_error(scope, wrapped)
        finally:
            p = scope.get("state", {}).get("principal")
            self.log.info("request", method=scope["method"], path=scope["path"], status=status,
                          ms=round((time.perf_counter() - t0) * 1000, 1), user_id=getattr(p, "user_id", None),
                          role=getattr(p, "role", "owner"))


class _TooLarge(Exception):
    pass


async def _internal_error(scope, send):
    zh, en = "服务器内部出错，已记录；请稍后再试或联系管理员", "the server failed on this request (logged); try again later or tell the administrator"
    await _plain(scope, send, 500, zh, en)


async def _plain(scope, send, status: int, zh: str, en: str, headers: dict | None = None):
    if scope["path"].startswith("/api/"):
        response = JSONResponse({"detail": {"zh": zh, "en": en}}, status_code=status, headers=headers)
    else:
        from starlette.responses import HTMLResponse

        response = HTMLResponse(f"<!doctype html><meta charset=utf-8><title>{status}</title><p>{html.escape(zh)}</p>"
                                f"<p>{html.escape(en)}</p>", status_code=status, headers=headers)
    await response(scope, None, send)


async def _too_large(scope, send, limit: int):
    zh = f"提交的内容超过上限 {limit // (1024 * 1024) or 1} MB"
    en = f"the request body is over the limit of {limit:,} bytes"
    await _plain(scope, send, 413, zh, en)


def create_app(config: PortalConfig | None = None, portal: Portal | None = None) -> FastAPI:
    config = config or PortalConfig()
    portal = portal or Portal(config)
    portal.store.migrate()
    with Session(portal.store.engine) as s:
        secret = auth.session_secret(s)
        s.commit()
    portal.log_key = hashlib.sha256(b"liftcheck-log-names\x00" + secret.encode()).digest()
    app = FastAPI(title="liftcheck 云小站 · 老旧住宅电梯安全评估及整治一站式查询统计",
                  description="四（四）电梯安全评估“云小站”：业主查询、单位办事、监管统计。"
                              " API: `Authorization: Bearer TOKEN` (`liftcheck users add`).",
                  version="1", docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.portal = portal
    app.state.templates = templates()

    # outermost last: the caller's address, HEAD, the log and headers, the session, the body limit
    app.add_middleware(BodyLimit, uploads=config.upload.max_upload_bytes, forms=config.max_form_bytes)
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie="liftcheck_session",
                       max_age=config.session_hours * 3600, same_site="lax", https_only=config.secure_cookies)
    app.add_middleware(RequestLog, hsts=config.secure_cookies)
    app.add_middleware(HeadAsGet)
    app.add_middleware(ClientAddress, trusted=tuple(config.trusted_proxies))
    _handlers(app)
    from checker.portal import api, effect_pages, pages

    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(effect_pages.router)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, zh: str, en: str, headers: dict | None = None):
    if _is_api(request):
        return JSONResponse({"detail": {"zh": zh, "en": en}}, status_code=status, headers=headers)
    from checker.portal.pages import render

    return render(request, "error.html", {"status": status, "zh": zh, "en": en}, status=status, headers=headers)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(NotVisible)
    async def not_visible(request: Request, exc: NotVisible):
        return _error(request, 404, f"找不到「{exc}」", f"not found: {exc}")

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        from checker.portal.pages import login_page

        return login_page(request, status=401, next_path=request.url.path)

    @app.exception_handler(TokenRequired)
    async def token_required(request: Request, exc: TokenRequired):
        return _error(request, 401, "需要有效的 API 令牌（Authorization: Bearer …）",
                      "a valid API token is required (Authorization: Bearer …)", headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(PasswordChangeRequired)
    async def change_password(request: Request, exc: PasswordChangeRequired):
        return RedirectResponse("/account/password", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed):
        return _error(request, 403, "表单已失效（CSRF 校验未通过），请返回刷新页面后重试",
                      "the form has expired (CSRF check failed); go back, reload the page and try again")

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        p = exc.principal
        return _error(request, 403, f"{p.role_zh}账号无权进行此操作", f"a {p.role} account may not do this")

    @app.exception_handler(LiftcheckError)
    async def liftcheck_error(request: Request, exc: LiftcheckError):
        status = 409 if type(exc).__name__ == "AlreadyApplied" else getattr(exc, "status", 400)
        return _error(request, status, exc.zh, exc.en, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        where = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return _error(request, 422, f"请求参数有误：{where}", f"invalid request: {where}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return _error(request, 404, "没有这个页面", "no such page")
        if exc.status_code == 405:
            allow = (exc.headers or {}).get("Allow", "")
            return _error(request, 405, f"不支持这种请求方法（可用：{allow}）", f"method not allowed (allowed: {allow})",
                          headers=exc.headers)
        detail = exc.detail if isinstance(exc.detail, dict) else {"zh": str(exc.detail), "en": str(exc.detail)}
        return _error(request, exc.status_code, detail.get("zh", ""), detail.get("en", ""), headers=exc.headers)
