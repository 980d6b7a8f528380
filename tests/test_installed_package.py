"""zdsync installed from a wheel, as ``pip install .`` installs it, run outside the checkout."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.pipelines.conftest import SMALL, extract
from zdsync.errors import TransformError
from zdsync.sandbox import Sandbox
from zdsync.transform import run_models

ROOT = Path(__file__).resolve().parents[1]
# What a wheel is built from; a copy keeps the checkout free of build output.
SOURCES = ("pyproject.toml", "README.md", "zdsync", "pipelines", "flows")
PIP = (sys.executable, "-m", "pip")


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603
        [str(arg) for arg in args],
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding zdsync's wheel; its dependencies come from this venv via a .pth."""
    tmp = tmp_path_factory.mktemp("installed")
    source = tmp / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    run(
        *PIP,
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        tmp / "dist",
        source,
        cwd=tmp,
    )
    (wheel,) = (tmp / "dist").glob("zdsync-*.whl")
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    python = venv / "bin" / "python"
    run(*PIP, "--python", python, "install", "-q", "--no-deps", wheel, cwd=tmp)
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp)
    # A plain path line appends this venv's packages but runs none of their .pth files, so the
    # editable install of the checkout stays out of sight.
    (Path(purelib.stdout.strip()) / "zdsync-test-deps.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n"
    )
    return venv


def test_the_installed_package_is_the_wheel_not_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    found = run(
        installed / "bin" / "python", "-c", "import zdsync; print(zdsync.__file__)", cwd=tmp_path
    )

    assert Path(found.stdout.strip()).is_relative_to(installed)


def test_the_installed_cli_answers_help(installed: Path, tmp_path: Path) -> None:
    done = run(installed / "bin" / "zdsync", "--help", cwd=tmp_path)

    for command in ("extract", "transform", "push-users", "sandbox", "demo", "status"):
        assert command in done.stdout


def test_the_installed_transform_builds_every_model(installed: Path, tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    with Sandbox(SMALL).start() as sandbox:
        sandbox.store.advance_clock(120)
        extract(sandbox, db)
        tickets = len(sandbox.store.snapshot()["tickets"])
    models = sorted(p.stem for p in (ROOT / "zdsync" / "sql").glob("*.sql"))

    done = run(installed / "bin" / "zdsync", "transform", "--db", db, cwd=tmp_path)

    assert [line.split()[0] for line in done.stdout.splitlines()] == models
    # Models whose raw tables this extract lacks say so and build nothing.
    skipped = {line.split()[0] for line in done.stdout.splitlines() if " skipped: " in line}
    with duckdb.connect(str(db), read_only=True) as con:
        built = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'analytics'"
        ).fetchall()
        staged = con.execute("SELECT count(*) FROM analytics.stg_tickets").fetchall()
    # Each model after the schema builds the relation its file is named after.
    assert {name for (name,) in built} == {
        model.split("_", 1)[1] for model in models[1:] if model not in skipped
    }
    assert staged == [(tickets,)]


def test_the_installed_package_holds_the_models_fallbacks(installed: Path, tmp_path: Path) -> None:
    listing = "from importlib.resources import files; " + (
        "print(*sorted(p.name for p in (files('zdsync') / 'sql' / 'fallbacks').iterdir()))"
    )

    done = run(installed / "bin" / "python", "-c", listing, cwd=tmp_path)

    expected = sorted(p.name for p in (ROOT / "zdsync" / "sql" / "fallbacks").glob("*.sql"))
    assert expected
    assert done.stdout.split() == expected


def test_a_transform_without_its_models_says_so(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(db)).close()

    with pytest.raises(TransformError, match=r"no models in .*: the installed package lacks"):
        run_models(db, tmp_path / "sql")
