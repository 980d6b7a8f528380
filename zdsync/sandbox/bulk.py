"""Background jobs (bulk user upserts and every other bulk write), the job cap, job polling.

A job is queued on arrival, working after a third of its latency, and completed after all of
it; its rows take effect at completion, in the order jobs were created. Job state is settled on
every request and every read of the store, and by a thread while jobs are in flight
(``due_jobs``). Jobs keep time by the store's clock, which follows wall time until a test moves it.
"""

from __future__ import annotations

import math
import re
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from zdsync.sandbox.config import SandboxConfig
from zdsync.sandbox.due_jobs import DueJobs
from zdsync.sandbox.fakedata import ROLES, USER_FIELDS, Record, iso
from zdsync.sandbox.limits import RateLimits
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import FORBIDDEN, NOT_FOUND, Reply, Request, error_reply, json_reply

# RFC 5322's dot-atom, as Zendesk applies it: no quoting, no leading, trailing or doubled dots,
# no commas or spaces. Domains need a dot and a top-level label that is not all digits.
_WORD = r"A-Za-z0-9\u0080-\U0010ffff"
_ATOM = rf"[{_WORD}!#$%&'*+/=?^_`{{|}}~-]+"
_LABEL = rf"[{_WORD}](?:[{_WORD}-]*[{_WORD}])?"
EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?![0-9]+$){_LABEL}")
EMAIL_MAX_LENGTH = 254
LOCAL_PART_MAX_LENGTH = 64
# Custom agent roles whose permissions include managing end users; agents in other roles may
# not write users in bulk.
USER_MANAGER_ROLE_IDS = frozenset({360_000_100_001})
UPDATABLE = (
    "name",
    "phone",
    "role",
    "organization_id",
    "tags",
    "details",
    "notes",
    "time_zone",
    "locale",
    "alias",
    "signature",
    "verified",
)
BULK_DISABLED = (
    "Forbidden",
    "Bulk user imports are not enabled for this account. Ask Zendesk Customer Support to enable "
    "data imports.",
)
JOB_FAILED_MESSAGE = "Internal error: the job could not be processed"
FINISHED = ("completed", "failed")
# What a job does to one of its rows: the row's result, success or a per-row failure.
Work = Callable[[Store, Record, int], Record]


@dataclass
class Job:
    """One background job; times are on the store's clock."""

    id: str
    rows: list[Record]
    created: float
    due: float
    status: str = "queued"
    results: list[Record] | None = None
    finished_at: float | None = None
    # Set when the job was told to fail as a whole: its message, and no row takes effect.
    failure: str | None = None
    work: Work | None = None  # None: a user upsert
    job_type: str = "Bulk Create Or Update User"


