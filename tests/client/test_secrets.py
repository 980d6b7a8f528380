"""A Secret prints as a fixed mask however it is formatted, and compares by value."""

from __future__ import annotations

import logging

import pytest

from zdsync.client.secrets import Secret

MASK = "Secret('********')"


def test_every_way_of_printing_a_secret_shows_the_same_mask(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = Secret("hunter2")
    caplog.set_level(logging.INFO)
    logging.getLogger("test").info("token %s, %r", secret, secret)

    shown = [repr(secret), str(secret), f"{secret}", f"{secret:>40}", "%s" % secret]  # noqa: UP031
    assert shown == [MASK] * 5
    assert caplog.messages == [f"token {MASK}, {MASK}"]
    assert repr([secret]) == f"[{MASK}]"


def test_secrets_compare_by_value_and_never_equal_a_plain_string() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert "a" != Secret("a")  # noqa: SIM300  (the string on the left is the case)
    assert Secret("") != Secret("a")


def test_equal_secrets_hash_alike_and_different_ones_spread() -> None:
    assert hash(Secret("token")) == hash(Secret("token"))
    assert len({Secret("token"), Secret("token"), Secret("other")}) == 2
    # Hashing the value, not a constant, keeps a set of many secrets fast.
    assert len({hash(Secret(str(n))) for n in range(50)}) > 1


def test_an_empty_secret_is_falsy() -> None:
    assert not Secret("")
    assert Secret("x")
