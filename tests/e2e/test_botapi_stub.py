"""Self-test of the Bot API stand-in, driven by aiogram's own Bot client."""
from __future__ import annotations

import asyncio
import time

import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

try:  # works whether or not tests/ becomes a package
    from tests.e2e.botapi_stub import BotAPIStub, parse_html
except ImportError:  # pragma: no cover
    from botapi_stub import BotAPIStub, parse_html

CHAT = 100


@pytest_asyncio.fixture
async def stub():
    async with BotAPIStub() as s:
        yield s


@pytest_asyncio.fixture
async def bot(stub):
    b = Bot(token="42:TEST", session=AiohttpSession(api=TelegramAPIServer.from_base(stub.base_url)))
    yield b
    await b.session.close()


def keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text="是 Yes", callback_data="ans:yes"),
         InlineKeyboardButton(text="否 No", callback_data="ans:no")],
        [InlineKeyboardButton(text="Help", url="https://example.org/help")],
    ])


@pytest.mark.asyncio
async def test_get_me_and_token(stub, bot):
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (999000, True, "yijian_test_bot")
    assert stub.tokens == ["42:TEST"]
    assert stub.events[-1]["method"] == "getMe"


@pytest.mark.asyncio
async def test_send_message_with_keyboard(stub, bot):
    sent = await bot.send_message(CHAT, "选择 choose", reply_markup=keyboard())
    assert sent.message_id == 1 and sent.chat.id == CHAT and sent.from_user.id == 999000
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "ans:yes"
    second = await bot.send_message(CHAT, "again")
    assert second.message_id == 2

    first = stub.messages(CHAT)[0]
    assert first["text"] == "选择 choose" and first["method"] == "sendMessage"
    assert stub.buttons(first) == [("是 Yes", "ans:yes"), ("否 No", "ans:no"), ("Help", "https://example.org/help")]
    assert stub.button_data(first, "No") == "ans:no"
    with pytest.raises(AssertionError, match="Yes"):
        stub.button_data(first, "Missing")
    assert stub.last_message(CHAT)["text"] == "again"
    assert stub.messages(555) == [] and stub.last_message(555) is None

    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(CHAT, "")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    await bot.send_message(CHAT, "字" * 4096)  # exactly at the limit is fine


@pytest.mark.asyncio
async def test_edit_delete_and_wait_for_reply(stub, bot):
    sent = await bot.send_message(CHAT, "v1", reply_markup=keyboard())
    mark = stub.mark()
    edited = await bot.edit_message_text("v2", chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard())
    assert edited.text == "v2" and edited.edit_date
    msg = stub.messages(CHAT)[0]
    assert msg["text"] == "v2" and msg["message_id"] == sent.message_id and len(stub.messages(CHAT)) == 1
    event = await stub.wait_for_reply(CHAT, after=mark, timeout=1)
    assert event["method"] == "editMessageText" and event["message"]["text"] == "v2"

    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_text("v2", chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard())
    await bot.edit_message_reply_markup(chat_id=CHAT, message_id=sent.message_id)  # remove keyboard
    assert stub.buttons(stub.messages(CHAT)[0]) == []
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=77)

    assert await bot.delete_message(CHAT, sent.message_id) is True
    assert stub.messages(CHAT) == []
    await bot.send_chat_action(CHAT, "typing")
    assert stub.events[-1]["method"] == "sendChatAction" and stub.events[-1]["chat_id"] == CHAT

    with pytest.raises(AssertionError, match="deleteMessage"):   # the dump lists the chat's events
        await stub.wait_for_reply(CHAT, after=stub.mark(), timeout=0.2)


@pytest.mark.asyncio
async def test_html_validation(stub, bot):
    good = ('<b>粗</b> <i>i</i> <a href="https://x.org/?a=1&amp;b=2">link</a> '
            '<span class="tg-spoiler">s</span> &lt;3 &#169; <pre><code class="language-py">x</code></pre> '
            '<blockquote expandable>q</blockquote>')
    sent = await bot.send_message(CHAT, good, parse_mode="HTML")
    assert sent.text.startswith("粗 i link s <3 ©")
    assert [e.type for e in sent.entities][:3] == ["bold", "italic", "text_link"]
    assert stub.messages(CHAT)[0]["plain_text"] == sent.text and stub.parse_errors == []

    for bad in ["<b>open", "<b><i>x</b></i>", "<div>x</div>", "a & b", "1 < 2", "</b>", '<span>x</span>']:
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await bot.send_message(CHAT, bad, parse_mode="HTML")
    assert [p["text"] for p in stub.parse_errors][:2] == ["<b>open", "<b><i>x</b></i>"]
    assert len(stub.parse_errors) == 7 and len(stub.messages(CHAT)) == 1
    assert stub.events[-1]["error"].startswith("Bad Request: can't parse entities")

    await bot.send_message(CHAT, "a & b < c")  # without parse_mode anything goes
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(CHAT, "<b>" + "x" * 4097 + "</b>", parse_mode="HTML")
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # tags don't count
    assert parse_html("<b>😀</b>x") == ("😀x", [{"type": "bold", "offset": 0, "length": 2}])
    assert parse_html("<a href='u'>l</a><tg-emoji emoji-id=\"5\">e</tg-emoji>")[1] == [
        {"type": "text_link", "url": "u", "offset": 0, "length": 1},
        {"type": "custom_emoji", "custom_emoji_id": "5", "offset": 1, "length": 1}]


