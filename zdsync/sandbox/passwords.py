"""Passwords: an admin sets a user's, a user changes their own, anyone reads the requirements.

Zendesk refuses API-token authentication on both writes, and lets admins set passwords only
when the account owner has turned that on (``SandboxConfig.admins_set_passwords``, off as in
Zendesk). Passwords are kept as salted hashes, never as given.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from typing import TYPE_CHECKING

from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.wire import Reply, Request, json_reply
from zdsync.sandbox.writes import forbidden, invalid_value, is_admin, not_found, record_invalid
from zdsync.sandbox.writes_users import live_user

if TYPE_CHECKING:
    from zdsync.sandbox.server import App

MIN_LENGTH = 8
# The account's policy, as the requirements endpoint states it and the writes apply it.
REQUIREMENTS = (
    f"must be at least {MIN_LENGTH} characters",
    "must include a letter",
    "must include a number",
    "must be different from the email address",
)
TOKEN_REFUSED = (
    "Forbidden",
    "API token authentication is not permitted on this endpoint; use OAuth",
)


class Passwords:
    """Each user's password, as a salted scrypt hash."""

    def __init__(self) -> None:
        self._hashes: dict[int, tuple[bytes, bytes]] = {}
        self._lock = threading.Lock()

    def set(self, user_id: int, password: str) -> None:
        salt = secrets.token_bytes(16)
        with self._lock:
            self._hashes[user_id] = (salt, _hash(password, salt))

    def matches(self, user_id: int, password: str) -> bool:
        with self._lock:
            kept = self._hashes.get(user_id)
        return kept is not None and hmac.compare_digest(kept[1], _hash(password, kept[0]))

    def has(self, user_id: int) -> bool:
        with self._lock:
            return user_id in self._hashes


def set_password(app: App, request: Request, user_id: int) -> Reply:
    """``POST /users/{id}/password``: an admin sets it, when the account allows that."""
    if _by_api_token(request):
        return json_reply(403, dict(zip(("error", "description"), TOKEN_REFUSED, strict=True)))
    if not is_admin(request.user) or not app.config.admins_set_passwords:
        return forbidden()
    user = live_user(app.store, user_id)
    if user is None:
        return not_found()
    password = _field(request, "password")
    if isinstance(password, Reply):
        return password
    refused = _weak(user, password)
    if refused is not None:
        return refused
    app.passwords.set(user_id, password)
    return Reply(200)


def change_password(app: App, request: Request, user_id: int) -> Reply:
    """``PUT /users/{id}/password``: only one's own, knowing the previous one."""
    if _by_api_token(request):
        return json_reply(403, dict(zip(("error", "description"), TOKEN_REFUSED, strict=True)))
    caller = request.user
    if caller is None or caller["id"] != user_id:
        return forbidden()
    fields = [_field(request, name) for name in ("previous_password", "password")]
    for value in fields:
        if isinstance(value, Reply):
            return value
    previous, password = (str(value) for value in fields)
    if not app.passwords.matches(user_id, previous):
        message = "Previous password: is not correct"
        return record_invalid(("previous_password", "InvalidValue", message))
    refused = _weak(caller, password)
    if refused is not None:
        return refused
    app.passwords.set(user_id, password)
    return Reply(200)


def requirements(app: App, request: Request, user_id: int) -> Reply:
    """``GET /users/{id}/password/requirements``: the policy, for oneself or, as staff, anyone."""
    caller = request.user
    if caller is None or (caller["id"] != user_id and caller["role"] == "end-user"):
        return forbidden()
    if live_user(app.store, user_id) is None:
        return not_found()
    return json_reply(200, {"requirements": list(REQUIREMENTS)})


def _by_api_token(request: Request) -> bool:
    # The server has already authenticated the caller; only the scheme matters here.
    return request.headers.get("authorization", "").lower().startswith("basic ")


def _field(request: Request, name: str) -> str | Reply:
    try:
        body = request.json()
    except ValueError:
        body = None
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value:
        return invalid_value(f"{name} is required")
    return value


def _weak(user: Record, password: str) -> Reply | None:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Password: {REQUIREMENTS[0]}")
    if not any(c.isalpha() for c in password):
        problems.append(f"Password: {REQUIREMENTS[1]}")
    if not any(c.isdigit() for c in password):
        problems.append(f"Password: {REQUIREMENTS[2]}")
    if password.lower() == (user.get("email") or "").lower():
        problems.append(f"Password: {REQUIREMENTS[3]}")
    if not problems:
        return None
    return record_invalid(*(("password", "InvalidValue", text) for text in problems))


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**12, r=8, p=1)
