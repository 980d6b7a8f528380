"""The ``zdsync`` command line: the library's commands. The only module that prints (with
``zdsync.reporting``, its rendering); everything else logs.

``zdsync demo`` runs the flows, so it sits above them: ``zdsync.__main__`` adds it.
"""

from __future__ import annotations

import gc
import logging
import ssl
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated, NoReturn

import duckdb
import typer
from rich.console import Console

from pipelines.zendesk import DEFAULT_DB, RESOURCE_NAMES, run_extract, runtime
from zdsync.api_cli import api
from zdsync.client.errors import RetryLaterError, ZendeskError
from zdsync.client.settings import Settings
from zdsync.errors import FixAndRunAgainError, RunAgainLaterError, RunError, first_line
from zdsync.options import extract_options, push_options
from zdsync.reporting import LiveProgress, print_status, push_table, summary_table
from zdsync.reverse_etl.objects import OBJECTS
from zdsync.reverse_etl.plan import Mode, OnDuplicate
from zdsync.reverse_etl.push import push
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.config import (
    OAUTH_CLIENT_ID,
    OAUTH_CLIENT_SECRET,
    RateLimits,
    UsersCursorBudget,
)
from zdsync.sandbox.server import tls_context
from zdsync.status import read_status
from zdsync.transform import run_models

# What the exit status tells a script or a scheduler, most specific first: 75 (EX_TEMPFAIL in
# sysexits.h) is "run again later", 1 "fix what the message says, then run again"; a usage
# error is 2.
EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    (RunAgainLaterError, 75),
    (RetryLaterError, 75),
    (RunError, 1),
    (ZendeskError, 1),
)

