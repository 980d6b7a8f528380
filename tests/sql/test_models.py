"""The SQL models against known answers computed from the sandbox's seeded data.

The same extract and pushes land in DuckDB and in PostgreSQL (through dlt's postgres
destination); every check runs on both, and the two warehouses' models must agree row for row.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.zendesk.streams import TICKET_EVENTS, derived_from
from tests.pipelines.conftest import extract
from tests.postgres import PostgresServer, create_database
from tests.postgres import query as postgres_query
from tests.reverse_etl.conftest import crm_organizations, crm_rows, push, write_csv
from zdsync.errors import TransformError
from zdsync.model_inputs import relation
from zdsync.records import records
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.transform import ModelRun, models, run_models

README = Path(__file__).resolve().parents[2] / "README.md"
# dlt reads the postgres destination's credentials from here.
CREDENTIALS = "DESTINATION__POSTGRES__CREDENTIALS"
# The first test to ask for ``built`` pays for it inside its own time limit: two extracts, six
# pushes and every model on two warehouses, minutes on a busy two-core machine.
pytestmark = pytest.mark.timeout(1200)

WAREHOUSES = ("duckdb", "postgres")


@dataclass(frozen=True)
class Target:
    """A warehouse the models ran on: the DuckDB file, or a PostgreSQL database."""

    db: Path
    postgres_url: str | None = None

    @property
    def destination(self) -> str | None:
        return "postgres" if self.postgres_url else None

    def query(self, sql: str, time_zone: str = "UTC") -> list[dict[str, Any]]:
        if self.postgres_url:
            return postgres_query(self.postgres_url, sql, time_zone)
        with duckdb.connect(str(self.db), read_only=True) as con:
            con.execute(f"SET TimeZone = '{time_zone}'")
            return records(con, sql)

    def copy(self, db: Path) -> Target:
        """A copy of this warehouse, for a test that must not change the shared one."""
        shutil.copy(self.db, db)
        if not self.postgres_url:
            return Target(db)
        name = f"copy_{db.parent.name}".lower()
        template = self.postgres_url.rsplit("/", 1)[1]
        return Target(db, create_database(self.postgres_url, name, template))

    def run_models(self) -> list[ModelRun]:
        with pytest.MonkeyPatch.context() as env:
            if self.postgres_url:
                env.setenv(CREDENTIALS, self.postgres_url)
            return run_models(self.db, destination=self.destination)


Built = dict[str, Any]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer) -> Iterator[Built]:
    """One sandbox extracted into DuckDB and PostgreSQL, pushed to twice, models run on both."""
    tmp = tmp_path_factory.mktemp("models")
    url = create_database(postgres.url(), "models")
    config = SandboxConfig(
        rate_limits="off",
        tickets=1500,
        users=600,
        organizations=40,
        deleted_users=30,
        job_latency_seconds=0.05,
    )
    with Sandbox(config).start() as sandbox:
        sandbox.store.advance_clock(120)
        db = tmp / "sync.duckdb"
        extract(sandbox, db)
        with pytest.MonkeyPatch.context() as env:
            env.setenv(CREDENTIALS, url)
            extract(sandbox, tmp / "unused.duckdb", destination="postgres")
        truth = sandbox.store.snapshot()
        one, other = [
            u
            for u in sandbox.store.users.records.values()
            if u["active"] and u["external_id"] and u["role"] == "end-user"
        ][:2]
        clash = {"external_id": one["external_id"], "email": other["email"], "name": "Clash"}
        source = write_csv(tmp / "crm.csv", [*crm_rows(20), clash, {"email": "bad@", "name": "B"}])
        pushes = [push(sandbox, tmp, input=source, db=db) for _ in range(2)]
        # Renaming one organization to another's name: Zendesk refuses it, run after run.
        keyed_user = one
        live = [o for o in sandbox.store.organizations.records.values() if not o["deleted_at"]]
        keyed, other = [o for o in live if o["external_id"]][:2]
        clash_org = {"external_id": keyed["external_id"], "name": other["name"].upper()}
        orgs = [*crm_organizations(5), clash_org, {"notes": "nameless"}]
        accounts = write_csv(tmp / "orgs.csv", orgs, ["name"])
        pushes += [push(sandbox, tmp, "organizations", input=accounts, db=db) for _ in range(2)]
        contacts = [
            {"user_external_id": keyed_user["external_id"], "type": "email", "value": "w@x.net"},
            {"user_external_id": "nobody", "type": "email", "value": "n@x.net"},
        ]
        phones = write_csv(tmp / "identities.csv", contacts, ["user_external_id"])
        pushes += [push(sandbox, tmp, "identities", input=phones, db=db) for _ in range(2)]
        targets = {"duckdb": Target(db), "postgres": Target(db, url)}
        skipped = {
            kind: {relation(run.name) for run in target.run_models() if run.skipped}
            for kind, target in targets.items()
        }
        yield {"targets": targets, "truth": truth, "pushes": pushes, "skipped": skipped}


@pytest.fixture(params=WAREHOUSES)
def warehouse(request: pytest.FixtureRequest, built: Built) -> tuple[Target, Any, Any, set[str]]:
    kind = request.param
    return built["targets"][kind], built["truth"], built["pushes"], built["skipped"][kind]


def query(target: Target, sql: str) -> list[dict[str, Any]]:
    return target.query(sql)


def test_staging_has_every_ticket_and_no_dlt_columns(warehouse: Any) -> None:
    target, truth, *_ = warehouse
    rows = query(target, "SELECT * FROM analytics.stg_tickets")
    assert len(rows) == len(truth["tickets"])
    assert not [c for c in rows[0] if c.startswith("_dlt")]


def test_custom_fields_are_named(warehouse: Any) -> None:
    target, truth, *_ = warehouse
    ticket = next(t for t in truth["tickets"].values() if t["custom_fields"][0]["value"])
    rows = query(
        target,
        f"SELECT field_title, value FROM analytics.stg_ticket_custom_fields "  # noqa: S608
        f"WHERE ticket_id = {ticket['id']} ORDER BY field_id",
    )
    assert rows[0] == {"field_title": "Product", "value": ticket["custom_fields"][0]["value"]}
    assert len(rows) == len(ticket["custom_fields"])


def test_users_current_is_active_users_without_personal_data(warehouse: Any) -> None:
    target, truth, *_ = warehouse
    rows = query(target, "SELECT * FROM analytics.users_current")
    expected = {u["id"] for u in truth["users"].values() if u["active"] and not u["suspended"]}
    assert {r["user_id"] for r in rows} == expected
    assert not {"name", "email", "phone", "notes", "details", "alias"} & set(rows[0])


def _day(value: str) -> date:
    """The UTC day of a Zendesk timestamp."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).date()


