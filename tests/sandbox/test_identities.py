"""Identities and passwords over HTTP: the store's identities change, the user's email and
lookups follow, and Zendesk's refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.writing import send
from zdsync.sandbox.config import ADMIN_EMAIL, SandboxConfig
from zdsync.sandbox.server import Sandbox

SMALL = SandboxConfig(rate_limits="off", users=60, tickets=60, organizations=6)
pytestmark = pytest.mark.parametrize("sandbox", [SMALL], indirect=True)


def end_user(sandbox: Sandbox, n: int = 0) -> dict[str, Any]:
    return [
        u
        for _, u in sorted(sandbox.store.users.records.items())
        if u["active"] and u["role"] == "end-user" and u["email"] and u["phone"]
    ][n]


def as_bearer(sandbox: Sandbox, user: dict[str, Any], method: str, path: str) -> httpx.Response:
    access, _ = sandbox.app.accounts.issue(user["id"])
    headers = {"Authorization": f"Bearer {access}"}
    return httpx.request(method, sandbox.base_url + path, headers=headers)


def test_a_new_primary_email_becomes_the_users_email_and_finds_the_user(sandbox: Sandbox) -> None:
    user = end_user(sandbox)
    base = f"/api/v2/users/{user['id']}/identities"
    made = send(sandbox, "POST", base, {"identity": {"type": "email", "value": "New@Example.org"}})
    identity = made.json()["identity"]
    primary = send(sandbox, "PUT", f"{base}/{identity['id']}/make_primary")

    assert made.status_code == 201
    assert identity["primary"] is False
    assert primary.status_code == 200
    flags = {i["value"]: i["primary"] for i in primary.json()["identities"] if i["type"] == "email"}
    assert flags == {user["email"]: False, "New@Example.org": True}
    assert sandbox.store.users.records[user["id"]]["email"] == "New@Example.org"
    assert (
        sandbox.store.find_user(email="new@example.org") == sandbox.store.users.records[user["id"]]
    )
    assert sandbox.store.find_user(email=user["email"])["id"] == user["id"]  # type: ignore[index]


def test_a_deleted_email_identity_no_longer_finds_the_user(sandbox: Sandbox) -> None:
    user = end_user(sandbox)
    base = f"/api/v2/users/{user['id']}/identities"
    made = send(sandbox, "POST", base, {"identity": {"type": "email", "value": "gone@example.org"}})
    deleted = send(sandbox, "DELETE", f"{base}/{made.json()['identity']['id']}")
    listed = send(sandbox, "GET", base).json()["identities"]

    assert deleted.status_code == 204
    assert sandbox.store.find_user(email="gone@example.org") is None
    assert [i["value"] for i in listed] == [user["email"], user["phone"]]


def test_updates_verify_and_refuse_what_zendesk_refuses(sandbox: Sandbox) -> None:
    user, other = end_user(sandbox), end_user(sandbox, 1)
    email_id = sandbox.store.identities[user["id"]][0]["id"]
    path = f"/api/v2/users/{user['id']}/identities/{email_id}"
    sandbox.store.replace_identities(
        user["id"], [{**i, "verified": False} for i in sandbox.store.identities[user["id"]]]
    )

    verified = send(sandbox, "PUT", f"{path}/verify")
    method = send(sandbox, "PUT", path, {"identity": {"verification_method": "none"}})
    primary = send(sandbox, "PUT", path, {"identity": {"primary": False}})
    taken = send(sandbox, "PUT", path, {"identity": {"value": other["email"]}})
    wrong_type = send(
        sandbox, "POST", f"/api/v2/users/{user['id']}/identities", {"identity": {"type": "fax"}}
    )
    elsewhere = send(sandbox, "GET", f"/api/v2/users/{other['id']}/identities/{email_id}")
    mailed = send(sandbox, "PUT", f"{path}/request_verification")

    assert verified.json()["identity"]["verified"] is True
    assert method.json()["identity"]["verified"] is False
    assert primary.status_code == 422
    assert taken.json()["details"]["value"][0]["error"] == "DuplicateValue"
    assert wrong_type.status_code == 422
    assert elsewhere.status_code == 404
    assert (mailed.status_code, mailed.content) == (200, b"")
    assert sandbox.app.verification_mails == [email_id]


def test_the_account_owners_email_is_verified_only_by_mail(sandbox: Sandbox) -> None:
    owner = sandbox.store.find_user(email=ADMIN_EMAIL)
    assert owner is not None
    email_id = sandbox.store.identities[owner["id"]][0]["id"]
    refused = send(sandbox, "PUT", f"/api/v2/users/{owner['id']}/identities/{email_id}/verify")
    assert refused.status_code == 403


def test_an_end_user_sees_only_their_own_email_and_phone(sandbox: Sandbox) -> None:
    user, other = end_user(sandbox), end_user(sandbox, 1)
    sandbox.store.add_identity(user, "twitter", "handle")

    own = as_bearer(sandbox, user, "GET", f"/api/v2/users/{user['id']}/identities")
    theirs = as_bearer(sandbox, user, "GET", f"/api/v2/users/{other['id']}/identities")
    twitter = sandbox.store.identities[user["id"]][-1]["id"]
    hidden = as_bearer(sandbox, user, "GET", f"/api/v2/users/{user['id']}/identities/{twitter}")
    write = as_bearer(sandbox, user, "DELETE", f"/api/v2/users/{user['id']}/identities/{twitter}")

    assert {i["type"] for i in own.json()["identities"]} == {"email", "phone_number"}
    assert (theirs.status_code, hidden.status_code, write.status_code) == (403, 404, 403)


def test_passwords_refuse_api_tokens_weak_ones_and_other_peoples(sandbox: Sandbox) -> None:
    user, other = end_user(sandbox), end_user(sandbox, 1)
    admin = sandbox.store.find_user(email=ADMIN_EMAIL)
    assert admin is not None
    base = sandbox.base_url + f"/api/v2/users/{user['id']}/password"

    def as_user(who: dict[str, Any], method: str, body: object) -> httpx.Response:
        access, _ = sandbox.app.accounts.issue(who["id"])
        return httpx.request(method, base, json=body, headers={"Authorization": f"Bearer {access}"})

    by_token = send(
        sandbox, "POST", f"/api/v2/users/{user['id']}/password", {"password": "abc12345"}
    )
    switched_off = as_user(admin, "POST", {"password": "abc12345"})
    sandbox.app.config.admins_set_passwords = True
    weak = as_user(admin, "POST", {"password": "short"})
    done = as_user(admin, "POST", {"password": "long-enough-1"})
    wrong = as_user(user, "PUT", {"previous_password": "nope", "password": "another-one-2"})
    not_yours = as_user(
        other, "PUT", {"previous_password": "long-enough-1", "password": "x-3x-3x-3"}
    )
    changed = as_user(user, "PUT", {"previous_password": "long-enough-1", "password": "another-2"})

    assert by_token.status_code == 403
    assert switched_off.status_code == 403
    assert weak.status_code == 422
    assert len(weak.json()["details"]["password"]) == 2
    assert done.status_code == 200
    assert wrong.json()["details"]["previous_password"][0]["error"] == "InvalidValue"
    assert not_yours.status_code == 403
    assert changed.status_code == 200
    assert sandbox.app.passwords.matches(user["id"], "another-2")
    assert not sandbox.app.passwords.matches(user["id"], "long-enough-1")