@pytest.mark.asyncio
async def test_get_updates_and_offset(stub, bot):
    update = stub.send_text(7, "/start hello", username="ada")
    stub.send_text(7, "second")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [update["update_id"], update["update_id"] + 1]
    first = updates[0].message
    assert first.text == "/start hello" and first.chat.id == 7 and first.from_user.language_code == "zh-hans"
    assert first.entities[0].type == "bot_command" and first.entities[0].length == len("/start")
    assert len(await bot.get_updates(limit=1)) == 1

    started = time.monotonic()
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1) == []
    assert 0.9 <= time.monotonic() - started < 3
    assert await bot.get_updates(timeout=0) == []  # confirmed updates are gone for good


@pytest.mark.asyncio
async def test_long_poll_returns_early(stub, bot):
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    assert not poll.done()
    started = time.monotonic()
    stub.send_sticker(8)
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1
    assert updates[0].message.sticker.emoji == "\U0001f44d"


@pytest.mark.asyncio
async def test_second_poll_terminates_first(stub, bot):
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    second = asyncio.create_task(bot.get_updates(timeout=5))
    with pytest.raises(TelegramConflictError):
        await asyncio.wait_for(first, 2)
    stub.send_voice(9)
    assert (await asyncio.wait_for(second, 2))[0].message.voice.duration == 3


@pytest.mark.asyncio
async def test_press_and_answer_callback(stub, bot):
    sent = await bot.send_message(CHAT, "pick", reply_markup=keyboard())
    with pytest.raises(AssertionError):
        stub.press(CHAT, sent.message_id, "forged")
    a = stub.press(CHAT, sent.message_id, stub.button_data(stub.last_message(CHAT), "Yes"))
    b = stub.press(CHAT, sent.message_id, "ans:no")
    assert a["callback_query"]["id"] != b["callback_query"]["id"] and b["update_id"] == a["update_id"] + 1
    updates = await bot.get_updates()
    query = updates[0].callback_query
    assert query.data == "ans:yes" and query.message.message_id == sent.message_id and query.message.text == "pick"
    await bot.answer_callback_query(query.id, text="ok")
    assert stub.callback_answers[0]["text"] == "ok"
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("nope")