app = typer.Typer(
    help="Zendesk data sync: extract into DuckDB, transform with SQL, push CRM rows back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("api")(api)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"zdsync {package_version('zdsync')}")
        raise typer.Exit


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each request.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request at INFO; our own request log is enough.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    runtime.prepare()


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8765,
    seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 42,
    users: Annotated[int, typer.Option(help="Users to generate.")] = 500,
    tickets: Annotated[int, typer.Option(help="Tickets to generate.")] = 2000,
    organizations: Annotated[int, typer.Option(help="Organizations to generate.")] = 50,
    deleted_users: Annotated[int, typer.Option(help="Users to delete (soft or for good).")] = 40,
    rate_limits: Annotated[
        RateLimits, typer.Option(help="realistic enforces Zendesk's limits; off only reports them.")
    ] = "realistic",
    time_scale: Annotated[float, typer.Option(help="Rate-limit windows last 60/X seconds.")] = 1.0,
    users_cursor_budget: Annotated[
        UsersCursorBudget,
        typer.Option(
            help="both: a users cursor export request spends its own budget and the one all "
            "incremental exports share; own: only its own."
        ),
    ] = "both",
    faults: Annotated[
        str | None, typer.Option(help='Random faults, e.g. "429:2=0.05,503=0.02,drop=0.01".')
    ] = None,
    job_latency: Annotated[float, typer.Option(help="Seconds a bulk job takes.")] = 2.0,
    extra_user_fields: Annotated[
        int, typer.Option(help="Text user fields beyond the five stock ones.")
    ] = 0,
    extra_ticket_fields: Annotated[
        int, typer.Option(help="Text ticket fields beyond the five stock ones.")
    ] = 0,
    tls_cert: Annotated[
        Path | None, typer.Option(help="PEM certificate: serve HTTPS (with --tls-key).")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert.")] = None,
) -> None:
    """Run a Zendesk-compatible server with synthetic data until interrupted."""
    if (tls_cert is None) != (tls_key is None):
        _fail("--tls-cert and --tls-key go together")
    try:
        tls = tls_context(tls_cert, tls_key) if tls_cert and tls_key else None
    except (OSError, ssl.SSLError) as exc:
        _fail(f"cannot use the TLS certificate: {exc}")
    config = SandboxConfig(
        seed=seed,
        users=users,
        tickets=tickets,
        organizations=organizations,
        deleted_users=deleted_users,
        rate_limits=rate_limits,
        time_scale=time_scale,
        users_cursor_budget=users_cursor_budget,
        faults=faults,
        job_latency_seconds=job_latency,
        extra_user_fields=extra_user_fields,
        extra_ticket_fields=extra_ticket_fields,
    )
    server = Sandbox(config)
    try:
        running = server.start(host, port, tls)
    except (OSError, ValueError) as exc:
        _fail(f"cannot start the sandbox: {exc}")
    # The generated account lives as long as the process. Frozen, it is no longer walked by
    # each full collection of the garbage collector, which took about 0.3 s of a default
    # account and held up every request and job meanwhile.
    gc.freeze()
    url = running.base_url
    access, refresh = running.app.accounts.issue(min(running.store.users.records))
    typer.echo(f"Zendesk sandbox listening on {url}")
    typer.echo(f"  export ZENDESK_BASE_URL={url}")
    typer.echo(f"  export ZENDESK_EMAIL={running.admin_email}")
    typer.echo(f"  export ZENDESK_API_TOKEN={running.api_token}")
    typer.echo("  or OAuth:")
    typer.echo(f"  export ZENDESK_OAUTH_TOKEN={access}")
    typer.echo(f"  export ZENDESK_OAUTH_REFRESH_TOKEN={refresh}")
    typer.echo(f"  export ZENDESK_OAUTH_CLIENT_ID={OAUTH_CLIENT_ID}")
    typer.echo(f"  export ZENDESK_OAUTH_CLIENT_SECRET={OAUTH_CLIENT_SECRET}")
    # curl refuses a certificate it cannot trace to a known authority: name the one we serve.
    trust = f"--cacert {tls_cert} " if tls_cert else ""
    credentials = f"{running.admin_email}/token:{running.api_token}"
    typer.echo(f"  curl {trust}-u '{credentials}' {url}/api/v2/users/me")
    typer.echo("Press Ctrl+C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


@app.command()
def extract(
    db: Annotated[Path, typer.Option(help="DuckDB file to load into.")] = DEFAULT_DB,
    resources: Annotated[
        str,
        typer.Option(
            help="Comma-separated, of: " + ", ".join(RESOURCE_NAMES) + ".", show_default="all"
        ),
    ] = ",".join(RESOURCE_NAMES),
    start_date: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Where exports begin when nothing is saved."),
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option(help="Drop the selected tables and saved positions first.")
    ] = False,
    batch_records: Annotated[
        int, typer.Option(help="Records per committed batch; a crash loses at most one.")
    ] = 50_000,
    ratings_lookback_days: Annotated[
        int | None,
        typer.Option(
            min=0,
            metavar="DAYS",
            help="Days before the newest rating loaded that satisfaction ratings are read again.",
            show_default="28",
        ),
    ] = None,
) -> None:
    """Load what changed in Zendesk since the last run into DuckDB (schema zendesk)."""
    options = extract_options(
        db=db,
        resources=resources,
        start_date=start_date.date() if start_date else None,
        full_refresh=full_refresh,
        batch_records=batch_records,
        ratings_lookback_days=ratings_lookback_days,
    )
    with _stopped_runs():
        settings = Settings.load()
        with LiveProgress() as progress:
            summary = run_extract(settings, options, on_progress=progress)
    Console().print(summary_table(summary))
    typer.echo(f"loaded into {db.resolve()}" if not options.destination else "loaded")


Objects = Annotated[
    str,
    typer.Argument(
        metavar="OBJECT",
        help="What to push: " + ", ".join(OBJECTS) + ".",
        show_default=False,
    ),
]
Input = Annotated[
    Path | None, typer.Option("--input", help="CSV, Parquet or JSON-lines file of CRM rows.")
]
Query = Annotated[str | None, typer.Option(help="SQL on the database whose rows are the input.")]
Db = Annotated[Path, typer.Option(help="DuckDB file holding the sync log.")]
Mapping = Annotated[
    Path | None, typer.Option(help='TOML file: [columns] crm_name = "zdsync_name".')
]
PushMode = Annotated[
    Mode, typer.Option(help="Whether rows may create records, update them, or both.")
]
Duplicates = Annotated[
    OnDuplicate,
    typer.Option(help="Rows naming the same record: send the last, the first, or reject them all."),
]
DryRun = Annotated[
    bool, typer.Option(help="Print the plan; write nothing to Zendesk or the database.")
]
Mirror = Annotated[
    bool,
    typer.Option(
        help="Identities only: delete what no row names, of the users and types rows name."
    ),
]
Single = Annotated[
    bool, typer.Option(help="Users only: one request per user, for accounts without bulk imports.")
]


@app.command("push")
def push_object(
    object_name: Objects,
    input: Input = None,
    query: Query = None,
    db: Db = DEFAULT_DB,
    mapping: Mapping = None,
    mode: PushMode = "upsert",
    on_duplicate: Duplicates = "last",
    dry_run: DryRun = False,
    single: Single = False,
    mirror: Mirror = False,
) -> None:
    """Create or update Zendesk records from CRM rows; every row ends up in the sync log."""
    if object_name not in OBJECTS:
        _fail(f"no object {object_name!r} to push: use one of {', '.join(OBJECTS)}")
    options = push_options(
        input=input,
        query=query,
        db=db,
        mapping=mapping,
        mode=mode,
        on_duplicate=on_duplicate,
        dry_run=dry_run,
        single=single,
        mirror=mirror,
    )
    with _stopped_runs(), LiveProgress() as progress:
        summary = push(Settings.load(), object_name, options, on_progress=progress)
    Console().print(push_table(summary))


@app.command("push-users")
def push_users(
    input: Input = None,
    query: Query = None,
    db: Db = DEFAULT_DB,
    mapping: Mapping = None,
    mode: PushMode = "upsert",
    on_duplicate: Duplicates = "last",
    dry_run: DryRun = False,
    single: Single = False,
) -> None:
    """The same as zdsync push users."""
    push_object("users", input, query, db, mapping, mode, on_duplicate, dry_run, single)


@app.command()
def transform(
    db: Annotated[
        Path, typer.Option(help="DuckDB file to run the SQL models on (and its push log).")
    ] = DEFAULT_DB,
) -> None:
    """Run the SQL models in zdsync/sql/ (schema analytics) where the extract loads."""
    with _stopped_runs():
        options = extract_options(db=db)
        runs = run_models(db, destination=options.destination)
    for run in runs:
        done = f"skipped: {run.skipped}" if run.skipped else f"{run.seconds:6.2f}s"
        if run.fallback:
            done += f" approximated: {run.fallback}"
        typer.echo(f"{run.name:<32} {done}")


@app.command()
def status(
    db: Annotated[Path, typer.Option(help="DuckDB file to describe.")] = DEFAULT_DB,
) -> None:
    """Where each resource would resume, its rows and last load; recent pushes and failures."""
    with _stopped_runs():
        if not db.exists():
            raise FixAndRunAgainError(f"no database at {db}: run zdsync extract first")
        try:
            found = read_status(db)
        except duckdb.IOException as exc:
            # A running extract or push holds the file; DuckDB says which process.
            raise FixAndRunAgainError(f"cannot read {db}: {first_line(exc)}") from None
    print_status(Console(), found)


@app.command()
def report(
    db: Annotated[Path, typer.Option(help="DuckDB file the models ran on.")] = DEFAULT_DB,
    out: Annotated[
        Path | None,
        typer.Option(help="HTML file to write.", show_default="<db name>-report.html beside it"),
    ] = None,
) -> None:
    """Write the models' charts to one HTML file that opens without a network."""
    # Here, not at the top: plotly and pandas take a second to import that no other command needs.
    from zdsync.report import write_report

    with _stopped_runs():
        written = write_report(db, out)
    typer.echo(f"report written to {written}")


def exit_code(exc: RunError | ZendeskError) -> int:
    """The exit status for a run that stopped with ``exc``."""
    return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))


@contextmanager
def _stopped_runs() -> Iterator[None]:
    try:
        yield
    except (RunError, ZendeskError) as exc:
        _fail(str(exc), code=exit_code(exc))


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"zdsync: error: {message}", err=True)
    raise typer.Exit(code=code)


def main() -> None:
    """Run the command line; every error, a usage error too, is one line on stderr."""
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:
        # Typer would print the usage and a boxed message; one line reads the same in a log.
        # (With no command at all, Typer has printed the help and the message is empty.)
        if message := exc.format_message():
            typer.echo(f"zdsync: error: {message}", err=True)
        code = exc.exit_code
    except typer.Abort:
        code = 1
    sys.exit(code if isinstance(code, int) else 0)
