"""Users, deleted users, identities, passwords and ZIS through ``ZendeskClient.call``: each
catalog operation once against the sandbox, its answer in the OpenAPI file's shape (the ZIS
seeds' for ZIS), its status the one the file documents, and its effect in the sandbox's state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.catalog.conformance import zis_facts
from tests.conftest import settings_for
from tests.sandbox.oas import spec, validate
from zdsync import catalog
from zdsync.client import OAuthCredentials, ZendeskClient
from zdsync.client.errors import InvalidArgumentsError, InvalidRequestError, NotFoundError
from zdsync.client.secrets import Secret
from zdsync.sandbox import Sandbox, SandboxConfig

SMALL = SandboxConfig(
    rate_limits="off", users=60, tickets=120, organizations=8, admins_set_passwords=True
)
pytestmark = pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
Example = tuple[dict[str, Any], Callable[[Sandbox, dict[str, Any]], bool]]


def end_users(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [
        u
        for _, u in sorted(sandbox.store.users.records.items())
        if u["active"] and u["role"] == "end-user" and u["email"]
    ]


def soft_deleted(sandbox: Sandbox) -> int:
    user = end_users(sandbox)[-1]
    sandbox.store.soft_delete_user(user["id"])
    return int(user["id"])


def second_identity(sandbox: Sandbox, user: dict[str, Any]) -> int:
    sandbox.store.add_identity(user, "email", f"extra-{user['id']}@example.org")
    return int(sandbox.store.identities[user["id"]][-1]["id"])


def examples(sandbox: Sandbox) -> dict[str, Example]:
    """Per operation: its arguments, and what must hold in the sandbox afterwards."""
    store, app = sandbox.store, sandbox.app
    a, b, c, d, e, f, g = end_users(sandbox)[:7]
    gone = soft_deleted(sandbox)
    shown, updated, removed, primary, verified, mailed = (
        second_identity(sandbox, u) for u in (a, b, c, d, e, f)
    )
    app.zis.register("seeded", "for connections")
    app.zis.integrations["seeded"].connections["kept"] = {
        "name": "kept",
        "username": "u",
        "password": "p",
        "allowed_domain": "api.example.com",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    app.passwords.set(g["id"], "old-secret-1")
    connection = {"integration": "seeded", "name": "kept"}

    def identity(user: dict[str, Any], identity_id: int) -> dict[str, Any]:
        return next(i for i in store.identities[user["id"]] if i["id"] == identity_id)

    return {
        "users.count": ({"role": "end-user"}, lambda s, body: body["count"]["value"] > 0),
        "users.related": (
            {"user_id": a["id"]},
            lambda s, body: "requested_tickets" in body["user_related"],
        ),
        "users.request_create": (
            {"user": {"name": "New Agent", "email": "na@example.org"}},
            lambda s, body: s.app.owner_reminders[-1]["email"] == "na@example.org",
        ),
        "users.logout_many": (
            {"ids": [a["id"], b["id"]]},
            lambda s, body: {a["id"], b["id"]} <= set(s.app.logouts),
        ),
        "deleted_users.count": (
            {},
            lambda s, body: body["count"]["value"] == len(s.store.deleted_users()),
        ),
        "deleted_users.show": (
            {"deleted_user_id": gone},
            lambda s, body: body["deleted_user"]["id"] == gone,
        ),
        "deleted_users.delete": (
            {"deleted_user_id": gone},
            lambda s, body: gone in s.store.purged and gone not in s.store.users.records,
        ),
        "identities.list": (
            {"user_id": a["id"]},
            lambda s, body: (
                [i["id"] for i in body["identities"]]
                == [i["id"] for i in s.store.identities[a["id"]]]
            ),
        ),
        "identities.create": (
            {"user_id": a["id"], "identity": {"type": "email", "value": "made@example.org"}},
            lambda s, body: s.store.find_user(email="MADE@example.org")["id"] == a["id"],
        ),
        "identities.show": (
            {"user_id": a["id"], "user_identity_id": shown},
            lambda s, body: body["identity"] == identity(a, shown),
        ),
        "identities.update": (
            {"user_id": b["id"], "user_identity_id": updated, "identity": {"verified": True}},
            lambda s, body: identity(b, updated)["verified"] is True,
        ),
        "identities.delete": (
            {"user_id": c["id"], "user_identity_id": removed},
            lambda s, body: removed not in [i["id"] for i in s.store.identities[c["id"]]],
        ),
        "identities.make_primary": (
            {"user_id": d["id"], "user_identity_id": primary},
            lambda s, body: (
                s.store.users.records[d["id"]]["email"] == identity(d, primary)["value"]
            ),
        ),
        "identities.request_verification": (
            {"user_id": f["id"], "user_identity_id": mailed},
            lambda s, body: s.app.verification_mails == [mailed],
        ),
        "identities.verify": (
            {"user_id": e["id"], "user_identity_id": verified},
            lambda s, body: identity(e, verified)["verified"] is True,
        ),
        "passwords.set": (
            {"user_id": a["id"], "password": "brand-new-9"},
            lambda s, body: s.app.passwords.matches(a["id"], "brand-new-9"),
        ),
        "passwords.change": (
            {"user_id": g["id"], "previous_password": "old-secret-1", "password": "new-secret-2"},
            lambda s, body: s.app.passwords.matches(g["id"], "new-secret-2"),
        ),
        "passwords.requirements": (
            {"user_id": a["id"]},
            lambda s, body: len(body["requirements"]) > 0,
        ),
        "zis.integrations.create": (
            {"integration": "made_here", "description": "made in a test"},
            lambda s, body: s.app.zis.client_secret_matches(
                "made_here", body["zendesk_oauth_client"]["secret"].reveal()
            ),
        ),
        "zis.basic_auth.create": (
            {
                "integration": "seeded",
                "name": "new_one",
                "username": "me",
                "password": "pw",
                "allowed_domain": "crm.example.com",
            },
            lambda s, body: (
                s.app.zis.integrations["seeded"].connections["new_one"]["password"] == "pw"
            ),
        ),
        "zis.basic_auth.show": (connection, lambda s, body: body["basic_auth"]["name"] == "kept"),
        "zis.basic_auth.update": (
            {**connection, "allowed_domain": "other.example.com"},
            lambda s, body: (
                s.app.zis.integrations["seeded"].connections["kept"]["allowed_domain"]
                == "other.example.com"
            ),
        ),
        "zis.basic_auth.delete": (
            connection,
            lambda s, body: "kept" not in s.app.zis.integrations["seeded"].connections,
        ),
    }


OPERATIONS = [
    name
    for name in catalog.BY_NAME
    if name.startswith(("identities.", "passwords.", "zis."))
    or name in ("users.count", "users.related", "users.request_create", "users.logout_many")
    or name in ("deleted_users.count", "deleted_users.show", "deleted_users.delete")
]
# The password writes refuse API tokens: they run as an OAuth user, the changed one for change.
OAUTH = {"passwords.set", "passwords.change"}


def oauth_client(sandbox: Sandbox, user_id: int) -> ZendeskClient:
    access, _ = sandbox.app.accounts.issue(user_id)
    credentials = OAuthCredentials(access_token=Secret(access))
    return ZendeskClient(settings_for(sandbox, credentials=credentials))


def documented_status(op: catalog.Operation) -> tuple[str, Any]:
    """The 2xx status the file (or the ZIS seeds) gives, and its JSON schema there, if any."""
    if op.is_zis:
        return str(zis_facts()[f"{op.method} {op.path}"]["success_status"]), None
    responses = spec()["paths"][op.path][op.method.lower()]["responses"]
    # The compact file keeps only responses with a JSON body; Zendesk's gives the rest 204.
    status = next((code for code in responses if str(code).startswith("2")), "204")
    if status not in responses:
        return status, None
    content = responses[status].get("content", {}).get("application/json", {})
    return str(status), content.get("schema")


def test_the_examples_cover_every_operation_of_these_groups(sandbox: Sandbox) -> None:
    assert sorted(examples(sandbox)) == sorted(OPERATIONS)
    assert len(OPERATIONS) == 23


@pytest.mark.parametrize("name", OPERATIONS)
def test_each_operation_runs_in_the_documented_shape_and_does_what_it_says(
    sandbox: Sandbox, client: ZendeskClient, name: str
) -> None:
    arguments, holds = examples(sandbox)[name]
    op = catalog.operation(name)
    caller_id = arguments["user_id"] if name == "passwords.change" else None
    admin = sandbox.store.find_user(email=sandbox.admin_email)
    assert admin is not None
    chosen = oauth_client(sandbox, caller_id or admin["id"]) if name in OAUTH else client
    with chosen:
        body = chosen.call(name, **arguments)

    status, schema = documented_status(op)
    (last,) = [entry for entry in sandbox.app.log if entry.path.startswith("/api/")][-1:]
    assert (last.method, str(last.status)) == (op.method, status)
    if status == "204" or (schema or {}).get("type") == "string":
        assert body == {}  # Zendesk's "empty response"
    elif schema is not None and "$ref" in schema:
        validate(schema["$ref"].rsplit("/", 1)[1], body)
    assert holds(sandbox, body), name


def test_zis_answers_carry_the_seeds_fields_and_never_a_password(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    made = client.call("zis.integrations.create", integration="shape", description="d")
    connection = {"name": "c", "username": "u", "password": "hunter22", "allowed_domain": "a.io"}
    created = client.call("zis.basic_auth.create", integration="shape", **connection)
    shown = client.call("zis.basic_auth.show", integration="shape", name="c")

    assert set(made) == {"description", "jwt_public_key", "zendesk_oauth_client"}
    assert set(made["zendesk_oauth_client"]) == {"id", "identifier", "secret"}
    assert made["zendesk_oauth_client"]["identifier"] == "zis_shape"
    assert isinstance(made["zendesk_oauth_client"]["secret"], Secret)
    assert "Secret('********')" in repr(made)
    for answer in (created, shown):
        assert set(answer["basic_auth"]) == {*connection, "created_at", "updated_at"}
        assert answer["basic_auth"]["password"] == "*****"


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("identities.create", {"user_id": 7}, "identities.create: missing required argument"),
        ("identities.show", {"user_id": "x", "user_identity_id": 1}, "user_id must be a number"),
        ("deleted_users.delete", {"deleted_user_id": "7;drop"}, "must be a number"),
        ("users.logout_many", {"ids": list(range(101))}, "holds 101 items; Zendesk takes at most"),
        ("zis.basic_auth.create", {"integration": "i", "name": "n"}, "missing required argument"),
        ("passwords.change", {"user_id": 7, "password": "x"}, "'previous_password'"),
    ],
)
def test_wrong_arguments_are_one_line_and_nothing_is_sent(
    sandbox: Sandbox, client: ZendeskClient, name: str, arguments: dict[str, Any], message: str
) -> None:
    before = len(sandbox.app.log)
    with pytest.raises(InvalidArgumentsError, match=message) as refused:
        client.call(name, **arguments)
    assert "\n" not in str(refused.value)
    assert len(sandbox.app.log) == before


def test_zendesks_refusals_are_one_line_errors(sandbox: Sandbox, client: ZendeskClient) -> None:
    user = end_users(sandbox)[0]
    refusals: Iterator[tuple[type[Exception], str, dict[str, Any]]] = iter(
        [
            (NotFoundError, "identities.show", {"user_id": user["id"], "user_identity_id": 1}),
            (NotFoundError, "deleted_users.show", {"deleted_user_id": user["id"]}),
            (
                InvalidRequestError,
                "identities.create",
                {"user_id": user["id"], "identity": {"type": "email", "value": user["email"]}},
            ),
            (InvalidRequestError, "zis.basic_auth.show", {"integration": "none", "name": "x"}),
        ]
    )
    for kind, name, arguments in refusals:
        with pytest.raises(kind) as raised:
            client.call(name, **arguments)
        assert "\n" not in str(raised.value), name
    # The registry's errors carry a detail rather than a title; it is the message.
    with pytest.raises(InvalidRequestError, match="400 1010: integration must be 1 to 64"):
        client.call("zis.integrations.create", integration="Not-Lower")
    with pytest.raises(InvalidRequestError, match="is already being used"):
        client.call(
            "identities.create",
            user_id=user["id"],
            identity={"type": "email", "value": user["email"].upper()},
        )