class Jobs:
    """The account's background jobs."""

    def __init__(self, config: SandboxConfig, store: Store, limits: RateLimits) -> None:
        self.config = config
        self.store = store
        self.limits = limits
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._doomed: deque[str] = deque()
        self.too_many_jobs = 0
        self.polls = 0
        self._due = DueJobs(self._changed, self._next_due, lambda: store.clock.now(), self.settle)
        # Polls since the last job was created: once a client polls, it has sent what it would.
        self.polls_since_last_job = 0

    def fail_next_jobs(self, count: int = 1, message: str = JOB_FAILED_MESSAGE) -> None:
        """Make the next ``count`` jobs fail as a whole, as an internal error in Zendesk would."""
        with self._lock:
            self._doomed.extend([message] * count)

    def wait_until(self, condition: Callable[[Jobs], bool], timeout: float = 60.0) -> bool:
        """Block until ``condition(self)`` holds after a job is created, refused, polled or
        finished; False if ``timeout`` seconds pass first."""
        with self._changed:
            return self._changed.wait_for(lambda: condition(self), timeout)

    def settle(self) -> None:
        """Finish every job whose time has come, oldest first."""
        now = self.store.clock.now()
        with self._lock, self.store.lock:
            changed = False
            for job in sorted(self.jobs.values(), key=lambda j: j.created):
                if job.status in FINISHED:
                    continue
                if now >= job.due:
                    self._finish(job, now)
                    changed = True
                elif now >= job.created + (job.due - job.created) / 3:
                    job.status = "working"
            if changed:
                self._changed.notify_all()

    def _next_due(self) -> float | None:
        return min((j.due for j in self.jobs.values() if j.status not in FINISHED), default=None)

    def _finish(self, job: Job, now: float) -> None:
        if job.failure is None:
            work = job.work or upsert
            job.results = [work(self.store, row, i) for i, row in enumerate(job.rows)]
        job.status = "completed" if job.failure is None else "failed"
        job.finished_at = now

    def in_flight(self) -> list[Job]:
        return [job for job in self.jobs.values() if job.status not in FINISHED]

    def _cap_header(self, in_flight: list[Job]) -> dict[str, str]:
        now = self.store.clock.now()
        resets = min((job.due - now for job in in_flight), default=0.0)
        remaining = max(0, self.config.job_cap - len(in_flight))
        resets_in = max(0, math.ceil(resets))
        return {
            "zendesk-ratelimit-inflight-jobs": (
                f"total={self.config.job_cap}; remaining={remaining}; resets={resets_in}"
            )
        }

    def create_or_update_many(self, request: Request) -> Reply:
        if not self.config.bulk_imports_enabled:
            return error_reply(403, *BULK_DISABLED)
        if not may_write_users_in_bulk(request.user):
            return error_reply(403, *FORBIDDEN)
        body = request.json() or {}
        rows = body.get("users")
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            return error_reply(400, "InvalidValue", "users must be a non-empty array of objects")
        if len(rows) > 100:
            return error_reply(400, "InvalidValue", "At most 100 users can be sent per request")
        return self.queue(rows, upsert, "Bulk Create Or Update User")

    def queue(
        self, rows: list[Record], work: Work, job_type: str, job_class: str = "UserBulkUpdateJobV2"
    ) -> Reply:
        """Queue ``work`` over ``rows`` as one job under the job cap; its ``job_status`` reply.

        ``job_class`` is the class a TooManyJobs refusal names.
        """
        self.settle()
        with self._lock:
            in_flight = self.in_flight()
            if len(in_flight) >= self.config.job_cap:
                return self._too_many_jobs(in_flight, job_class)
            now = self.store.clock.now()
            due = now + self.config.job_latency_seconds
            job = Job(secrets.token_hex(16), rows, now, due, work=work, job_type=job_type)
            job.failure = self._doomed.popleft() if self._doomed else None
            self.jobs[job.id] = job
            self.polls_since_last_job = 0
            headers = self._cap_header([*in_flight, job])
            self._changed.notify_all()
            self._due.wake()
        return json_reply(200, {"job_status": self.view(job)}, **headers)

    def _too_many_jobs(self, in_flight: list[Job], job_class: str) -> Reply:
        self.too_many_jobs += 1
        self._changed.notify_all()
        headers = self._cap_header(in_flight)
        wait = headers["zendesk-ratelimit-inflight-jobs"].rsplit("=", 1)[1]
        return json_reply(
            429,
            {
                "error": "TooManyJobs",
                "description": f"Too many {job_class} jobs are currently queued or "
                "running. Try again later.",
                "current_job_ids": [job.id for job in in_flight],
            },
            **headers,
            **{"Retry-After": str(max(1, int(wait)))},
        )

    def view(self, job: Job) -> Record:
        total = len(job.rows)
        if job.status == "completed":
            progress: int | None = total
        elif job.status in ("working", "failed"):
            span = job.due - job.created
            elapsed = min(self.store.clock.now(), job.due) - job.created
            progress = min(total - 1, int(total * elapsed / span)) if span > 0 else 0
        else:
            progress = None
        return {
            "id": job.id,
            "job_type": job.job_type,
            "url": f"{self.store.origin}/api/v2/job_statuses/{job.id}.json",
            "total": total,
            "progress": progress,
            "status": job.status,
            "message": _message(job),
            "results": job.results,
        }

    def show(self, job_id: str) -> Reply:
        self.settle()
        self._polled()
        job = self.jobs.get(job_id)
        return (
            json_reply(200, {"job_status": self.view(job)}) if job else error_reply(404, *NOT_FOUND)
        )

    def show_many(self, request: Request) -> Reply:
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        if not ids:
            return error_reply(400, "InvalidValue", "ids is required")
        self.settle()
        self._polled()
        found = [self.view(self.jobs[i]) for i in ids if i in self.jobs]
        return json_reply(200, {"job_statuses": found})

    def _polled(self) -> None:
        with self._lock:
            self.polls += 1
            self.polls_since_last_job += 1
            self._changed.notify_all()

    def create_or_update(self, request: Request) -> Reply:
        """``POST /api/v2/users/create_or_update``: one user, synchronously, tightly limited."""
        body = request.json() or {}
        row = body.get("user")
        if not isinstance(row, dict):
            return error_reply(400, "InvalidValue", "user must be an object")
        headers: dict[str, str] = {}
        limited = self.limits.check_single_write(
            str(row.get("external_id") or row.get("email") or ""), headers
        )
        if limited is not None:
            return limited
        self.settle()
        with self.store.lock:
            result = upsert(self.store, row, 0)
            if not result["success"]:
                return json_reply(
                    422,
                    {
                        "error": "RecordInvalid",
                        "description": "Record validation errors",
                        "details": result["details"],
                    },
                    **headers,
                )
            user = self.store.users.records[result["id"]]
        return json_reply(201 if result["action"] == "create" else 200, {"user": user}, **headers)


