"""What the Telegram fault tests share: a bot that gives up on Telegram after one second (so that
requests the stand-in holds time out quickly), the draft they comment on, staff answering."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.config import Settings
from drafts.models import AnswerStatus
from drafts.ports import ALL_ARTICLES
from tests.e2e import driver
from tests.e2e.botapi_stub import BotAPIStub
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.driver import Clock, Person, RunningBot, accept_privacy

CLIENT_TIMEOUT = 1  # s: the bot's Telegram request timeout in these tests (aiogram's default is 60)
HOLD = CLIENT_TIMEOUT + 0.6  # a held request outlasts the bot's patience
DRAFT, LINK = 2, "a2_18"


@asynccontextmanager
async def impatient_bot(settings: Settings, clock: Clock, stub: BotAPIStub,
                        monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RunningBot]:
    """The real bot, with a one-second Telegram timeout (for each test module's `bot` fixture)."""
    original = driver.build

    async def build(*args, **kwargs):  # type: ignore[no-untyped-def]
        app = await original(*args, **kwargs)
        app.bot.session.timeout = CLIENT_TIMEOUT  # read when polling starts: set before it does
        return app

    monkeypatch.setattr(driver, "build", build)
    running = RunningBot(settings, clock)
    await running.start()
    yield running
    stub.stop_faults()
    await running.stop()
    assert stub.parse_errors == [], stub.parse_errors


async def answer_and_publish(app, text: str) -> int:  # type: ignore[no-untyped-def]
    """Staff answer every comment on the draft and publish: one feedback notice per comment."""
    async with app.db.read() as uow:
        ids = [c.id for c in await uow.comments.list_by_draft(DRAFT, ALL_ARTICLES, False, 0, 1000)]
    await app.dp["answering"].answer(ADMIN_ID, ids, AnswerStatus.ADOPTED, text)
    return await app.dp["answering"].publish(ADMIN_ID, DRAFT)


async def at_the_preview(person: Person, text: str = "施工时间应当公示。") -> dict:
    """The resident wrote a comment and sees its preview with Submit; returns that message."""
    await accept_privacy(person)
    await person.say(f"/start {LINK}")
    await person.press("提意见")
    await person.say(text)
    preview = person.stub.last_message(person.user_id)
    assert preview is not None
    return preview
