"""The version of the state each stream keeps in dlt, checked before a stream resumes from it.

Where each stream resumes lives in dlt's resource state, saved with the data it covers; each
kind of stream (``exports.py``, ``lists.py``) says what it keeps there.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

STATE_VERSION = 1


class StateVersionError(RuntimeError):
    """Saved state written by a zdsync that stored it differently."""


def check_version(state: MutableMapping[str, Any], stream: str) -> None:
    """Refuse state another version wrote; state without a version gets this one's."""
    version = state.setdefault("version", STATE_VERSION)
    if version != STATE_VERSION:
        raise StateVersionError(
            f"saved state for {stream} has version {version}, this zdsync reads "
            f"{STATE_VERSION}: run again with --full-refresh"
        )
