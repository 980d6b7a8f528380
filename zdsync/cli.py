"""The ``zdsync`` command line. The only module that prints: everything else logs."""

from __future__ import annotations

import logging
import ssl
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import duckdb
import typer
from rich.console import Console

from pipelines.zendesk import DEFAULT_DB, RESOURCE_NAMES, run_extract, runtime
from zdsync.api_cli import api
from zdsync.client.errors import ZendeskError
from zdsync.client.settings import Settings
from zdsync.demo import DEMO_DB, run_demo
from zdsync.errors import ExtractError, PushError, TransformError, first_line
from zdsync.options import OptionError, extract_options, push_options
from zdsync.reporting import (
    ExtractProgress,
    print_demo,
    print_status,
    push_table,
    summary_table,
)
from zdsync.reverse_etl.push import push_users as push
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.config import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET
from zdsync.sandbox.server import tls_context
from zdsync.status import read_status
from zdsync.transform import run_models

Built = TypeVar("Built")

app = typer.Typer(
    help="Zendesk data sync: extract into DuckDB, transform with SQL, push CRM users back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("api")(api)


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each request.")] = False,
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
    rate_limits: Annotated[str, typer.Option(help="off or realistic.")] = "realistic",
    time_scale: Annotated[float, typer.Option(help="Rate-limit windows last 60/X seconds.")] = 1.0,
    users_cursor_budget: Annotated[
        str,
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
    if rate_limits not in ("off", "realistic"):
        _fail("--rate-limits must be off or realistic")
    if users_cursor_budget not in ("both", "own"):
        _fail("--users-cursor-budget must be both or own")
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
        rate_limits=rate_limits,  # type: ignore[arg-type]
        time_scale=time_scale,
        users_cursor_budget=users_cursor_budget,  # type: ignore[arg-type]
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
        str, typer.Option(help="Comma-separated: " + ",".join(RESOURCE_NAMES) + ".")
    ] = ",".join(RESOURCE_NAMES),
    start_date: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD where exports begin when nothing is saved.")
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option(help="Drop the selected tables and saved positions first.")
    ] = False,
    batch_records: Annotated[
        int, typer.Option(help="Records per committed batch; a crash loses at most one.")
    ] = 50_000,
) -> None:
    """Load what changed in Zendesk since the last run into DuckDB (schema ``zendesk``)."""
    options = _options(
        extract_options,
        db=db,
        resources=resources,
        start_date=start_date,
        full_refresh=full_refresh,
        batch_records=batch_records,
    )
    try:
        settings = Settings.load()
        with ExtractProgress() as progress:
            summary = run_extract(settings, options, on_progress=progress)
    except (ExtractError, ZendeskError) as exc:
        _fail(str(exc), code=1)
    Console().print(summary_table(summary))
    typer.echo(f"loaded into {db.resolve()}" if not options.destination else "loaded")


@app.command("push-users")
def push_users(
    input: Annotated[
        Path | None, typer.Option("--input", help="CSV, Parquet or JSON-lines file of CRM users.")
    ] = None,
    query: Annotated[
        str | None, typer.Option(help="SQL on the database whose rows are the input.")
    ] = None,
    db: Annotated[Path, typer.Option(help="DuckDB file holding the sync log.")] = DEFAULT_DB,
    mapping: Annotated[
        Path | None, typer.Option(help='TOML file: [columns] crm_name = "zdsync_name".')
    ] = None,
    mode: Annotated[str, typer.Option(help="upsert, update-only or create-only.")] = "upsert",
    on_duplicate: Annotated[
        str,
        typer.Option(
            help="Rows naming the same user: send the last, the first, or reject them all."
        ),
    ] = "last",
    dry_run: Annotated[
        bool, typer.Option(help="Print the plan; write nothing to Zendesk or the database.")
    ] = False,
    single: Annotated[
        bool, typer.Option(help="One request per user, for accounts without bulk imports.")
    ] = False,
) -> None:
    """Create or update Zendesk users from CRM rows; every row ends up in the sync log."""
    options = _options(
        push_options,
        input=input,
        query=query,
        db=db,
        mapping=mapping,
        mode=mode,
        on_duplicate=on_duplicate,
        dry_run=dry_run,
        single=single,
    )
    try:
        summary = push(Settings.load(), options)
    except (PushError, ZendeskError) as exc:
        _fail(str(exc), code=1)
    Console().print(push_table(summary))


@app.command()
def transform(
    db: Annotated[
        Path, typer.Option(help="DuckDB file to run the SQL models on (and its push log).")
    ] = DEFAULT_DB,
) -> None:
    """Run the SQL models in zdsync/sql/ (schema ``analytics``) where the extract loads."""
    options = _options(extract_options, db=db)
    try:
        runs = run_models(db, destination=options.destination)
    except TransformError as exc:
        _fail(str(exc), code=1)
    for run in runs:
        typer.echo(f"{run.name:<32} {run.seconds:6.2f}s")


@app.command()
def demo(
    db: Annotated[Path, typer.Option(help="Where the demo's DuckDB file goes.")] = DEMO_DB,
) -> None:
    """Sandbox, extract, transform, push a sample CRM file, then a short report."""
    if db.stem in ("zendesk", "reverse_etl"):
        _fail(f"choose another name than {db.name}")
    started = time.monotonic()
    report = run_demo(db)
    print_demo(Console(), report, time.monotonic() - started)


@app.command()
def status(
    db: Annotated[Path, typer.Option(help="DuckDB file to describe.")] = DEFAULT_DB,
) -> None:
    """Where each resource would resume, its rows and last load; recent pushes and failures."""
    if not db.exists():
        _fail(f"no database at {db}: run zdsync extract first", code=1)
    try:
        found = read_status(db)
    except duckdb.IOException as exc:
        # A running extract or push holds the file; DuckDB says which process.
        _fail(f"cannot read {db}: {first_line(exc)}", code=1)
    print_status(Console(), found)


def _options(build: Callable[..., Built], **values: Any) -> Built:
    try:
        return build(**values)
    except OptionError as exc:
        _fail(exc.for_cli())


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"zdsync: error: {message}", err=True)
    raise typer.Exit(code=code)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
