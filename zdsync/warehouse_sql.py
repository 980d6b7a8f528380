"""The SQL models, written once in DuckDB's dialect, as statements for the warehouse at hand.

The models stay DuckDB SQL; sqlglot turns each into the destination's dialect (the one dlt names
in the destination's capabilities). sqlglot translates functions and types; the rewrites below
cover what a translation of the text alone gets wrong because it depends on what dlt loads:

- ``CREATE OR REPLACE TABLE`` becomes ``DROP TABLE IF EXISTS`` then ``CREATE TABLE`` where the
  dialect has no such statement (PostgreSQL, Redshift). The transform runs in one transaction
  there, so readers never see the table missing.
- JSON paths become the ``->>``/``->`` operators on PostgreSQL: dlt loads nested values as
  ``jsonb``, which ``json_extract_path_text`` does not accept.
- A cast to an array (``CAST(tags AS VARCHAR[])``) on PostgreSQL reads a JSON array: dlt keeps
  lists as JSON there, and ``jsonb`` has no cast to an array type.
- ``json_group_object`` (an object built from keys and values of a group) is ``jsonb_object_agg``
  on PostgreSQL, the type dlt's JSON columns have there; sqlglot passes the name through as is.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp

MODEL_DIALECT = "duckdb"
# Dialects whose CREATE TABLE knows no OR REPLACE.
WITHOUT_REPLACE_TABLE = frozenset({"postgres", "redshift"})
# Dialects whose JSON columns, as dlt loads them, are PostgreSQL's jsonb.
JSONB = frozenset({"postgres"})


def statements(script: str, dialect: str) -> list[str]:
    """The statements of a model script, in ``dialect``; the script itself for DuckDB.

    Raises:
        sqlglot.errors.SqlglotError: The script does not parse, or uses something ``dialect``
            cannot express.
    """
    if dialect == MODEL_DIALECT:
        return [script]
    found = []
    for tree in sqlglot.parse(script, read=MODEL_DIALECT):
        if tree is None:
            continue
        for statement in _split_replace(tree, dialect):
            for rewrite in REWRITES.get(dialect, ()):
                statement = statement.transform(rewrite)
            found.append(statement.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE))
    return found


def _split_replace(tree: exp.Expr, dialect: str) -> list[exp.Expr]:
    replaces_table = (
        isinstance(tree, exp.Create) and tree.kind == "TABLE" and tree.args.get("replace")
    )
    if dialect not in WITHOUT_REPLACE_TABLE or not replaces_table:
        return [tree]
    create = tree.copy()
    create.set("replace", False)
    drop = exp.Drop(tables=[create.this.copy()], kind="TABLE", exists=True)
    return [drop, create]


def _json_operators(node: exp.Expr) -> exp.Expr:
    if isinstance(node, (exp.JSONExtract, exp.JSONExtractScalar)):
        node.set("only_json_types", True)
    return node


def _json_array_cast(node: exp.Expr) -> exp.Expr:
    if not (isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.ARRAY)):
        return node
    # A cast to JSON[] is left to sqlglot, which reads it as the rows of a JSON array.
    if not node.to.expressions or not node.to.expressions[0].is_type(*exp.DataType.TEXT_TYPES):
        return node
    value = node.this
    elements = exp.select(
        exp.func("jsonb_array_elements_text", exp.cast(value.copy(), exp.DataType.Type.JSONB))
    )
    # Keep NULL for NULL, as the cast does, rather than an empty array.
    return exp.If(
        this=value.copy().is_(exp.null()), true=exp.null(), false=exp.Array(expressions=[elements])
    )


def _json_object_agg(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Anonymous) and str(node.name).lower() == "json_group_object":
        return exp.Anonymous(this="jsonb_object_agg", expressions=node.expressions)
    return node


REWRITES: dict[str, tuple[Callable[[exp.Expr], exp.Expr], ...]] = {
    dialect: (_json_operators, _json_array_cast, _json_object_agg) for dialect in JSONB
}
