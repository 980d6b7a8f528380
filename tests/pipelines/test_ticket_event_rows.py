"""The rows made from ticket events, from literal pages."""

from __future__ import annotations

from pipelines.zendesk.ticket_events import comments, field_history, tag_history

VIA = {"channel": "web", "source": {}}
AUDIT = {
    "id": 7,
    "ticket_id": 3,
    "created_at": "2024-05-01T12:00:00Z",
    "updater_id": 11,
    "child_events": [
        {
            "id": 71,
            "via": VIA,
            "type": "question",
            "previous_value": "task",
            "event_type": "Change",
        },
        {
            "id": 72,
            "custom_ticket_fields": {"360004": True},
            "previous_value": False,
            "event_type": "Change",
        },
        {
            "id": 73,
            "tags": ["a", "c"],
            "added_tags": ["c"],
            "removed_tags": ["b"],
            "previous_value": ["a", "b"],
            "event_type": "Change",
        },
        {
            "id": 74,
            "via": VIA,
            "type": "Comment",
            "author_id": 11,
            "body": "Hello",
            "html_body": "<p>Hello</p>",
            "public": False,
            "attachments": [
                {
                    "id": 9,
                    "file_name": "a.png",
                    "content_type": "image/png",
                    "size": 5,
                    "content_url": "https://x/a.png",
                }
            ],
            "created_at": "2024-05-01T12:00:00Z",
            "event_type": "Comment",
        },
        {"id": 75, "comment_present": True, "comment_public": True, "event_type": "Comment"},
    ],
}


def test_each_changed_field_is_a_row_with_its_value_as_text() -> None:
    rows = field_history([AUDIT], {})
    assert [(r["field_name"], r["value"], r["previous_value"]) for r in rows] == [
        ("type", "question", "task"),
        ("custom_fields_360004", "true", "false"),
        ("tags", '["a","c"]', '["a","b"]'),
    ]
    assert {(r["event_id"], r["ticket_id"], r["updater_id"]) for r in rows} == {(7, 3, 11)}


def test_tags_added_and_removed_are_rows_of_their_own() -> None:
    assert [(r["tag"], r["action"]) for r in tag_history([AUDIT], {})] == [
        ("c", "added"),
        ("b", "removed"),
    ]


def test_a_comment_keeps_its_attachments_metadata_and_a_bare_flag_is_no_comment() -> None:
    (row,) = comments([AUDIT], {})
    assert (row["id"], row["body"], row["public"], row["via_channel"]) == (
        74,
        "Hello",
        False,
        "web",
    )
    assert row["attachments"] == [
        {"id": 9, "file_name": "a.png", "content_type": "image/png", "size": 5}
    ]
