"""Drives the real bot through the Bot API stand-in the way residents do, and reads its replies."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from bot.config import Settings
from bot.wiring import Yijian, build
from tests.e2e.botapi_stub import REPLY_METHODS, BotAPIStub


class Clock:
    """A controllable clock for the use cases: tests move time to a deadline instead of waiting."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class RunningBot:
    """The bot of `python -m bot`, built from settings and polling the stand-in in this event loop."""

    active: set[RunningBot] = set()  # what Person waits for: no update still being handled

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings, self.clock = settings, clock
        self.app: Yijian | None = None
        self.task: asyncio.Task[None] | None = None
        self.in_flight = 0

    async def _track(self, handler, event, data):  # type: ignore[no-untyped-def]
        # A handler may work a while without calling Telegram (drawing a chart): count it as busy.
        self.in_flight += 1
        try:
            return await handler(event, data)
        finally:
            self.in_flight -= 1

    async def start(self) -> Yijian:
        self.app = await build(self.settings, self.clock)
        self.app.dp.update.outer_middleware(self._track)
        RunningBot.active.add(self)
        started = asyncio.Event()

        async def on_startup() -> None:
            started.set()

        self.app.dp.startup.register(on_startup)
        self.task = asyncio.create_task(self.app.run_polling(handle_signals=False, polling_timeout=1))
        await asyncio.wait_for(started.wait(), 10)  # polling has begun: stop_polling() is valid from here
        return self.app

    async def stop(self) -> None:
        assert self.app is not None and self.task is not None
        await self.app.dp.stop_polling()
        await asyncio.wait_for(self.task, 10)
        await self.app.close()
        self.app = self.task = None
        RunningBot.active.discard(self)


@dataclass
class Person:
    """A resident in a private chat with the bot."""

    stub: BotAPIStub = field(repr=False)
    user_id: int
    language_code: str = "zh-hans"
    first_name: str = "Resident"
    replies: list[dict] = field(default_factory=list, repr=False)
    _alert: str = field(default="", repr=False)

    @property
    def who(self) -> dict:
        return {"language_code": self.language_code, "first_name": self.first_name}

    async def _collect(self, mark: int, callback_id: str | None = None) -> list[dict]:
        if callback_id:  # every button press is answered, with or without an alert
            after = mark
            while True:
                event = await self.stub.wait_for_event("answerCallbackQuery", after=after)
                if event["params"].get("callback_query_id") == callback_id:
                    self._alert = str(event["params"].get("text") or "")
                    break
                after = event["index"] + 1
        else:
            await self.stub.wait_for_reply(self.user_id, after=mark)
        await self.stub.wait_until_idle(quiet=0.05)
        while any(bot.in_flight for bot in RunningBot.active):
            await asyncio.sleep(0.01)
            await self.stub.wait_until_idle(quiet=0.05)
        self.replies = [e for e in self.stub.events[mark:]
                        if e["method"] in REPLY_METHODS and e["chat_id"] == self.user_id and not e["error"]]
        return self.replies

    async def say(self, text: str) -> list[dict]:
        mark = self.stub.mark()
        self.stub.send_text(self.user_id, text, **self.who)
        return await self._collect(mark)

    async def send(self, kind: str) -> list[dict]:
        mark = self.stub.mark()
        getattr(self.stub, f"send_{kind}")(self.user_id, **self.who)
        return await self._collect(mark)

    async def upload(self, content: bytes, file_name: str, mime_type: str = "text/plain") -> list[dict]:
        """Send a file (a document) to the bot."""
        mark = self.stub.mark()
        self.stub.send_document(self.user_id, content, file_name, mime_type, **self.who)
        return await self._collect(mark)

    async def press(self, button_text: str) -> list[dict]:
        """Press the newest button whose text contains `button_text`, on any of the bot's messages."""
        for message in reversed(self.stub.messages(self.user_id)):
            data = next((d for t, d in self.stub.buttons(message) if button_text in t), None)
            if data is not None:
                return await self.press_data(message["message_id"], data)
        raise AssertionError(f"no button {button_text!r} in chat {self.user_id}:\n{self.stub.dump(self.user_id)}")

    async def press_data(self, message_id: int, data: str, check: bool = True) -> list[dict]:
        mark = self.stub.mark()
        update = self.stub.press(self.user_id, message_id, data, check=check, **self.who)
        return await self._collect(mark, callback_id=update["callback_query"]["id"])

    @property
    def text(self) -> str:
        """Everything the bot said in answer to the last action, joined."""
        return "\n".join(str(e["params"].get("text") or e["params"].get("caption") or "") for e in self.replies)

    @property
    def alert(self) -> str:
        """The text of the answer to this resident's last button press (an alert or a toast)."""
        return self._alert

    def buttons(self) -> list[str]:
        last = self.stub.last_message(self.user_id)
        return [text for text, _ in self.stub.buttons(last)]


async def accept_privacy(person: Person) -> None:
    """/start and agree to the privacy notice, as every resident does once."""
    await person.say("/start")
    await person.press("✅")


TRACKING = re.compile(r"YJ-\d{4}-\d{6}")


async def comment_via(person: Person, link: str, text: str, signed: bool = False) -> str:
    """Open a deep link, comment, optionally sign, submit; returns the tracking number of the receipt."""
    english = person.language_code.startswith("en")
    await person.say(f"/start {link}")
    await person.press("Comment on" if english else "提意见")
    await person.say(text)
    if signed:
        await person.press("Sign with my name" if english else "署名提交")
    await person.press("Submit" if english else "提交")
    found = TRACKING.search(person.text)
    assert found, f"no receipt: {person.text!r}"
    return found.group(0)


def read_document(stub: BotAPIStub, event: dict) -> bytes:
    """The bytes of a document the bot sent (sendDocument upload)."""
    return stub.file_content(event["message"]["document"]["file_id"])
