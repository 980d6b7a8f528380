"""Zendesk Integration Services: the integration registry and basic-auth connections.

ZIS answers with its own error bodies, not Support's: ``{"errors": [{"code", "title"}]}`` for
connections and ``{"errors": [{"code", "detail", "status"}], "message"}`` for the registry.
Registering an integration creates its Zendesk OAuth client, whose secret is shown in that one
answer and kept only as a hash. A connection's password is never answered back: ``*****``.

Where the seeds stop, the sandbox takes the strict reading: a connection's ``name`` is letters,
digits, ``_`` and ``-`` (at most 64), and its ``allowed_domain`` a bare hostname (no scheme,
port, path or wildcard); a second connection of the same name is a 409 ``Conflict``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zdsync.sandbox.fakedata import Record, iso
from zdsync.sandbox.wire import Reply, Request, json_reply
from zdsync.sandbox.writes import is_admin

if TYPE_CHECKING:
    from zdsync.sandbox.routes import Handler
    from zdsync.sandbox.server import App

INTEGRATION_NAME = re.compile(r"^[a-z0-9_-]{1,64}$")
CONNECTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.IGNORECASE)
REDACTED = "*****"
CONNECTION_FIELDS = ("name", "username", "password", "allowed_domain")


@dataclass
class Integration:
    description: str
    client_id: int
    identifier: str
    secret_hash: bytes
    connections: dict[str, Record] = field(default_factory=dict)


class Registry:
    """The account's ZIS integrations and their connections."""

    def __init__(self) -> None:
        self.integrations: dict[str, Integration] = {}
        self.lock = threading.Lock()
        self._next_client_id = 10_000

    def register(self, name: str, description: str) -> tuple[Integration, str]:
        secret = secrets.token_urlsafe(32)
        self._next_client_id += 1
        made = Integration(
            description,
            self._next_client_id,
            f"zis_{name}",
            hashlib.sha256(secret.encode()).digest(),
        )
        self.integrations[name] = made
        return made, secret

    def client_secret_matches(self, name: str, secret: str) -> bool:
        """Whether ``secret`` is the OAuth client secret issued when ``name`` registered."""
        with self.lock:
            found = self.integrations.get(name)
        digest = hashlib.sha256(secret.encode()).digest()
        return found is not None and secrets.compare_digest(found.secret_hash, digest)


def unauthorized() -> Reply:
    """ZIS's 401, for a request whose credentials the sandbox refused."""
    return _errors(401, "InvalidCredentials", "Token length is invalid")


def register(app: App, request: Request, name: str) -> Reply:
    """``POST /api/services/zis/registry/{integration}``: 200 and the new OAuth client."""
    if not is_admin(request.user):
        return _registry_error(401, "1001", "only admins register integrations", "Unauthorized")
    if not INTEGRATION_NAME.match(name):
        detail = "integration must be 1 to 64 of a-z, 0-9, - and _"
        return _registry_error(400, "1010", detail, "Bad Request")
    body = _body(request) or {}
    description = body.get("description", "") if isinstance(body, dict) else None
    if not isinstance(description, str):
        return _registry_error(400, "1010", "description must be a string", "Bad Request")
    with app.zis.lock:
        if name in app.zis.integrations:
            detail = f"integration {name} is already registered"
            return _registry_error(400, "1010", detail, "Bad Request")
        made, secret = app.zis.register(name, description)
    return json_reply(
        200,
        {
            "description": description,
            "jwt_public_key": _public_key(),
            "zendesk_oauth_client": {
                "id": made.client_id,
                "identifier": made.identifier,
                "secret": secret,
            },
        },
    )


def create(app: App, request: Request, integration: str) -> Reply:
    """``POST .../connections/basic_auth``: 201 and the connection, its password redacted."""
    found = _integration(app, request, integration)
    if isinstance(found, Reply):
        return found
    body = _body(request)
    if not isinstance(body, dict):
        return _errors(400, "InvalidParameter", "body must be a JSON object")
    missing = [key for key in CONNECTION_FIELDS if not isinstance(body.get(key), str)]
    if missing:
        return _errors(400, "InvalidParameter", f"{missing[0]} is required")
    refused = _field_problem(body)
    if refused is not None:
        return refused
    with app.zis.lock:
        if body["name"] in found.connections:
            return _errors(409, "Conflict", "Resource conflict")
        now = _now(app)
        connection = {key: body[key] for key in CONNECTION_FIELDS}
        connection.update(created_at=now, updated_at=now)
        found.connections[body["name"]] = connection
    return json_reply(201, {"basic_auth": _shown(connection)})


