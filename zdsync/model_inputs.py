"""What each SQL model reads, and so whether it can run on the raw tables a warehouse holds.

A model names its inputs in its text: raw tables as ``zendesk.<table>``, other models as
``analytics.<model>``. Each model file builds the relation named after it: file
``11_ticket_backlog_daily`` builds ``analytics.ticket_backlog_daily``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipelines.zendesk.options import DATASET as RAW_SCHEMA

MODEL_SCHEMA = "analytics"
_RAW_TABLE = re.compile(rf"\b{RAW_SCHEMA}\.(\w+)")
_MODEL = re.compile(rf"\b{MODEL_SCHEMA}\.(\w+)")


def raw_tables(sql: str) -> set[str]:
    """The raw tables a model's text reads."""
    return set(_RAW_TABLE.findall(sql))


def relation(model: str) -> str:
    """The relation a model file builds: its name without the number prefix."""
    return model.split("_", 1)[1] if model[:1].isdigit() and "_" in model else model


class Skips:
    """The models that cannot run for want of raw tables, decided in the order they run."""

    def __init__(self, present: Iterable[str]) -> None:
        self.present = set(present)
        self.skipped: set[str] = set()

    def reason(self, model: str, sql: str) -> str | None:
        """Why ``model`` cannot run (the tables or models it waits for), or None: it can."""
        absent = sorted(raw_tables(sql) - self.present)
        waiting = sorted(set(_MODEL.findall(sql)) & self.skipped - {relation(model)})
        if not absent and not waiting:
            return None
        self.skipped.add(relation(model))
        needs = []
        if absent:
            needs.append(", ".join(f"{RAW_SCHEMA}.{t}" for t in absent) + " (not loaded yet)")
        if waiting:
            needs.append(", ".join(f"{MODEL_SCHEMA}.{m}" for m in waiting) + " (skipped)")
        return f"needs {'; '.join(needs)}"

    def ran(self, model: str) -> None:
        """``model``'s relation was built after all (by its fallback): its readers can run."""
        self.skipped.discard(relation(model))
