"""A Zendesk-compatible local server with synthetic data: the demo's default and the test double."""

from zdsync.sandbox.config import SandboxConfig
from zdsync.sandbox.faults import Fault
from zdsync.sandbox.server import Sandbox

__all__ = ["Fault", "Sandbox", "SandboxConfig"]
