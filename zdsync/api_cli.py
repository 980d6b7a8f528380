"""``zdsync api OPERATION --arg name=value ...``: any catalog operation from the command line.

Operations are named as the catalog names them (``tickets.merge``), the same name
``client.call`` and the Prefect tasks take, so what ``--list`` shows can be pasted as it is.
Arguments go through the client's own checks before anything is sent. Writes can be shown
without being sent (``--dry-run``); destructive ones run only with ``--yes``.
"""

from __future__ import annotations

import os
from itertools import islice
from pathlib import Path
from typing import IO, Annotated, Any, NoReturn

import typer
from rich.console import Console

from zdsync import api_output, catalog
from zdsync.catalog import Operation, Paging
from zdsync.client import Settings, ZendeskClient
from zdsync.client.errors import InvalidArgumentsError, ZendeskError
from zdsync.client.jobs import FINISHED, JobWait, job_id_of, wait_for_job
from zdsync.client.operations import PreparedCall, prepare
from zdsync.client.secrets import Secret

# Exit codes: what the user asked for cannot be done as asked (2), or Zendesk refused or a
# job failed (1).
USAGE, FAILED = 2, 1


def api(
    operation: Annotated[
        str | None,
        typer.Argument(
            help="Catalog name, e.g. tickets.show; with --list, a prefix to filter.",
            metavar="OPERATION",
        ),
    ] = None,
    arg: Annotated[
        list[str] | None,
        typer.Option(
            "--arg",
            "-a",
            metavar="NAME=VALUE",
            help="name=value, repeated. Ids as 1,2,3; records as JSON text or @file.json; "
            "passwords as @file, kept out of the shell's history.",
        ),
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="List the operations: method, path, arguments.")
    ] = False,
    table: Annotated[bool, typer.Option("--table", help="A table instead of JSON.")] = False,
    columns: Annotated[
        str | None, typer.Option(help="With --table: the fields to show, comma-separated.")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(help="For a list: stop after this many records.", min=1, metavar="N"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option(help="Print the request (method, URL, body) and send nothing.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Run a destructive operation.")] = False,
    wait: Annotated[
        bool, typer.Option(help="For a bulk operation: wait for its job and print how it ended.")
    ] = False,
    wait_timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 600.0,
    secret_file: Annotated[
        Path | None,
        typer.Option(
            help="For an operation whose answer holds a secret (zis.integrations.create): a new "
            "file to write it to, mode 0600. The printed answer shows it masked."
        ),
    ] = None,
) -> None:
    """Run any Zendesk operation of the catalog by name (see --list)."""
    if list_:
        _print_list(operation or "", table)
        return
    if operation is None:
        _fail("name an operation, e.g. zdsync api users.me (zdsync api --list shows them all)")
    arguments, call = _prepared(operation, arg or [])
    op = call.operation
    if wait and not op.bulk_job:
        _fail(f"--wait: {op.name} queues no job")
    if limit is not None and op.paging is Paging.NONE:
        _fail(f"--limit: {op.name} is not a list")
    if secret_file is not None and not op.secret_fields:
        _fail(f"--secret-file: {op.name} answers with no secret")
    settings = _settings()
    if dry_run:
        typer.echo(api_output.request_text(settings.origin, call))
        return
    if op.destructive and not yes:
        _refuse(settings.origin, call)
    if op.secret_fields and secret_file is None:
        _fail(
            f"{op.name} answers with a secret Zendesk shows only once; "
            "give --secret-file PATH to keep it"
        )
    keeper = _secret_keeper(secret_file) if secret_file is not None else None
    try:
        answer = _send(settings, call, arguments, limit, wait, wait_timeout)
    except typer.Exit:
        if keeper is not None and secret_file is not None:
            keeper.close()
            secret_file.unlink()
        raise
    if keeper is not None and secret_file is not None:
        _keep_secrets(keeper, secret_file, answer, op)
    _print_answer(answer, op, table, columns)
    status = answer.get("job_status") if wait else None
    if isinstance(status, dict) and status.get("status") != "completed":
        raise typer.Exit(FAILED)


