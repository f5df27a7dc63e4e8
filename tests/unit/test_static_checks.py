"""Static checks that a green run could otherwise hide: undefined names, and the layering rules."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_no_undefined_or_unused_names() -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is part of the test extras: pip install -e '.[test]'")
    result = subprocess.run([ruff, "check", "--select", "F,E9", "--output-format", "concise", "."],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(("package", "forbidden"), [
    ("drafts", r"aiogram|sqlalchemy|storage|handlers|bot"),
    ("handlers", r"sqlalchemy|storage|bot"),
    ("storage", r"handlers|bot"),
])
def test_dependencies_point_the_right_way(package: str, forbidden: str) -> None:
    pattern = re.compile(rf"^\s*(from|import) ({forbidden})\b", re.MULTILINE)
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / package).rglob("*.py")
                 if pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
