"""Faults of Telegram's side: the stand-in answers 5xx, 429 or holds requests past the bot's timeout,
at random (seeded) on a fraction of the calls of getUpdates, sendMessage, editMessageText and
answerCallbackQuery. Residents comment through the bot as usual (trying again when nothing
happens); every receipt they saw is a comment in the database; polling recovers by itself; the
outbox brings each feedback notice to its commenter exactly once, a 429 keeps the chat waiting.

Two kinds of timeout (see botapi_stub.py): "timeout" holds the request and never carries it out,
so a retry is the only copy; "late" carries it out and then answers too late, as Telegram may do:
the bot cannot know the message arrived, sends it again, and the resident gets it twice. The notice
test's second variant counts those duplicates: each must come from one late answer, nothing else.
Single faults at a button press are in test_faults_receipts.py, the database outage in
test_faults_database.py.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from storage.tables import NotificationRow, as_utc
from tests.e2e.botapi_stub import FAULT_KINDS, FAULT_METHODS, BotAPIStub
from tests.e2e.driver import Clock, Person, RunningBot, accept_privacy
from tests.e2e.fault_setup import DRAFT, HOLD, LINK, answer_and_publish, impatient_bot
from tests.e2e.notice_counts import NOTICE_MARK, deliver_everything, feedback_rows, received_notices
from tests.e2e.patience import PatientResident, settle

SEED = 20261127
NOTICE_SEED = 20261130  # draws every kind of fault, at least twice, in both variants of the notice test
FRACTION = 0.2
# Polling is hit less often: every failed long poll costs the bot seconds (held, then aiogram's back-off).
FRACTIONS = {"getUpdates": 0.1, "sendMessage": FRACTION, "editMessageText": FRACTION, "answerCallbackQuery": FRACTION}


@pytest.fixture
async def bot(settings, clock: Clock, stub: BotAPIStub, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    async with impatient_bot(settings, clock, stub, monkeypatch) as running:
        yield running


def residents(stub: BotAPIStub, count: int) -> list[Person]:
    return [Person(stub, 1300 + n, language_code="en" if n % 2 else "zh-hans", first_name=f"R{n}")
            for n in range(count)]


async def test_residents_comment_and_get_each_notice_once_while_telegram_fails(stub, bot: RunningBot,
                                                                              clock: Clock) -> None:
    people = residents(stub, 3)
    for person in people:  # before the faults: this test is about commenting and notices
        await accept_privacy(person)
    stub.inject_faults(FRACTIONS, seed=SEED, hold=HOLD)
    patient = [PatientResident(person) for person in people]
    for resident in patient:
        number = await resident.comment(LINK, f"夜间施工噪声扰民，第{resident.person.user_id}号居民建议限制。")
        assert number, f"no receipt for {resident.person.user_id}:\n{stub.dump(resident.person.user_id)}"
    hit = {(f["method"], f["kind"]) for f in stub.faults}
    assert {m for m, _ in hit} == FAULT_METHODS and {k for _, k in hit} == set(FAULT_KINDS), hit
    assert any(m == "getUpdates" and k == "timeout" for m, k in hit), "polling must have timed out too"

    commenting = bot.app.dp["commenting"]
    for resident in patient:  # every receipt a resident saw is a comment, theirs, as they wrote it
        assert resident.receipts()
        for number in resident.receipts():
            comment = await commenting.track(number)
            assert comment.resident_id == resident.person.user_id and str(resident.person.user_id) in comment.text
    print(f"\ncomment flows started: {[r.flows for r in patient]} for {len(patient)} receipts; "
          f"faults: {len(stub.faults)}")

    stub.stop_faults()
    await settle(stub)
    await people[0].say("/help")  # polling recovered by itself: an answer comes at once
    assert people[0].replies

    # Notices: Telegram fails a quarter of the sends; a refused or timed-out send is retried.
    stub.inject_faults(FRACTION, seed=SEED + 1, methods={"sendMessage"}, kinds=("5xx", "429", "timeout"), hold=HOLD)
    published = await answer_and_publish(bot.app, "已在第十九条中增加限制。")
    receipts = sum(len(r.receipts()) for r in patient)
    assert published >= receipts
    # The rest were committed but their receipt failed at Telegram; told to try again, the resident did.
    print(f"{published - receipts} comments stored without a receipt")
    runs = await deliver_everything(bot.app.notifier.deliver_due, bot.app.db, clock)
    rows = await feedback_rows(bot.app.db)
    assert len(rows) == published and {status for *_, status, _ in rows} == {"sent"}
    received = received_notices(stub)
    assert received == {(chat, number): 1 for chat, number, *_ in rows}, received
    assert max(attempts for *_, attempts in rows) > 1, "some notice must have been retried"
    print(f"{published} notices delivered exactly once in {runs} outbox runs")


def waits_after_429(stub: BotAPIStub) -> list[float]:
    """For each 429, the seconds until the same message came again to that chat (arrival to arrival)."""
    waits = []
    for refused in stub.events:
        if (refused["error"] or "").startswith("Too Many Requests"):
            again = [e["received"] - refused["received"] for e in stub.events if e["chat_id"] == refused["chat_id"]
                     and e["params"].get("text") == refused["params"].get("text") and e["received"] > refused["received"]]
            waits.append(min(again, default=0.0))
    return waits


@pytest.mark.parametrize("kinds", [("5xx", "429", "timeout"), FAULT_KINDS], ids=["refused", "with-late-answers"])
async def test_notices_while_telegram_fails(stub, bot: RunningBot, clock: Clock, kinds: tuple[str, ...]) -> None:
    """A refused send (5xx, or held and never carried out) is tried again after a back-off, a 429
    after retry_after: each notice arrives exactly once. A late answer ("late": Telegram took the
    message, its answer never came) looks like a failure to the outbox, which sends again: each such
    answer may cost one duplicate, and nothing else may."""
    residents_, commenting = bot.app.dp["residents"], bot.app.dp["commenting"]
    for user_id in range(1400, 1412):
        await residents_.accept_privacy(user_id, "zh")
        for article in (18, 19)[: 1 + user_id % 2]:  # some have two comments, two notices
            await commenting.submit(user_id, DRAFT, article, f"第{user_id}号居民对第{article}条：应当提前告知。")
    stub.inject_faults(0.35, seed=NOTICE_SEED, methods={"sendMessage"}, kinds=kinds, hold=HOLD)
    published = await answer_and_publish(bot.app, "已增加告知要求。")
    await bot.app.notifier.deliver_due()
    waiting = [row for row in await feedback_rows(bot.app.db) if row[2] == "pending"]
    assert waiting, "some sends must have failed"
    async with bot.app.db.read() as uow:  # not tried again at once: after a back-off
        due = await uow.session.scalar(select(func.min(NotificationRow.due_at))
                                       .where(NotificationRow.status == "pending", NotificationRow.kind == "feedback"))
    assert due is not None and as_utc(due) > clock.now
    runs = 1 + await deliver_everything(bot.app.notifier.deliver_due, bot.app.db, clock)

    rows = await feedback_rows(bot.app.db)
    assert len(rows) == published == 18 and {status for *_, status, _ in rows} == {"sent"}
    received = received_notices(stub)
    assert set(received) == {(chat, number) for chat, number, *_ in rows}, "every notice arrived"
    late = [f for f in stub.faults if f["kind"] == "late"
            and NOTICE_MARK in next(m["text"] for m in stub.messages(f["chat_id"]) if m["message_id"] == f["message_id"])]
    duplicates = sum(received.values()) - len(rows)
    waits = waits_after_429(stub)
    kinds_seen = Counter(f["kind"] for f in stub.faults)
    print(f"\n{published} notices in {runs} outbox runs: faults {dict(kinds_seen)}, {duplicates} duplicate messages")
    assert waits and min(waits) >= 0.95, f"after a 429 the notice waits retry_after: {waits}"
    assert {f["kind"] for f in stub.faults} == set(kinds)
    assert duplicates == len(late), "each late answer costs one duplicate; nothing else may"


async def test_after_a_429_nothing_goes_to_that_chat_until_retry_after(stub, bot: RunningBot, clock: Clock) -> None:
    user_id = 1450
    await bot.app.dp["residents"].accept_privacy(user_id, "zh")
    for article in (17, 18, 19):
        await bot.app.dp["commenting"].submit(user_id, DRAFT, article, f"对第{article}条：应当提前告知。")
    await answer_and_publish(bot.app, "已增加告知要求。")
    stub.fail_next("sendMessage", status=429, retry_after=3, chat_id=user_id)
    await deliver_everything(bot.app.notifier.deliver_due, bot.app.db, clock)
    sends = [e for e in stub.events if e["method"] == "sendMessage" and e["chat_id"] == user_id]
    refused = sends[0]
    assert refused["error"] and refused["error"].startswith("Too Many Requests") and len(sends) == 4
    assert min(e["received"] for e in sends[1:]) - refused["received"] >= 2.95, "retry_after is for the chat"
