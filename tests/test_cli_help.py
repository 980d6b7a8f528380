"""``zdsync --help`` and each command's: plain words, each default once, and ``--version``."""

from __future__ import annotations

import re
from importlib.metadata import version

import pytest
from typer.testing import CliRunner

import zdsync.__main__  # noqa: F401  (adds zdsync demo to the app)
from pipelines.zendesk import RESOURCE_NAMES
from zdsync.cli import app

COMMANDS = [
    command.name or (command.callback.__name__ if command.callback else "")
    for command in app.registered_commands
]


def help_of(*command: str) -> str:
    done = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "100"})
    assert done.exit_code == 0, done.output
    return done.output


def test_every_command_is_listed() -> None:
    assert set(COMMANDS) >= {"extract", "push-users", "transform", "status", "report", "demo"}


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)], ids=str)
def test_help_has_no_type_placeholders_for_flags_nor_markup(command: list[str]) -> None:
    text = help_of(*command)

    assert "<bool>" not in text
    # Python's types are no help to a person: a list or a bounded number says what it holds.
    assert "<list[" not in text
    assert "range>" not in text
    assert "``" not in text
    # A default is said once per option: never twice on one option's lines.
    for option in re.split(r"\n  (?=-)", text):
        assert option.count("[default:") <= 1, option


def test_the_resources_are_listed_once() -> None:
    text = help_of("extract")

    for name in RESOURCE_NAMES:
        assert len(re.findall(rf"\b{name}\b", text)) == 1, name
    assert "[default: (all)]" in " ".join(text.split())


def test_version() -> None:
    done = CliRunner().invoke(app, ["--version"])

    assert done.exit_code == 0
    assert done.output == f"zdsync {version('zdsync')}\n"
