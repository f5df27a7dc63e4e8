"""A restart in the middle of writing a comment, and residents commenting at the same time."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.e2e.driver import Person, RunningBot, accept_privacy

TRACKING = re.compile(r"YJ-\d{4}-\d{6}")


@pytest.mark.parametrize("redis_url", ["sql", "redis"], indirect=True)
async def test_restart_while_writing_keeps_the_conversation(resident: Person, bot: RunningBot,
                                                            redis_url: str | None) -> None:
    assert type(bot.app.dp.storage).__name__ == ("RedisStorage" if redis_url else "SqlStorage")
    await accept_privacy(resident)
    await resident.say("/start a3_18")
    await resident.press("对本条提意见")
    await bot.stop()  # the process goes away between "write your comment" and the comment
    await bot.start()
    await resident.say("重启之后，我的意见应当照样能提交。")
    assert "预览" in resident.text and "第十八条" in resident.text
    await bot.stop()  # and again between the preview and Submit
    await bot.start()
    await resident.press("提交")
    assert "意见已收到" in resident.text
    [comment] = (await bot.app.dp["commenting"].mine(resident.user_id, 0, 5))[0]
    assert comment.article_number == 18 and comment.draft_id == 3


async def test_bundled_drafts_are_loaded_once(bot: RunningBot, stub) -> None:
    await bot.stop()
    await bot.start()
    drafts = await bot.app.dp["reading"].open_drafts()
    assert len(drafts) == 3


async def test_two_residents_commenting_at_once(stub, bot: RunningBot) -> None:
    people = [Person(stub, 5000 + i, first_name=f"居民{i}") for i in range(2)]
    for person in people:
        await accept_privacy(person)
        await person.say("/start a2_25")
        await person.press("对本条提意见")

    async def comment(person: Person) -> str:
        await person.say(f"{person.first_name}：广场舞应当在晚上九点前结束。")
        await person.press("提交")
        return TRACKING.search(person.text).group(0)

    numbers = await asyncio.gather(*(comment(p) for p in people))
    assert len(set(numbers)) == 2
    for person, number in zip(people, numbers):
        stored = await bot.app.dp["commenting"].track(number)
        assert stored.resident_id == person.user_id and stored.text.startswith(person.first_name)


async def test_many_residents_interleaved(stub, bot: RunningBot) -> None:
    """Ten residents step by step in lockstep: every update of every chat lands in the right conversation."""
    people = [Person(stub, 8000 + i) for i in range(10)]
    await asyncio.gather(*(accept_privacy(p) for p in people))
    await asyncio.gather(*(p.say(f"/start a1_{i + 1}") for i, p in enumerate(people)))
    await asyncio.gather(*(p.press("对本条提意见") for p in people))
    await asyncio.gather(*(p.say(f"第{i + 1}号居民的意见") for i, p in enumerate(people)))
    await asyncio.gather(*(p.press("提交") for p in people))
    for i, person in enumerate(people):
        [comment] = (await bot.app.dp["commenting"].mine(person.user_id, 0, 5))[0]
        assert comment.article_number == i + 1 and comment.text == f"第{i + 1}号居民的意见"
