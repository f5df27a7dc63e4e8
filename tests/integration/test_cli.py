"""`python -m bot staff …`, `drafts …` and `export …` as staff type them, against a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from drafts.bundled import DOCUMENTS

ROOT = Path(__file__).resolve().parents[2]


Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path, fresh_database_url: str) -> Cli:
    """Runs `python -m bot ARGS…` on a database of this test's own (SQLite or PostgreSQL, tests/backends.py)."""
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "DATABASE_URL"}}
    env |= {"PYTHONPATH": str(ROOT), "DATABASE_URL": fresh_database_url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120)

    return run


def test_staff_add_list_remove_without_a_bot_token(cli: Cli) -> None:
    assert cli("staff", "add", "123456", "--role", "admin").stdout.strip() == "123456 is now admin"
    assert cli("staff", "add", "777", "--role", "viewer").returncode == 0
    listed = cli("staff", "list").stdout.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [["123456", "admin"], ["777", "viewer"]]
    assert cli("staff", "remove", "777").stdout.strip() == "777 removed"
    assert cli("staff", "remove", "777").stdout.strip() == "777 is not staff"
    last = cli("staff", "remove", "123456")
    assert last.returncode == 1 and "at least one admin" in last.stderr


def test_bad_role_is_refused_by_the_parser(cli: Cli) -> None:
    result = cli("staff", "add", "1", "--role", "king")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_drafts_publish_and_list(cli: Cli) -> None:
    result = cli("drafts", "publish", str(DOCUMENTS / "noise_control.txt"), "--deadline", "2099-01-01")
    assert result.returncode == 1 and "too far" in result.stderr  # more than a year ahead
    deadline = (date.today() + timedelta(days=40)).isoformat()
    result = cli("drafts", "publish", str(DOCUMENTS / "noise_control.txt"), "--deadline", deadline)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("published draft 1: 长治市噪声污染防治条例（草案） (41 articles)")
    [line] = cli("drafts", "list").stdout.splitlines()
    assert line.split("\t") == ["1", "open", "v1", f"until {deadline}", "长治市噪声污染防治条例（草案）"]


@pytest.mark.parametrize(("content", "name", "expected"), [
    ("长治市测试条例（草案）\n第一条　甲。\n第三条　丙。\n", "skip.txt", "line 3: article 3 skips article 2"),
    ("hello", "draft.pdf", "unsupported (type)"),
])
def test_malformed_or_unsupported_files_are_refused(cli: Cli, tmp_path: Path, content: str, name: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = cli("drafts", "publish", str(path), "--deadline", "2026-12-31")
    assert result.returncode == 1 and expected in result.stderr
    assert cli("drafts", "list").stdout == ""


def test_bad_deadline_is_refused(cli: Cli) -> None:
    result = cli("drafts", "publish", str(DOCUMENTS / "noise_control.txt"), "--deadline", "31/12/2026")
    assert result.returncode == 1 and "expected YYYY-MM-DD" in result.stderr
    result = cli("drafts", "publish", str(DOCUMENTS / "noise_control.txt"), "--deadline", "2020-01-01")
    assert result.returncode == 1 and "past" in result.stderr
