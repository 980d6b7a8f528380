"""Records written as JSON lines load into DuckDB exactly as Zendesk sent them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import duckdb
import orjson
import pytest

from pipelines.zendesk.convert import JsonLinesConverter
from pipelines.zendesk.destination import TypedDuckDb
from pipelines.zendesk.feed import CURSOR_EXPORT_FIELDS
from pipelines.zendesk.resources import column_hints
from pipelines.zendesk.streams import USERS

# Values a type guess would get wrong: text that reads as an instant, a date, a time, a number.
LOOKALIKES = {
    "alias": "2024-05-01T12:00:00Z",
    "details": "2024-05-01",
    "notes": "12:00",
    "external_id": "1e5",
}


# Text that would break a line-per-record file if written raw, or a CSV if quoted.
AWKWARD_TEXT = 'line one\nline "two",\ttab\x01 end\\'


def user(user_id: int, **values: Any) -> dict[str, Any]:
    return {
        "id": user_id,
        "name": "Zoë 山田",
        "signature": AWKWARD_TEXT,
        "created_at": "2024-05-01T12:00:00.250Z",
        "user_fields": {"plan": None},
        "tags": ["vip"],
        "field_zdsync_does_not_declare": 3,
        **values,
    }


def load(tmp_path: Path, converter: JsonLinesConverter, parts: list[Any]) -> list[Any]:
    batch = converter.batch()
    items = [item for part in parts for item in batch.add(part)] + list(batch.finish())

    def users() -> Iterator[Any]:
        yield from items

    db = tmp_path / "typed.duckdb"
    pipeline = dlt.pipeline(
        pipeline_name="typed_load",
        destination=TypedDuckDb(str(db)),
        dataset_name="zendesk",
        pipelines_dir=str(tmp_path / "dlt"),
    )
    resource = dlt.resource(
        users,
        name="users",
        primary_key="id",
        write_disposition="merge",
        columns=column_hints(USERS),
    )
    pipeline.run(resource)
    with duckdb.connect(str(db), read_only=True) as connection:
        columns = ", ".join(
            ["id", "name", "signature", "created_at", "user_fields", "tags", *LOOKALIKES]
        )
        query = f"SELECT {columns} FROM zendesk.users ORDER BY id"  # noqa: S608
        return connection.execute(query).fetchall()


def expected(user_id: int) -> tuple[Any, ...]:
    created = datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC)
    return (
        user_id,
        "Zoë 山田",
        AWKWARD_TEXT,
        created,
        '{"plan":null}',
        '["vip"]',
        *LOOKALIKES.values(),
    )


def test_records_load_with_the_declared_types(tmp_path: Path) -> None:
    converter = JsonLinesConverter(USERS, tmp_path / "pages")

    loaded = load(tmp_path, converter, [converter.records([user(1, **LOOKALIKES)])])

    assert loaded == [expected(1)]


@pytest.mark.parametrize("layout", [0, orjson.OPT_INDENT_2], ids=["one line", "indented"])
def test_an_export_page_loads_with_the_declared_types(tmp_path: Path, layout: int) -> None:
    converter = JsonLinesConverter(USERS, tmp_path / "pages")
    body = orjson.dumps(
        {
            "users": [user(2**40, **LOOKALIKES), user(2**40 + 1, **LOOKALIKES)],
            "after_cursor": "abc",
            "after_url": None,
            "before_cursor": None,
            "end_of_stream": True,
        },
        option=layout,
    )

    part, fields = converter.page(body, CURSOR_EXPORT_FIELDS)
    assert part is not None
    loaded = load(tmp_path, converter, [part])

    assert fields["after_cursor"] == "abc"
    assert fields["end_of_stream"] is True
    assert loaded == [expected(2**40), expected(2**40 + 1)]


def test_files_of_a_batch_are_removed_once_dlt_has_them(tmp_path: Path) -> None:
    converter = JsonLinesConverter(USERS, tmp_path / "pages")

    load(tmp_path, converter, [converter.records([user(n)]) for n in range(1, 4)])
    left_before = list((tmp_path / "pages").iterdir())
    converter.forget_handed()

    assert len(left_before) == 1  # three pages, one imported file
    assert list((tmp_path / "pages").iterdir()) == []
