"""OAuth against the sandbox's token endpoint: when a token is refreshed, what is sent, what is
kept on disk, and what a refusal says."""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import settings_for
from zdsync.client import OAuthCredentials, ZendeskClient
from zdsync.client.auth import ApiTokenAuth, OAuthAuth, PostForm, TokenFile, TokenPair
from zdsync.client.errors import AuthenticationError, ConfigurationError
from zdsync.client.secrets import Secret
from zdsync.client.settings import ApiTokenCredentials
from zdsync.sandbox import Sandbox
from zdsync.sandbox.config import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def post(sandbox: Sandbox) -> Iterator[PostForm]:
    """Token requests over real HTTP to the sandbox."""
    with httpx.Client(base_url=sandbox.base_url) as http:

        def send(path: str, body: dict[str, Any]) -> httpx.Response:
            return http.post(path, json=body)

        yield send


def credentials(
    token_file: Path,
    access: str | None,
    refresh: str | None,
    *,
    client_secret: str = OAUTH_CLIENT_SECRET,
) -> OAuthCredentials:
    return OAuthCredentials(
        access_token=Secret(access) if access else None,
        client_id=OAUTH_CLIENT_ID,
        client_secret=Secret(client_secret),
        refresh_token=Secret(refresh) if refresh else None,
        token_file=token_file,
    )


def token_requests(sandbox: Sandbox) -> int:
    return sum(1 for entry in sandbox.app.log if entry.path == "/oauth/tokens")


def accepted(sandbox: Sandbox, header: str) -> bool:
    reply = httpx.get(f"{sandbox.base_url}/api/v2/users/me", headers={"Authorization": header})
    return reply.status_code == 200


def admin_pair(sandbox: Sandbox) -> tuple[str, str]:
    return sandbox.app.accounts.issue(min(sandbox.store.users.records))


def test_a_refreshed_token_is_renewed_a_minute_before_the_expiry_zendesk_gave(
    sandbox: Sandbox, token_file: Path, post: PostForm, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="zdsync.client.auth")
    access, refresh = admin_pair(sandbox)
    clock = Clock(1000.0)
    auth = OAuthAuth(credentials(token_file, access, refresh), clock=clock)
    # A token from the environment has no known expiry: it is used until refused.
    auth.before_request(post)
    assert auth.header() == f"Bearer {access}"
    assert token_requests(sandbox) == 0

    assert auth.after_unauthorized(auth.header(), post) is True
    first = auth.header()
    assert first != f"Bearer {access}"
    assert accepted(sandbox, first)
    assert not accepted(sandbox, f"Bearer {access}")
    assert (auth.refreshes, sandbox.app.accounts.refreshes) == (1, 1)
    # The sandbox grants two hours: 1000 + 7200.
    assert json.loads(token_file.read_text())["expires_at"] == 8200.0

    clock.now = 8139.5
    auth.before_request(post)
    assert auth.header() == first
    clock.now = 8140.0
    auth.before_request(post)
    assert auth.header() != first
    assert accepted(sandbox, auth.header())
    assert (auth.refreshes, sandbox.app.accounts.refreshes, token_requests(sandbox)) == (2, 2, 2)
    assert caplog.messages == ["refreshed the OAuth access token"] * 2


def test_a_refusal_of_a_header_another_thread_already_replaced_refreshes_nothing(
    sandbox: Sandbox, token_file: Path, post: PostForm
) -> None:
    access, refresh = admin_pair(sandbox)
    auth = OAuthAuth(credentials(token_file, access, refresh), clock=Clock(0.0))
    stale = auth.header()
    assert auth.after_unauthorized(stale, post) is True
    fresh = auth.header()
    # A second thread's request, sent with the old header, comes back refused too.
    assert auth.after_unauthorized(stale, post) is True
    assert auth.header() == fresh
    assert (auth.refreshes, token_requests(sandbox)) == (1, 1)


def test_a_refresh_token_alone_is_refreshed_before_the_first_request(
    sandbox: Sandbox, token_file: Path
) -> None:
    _, refresh = admin_pair(sandbox)
    settings = settings_for(sandbox, credentials=credentials(token_file, None, refresh))
    with ZendeskClient(settings) as client:
        assert client.get_json("/api/v2/users/me")["user"]["role"] == "admin"
    assert [(e.path, e.status) for e in sandbox.app.log] == [
        ("/oauth/tokens", 201),
        ("/api/v2/users/me", 200),
    ]