def upsert(store: Store, row: Record, index: int) -> Record:
    """Create or update one user; the job result for it (success or a per-row failure)."""
    external_id, email = row.get("external_id"), row.get("email")
    echo = {k: row[k] for k in ("email", "external_id") if row.get(k) is not None}
    problem = _invalid(store, row)
    match = store.find_user(email=email, external_id=external_id)
    if problem is None and match is not None and email:
        owner = store.find_user(email=email)
        if owner is not None and owner["id"] != match["id"]:
            problem = ("DuplicateValue", f"Email: {email} is already being used by another user")
    if problem is None and match is None and not row.get("name"):
        problem = ("InvalidValue", "Name: is too short (minimum is 1 character)")
    action = "update" if match is not None else "create"
    if problem is not None:
        return {
            "index": index,
            "id": match["id"] if match else None,
            "action": action,
            "success": False,
            "status": "Failed",
            "error": problem[0],
            "details": problem[1],
            **echo,
        }
    user = apply_user(store, row, match)
    status = "Updated" if match is not None else "Created"
    return {
        "index": index,
        "id": user["id"],
        "action": action,
        "success": True,
        "status": status,
        **echo,
    }


def may_write_users_in_bulk(user: Record | None) -> bool:
    """Admins, and agents in a custom role that may manage end users."""
    if user is None:
        return False
    return user["role"] == "admin" or (
        user["role"] == "agent" and user.get("custom_role_id") in USER_MANAGER_ROLE_IDS
    )


def email_is_valid(address: str) -> bool:
    """Whether Zendesk accepts ``address`` as an email identity."""
    local, _, _ = address.rpartition("@")
    return (
        len(address) <= EMAIL_MAX_LENGTH
        and len(local) <= LOCAL_PART_MAX_LENGTH
        and EMAIL.fullmatch(address) is not None
    )


def _message(job: Job) -> str | None:
    if job.status == "failed":
        return job.failure
    if job.finished_at is None:
        return None
    stamp = datetime.fromtimestamp(job.finished_at, UTC)
    return stamp.strftime("Completed at %Y-%m-%d %H:%M:%S +0000")


def _invalid(store: Store, row: Record) -> tuple[str, str] | None:
    email, role = row.get("email"), row.get("role")
    if not email and not row.get("external_id"):
        return "InvalidValue", "Email: cannot be blank"
    if email and not email_is_valid(str(email)):
        return "InvalidValue", f"Email: {email} is not properly formatted"
    if role is not None and role not in ROLES:
        return "InvalidValue", f"Role: {role} is not valid"
    org = row.get("organization_id")
    if org is not None and org not in store.organizations.records:
        return "InvalidValue", f"Organization: {org} does not exist"
    return invalid_user_fields(row.get("user_fields") or {})


def invalid_user_fields(values: Record) -> tuple[str, str] | None:
    """The first custom user field value its field would refuse: the code and description."""
    specs = {spec["key"]: spec for spec in USER_FIELDS}
    for key, value in values.items():
        spec = specs.get(key)
        if spec is None or value is None:
            continue
        options = [o["value"] for o in spec.get("custom_field_options", [])]
        if spec["type"] == "dropdown" and value not in options:
            return "InvalidValue", f"{spec['title']}: {value} is not a valid option"
        if spec["type"] == "checkbox" and not isinstance(value, bool):
            return "InvalidValue", f"{spec['title']}: must be true or false"
        if spec["type"] == "decimal" and not _is_number(value):
            return "InvalidValue", f"{spec['title']}: {value} is not a number"
    return None


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, bool)


def apply_user(store: Store, row: Record, match: Record | None) -> Record:
    """Create a user from ``row``, or change ``match`` by it (an email becomes an identity)."""
    fields = {k: row[k] for k in UPDATABLE if k in row}
    if match is None:
        fields.update(
            email=row.get("email"),
            external_id=row.get("external_id"),
            user_fields=row.get("user_fields") or {},
        )
        return store.create_user(fields)
    user = {**match, **fields}
    user["user_fields"] = {**(match.get("user_fields") or {}), **(row.get("user_fields") or {})}
    if row.get("external_id"):
        # The match is case-insensitive, but the stored case follows the request.
        user["external_id"] = row["external_id"]
    email = row.get("email")
    if email and email.lower() not in store.emails_of(match):
        # Email is writeable on create only; on update it becomes a secondary identity.
        store.add_identity(match, "email", email)
    user["updated_at"] = iso(store.now())
    store.put_user(user)
    return user