def show(app: App, request: Request, integration: str, name: str) -> Reply:
    """``GET .../basic_auth/{name}``: the connection, its password redacted."""
    connection = _connection(app, request, integration, name)
    if isinstance(connection, Reply):
        return connection
    return json_reply(200, {"basic_auth": _shown(connection)})


def update(app: App, request: Request, integration: str, name: str) -> Reply:
    """``PATCH .../basic_auth/{name}``: 204; username, password and allowed domain change."""
    connection = _connection(app, request, integration, name)
    if isinstance(connection, Reply):
        return connection
    body = _body(request)
    if not isinstance(body, dict):
        return _errors(400, "InvalidParameter", "body must be a JSON object")
    changes = {key: body[key] for key in ("username", "password", "allowed_domain") if key in body}
    if not all(isinstance(value, str) and value for value in changes.values()):
        return _errors(400, "InvalidParameter", "username, password and allowed_domain are text")
    refused = _field_problem(changes)
    if refused is not None:
        return refused
    with app.zis.lock:
        connection.update(changes, updated_at=_now(app))
    return Reply(204)


def delete(app: App, request: Request, integration: str, name: str) -> Reply:
    """``DELETE .../basic_auth/{name}``: 204, and the connection is gone."""
    found = _integration(app, request, integration)
    if isinstance(found, Reply):
        return found
    with app.zis.lock:
        if found.connections.pop(name, None) is None:
            return _errors(404, "NotFound", "Connection does not exist")
    return Reply(204)


def routes() -> dict[str, Handler]:
    """The handlers by catalog operation, for the server's ``ROUTES``."""
    return {
        "zis.integrations.create": lambda a, r, m: register(a, r, m["integration"]),
        "zis.basic_auth.create": lambda a, r, m: create(a, r, m["integration"]),
        "zis.basic_auth.show": lambda a, r, m: show(a, r, m["integration"], m["name"]),
        "zis.basic_auth.update": lambda a, r, m: update(a, r, m["integration"], m["name"]),
        "zis.basic_auth.delete": lambda a, r, m: delete(a, r, m["integration"], m["name"]),
    }


def is_hostname(value: str) -> bool:
    """A bare DNS hostname: dot-separated labels of letters, digits and inner hyphens."""
    labels = value.split(".")
    return len(value) <= 253 and len(labels) >= 2 and all(_LABEL.match(p) for p in labels)


def _field_problem(body: dict[str, Any]) -> Reply | None:
    if "name" in body and not CONNECTION_NAME.match(body["name"]):
        return _errors(400, "InvalidParameter", "name must be 1 to 64 of A-Z, a-z, 0-9, - and _")
    if "allowed_domain" in body and not is_hostname(body["allowed_domain"]):
        title = "allowed_domain must be a hostname such as api.example.com"
        return _errors(400, "InvalidParameter", title)
    return None


def _integration(app: App, request: Request, name: str) -> Integration | Reply:
    if not is_admin(request.user):
        return _errors(403, "Forbidden", "Cannot access this resource. Missing scope write")
    with app.zis.lock:
        found = app.zis.integrations.get(name)
    if found is None:
        return _errors(400, "InvalidIntegration", "Specified integration is not valid")
    return found


def _connection(app: App, request: Request, integration: str, name: str) -> Record | Reply:
    found = _integration(app, request, integration)
    if isinstance(found, Reply):
        return found
    with app.zis.lock:
        connection = found.connections.get(name)
    if connection is None:
        return _errors(404, "NotFound", "Connection does not exist")
    return connection


def _shown(connection: Record) -> Record:
    return {**connection, "password": REDACTED}


def _errors(status: int, code: str, title: str) -> Reply:
    return json_reply(status, {"errors": [{"code": code, "title": title}]})


def _registry_error(status: int, code: str, detail: str, message: str) -> Reply:
    return json_reply(
        status,
        {"errors": [{"code": code, "detail": detail, "status": str(status)}], "message": message},
    )


def _public_key() -> str:
    # The key's shape, not a usable key: nothing in the sandbox verifies JWTs with it.
    body = base64.encodebytes(secrets.token_bytes(270)).decode()
    return f"-----BEGIN PUBLIC KEY-----\n{body}-----END PUBLIC KEY-----\n"


def _now(app: App) -> str:
    return iso(app.store.now())


def _body(request: Request) -> Any:
    try:
        return request.json()
    except ValueError:
        return None
