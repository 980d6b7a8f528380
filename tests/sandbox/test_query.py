"""The search language's parser, on literal queries."""

from __future__ import annotations

import pytest

from zdsync.sandbox.query_syntax import QueryError, Term, parse


def test_terms_keep_their_keyword_operator_value_and_negation() -> None:
    assert parse('  type:ticket -status<=hold "login refund"  Tags:VIP created>=2024-05-01 ') == [
        Term("type", ":", "ticket"),
        Term("status", "<=", "hold", negated=True),
        Term(None, ":", "login refund"),
        Term("tags", ":", "VIP"),
        Term("created", ">=", "2024-05-01"),
    ]
    assert parse('organization:"MD Photo" -"a b" email:a+b@example.com') == [
        Term("organization", ":", "MD Photo"),
        Term(None, ":", "a b", negated=True),
        Term("email", ":", "a+b@example.com"),
    ]
    assert parse("") == []
    assert str(Term("status", "<", "solved", negated=True)) == "-status<solved"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('status:"open', "Unbalanced quote"),
        ('"a b"c', "Unbalanced quote"),
        ('abc"', "Unbalanced quote"),
        ("-", "Invalid search term"),
        ("status:", "Invalid search term"),
        ('""', "Invalid search term"),
    ],
)
def test_malformed_terms_are_refused(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse(query)
