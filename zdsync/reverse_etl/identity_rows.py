"""Turning a CRM row into a user identity to add (or make primary), or a reason it cannot be.

One row per identity: the user, by ``user_external_id`` or ``user_email``; ``type``, ``email``
or ``phone_number``; ``value``, a well-formed address or a phone number (sent as E.164); and
``primary``, true when the CRM says this one is the user's main one of its type.
"""

from __future__ import annotations

from typing import Any

from zdsync.reverse_etl.rows import InputRow
from zdsync.reverse_etl.validation import Invalid, check_email, checkbox, phone

TYPES = ("email", "phone_number")
USER_KEYS = ("user_external_id", "user_email")
COLUMNS = (*USER_KEYS, "type", "value", "primary")


def user_of(row: InputRow) -> str:
    """Which user the row adds to: ``external_id:...`` or ``email:...``, lower-cased."""
    external_id, email = row.values.get("user_external_id"), row.values.get("user_email")
    if external_id:
        return f"external_id:{external_id.lower()}"
    if email:
        return f"email:{email.lower()}"
    raise Invalid("no user_external_id or user_email to find the user by")


def identity_of(row: InputRow) -> str:
    """The user and the identity, so the same address on two users is two identities."""
    payload = payload_of(row)
    return f"{user_of(row)}|{payload['type']}:{str(payload['value']).lower()}"


def payload_of(row: InputRow) -> dict[str, Any]:
    """The identity to add; raises ``Invalid`` with the reason."""
    values = row.values
    unknown = sorted(k for k in values if k not in COLUMNS and values[k])
    if unknown:
        raise Invalid(f"unknown columns: {', '.join(unknown)} (map them or drop them)")
    user_of(row)
    kind, raw = values.get("type"), values.get("value")
    if kind not in TYPES:
        raise Invalid(f"type {kind!r} is not one of {', '.join(TYPES)}")
    if not raw:
        raise Invalid(f"no value for the {kind} identity")
    if kind == "email":
        check_email(raw)
        value = raw
    else:
        value = phone(raw)
    payload: dict[str, Any] = {"type": kind, "value": value}
    if values.get("primary") and checkbox("primary", values["primary"] or ""):
        payload["primary"] = True
    return payload
