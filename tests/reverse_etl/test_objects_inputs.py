"""What every object shares with users: input from a query and a mapping, and 403 refusals."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import settings_for
from tests.reverse_etl.conftest import FAST_POLL, push, write_csv
from zdsync.client import ApiTokenCredentials, RateLimitSettings
from zdsync.client.secrets import Secret
from zdsync.errors import PushError
from zdsync.reverse_etl.push import PushOptions
from zdsync.reverse_etl.push import push as push_object
from zdsync.sandbox import Sandbox
from zdsync.sandbox.config import API_TOKEN


def test_organizations_can_come_from_a_query_and_a_mapping(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    db = tmp_path / "sync.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "CREATE TABLE accounts AS SELECT 'A-' || i AS account_id, 'Account ' || i AS title, "
            "'acct' || i || '.example.net' AS domain FROM range(4) t(i)"
        )
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\naccount_id = "external_id"\ntitle = "name"\ndomain = "domain_names"\n'
    )

    summary = push(
        crm_sandbox, tmp_path, "organizations", query="SELECT * FROM accounts", mapping=mapping
    )

    assert summary.totals.created == 4
    (made,) = [
        o for o in crm_sandbox.store.organizations.records.values() if o["external_id"] == "A-2"
    ]
    assert (made["name"], made["domain_names"]) == ("Account 2", ["acct2.example.net"])


@pytest.mark.parametrize(
    ("obj", "row", "refusal"),
    [
        ("organizations", {"name": "Refused Inc"}, "may not create or update organizations"),
        ("tickets", {"id": "", "external_id": "t-1", "comment": "hi"}, "may not update tickets"),
    ],
)
def test_credentials_that_may_not_write_stop_the_run_in_one_line(
    crm_sandbox: Sandbox, tmp_path: Path, obj: str, row: dict[str, str], refusal: str
) -> None:
    settings = settings_for(
        crm_sandbox,
        credentials=ApiTokenCredentials("user3@example.com", Secret(API_TOKEN)),
        rate_limits=RateLimitSettings(enabled=False),
    )
    options = PushOptions(
        input=write_csv(tmp_path / "rows.csv", [row], list(row)),
        db=tmp_path / "s.duckdb",
        poll=FAST_POLL,
    )

    with pytest.raises(PushError, match=refusal) as raised:
        push_object(settings, obj, options)

    assert "\n" not in str(raised.value)
    assert "Zendesk answered" in str(raised.value)
