"""SQL text built from values, for the few statements that cannot take parameters."""


def string_literal(text: str) -> str:
    """``text`` as a SQL string literal: quoted, with its quotes doubled."""
    return "'" + text.replace("'", "''") + "'"
