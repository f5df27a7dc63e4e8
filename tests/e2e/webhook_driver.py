"""`python -m bot` in webhook mode as a subprocess, and residents whose updates are posted to it.

The Bot API stand-in still takes everything the bot sends; the updates, which polling would fetch
from it, are built by the stand-in (so buttons are checked as usual) and posted to the bot's
webhook the way Telegram does. The bot handles an update before it answers the POST, so when
`post` returns, the replies are already recorded at the stand-in.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp

from bot.webhook import HEALTH_PATH, WEBHOOK_PATH
from tests.e2e.botapi_stub import REPLY_METHODS, BotAPIStub

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-secret_0123456789"
PUBLIC_URL = "https://yijian.example.org"  # only handed to setWebhook; the tests post to the port
TRACKING = re.compile(r"YJ-\d{4}-\d{6}")
SETTINGS = {"BOT_TOKEN", "DATABASE_URL", "REDIS_URL", "ADMIN_IDS", "TELEGRAM_API_URL", "TIMEZONE", "QUIET_HOURS",
            "WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_HOST", "WEBHOOK_PORT", "LOG_LEVEL"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_env(stub: BotAPIStub, database_url: str, port: int, **settings: str) -> dict[str, str]:
    """The environment of `python -m bot` in webhook mode; nothing of the caller's settings leaks in."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    return {**env, "PYTHONPATH": str(ROOT), "BOT_TOKEN": "42:TEST", "TELEGRAM_API_URL": stub.base_url,
            "DATABASE_URL": database_url, "QUIET_HOURS": "", "WEBHOOK_URL": PUBLIC_URL, "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_HOST": "127.0.0.1", "WEBHOOK_PORT": str(port), **settings}


class WebhookBot:
    def __init__(self, name: str, stub: BotAPIStub, database_url: str, log_dir: Path, **settings: str) -> None:
        self.name, self.port = name, free_port()
        self.log_path = log_dir / f"bot-{name}.log"
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = bot_env(stub, database_url, self.port, **settings)
        self.process: asyncio.subprocess.Process | None = None
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=self.log_path.parent, env=self.env,
                stdout=log, stderr=asyncio.subprocess.STDOUT)

    def log(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    async def wait_ready(self, timeout: float = 45) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.returncode is not None:
                raise AssertionError(f"bot {self.name} exited ({self.process.returncode}):\n{self.log()}")
            try:
                status, _ = await self.health()
                if status == 200:
                    return
            except aiohttp.ClientConnectionError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"bot {self.name} not ready within {timeout}s:\n{self.log()}")
            await asyncio.sleep(0.1)

    async def health(self) -> tuple[int, dict]:
        assert self.http is not None
        async with self.http.get(self.base + HEALTH_PATH) as response:
            return response.status, await response.json()

    async def post(self, update: dict, secret: str | None = SECRET) -> int:
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        assert self.http is not None
        async with self.http.post(self.base + WEBHOOK_PATH, json=update, headers=headers) as response:
            await response.read()
            return response.status

    async def stop(self) -> int | None:
        """SIGTERM, as systemd or docker stop do; returns the exit code."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self.http is not None:
            await self.http.close()
        return None if self.process is None else self.process.returncode


class Resident:
    """A resident in a private chat; each action names the instance the load balancer sent it to."""

    def __init__(self, stub: BotAPIStub, user_id: int, first_name: str = "居民") -> None:
        self.stub, self.user_id, self.first_name = stub, user_id, first_name
        self.replies: list[dict] = []

    def _replies_since(self, mark: int) -> list[dict]:
        return [e for e in self.stub.events[mark:]
                if e["method"] in REPLY_METHODS and e["chat_id"] == self.user_id and not e["error"]]

    async def say(self, bot: WebhookBot, text: str) -> list[dict]:
        mark = self.stub.mark()
        update = self.stub.send_text(self.user_id, text, first_name=self.first_name)
        assert await bot.post(update) == 200
        self.replies = self._replies_since(mark)
        return self.replies

    def press_update(self, button_text: str) -> dict:
        """The update of a tap on the newest button whose text contains `button_text`."""
        for message in reversed(self.stub.messages(self.user_id)):
            data = next((d for t, d in self.stub.buttons(message) if button_text in t), None)
            if data is not None:
                return self.stub.press(self.user_id, message["message_id"], data, first_name=self.first_name)
        raise AssertionError(f"no button {button_text!r}:\n{self.stub.dump(self.user_id)}")

    async def press(self, bot: WebhookBot, button_text: str) -> list[dict]:
        mark = self.stub.mark()
        assert await bot.post(self.press_update(button_text)) == 200
        self.replies = self._replies_since(mark)
        return self.replies

    @property
    def text(self) -> str:
        return "\n".join(str(e["params"].get("text") or "") for e in self.replies)

    def receipts(self) -> list[str]:
        """The tracking number of every receipt shown in this chat (the preview turns into one)."""
        return [found.group(0) for e in self.stub.events if e["method"] in {"sendMessage", "editMessageText"}
                and e["chat_id"] == self.user_id and not e["error"]
                and (found := TRACKING.search(str(e["params"].get("text") or "")))]
