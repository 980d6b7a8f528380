"""The ``zdsync`` command line. The only module that prints: everything else logs."""

from __future__ import annotations

import logging
import sys
import threading
from typing import Annotated

import typer

from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.config import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET

app = typer.Typer(
    help="Zendesk data sync: extract into DuckDB, transform with SQL, push CRM users back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
    faults: Annotated[
        str | None, typer.Option(help='Random faults, e.g. "429:2=0.05,503=0.02,drop=0.01".')
    ] = None,
    job_latency: Annotated[float, typer.Option(help="Seconds a bulk job takes.")] = 2.0,
) -> None:
    """Run a Zendesk-compatible server with synthetic data until interrupted."""
    if rate_limits not in ("off", "realistic"):
        _fail("--rate-limits must be off or realistic")
    config = SandboxConfig(
        seed=seed,
        users=users,
        tickets=tickets,
        organizations=organizations,
        deleted_users=deleted_users,
        rate_limits=rate_limits,  # type: ignore[arg-type]
        time_scale=time_scale,
        faults=faults,
        job_latency_seconds=job_latency,
    )
    server = Sandbox(config)
    try:
        running = server.start(host, port)
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
    typer.echo(f"  curl -u '{running.admin_email}/token:{running.api_token}' {url}/api/v2/users/me")
    typer.echo("Press Ctrl+C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


def _fail(message: str) -> None:
    typer.echo(f"zdsync: error: {message}", err=True)
    raise typer.Exit(code=2)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