@pytest.mark.asyncio
async def test_fail_next(stub, bot):
    stub.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(CHAT, "hi")
    assert info.value.retry_after == 3
    await bot.send_message(CHAT, "hi")  # only the next call failed
    stub.fail_next("getMe", times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.get_me()
    assert (await bot.get_me()).id == 999000
    assert [m["text"] for m in stub.messages(CHAT)] == ["hi"]


@pytest.mark.asyncio
async def test_files(stub, bot):
    file_id = stub.add_file(b"hello bytes", "notes.txt", "text/plain")
    file = await bot.get_file(file_id)
    assert file.file_size == 11 and file.file_path
    assert (await bot.download(file_id)).read() == b"hello bytes"

    update = stub.send_document(11, b"%PDF-1.4 fake", "report.pdf", "application/pdf")
    doc = (await bot.get_updates())[0].message.document
    assert doc.file_name == "report.pdf" and doc.file_id == update["message"]["document"]["file_id"]
    assert (await bot.download(doc)).read() == b"%PDF-1.4 fake"
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nope")

    sent = await bot.send_document(CHAT, BufferedInputFile(b"a,b\n1,2\n", "export.csv"), caption="<b>CSV</b>",
                                   parse_mode="HTML")
    assert sent.document.file_name == "export.csv" and sent.caption == "CSV"
    stored = stub.last_message(CHAT)
    assert stored["method"] == "sendDocument" and stored["content"] == b"a,b\n1,2\n"
    upload = (await stub.wait_for_event("sendDocument", chat_id=CHAT))["params"]["document"]
    assert upload == {"file_name": "export.csv", "mime_type": "application/octet-stream", "content": b"a,b\n1,2\n"}
    assert (await bot.download(sent.document)).read() == b"a,b\n1,2\n"
    photo = await bot.send_photo(CHAT, BufferedInputFile(b"\x89PNG", "p.png"))
    assert photo.photo[0].width == 800
    assert (await stub.wait_for_reply(CHAT, after=stub.mark() - 1))["method"] == "sendPhoto"


@pytest.mark.asyncio
async def test_commands(stub, bot):
    await bot.set_my_commands([BotCommand(command="start", description="开始")], language_code="zh")
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    assert stub.get_commands(language_code="zh") == [{"command": "start", "description": "开始"}]
    assert [c.description for c in await bot.get_my_commands()] == ["Start"]
    assert await bot.get_my_commands(language_code="fr") == []
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert await bot.log_out() is True  # unknown methods answer true and are recorded
    assert stub.events[-1]["method"] == "logOut"


@pytest.mark.asyncio
async def test_real_dispatcher_polling(stub, bot):
    """The full path the e2e tests use: Dispatcher long polling against the stub."""
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("<b>欢迎</b>", parse_mode="HTML", reply_markup=keyboard())

    @router.callback_query(F.data.startswith("ans:"))
    async def answer(query: CallbackQuery) -> None:
        await query.answer()
        await query.message.edit_text(f"you said {query.data}")

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(dp.start_polling(bot, polling_timeout=1, handle_signals=False,
                                                   close_bot_session=False))
    try:
        mark = stub.mark()
        stub.send_text(21, "/start")
        reply = await stub.wait_for_reply(21, after=mark)
        assert reply["message"]["plain_text"] == "欢迎"
        mark = stub.mark()
        stub.press(21, reply["message"]["message_id"], stub.button_data(reply, "No"))
        edit = await stub.wait_for_reply(21, after=mark)
        assert edit["method"] == "editMessageText" and stub.last_message(21)["text"] == "you said ans:no"
        await stub.wait_until_idle(quiet=0.2, timeout=5)
        assert len(stub.callback_answers) == 1
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)


@pytest.mark.asyncio
async def test_wait_until_idle_times_out_with_unfetched_updates(stub):
    stub.send_photo(5)
    with pytest.raises(AssertionError, match="not idle"):
        await stub.wait_until_idle(quiet=0.05, timeout=0.3)


@pytest.mark.asyncio
async def test_rate_enforcement_is_off_by_default(stub, bot):
    for n in range(40):  # 40 at once, all to one chat: Telegram would refuse, the default stub does not
        await bot.send_message(CHAT, f"m{n}")
    assert stub.rate_limited == [] and len(stub.messages(CHAT)) == 40


@pytest.mark.asyncio
async def test_enforce_rate_global_and_per_chat(stub, bot):
    stub.enforce_rate(global_per_second=3, per_chat_per_second=1)
    for chat in (1, 2, 3):
        await bot.send_message(chat, "ok")
    with pytest.raises(TelegramRetryAfter) as info:  # a fourth within the same second, to a fresh chat
        await bot.send_message(4, "too fast")
    assert info.value.retry_after == 1
    assert [(r["chat_id"], r["scope"]) for r in stub.rate_limited] == [(4, "global")]
    refused = stub.events[-1]
    assert refused["method"] == "sendMessage" and refused["error"] == "Too Many Requests: retry after 1"
    assert stub.messages(4) == []  # a refused call stores nothing

    await asyncio.sleep(1.05)  # the sliding window has moved past the first three
    await bot.send_message(1, "again")
    with pytest.raises(TelegramRetryAfter):  # one per second to a chat
        await bot.send_message(1, "twice in a second")
    await bot.send_message(2, "another chat is fine")
    assert [(r["chat_id"], r["scope"]) for r in stub.rate_limited] == [(4, "global"), (1, "chat")]
    assert [m["text"] for m in stub.messages(1)] == ["ok", "again"]

    stub.enforce_rate(None, None)  # off again
    for n in range(5):
        await bot.send_message(1, f"free {n}")
    assert len(stub.rate_limited) == 2 and len(stub.messages(1)) == 7


@pytest.mark.asyncio
async def test_enforce_rate_below_one_per_second(stub, bot):
    stub.enforce_rate(None, per_chat_per_second=0.5)  # one per two seconds in a chat
    await bot.send_message(CHAT, "first")
    await asyncio.sleep(1.1)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(CHAT, "after one second")
    await asyncio.sleep(1.0)
    await bot.send_message(CHAT, "after two seconds")
    assert [r["scope"] for r in stub.rate_limited] == ["chat"]
    with pytest.raises(ValueError):
        stub.enforce_rate(0, None)


