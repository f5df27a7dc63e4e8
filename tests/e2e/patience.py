"""A resident who tries again when the bot does not answer, as people do while Telegram is failing.

Person (driver.py) expects an answer to every action within seconds; under injected faults an
answer may never come (the bot's reply failed and so did its apology). PatientResident does one
step at a time, waits until the bot has settled (every update fetched and handled, nothing in
flight, held requests run out), and checks what the chat shows: the step is repeated a few times,
and if the conversation went astray the whole comment is started over from the deep link.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.e2e.botapi_stub import BotAPIStub
from tests.e2e.driver import TRACKING, Person, RunningBot

STEP_TRIES = 3
FLOW_TRIES = 8


async def settle(stub: BotAPIStub, timeout: float = 20.0) -> None:
    """Until the bot has fetched and handled every update and no call of it is in flight."""
    await stub.wait_until_idle(quiet=0.05, timeout=timeout)
    while any(bot.in_flight for bot in RunningBot.active):
        await asyncio.sleep(0.01)
        await stub.wait_until_idle(quiet=0.05, timeout=timeout)


class PatientResident:
    def __init__(self, person: Person) -> None:
        self.person, self.stub = person, person.stub
        english = person.language_code.startswith("en")
        self.comment_label, self.submit_label = ("Comment on", "Submit") if english else ("提意见", "提交")
        self.flows = 0  # comment flows started (1 when nothing went wrong)

    def _newest(self, after_id: int, wanted: Callable[[dict], bool]) -> dict | None:
        """The newest bot message in the chat with an id above ``after_id`` that is ``wanted``."""
        found = [m for m in self.stub.messages(self.person.user_id) if m["message_id"] > after_id and wanted(m)]
        return found[-1] if found else None

    def _top_id(self) -> int:
        messages = self.stub.messages(self.person.user_id)
        return messages[-1]["message_id"] if messages else 0

    def _has_button(self, label: str) -> Callable[[dict], bool]:
        return lambda message: any(label in text for text, _ in self.stub.buttons(message))

    async def _step(self, act: Callable[[], object], shown: Callable[[], dict | None]) -> dict | None:
        for _ in range(STEP_TRIES):
            act()
            await settle(self.stub)
            if (result := shown()) is not None:
                return result
        return None

    def receipts(self) -> set[str]:
        """Tracking numbers of every receipt the resident was shown (an edit may later replace one)."""
        return {number for e in self.stub.events
                if e["chat_id"] == self.person.user_id and not e["error"] and e["message"]
                and "✅" in (e["message"].get("text") or "")
                for number in TRACKING.findall(e["message"].get("plain_text") or "")}

    async def comment(self, link: str, text: str) -> str | None:
        """Comment through the bot until a receipt comes; its tracking number, or None after FLOW_TRIES."""
        who, uid = self.person.who, self.person.user_id
        for _ in range(FLOW_TRIES):
            self.flows += 1
            before = self.receipts()
            top = self._top_id()
            opened = await self._step(lambda: self.stub.send_text(uid, f"/start {link}", **who),
                                      lambda: self._newest(top, self._has_button(self.comment_label)))
            if opened is None:
                continue
            data = self.stub.button_data(opened, self.comment_label)
            top = self._top_id()
            prompt = await self._step(lambda: self.stub.press(uid, opened["message_id"], data, **who),
                                      lambda: self._newest(top, lambda m: "✍️" in (m.get("text") or "")))
            if prompt is None:
                continue
            top = self._top_id()
            preview = await self._step(lambda: self.stub.send_text(uid, text, **who),
                                       lambda: self._newest(top, self._has_button(self.submit_label)))
            if preview is None:
                continue
            submit = self.stub.button_data(preview, self.submit_label)
            # Pressing Submit again is what a resident does when nothing seems to happen; once the
            # comment is in, the preview's state is gone and a second press changes nothing.
            await self._step(lambda: self.stub.press(uid, preview["message_id"], submit, check=False, **who),
                             lambda: (self.receipts() - before) or None)
            if new := self.receipts() - before:
                return sorted(new)[-1]
        return None
