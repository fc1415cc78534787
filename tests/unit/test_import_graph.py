"""The import graph of src/accel, read from the source (ast), has no cycle: not between modules, not between
the packages they sit in. Imports inside functions count too, so none can hide a circle."""

import ast
from pathlib import Path

import pytest

import accel

ROOT = Path(accel.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in ROOT.rglob("*.py")}


def imports(name: str, path: Path) -> set[str]:
    """The accel modules ``name`` imports (anywhere in the file), resolved to modules where they are ones."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target.startswith("accel") and target != name:
                found.add(target)
    return found


GRAPH = {name: imports(name, path) for name, path in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def collapsed(depth: int, within: str = "accel") -> dict[str, set[str]]:
    """The graph between packages: every module under ``within`` named by its first ``depth`` parts."""
    def key(name: str) -> str | None:
        if not (name == within or name.startswith(within + ".")):
            return None
        return ".".join(name.split(".")[:depth])

    graph: dict[str, set[str]] = {}
    for name, targets in GRAPH.items():
        source = key(name)
        if source is None:
            continue
        edges = graph.setdefault(source, set())
        edges.update(t for t in (key(target) for target in targets) if t and t != source)
    return graph


def test_graph_reads_the_package():
    assert len(MODULES) > 80
    assert "accel.config" in GRAPH["accel.cli"]
    assert "accel.flow.engine.step" in GRAPH["accel.flow.steps.synth"]


def test_no_module_cycle():
    assert find_cycle(GRAPH) is None, " -> ".join(find_cycle(GRAPH))


@pytest.mark.parametrize("within,depth", [("accel", 2), ("accel.flow", 3), ("accel.hw", 3)])
def test_no_package_cycle(within, depth):
    cycle = find_cycle(collapsed(depth, within))
    assert cycle is None, " -> ".join(cycle)


def test_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
