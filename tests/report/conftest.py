"""One warehouse for the report's tests: two extracts and a push, then the models."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.pipelines.conftest import extract
from tests.reverse_etl.conftest import crm_rows, push, write_csv
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.transform import run_models

CONFIG = SandboxConfig(
    rate_limits="off",
    tickets=800,
    users=300,
    organizations=20,
    deleted_users=20,
    job_latency_seconds=0.05,
)


@dataclass(frozen=True)
class Built:
    db: Path
    crm_rows: int


@pytest.fixture(scope="package")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    tmp = tmp_path_factory.mktemp("report")
    db = tmp / "sync.duckdb"
    rows = [*crm_rows(20), {"email": "bad@", "name": "Invalid"}]
    with Sandbox(CONFIG).start() as sandbox:
        sandbox.store.advance_clock(120)
        extract(sandbox, db)
        push(sandbox, tmp, input=write_csv(tmp / "crm.csv", rows), db=db)
        extract(sandbox, db)
    run_models(db)
    return Built(db, len(rows))


@pytest.fixture
def warehouse(built: Built, tmp_path: Path) -> Path:
    """A copy of the built warehouse the test may change."""
    return Path(shutil.copy(built.db, tmp_path / "copy.duckdb"))
