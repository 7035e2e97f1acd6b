"""The packages import downward only: no cycles, no import back up the layers, Whoosh's
private names only inside `search/engine/`, and the engine never imports the web."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.imports import (
    cycles,
    read_graph,
    unplaced,
    upward_imports,
    whoosh_internals_outside_engine,
)


@pytest.fixture(scope="module")
def graph():  # type: ignore[no-untyped-def]
    return read_graph()


def test_every_module_has_a_layer(graph) -> None:  # type: ignore[no-untyped-def]
    assert unplaced(graph) == []


def test_no_module_imports_back_up_the_layers(graph) -> None:  # type: ignore[no-untyped-def]
    assert upward_imports(graph) == []


def test_no_import_cycles(graph) -> None:  # type: ignore[no-untyped-def]
    assert cycles(graph) == []


def test_whoosh_internals_stay_in_the_engine(graph) -> None:  # type: ignore[no-untyped-def]
    assert whoosh_internals_outside_engine(graph) == []


def test_the_engine_never_imports_the_web(graph) -> None:  # type: ignore[no-untyped-def]
    assert graph.modules["search.cli"]
    crossing = [
        f"{module} -> {target}"
        for module, targets in graph.imports.items()
        if module.split(".")[0] == "search"
        for target in targets
        if target.split(".")[0] == "web"
    ]
    assert crossing == []


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"search/__init__.py": "", "web/__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_checks_find_a_cycle_an_upward_import_and_a_private_name(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "search/text/__init__.py": "",
            "search/text/a.py": "from search.text import b\n",
            "search/text/b.py": "def f():\n    from search.text.a import x\n",
            "search/config.py": "from search.results import run_search\n",
            "search/results.py": "",
            "search/index/__init__.py": "",
            "search/index/build.py": "def f(w):\n    w._commit_toc([])\n",
            "search/engine/__init__.py": "",
            "search/engine/writing.py": "def f(w):\n    w._commit_toc([])\n",
            "search/elsewhere.py": "from web import create_app\n",
        },
    )
    graph = read_graph(root)
    assert cycles(graph) == [["search.text.a", "search.text.b"]]
    assert upward_imports(graph) == ["search.config -> search.results"]
    assert whoosh_internals_outside_engine(graph) == ["search.index.build:2 _commit_toc"]
    assert unplaced(graph) == ["search.elsewhere"]
