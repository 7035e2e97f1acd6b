"""The README documents every setting and both set-up commands."""

from __future__ import annotations

import pytest
from conftest import ROOT

from search.config import SETTINGS

README = (ROOT / "README.md").read_text("utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting) -> None:  # type: ignore[no-untyped-def]
    row = next((line for line in README.splitlines() if f"`{setting.env}`" in line), None)
    assert row is not None, f"{setting.env} is missing from the README's settings table"
    assert row.startswith(f"| {setting.name} |")


def test_quick_start_has_the_two_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make run" in quick_start and "make test" in quick_start
