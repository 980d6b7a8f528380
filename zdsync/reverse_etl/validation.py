"""Turning a CRM row into a Zendesk user payload, or a reason it cannot be sent.

Pure functions: every check a row must pass before it may leave the machine, in the order a
user would fix them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import phonenumbers

from zdsync.reverse_etl.emails import email_problem
from zdsync.reverse_etl.rows import COLUMNS, ORGANIZATION_COLUMNS, USER_FIELD_PREFIX, InputRow

ROLES = ("end-user", "agent", "admin")
TRUE = ("true", "1", "yes", "y")
FALSE = ("false", "0", "no", "n")


@dataclass(frozen=True)
class UserFieldSpec:
    """One ``/api/v2/user_fields`` definition, as far as validation needs it."""

    key: str
    type: str
    options: tuple[str, ...] = ()


class Invalid(ValueError):
    """A row that must not be sent; the message is the per-row reason."""


def specs_from(definitions: list[dict[str, Any]]) -> dict[str, UserFieldSpec]:
    """Specs keyed by field key, from the API's definitions."""
    return {
        d["key"]: UserFieldSpec(
            d["key"],
            d["type"],
            tuple(str(o["value"]) for o in d.get("custom_field_options") or []),
        )
        for d in definitions
        if d.get("key") and d.get("active", True)
    }


def identity_of(row: InputRow) -> str:
    """The key a row is matched on in Zendesk, and diffed on here: external id, else email."""
    external_id, email = row.values.get("external_id"), row.values.get("email")
    if external_id:
        return "external_id:" + external_id.lower()
    if email:
        return "email:" + email.lower()
    raise Invalid("no external_id or email to match the user on")


def payload_of(row: InputRow, specs: dict[str, UserFieldSpec]) -> dict[str, Any]:
    """The user object for ``create_or_update_many``; raises ``Invalid`` with the reason."""
    values = row.values
    unknown = [
        k for k in values if k not in COLUMNS and not k.startswith(USER_FIELD_PREFIX) and values[k]
    ]
    if unknown:
        raise Invalid(f"unknown columns: {', '.join(sorted(unknown))} (map them or drop them)")
    identity_of(row)
    payload: dict[str, Any] = {}
    for column in ("external_id", "email", "name"):
        if values.get(column):
            payload[column] = values[column]
    if "email" in payload:
        check_email(payload["email"])
    if values.get("phone"):
        payload["phone"] = phone(values["phone"] or "")
    if values.get("role"):
        if values["role"] not in ROLES:
            raise Invalid(f"role {values['role']!r} is not one of {', '.join(ROLES)}")
        payload["role"] = values["role"]
    named = [c for c in ORGANIZATION_COLUMNS if values.get(c)]
    if len(named) > 1:
        raise Invalid(f"name the organization once: {', '.join(named)} are all given")
    if values.get("organization_id"):
        payload["organization_id"] = integer("organization_id", values["organization_id"] or "")
    if values.get("tags"):
        payload["tags"] = tag_list(values["tags"])
    fields = _user_fields(values, specs)
    if fields:
        payload["user_fields"] = fields
    return payload


def tag_list(raw: str | None) -> list[str]:
    """Comma-separated tags as Zendesk keeps them: unique, sorted."""
    return sorted({t.strip() for t in (raw or "").split(",") if t.strip()})


def checkbox(column: str, raw: str) -> bool:
    """``raw`` as true or false; raises ``Invalid`` naming ``column``."""
    if raw.lower() in TRUE:
        return True
    if raw.lower() in FALSE:
        return False
    raise Invalid(f"{column} {raw!r} is not true or false")


def payload_hash(payload: dict[str, Any]) -> str:
    """A stable digest of what would be sent: equal payloads, equal hashes."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def check_email(address: str) -> None:
    """Raises ``Invalid`` unless ``address`` is a well-formed email address."""
    problem = email_problem(address)
    if problem is not None:
        raise Invalid(f"email {address!r} is not a valid address: {problem}")


def phone(raw: str) -> str:
    """The number in E.164 form, from any international notation of it."""
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise Invalid(f"phone {raw!r} is not in E.164 form (+, country code, number)") from None
    if number.extension:
        raise Invalid(f"phone {raw!r} has an extension, which E.164 cannot carry")
    if not phonenumbers.is_valid_number(number):
        raise Invalid(f"phone {raw!r} is not a valid number for its country code")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def integer(column: str, raw: str) -> int:
    """``raw`` as a whole number; raises ``Invalid`` naming ``column``."""
    try:
        return int(raw)
    except ValueError:
        raise Invalid(f"{column} {raw!r} is not a whole number") from None


def _user_fields(values: dict[str, str | None], specs: dict[str, UserFieldSpec]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for column, raw in values.items():
        if not column.startswith(USER_FIELD_PREFIX) or raw is None:
            continue
        key = column.removeprefix(USER_FIELD_PREFIX)
        spec = specs.get(key)
        if spec is None:
            raise Invalid(f"user field {key!r} does not exist in Zendesk")
        fields[key] = field_value(spec, raw)
    return fields


def field_value(spec: UserFieldSpec, raw: str) -> Any:
    """``raw`` as the custom field ``spec`` takes it; raises ``Invalid`` with the reason."""
    if spec.type in ("dropdown", "tagger"):
        if raw not in spec.options:
            raise Invalid(f"{spec.key} {raw!r} is not one of {', '.join(spec.options)}")
        return raw
    if spec.type == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            raise Invalid(f"{spec.key} {raw!r} is not a date (YYYY-MM-DD)") from None
    if spec.type in ("decimal", "integer"):
        try:
            number = float(raw) if spec.type == "decimal" else int(raw)
        except ValueError:
            raise Invalid(f"{spec.key} {raw!r} is not a number") from None
        return number
    if spec.type == "checkbox":
        return checkbox(spec.key, raw)
    return raw
