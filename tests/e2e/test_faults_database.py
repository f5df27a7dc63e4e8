"""The database goes away and comes back: PostgreSQL is really stopped (pg_ctl stop -m fast, every
connection cut) and started again, under the running bot, which is never restarted.

During the outage residents are told, in their language, to try again; a Submit is not
acknowledged and stores nothing; afterwards the same Submit works. A comment acknowledged before
is still there. Notices delivered while the database went away arrive once, none is lost.
The server is a throwaway cluster of the test's own (pg_server.py): the shared one stays up.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

import storage.database
from bot.config import Settings
from tests.backends import redis_url, requires_postgres
from tests.e2e.botapi_stub import BotAPIStub
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.driver import TRACKING, Clock, Person, RunningBot, accept_privacy, comment_via
from tests.e2e.fault_setup import DRAFT, LINK, answer_and_publish
from tests.e2e.notice_counts import deliver_everything, feedback_rows, received_notices
from tests.e2e.pg_server import PgServer

APOLOGY_ZH, APOLOGY_EN = "抱歉，系统出现问题", "Sorry, something went wrong on our side"


@pytest.fixture
def pg() -> Iterator[PgServer]:
    server = PgServer().init().start_first()
    yield server
    server.remove()


@pytest.fixture(params=["sql", "redis"])
async def conversations(request: pytest.FixtureRequest) -> str | None:
    """Where conversation state lives: in the database that goes away, or in Redis that stays."""
    if request.param == "sql":
        return None
    from redis.asyncio import Redis

    url = redis_url()  # the database number this test run claimed for itself
    assert url, "the PostgreSQL pass brings Redis"
    async with Redis.from_url(url) as client:
        await client.flushdb()
    return url


@asynccontextmanager
async def running_bot(database_url: str, conversations: str | None, stub: BotAPIStub,
                      clock: Clock) -> AsyncIterator[RunningBot]:
    settings = Settings(_env_file=None, bot_token="42:TEST", telegram_api_url=stub.base_url,
                        database_url=database_url, redis_url=conversations, default_language="zh",
                        timezone="Asia/Shanghai", admin_ids=[ADMIN_ID], outbox_tick_seconds=3600, quiet_hours="")
    running = RunningBot(settings, clock)
    await running.start()
    yield running
    await running.stop()
    assert stub.parse_errors == [], stub.parse_errors


@pytest.fixture
async def bot(pg: PgServer, conversations: str | None, stub: BotAPIStub, clock: Clock) -> AsyncIterator[RunningBot]:
    async with running_bot(pg.url(), conversations, stub, clock) as running:
        yield running


async def comments_of(bot: RunningBot, user_id: int) -> list[str]:
    async with bot.app.db.read() as uow:
        rows = await uow.session.execute(text("SELECT tracking_number FROM comments WHERE resident_id = :user"),
                                         {"user": user_id})
        return [row[0] for row in rows.all()]


@requires_postgres
async def test_residents_are_asked_to_retry_during_an_outage_and_nothing_acknowledged_is_lost(
        stub: BotAPIStub, bot: RunningBot, pg: PgServer) -> None:
    early, late = Person(stub, 1501, first_name="李华"), Person(stub, 1502, first_name="王芳")
    alice = Person(stub, 1503, language_code="en", first_name="Alice")
    for person in (early, late, alice):
        await accept_privacy(person)
    acknowledged = await comment_via(early, LINK, "夜间施工应当提前三天告知。")
    await late.say(f"/start {LINK}")
    await late.press("提意见")
    await late.say("施工时间应当公示。")  # the preview with Submit is on the screen

    await asyncio.to_thread(pg.stop)
    await late.press("提交")
    assert APOLOGY_ZH in late.alert and not TRACKING.search(late.text + late.alert), "not acknowledged"
    await alice.say("/start")
    assert APOLOGY_EN in alice.text
    await early.say("/mycomments")
    assert APOLOGY_ZH in early.text

    await asyncio.to_thread(pg.start)  # the bot is not restarted: it must find the database again
    await late.press("提交")
    receipt = TRACKING.search(late.text)
    assert receipt and "意见已收到" in late.text, late.text
    await alice.say("/start")
    assert APOLOGY_EN not in alice.text and alice.buttons()
    await early.say("/mycomments")
    assert acknowledged in early.text
    assert await comments_of(bot, early.user_id) == [acknowledged]
    assert await comments_of(bot, late.user_id) == [receipt.group(0)], "the refused Submit stored nothing"


@requires_postgres
@pytest.mark.parametrize("conversations", ["sql"], indirect=True)
async def test_notices_sent_as_the_database_goes_away_arrive_once(stub: BotAPIStub, bot: RunningBot, pg: PgServer,
                                                                  clock: Clock) -> None:
    residents, commenting = bot.app.dp["residents"], bot.app.dp["commenting"]
    for user_id in range(1600, 1606):
        await residents.accept_privacy(user_id, "zh")
        await commenting.submit(user_id, DRAFT, 18, f"第{user_id}号居民：夜间施工应当提前告知。")
    published = await answer_and_publish(bot.app, "已增加告知要求。")
    # Telegram answers slowly (0.5 s, well within the bot's timeout): the database goes away while
    # notices are on their way, after Telegram took them and before the outbox could mark them sent.
    # Some sends fail (5xx) at that time: their retry cannot be written down, yet they must come.
    stub.inject_faults({"sendMessage": 1.0}, kinds=("late", "5xx"), hold=0.5, seed=3)
    delivery = asyncio.create_task(bot.app.notifier.deliver_due())
    await stub.wait_for_event("sendMessage", timeout=10)
    await asyncio.to_thread(pg.stop)
    with pytest.raises((OSError, SQLAlchemyError)):
        await delivery
    stub.stop_faults()
    assert {f["kind"] for f in stub.faults} == {"late", "5xx"}, stub.faults
    before_outage_ended = sum(received_notices(stub).values())
    with pytest.raises((OSError, SQLAlchemyError)):  # a tick during the outage fails, and changes nothing
        await bot.app.notifier.deliver_due()

    await asyncio.to_thread(pg.start)
    runs = await deliver_everything(bot.app.notifier.deliver_due, bot.app.db, clock)
    rows = await feedback_rows(bot.app.db)
    received = received_notices(stub)
    print(f"\n{before_outage_ended} of {published} notices reached Telegram as the database went away; "
          f"after it came back, {runs} outbox runs; received: {sorted(received.values())}")
    assert len(rows) == published == 6 and {status for *_, status, _ in rows} == {"sent"}
    assert received == {(chat, number): 1 for chat, number, *_ in rows}, "each notice once: none lost, none doubled"


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Another program (a backup, the command line) holds SQLite's write lock until the block ends."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_sqlite_locked_for_a_moment_is_waited_for_and_locked_for_long_is_an_apology(
        stub: BotAPIStub, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded database has no outage but a lock: writes wait up to the busy timeout (30 s,
    here 2 s so the test is short), then fail. Reads go on beside the lock (WAL)."""
    monkeypatch.setattr(storage.database, "SQLITE_BUSY_TIMEOUT_SECONDS", 2)
    path = tmp_path / "yijian.db"
    async with running_bot(f"sqlite+aiosqlite:///{path}", None, stub, clock) as bot:
        early, brief, late = (Person(stub, 1701 + n, first_name=name) for n, name in enumerate(["李华", "赵敏", "王芳"]))
        for person in (early, brief, late):
            await accept_privacy(person)
        acknowledged = await comment_via(early, LINK, "夜间施工应当提前三天告知。")
        for person in (brief, late):
            await person.say(f"/start {LINK}")
            await person.press("提意见")
            await person.say(f"第{person.user_id}号居民：施工时间应当公示。")

        with write_lock(path):  # held half a second, while the Submit waits for it
            pressed = asyncio.create_task(brief.press("提交"))
            await asyncio.sleep(0.5)
        released = time.monotonic()
        await pressed
        assert "意见已收到" in brief.text and APOLOGY_ZH not in brief.alert, "a short lock is waited out"
        assert brief.replies[-1]["time"] > released, "the receipt came only once the lock was gone"

        with write_lock(path):
            await late.press("提交")
            assert APOLOGY_ZH in late.alert and not TRACKING.search(late.text)
            await early.say("/mycomments")
            assert acknowledged in early.text, "reads go on while another program writes"
        await late.press("提交")
        assert "意见已收到" in late.text
        assert await comments_of(bot, early.user_id) == [acknowledged]
        assert len(await comments_of(bot, late.user_id)) == 1 == len(await comments_of(bot, brief.user_id))
