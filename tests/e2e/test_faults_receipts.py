"""A single Telegram failure at a button press must not cost the resident their receipt, nor the
apology when something did break: otherwise, told nothing or told to try again, they submit the
same comment twice. (Random faults over whole conversations are in test_faults.py.)"""

from __future__ import annotations

import pytest

from tests.e2e.botapi_stub import BotAPIStub
from tests.e2e.driver import Clock, Person, RunningBot
from tests.e2e.fault_setup import HOLD, at_the_preview, impatient_bot
from tests.e2e.patience import PatientResident, settle


@pytest.fixture
async def bot(settings, clock: Clock, stub: BotAPIStub, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    async with impatient_bot(settings, clock, stub, monkeypatch) as running:
        yield running


@pytest.mark.parametrize("kind", ["5xx", "429", "timeout"])
async def test_the_receipt_comes_even_if_telegram_fails_to_stop_the_buttons_spinner(stub, bot: RunningBot,
                                                                                  kind: str) -> None:
    """Answering the button press only stops its spinner: a failure there must not cost the receipt,
    or the resident, told to try again, submits the comment a second time."""
    person = Person(stub, 1350, first_name="李华")
    preview = await at_the_preview(person)
    stub.inject_faults({"answerCallbackQuery": 1.0}, kinds=(kind,), hold=HOLD)
    stub.press(person.user_id, preview["message_id"], stub.button_data(preview, "提交"), **person.who)
    await settle(stub)
    assert [f["method"] for f in stub.faults] == ["answerCallbackQuery"] * len(stub.faults) and stub.faults
    [number] = PatientResident(person).receipts()
    assert (await bot.app.dp["commenting"].track(number)).resident_id == person.user_id


async def test_an_apology_reaches_the_resident_after_the_button_was_answered(stub, bot: RunningBot) -> None:
    """Telegram takes one answer per button press. When the handler had answered it (show() does so
    first) and then failed (here: the receipt could not be shown), the apology must come another way."""
    person = Person(stub, 1360, first_name="李华")
    preview = await at_the_preview(person)
    stub.fail_next("editMessageText", status=502, description="Bad Gateway")
    stub.fail_next("sendMessage", status=502, description="Bad Gateway", chat_id=person.user_id)  # and its retry
    stub.press(person.user_id, preview["message_id"], stub.button_data(preview, "提交"), **person.who)
    await settle(stub)
    heard = [e["params"].get("text") or "" for e in stub.events if not e["error"]
             and (e["chat_id"] == person.user_id or e["method"] == "answerCallbackQuery")]
    assert any("抱歉，系统出现问题" in text for text in heard), stub.dump()


@pytest.mark.parametrize("kind", ["5xx", "429", "timeout"])
async def test_a_receipt_telegram_failed_to_show_is_sent_again(stub, bot: RunningBot, kind: str) -> None:
    """The comment is in when the receipt fails: without it the resident would submit again."""
    person = Person(stub, 1370, first_name="李华")
    preview = await at_the_preview(person)
    stub.inject_faults({"editMessageText": 1.0}, kinds=(kind,), hold=HOLD)
    stub.press(person.user_id, preview["message_id"], stub.button_data(preview, "提交"), **person.who)
    await settle(stub)
    assert [f["method"] for f in stub.faults] == ["editMessageText"]
    [number] = PatientResident(person).receipts()
    assert (await bot.app.dp["commenting"].track(number)).resident_id == person.user_id
