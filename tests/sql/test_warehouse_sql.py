"""The DuckDB-to-PostgreSQL rewrites, on literal SQL, checked by running both sides."""

from __future__ import annotations

import json
from collections.abc import Iterator

import duckdb
import psycopg2
import psycopg2.extensions
import pytest

from tests.postgres import PostgresServer, create_database
from zdsync.warehouse_sql import statements

# JSON values as dlt loads them: a list, an empty list, NULL; objects with and without the key.
VALUES = """
    SELECT 1 AS id, '["a", "b"]' AS tags, '{"channel": "web"}' AS via
    UNION ALL SELECT 2, '[]', '{}'
    UNION ALL SELECT 3, NULL, NULL
"""
MODEL = """
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE OR REPLACE TABLE analytics.flat AS
SELECT id, CAST(tags AS VARCHAR[]) AS tags, via ->> '$.channel' AS channel
FROM raw.events
ORDER BY id;
"""
EXPECTED = [(1, ["a", "b"], "web"), (2, [], None), (3, None, None)]


@pytest.fixture
def pg(
    postgres: PostgresServer, request: pytest.FixtureRequest
) -> Iterator[psycopg2.extensions.connection]:
    name = request.node.name.lower().replace("[", "_").replace("]", "")
    connection = psycopg2.connect(create_database(postgres.url(), name))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA raw")
        cursor.execute(
            f"CREATE TABLE raw.events AS SELECT id, CAST(tags AS jsonb) AS tags, "  # noqa: S608
            f"CAST(via AS jsonb) AS via FROM ({VALUES}) AS v"
        )
    yield connection
    connection.close()


def test_duckdb_runs_the_model_as_written() -> None:
    assert statements(MODEL, "duckdb") == [MODEL]
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(
        f"CREATE TABLE raw.events AS SELECT id, CAST(tags AS JSON) AS tags, "  # noqa: S608
        f"CAST(via AS JSON) AS via FROM ({VALUES})"
    )
    con.execute(MODEL)
    con.execute(MODEL)
    assert con.execute("SELECT * FROM analytics.flat").fetchall() == EXPECTED


def test_postgres_gets_the_same_rows_from_jsonb_and_can_rerun(
    pg: psycopg2.extensions.connection,
) -> None:
    found = statements(MODEL, "postgres")

    with pg.cursor() as cursor:
        for _ in range(2):
            for statement in found:
                cursor.execute(statement)
        cursor.execute("SELECT * FROM analytics.flat ORDER BY id")
        assert cursor.fetchall() == EXPECTED
    assert found[1].startswith("DROP TABLE IF EXISTS analytics.flat")
    assert "CREATE TABLE analytics.flat" in found[2]


GROUPED = """
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE OR REPLACE TABLE analytics.grouped AS
SELECT id, json_group_object(CAST(id AS VARCHAR), via ->> '$.channel') AS channels
FROM raw.events
GROUP BY id
ORDER BY id;
"""


def test_an_object_built_from_a_group_reads_the_same_on_postgres(
    pg: psycopg2.extensions.connection,
) -> None:
    with pg.cursor() as cursor:
        for statement in statements(GROUPED, "postgres"):
            cursor.execute(statement)
        cursor.execute("SELECT id, channels FROM analytics.grouped ORDER BY id")
        found = cursor.fetchall()
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(
        f"CREATE TABLE raw.events AS SELECT id, CAST(via AS JSON) AS via FROM ({VALUES})"  # noqa: S608
    )
    con.execute(GROUPED)
    expected = [
        (i, json.loads(text))
        for i, text in con.execute("SELECT * FROM analytics.grouped").fetchall()
    ]

    assert found == expected == [(1, {"1": "web"}), (2, {"2": None}), (3, {"3": None})]