def _week(value: str) -> date:
    day = _day(value)
    return day - timedelta(days=day.weekday())


def _volume(target: Target, time_zone: str) -> dict[tuple[date, str], int]:
    rows = target.query(
        "SELECT week, channel, tickets FROM analytics.ticket_volume_by_channel", time_zone
    )
    return {(r["week"], r["channel"]): r["tickets"] for r in rows}


def _expected_volume(truth: dict[str, Any]) -> dict[tuple[date, str], int]:
    """Live tickets per UTC week (from Monday) and channel."""
    return dict(
        Counter(
            (_week(t["created_at"]), t["via"]["channel"])
            for t in truth["tickets"].values()
            if t["status"] != "deleted"
        )
    )


def test_volume_by_channel_counts_every_live_ticket_in_its_week(warehouse: Any) -> None:
    target, truth, *_ = warehouse

    assert _volume(target, "UTC") == _expected_volume(truth)


def test_days_and_weeks_are_utc_whatever_the_machine_time_zone(
    warehouse: Any, tmp_path: Path
) -> None:
    target, truth, *_ = warehouse
    copy = target.copy(tmp_path / "copy.duckdb")
    # Fourteen hours ahead of UTC: most tickets fall on another local day. PGTZ sets a
    # PostgreSQL session's time zone as TZ sets the machine's.
    far_ahead = {**os.environ, "TZ": "Pacific/Kiritimati", "PGTZ": "Pacific/Kiritimati"}
    if copy.postgres_url:
        far_ahead[CREDENTIALS] = copy.postgres_url
    script = (
        "import sys, pathlib, zdsync.transform as t; "
        "t.run_models(pathlib.Path(sys.argv[1]), destination=sys.argv[2] or None)"
    )

    subprocess.run(  # noqa: S603
        [sys.executable, "-c", script, str(copy.db), copy.destination or ""],
        env=far_ahead,
        check=True,
        timeout=300,
    )

    assert _volume(copy, "Pacific/Kiritimati") == _expected_volume(truth)


def test_gdpr_progress_follows_the_compliance_statuses(warehouse: Any) -> None:
    target, truth, *_ = warehouse
    expected = {}
    for user_id in truth["deleted_users"]:
        statuses = truth["compliance_deletion_statuses"].get(user_id, [])
        started = {s["application"] for s in statuses if s["action"] == "started"}
        done = {s["application"] for s in statuses if s["action"] == "complete"}
        expected[user_id] = (
            "not requested" if not statuses else "complete" if started <= done else "in progress"
        )
    rows = query(target, "SELECT user_id, deletion_state FROM analytics.gdpr_deletion_progress")
    assert {r["user_id"]: r["deletion_state"] for r in rows} == expected
    assert "complete" in expected.values()
    assert "in progress" in expected.values()


