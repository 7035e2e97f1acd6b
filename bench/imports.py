"""The import graph of `search/` and `web/`: modules, imports between them, imports that run
back up the layers, cycles, and Whoosh private names used outside `search/engine/`.

    python bench/imports.py [--root DIR]

`tests/test_imports.py` holds the layers to this; the script prints the counts so that a
change's effect on the structure can be compared (run it at two commits).
"""

from __future__ import annotations

import argparse
import ast
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("search", "web")

# Each group may import the groups listed before it, and modules of its own package (a
# package's modules among themselves, without a cycle). A new module needs a place here.
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "search.config",
        "search.errors",
        "search.cache",
        "search.progress",
        "search.timing",
        "search.threads",
    ),
    ("search.text",),
    ("search.querylog",),
    ("search.ingest", "search.vectors"),
    ("search.facets",),  # a filter by kind takes the kinds reading a document gives
    ("search.engine",),
    ("search.rank",),
    ("search.query",),
    ("search.index",),
    ("search.highlight",),
    ("search.complete",),
    ("search.shard", "search.suggest", "search.documents", "search.stats"),
    ("search.results",),
    ("search.cluster",),
    ("search.cli",),
    ("web",),
)
# The one package allowed to reach Whoosh's private names.
WHOOSH_INTERNALS_ALLOWED = "search.engine"


@dataclass
class Graph:
    modules: dict[str, Path] = field(default_factory=dict)
    imports: dict[str, set[str]] = field(default_factory=dict)  # module -> modules it imports

    @property
    def edges(self) -> int:
        return sum(len(targets) for targets in self.imports.values())


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every dotted name `module` imports, at any depth (imports inside functions count)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def read_graph(root: Path = ROOT) -> Graph:
    graph = Graph()
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            graph.modules[module_name(path, root)] = path
    for module, path in graph.modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _imported(tree, module, path.name == "__init__.py")
        graph.imports[module] = {name for name in names if name in graph.modules and name != module}
    return graph


def layer_of(module: str) -> tuple[int, str] | None:
    """(layer number, group) of a module: its longest matching group."""
    best: tuple[int, str] | None = None
    for number, groups in enumerate(LAYERS):
        for group in groups:
            if (module == group or module.startswith(group + ".")) and (
                best is None or len(group) > len(best[1])
            ):
                best = (number, group)
    return best


def upward_imports(graph: Graph) -> list[str]:
    """`a -> b` for each import of a module from a layer not below its own."""
    found = []
    for module, targets in sorted(graph.imports.items()):
        mine = layer_of(module)
        for target in sorted(targets):
            theirs = layer_of(target)
            if mine is None or theirs is None:
                continue
            if theirs[1] == mine[1] or module.startswith(target + "."):
                continue  # within one package, or a package's own __init__
            if theirs[0] >= mine[0]:
                found.append(f"{module} -> {target}")
    return found


def unplaced(graph: Graph) -> list[str]:
    return sorted(m for m in graph.modules if layer_of(m) is None and m not in PACKAGES)


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.imports.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


@cache
def whoosh_private_names() -> frozenset[str]:
    """Private attribute and function names that Whoosh's own source defines or assigns."""
    import whoosh

    names: set[str] = set()
    for path in Path(whoosh.__file__).parent.rglob("*.py"):
        with warnings.catch_warnings():  # Whoosh's source has invalid escape sequences
            warnings.simplefilter("ignore")
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                name = node.attr
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                name = node.name
            if name and name.startswith("_") and not name.startswith("__"):
                names.add(name)
    return frozenset(names)


def whoosh_internals_outside_engine(graph: Graph) -> list[str]:
    """`module:line name` wherever a module outside the engine reads one of Whoosh's
    private names on an object other than its own (`self`, `cls`)."""
    private = whoosh_private_names()
    found = []
    for module, path in sorted(graph.modules.items()):
        if module == WHOOSH_INTERNALS_ALLOWED or module.startswith(WHOOSH_INTERNALS_ALLOWED + "."):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in private
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                found.append(f"{module}:{node.lineno} {node.attr}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="a checkout [this one]")
    root = parser.parse_args().root.resolve()
    graph = read_graph(root)
    in_search = sum(1 for m in graph.modules if m.split(".")[0] == "search")
    print(f"modules: {len(graph.modules)} ({in_search} in search/)")
    print(f"imports between modules: {graph.edges}")
    print(f"modules outside the layers: {len(unplaced(graph))}")
    upward = upward_imports(graph)
    print(f"imports back up the layers: {len(upward)}")
    for line in upward:
        print(f"  {line}")
    found = cycles(graph)
    print(f"cycles: {len(found)}")
    for group in found:
        print("  " + " <-> ".join(group))
    internals = whoosh_internals_outside_engine(graph)
    print(f"Whoosh private names outside search/engine/: {len(internals)}")
    for line in internals:
        print(f"  {line}")


if __name__ == "__main__":
    main()
