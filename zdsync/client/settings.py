"""Where the client talks to, as whom, and how fast: read from the environment or dlt's files.

Each setting is looked up first as an environment variable (``ZENDESK_SUBDOMAIN``) and then in
dlt's ``.dlt/config.toml`` / ``.dlt/secrets.toml`` under ``[zendesk]`` (``subdomain = ...``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from zdsync.client.errors import ConfigurationError
from zdsync.client.secrets import Secret

_SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$", re.IGNORECASE)
DEFAULT_TOKEN_FILE = Path("data/.oauth-tokens.json")

Lookup = Callable[[str], str | None]


@dataclass(frozen=True)
class ApiTokenCredentials:
    """``{email}/token:{token}`` over HTTP Basic. Zendesk retires these on 2027-04-30."""

    email: str
    token: Secret


@dataclass(frozen=True)
class OAuthCredentials:
    """A Bearer access token, refreshable when the client id, secret and refresh token are set."""

    access_token: Secret | None
    client_id: str | None = None
    client_secret: Secret | None = None
    refresh_token: Secret | None = None
    token_file: Path = DEFAULT_TOKEN_FILE

    @property
    def can_refresh(self) -> bool:
        return bool(self.client_id and self.client_secret and self.refresh_token)


Credentials = ApiTokenCredentials | OAuthCredentials


@dataclass(frozen=True)
class RateLimitSettings:
    """Requests allowed per window, per Zendesk limit: where pacing starts.

    Responses can only lower these (see ``ratelimit.py``), so a limit set too high is learned
    from the first response that reports it, and one set too low stays as set.
    ``window_seconds`` is 60 against Zendesk; the sandbox can compress time so that tests and
    benchmarks see the same limits in a fraction of the wall time. ``enabled=False`` turns
    client-side limiting off, for a sandbox run with its own limits off.
    """

    account_per_window: int = 700
    incremental_per_window: int = 10
    users_cursor_per_window: int = 20
    single_user_write_per_second: int = 1
    window_seconds: float = 60.0
    enabled: bool = True
    # Per-endpoint limits (seed 004 and the notes' section 6.2); per-record ones are per id.
    search_export_per_window: int = 100
    permanent_deletions_per_ten_windows: int = 700
    ticket_updates_per_window: int = 100
    ticket_updates_per_ticket_per_ten_windows: int = 30
    organization_updates_per_window: int = 5
    user_updates_per_window: int = 5


@dataclass(frozen=True)
class RetrySettings:
    """How long and how often to retry transient failures."""

    max_attempts: int = 8
    backoff_base_seconds: float = 0.5
    backoff_cap_seconds: float = 30.0
    retry_after_default_seconds: float = 60.0
    retry_after_cap_seconds: float = 300.0


@dataclass(frozen=True)
class Settings:
    """Everything the client needs. Build with ``Settings.load()`` or directly in code."""

    origin: str
    credentials: Credentials
    rate_limits: RateLimitSettings = field(default_factory=RateLimitSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    timeout_seconds: float = 60.0

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from the environment, falling back to dlt's config and secrets files."""
        return cls._from(_lookup_chain(os.environ if environ is None else environ))

    @classmethod
    def from_values(cls, values: Mapping[str, str | None]) -> Settings:
        """Settings from these values alone, named as in dlt's files (``subdomain``,
        ``api_token``, ``oauth_token``...): neither the environment nor dlt's files are read."""
        return cls._from(lambda name: values.get(name) or None)

    @classmethod
    def _from(cls, lookup: Lookup) -> Settings:
        return cls(
            origin=_origin(lookup),
            credentials=_credentials(lookup),
            rate_limits=_rate_limits(lookup),
            timeout_seconds=_number(lookup, "timeout_seconds", 60.0),
        )


def _lookup_chain(environ: Mapping[str, str]) -> Lookup:
    def lookup(name: str) -> str | None:
        value = environ.get(f"ZENDESK_{name.upper()}")
        if value:
            return value
        return _from_dlt(name)

    return lookup


