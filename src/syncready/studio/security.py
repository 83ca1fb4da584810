"""The studio's safety rules, checked on every request.

- **Token**: when the server listens beyond loopback (or a token is given), every request must
  carry it: ``Authorization: Bearer TOKEN``, the ``syncready_token`` cookie, or ``?token=TOKEN``
  (which sets the cookie, for opening the printed link in a browser). Compared in constant time.
- **Host**: without a token only loopback host names are answered (no DNS rebinding).
- **CSRF**: every unsafe request (POST, PUT, PATCH, DELETE) carries the ``syncready_csrf``
  cookie's value in the ``X-CSRF-Token`` header or the ``csrf_token`` form field, unless it is
  authorised by a bearer token (which browsers never attach on their own); a cross-origin
  ``Origin`` is refused. ``GET /api/csrf`` hands the value to API clients.
- **Size**: a request body over the limit (bytes) is answered 413 before it is read further.
- **Headers**: a content security policy allowing only the app's own scripts, no framing, no sniffing.
Upload content is checked by :meth:`.storage.Storage.receive` (audio by content, not name).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from fastapi import HTTPException, Request

TOKEN_COOKIE = "syncready_token"
CSRF_COOKIE = "syncready_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                 b"img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """A fresh random access token (URL-safe)."""
    return secrets.token_urlsafe(24)


class BodyTooLarge(Exception):
    """The request body went past the limit while being read."""


class Guard:
    """ASGI middleware: token, host, body size, CSRF cookie and security headers (see the module notes)."""

    def __init__(self, app, *, token: str | None, max_body: int):
        self.app, self.token, self.max_body = app, token, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        cookies = {k: m.value for k, m in SimpleCookie(headers.get("cookie", "")).items()}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        problem = self._refuse(scope, headers, cookies, query)
        if problem:
            return await _plain(send, *problem)
        set_cookies = []
        if self.token and query.get("token") and cookies.get(TOKEN_COOKIE) != self.token:
            set_cookies.append(f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict")
        if CSRF_COOKIE not in cookies:
            value = secrets.token_urlsafe(24)
            scope.setdefault("state", {})["csrf_new"] = value
            set_cookies.append(f"{CSRF_COOKIE}={value}; Path=/; SameSite=Strict")
        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                extra = HEADERS + [(b"set-cookie", c.encode("latin-1")) for c in set_cookies]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if not started:
                await _plain(send, 413, self._too_large())

    def _too_large(self) -> str:
        return f"the upload is larger than the {self.max_body / 1e6:g} MB limit"

    def _refuse(self, scope, headers: dict, cookies: dict, query: dict) -> tuple[int, str] | None:
        """Status and reason to refuse the request with, or None."""
        host = urlsplit(f"//{headers.get('host', '')}").hostname or ""
        if self.token is None and not is_loopback(host):
            return 421, "this studio answers on localhost only"
        if self.token is not None and not self._authorised(headers, cookies, query):
            return 401, "this studio needs its access token (see the address `syncready serve` printed)"
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > self.max_body:
            return 413, self._too_large()
        if scope["method"] in UNSAFE:
            origin = headers.get("origin")
            if origin and origin != "null" and urlsplit(origin).netloc != headers.get("host"):
                return 403, "cross-origin request refused"
        return None

    def _authorised(self, headers: dict, cookies: dict, query: dict) -> bool:
        offered = [cookies.get(TOKEN_COOKIE, ""), *query.get("token", [])]
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            offered.append(value.strip())
        return any(hmac.compare_digest(o.encode(), self.token.encode()) for o in offered if o)


async def _plain(send, status: int, reason: str) -> None:
    body = json.dumps({"detail": reason}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *HEADERS]})
    await send({"type": "http.response.body", "body": body})


def csrf_value(request: Request) -> str:
    """The CSRF value of this browser (the cookie, or the one being set on this response)."""
    return request.cookies.get(CSRF_COOKIE) or request.scope.get("state", {}).get("csrf_new", "")


def bearer_ok(request: Request) -> bool:
    """Whether the request is authorised by an ``Authorization: Bearer`` token (never ambient)."""
    token = request.app.state.token
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


async def csrf_protect(request: Request) -> None:
    """Dependency of every unsafe route: the CSRF value must come back (see the module notes).

    Raises
    ------
    HTTPException
        403 when it is missing or wrong.
    """
    if request.method not in UNSAFE or bearer_ok(request):
        return
    expected = request.cookies.get(CSRF_COOKIE, "")
    offered = request.headers.get(CSRF_HEADER, "")
    if not offered and request.headers.get("content-type", "").startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        offered = str((await request.form()).get(CSRF_FIELD, ""))
    if not expected or not hmac.compare_digest(offered.encode(), expected.encode()):
        raise HTTPException(403, "missing or wrong CSRF token (reload the page)")
