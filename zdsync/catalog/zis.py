"""Zendesk Integration Services: the integration registry (seed 000) and basic-auth
connections (seed 001). They live outside ``/api/v2`` and outside Zendesk's Support OpenAPI
file, and answer with ZIS's own error bodies."""

from __future__ import annotations

from zdsync.catalog.model import Operation, in_body, in_path

_INTEGRATION = in_path("integration", "string")
_NAME = in_path("name", "string")
_CONNECTIONS = "/api/services/zis/integrations/{integration}/connections/basic_auth"
_CONNECTION = (
    in_body("name", "string"),
    in_body("username", "string"),
    in_body("password", "string", secret=True),
    in_body("allowed_domain", "string"),
)

OPERATIONS = (
    # There is no delete: an integration is disabled by uninstalling its job spec.
    Operation(
        "zis.integrations.create",
        "POST",
        "/api/services/zis/registry/{integration}",
        (_INTEGRATION, in_body("description", "string", required=False)),
        # Zendesk shows the OAuth client's secret in this one answer and never again.
        secret_fields=("zendesk_oauth_client.secret",),
        sources=("000",),
    ),
    Operation(
        "zis.basic_auth.create",
        "POST",
        _CONNECTIONS,
        (_INTEGRATION, *_CONNECTION),
        "basic_auth",
        sources=("001",),
    ),
    Operation(
        "zis.basic_auth.show",
        "GET",
        f"{_CONNECTIONS}/{{name}}",
        (_INTEGRATION, _NAME),
        "basic_auth",
        sources=("001",),
    ),
    Operation(
        "zis.basic_auth.update",
        "PATCH",
        f"{_CONNECTIONS}/{{name}}",
        (
            _INTEGRATION,
            _NAME,
            in_body("username", "string", required=False),
            in_body("password", "string", required=False, secret=True),
            in_body("allowed_domain", "string", required=False),
        ),
        sources=("001",),
    ),
    Operation(
        "zis.basic_auth.delete",
        "DELETE",
        f"{_CONNECTIONS}/{{name}}",
        (_INTEGRATION, _NAME),
        destructive=True,
        sources=("001",),
    ),
)
