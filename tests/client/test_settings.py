"""Every setting the client reads: its variable, its default, its checks, and dlt's files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from dlt.common.configuration.container import Container
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

from zdsync.client import (
    ApiTokenCredentials,
    OAuthCredentials,
    RateLimitSettings,
    Settings,
)
from zdsync.client.errors import ConfigurationError
from zdsync.client.secrets import Secret

# Enough to load: where, and as whom.
MINIMAL = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "a@b.c", "ZENDESK_API_TOKEN": "t0k3n"}


def load(**variables: str) -> Settings:
    return Settings.load({**MINIMAL, **variables})


def test_the_defaults_pace_for_an_enterprise_plan() -> None:
    settings = load()
    assert settings.origin == "https://acme.zendesk.com"
    assert settings.credentials == ApiTokenCredentials("a@b.c", Secret("t0k3n"))
    # Zendesk's Enterprise figures: 700 requests a minute, 10 for incremental exports, 20 for
    # the users cursor export, one single-user write a second.
    assert settings.rate_limits == RateLimitSettings(
        account_per_window=700,
        incremental_per_window=10,
        users_cursor_per_window=20,
        single_user_write_per_second=1,
        window_seconds=60.0,
        enabled=True,
    )
    assert settings.timeout_seconds == 60.0
    assert "t0k3n" not in repr(settings)


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "Yes"])
def test_the_high_volume_add_on_raises_every_default(value: str) -> None:
    limits = load(ZENDESK_HIGH_VOLUME=value).rate_limits
    assert (limits.account_per_window, limits.incremental_per_window) == (2500, 30)
    assert limits.users_cursor_per_window == 60


@pytest.mark.parametrize("value", ["0", "false", "no", "enterprise"])
def test_anything_else_is_not_high_volume(value: str) -> None:
    assert load(ZENDESK_HIGH_VOLUME=value).rate_limits.account_per_window == 700


# Each numeric setting, a value for it, and where that value lands.
NUMBERS: dict[str, tuple[str, Any]] = {
    "ZENDESK_RATE_LIMIT": ("400", lambda s: s.rate_limits.account_per_window),
    "ZENDESK_INCREMENTAL_RATE_LIMIT": ("7", lambda s: s.rate_limits.incremental_per_window),
    "ZENDESK_USERS_CURSOR_RATE_LIMIT": ("15", lambda s: s.rate_limits.users_cursor_per_window),
    "ZENDESK_RATE_WINDOW_SECONDS": ("0.5", lambda s: s.rate_limits.window_seconds),
    "ZENDESK_TIMEOUT_SECONDS": ("2.5", lambda s: s.timeout_seconds),
}


@pytest.mark.parametrize("variable", NUMBERS)
def test_each_numeric_setting_is_read_from_its_variable(variable: str) -> None:
    value, read = NUMBERS[variable]
    assert read(load(**{variable: value})) == float(value)
    assert read(load(**{variable: value, "ZENDESK_HIGH_VOLUME": "true"})) == float(value)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("abc", "must be a number"), ("0", "must be positive"), ("-5", "must be positive")],
)
@pytest.mark.parametrize("variable", NUMBERS)
def test_a_bad_number_names_its_variable_and_value(variable: str, raw: str, problem: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        load(**{variable: raw})
    assert str(refused.value) == f"{variable} {problem}, got {raw!r}"


@pytest.mark.parametrize("value", ["off", "OFF", "0", "false", "no"])
def test_client_side_pacing_turns_off_when_asked(value: str) -> None:
    assert load(ZENDESK_RATE_LIMITS=value).rate_limits.enabled is False


@pytest.mark.parametrize("value", ["on", "yes", "1"])
def test_client_side_pacing_stays_on_for_anything_else(value: str) -> None:
    assert load(ZENDESK_RATE_LIMITS=value).rate_limits.enabled is True


@pytest.mark.parametrize(
    ("base_url", "origin"),
    [
        ("http://127.0.0.1:9", "http://127.0.0.1:9"),
        (" HTTPS://Support.Example.COM:8443/ ", "https://support.example.com:8443"),
    ],
)
def test_a_base_url_wins_over_the_subdomain_and_is_normalised(base_url: str, origin: str) -> None:
    assert load(ZENDESK_BASE_URL=base_url).origin == origin


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("ftp://x.example", "must be an http(s) origin"),
        ("https://", "must be an http(s) origin"),
        ("x.example", "must be an http(s) origin"),
        ("https://x.example/api/v2", "must be an origin without a path"),
        ("https://x.example/?locale=en", "must be an origin without a path"),
        ("https://x.example#top", "must be an origin without a path"),
    ],
)
def test_a_base_url_that_is_not_an_origin_is_refused(base_url: str, problem: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        load(ZENDESK_BASE_URL=base_url)
    assert str(refused.value) == f"ZENDESK_BASE_URL {problem}, got {base_url!r}"


@pytest.mark.parametrize("base_url", ["https://me:pw@x.example", "https://me@x.example"])
def test_a_base_url_with_credentials_is_refused_without_echoing_them(base_url: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        load(ZENDESK_BASE_URL=base_url)
    assert str(refused.value) == "ZENDESK_BASE_URL must not carry credentials"


@pytest.mark.parametrize("subdomain", ["acme.evil.example", "-acme", "a" * 64, "ac me"])
def test_a_subdomain_that_is_not_one_is_refused(subdomain: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        load(ZENDESK_SUBDOMAIN=subdomain)
    assert str(refused.value) == f"ZENDESK_SUBDOMAIN is not a valid subdomain: {subdomain!r}"


def test_a_subdomain_is_lowered_into_its_zendesk_origin() -> None:
    assert load(ZENDESK_SUBDOMAIN="Acme-Support2").origin == "https://acme-support2.zendesk.com"


def test_without_a_subdomain_or_base_url_the_error_says_what_to_set() -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.load({"ZENDESK_EMAIL": "a@b.c", "ZENDESK_API_TOKEN": "t"})
    assert str(refused.value) == (
        "set ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL) to say which Zendesk to talk to"
    )


NO_CREDENTIALS = (
    "no Zendesk credentials: set ZENDESK_OAUTH_TOKEN (with ZENDESK_OAUTH_CLIENT_ID, "
    "ZENDESK_OAUTH_CLIENT_SECRET and ZENDESK_OAUTH_REFRESH_TOKEN to refresh it), "
    "or ZENDESK_EMAIL and ZENDESK_API_TOKEN"
)


@pytest.mark.parametrize(
    "environ",
    [{}, {"ZENDESK_EMAIL": "a@b.c"}, {"ZENDESK_API_TOKEN": "t"}, {"ZENDESK_OAUTH_CLIENT_ID": "c"}],
)
def test_incomplete_credentials_say_what_to_set(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.load({"ZENDESK_SUBDOMAIN": "acme", **environ})
    assert str(refused.value) == NO_CREDENTIALS


OAUTH = {
    "ZENDESK_OAUTH_TOKEN": "access",
    "ZENDESK_OAUTH_CLIENT_ID": "zdsync",
    "ZENDESK_OAUTH_CLIENT_SECRET": "client-secret",
    "ZENDESK_OAUTH_REFRESH_TOKEN": "refresh",
    "ZENDESK_OAUTH_TOKEN_FILE": "/var/lib/zdsync/tokens.json",
}


def test_every_oauth_variable_reaches_the_credentials_and_oauth_wins(tmp_path: Path) -> None:
    # API-token variables beside OAuth ones: OAuth is used.
    credentials = load(**OAUTH).credentials
    assert credentials == OAuthCredentials(
        access_token=Secret("access"),
        client_id="zdsync",
        client_secret=Secret("client-secret"),
        refresh_token=Secret("refresh"),
        token_file=Path("/var/lib/zdsync/tokens.json"),
    )
    assert credentials.can_refresh


def test_an_oauth_token_alone_is_used_as_is_and_cannot_refresh() -> None:
    credentials = Settings.load({"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "access"})
    # The README's default token file.
    assert credentials.credentials == OAuthCredentials(
        access_token=Secret("access"), token_file=Path("data/.oauth-tokens.json")
    )
    assert not credentials.credentials.can_refresh


def test_a_refresh_token_alone_with_its_client_is_enough() -> None:
    environ = {key: OAUTH[key] for key in OAUTH if key != "ZENDESK_OAUTH_TOKEN"}
    credentials = Settings.load({"ZENDESK_SUBDOMAIN": "acme", **environ}).credentials
    assert isinstance(credentials, OAuthCredentials)
    assert credentials.access_token is None
    assert credentials.refresh_token == Secret("refresh")
    assert credentials.can_refresh


def test_a_client_without_a_refresh_token_is_accepted_but_cannot_refresh() -> None:
    environ = {key: OAUTH[key] for key in OAUTH if key != "ZENDESK_OAUTH_REFRESH_TOKEN"}
    credentials = Settings.load({"ZENDESK_SUBDOMAIN": "acme", **environ}).credentials
    assert isinstance(credentials, OAuthCredentials)
    assert credentials.client_secret == Secret("client-secret")
    assert not credentials.can_refresh


@pytest.mark.parametrize("missing", ["ZENDESK_OAUTH_CLIENT_ID", "ZENDESK_OAUTH_CLIENT_SECRET"])
def test_a_refresh_token_without_its_client_is_refused(missing: str) -> None:
    environ = {key: value for key, value in OAUTH.items() if key != missing}
    with pytest.raises(ConfigurationError) as refused:
        Settings.load({"ZENDESK_SUBDOMAIN": "acme", **environ})
    assert str(refused.value) == (
        "ZENDESK_OAUTH_REFRESH_TOKEN needs ZENDESK_OAUTH_CLIENT_ID and ZENDESK_OAUTH_CLIENT_SECRET"
    )


def test_without_an_argument_the_process_environment_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [name for name in os.environ if name.startswith("ZENDESK_")]:
        monkeypatch.delenv(name)
    for name, value in {**MINIMAL, "ZENDESK_RATE_LIMIT": "200"}.items():
        monkeypatch.setenv(name, value)
    assert Settings.load() == load(ZENDESK_RATE_LIMIT="200")


@contextmanager
def dlt_project(path: Path) -> Iterator[None]:
    """Work in ``path`` as a command started there would.

    dlt fixes its project directory, and so the ``.dlt/`` it reads, the first time anything in
    the process reads its configuration; point it at ``path`` and back again.
    """
    context = Container()[PluggableRunContext]
    before, cwd = context.context.run_dir, os.getcwd()
    os.chdir(path)
    context.reload(str(path))
    try:
        yield
    finally:
        os.chdir(cwd)
        context.reload(before)


def toml(values: dict[str, str]) -> str:
    return "[zendesk]\n" + "".join(f'{key} = "{value}"\n' for key, value in values.items())


# Every setting, as dlt's files hold it: the secrets in secrets.toml, the rest in config.toml.
DLT_SECRETS = {
    "oauth_token": "access",
    "oauth_client_secret": "client-secret",
    "oauth_refresh_token": "refresh",
}
DLT_CONFIG = {
    "subdomain": "fromdlt",
    "oauth_client_id": "zdsync",
    "oauth_token_file": "tokens.json",
    "high_volume": "true",
    "rate_limit": "1000",
    "incremental_rate_limit": "25",
    "users_cursor_rate_limit": "50",
    "rate_window_seconds": "30",
    "rate_limits": "off",
    "timeout_seconds": "20",
}


def test_every_setting_can_come_from_dlt_files_under_its_environment_name(tmp_path: Path) -> None:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "secrets.toml").write_text(toml(DLT_SECRETS))
    (tmp_path / ".dlt" / "config.toml").write_text(toml(DLT_CONFIG))
    environ = {
        f"ZENDESK_{key.upper()}": value for key, value in {**DLT_SECRETS, **DLT_CONFIG}.items()
    }

    from_environment = Settings.load(environ)
    with dlt_project(tmp_path):
        from_dlt = Settings.load({})
        # The environment wins; an empty variable counts as unset.
        overridden = Settings.load({"ZENDESK_SUBDOMAIN": "fromenv", "ZENDESK_RATE_LIMIT": ""})

    assert from_dlt == from_environment
    assert from_dlt.origin == "https://fromdlt.zendesk.com"
    assert from_dlt.rate_limits == RateLimitSettings(
        1000, 25, 50, 1, 30.0, False, ticket_updates_per_window=300
    )
    assert overridden.origin == "https://fromenv.zendesk.com"
    assert overridden.rate_limits.account_per_window == 1000


def test_api_token_credentials_can_come_from_dlt_secrets(tmp_path: Path) -> None:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "secrets.toml").write_text(
        toml({"subdomain": "fromdlt", "email": "x@y.z", "api_token": "abc"})
    )
    with dlt_project(tmp_path):
        settings = Settings.load({})
    assert settings.origin == "https://fromdlt.zendesk.com"
    assert settings.credentials == ApiTokenCredentials("x@y.z", Secret("abc"))


def test_the_base_url_and_high_volume_can_come_from_dlt_config(tmp_path: Path) -> None:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "secrets.toml").write_text(toml({"email": "x@y.z", "api_token": "abc"}))
    (tmp_path / ".dlt" / "config.toml").write_text(
        toml({"base_url": "HTTP://LOCALHOST:8080/", "high_volume": "yes"})
    )
    with dlt_project(tmp_path):
        settings = Settings.load({})
    assert settings.origin == "http://localhost:8080"
    # The High Volume add-on's limits: 2500 a minute, 30 and 60 for the exports, 300 ticket
    # updates a minute.
    assert settings.rate_limits == RateLimitSettings(
        2500, 30, 60, 1, 60.0, True, ticket_updates_per_window=300
    )
