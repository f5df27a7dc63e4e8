"""Flood control: 50 updates in a burst get one polite notice; nothing submitted or in progress is lost;
another resident is served normally meanwhile; after the window the flooder is served again."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.throttling import MemoryFloodCounter, RedisFloodCounter
from tests.e2e.botapi_stub import REPLY_METHODS, BotAPIStub
from tests.e2e.driver import Person, RunningBot, accept_privacy, comment_via
from tests.e2e.raw_updates import HandledUpdates, handled_updates

THROTTLED_ZH = "发送消息的速度太快"
THROTTLED_EN = "faster than I can read them"


@pytest.fixture
def handled() -> Iterator[HandledUpdates]:
    with handled_updates() as tracker:
        yield tracker


def said_to(stub: BotAPIStub, user_id: int, after: int) -> list[str]:
    """What the bot said to this person since `after`: messages, edits and button answers with a text."""
    texts = [str(e["params"].get("text") or "") for e in stub.events[after:]
             if e["method"] in REPLY_METHODS and e["chat_id"] == user_id and not e["error"]]
    theirs = {u["callback_query"]["id"] for u in stub.updates_sent
              if "callback_query" in u and u["callback_query"]["from"]["id"] == user_id}
    answers = [e for e in stub.events[after:] if e["method"] == "answerCallbackQuery" and not e["error"]]
    return texts + [str(e["params"].get("text") or "") for e in answers if e["params"]["callback_query_id"] in theirs]


PRODUCTION = {name: Settings.model_fields[name].default for name in ("flood_messages", "flood_window_seconds")}


@pytest.mark.parametrize("settings_overrides", [PRODUCTION], indirect=True)
async def test_a_flood_is_throttled_once_and_loses_nothing(stub: BotAPIStub, bot: RunningBot, settings: Settings,
                                                           handled: HandledUpdates) -> None:
    flooder, other = Person(stub, 7_100_001, first_name="甲"), Person(stub, 7_100_002, first_name="乙")
    for person in (flooder, other):
        await accept_privacy(person)
    earlier = await comment_via(flooder, "a1_12", "第十二条应当明确养老服务设施的用途。")
    await flooder.say("/start a1_3")
    await flooder.press("对本条提意见")  # a comment in progress (the state is "writing")
    window, limit = settings.flood_window_seconds, settings.flood_messages
    await asyncio.sleep(window)  # a fresh window: the burst below is all that counts
    stale = stub.last_message(flooder.user_id)["message_id"]

    mark, started = stub.mark(), time.monotonic()
    presses = []
    for n in range(50):
        if n % 5 == 4:  # button presses in the burst, too
            presses.append(stub.press(flooder.user_id, stale, "zz:flood", check=False)["callback_query"]["id"])
        else:
            stub.send_sticker(flooder.user_id)
        if n % 10 == 0:  # meanwhile another resident uses the bot
            stub.send_text(other.user_id, "/help")
    await handled.settle(stub)  # each update is counted as it arrives (all within ~0.1 s), however long handling takes

    to_flooder = said_to(stub, flooder.user_id, mark)
    notices = [text for text in to_flooder if THROTTLED_ZH in text]
    assert len(notices) == 1, to_flooder
    assert len([t for t in to_flooder if t and THROTTLED_ZH not in t]) == limit, "the first ones were served"
    answered = {a["callback_query_id"] for a in stub.callback_answers}
    assert set(presses) <= answered, "every press is answered, so no spinner is left turning"
    to_other = said_to(stub, other.user_id, mark)
    assert len([t for t in to_other if "/drafts" in t]) == 5, f"the other resident got every answer: {to_other}"
    assert not any(THROTTLED_ZH in text for text in to_other)

    await asyncio.sleep(max(window - (time.monotonic() - started), 0) + 0.3)
    await flooder.say("第三条的表述可以更具体一些。")
    assert "预览" in flooder.text and "第三条的意见" in flooder.text, "the comment in progress survived the flood"
    await flooder.press("提交")
    assert "意见已收到" in flooder.text
    comments, total = await bot.app.dp["commenting"].mine(flooder.user_id, 0, 5)
    assert total == 2
    assert any(c.tracking_number == earlier and c.text == "第十二条应当明确养老服务设施的用途。" for c in comments)


@pytest.mark.parametrize("settings_overrides", [{"flood_messages": 6, "flood_window_seconds": 30}], indirect=True)
async def test_the_notice_is_in_the_residents_chosen_language(stub: BotAPIStub, bot: RunningBot,
                                                              handled: HandledUpdates) -> None:
    english = Person(stub, 7_100_003)
    await accept_privacy(english)
    await english.say("/language")
    await english.press("English")  # Telegram keeps saying zh-hans: the resident's choice wins
    mark = stub.mark()  # 4 updates so far in this window (of 6)
    for _ in range(6):
        stub.send_sticker(english.user_id, language_code="zh-hans")
    await handled.settle(stub)
    assert [t for t in said_to(stub, english.user_id, mark) if THROTTLED_EN in t], stub.dump(english.user_id)


async def test_memory_counter_starts_a_new_window_after_the_old_one() -> None:
    now = [0.0]
    counter = MemoryFloodCounter(5.0, clock=lambda: now[0])
    assert [await counter.hit(1) for _ in range(3)] == [1, 2, 3]
    assert await counter.hit(2) == 1, "each person counts alone"
    now[0] = 4.9
    assert await counter.hit(1) == 4
    now[0] = 5.0
    assert await counter.hit(1) == 1


async def test_redis_counter_is_shared_between_instances_and_expires() -> None:
    url = os.environ.get("YIJIAN_TEST_REDIS_URL")
    if not url:
        pytest.skip("Redis not asked for: set YIJIAN_TEST_REDIS_URL (.ci/run does)")
    from redis.asyncio import Redis

    prefix = f"test:flood:{uuid.uuid4().hex}"  # the server is shared: keys of our own
    async with Redis.from_url(url) as first, Redis.from_url(url) as second:
        one, two = RedisFloodCounter(first, 0.3, prefix), RedisFloodCounter(second, 0.3, prefix)
        assert [await one.hit(5), await two.hit(5), await one.hit(5)] == [1, 2, 3]
        assert 0 < await first.pttl(f"{prefix}:5") <= 300, "the key always carries its expiry"
        await asyncio.sleep(0.4)
        assert await two.hit(5) == 1
