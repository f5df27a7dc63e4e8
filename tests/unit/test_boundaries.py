"""The domain package drafts/ stays free of aiogram, SQLAlchemy and the other layers of the bot."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

DRAFTS = Path(__file__).resolve().parents[2] / "drafts"
FORBIDDEN = ("aiogram", "sqlalchemy", "alembic", "asyncpg", "aiosqlite", "bot", "handlers", "storage")


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_module_of_drafts_imports_another_layer():
    modules = sorted(DRAFTS.glob("*.py"))
    assert len(modules) >= 10
    offending = {p.name: sorted(imported_roots(p) & set(FORBIDDEN)) for p in modules}
    assert {name: found for name, found in offending.items() if found} == {}


def test_importing_the_whole_domain_loads_neither_aiogram_nor_sqlalchemy():
    names = ", ".join(f"drafts.{p.stem}" for p in sorted(DRAFTS.glob("*.py")) if p.stem != "__init__")
    script = f"import sys, {names}; print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=DRAFTS.parent, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
