"""The layers, read from the source: who may import whom, no cycles, modules of a readable size.

From the bottom: the library (``zdsync``, ``pipelines``), then the flows, which run it, then the
demo and the program, which run the flows. Every import counts, one inside a function too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("zdsync", "pipelines", "flows")
# The modules above the flows, which run them; no library module imports these.
ABOVE_THE_FLOWS = frozenset({"zdsync.demo", "zdsync.__main__"})
MAX_LINES = 400
# Seeded data tables, long by nature rather than by doing several things.
LONG_BY_NATURE = frozenset({"zdsync/sandbox/fakedata.py"})


@dataclass(frozen=True)
class Import:
    target: str
    line: int
    # Under ``if TYPE_CHECKING:``: read by mypy, never run.
    typing_only: bool


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _is_package(name: str) -> bool:
    return modules()[name].name == "__init__.py"


def _resolve(name: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = name if _is_package(name) else name.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _project_module(target: str) -> str | None:
    """The project module an import loads, or None for a third-party one."""
    while target and target not in modules():
        target = target.rpartition(".")[0]
    return target or None


def _targets(name: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = _resolve(name, node)
    for alias in node.names:
        # ``from package import module`` loads the module; ``from module import name`` the module.
        yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base


def _typing_only_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


@cache
def imports(name: str) -> tuple[Import, ...]:
    """The project modules ``name`` imports, wherever in the module the import stands."""
    tree = ast.parse(modules()[name].read_text(), filename=str(modules()[name]))
    typing_only = _typing_only_lines(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for target in _targets(name, node):
                module = _project_module(target)
                if module is not None and module != name:
                    found.append(Import(module, node.lineno, node.lineno in typing_only))
    # ``from module import a, b`` is one import of the module.
    return tuple(dict.fromkeys(found))


def _library() -> list[str]:
    return sorted(
        name
        for name in modules()
        if name.split(".")[0] in ("zdsync", "pipelines") and name not in ABOVE_THE_FLOWS
    )


def _is_above_the_library(module: str) -> bool:
    return module.split(".")[0] == "flows" or module in ABOVE_THE_FLOWS


def test_the_walk_sees_the_project_and_lazy_imports() -> None:
    # The demo imports the flows inside a function: a walk of the top level alone would miss it.
    assert "flows.sync" in {found.target for found in imports("zdsync.demo")}
    assert {"zdsync.cli", "zdsync.client.errors", "pipelines.zendesk", "flows.sync"} <= set(
        modules()
    )
    assert set(_library()) & ABOVE_THE_FLOWS == set()


@pytest.mark.parametrize("name", _library())
def test_library_modules_never_import_the_flows_or_what_runs_them(name: str) -> None:
    above = [
        f"{found.target} (line {found.line})"
        for found in imports(name)
        if _is_above_the_library(found.target)
    ]

    assert above == [], f"{name} imports {', '.join(above)}"


# The client turns HTTP statuses into errors and predicates; the sandbox, a server, answers them.
SPEAK_HTTP = ("zdsync.client", "zdsync.sandbox")


def _status_decisions(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("status", "status_code", "codes"):
            yield f"line {node.lineno}: .{node.attr}"
        elif isinstance(node, ast.keyword) and node.arg == "status":
            yield f"line {node.value.lineno}: status="
        elif isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                if isinstance(side, ast.Constant) and side.value in range(400, 600):
                    yield f"line {node.lineno}: compared with {side.value!r}"


def test_the_decision_finder_sees_each_way_of_deciding_on_a_status() -> None:
    source = "a = r.status_code == 201\nb = exc.status\nc = stats.count(status=429)\nd = x >= 500\n"

    assert sorted(_status_decisions(ast.parse(source))) == [
        "line 1: .status_code",
        "line 2: .status",
        "line 3: status=",
        "line 4: compared with 500",
    ]
    assert list(_status_decisions(ast.parse("rows = 500\nok = n < len(rows)\n"))) == []


@pytest.mark.parametrize("name", [name for name in modules() if not name.startswith(SPEAK_HTTP)])
def test_only_the_client_decides_on_http_statuses(name: str) -> None:
    tree = ast.parse(modules()[name].read_text())

    assert list(_status_decisions(tree)) == [], "ask the client: an error class or a predicate"


@pytest.mark.parametrize("name", [name for name in modules() if name.startswith("flows")])
def test_no_flow_or_task_retries_on_top_of_the_client(name: str) -> None:
    tree = ast.parse(modules()[name].read_text())
    retries = [
        f"line {node.value.lineno}: {node.arg}="
        for node in ast.walk(tree)
        if isinstance(node, ast.keyword) and node.arg in ("retries", "retry_delay_seconds")
    ]

    assert retries == [], "the client retries each request; a run it gives up on fails"


# The command line and its rendering (rich); the flows publish their own Prefect artifacts.
COMMAND_LINE = frozenset({"zdsync.cli", "zdsync.reporting"})


@pytest.mark.parametrize("name", [name for name in modules() if name.startswith("flows")])
def test_the_flows_never_import_the_command_line(name: str) -> None:
    found = sorted({i.target for i in imports(name)} & (COMMAND_LINE | ABOVE_THE_FLOWS))

    assert found == [], f"{name} imports {', '.join(found)}"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_among_the_projects_modules() -> None:
    # What runs, lazy imports included; ``if TYPE_CHECKING:`` imports never run.
    graph = {
        name: {found.target for found in imports(name) if not found.typing_only}
        for name in modules()
    }

    assert _cycles(graph) == []


def _sized_modules() -> Iterator[str]:
    for path in modules().values():
        relative = path.relative_to(ROOT).as_posix()
        if relative not in LONG_BY_NATURE:
            yield relative


@pytest.mark.parametrize("relative", list(_sized_modules()))
def test_modules_stay_small_enough_to_read(relative: str) -> None:
    lines = len((ROOT / relative).read_text().splitlines())

    assert lines <= MAX_LINES, f"{relative} has {lines} lines; split it by what its parts do"
