"""The activity models over a real extract of the sandbox, against the sandbox's own truth.

The sandbox is extracted over HTTP into DuckDB and the models run; then a solved ticket is
reopened, an open one put on hold, a new one answered by an agent and another new one made
urgent, all through the API, and the extract and the models run again. ``ticket_metrics`` must
equal the metric sets Zendesk (the sandbox) sideloads, both times; the daily history, the
backlog, the SLA breaches and the enriched tickets must equal what ``sandbox_truth`` replays
from the sandbox's records.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest

from pipelines.zendesk.columns import TICKET_METRIC_DURATIONS
from tests.pipelines.conftest import extract
from tests.sql import sandbox_truth
from tests.sql.test_models import Target
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.activity import SLA_POLICIES
from zdsync.sandbox.config import ADMIN_EMAIL
from zdsync.transform import run_models

CONFIG = SandboxConfig(rate_limits="off", tickets=250, users=120, organizations=20)
COUNTS = ("reopens", "replies", "assignee_stations", "group_stations")
MOMENTS = (
    "solved_at",
    "assigned_at",
    "initially_assigned_at",
    "status_updated_at",
    "requester_updated_at",
    "assignee_updated_at",
    "latest_comment_added_at",
)
MINUTES = tuple(f"{duration}_calendar" for duration in TICKET_METRIC_DURATIONS)


@dataclass(frozen=True)
class Synced:
    """The sandbox, its warehouse before the API changes and after, and the changed tickets."""

    sandbox: Sandbox
    before: Target
    after: Target
    changed: dict[str, int]
    at: dict[str, int]
    ran_at: float


def _call(sandbox: Sandbox, ticket_id: int, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.put(
        f"{sandbox.base_url}/api/v2/tickets/{ticket_id}.json",
        json={"ticket": body},
        auth=(f"{ADMIN_EMAIL}/token", sandbox.api_token),
    )
    assert response.status_code == 200, response.text
    ticket: dict[str, Any] = response.json()["ticket"]
    return ticket


def _pick(sandbox: Sandbox, status: str) -> int:
    return min(t for t, r in sandbox.store.tickets.records.items() if r["status"] == status)


def _unanswered(sandbox: Sandbox) -> list[int]:
    """The new tickets no agent has yet commented on in public, by id."""
    agents = {u["id"] for u in sandbox.store.users.records.values() if u["role"] != "end-user"}
    return sorted(
        ticket_id
        for ticket_id, ticket in sandbox.store.tickets.records.items()
        if ticket["status"] == "new"
        and not any(
            child["event_type"] == "Comment" and child["public"] and child["author_id"] in agents
            for audit in sandbox.store.audits.of_ticket(ticket_id)
            for child in audit["child_events"]
        )
    )


def _change_through_the_api(sandbox: Sandbox) -> tuple[dict[str, int], dict[str, int]]:
    changed = {"reopened": _pick(sandbox, "solved"), "held": _pick(sandbox, "open")}
    unanswered = _unanswered(sandbox)
    changed["replied"] = unanswered[0]
    records = sandbox.store.tickets.records
    changed["escalated"] = next(
        t for t in unanswered[1:] if records[t]["priority"] in ("low", "normal")
    )
    bodies: dict[str, dict[str, Any]] = {
        "reopened": {"status": "open"},
        "held": {"status": "hold", "comment": {"body": "Waiting on the vendor", "public": False}},
        "replied": {"comment": {"body": "We are on it", "public": True}},
        "escalated": {"priority": "urgent"},
    }
    at = {}
    for name, body in bodies.items():
        sandbox.store.advance_clock(30 * 60)
        at[name] = sandbox_truth.epoch(_call(sandbox, changed[name], body)["updated_at"])
    return changed, at


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    tmp = tmp_path_factory.mktemp("activity-e2e")
    db = tmp / "sync.duckdb"
    with Sandbox(CONFIG).start() as sandbox:
        # Exports withhold the last minute; step past it so every change is exported.
        sandbox.store.advance_clock(120)
        extract(sandbox, db)
        run_models(db)
        shutil.copy(db, tmp / "before.duckdb")
        changed, at = _change_through_the_api(sandbox)
        sandbox.store.advance_clock(120)
        extract(sandbox, db)
        run_models(db)
        # The models judge a breach past by the wall clock they ran at.
        ran_at = time.time()
        yield Synced(sandbox, Target(tmp / "before.duckdb"), Target(db), changed, at, ran_at)


def _value(value: Any) -> Any:
    return int(value.timestamp()) if isinstance(value, datetime) else value


def _metrics(target: Target, table: str) -> dict[int, dict[str, Any]]:
    rows = target.query(f"SELECT * FROM {table}")  # noqa: S608
    return {
        row["ticket_id"]: {key: _value(row[key]) for key in (*COUNTS, *MOMENTS, *MINUTES)}
        for row in rows
    }


def _disagreements(target: Target) -> list[tuple[int, str, Any, Any]]:
    """(ticket, field, model's value, Zendesk's) wherever the two differ."""
    model = _metrics(target, "analytics.ticket_metrics")
    zendesk = _metrics(target, "zendesk.ticket_metrics")
    assert model.keys() == zendesk.keys()
    return [
        (ticket_id, key, model[ticket_id][key], expected)
        for ticket_id, fields in sorted(zendesk.items())
        for key, expected in fields.items()
        if model[ticket_id][key] != expected
    ]


def test_ticket_metrics_equal_zendesks_metric_sets_for_every_ticket(synced: Synced) -> None:
    assert _disagreements(synced.before) == []


def test_they_still_agree_after_a_reopen_a_hold_and_a_reply(synced: Synced) -> None:
    before = _metrics(synced.before, "analytics.ticket_metrics")
    after = _metrics(synced.after, "analytics.ticket_metrics")
    reopened, held, replied = (synced.changed[k] for k in ("reopened", "held", "replied"))

    assert _disagreements(synced.after) == []
    # Worked out from each write's time: a reopen counts once and keeps the last solve; the
    # hold is the status's last change; the agent's first public comment is the first reply.
    assert after[reopened]["reopens"] == before[reopened]["reopens"] + 1
    assert after[reopened]["solved_at"] == before[reopened]["solved_at"] is not None
    assert after[held]["status_updated_at"] == synced.at["held"]
    created = sandbox_truth.epoch(synced.sandbox.store.tickets.records[replied]["created_at"])
    assert before[replied]["replies"] == 0
    assert after[replied]["replies"] == 1
    assert after[replied]["reply_time_in_minutes_calendar"] == (
        (synced.at["replied"] - created) // 60
    )


def test_agent_work_time_is_how_long_the_metric_events_ran_that_clock(synced: Synced) -> None:
    # Zendesk's metric sets carry no agent work time: the truth is the sandbox's SLA clock,
    # from its metric events, which the model does not read.
    expected = sandbox_truth.agent_work_minutes(synced.sandbox)
    rows = synced.after.query(
        "SELECT ticket_id, agent_work_time_in_minutes_calendar AS minutes "
        "FROM analytics.ticket_metrics"
    )

    found = {r["ticket_id"]: r["minutes"] for r in rows}

    assert found == expected
    # Tickets still new have no figure yet; many others have worked minutes.
    assert None in found.values()
    assert sum(1 for minutes in found.values() if minutes) > 10


def test_daily_history_is_the_replay_of_the_audits(synced: Synced) -> None:
    expected = sandbox_truth.daily_history(synced.sandbox)
    rows = synced.after.query("SELECT * FROM analytics.ticket_field_history_daily")

    found = {
        (r["ticket_id"], r["day"]): (r["status"], r["priority"], r["assignee_id"], r["group_id"])
        for r in rows
    }

    assert found == expected
    today = sandbox_truth.day(synced.at["replied"])
    assert found[(synced.changed["reopened"], today)][0] == "open"
    assert found[(synced.changed["held"], today)][0] == "hold"


def test_backlog_counts_each_ticket_as_its_audits_left_it_each_day(synced: Synced) -> None:
    history = sandbox_truth.daily_history(synced.sandbox)
    rows = synced.after.query("SELECT * FROM analytics.ticket_backlog_daily")

    found = {(r["day"], r["status"], r["priority"]): r["open_tickets"] for r in rows}

    assert found == sandbox_truth.backlog(history)
    # The reopened ticket counts again today, and the held one under hold.
    today = sandbox_truth.day(synced.at["replied"])
    assert found[(today, "hold", history[(synced.changed["held"], today)][1] or "none")] >= 1


def test_sla_breaches_are_the_outcomes_of_the_metric_events(synced: Synced) -> None:
    expected = sandbox_truth.sla_outcomes(synced.sandbox, synced.ran_at)
    rows = synced.after.query("SELECT * FROM analytics.sla_breaches")

    found = {
        (r["ticket_id"], r["metric"], r["instance_id"]): {
            key: _value(r[key]) for key in next(iter(expected.values()))
        }
        for r in rows
    }

    assert found == expected
    assert {o["breached"] for o in expected.values()} == {True, False}
    # Breaches that did not happen are in the data too, deleted, and count for nothing.
    (called_off,) = synced.after.query(
        "SELECT count(*) AS n FROM zendesk.ticket_metric_events WHERE type = 'breach' AND deleted"
    )
    assert called_off["n"] > 0
    # Worked out by hand: unanswered past its standard policy's eight hours, the ticket breached
    # then; made urgent, it falls under the urgent policy, whose hour had passed too, so that
    # breach is due at once, on the sandbox's clock (which the test moved past the wall clock
    # the models ran by).
    escalated = synced.changed["escalated"]
    created = sandbox_truth.epoch(synced.sandbox.store.tickets.records[escalated]["created_at"])
    assert found[(escalated, "reply_time", 1)] == {
        "policy_id": SLA_POLICIES["urgent"]["id"],
        "policy_title": "Urgent and high",
        "target_minutes": 60,
        "business_hours": False,
        "applied_at": synced.at["escalated"],
        "breached_at": created + SLA_POLICIES["normal"]["reply_minutes"] * 60,
        "breached": True,
        "fulfilled_at": None,
        "elapsed_minutes_calendar": None,
    }
    breaches = synced.after.query(
        "SELECT time FROM zendesk.ticket_metric_events WHERE type = 'breach' AND NOT deleted "  # noqa: S608
        f"AND metric = 'reply_time' AND ticket_id = {escalated}"
    )
    assert synced.at["escalated"] in {_value(r["time"]) for r in breaches}
    assert created + 60 * 60 < synced.at["escalated"]


def test_enriched_tickets_name_what_the_sandbox_points_at(synced: Synced) -> None:
    expected = sandbox_truth.enriched(synced.sandbox)
    rows = synced.after.query("SELECT * FROM analytics.ticket_enriched")

    found = {
        r["ticket_id"]: {
            **{key: r[key] for key in next(iter(expected.values()))},
            "tags": list(r["tags"]),
            "custom_fields": json.loads(r["custom_fields"]),
        }
        for r in rows
    }

    assert found == expected
