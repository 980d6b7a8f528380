"""One Prefect task per catalog operation, generated from the catalog, plus ``wait_for_job``.

Each task is named ``<action>_<group>`` after its operation (``tickets.merge`` is
``merge_tickets``, ``users.create_or_update_many`` is ``create_or_update_many_users``), takes
the ``ZendeskCredentials`` first and the operation's arguments as keywords, checked before
anything is sent, and returns what ``ZendeskClient.call`` does::

    from flows.zendesk_tasks import ZendeskCredentials, merge_tickets

    merge_tickets(ZendeskCredentials.saved("zendesk"), ticket_id=1, ids=[2, 3])

The tasks add no Prefect retries: the client already retries what is transient, and a second
loop on top of it would multiply the waits. Nothing is cached either, so the same write twice
in a run is sent twice, as asked.
"""

from __future__ import annotations

import inspect
import re
import threading
from typing import Any

from prefect import Task, task
from prefect.cache_policies import NO_CACHE

from flows.zendesk_credentials import ZendeskCredentials as ZendeskCredentials
from zdsync import catalog
from zdsync.catalog import Kind, Operation
from zdsync.client import ZendeskClient
from zdsync.client import jobs as client_jobs
from zdsync.client.ratelimit import RateLimiter

OperationTask = Task[..., dict[str, Any]]

# How each kind of argument is annotated in a task's signature, for Prefect's UI and readers.
ANNOTATIONS: dict[Kind, Any] = {
    "integer": int,
    "string": str,
    "boolean": bool,
    "ids": list[int],
    "strings": list[str],
    "object": dict[str, Any],
    "objects": list[dict[str, Any]],
}

# Tasks of one process that talk to the same Zendesk share its rate limits.
_LIMITERS: dict[str, RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def task_name(op: Operation) -> str:
    """``tickets.merge`` is ``merge_tickets``; ``zis.basic_auth.show`` is
    ``show_zis_basic_auth``."""
    group, _, action = op.name.rpartition(".")
    return re.sub(r"\W", "_", f"{action}_{group}")


def client_for(credentials: ZendeskCredentials) -> ZendeskClient:
    """A client for the credentials, pacing itself with every other one of the process on the
    same Zendesk."""
    settings = credentials.settings()
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.setdefault(settings.origin, RateLimiter(settings.rate_limits))
    return ZendeskClient(settings, rate_limiter=limiter)


def signature_for(op: Operation) -> inspect.Signature:
    """``(credentials, *, <required args>, <optional args>=None)``, by Python identifier."""
    first = inspect.Parameter(
        "credentials", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=ZendeskCredentials
    )
    ordered = sorted(op.params, key=lambda param: not param.required)
    keywords = [
        inspect.Parameter(
            param.identifier,
            inspect.Parameter.KEYWORD_ONLY,
            default=inspect.Parameter.empty if param.required else None,
            annotation=ANNOTATIONS[param.kind]
            if param.required
            else ANNOTATIONS[param.kind] | None,
        )
        for param in ordered
    ]
    return inspect.Signature([first, *keywords], return_annotation=dict[str, Any])


def _description(op: Operation) -> str:
    takes = ", ".join(p.identifier + ("" if p.required else "?") for p in op.params)
    flags = (("bulk job", op.bulk_job), ("destructive", op.destructive))
    notes = [word for word, holds in flags if holds]
    extra = f" ({', '.join(notes)})" if notes else ""
    return f"Zendesk {op.name}: {op.method} {op.path}{extra}. Arguments: {takes or 'none'}."


def _task_for(op: Operation) -> OperationTask:
    def run(credentials: ZendeskCredentials, **arguments: Any) -> dict[str, Any]:
        with client_for(credentials) as client:
            return client.call(op.name, **arguments)

    name = task_name(op)
    run.__name__ = run.__qualname__ = name
    run.__doc__ = _description(op)
    run.__signature__ = signature_for(op)  # type: ignore[attr-defined]
    made = task(name=name, description=_description(op), cache_policy=NO_CACHE)
    return made(run)


TASKS: dict[str, OperationTask] = {task_name(op): _task_for(op) for op in catalog.OPERATIONS}
if len(TASKS) != len(catalog.OPERATIONS):
    raise RuntimeError("two catalog operations make the same task name")


@task(cache_policy=NO_CACHE)
def wait_for_job(
    credentials: ZendeskCredentials, job_status: dict[str, Any], timeout_seconds: float = 600.0
) -> dict[str, Any]:
    """Wait for the job a bulk task queued (its answer, or its ``job_status``) to finish.

    Returns:
        The job's last status: ``completed``, ``failed`` or ``killed``, with its results.
    """
    job = job_status.get("job_status", job_status)
    with client_for(credentials) as client:
        return client_jobs.wait_for_job(
            client, str(job["id"]), client_jobs.JobWait(timeout_seconds)
        )


def __getattr__(name: str) -> OperationTask:
    try:
        return TASKS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted([*globals(), *TASKS])
