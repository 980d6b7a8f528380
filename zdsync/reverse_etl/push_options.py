"""What one push is asked to do (``PushOptions``) and what it came to (``PushSummary``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from zdsync.reverse_etl import plan as planning
from zdsync.reverse_etl.job_policies import PollPolicy, Resubmit
from zdsync.reverse_etl.ledger import RunTotals

DEFAULT_DB = Path("data/zdsync.duckdb")


@dataclass(frozen=True)
class PushOptions:
    """What to push and how.

    Attributes:
        input: A CSV, Parquet or JSON-lines file (or None with ``query``).
        query: SQL run on ``db`` whose rows are the input.
        db: DuckDB file holding the ledger (and the query's tables).
        mapping: TOML file renaming CRM columns.
        mode: upsert, update-only or create-only.
        on_duplicate: Which of several rows naming one record is sent: ``last`` (the newest row
            of a CRM export), ``first``, or ``reject`` (none of them).
        mirror: Identities only: delete the listed users' identities, of the types their rows
            name, that no row names (never a primary one).
        dry_run: Plan and report only: nothing is written to Zendesk or to the database.
        single: One ``create_or_update`` request per user, for accounts without bulk imports
            (users only).
        job_margin: Job slots left free for other tools.
        poll: How job statuses are polled.
        resubmit: How batches whose job failed as a whole are sent again.
    """

    input: Path | None = None
    query: str | None = None
    db: Path = DEFAULT_DB
    mapping: Path | None = None
    mode: planning.Mode = "upsert"
    on_duplicate: planning.OnDuplicate = "last"
    dry_run: bool = False
    mirror: bool = False
    single: bool = False
    job_margin: int = 1
    poll: PollPolicy = field(default_factory=PollPolicy)
    resubmit: Resubmit = field(default_factory=Resubmit)


@dataclass
class PushSummary:
    run_id: str
    totals: RunTotals
    plan: dict[str, int]
    invalid: list[tuple[int, str]]
    dry_run: bool
    object: str = "users"