def test_sync_health_counts_each_run_and_finds_repeated_failures(warehouse: Any) -> None:
    target, _, pushes, _ = warehouse
    rows = query(target, "SELECT * FROM analytics.user_sync_health")
    assert [
        (r["object"], r["created"], r["updated"], r["unchanged"], r["failed"], r["invalid"])
        for r in rows
    ] == [
        (p.object, t.created, t.updated, t.unchanged, t.failed, t.invalid)
        for p in pushes
        if (t := p.totals)
    ]
    assert [r["object"] for r in rows] == ["users"] * 2 + ["organizations"] * 2 + ["identities"] * 2
    assert (rows[0]["created"], rows[2]["created"], rows[3]["unchanged"]) == (20, 5, 5)
    failing = query(target, "SELECT * FROM analytics.user_sync_failing_rows")
    # Users: the row Zendesk refuses (its external id and email name two users) and the bad
    # email. Organizations: the row renaming one to another's name, and the nameless row.
    assert sorted((r["object"], r["consecutive_failures"]) for r in failing) == [
        ("identities", 2),
        ("organizations", 2),
        ("organizations", 2),
        ("users", 2),
        ("users", 2),
    ]
    assert {"bad@", "row 7"} <= {r["identity"] for r in failing}
    assert "has already been taken" in str(
        {r["last_error"] for r in failing if r["object"] == "organizations"}
    )
    logged = query(target, "SELECT object, count(*) AS n FROM analytics.sync_log GROUP BY 1")
    assert {r["object"]: r["n"] for r in logged} == {
        "users": 44,
        "organizations": 14,
        "identities": 4,
    }
    assert "nobody email:n@x.net" in {r["identity"] for r in failing}


def _expected_backlog(truth: dict[str, Any]) -> dict[tuple[date, str, str], int]:
    """Open tickets per UTC day, status and priority, by the README's definition of open
    without field history.

    A ticket is open on a day from the day it was created on. One now solved or closed is no
    longer open on the day of its last update (the solve), nor after; any other stays open
    through the last day the data covers, the day of the newest update. Each (ticket, day) is
    judged on its own, and deleted tickets are not counted.
    """
    last_day = max(_day(t["updated_at"]) for t in truth["tickets"].values())
    tickets = [
        (
            _day(t["created_at"]),
            _day(t["updated_at"]) if t["status"] in ("solved", "closed") else None,
            t["status"],
            t["priority"] or "none",
        )
        for t in truth["tickets"].values()
        if t["status"] != "deleted"
    ]
    counts: Counter[tuple[date, str, str]] = Counter()
    day = min(created for created, *_ in tickets)
    while day <= last_day:
        for created, solved, status, priority in tickets:
            if created <= day and (day < solved if solved else True):
                counts[(day, status, priority)] += 1
        day += timedelta(days=1)
    return dict(counts)


def _without_ticket_events(target: Target) -> None:
    """Drop the ticket event export's tables, as if it had never been extracted."""
    drop = "; ".join(
        f"DROP TABLE zendesk.{stream.name}"
        for stream in (TICKET_EVENTS, *derived_from(TICKET_EVENTS.name))
    )
    if target.postgres_url:
        postgres_query(target.postgres_url, f"{drop}; SELECT 1 AS dropped")
    else:
        with duckdb.connect(str(target.db)) as con:
            con.execute(drop)


def test_backlog_without_history_counts_a_ticket_open_until_the_day_it_is_solved(
    warehouse: Any, tmp_path: Path
) -> None:
    target, truth, *_ = warehouse
    copy = target.copy(tmp_path / "no-history.duckdb")
    _without_ticket_events(copy)

    runs = {run.name: run for run in copy.run_models()}
    rows = query(
        copy, "SELECT day, status, priority, open_tickets FROM analytics.ticket_backlog_daily"
    )

    assert runs["11_ticket_backlog_daily"].fallback == (
        "needs analytics.ticket_field_history_daily (skipped)"
    )

    backlog = {(r["day"], r["status"], r["priority"]): r["open_tickets"] for r in rows}

    assert backlog == _expected_backlog(truth)


def test_models_are_idempotent(warehouse: Any) -> None:
    target, *_ = warehouse
    sql = "SELECT * FROM analytics.ticket_volume_by_channel"
    before = query(target, sql)
    target.run_models()
    assert query(target, sql) == before


@pytest.mark.parametrize("kind", WAREHOUSES)
def test_a_database_without_an_extract_is_one_clear_error(
    kind: str, tmp_path: Path, postgres: PostgresServer
) -> None:
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    target = Target(db, create_database(postgres.url(), "empty") if kind == "postgres" else None)
    with pytest.raises(TransformError, match=r"tables missing in schema zendesk: .*extract first"):
        target.run_models()


