"""`python -m bot` as a newcomer runs it: only a token set, the default SQLite file, bundled drafts; and as
a deployment runs it: PostgreSQL (an empty database it migrates itself) and Redis (PostgreSQL pass only)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from storage.database import SqlDatabase
from tests.backends import requires_postgres
from tests.e2e.botapi_stub import BotAPIStub
from tests.e2e.driver import Person

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"BOT_TOKEN", "DATABASE_URL", "REDIS_URL", "ADMIN_IDS", "TELEGRAM_API_URL", "TIMEZONE"}}
    return {**env, "PYTHONPATH": str(ROOT), **settings}


async def start_and_browse(tmp_path: Path, **settings: str) -> None:
    """Starts `python -m bot` with these settings, consents and lists the drafts as a resident, stops it."""
    async with BotAPIStub() as stub:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path,
            env=clean_env(BOT_TOKEN="42:TEST", TELEGRAM_API_URL=stub.base_url, **settings),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await stub.wait_for_event("setMyCommands", timeout=60)
            resident = Person(stub, 1234)
            await resident.say("/start")
            await resident.press("我同意")
            await resident.press("征求意见的草案")
            assert resident.text.count("（草案）") == 3
        finally:
            process.send_signal(signal.SIGTERM)  # aiogram stops polling gracefully
            output, _ = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, output.decode()


async def test_runs_with_only_a_token_and_answers(tmp_path: Path) -> None:
    await start_and_browse(tmp_path)
    assert (tmp_path / "data" / "yijian.db").exists(), "the default database is an SQLite file under ./data/"


@requires_postgres
async def test_runs_on_an_empty_postgresql_database_with_redis(tmp_path: Path, empty_database_url: str,
                                                                redis_url: str) -> None:
    await start_and_browse(tmp_path, DATABASE_URL=empty_database_url, REDIS_URL=redis_url)
    assert not (tmp_path / "data").exists(), "no SQLite file when DATABASE_URL names PostgreSQL"
    db = SqlDatabase(empty_database_url)
    try:
        async with db.read() as uow:  # the bot migrated the empty database and seeded the bundled drafts
            assert await uow.drafts.count() == 3
            assert (await uow.residents.get(1234)) is not None
    finally:
        await db.dispose()


@pytest.mark.parametrize(("settings", "named"), [
    ({}, "BOT_TOKEN is not set"),
    ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN is malformed"),
    ({"BOT_TOKEN": "1:x", "ADMIN_IDS": "12,abc"}, "ADMIN_IDS is malformed"),
    ({"BOT_TOKEN": "1:x", "TIMEZONE": "Mars/Olympus"}, "TIMEZONE is malformed"),
    ({"BOT_TOKEN": "1:x", "DEFAULT_LANGUAGE": "fr"}, "DEFAULT_LANGUAGE is malformed"),
])
async def test_bad_settings_stop_the_start_with_one_clear_line(tmp_path: Path, settings: dict, named: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=clean_env(**settings),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 2
    assert len(lines) == 1 and named in lines[0], lines
    assert not (tmp_path / "data").exists(), "nothing is created before the settings are valid"
