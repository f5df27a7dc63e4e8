"""Groups and channels: the bot is for private chats. In a group it says so once (even across a restart)
and then stays quiet; channel posts are ignored; a resident's own chat is unaffected."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.e2e.botapi_stub import BotAPIStub
from tests.e2e.driver import Person, RunningBot, accept_privacy
from tests.e2e.raw_updates import (
    HandledUpdates,
    handled_updates,
    send_channel_post,
    send_edit,
    send_membership,
    send_message,
    send_press,
)

GROUP, SUPERGROUP, CHANNEL = -4_200_001, -1_004_200_002, -1_004_200_003
NOTICE = "只在私聊中工作"


@pytest.fixture(autouse=True)
def no_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Quiet must not mean failing: no update may fail (the Apology middleware logs "update failed")."""
    caplog.set_level(logging.INFO)
    yield
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.fixture
def handled() -> Iterator[HandledUpdates]:
    with handled_updates() as tracker:
        yield tracker


def sent_to(stub: BotAPIStub, chat_id: int) -> list[dict]:
    return [e for e in stub.events if e["chat_id"] == chat_id and e["method"] != "answerCallbackQuery"]


async def test_added_to_a_group_it_says_once_then_stays_quiet_even_after_a_restart(
        stub: BotAPIStub, bot: RunningBot, handled: HandledUpdates) -> None:
    send_membership(stub, SUPERGROUP, by=501, status="member")
    await handled.settle(stub)
    [notice] = sent_to(stub, SUPERGROUP)
    assert NOTICE in notice["params"]["text"] and "https://t.me/yijian_test_bot" in notice["params"]["text"]

    send_message(stub, SUPERGROUP, 502, text="/start@yijian_test_bot",
                 entities=[{"type": "bot_command", "offset": 0, "length": 22}])
    send_message(stub, SUPERGROUP, 503, text="@yijian_test_bot 养老条例什么时候截止？")
    send_edit(stub, SUPERGROUP, 503, "@yijian_test_bot 养老条例几号截止？")
    send_membership(stub, SUPERGROUP, by=504, status="member")  # added again by someone else
    await handled.settle(stub)
    await bot.stop()
    await bot.start()
    send_message(stub, SUPERGROUP, 505, text="/help@yijian_test_bot",
                 entities=[{"type": "bot_command", "offset": 0, "length": 21}])
    await handled.settle(stub)
    assert len(sent_to(stub, SUPERGROUP)) == 1, stub.dump(SUPERGROUP)
    assert sent_to(stub, 502) == [] and sent_to(stub, 505) == [], "nothing was answered in private either"


async def test_first_message_in_a_group_it_was_added_to_unseen_gets_one_notice(
        stub: BotAPIStub, bot: RunningBot, handled: HandledUpdates) -> None:
    for member in range(601, 611):  # ten members at once: still one notice
        send_message(stub, GROUP, member, text="/drafts", entities=[{"type": "bot_command", "offset": 0, "length": 7}])
    await handled.settle(stub)
    [notice] = sent_to(stub, GROUP)
    assert NOTICE in notice["params"]["text"]


async def test_a_group_that_became_a_supergroup_is_not_told_again(stub: BotAPIStub, bot: RunningBot,
                                                                 handled: HandledUpdates) -> None:
    send_message(stub, GROUP, 701, text="/start")
    await handled.settle(stub)
    send_message(stub, GROUP, 701, migrate_to_chat_id=SUPERGROUP)
    send_message(stub, SUPERGROUP, 701, migrate_from_chat_id=GROUP)
    await handled.settle(stub)
    send_message(stub, SUPERGROUP, 701, text="/start")
    await handled.settle(stub)
    assert len(sent_to(stub, GROUP)) == 1 and sent_to(stub, SUPERGROUP) == [], stub.dump()


async def test_channel_posts_and_channel_membership_are_ignored(stub: BotAPIStub, bot: RunningBot,
                                                               handled: HandledUpdates) -> None:
    mark = stub.mark()
    send_membership(stub, CHANNEL, by=801, status="administrator", chat_type="channel")
    send_channel_post(stub, CHANNEL, "/start 《长治市养老服务条例（草案）》公开征求意见")
    send_channel_post(stub, CHANNEL, "修改后的公告", edited=True)
    await handled.settle(stub)
    assert stub.events[mark:] == [], stub.dump()


async def test_a_button_pressed_in_a_group_is_answered_privately(stub: BotAPIStub, bot: RunningBot,
                                                                handled: HandledUpdates) -> None:
    send_message(stub, GROUP, 901, text="/start")
    await handled.settle(stub)
    mark = stub.mark()
    press = send_press(stub, GROUP, 902, "m:home")
    await handled.settle(stub)
    [answer] = [e for e in stub.events[mark:] if e["method"] == "answerCallbackQuery"]
    assert answer["params"]["callback_query_id"] == press["callback_query"]["id"]
    assert NOTICE in answer["params"]["text"] and len(answer["params"]["text"]) <= 200
    assert len(sent_to(stub, GROUP)) == 1, "the group heard nothing more"


async def test_private_chat_works_beside_a_group_and_edits_are_answered(
        stub: BotAPIStub, bot: RunningBot, resident: Person, handled: HandledUpdates) -> None:
    send_membership(stub, GROUP, by=resident.user_id, status="member")
    await accept_privacy(resident)
    mark = stub.mark()
    send_edit(stub, resident.user_id, resident.user_id, "改过的消息")
    reply = await stub.wait_for_reply(resident.user_id, after=mark)
    assert "修改" in reply["params"]["text"] and "/help" in reply["params"]["text"]
    assert len(sent_to(stub, GROUP)) == 1
