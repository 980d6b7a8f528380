"""The triggers and trigger categories streams: every page, each record once, as the sandbox
holds them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pipelines.zendesk.stream import Stream
from pipelines.zendesk.streams import STREAMS
from tests.client.rule_examples import grow
from tests.pipelines.conftest import extract, rows
from zdsync.sandbox import Sandbox

# The table's own streams; categories in pages of 2, so a handful of them spans several pages.
TRIGGERS = STREAMS["triggers"]
CATEGORIES = replace(STREAMS["trigger_categories"], page_size=2)


@pytest.mark.parametrize("stream", [TRIGGERS, CATEGORIES], ids=lambda s: s.name)
def test_a_rule_list_is_read_whole_across_pages(
    small_sandbox: Sandbox, db: Path, stream: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(STREAMS, stream.name, stream)
    grow(small_sandbox, triggers=230, categories=3)
    book = small_sandbox.store.triggers
    truth: dict[Any, dict[str, Any]] = {
        **(book.triggers if stream is TRIGGERS else book.categories)
    }

    extract(small_sandbox, db, resources=(stream.name,))

    loaded = rows(db, stream.name)
    assert loaded.keys() == truth.keys()
    assert {key: row["position"] for key, row in loaded.items()} == {
        key: record["position"] for key, record in truth.items()
    }
    pages = [e for e in small_sandbox.app.request_log() if e["path"] == stream.path]
    assert len(pages) == -(-len(truth) // stream.per_page)
    if stream is TRIGGERS:
        some = next(iter(truth))
        assert json.loads(loaded[some]["conditions"]) == truth[some]["conditions"]
