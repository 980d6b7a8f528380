"""Sandbox options. Points Zendesk leaves unsettled are options here, with the default stated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ADMIN_EMAIL = "admin@example.com"
AGENT_EMAIL = "agent@example.com"
API_TOKEN = "sandbox-api-token"  # noqa: S105 - a published credential for a local fake
OAUTH_CLIENT_ID = "zdsync-sandbox"
OAUTH_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105
SUBDOMAIN = "sandbox"
# Zendesk documents the budget every incremental export shares but names no header for it; the
# sandbox reports it under this name, its own inference, on every response that spends it.
INCREMENTAL_HEADER = "Zendesk-RateLimit-incremental-exports"
# Zendesk documents 100 search exports a minute per account but names no header for it either.
SEARCH_EXPORT_HEADER = "Zendesk-RateLimit-search-export"
# Nor for the 700 permanent user deletions every ten minutes.
PERMANENT_DELETION_HEADER = "Zendesk-RateLimit-permanent-user-deletions"

RateLimits = Literal["off", "realistic"]
UsersCursorBudget = Literal["both", "own"]


@dataclass
class SandboxConfig:
    """How big, how strict and how faulty the sandbox is.

    Attributes:
        seed: Same seed, same data.
        users, tickets, organizations, deleted_users: Record counts. ``deleted_users`` are split
            between soft-deleted (still in the users export, ``active: false``) and permanently
            deleted (scrubbed, only in ``/api/v2/deleted_users``).
        rate_limits: ``realistic`` enforces Zendesk's limits; ``off`` only reports them.
        time_scale: Rate-limit windows last ``60 / time_scale`` seconds, so limits that take
            minutes against Zendesk take seconds here.
        faults: A seeded random fault spec, see ``faults.FaultPlan.parse``.
        account_rpm, incremental_rpm, users_cursor_rpm: Requests per window.
        job_latency_seconds: Wall time from queued to completed for a bulk job.
        job_cap: Queued or running jobs allowed at once (Zendesk: 30).
        bulk_imports_enabled: False answers bulk writes with 403, as accounts without the
            feature do.
        horizon_seconds: Exports withhold records changed this recently.
        list_page_over_limit: ``page[size]`` above 100: ``clamp`` (default) or ``error`` (400).
        users_cursor_budget: What a users cursor export request spends: ``both`` (default) its
            own 20/min and the 10/min every incremental export shares, as Zendesk's limits read
            together suggest; ``own`` only its own.
        oauth_access_ttl_seconds: Lifetime of issued OAuth access tokens.
        extra_user_fields, extra_ticket_fields: Plain text fields defined beyond the five stock
            ones of each kind, so that the field lists run to several pages (Zendesk pages
            them at 100).
        rating_time_filter: The time a satisfaction rating list's ``start_time`` and
            ``end_time`` compare, which Zendesk does not document: ``created_at`` (default,
            the stricter for a client: a rating changed later is not found by a later
            ``start_time``) or ``updated_at``.
        rating_change_days: Days after a rating is created that its requester may still change
            it (Zendesk: until the ticket closes, which its automations do at most 28 days
            after the solve).
        search_export_rpm: Search export requests per window (Zendesk: 100).
        search_repeated_keywords: ``all`` (default) makes every term of a search hold;
            ``any`` makes positive terms that repeat a keyword alternatives
            (``status:new status:open``), as some clients assume.
        search_unknown_keywords: ``error`` (default) refuses ``foo:bar`` for an unknown
            keyword with a 400; ``text`` searches it as free text.
        search_page_past_cap: A search page reaching past the 1,000th result: ``refuse``
            (default) answers it with Zendesk's 422; ``truncate`` serves it up to the 1,000th
            and refuses only pages that start past it.
        search_export_type_in_query: ``refuse`` (default) answers an export whose query has a
            ``type:`` term with a 400, as Zendesk documents; ``agreeing`` lets one through when
            it names the ``filter[type]`` type.
        organization_autocomplete: What ``organizations/autocomplete?name=`` matches: ``prefix``
            (default) of the name, as the operation's description says, or ``substring``, as
            its parameter's does.
        ticket_merge_max_sources: Source tickets one merge may name. Zendesk's documents give no
            figure; the default is the 100 of every other bulk write.
        user_merge_max_requested_tickets: A user requesting more tickets than this cannot be
            merged into another (Zendesk: 10,000).
        permanent_deletions: Users that may be deleted for good every ten windows (Zendesk:
            700 every ten minutes).
        ticket_updates_rpm, ticket_updates_per_ticket: Single-ticket updates per window (Zendesk:
            100 a minute), and per ticket every ten windows (30 every ten minutes).
        organization_updates_per_organization: Updates of one organization per window (5).
        admins_set_passwords: Whether admins may set users' passwords, the account owner's
            setting; off, as it is in Zendesk until turned on.
        shared_second_size: How many tickets (and users) share one timestamp second, to make
            time-based pages exceed ``per_page``. None: a tenth of the records, at most 1,200.
    """

    seed: int = 42
    users: int = 500
    tickets: int = 2000
    organizations: int = 50
    deleted_users: int = 40
    rate_limits: RateLimits = "realistic"
    time_scale: float = 1.0
    faults: str | None = None
    account_rpm: int = 700
    incremental_rpm: int = 10
    users_cursor_rpm: int = 20
    job_latency_seconds: float = 2.0
    job_cap: int = 30
    bulk_imports_enabled: bool = True
    horizon_seconds: int = 60
    list_page_over_limit: Literal["clamp", "error"] = "clamp"
    users_cursor_budget: UsersCursorBudget = "both"
    oauth_access_ttl_seconds: int = 7200
    search_export_rpm: int = 100
    search_repeated_keywords: Literal["all", "any"] = "all"
    search_unknown_keywords: Literal["error", "text"] = "error"
    search_page_past_cap: Literal["refuse", "truncate"] = "refuse"
    search_export_type_in_query: Literal["refuse", "agreeing"] = "refuse"
    organization_autocomplete: Literal["prefix", "substring"] = "prefix"
    shared_second_size: int | None = None
    ticket_merge_max_sources: int = 100
    user_merge_max_requested_tickets: int = 10_000
    extra_user_fields: int = 0
    extra_ticket_fields: int = 0
    permanent_deletions: int = 700
    ticket_updates_rpm: int = 100
    ticket_updates_per_ticket: int = 30
    organization_updates_per_organization: int = 5
    admins_set_passwords: bool = False
    rating_time_filter: Literal["created_at", "updated_at"] = "created_at"
    rating_change_days: int = 28

    @property
    def window_seconds(self) -> float:
        return 60.0 / self.time_scale
