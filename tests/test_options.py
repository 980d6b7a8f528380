"""The options builder the CLI and the flows share, with literal values."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import pytest

from pipelines.zendesk import ExtractOptions
from zdsync.options import OptionError, build, extract_options, push_options
from zdsync.reverse_etl.push import PushOptions

ZDSYNC = str(Path(sys.executable).parent / "zdsync")


def test_text_from_the_command_line_becomes_typed_extract_options() -> None:
    options = extract_options(
        environ={}, db="data/x.duckdb", resources="users, tickets,", start_date="2025-01-31"
    )

    assert options == ExtractOptions(
        db_path=Path("data/x.duckdb"), resources=("users", "tickets"), start_date=date(2025, 1, 31)
    )


def test_flow_parameters_become_the_same_options_as_text() -> None:
    from_flow = extract_options(
        environ={}, db="x.duckdb", resources=["users", "tickets"], start_date=date(2025, 1, 31)
    )

    assert from_flow == extract_options(
        environ={}, db="x.duckdb", resources="users,tickets", start_date="2025-01-31"
    )


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


def test_push_options_convert_paths_and_keep_flags() -> None:
    options = push_options(
        environ={}, input="crm.csv", db="sync.duckdb", mode="update-only", single=True
    )

    assert options == PushOptions(
        input=Path("crm.csv"), db=Path("sync.duckdb"), mode="update-only", single=True
    )


@pytest.mark.parametrize(
    ("values", "message", "cli"),
    [
        (
            {"start_date": "2025-13-01"},
            "start_date must be YYYY-MM-DD, got '2025-13-01'",
            "--start-date must be YYYY-MM-DD, got '2025-13-01'",
        ),
        (
            {"mode": "sideways"},
            "mode must be upsert, update-only or create-only, got 'sideways'",
            "--mode must be upsert, update-only or create-only, got 'sideways'",
        ),
    ],
)
def test_a_value_that_does_not_fit_names_its_option(
    values: dict[str, str], message: str, cli: str
) -> None:
    builder = extract_options if "start_date" in values else push_options

    with pytest.raises(OptionError) as raised:
        builder(environ={}, **values)

    assert str(raised.value) == message
    assert raised.value.for_cli() == cli


def test_a_field_the_options_do_not_have_is_refused() -> None:
    with pytest.raises(TypeError, match="PushOptions has no field on_nothing"):
        push_options(environ={}, on_nothing="skip")


@dataclass(frozen=True)
class _Grown:
    """An options class with fields added later: the builder converts them by their types."""

    policy: Literal["skip", "fail"] = "fail"
    report: Path | None = None


def test_a_new_field_is_converted_by_its_type_with_no_builder_code() -> None:
    assert build(_Grown, {"policy": "skip", "report": "out.md"}, {}) == _Grown(
        "skip", Path("out.md")
    )
    with pytest.raises(OptionError, match="policy must be skip or fail, got 'ignore'"):
        build(_Grown, {"policy": "ignore"}, {})


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["extract", "--start-date", "2025-13-01"],
            "zdsync: error: --start-date must be YYYY-MM-DD, got '2025-13-01'",
        ),
        (
            ["push-users", "--input", "crm.csv", "--mode", "sideways"],
            "zdsync: error: --mode must be upsert, update-only or create-only, got 'sideways'",
        ),
    ],
)
def test_the_cli_reports_a_bad_option_in_one_line(
    args: list[str], line: str, tmp_path: Path
) -> None:
    done = subprocess.run(  # noqa: S603
        [ZDSYNC, *args, "--db", str(tmp_path / "x.duckdb")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [line]