def _from_dlt(name: str) -> str | None:
    # Only files in the working directory's .dlt/ count; importing dlt costs about a second, so
    # skip it when there is nothing for it to read.
    if not Path(".dlt").is_dir():
        return None
    import dlt

    # dlt's config accessor asks every provider, secrets.toml among them.
    value: object = dlt.config.get(f"zendesk.{name}")
    return None if value is None else str(value)


def origin_from_url(url: str) -> str:
    """Normalise a base URL to ``scheme://host[:port]`` and refuse anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"ZENDESK_BASE_URL must be an http(s) origin, got {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigurationError(f"ZENDESK_BASE_URL must be an origin without a path, got {url!r}")
    if parts.username or parts.password:
        raise ConfigurationError("ZENDESK_BASE_URL must not carry credentials")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _origin(lookup: Lookup) -> str:
    base_url = lookup("base_url")
    if base_url:
        return origin_from_url(base_url)
    subdomain = lookup("subdomain")
    if not subdomain:
        raise ConfigurationError(
            "set ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL) to say which Zendesk to talk to"
        )
    if not _SUBDOMAIN.match(subdomain):
        raise ConfigurationError(f"ZENDESK_SUBDOMAIN is not a valid subdomain: {subdomain!r}")
    return f"https://{subdomain.lower()}.zendesk.com"


def _credentials(lookup: Lookup) -> Credentials:
    oauth = _oauth(lookup)
    if oauth is not None:
        return oauth
    email, token = lookup("email"), lookup("api_token")
    if email and token:
        return ApiTokenCredentials(email=email, token=Secret(token))
    raise ConfigurationError(
        "no Zendesk credentials: set ZENDESK_OAUTH_TOKEN (with ZENDESK_OAUTH_CLIENT_ID, "
        "ZENDESK_OAUTH_CLIENT_SECRET and ZENDESK_OAUTH_REFRESH_TOKEN to refresh it), "
        "or ZENDESK_EMAIL and ZENDESK_API_TOKEN"
    )


def _oauth(lookup: Lookup) -> OAuthCredentials | None:
    access, refresh = lookup("oauth_token"), lookup("oauth_refresh_token")
    if not access and not refresh:
        return None
    client_id, client_secret = lookup("oauth_client_id"), lookup("oauth_client_secret")
    if refresh and not (client_id and client_secret):
        raise ConfigurationError(
            "ZENDESK_OAUTH_REFRESH_TOKEN needs ZENDESK_OAUTH_CLIENT_ID and "
            "ZENDESK_OAUTH_CLIENT_SECRET"
        )
    return OAuthCredentials(
        access_token=Secret(access) if access else None,
        client_id=client_id,
        client_secret=Secret(client_secret) if client_secret else None,
        refresh_token=Secret(refresh) if refresh else None,
        token_file=Path(lookup("oauth_token_file") or DEFAULT_TOKEN_FILE),
    )


def _rate_limits(lookup: Lookup) -> RateLimitSettings:
    high_volume = (lookup("high_volume") or "").lower() in ("1", "true", "yes")
    enabled = (lookup("rate_limits") or "on").lower() not in ("off", "0", "false", "no")
    return RateLimitSettings(
        enabled=enabled,
        account_per_window=int(_number(lookup, "rate_limit", 2500 if high_volume else 700)),
        incremental_per_window=int(
            _number(lookup, "incremental_rate_limit", 30 if high_volume else 10)
        ),
        users_cursor_per_window=int(
            _number(lookup, "users_cursor_rate_limit", 60 if high_volume else 20)
        ),
        window_seconds=_number(lookup, "rate_window_seconds", 60.0),
        ticket_updates_per_window=300 if high_volume else 100,
    )


def _number(lookup: Lookup, name: str, default: float) -> float:
    raw = lookup(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"ZENDESK_{name.upper()} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigurationError(f"ZENDESK_{name.upper()} must be positive, got {raw!r}")
    return value
