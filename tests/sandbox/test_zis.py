"""ZIS over HTTP: the registry and basic-auth connections, with ZIS's own error bodies."""

from __future__ import annotations

import httpx
import pytest

from tests.catalog.conformance import zis_facts
from zdsync import catalog
from zdsync.sandbox.config import ADMIN_EMAIL, AGENT_EMAIL, API_TOKEN
from zdsync.sandbox.server import Sandbox

REGISTRY = "/api/services/zis/registry"
CONNECTIONS = "/api/services/zis/integrations/{}/connections/basic_auth"
GOOD = {"name": "crm", "username": "u", "password": "pw", "allowed_domain": "api.example.com"}


def send(
    sandbox: Sandbox, method: str, path: str, body: object = None, *, email: str = ADMIN_EMAIL
) -> httpx.Response:
    """One request as ``email``; a 2xx answer has the status and the key the seeds give."""
    reply = httpx.request(
        method, sandbox.base_url + path, json=body, auth=(f"{email}/token", API_TOKEN)
    )
    if reply.is_success:
        op = catalog.find(method, path)
        assert op is not None
        fact = zis_facts()[f"{op.method} {op.path}"]
        assert reply.status_code == fact["success_status"]
        if fact["response_key"]:
            assert set(reply.json()) == {fact["response_key"]}
    return reply


def test_registering_answers_an_oauth_client_once_and_refuses_bad_names(sandbox: Sandbox) -> None:
    made = send(sandbox, "POST", f"{REGISTRY}/crm_sync", {"description": "CRM"})
    twice = send(sandbox, "POST", f"{REGISTRY}/crm_sync", {})
    bad = send(sandbox, "POST", f"{REGISTRY}/CRM sync", {})
    long = send(sandbox, "POST", f"{REGISTRY}/{'a' * 65}", {})

    assert made.status_code == 200
    client = made.json()["zendesk_oauth_client"]
    assert client["identifier"] == "zis_crm_sync"
    assert sandbox.app.zis.client_secret_matches("crm_sync", client["secret"])
    assert made.json()["jwt_public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    for refused in (twice, bad, long):
        assert refused.status_code == 400
        (error,) = refused.json()["errors"]
        assert (error["code"], error["status"]) == ("1010", "400")
    assert send(sandbox, "POST", f"{REGISTRY}/x", {}, email=AGENT_EMAIL).status_code == 401


@pytest.mark.parametrize(
    ("domain", "accepted"),
    [
        ("api.example.com", True),
        ("crm-1.eu.example.org", True),
        ("https://api.example.com", False),
        ("api.example.com/path", False),
        ("api.example.com:8443", False),
        ("*.example.com", False),
        ("localhost", False),
        ("-bad.example.com", False),
        ("", False),
    ],
)
def test_allowed_domain_must_be_a_bare_hostname(
    sandbox: Sandbox, domain: str, accepted: bool
) -> None:
    sandbox.app.zis.register("i", "")
    reply = send(sandbox, "POST", CONNECTIONS.format("i"), {**GOOD, "allowed_domain": domain})
    patched = send(sandbox, "PATCH", CONNECTIONS.format("i") + "/crm", {"allowed_domain": domain})

    assert reply.status_code == (201 if accepted else 400), reply.text
    if accepted:
        assert patched.status_code == 204
    else:
        assert reply.json()["errors"][0]["code"] == "InvalidParameter"
        assert "crm" not in sandbox.app.zis.integrations["i"].connections


def test_connections_conflict_hide_their_password_and_go(sandbox: Sandbox) -> None:
    sandbox.app.zis.register("i", "")
    path = CONNECTIONS.format("i")
    created = send(sandbox, "POST", path, GOOD)
    again = send(sandbox, "POST", path, GOOD)
    changed = send(sandbox, "PATCH", f"{path}/crm", {"password": "new", "username": "v"})
    shown = send(sandbox, "GET", f"{path}/crm")
    gone = send(sandbox, "DELETE", f"{path}/crm")
    after = send(sandbox, "GET", f"{path}/crm")

    assert created.status_code == 201
    assert again.status_code == 409
    assert again.json() == {"errors": [{"code": "Conflict", "title": "Resource conflict"}]}
    assert (changed.status_code, changed.content) == (204, b"")
    assert shown.json()["basic_auth"]["username"] == "v"
    assert shown.json()["basic_auth"]["password"] == "*****"
    assert "new" not in shown.text
    assert gone.status_code == 204
    assert after.status_code == 404
    assert after.json()["errors"][0] == {"code": "NotFound", "title": "Connection does not exist"}


def test_refusals_are_zis_bodies(sandbox: Sandbox) -> None:
    unknown = send(sandbox, "POST", CONNECTIONS.format("nope"), GOOD)
    missing = send(sandbox, "POST", CONNECTIONS.format("nope"), {"name": "x"})
    as_agent = send(sandbox, "GET", CONNECTIONS.format("nope") + "/x", email=AGENT_EMAIL)
    unauthenticated = httpx.get(sandbox.base_url + CONNECTIONS.format("nope") + "/x")

    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["code"] == "InvalidIntegration"
    assert missing.status_code == 400
    assert as_agent.status_code == 403
    assert as_agent.json()["errors"][0]["code"] == "Forbidden"
    assert unauthenticated.status_code == 401
    assert unauthenticated.json() == {
        "errors": [{"code": "InvalidCredentials", "title": "Token length is invalid"}]
    }
