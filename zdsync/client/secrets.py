"""A string wrapper that keeps credentials out of reprs, logs and tracebacks."""

from __future__ import annotations

import hmac


class Secret:
    """Holds a credential; only ``reveal()`` gives the value back.

    ``repr``, ``str`` and f-strings all print a fixed mask, so a Secret that ends up in a log
    line, an exception message or a dataclass repr leaks nothing.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the credential itself, for building a request."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)
