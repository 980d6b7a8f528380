"""Derive the repository's compact copy of Zendesk's OpenAPI file.

Zendesk's file is 1.2 MB of YAML, mostly prose and examples, and lives outside the repository.
The sandbox's and the catalog's conformance tests need only the operations in ``OPERATIONS``
(derived from ``zdsync.catalog``) and the schemas their requests and responses reference,
transitively, with their types. This script keeps exactly that, in OpenAPI's own layout, so the
tests read a file the repository holds::

    python -m tests.sandbox.compact_oas            # rewrite the compact file
    python -m tests.sandbox.compact_oas --check    # exit 1 if it is out of date

``make oas`` runs the first. Both say so and leave the file alone when the source is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from zdsync import catalog

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO.parent / "shared/reference/zendesk-support-oas.yaml"
COMPACT = Path(__file__).with_name("zendesk-oas-compact.json")


class Operation(NamedTuple):
    method: str
    path: str


# Every catalog operation the Support API file describes (ZIS has its own file), and the OAuth
# token endpoint the client refreshes tokens at. Add an operation to the catalog, not here.
OPERATIONS: tuple[Operation, ...] = (
    *(Operation(op.method.lower(), op.path) for op in catalog.OPERATIONS if op.in_support_oas),
    Operation("post", "/oauth/tokens"),
)
# What a schema keeps: the keywords a validator reads. Prose (description, title, example,
# deprecated) goes.
SCHEMA_KEYWORDS = frozenset(
    {
        "$ref",
        "additionalProperties",
        "allOf",
        "anyOf",
        "enum",
        "format",
        "items",
        "maxItems",
        "nullable",
        "oneOf",
        "properties",
        "readOnly",
        "required",
        "type",
        "writeOnly",
    }
)
PARAMETER_KEYS = ("name", "in", "required", "style", "explode", "schema")
SCHEMA_PREFIX = "#/components/schemas/"


class _Loader(yaml.CSafeLoader):
    pass


# The file uses YAML's "=" value tag in one example; read it as a plain string.
def _plain(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return str(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:value", _plain)


def load_source(source: Path) -> dict[str, Any]:
    with source.open() as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=_Loader)  # noqa: S506 - safe loader
    return loaded


def types_only(schema: Any) -> Any:
    """A schema with only the keywords validation reads, recursively."""
    if isinstance(schema, list):
        return [types_only(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    kept: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in SCHEMA_KEYWORDS:
            continue
        if key == "properties":
            kept[key] = {name: types_only(sub) for name, sub in value.items()}
        else:
            kept[key] = types_only(value)
    return kept


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX):
            yield ref.removeprefix(SCHEMA_PREFIX)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(spec: dict[str, Any], node: dict[str, Any], section: str) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    resolved: dict[str, Any] = spec["components"][section][ref.rsplit("/", 1)[1]]
    return resolved


def _parameter(parameter: dict[str, Any]) -> dict[str, Any]:
    return {
        key: types_only(parameter[key]) if key == "schema" else parameter[key]
        for key in PARAMETER_KEYS
        if key in parameter
    }


def _operation(spec: dict[str, Any], operation: Operation) -> dict[str, Any]:
    item = spec["paths"][operation.path]
    found = item[operation.method]
    parameters = [
        _resolve(spec, parameter, "parameters")
        for parameter in [*item.get("parameters", []), *found.get("parameters", [])]
    ]
    responses: dict[str, Any] = {}
    for status, response in found["responses"].items():
        schema = _resolve(spec, response, "responses").get("content", {})
        schema = schema.get("application/json", {}).get("schema")
        if schema is not None:
            responses[str(status)] = {
                "content": {"application/json": {"schema": types_only(schema)}}
            }
    kept: dict[str, Any] = {
        "operationId": found["operationId"],
        "parameters": [_parameter(parameter) for parameter in parameters],
        "responses": responses,
    }
    body = _resolve(spec, found.get("requestBody", {}), "requestBodies").get("content", {})
    body_schema = body.get("application/json", {}).get("schema")
    if body_schema is not None:
        kept["requestBody"] = {"content": {"application/json": {"schema": types_only(body_schema)}}}
    return kept


def compact(spec: dict[str, Any]) -> dict[str, Any]:
    """The operations in ``OPERATIONS`` and every schema they reach, prose stripped."""
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method] = _operation(spec, operation)
    schemas = spec["components"]["schemas"]
    wanted: set[str] = set()
    pending = list(_refs(paths))
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending.extend(_refs(schemas[name]))
    return {
        "openapi": spec["openapi"],
        "info": {
            "title": spec["info"]["title"],
            "version": spec["info"]["version"],
            "x-derived-by": "tests/sandbox/compact_oas.py",
        },
        "paths": paths,
        "components": {"schemas": {name: types_only(schemas[name]) for name in sorted(wanted)}},
    }


def render(spec: dict[str, Any]) -> str:
    return json.dumps(compact(spec), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="Zendesk's OpenAPI YAML")
    parser.add_argument("--output", type=Path, default=COMPACT)
    parser.add_argument("--check", action="store_true", help="only report whether it is current")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"{args.source} not found; {args.output.name} left as it is")
        return 0
    text = render(load_source(args.source))
    current = args.output.read_text() if args.output.is_file() else ""
    if args.check:
        state = "is up to date" if text == current else "is out of date: run make oas"
        print(f"{args.output.name} {state}")
        return 0 if text == current else 1
    args.output.write_text(text)
    print(f"wrote {args.output} ({len(text):,} bytes) from {args.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
