"""`python -m bot`: start Yijian with the settings from the environment and .env."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from pydantic import ValidationError

from bot.config import Settings, StorageSettings, describe_error


async def main(settings: Settings) -> None:
    from bot.wiring import build  # imported late: a settings error is reported without loading aiogram

    app = await build(settings)
    try:
        if settings.webhook_mode:
            await app.run_webhook(stop_on_signals())
        else:
            await app.run_polling()  # aiogram stops polling on SIGINT/SIGTERM itself
    finally:
        await app.close()


def stop_on_signals() -> asyncio.Event:
    """Set on SIGINT or SIGTERM (systemd, docker stop): the webhook server finishes what it is handling."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


def run() -> None:
    if len(sys.argv) > 1:  # administration commands: see bot/cli.py
        from bot.cli import run as run_command

        try:
            storage_settings = StorageSettings()
        except ValidationError as error:
            print(describe_error(error), file=sys.stderr)
            raise SystemExit(2) from None
        raise SystemExit(asyncio.run(run_command(sys.argv[1:], storage_settings)))
    try:
        settings = Settings()
    except ValidationError as error:
        print(describe_error(error), file=sys.stderr)
        raise SystemExit(2) from None
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(main(settings))


if __name__ == "__main__":
    run()
