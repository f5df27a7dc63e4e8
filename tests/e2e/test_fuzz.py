"""Hostile input against every conversation state (handlers/states.py), generated with hypothesis.

One running bot per test; before each example the person is put into the chosen state afresh (a new
resident with consent and, where the state needs it, a comment of their own; the staff admin's state
rewritten), then 1-3 generated actions are delivered. Properties, checked after every action:
no update failed (no ERROR logged: the Apology middleware logs "update failed" with the traceback),
every private message, edit and button press was answered, groups heard at most one notice and
channels nothing, and nothing the bot sent failed Telegram's HTML parsing.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Iterator

import pytest
from aiogram.fsm.storage.base import StorageKey
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from drafts.bundled import DOCUMENTS
from handlers.states import CommentFlow, RatingFlow, SearchFlow, StaffFlow
from tests.e2e.botapi_stub import BotAPIStub
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.driver import RunningBot
from tests.e2e.fuzz_strategies import actions
from tests.e2e.raw_updates import (
    HandledUpdates,
    handled_updates,
    send_channel_post,
    send_edit,
    send_membership,
    send_message,
    send_press,
)

IDS = [1, 2, 3, 12, 1002, ADMIN_ID, 999000]  # drafts, comments (1 is another resident's), articles, people
GROUPS, CHANNEL = [-4_300_001, -1_004_300_002], -1_004_300_003
# 120 examples a test keep CI under half a minute each; YIJIAN_FUZZ_EXAMPLES=2000 hunts longer by hand.
FUZZ = settings(max_examples=int(os.environ.get("YIJIAN_FUZZ_EXAMPLES", "120")), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
steps = st.lists(actions(IDS), min_size=1, max_size=3)
# Telegram names are the person's own choice (1-64 characters): signed comments and staff pages show them.
names = st.sampled_from(["李华", "<b>王</b> & Co", "&amp; <i>", "Zoë 🚀 \u202eRTL", "\u200b"]) | st.text(min_size=1,
                                                                                                 max_size=64)
new_residents = itertools.count(3_000_001)

RESIDENT_STATES = {  # name: (state, data; "<own>" stands for the resident's own comment)
    "no consent yet": None, "idle": (None, {}), "browsing": (None, {}),  # browsing: an article on screen
    "writing": (CommentFlow.writing, {"draft": 1, "article": 12, "title": "长治市养老服务条例（草案）"}),
    "preview": (CommentFlow.preview, {"draft": 1, "article": 0, "title": "长治市养老服务条例（草案）",
                                      "text": "<b>原文</b> & 意见", "signed": True}),
    "editing": (CommentFlow.writing, {"comment": "<own>", "draft": 1, "article": 12, "title": "条例"}),
    "editing preview": (CommentFlow.preview, {"comment": "<own>", "draft": 1, "article": 12, "title": "条例",
                                              "text": "改后的意见"}),
    "search": (SearchFlow.words, {}),
    "rating follow-up": (RatingFlow.follow_up, {"comment": "<own>"}),
}
STAFF_STATES = {
    "staff idle": (None, {}),
    "uploaded draft": (None, {"upload": "<upload>", "preview": 1}),
    "publish date": (StaffFlow.publish_date, {"upload": "<upload>", "preview": 1}),
    "revise upload": (StaffFlow.revise_upload, {"draft": 2}),
    "revise confirm": (StaffFlow.revise_confirm, {"draft": 2, "upload": "<upload>", "preview": 1}),
    "extend date": (StaffFlow.extend_date, {"draft": 3}),
    "answer status": (StaffFlow.answer_reply, {"comments": [1], "draft": 1, "article": 12, "status": None}),
    "answer reply": (StaffFlow.answer_reply, {"comments": [1], "draft": 1, "article": 12, "status": "not_adopted"}),
    "hide reason": (StaffFlow.hide_reason, {"comment": 1}),
    "block reason": (StaffFlow.block_reason, {"comment": 1}),
    "add member": (StaffFlow.add_member, {}),
}


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


@pytest.fixture
def errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


class Upload(str):
    def __repr__(self) -> str:  # a whole regulation would drown hypothesis's report
        return "<the text of noise_control.txt>"


@pytest.fixture
def handled() -> Iterator[HandledUpdates]:
    with handled_updates() as tracker:
        yield tracker


@pytest.fixture
async def upload(bot: RunningBot) -> str:
    """The text of a well-formed draft (for states holding an upload); and another resident's comment
    (id 1), which forged buttons name."""
    await bot.app.dp["residents"].accept_privacy(1002, "zh-hans")
    theirs = await bot.app.dp["commenting"].submit(1002, 1, 12, "别人的意见 <b>&", '王五 <i>&amp; "x"')
    assert theirs.id == 1
    return Upload((DOCUMENTS / "noise_control.txt").read_text(encoding="utf-8"))


async def put_in_state(stub: BotAPIStub, handled: HandledUpdates, bot: RunningBot, name: str, upload: str) -> int:
    dp = bot.app.dp
    if name in STAFF_STATES:
        user_id, (state, data) = ADMIN_ID, STAFF_STATES[name]
    else:
        user_id = next(new_residents)
        if RESIDENT_STATES[name] is None:
            return user_id
        state, data = RESIDENT_STATES[name]
        await dp["residents"].accept_privacy(user_id, "zh-hans")
        if "<own>" in data.values():
            own = await dp["commenting"].submit(user_id, 1, 12, "原有的意见：第十二条很好。", None)
            data = {k: own.id if v == "<own>" else v for k, v in data.items()}
    data = {k: upload if v == "<upload>" else v for k, v in data.items()}
    key = StorageKey(bot_id=bot.app.bot.id, chat_id=user_id, user_id=user_id)
    await dp.fsm.storage.set_state(key, state)
    await dp.fsm.storage.set_data(key, data)
    if name == "browsing":  # forged presses then land on a real screen, which the bot edits
        mark = stub.mark()
        stub.send_text(user_id, "/start a1_12")
        await stub.wait_for_reply(user_id, after=mark)
        await handled.settle(stub)
    return user_id


async def deliver(stub: BotAPIStub, handled: HandledUpdates, user_id: int, name: str, kind: str,
                  payload: object) -> None:
    """Send one action as an update from a person called `name`; check that what must be answered was."""
    mark, expect_reply, query, who = stub.mark(), True, None, {"first_name": name}
    if kind == "text":
        stub.send_text(user_id, str(payload), **who)
    elif kind == "edit":
        send_edit(stub, user_id, user_id, str(payload), name)
    elif kind == "caption":
        stub.send_photo(user_id, caption=str(payload) or None, **who)
    elif kind == "document":
        content, file_name = payload  # type: ignore[misc]
        stub.send_document(user_id, content, file_name, **who)
    elif kind == "media" and payload in {"location", "contact"}:
        shared = ({"location": {"latitude": 36.19, "longitude": 113.11}} if payload == "location" else
                  {"contact": {"phone_number": "+8613800000000", "first_name": name}})
        send_message(stub, user_id, user_id, name, **shared)
    elif kind == "media":
        getattr(stub, f"send_{payload}")(user_id, **who)
    elif kind in {"press", "group_press"}:
        last = stub.last_message(user_id) if kind == "press" else None
        update = (stub.press(user_id, last["message_id"], str(payload), check=False, **who) if last else
                  send_press(stub, user_id if kind == "press" else GROUPS[0], user_id, str(payload), first_name=name))
        query, expect_reply = update["callback_query"]["id"], False
    elif kind == "group":
        send_message(stub, GROUPS[user_id % 2], user_id, name, text=str(payload))
        expect_reply = False
    elif kind == "membership":
        in_group, status = payload  # type: ignore[misc]
        send_membership(stub, GROUPS[user_id % 2] if in_group else user_id, user_id, status)
        expect_reply = False
    else:
        send_channel_post(stub, CHANNEL, str(payload))
        expect_reply = False
    if expect_reply:
        await stub.wait_for_reply(user_id, after=mark, timeout=10)
    if query is not None:
        after = mark
        while (event := await stub.wait_for_event("answerCallbackQuery", after=after, timeout=10)):
            if event["params"]["callback_query_id"] == query:
                break
            after = event["index"] + 1
    await handled.settle(stub)


async def run_example(stub: BotAPIStub, handled: HandledUpdates, bot: RunningBot, errors: ErrorLog, upload: str,
                      state: str,
                      actions_: list[tuple[str, object]], name: str = "李华") -> None:
    errors.records.clear()  # each example on its own: an earlier failure is not this one's
    parse_errors = len(stub.parse_errors)
    user_id = await put_in_state(stub, handled, bot, state, upload)
    for kind, payload in actions_:
        await deliver(stub, handled, user_id, name, kind, payload)
        assert errors.records == [], f"{kind} {payload!r} in state {state!r} failed:\n" + "\n".join(errors.records)
        assert stub.parse_errors[parse_errors:] == [], stub.parse_errors[parse_errors:]
    for group in GROUPS:
        assert len([e for e in stub.events if e["chat_id"] == group]) <= 1, f"group {group} heard more than once"
    assert [e for e in stub.events if e["chat_id"] == CHANNEL] == [], "the bot spoke in a channel"


@FUZZ
@given(state=st.sampled_from(sorted(RESIDENT_STATES)), actions_=steps, name=names)
@example(name="<b>李</b> & Co", state="writing", actions_=[("text", "<b>粗体</b> & <script>"), ("press", "p:sign"),
                                                          ("press", "p:submit")])
# Found by the fuzzer: PostgreSQL text cannot hold NUL (fixed in drafts/text.py, used by every free text).
@example(name="李华", state="writing", actions_=[("text", "意见\x00"), ("press", "p:submit")])
@example(name="李华", state="rating follow-up", actions_=[("text", "不满意\x00")])
# Found by the fuzzer: forged numbers beyond PostgreSQL's INTEGER, negative pages (handlers/callbacks.py).
@example(name="李华", state="idle", actions_=[("press", "mc:9223372036854775808:view"), ("press", "my:-1")])
# Found by the fuzzer: NUL in forged staff button data, quoted in the audit log (drafts/staff_directory.py).
@example(name="李华", state="browsing", actions_=[("press", "s_a:\x00"), ("text", "/staff\x00")])
# Found by the fuzzer: /staff as a photo's caption (aiogram's Command reads captions) crashed the refusal.
@example(name="李华", state="editing", actions_=[("caption", "/staff ")])
async def test_resident_states_survive_hostile_input(stub: BotAPIStub, handled: HandledUpdates, bot: RunningBot,
                                                     errors: ErrorLog,
                                                     upload: str, state: str, actions_: list[tuple[str, object]],
                                                     name: str) -> None:
    await run_example(stub, handled, bot, errors, upload, state, actions_, name)


@FUZZ
@given(state=st.sampled_from(sorted(STAFF_STATES)), actions_=steps, name=names)
@example(name="李华", state="answer reply", actions_=[("text", "理由：<i>不合法</i> '; DROP TABLE answers; --")])
# Found by the fuzzer: NUL in an answer failed the write on PostgreSQL (drafts/text.py).
@example(name="李华", state="answer reply", actions_=[("text", "g\x00\u200f")])
@example(name="李华", state="hide reason", actions_=[("text", "广告\x00")])
@example(name="李华", state="add member", actions_=[("press", "s_b:1:2147483648"), ("press", "s_x:1:999999999")])
@example(name="李华", state="add member", actions_=[("press", "s_a:\x00")])
@example(name="李华", state="staff idle",
         actions_=[("document", ("长治市某条例（草案）\n第一条\u3000总则\x00".encode(), "d.txt"))])
async def test_staff_states_survive_hostile_input(stub: BotAPIStub, handled: HandledUpdates, bot: RunningBot,
                                                  errors: ErrorLog,
                                                  upload: str, state: str, actions_: list[tuple[str, object]],
                                                  name: str) -> None:
    await run_example(stub, handled, bot, errors, upload, state, actions_, name)
