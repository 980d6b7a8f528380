"""What an extract did, per resource and in total."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ResourceSummary:
    name: str
    new_rows: int = 0
    updated_rows: int = 0
    records: int = 0
    requests: int = 0
    rate_limited: int = 0
    waited_seconds: float = 0.0
    fetch_seconds: float = 0.0
    seconds: float = 0.0


@dataclass
class ExtractSummary:
    resources: list[ResourceSummary] = field(default_factory=list)
    scrubbed_users: int = 0
    requests: int = 0
    rate_limited: int = 0
    seconds: float = 0.0

    @property
    def new_rows(self) -> int:
        return sum(r.new_rows for r in self.resources)

    @property
    def updated_rows(self) -> int:
        return sum(r.updated_rows for r in self.resources)
