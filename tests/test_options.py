"""The options builder the CLI and the flows share, and the CLI refusing what does not fit."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from pipelines.zendesk import ExtractOptions
from zdsync.options import build, extract_options, push_options
from zdsync.reverse_etl.push import PushOptions

ZDSYNC = str(Path(sys.executable).parent / "zdsync")


def test_values_from_the_command_line_become_extract_options() -> None:
    options = extract_options(
        environ={},
        db=Path("data/x.duckdb"),
        resources="users, tickets,",
        start_date=date(2025, 1, 31),
    )

    assert options == ExtractOptions(
        db_path=Path("data/x.duckdb"), resources=("users", "tickets"), start_date=date(2025, 1, 31)
    )


def test_flow_parameters_become_the_same_options_as_the_command_line() -> None:
    from_flow = extract_options(environ={}, db=Path("x.duckdb"), resources=["users", "tickets"])

    assert from_flow == extract_options(environ={}, db=Path("x.duckdb"), resources="users,tickets")


def test_none_means_not_given_so_the_default_stays() -> None:
    assert extract_options(environ={}, start_date=None, batch_records=None) == ExtractOptions()
    assert push_options(environ={}, input=None, mode=None) == PushOptions()


@pytest.mark.parametrize(
    ("environ", "given", "destination"),
    [
        ({"ZDSYNC_DESTINATION": "postgres"}, None, "postgres"),
        ({"ZDSYNC_DESTINATION": "postgres"}, "motherduck", "motherduck"),
        ({"ZDSYNC_DESTINATION": ""}, None, None),
        ({}, None, None),
    ],
)
def test_zdsync_destination_fills_the_destination_nobody_passed(
    environ: dict[str, str], given: str | None, destination: str | None
) -> None:
    assert extract_options(environ=environ, destination=given).destination == destination


def test_push_options_keep_every_value_given() -> None:
    options = push_options(
        environ={}, input=Path("crm.csv"), db=Path("sync.duckdb"), mode="update-only", single=True
    )

    assert options == PushOptions(
        input=Path("crm.csv"), db=Path("sync.duckdb"), mode="update-only", single=True
    )


def test_a_field_the_options_do_not_have_is_refused() -> None:
    with pytest.raises(TypeError, match="PushOptions has no field on_nothing"):
        push_options(environ={}, on_nothing="skip")


@dataclass(frozen=True)
class _Grown:
    """An options class with fields added later: the builder handles them by their types."""

    labels: tuple[str, ...] = ()
    report: Path | None = None


def test_a_new_field_is_built_by_its_type_with_no_builder_code() -> None:
    assert build(_Grown, {"labels": "a, b,", "report": Path("out.md")}, {}) == _Grown(
        ("a", "b"), Path("out.md")
    )
    assert build(_Grown, {"labels": ["a"], "report": None}, {}) == _Grown(("a",))


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["extract", "--start-date", "2025-13-01"],
            "zdsync: error: Invalid value for '--start-date': Value error, '2025-13-01' does not "
            "match the formats '%Y-%m-%d'.",
        ),
        (
            ["push-users", "--input", "crm.csv", "--mode", "sideways"],
            "zdsync: error: Invalid value for '--mode': Value error, 'sideways' is not one of "
            "'upsert', 'update-only', 'create-only'.",
        ),
        (
            ["sandbox", "--rate-limits", "strict"],
            "zdsync: error: Invalid value for '--rate-limits': Value error, 'strict' is not one "
            "of 'off', 'realistic'.",
        ),
        (
            ["extract", "--batch-size", "10"],
            "zdsync: error: No such option: --batch-size (Possible options: --batch-records)",
        ),
    ],
)
def test_the_cli_reports_a_bad_option_in_one_line(
    args: list[str], line: str, tmp_path: Path
) -> None:
    done = subprocess.run(  # noqa: S603
        [ZDSYNC, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [line]