def test_an_access_token_that_cannot_be_refreshed_is_refused_once(
    sandbox: Sandbox, token_file: Path, post: PostForm
) -> None:
    access, _ = admin_pair(sandbox)
    sandbox.app.accounts.expire_access_tokens()
    # A pair another configuration saved: without a refresh token of our own it is not read.
    other, _ = admin_pair(sandbox)
    TokenFile(token_file).save(TokenPair(Secret(other), Secret("r"), None))
    only_access = OAuthCredentials(access_token=Secret(access), token_file=token_file)
    auth = OAuthAuth(only_access)
    assert auth.header() == f"Bearer {access}"
    assert auth.after_unauthorized(auth.header(), post) is False

    with (
        ZendeskClient(settings_for(sandbox, credentials=only_access)) as client,
        pytest.raises(AuthenticationError, match=r"^Zendesk refused the credentials: 401 "),
    ):
        client.get_json("/api/v2/users/me")
    assert [(e.path, e.status) for e in sandbox.app.log] == [("/api/v2/users/me", 401)]


def test_a_stored_pair_without_a_refresh_token_ends_in_a_clear_error(
    sandbox: Sandbox, token_file: Path, post: PostForm
) -> None:
    TokenFile(token_file).save(TokenPair(Secret("old"), None, 0.0))
    auth = OAuthAuth(credentials(token_file, "a", "r"), clock=Clock(100.0))
    assert auth.header() == "Bearer old"
    with pytest.raises(AuthenticationError) as caught:
        auth.before_request(post)
    assert str(caught.value) == "the OAuth access token expired and no refresh token is configured"
    assert token_requests(sandbox) == 0


def test_a_refused_refresh_names_zendesks_reason_and_the_way_out(
    sandbox: Sandbox, token_file: Path, post: PostForm
) -> None:
    access, refresh = admin_pair(sandbox)
    wrong = credentials(token_file, access, refresh, client_secret="not-the-secret")
    auth = OAuthAuth(wrong)
    with pytest.raises(AuthenticationError) as caught:
        auth.after_unauthorized(auth.header(), post)
    assert str(caught.value) == (
        "OAuth refresh refused (401 invalid_client); "
        "authorise zdsync again and set a new ZENDESK_OAUTH_REFRESH_TOKEN"
    )
    assert caught.value.status == 401
    assert auth.header() == f"Bearer {access}"
    assert (auth.refreshes, sandbox.app.accounts.refreshes) == (0, 0)
    assert not token_file.exists()


class StandIn:
    """A token endpoint that answers as told and keeps what it was sent."""

    def __init__(self, reply: httpx.Response) -> None:
        self.reply = reply
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, path: str, body: dict[str, Any]) -> httpx.Response:
        self.sent.append((path, body))
        return self.reply


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (httpx.Response(502, text="<html>Bad Gateway</html>"), "502 unknown error"),
        (httpx.Response(400, json={"error_description": "no code"}), "400 unknown error"),
        (httpx.Response(400, json={"error": "invalid_grant"}), "400 invalid_grant"),
        (httpx.Response(202, json={"access_token": "new"}), "202 unknown error"),
    ],
)
def test_a_refusal_without_a_readable_code_still_says_what_happened(
    token_file: Path, reply: httpx.Response, reason: str
) -> None:
    auth = OAuthAuth(credentials(token_file, "a", "r"))
    with pytest.raises(AuthenticationError, match=rf"^OAuth refresh refused \({reason}\); "):
        auth.after_unauthorized(auth.header(), StandIn(reply))


def test_a_reply_without_a_new_refresh_token_or_expiry_keeps_the_old_refresh_token(
    token_file: Path,
) -> None:
    endpoint = StandIn(httpx.Response(200, json={"access_token": "new", "refresh_token": ""}))
    auth = OAuthAuth(credentials(token_file, "a", "old-refresh"), clock=Clock(50.0))
    auth.after_unauthorized(auth.header(), endpoint)

    assert endpoint.sent == [
        (
            "/oauth/tokens",
            {
                "grant_type": "refresh_token",
                "refresh_token": "old-refresh",
                "client_id": OAUTH_CLIENT_ID,
                "client_secret": OAUTH_CLIENT_SECRET,
            },
        )
    ]
    assert auth.header() == "Bearer new"
    assert json.loads(token_file.read_text()) == {
        "access_token": "new",
        "refresh_token": "old-refresh",
        "expires_at": None,
    }
    # No expiry: nothing refreshes before a refusal.
    auth.before_request(endpoint)
    assert len(endpoint.sent) == 1
    # The kept refresh token is the one the next refresh sends.
    endpoint.reply = httpx.Response(200, json={"access_token": "newer", "expires_in": 30})
    auth.after_unauthorized(auth.header(), endpoint)
    assert endpoint.sent[1][1]["refresh_token"] == "old-refresh"
    assert TokenFile(token_file).load() == TokenPair(Secret("newer"), Secret("old-refresh"), 80.0)


