"""The pure parts of settings snapshots: the digest, the deletion mark, the IANA zone."""

from __future__ import annotations

from zoneinfo import available_timezones

from pipelines.zendesk.snapshots import digest, is_deleted
from pipelines.zendesk.time_zones import RAILS_TO_IANA, iana_name, with_iana_time_zone


def test_the_digest_ignores_key_order_but_not_values_or_record_order() -> None:
    a, b = {"id": 1, "title": "A", "actions": [{"field": "status", "value": "solved"}]}, {"id": 2}
    assert digest([a, b]) == digest([dict(reversed(list(a.items()))), b])
    assert digest([a, b]) != digest([b, a])
    assert digest([a, b]) != digest([{**a, "title": "B"}, b])
    assert digest([a]) != digest([a, b])
    assert digest([]) != digest([{}])


def test_zendesk_deletion_marks_count_as_deleted() -> None:
    assert is_deleted({"id": 1, "deleted": True})
    assert is_deleted({"id": 1, "is_deleted": True})
    assert not is_deleted({"id": 1, "deleted": False, "is_deleted": None})
    assert not is_deleted({"id": 1})


def test_zendesk_zone_names_become_iana_names() -> None:
    assert iana_name("Eastern Time (US & Canada)") == "America/New_York"
    assert iana_name("Copenhagen") == "Europe/Copenhagen"
    assert iana_name("Tokyo") == "Asia/Tokyo"
    assert iana_name("Europe/Paris") == "Europe/Paris"
    assert iana_name("Atlantis") is None
    assert iana_name(None) is None


def test_a_schedule_keeps_an_iana_zone_zendesk_gave() -> None:
    given = {"id": 1, "time_zone": "Tokyo", "iana_time_zone": "Asia/Tokyo"}
    assert with_iana_time_zone(given) is given
    assert with_iana_time_zone({"id": 2, "time_zone": "London"}) == {
        "id": 2,
        "time_zone": "London",
        "iana_time_zone": "Europe/London",
    }


def test_every_iana_name_of_the_table_is_a_zone() -> None:
    assert set(RAILS_TO_IANA.values()) <= available_timezones()
