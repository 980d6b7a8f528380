"""The hand-written account of ``activity_rows``, in DuckDB and PostgreSQL, its models built."""

from __future__ import annotations

import pytest

from tests.postgres import PostgresServer, create_database
from tests.sql.activity_rows import account
from tests.sql.raw_tables import write_duckdb, write_postgres
from tests.sql.test_models import WAREHOUSES, Target


@pytest.fixture(scope="session")
def activity_targets(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer
) -> dict[str, Target]:
    """Both warehouses holding the hand-written account, with every model run."""
    tmp = tmp_path_factory.mktemp("activity")
    db = tmp / "activity.duckdb"
    write_duckdb(db, account())
    url = create_database(postgres.url(), "activity")
    write_postgres(url, account())
    targets = {"duckdb": Target(db), "postgres": Target(db, url)}
    for target in targets.values():
        target.run_models()
    return targets


@pytest.fixture(params=WAREHOUSES)
def activity(request: pytest.FixtureRequest, activity_targets: dict[str, Target]) -> Target:
    target: Target = activity_targets[request.param]
    return target
