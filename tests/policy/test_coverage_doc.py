"""docs/POLICIES-COVERAGE.md names only tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
REF = re.compile(r"`(?:(P|domain|central)/(test_\w+\.py))?::(\w+)`")
FOLDERS = {"P": "policy", "domain": "domain", "central": "central"}


def test_every_test_named_in_the_coverage_doc_exists() -> None:
    doc = (ROOT / "docs" / "POLICIES-COVERAGE.md").read_text(encoding="utf-8")
    checked = 0
    for line in doc.splitlines():
        current: Path | None = None
        for folder, name, test in REF.findall(line):
            if name:
                base = ROOT / "tests" / FOLDERS[folder]
                current = base / name
            assert current is not None, line
            source = current.read_text(encoding="utf-8")
            assert f"def {test}(" in source, f"{current.name}::{test} is named but missing"
            checked += 1
    assert checked >= 90
