"""Authorization headers, and OAuth refresh with rotated refresh tokens that survive a crash.

A Zendesk refresh deletes the old token pair as it issues the new one. If the new refresh token
were only kept in memory, a crash right after the refresh would leave the user with no valid
refresh token at all. So the new pair is written to a 0600 file (atomically: temp file, fsync,
rename) before it is used, and on start-up that file wins over the environment, whose refresh
token may already have been rotated away.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from zdsync.client.errors import AuthenticationError, ConfigurationError
from zdsync.client.secrets import Secret
from zdsync.client.settings import ApiTokenCredentials, Credentials, OAuthCredentials

log = logging.getLogger(__name__)

# Refresh this long before the stated expiry, so a request never leaves with a token that
# expires in flight.
EXPIRY_MARGIN_SECONDS = 60.0

PostForm = Callable[[str, dict[str, Any]], httpx.Response]


class Authenticator(Protocol):
    def header(self) -> str:
        """The Authorization header value for the next request."""

    def before_request(self, post: PostForm) -> None:
        """Refresh credentials that are about to expire."""

    def after_unauthorized(self, used_header: str, post: PostForm) -> bool:
        """React to a 401; True when a retry with new credentials makes sense."""


class ApiTokenAuth:
    """Basic ``{email}/token:{token}``. Nothing to refresh."""

    def __init__(self, credentials: ApiTokenCredentials) -> None:
        raw = f"{credentials.email}/token:{credentials.token.reveal()}".encode()
        self._header = Secret("Basic " + base64.b64encode(raw).decode())

    def header(self) -> str:
        return self._header.reveal()

    def before_request(self, post: PostForm) -> None:
        return None

    def after_unauthorized(self, used_header: str, post: PostForm) -> bool:
        return False

    def __repr__(self) -> str:
        return "ApiTokenAuth(********)"


@dataclass
class TokenPair:
    access_token: Secret
    refresh_token: Secret | None
    expires_at: float | None


class TokenFile:
    """The rotated token pair on disk: readable by the owner only, replaced atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> TokenPair | None:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ConfigurationError(
                f"cannot read the OAuth token file {self.path}: {type(exc).__name__}"
            ) from None
        refresh = data.get("refresh_token")
        return TokenPair(
            access_token=Secret(data["access_token"]),
            refresh_token=Secret(refresh) if refresh else None,
            expires_at=data.get("expires_at"),
        )

    def save(self, pair: TokenPair) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps(
            {
                "access_token": pair.access_token.reveal(),
                "refresh_token": pair.refresh_token.reveal() if pair.refresh_token else None,
                "expires_at": pair.expires_at,
            }
        )
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class OAuthAuth:
    """Bearer tokens, refreshed through ``POST /oauth/tokens`` when they expire or are refused."""

    def __init__(self, credentials: OAuthCredentials, clock: Callable[[], float] = time.time):
        self._credentials = credentials
        self._clock = clock
        self._lock = threading.Lock()
        self._file = TokenFile(credentials.token_file)
        stored = self._file.load() if credentials.can_refresh else None
        if stored is not None:
            self._pair = stored
        elif credentials.access_token is not None:
            self._pair = TokenPair(credentials.access_token, credentials.refresh_token, None)
        else:
            # Only a refresh token: the first request refreshes.
            self._pair = TokenPair(Secret(""), credentials.refresh_token, 0.0)
        self.refreshes = 0

    def header(self) -> str:
        return "Bearer " + self._pair.access_token.reveal()

    def before_request(self, post: PostForm) -> None:
        expires_at = self._pair.expires_at
        if expires_at is not None and self._clock() >= expires_at - EXPIRY_MARGIN_SECONDS:
            self._refresh(self.header(), post)

    def after_unauthorized(self, used_header: str, post: PostForm) -> bool:
        if not self._credentials.can_refresh:
            return False
        self._refresh(used_header, post)
        return True

    def _refresh(self, used_header: str, post: PostForm) -> None:
        with self._lock:
            if self.header() != used_header:
                return  # another thread refreshed while we waited
            if not self._credentials.can_refresh or self._pair.refresh_token is None:
                raise AuthenticationError(
                    "the OAuth access token expired and no refresh token is configured"
                )
            self._pair = self._request_new_pair(post)
            self.refreshes += 1
            log.info("refreshed the OAuth access token")

    def _request_new_pair(self, post: PostForm) -> TokenPair:
        assert self._pair.refresh_token is not None
        assert self._credentials.client_secret is not None
        response = post(
            "/oauth/tokens",
            {
                "grant_type": "refresh_token",
                "refresh_token": self._pair.refresh_token.reveal(),
                "client_id": self._credentials.client_id,
                "client_secret": self._credentials.client_secret.reveal(),
            },
        )
        if response.status_code not in (200, 201):
            raise AuthenticationError(
                f"OAuth refresh refused ({response.status_code} {_oauth_error(response)}); "
                "authorise zdsync again and set a new ZENDESK_OAUTH_REFRESH_TOKEN",
                status=response.status_code,
            )
        body = response.json()
        expires_in = body.get("expires_in")
        pair = TokenPair(
            access_token=Secret(body["access_token"]),
            refresh_token=Secret(body["refresh_token"]) if body.get("refresh_token") else None,
            expires_at=self._clock() + float(expires_in) if expires_in else None,
        )
        if pair.refresh_token is None:
            pair.refresh_token = self._pair.refresh_token
        self._file.save(pair)
        return pair

    def __repr__(self) -> str:
        return f"OAuthAuth(token_file={str(self._credentials.token_file)!r})"


def _oauth_error(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", "unknown error"))
    except ValueError:
        return "unknown error"


def authenticator_for(credentials: Credentials) -> ApiTokenAuth | OAuthAuth:
    if isinstance(credentials, ApiTokenCredentials):
        return ApiTokenAuth(credentials)
    return OAuthAuth(credentials)