def _prepared(name: str, pairs: list[str]) -> tuple[dict[str, Any], PreparedCall]:
    """The arguments as given, and the request they make once checked."""
    try:
        op = catalog.operation(name)
        arguments = _arguments(op, pairs)
        return arguments, prepare(op.name, arguments)
    except (catalog.UnknownOperationError, InvalidArgumentsError) as exc:
        _fail(str(exc))


def _arguments(op: Operation, pairs: list[str]) -> dict[str, Any]:
    """``name=value`` pairs as arguments; ``@path`` reads a record argument from a file."""
    found: dict[str, Any] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            _fail(f"--arg {pair!r}: write it as name=value")
        if name in found:
            _fail(f"--arg {name} is given twice; join list values with commas")
        param = api_output.param_named(op, name)
        from_file = param is not None and (param.kind in ("object", "objects") or param.secret)
        if from_file and value.startswith("@"):
            value = _read(name, Path(value[1:]))
            # A password file ends with the newline an editor or echo adds, not the password.
            value = value.rstrip("\r\n") if param is not None and param.secret else value
        found[name] = value
    return found


def _read(name: str, path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        _fail(f"--arg {name}: cannot read {path}: {exc.strerror}")


def _settings() -> Settings:
    try:
        return Settings.load()
    except ZendeskError as exc:
        _fail(str(exc), FAILED)


def _refuse(origin: str, call: PreparedCall) -> NoReturn:
    request = api_output.request_text(origin, call)
    typer.echo(
        f"zdsync: {call.operation.name} is destructive and was not sent; it would send:",
        err=True,
    )
    typer.echo(request, err=True)
    _fail("add --yes to run it")


def _send(
    settings: Settings,
    call: PreparedCall,
    arguments: dict[str, Any],
    limit: int | None,
    wait: bool,
    wait_timeout: float,
) -> dict[str, Any]:
    op = call.operation
    try:
        with ZendeskClient(settings) as client:
            if op.paging is not Paging.NONE:
                rows = client.records(op.name, **arguments)
                return {str(op.response_key): list(islice(rows, limit))}
            answer = client.call(op.name, **arguments)
            job_id = job_id_of(answer)
            if not wait or job_id is None:
                return answer
            if answer["job_status"].get("status") not in FINISHED:
                typer.echo(f"zdsync: waiting for job {job_id}", err=True)
            return {"job_status": wait_for_job(client, job_id, JobWait(wait_timeout))}
    except ZendeskError as exc:
        _fail(str(exc), FAILED)


def _print_answer(answer: dict[str, Any], op: Operation, table: bool, columns: str | None) -> None:
    if not table:
        typer.echo(api_output.json_text(answer))
        return
    names = [name.strip() for name in columns.split(",")] if columns else None
    Console().print(api_output.answer_table(answer, op.response_key, names))


def _print_list(prefix: str, table: bool) -> None:
    chosen = [op for op in catalog.OPERATIONS if op.name.startswith(prefix)]
    if not chosen:
        _fail(f"no operation starts with {prefix!r}")
    if table:
        Console().print(api_output.operations_table(chosen))
    else:
        typer.echo(api_output.operations_text(chosen))


def _secret_keeper(path: Path) -> IO[str]:
    """``path`` created for the secret before anything is sent, so a path that cannot hold it
    fails while the secret can still be had; only its owner may read it."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        _fail(f"--secret-file {path}: {exc.strerror}")
    return os.fdopen(descriptor, "w")


def _keep_secrets(keeper: IO[str], path: Path, answer: dict[str, Any], op: Operation) -> None:
    with keeper:
        for dotted in op.secret_fields:
            keeper.write(f"{_revealed(answer, dotted)}\n")
    typer.echo(
        f"zdsync: {', '.join(op.secret_fields)} written to {path} (mode 0600); "
        "Zendesk does not show it again",
        err=True,
    )


def _revealed(answer: dict[str, Any], dotted: str) -> str:
    node: Any = answer
    for key in dotted.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node.reveal() if isinstance(node, Secret) else ""


def _fail(message: str, code: int = USAGE) -> NoReturn:
    typer.echo(f"zdsync: error: {message}", err=True)
    raise typer.Exit(code)
