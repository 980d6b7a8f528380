"""Arguments for one call of each trigger, trigger category, user field and option operation,
from the sandbox's own records, for the test that runs every served operation.

They run in this order on one sandbox. The reorder comes before anything that adds a trigger
or a category, on an account brought down to one category first, as Zendesk requires.
"""

from __future__ import annotations

from typing import Any

from zdsync.sandbox import Sandbox

# Of these, the ones that answer 201 Created.
CREATED = {"triggers.create", "user_fields.create", "user_field_options.create_or_update"}


def one_category(sandbox: Sandbox) -> str:
    """Move every trigger into the first category and drop the others; its id."""
    book = sandbox.store.triggers
    kept = str(book.first_category())
    for trigger in book.triggers.values():
        trigger["category_id"] = kept
    for category_id in [c for c in book.categories if c != kept]:
        del book.categories[category_id]
    return kept


def grow(sandbox: Sandbox, triggers: int, categories: int = 0) -> None:
    """More triggers (``Rule <n>``, in the first category) and categories than one page holds,
    through the sandbox's own book."""
    book = sandbox.store.triggers
    now = sandbox.store.now()
    for n in range(categories):
        book.add_category(f"Team {n}", 10 + n, now)
    template = next(iter(book.triggers.values()))
    for n in range(triggers):
        fields = {**template, "title": f"Rule {n}", "position": 100 + n}
        book.add_trigger(fields, 0, now)


def examples(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    store = sandbox.store
    book = store.triggers
    category = one_category(sandbox)
    ids = sorted(book.triggers)
    shown, changed, removed, *destroyed = ids
    plan = next(f for f in store.user_fields if f["key"] == "plan")
    option = plan["custom_field_options"][0]
    fields = [f["id"] for f in store.user_fields]
    notify = {"field": "notification_user", "value": ["requester_id", "Hello", "Received"]}
    trigger = {
        "title": "From the catalog",
        "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]},
        "actions": [notify],
    }
    return {
        "triggers.list": {"active": True, "category_id": category},
        "triggers.active": {"sort": "alphabetical"},
        "triggers.search": {"query": "notify"},
        "triggers.definitions": {},
        "triggers.show": {"trigger_id": shown},
        "triggers.revisions": {"trigger_id": shown},
        "triggers.revision": {"trigger_id": shown, "trigger_revision_id": 1},
        "triggers.update": {"trigger_id": changed, "trigger": {**trigger, "title": "Changed"}},
        "triggers.update_many": {"triggers": [{"id": changed, "active": False}]},
        "triggers.reorder": {"trigger_ids": ids[::-1]},
        "triggers.create": {"trigger": trigger},
        "triggers.delete": {"trigger_id": removed},
        "triggers.destroy_many": {"ids": destroyed[:2]},
        "trigger_categories.list": {"sort": "-name"},
        "trigger_categories.show": {"trigger_category_id": category},
        "trigger_categories.update": {
            "trigger_category_id": category,
            "trigger_category": {"name": "Everything"},
        },
        "trigger_categories.jobs": {
            "job": {
                "action": "patch",
                "items": {"triggers": [{"id": str(shown), "position": 40}]},
            }
        },
        "trigger_categories.create": {"trigger_category": {"name": "Later"}},
        "trigger_categories.delete": {"trigger_category_id": str(book.next_category_id)},
        "user_fields.show": {"user_field_id": "plan"},
        "user_fields.update": {"user_field_id": plan["id"], "user_field": {"title": "Plan tier"}},
        "user_fields.create": {
            "user_field": {"key": "region", "type": "text", "title": "Region"},
        },
        "user_fields.reorder": {"user_field_ids": fields[::-1]},
        "user_field_options.list": {"user_field_id": "plan"},
        "user_field_options.show": {"user_field_id": "plan", "user_field_option_id": option["id"]},
        "user_field_options.create_or_update": {
            "user_field_id": plan["id"],
            "custom_field_option": {"name": "Trial", "value": "trial"},
        },
        "user_field_options.delete": {
            "user_field_id": "plan",
            "user_field_option_id": plan["custom_field_options"][-1]["id"],
        },
        "user_fields.delete": {"user_field_id": "crm_notes"},
    }
