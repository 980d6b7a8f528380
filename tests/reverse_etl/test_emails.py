"""The cheap email check gives email_validator's own verdict and reason, address by address."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email

from zdsync.reverse_etl.emails import email_problem

LONG_LOCAL = "a" * 64
LONG_DOMAIN = ".".join(["d" * 63] * 3) + ".com"  # 195 characters

ADDRESSES = [
    "crm.new.1@example.net",
    "A.B@Example.COM",
    "o'brien+tag@example.org",
    "{x}/y=z@example.org",
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "a b@example.com",
    '"quoted"@example.com',
    "ü@example.com",
    "a@münchen.de",
    "a@xn--mnchen-3ya.de",
    "a@example",
    "a@localhost",
    "a@example.invalid",
    "a@site.test",
    "a@123.123",
    "a@[127.0.0.1]",
    "a@-ex.com",
    "a@ex-.com",
    "a@ex..com",
    "a@example.com.",
    "a@",
    "@example.com",
    "a@b@c.com",
    "a@example.com\n",
    f"{LONG_LOCAL}@example.com",
    f"{LONG_LOCAL}b@example.com",
    f"{LONG_LOCAL[:54]}@{LONG_DOMAIN}",
    f"{LONG_LOCAL[:59]}@{LONG_DOMAIN}",
    f"{LONG_LOCAL}@{LONG_DOMAIN}",
]


def validators_verdict(address: str) -> str | None:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_verdict_and_the_reason_are_email_validators(address: str) -> None:
    expected = validators_verdict(address)
    # Twice: the second look at a domain comes from what the first found.
    assert email_problem(address) == expected
    assert email_problem(address) == expected


def test_the_list_holds_both_verdicts() -> None:
    verdicts = [validators_verdict(a) is None for a in ADDRESSES]
    assert verdicts.count(True) >= 6
    assert verdicts.count(False) >= 15


def test_a_domain_found_bad_makes_every_address_on_it_bad() -> None:
    for local in ("a", "b.c", "d+e"):
        assert email_problem(f"{local}@example.invalid") is not None
