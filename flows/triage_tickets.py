"""An example of the Zendesk tasks in a flow: triage the tickets a search finds.

The tickets the search finds are tagged and set to a status in bulk, then each group of
duplicates (the same requester, the same subject once ``Re:`` and case are set aside) is merged
into its oldest ticket. Credentials come from a saved ``ZendeskCredentials`` block, named as a
parameter so that no secret is ever a flow parameter.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from prefect import flow

from flows.zendesk_credentials import ZendeskCredentials
from flows.zendesk_tasks import export_search, merge_tickets, update_many_tickets, wait_for_job
from zdsync.catalog import BULK_MAX

_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg)\s*:\s*)+", re.IGNORECASE)


def subject_key(subject: str | None) -> str:
    """The subject as duplicates share it: reply prefixes, case and spacing set aside."""
    return " ".join(_REPLY_PREFIX.sub("", subject or "").casefold().split())


def duplicate_groups(tickets: Iterable[dict[str, Any]]) -> list[tuple[int, list[int]]]:
    """Each group of duplicates as (the oldest ticket's id, the others' ids), oldest first.

    Tickets without a requester or a subject are never duplicates of anything.
    """
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    for ticket in tickets:
        key = subject_key(ticket.get("subject"))
        if ticket.get("requester_id") is not None and key:
            groups[(ticket["requester_id"], key)].append(int(ticket["id"]))
    found = [sorted(ids) for ids in groups.values() if len(ids) > 1]
    return sorted((ids[0], ids[1:]) for ids in found)


def chunks(ids: list[int], size: int = BULK_MAX) -> list[list[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


@flow(name="zdsync-triage-tickets")
def triage_tickets(
    credentials_block: str = "zendesk",
    query: str = "status:new",
    status: str = "open",
    tag: str = "triaged",
    merge_duplicates: bool = False,
) -> dict[str, int]:
    """Tag and re-status the tickets ``query`` finds, then, when asked, merge their duplicates.

    Merging is off unless ``merge_duplicates`` is set: a merged ticket is closed for good.

    Returns:
        How many tickets were found and updated, and how many were merged away.
    """
    credentials = ZendeskCredentials.saved(credentials_block)
    found = export_search(credentials, query=query, filter_type="ticket")["results"]
    ids = sorted(int(ticket["id"]) for ticket in found)
    change = {"status": status, "additional_tags": [tag]}
    updated = 0
    for chunk in chunks(ids):
        queued = update_many_tickets(credentials, ids=chunk, ticket=change)
        updated += _completed(wait_for_job(credentials, queued), len(chunk))
    merged = 0
    for target, sources in duplicate_groups(found) if merge_duplicates else ():
        queued = merge_tickets(
            credentials,
            ticket_id=target,
            ids=sources,
            target_comment=f"Merged duplicates {', '.join(map(str, sources))} into this ticket.",
            source_comment=f"Merged into #{target} as a duplicate.",
        )
        merged += _completed(wait_for_job(credentials, queued), len(sources))
    return {"found": len(ids), "updated": updated, "merged": merged}


def _completed(job: dict[str, Any], count: int) -> int:
    return count if job.get("status") == "completed" else 0


if __name__ == "__main__":
    triage_tickets()
