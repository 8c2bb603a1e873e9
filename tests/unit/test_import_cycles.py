"""No import cycle among lanwise's modules, type-only imports (``if TYPE_CHECKING``) included.

Packages point only down (docs/ARCHITECTURE): a cycle, even one hidden from the
interpreter behind ``TYPE_CHECKING``, means two modules that are really one.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The lanwise modules ``path`` imports by name (every ``import``, wherever it is)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
    return {m for m in found if m in modules and m != name}


def import_graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in SRC.joinpath("lanwise").rglob("*.py")}
    modules = set(paths)
    return {name: _imports(path, name, modules) for name, path in paths.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that starts and ends at one module, or None."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        path.append(start)
        on_path.add(start)
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
                continue
            nxt = todo.pop()
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in done:
                stack.append((nxt, sorted(graph[nxt])))
                path.append(nxt)
                on_path.add(nxt)
    return None


def test_the_cycle_finder_finds_a_type_only_cycle(tmp_path: Path) -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from lanwise.x import Y\n"
    module = tmp_path / "m.py"
    module.write_text(source)
    assert _imports(module, "lanwise.m", {"lanwise.x", "lanwise.m"}) == {"lanwise.x"}


def test_the_mdns_engine_has_no_import_cycle() -> None:
    """lanwise.mdns (and what it imports) holds no cycle, type-only imports included."""
    graph = import_graph()
    assert "lanwise.mdns.engine" in graph
    inside = {m for m in graph if m.split(".")[:2] in (["lanwise", "mdns"], ["lanwise", "dns"])}
    assert find_cycle({m: graph[m] & inside for m in inside}) is None


def test_src_lanwise_has_no_import_cycle() -> None:
    graph = import_graph()
    assert find_cycle(graph) is None
