"""Admin routes outside ``/api/v2/`` for a sandbox running in another process (the demo).

``POST /_sandbox/<operation>`` with a JSON object of keyword arguments calls the store's control
method of that name; ``GET /_sandbox/state`` and ``GET /_sandbox/requests`` read the ground truth
and the request log. In-process callers use ``Sandbox.store`` directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zdsync.sandbox.faults import Fault
from zdsync.sandbox.wire import Reply, Request, error_reply, json_reply

if TYPE_CHECKING:
    from zdsync.sandbox.server import App

STORE_OPERATIONS = frozenset(
    {
        "advance_clock",
        "update_user",
        "soft_delete_user",
        "permanently_delete_user",
        "complete_compliance_deletion",
        "update_ticket",
        "delete_ticket",
        "touch_ticket",
        "rate_ticket",
        "create_ticket",
        "update_organization",
        "delete_organization",
    }
)

# The account's configuration lists (``account_config.AccountConfig``), by control name.
ACCOUNT_OPERATIONS = {
    "create_config": "create",
    "update_config": "update",
    "delete_config": "delete",
    "delete_holiday": "delete_holiday",
}


def control(app: App, request: Request) -> Reply:
    operation = request.path.removeprefix("/_sandbox/")
    if request.method == "GET" and operation == "state":
        app.jobs.settle()
        return json_reply(
            200,
            {
                k: list(v.values())
                for k, v in app.store.snapshot().items()
                if isinstance(v, dict) and k != "identities"
            },
        )
    if request.method == "GET" and operation == "requests":
        return json_reply(200, {"requests": app.request_log()})
    if request.method != "POST":
        return error_reply(404, "InvalidEndpoint", "Not found")
    try:
        args: dict[str, Any] = request.json() or {}
    except ValueError:
        return error_reply(400, "InvalidValue", "body must be a JSON object")
    try:
        return json_reply(200, {"result": _run(app, operation, args)})
    except (KeyError, TypeError, ValueError) as exc:
        return error_reply(400, "InvalidValue", f"{operation}: {type(exc).__name__}: {exc}")


def _run(app: App, operation: str, args: dict[str, Any]) -> Any:
    if operation in STORE_OPERATIONS:
        return getattr(app.store, operation)(**args)
    if operation in ACCOUNT_OPERATIONS:
        with app.store.lock:
            return getattr(app.store.account, ACCOUNT_OPERATIONS[operation])(**args)
    if operation == "inject_fault":
        fault = Fault(str(args["kind"]), args.get("arg"))
        app.faults.queue(
            fault, path_prefix=args.get("path_prefix", "/api/v2/"), times=int(args.get("times", 1))
        )
        return None
    if operation == "fail_next_jobs":
        app.jobs.fail_next_jobs(**args)
        return None
    if operation == "expire_access_tokens":
        app.accounts.expire_access_tokens()
        return None
    raise KeyError(f"unknown operation {operation!r}")