def test_the_token_file_is_private_complete_and_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "tokens.json"
    TokenFile(path).save(TokenPair(Secret("acc"), Secret("ref"), 12.5))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert json.loads(path.read_text()) == {
        "access_token": "acc",
        "refresh_token": "ref",
        "expires_at": 12.5,
    }
    TokenFile(path).save(TokenPair(Secret("acc2"), None, None))
    assert TokenFile(path).load() == TokenPair(Secret("acc2"), None, None)
    assert sorted(p.name for p in path.parent.iterdir()) == ["tokens.json"]


def test_the_token_file_is_written_beside_itself_so_the_rename_is_atomic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rename is atomic only within one filesystem: the system's temporary directory, which may
    # be another, is never used (here it does not exist).
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "elsewhere"))
    path = tmp_path / "tokens" / "oauth.json"
    TokenFile(path).save(TokenPair(Secret("acc"), None, None))
    assert TokenFile(path).load() == TokenPair(Secret("acc"), None, None)


def test_a_token_file_that_cannot_be_written_leaves_no_temporary_file(tmp_path: Path) -> None:
    # A directory where the file should be: the final rename fails.
    (tmp_path / "tokens.json").mkdir()
    with pytest.raises(IsADirectoryError):
        TokenFile(tmp_path / "tokens.json").save(TokenPair(Secret("acc"), None, None))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json"]


@pytest.mark.parametrize(
    ("content", "pair"),
    [
        ('{"access_token": "a"}', TokenPair(Secret("a"), None, None)),
        ('{"access_token": "a", "refresh_token": ""}', TokenPair(Secret("a"), None, None)),
        (
            '{"access_token": "a", "refresh_token": "r", "expires_at": 5}',
            TokenPair(Secret("a"), Secret("r"), 5),
        ),
    ],
)
def test_a_token_file_is_read_back(tmp_path: Path, content: str, pair: TokenPair) -> None:
    (tmp_path / "tokens.json").write_text(content)
    assert TokenFile(tmp_path / "tokens.json").load() == pair


def test_a_missing_token_file_is_none_and_an_unreadable_one_a_clear_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tokens.json"
    assert TokenFile(path).load() is None
    path.write_text("{not json")
    with pytest.raises(ConfigurationError) as caught:
        TokenFile(path).load()
    assert str(caught.value) == f"cannot read the OAuth token file {path}: JSONDecodeError"
    path.unlink()
    path.mkdir()
    with pytest.raises(ConfigurationError, match=r": IsADirectoryError$"):
        TokenFile(path).load()


def test_authenticators_show_no_secret(token_file: Path) -> None:
    api = ApiTokenAuth(ApiTokenCredentials("a@b.c", Secret("tok")))
    oauth = OAuthAuth(credentials(token_file, "acc", "ref"))
    assert repr(api) == "ApiTokenAuth(********)"
    assert repr(oauth) == f"OAuthAuth(token_file={str(token_file)!r})"


@pytest.mark.parametrize(
    "partial",
    [
        OAuthCredentials(access_token=None),
        OAuthCredentials(access_token=None, refresh_token=Secret("r")),
        OAuthCredentials(access_token=None, client_id="c", refresh_token=Secret("r")),
    ],
    ids=["nothing", "refresh-token-alone", "no-client-secret"],
)
def test_without_the_means_to_refresh_nothing_is_sent(
    partial: OAuthCredentials, tmp_path: Path
) -> None:
    endpoint = StandIn(httpx.Response(200, json={"access_token": "new"}))
    auth = OAuthAuth(replace(partial, token_file=tmp_path / "tokens.json"))
    with pytest.raises(AuthenticationError) as caught:
        auth.before_request(endpoint)
    assert str(caught.value) == "the OAuth access token expired and no refresh token is configured"
    assert endpoint.sent == []
