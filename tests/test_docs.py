"""The README documents every setting and both set-up commands; docs/architecture.md names
every package and lists the layers that the import test holds the code to."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from bench.imports import LAYERS
from search.config import SETTINGS

README = (ROOT / "README.md").read_text("utf-8")
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text("utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting) -> None:  # type: ignore[no-untyped-def]
    row = next((line for line in README.splitlines() if f"`{setting.env}`" in line), None)
    assert row is not None, f"{setting.env} is missing from the README's settings table"
    assert row.startswith(f"| {setting.name} |")


def test_quick_start_has_the_two_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make run" in quick_start and "make test" in quick_start


def test_architecture_names_every_package() -> None:
    packages = sorted(path.parent.name for path in (ROOT / "search").glob("*/__init__.py"))
    assert [name for name in packages if f"`search/{name}/`" not in ARCHITECTURE] == []


def test_architecture_names_only_packages_that_exist() -> None:
    named = set(re.findall(r"`search/(\w+)/`", ARCHITECTURE))
    assert named
    assert sorted(n for n in named if not (ROOT / "search" / n / "__init__.py").is_file()) == []


def test_architecture_lists_the_layers_in_order() -> None:
    block = ARCHITECTURE.split("## Layers", 1)[1].split("```", 2)[1]
    listed = [
        tuple(word for word in line.split() if word == "web" or word.startswith("search."))
        for line in block.splitlines()
    ]
    assert [group for group in listed if group] == [tuple(group) for group in LAYERS]
