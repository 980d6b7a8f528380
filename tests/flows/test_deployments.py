"""prefect.yaml: every deployment's entrypoint imports and its parameters fit the flow."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.exceptions import ParameterTypeError, SignatureMismatchError
from prefect.flows import load_flow_from_entrypoint

from flows import RUN_LOG_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENTS: list[dict[str, Any]] = yaml.safe_load((ROOT / "prefect.yaml").read_text())[
    "deployments"
]


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=lambda d: d["name"])
def test_each_deployment_loads_and_its_parameters_validate(
    deployment: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    flow: Any = load_flow_from_entrypoint(deployment["entrypoint"])

    flow.validate_parameters(deployment.get("parameters") or {})


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=lambda d: d["name"])
def test_each_deployment_has_a_timezone_schedule_and_the_shared_pool(
    deployment: dict[str, Any],
) -> None:
    assert deployment["work_pool"]["name"] == "zdsync"
    assert all(schedule["timezone"] for schedule in deployment["schedules"])
    # A worker imports Prefect before the flows: the job's environment names the run's loggers.
    assert deployment["work_pool"]["job_variables"]["env"] == RUN_LOG_SETTINGS
    text = str(deployment.get("parameters"))
    assert "token" not in text.lower()
    assert "secret" not in text.lower()


def test_a_parameter_the_flow_does_not_take_is_refused() -> None:
    flow: Any = load_flow_from_entrypoint(str(ROOT / "flows/sync.py") + ":sync")
    with pytest.raises(SignatureMismatchError, match="nope"):
        flow.validate_parameters({"nope": 1})


@pytest.mark.parametrize(
    ("entrypoint", "parameters", "refused"),
    [
        ("flows/push_users.py:push_users", {"mode": "sideways"}, "mode"),
        ("flows/extract.py:extract", {"start_date": "2025-13-01"}, "start_date"),
        ("flows/sync.py:sync", {"resources": "tickets"}, "resources"),
    ],
)
def test_a_parameter_value_the_flow_does_not_take_is_refused_before_it_runs(
    entrypoint: str, parameters: dict[str, Any], refused: str
) -> None:
    flow: Any = load_flow_from_entrypoint(str(ROOT / entrypoint))

    with pytest.raises(ParameterTypeError, match=refused):
        flow.validate_parameters(parameters)


def test_text_parameters_become_the_types_the_flow_declares() -> None:
    flow: Any = load_flow_from_entrypoint(str(ROOT / "flows/extract.py") + ":extract")

    valid = flow.validate_parameters({"db": "data/x.duckdb", "start_date": "2025-01-31"})

    assert valid["db"] == Path("data/x.duckdb")
    assert valid["start_date"] == date(2025, 1, 31)
