"""Who is calling: API-token Basic auth, OAuth Bearer tokens, and ``POST /oauth/tokens``."""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from dataclasses import dataclass

from zdsync.sandbox.config import API_TOKEN, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, SandboxConfig
from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import Reply, Request, json_reply

BASIC_REFUSED = Reply(
    401,
    b'{"error":"Couldn\'t authenticate you"}',
    {"WWW-Authenticate": 'Basic realm="Web Password"'},
)
BEARER_REFUSED = json_reply(
    401,
    {
        "error": "invalid_token",
        "error_description": "The access token provided is expired, revoked, malformed or invalid "
        "for other reasons.",
    },
)
INVALID_GRANT = json_reply(
    400,
    {
        "error": "invalid_grant",
        "error_description": "The provided authorization grant is invalid, expired, revoked, does "
        "not match the redirection URI used in the authorization request, or "
        "was issued to another client.",
    },
)


@dataclass
class IssuedToken:
    user_id: int
    expires_at: float
    pair: str  # the refresh token issued with it: refreshing revokes both


class Accounts:
    """Credentials the sandbox accepts, and the OAuth token pairs it has issued."""

    def __init__(self, config: SandboxConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.api_token = API_TOKEN
        self._access: dict[str, IssuedToken] = {}
        self._refresh: dict[str, int] = {}
        self._lock = threading.Lock()
        self.refreshes = 0

    def authenticate(self, request: Request) -> Record | Reply:
        """The calling user, or Zendesk's 401 for the scheme that was tried."""
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return self._bearer(value.strip())
        if scheme.lower() == "basic":
            return self._basic(value.strip())
        return BASIC_REFUSED

    def _basic(self, value: str) -> Record | Reply:
        try:
            username, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return BASIC_REFUSED
        email, marker, _ = username.rpartition("/token")
        if marker != "/token" or not secrets.compare_digest(password, self.api_token):
            return BASIC_REFUSED
        user = self.store.find_user(email=email)
        return user if user is not None else BASIC_REFUSED

    def _bearer(self, token: str) -> Record | Reply:
        with self._lock:
            issued = self._access.get(token)
        if issued is None or issued.expires_at <= self.store.clock.now():
            return BEARER_REFUSED
        user = self.store.users.records.get(issued.user_id)
        return user if user is not None and user["active"] else BEARER_REFUSED

    def issue(self, user_id: int, expires_in: float | None = None) -> tuple[str, str]:
        """A new access and refresh token pair for a user."""
        access, refresh = secrets.token_hex(24), secrets.token_hex(24)
        ttl = expires_in if expires_in is not None else self.config.oauth_access_ttl_seconds
        with self._lock:
            self._access[access] = IssuedToken(user_id, self.store.clock.now() + ttl, refresh)
            self._refresh[refresh] = user_id
        return access, refresh

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired, as if their lifetime had passed."""
        with self._lock:
            for issued in self._access.values():
                issued.expires_at = 0.0

    def token_endpoint(self, request: Request) -> Reply:
        """``POST /oauth/tokens`` with ``grant_type=refresh_token``."""
        try:
            body = request.json() or {}
        except ValueError:
            body = {}
        if body.get("grant_type") != "refresh_token":
            return json_reply(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Only refresh_token is supported here.",
                },
            )
        if body.get("client_id") != OAUTH_CLIENT_ID or not secrets.compare_digest(
            str(body.get("client_secret", "")), OAUTH_CLIENT_SECRET
        ):
            return json_reply(
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed."},
            )
        with self._lock:
            user_id = self._refresh.pop(str(body.get("refresh_token", "")), None)
            if user_id is None:
                return INVALID_GRANT
            # Rotation: the old pair dies with the refresh.
            self._access = {
                t: i for t, i in self._access.items() if i.pair != body["refresh_token"]
            }
            self.refreshes += 1
        expires_in = body.get("expires_in") or self.config.oauth_access_ttl_seconds
        access, refresh = self.issue(user_id, float(expires_in))
        return json_reply(
            201,
            {
                "access_token": access,
                "refresh_token": refresh,
                "token_type": "bearer",
                "scope": "read write",
                "expires_in": int(expires_in),
                "refresh_token_expires_in": 2_592_000,
            },
        )