def _readme_models() -> set[str]:
    """The models the README's table lists."""
    section = README.read_text().split("## SQL models", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for cell in rows for name in re.findall(r"`(\w+)`", cell)}


def test_the_analytics_schema_holds_the_readmes_models_each_with_rows(warehouse: Any) -> None:
    target, *_, skipped = warehouse
    found = query(
        target, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'analytics'"
    )
    names = {r["table_name"] for r in found}

    # Skipped: the models whose raw tables this extract has not loaded (tests/sql/test_skips.py).
    assert names == _readme_models() - skipped
    counts = {
        name: query(target, f"SELECT count(*) AS n FROM analytics.{name}")[0]["n"]  # noqa: S608
        for name in sorted(names)
    }
    assert [name for name, n in counts.items() if n == 0] == []


def _comparable(rows: list[dict[str, Any]]) -> list[tuple[tuple[str, Any], ...]]:
    """Rows in a fixed order, JSON text parsed (each warehouse spaces and orders keys its way)."""

    def value(item: Any) -> Any:
        if isinstance(item, str) and item[:1] in ("{", "["):
            return json.loads(item)
        return item

    found = [tuple((key, value(item)) for key, item in row.items()) for row in rows]
    return sorted(found, key=repr)


def test_postgres_models_equal_the_duckdb_models_row_for_row(built: Built) -> None:
    duck, pg = built["targets"]["duckdb"], built["targets"]["postgres"]
    assert built["skipped"]["duckdb"] == built["skipped"]["postgres"]
    for name in sorted(_readme_models() - built["skipped"]["duckdb"]):
        sql = f"SELECT * FROM analytics.{name}"  # noqa: S608
        expected = _comparable(duck.query(sql))
        assert expected, name
        assert _comparable(pg.query(sql)) == expected, name


ZDSYNC = str(Path(sys.executable).parent / "zdsync")


def _cli_transform(db: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZDSYNC_DESTINATION": "postgres", CREDENTIALS: url}
    return subprocess.run(  # noqa: S603
        [ZDSYNC, "transform", "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_cli_runs_the_models_where_zdsync_destination_points(
    built: Built, tmp_path: Path
) -> None:
    duck, pg = built["targets"]["duckdb"], built["targets"]["postgres"]
    copy = pg.copy(tmp_path / "copy.duckdb")
    assert copy.postgres_url
    postgres_query(copy.postgres_url, "DROP SCHEMA analytics CASCADE; SELECT 1 AS done")

    done = _cli_transform(copy.db, copy.postgres_url)

    assert done.returncode == 0, done.stderr
    printed = [line.split()[0] for line in done.stdout.splitlines()]
    assert printed == [path.name.removesuffix(".sql") for path in models()]
    sql = "SELECT * FROM analytics.user_sync_failing_rows"
    assert _comparable(copy.query(sql)) == _comparable(duck.query(sql))


@pytest.mark.parametrize("with_sync_log", [True, False])
def test_refused_credentials_are_one_line_without_the_password(
    built: Built, tmp_path: Path, with_sync_log: bool
) -> None:
    pg = built["targets"]["postgres"]
    assert pg.postgres_url
    wrong = "not-the-password-4711"
    user_and_password, host = pg.postgres_url.removeprefix("postgresql://").split("@")
    url = f"postgresql://{user_and_password.split(':')[0]}:{wrong}@{host}"
    db = pg.db if with_sync_log else tmp_path / "none.duckdb"

    done = _cli_transform(db, url)

    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("zdsync: error: ")
    assert "password authentication failed" in line
    assert wrong not in line


def test_a_failing_model_on_postgres_leaves_the_last_good_models(
    built: Built, tmp_path: Path
) -> None:
    pg = built["targets"]["postgres"]
    copy = pg.copy(tmp_path / "copy.duckdb")
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    for path in models():
        (sql_dir / path.name).write_text(path.read_text())
    (sql_dir / "99_broken.sql").write_text(
        "DROP VIEW analytics.users_current;\nSELECT no_such_function(1);\n"
    )
    before = copy.query("SELECT * FROM analytics.users_current")

    with pytest.MonkeyPatch.context() as env:
        env.setenv(CREDENTIALS, str(copy.postgres_url))
        with pytest.raises(TransformError) as failed:
            run_models(copy.db, sql_dir, destination="postgres")

    assert str(failed.value).startswith("model 99_broken.sql failed: ")
    assert "no_such_function" in str(failed.value)
    assert copy.query("SELECT * FROM analytics.users_current") == before
