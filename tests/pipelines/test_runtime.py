"""Importing zdsync changes nothing process-wide; ``runtime.prepare`` makes every such change.

Each probe runs in a fresh interpreter, so nothing an earlier test imported or set is seen.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("pipelines", "zdsync", "flows", "bench")

# Snapshots what the extract tunes: glibc's malloc (through ctypes), dlt's configuration, dlt's
# log filters and Arrow's memory pool; then runs ``ACTION`` and snapshots again.
PROBE = textwrap.dedent(
    """
    import ctypes, importlib, json, logging, pkgutil, sys

    import dlt
    import pyarrow

    malloc_calls = []
    real_cdll = ctypes.CDLL

    class LibC:
        def __init__(self, lib):
            self._lib = lib

        def __getattr__(self, name):
            found = getattr(self._lib, name)
            if name != "mallopt":
                return found

            def recorded(*args):
                malloc_calls.append(list(args))
                return found(*args)

            return recorded

    def cdll(name, *args, **kwargs):
        lib = real_cdll(name, *args, **kwargs)
        return LibC(lib) if name and "libc.so" in str(name) else lib

    ctypes.CDLL = cdll
    KEYS = ("load.truncate_staging_dataset", "load.delete_completed_jobs", "load.workers")

    def snapshot():
        return {
            "dlt_config": {key: dlt.config.get(key) for key in KEYS},
            "dlt_log_filters": [type(f).__name__ for f in logging.getLogger("dlt").filters],
            "arrow_pool": pyarrow.default_memory_pool().backend_name,
            "malloc_calls": list(malloc_calls),
        }

    def import_everything(packages):
        for package in packages:
            module = importlib.import_module(package)
            for found in pkgutil.walk_packages(module.__path__, package + "."):
                importlib.import_module(found.name)

    before = snapshot()
    ACTION
    print(json.dumps({"before": before, "after": snapshot()}))
    """
)


def probe(action: str) -> dict[str, Any]:
    code = PROBE.replace("ACTION", action)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_importing_every_module_changes_nothing_global() -> None:
    found = probe(f"import_everything({list(PACKAGES)!r})")

    assert found["after"] == found["before"]


def test_prepare_makes_every_process_wide_setting() -> None:
    found = probe("from pipelines.zendesk import runtime; runtime.prepare(arrow=True)")
    before, after = found["before"], found["after"]

    # The probe sees each setting: none is made beforehand, all are made by prepare().
    assert before["malloc_calls"] == []
    assert after["malloc_calls"] == [[-8, 2]]
    assert before["dlt_config"] == dict.fromkeys(before["dlt_config"])
    assert after["dlt_config"] == {
        "load.truncate_staging_dataset": True,
        "load.delete_completed_jobs": True,
        "load.workers": 1,
    }
    assert after["dlt_log_filters"] == [*before["dlt_log_filters"], "QuietArrowHints"]
    assert before["arrow_pool"] != after["arrow_pool"] == "system"


def test_prepare_twice_makes_each_setting_once() -> None:
    found = probe(
        "from pipelines.zendesk import runtime; runtime.prepare(); runtime.prepare(arrow=True)"
    )

    assert found["after"]["dlt_log_filters"].count("QuietArrowHints") == 1
    assert found["after"]["arrow_pool"] == "system"