@pytest_asyncio.fixture
async def impatient_bot(stub):
    """A client that gives up after 0.3 s, so that held requests time out quickly."""
    b = Bot(token="42:TEST", session=AiohttpSession(api=TelegramAPIServer.from_base(stub.base_url), timeout=0.3))
    yield b
    await b.session.close()


@pytest.mark.asyncio
async def test_fault_kinds(stub, impatient_bot):
    bot = impatient_bot
    stub.inject_faults(1.0, kinds=("5xx",))
    with pytest.raises(TelegramServerError):
        await bot.send_message(CHAT, "refused")
    stub.inject_faults(1.0, kinds=("429",), retry_after=2)
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(CHAT, "too many")
    assert info.value.retry_after == 2
    stub.inject_faults(1.0, kinds=("timeout",), hold=0.6)
    started = time.monotonic()
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(CHAT, "never carried out")
    assert time.monotonic() - started < 0.55, "the client gave up before the stub answered"
    stub.inject_faults(1.0, kinds=("late",), hold=0.6)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(CHAT, "delivered, answered too late")
    assert await bot.get_me()  # a method without faults is untouched
    stub.stop_faults()
    await bot.send_message(CHAT, "after the faults")
    await stub.wait_until_idle(quiet=0.05)   # the held requests run out their hold
    assert [m["text"] for m in stub.messages(CHAT)] == ["delivered, answered too late", "after the faults"]
    assert [(f["kind"], f["message_id"]) for f in stub.faults] == [("5xx", None), ("429", None), ("timeout", None),
                                                                   ("late", 1)]
    assert stub.faults[0]["status"] in (500, 502, 503) and [f["status"] for f in stub.faults[1:]] == [429, 504, 200]
    refused = [e for e in stub.events if e["error"]]
    assert len(refused) == 3 and "Gateway Timeout" in refused[-1]["error"]
    assert refused[-1]["time"] - refused[-1]["received"] >= 0.55, "recorded when the hold ended"


@pytest.mark.asyncio
async def test_faults_are_seeded_per_chat_and_hit_the_fraction(stub, bot):
    async def outcomes(chat: int, calls: int) -> list[bool]:
        done = []
        for n in range(calls):
            try:
                await bot.send_message(chat, f"m{n}")
                done.append(True)
            except (TelegramServerError, TelegramRetryAfter):
                done.append(False)
        return done

    stub.inject_faults(0.3, seed=7, kinds=("5xx", "429"))
    first = await outcomes(1, 200)
    await outcomes(2, 50)   # another chat's calls in between change nothing for chat 1
    stub.inject_faults(0.3, seed=7, kinds=("5xx", "429"))
    assert await outcomes(1, 200) == first
    assert 40 <= first.count(False) <= 80   # 30 % of 200, give or take
    stub.inject_faults(0.3, seed=8, kinds=("5xx", "429"))
    assert await outcomes(1, 200) != first
    with pytest.raises(ValueError):
        stub.inject_faults(0.3, kinds=("sometimes",))


@pytest.mark.asyncio
async def test_polling_timeout_fault_holds_past_the_long_poll(stub, impatient_bot):
    stub.inject_faults({"getUpdates": 1.0}, kinds=("late",), hold=0.2)   # "late" means "timeout" here
    stub.send_text(5, "hello")
    started = time.monotonic()
    with pytest.raises(TelegramNetworkError):
        await impatient_bot.get_updates(timeout=1, request_timeout=1)
    assert time.monotonic() - started >= 0.9
    assert [(f["method"], f["kind"], f["hold"]) for f in stub.faults] == [("getUpdates", "timeout", 1.2)]
    stub.stop_faults()
    [update] = await impatient_bot.get_updates(timeout=1, request_timeout=3)   # nothing was lost
    assert update.message.text == "hello"


@pytest.mark.asyncio
async def test_one_answer_per_query(stub, bot):
    await bot.send_message(CHAT, "pick", reply_markup=keyboard())
    first = stub.press(CHAT, 1, "ans:yes")["callback_query"]["id"]
    await bot.answer_callback_query(first)
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query(first, text="too late")
    stub.one_answer_per_query = False  # lenient, should a test want it
    second = stub.press(CHAT, 1, "ans:no")["callback_query"]["id"]
    assert await bot.answer_callback_query(second) and await bot.answer_callback_query(second, text="again")
    assert [a.get("text") for a in stub.callback_answers] == [None, None, "again"]
