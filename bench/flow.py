"""Benchmark of the resident comment flow, side by side with a bare aiogram echo bot on the same stand-in.

    python bench/flow.py [--database sqlite|postgresql|both] [--residents 300] [--concurrency 50]

Each resident does the whole flow, one update at a time, waiting for the bot's reply before the next:
/start, consent (button), a deep link to draft 2 article 18, "comment on this article" (button), the
comment's text, Submit (button) -> the receipt with its tracking number: 6 updates. `--concurrency`
residents are at it at once. The echo bot (a Dispatcher with one message handler answering the text)
gets the same number of residents sending 6 texts each, same concurrency, same stub, same polling.

The stub (tests/e2e/botapi_stub.py, subclassed here to hand each chat its replies) and the residents
run in this process; the bot runs in a child process (spawned), as it would against Telegram. For each
database the echo bot runs first, then the real bot (bot.wiring.build: migrations, bundled drafts,
every middleware; on PostgreSQL with Redis for conversation state when YIJIAN_TEST_REDIS_URL is set).
PostgreSQL needs `eval "$(.ci/services start)"`; the script creates and drops a database of its own.

Printed per run: updates per second and its ratio to the echo bot of the same database; handler
latency p50/p95 (a timing middleware, outermost but for the bot's own outer middlewares, in the bot
process); reply latency p50/p95 (stub side: update handed out by getUpdates -> the reply arrives);
bot CPU per update (less sensitive to other load than wall time); idle RSS after start (bundled drafts
loaded, polling, nothing handled yet) and peak RSS of the bot process; the load average around the run.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import multiprocessing
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402  (bench/ is not a package: the scripts run from anywhere)
    claim_redis,
    create_postgres_database,
    drop_postgres_database,
    load,
    machine,
    peak_rss_mib,
    percentile,
    release_redis,
    rss_mib,
)

FIRST_RESIDENT = 8_100_000_000
STEPS = 6
REPLY_TIMEOUT = 60.0
SETTLE_SECONDS = 2.0  # after start-up, before the idle RSS is read: imports done, first poll running
FULL_FLOW = [("say", "/start"), ("press", "pv:"), ("say", "/start a2_18"), ("press", "w:2:18"),
             ("say", "建议夜间施工提前三天公告，并公布投诉电话。居民{n}"), ("press", "p:submit")]
ECHO_FLOW = [("say", f"echo {step} from {{n}}") for step in range(STEPS)]


# --------------------------------------------------------------------------- the bot, in a child process
def serve_bot(conn: Any, kind: str, base_url: str, database_url: str, redis_url: str | None, profile: bool,
              what_if: bool, settle: float = SETTLE_SECONDS) -> None:
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_serve_bot(conn, kind, base_url, database_url, redis_url, profile, what_if, settle))


async def _serve_bot(conn: Any, kind: str, base_url: str, database_url: str, redis_url: str | None,
                     profile: bool, what_if: bool, settle: float) -> None:
    durations: list[float] = []

    async def timed(handler: Any, event: Any, data: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            durations.append(time.perf_counter() - started)

    started = asyncio.Event()

    async def on_startup() -> None:
        started.set()

    app = None
    if kind == "echo":
        bot, dp = _echo_bot(base_url)
        run = dp.start_polling(bot, handle_signals=False, polling_timeout=1)
    else:
        from bot.config import Settings
        from bot.wiring import build

        settings = Settings(_env_file=None, bot_token="42:TEST", telegram_api_url=base_url, database_url=database_url,
                            redis_url=redis_url, default_language="zh", timezone="Asia/Shanghai",
                            outbox_tick_seconds=3600, quiet_hours="", log_level="ERROR")
        app = await build(settings)
        dp = app.dp
        run = app.run_polling(handle_signals=False, polling_timeout=1)
    pinned = pin_response_types() if what_if else []  # noqa: F841  (held: the point is the references)
    dp.update.outer_middleware(timed)
    dp.startup.register(on_startup)
    task = asyncio.create_task(run)
    await asyncio.wait_for(started.wait(), 60)
    await asyncio.sleep(settle)
    loop = asyncio.get_running_loop()
    conn.send(("ready", rss_mib()))
    await loop.run_in_executor(None, conn.recv)  # "go"
    durations.clear()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    cpu = time.process_time()
    await loop.run_in_executor(None, conn.recv)  # "stop"
    cpu = time.process_time() - cpu
    hot = ""
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        hot = out.getvalue()
    await dp.stop_polling()
    await asyncio.wait_for(task, 30)
    if app is not None:
        await app.close()
    else:
        await bot.session.close()
    conn.send({"durations": durations, "cpu": cpu, "peak_rss": peak_rss_mib(), "profile": hot})


def pin_response_types() -> list[type]:
    """What-if: hold a reference to aiogram's Response[T] for every Bot API method's result type.

    aiogram builds Response[method.__returning__] for every reply it reads; pydantic 2.13 caches
    parametrised generics in a WeakValueDictionary only, so once the garbage collector has taken the
    class, the next call builds it again (a full pydantic schema: milliseconds). Both bots pay it;
    the more a bot allocates, the more often the collector runs and the class is rebuilt."""
    from aiogram import methods
    from aiogram.methods.base import Response, TelegramMethod

    pinned = []
    for method in vars(methods).values():
        if isinstance(method, type) and issubclass(method, TelegramMethod) and method is not TelegramMethod:
            pinned.append(Response[method.__returning__])  # type: ignore[name-defined]
    return pinned


def _echo_bot(base_url: str) -> tuple[Any, Any]:
    """The baseline: aiogram with nothing of ours, answering each text with the same text."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    bot = Bot("43:ECHO", session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    return bot, dp


# --------------------------------------------------------------------------- the stand-in and the residents
def crowd_stub() -> Any:
    from tests.e2e.botapi_stub import REPLY_METHODS, BotAPIStub

    class CrowdStub(BotAPIStub):
        """The stand-in, handing each chat its replies in a queue (no scan of every event per wait),
        and noting when getUpdates handed each update out."""

        def __init__(self) -> None:
            super().__init__()
            self.replies: defaultdict[int, asyncio.Queue[dict[str, Any]]] = defaultdict(asyncio.Queue)
            self.handed_out: dict[int, float] = {}

        def _record(self, method: str, params: dict, message: dict | None, *args: Any, **kwargs: Any) -> None:
            super()._record(method, params, message, *args, **kwargs)
            if method in REPLY_METHODS and self.events[-1]["error"] is None:
                self.replies[self.events[-1]["chat_id"]].put_nowait(self.events[-1])

        async def _get_updates(self, params: dict) -> list[dict]:
            batch = await super()._get_updates(params)
            now = time.monotonic()
            for update in batch:
                self.handed_out.setdefault(update["update_id"], now)
            return batch

    return CrowdStub()


async def resident(stub: Any, user_id: int, flow: list[tuple[str, str]], latencies: list[tuple[int, float]]) -> str:
    """One resident through the flow; returns the text of the bot's last reply."""
    message_id = None
    reply: dict[str, Any] = {}
    for step, (action, value) in enumerate(flow):
        if action == "say":
            update = stub.send_text(user_id, value.format(n=user_id - FIRST_RESIDENT))
        else:  # a button of the bot's last message (check: the flow went where we think it did)
            update = stub.press(user_id, message_id, value)
        reply = await asyncio.wait_for(stub.replies[user_id].get(), REPLY_TIMEOUT)
        latencies.append((step, reply["time"] - stub.handed_out[update["update_id"]]))
        message_id = reply["message"]["message_id"]
    return str(reply["params"].get("text", ""))


async def crowd(stub: Any, flow: list[tuple[str, str]], residents: int, concurrency: int
                ) -> tuple[float, list[tuple[int, float]], list[str]]:
    slots = asyncio.Semaphore(concurrency)
    latencies: list[tuple[int, float]] = []

    async def one(n: int) -> str:
        async with slots:
            return await resident(stub, FIRST_RESIDENT + n, flow, latencies)

    started = time.monotonic()
    last = await asyncio.gather(*(one(n) for n in range(residents)))
    return time.monotonic() - started, latencies, last


# --------------------------------------------------------------------------- one run
async def run(kind: str, database_url: str, redis_url: str | None, args: argparse.Namespace) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    async with crowd_stub() as stub:
        parent, child = context.Pipe()
        process = context.Process(target=serve_bot, args=(child, kind, stub.base_url, database_url, redis_url,
                                                            args.profile and kind == "full", args.pin_response_types),
                                  daemon=True)
        process.start()
        try:
            _, idle_rss = await asyncio.wait_for(loop.run_in_executor(None, parent.recv), 120)
            load_before = load()
            parent.send("go")
            elapsed, latencies, last = await crowd(stub, FULL_FLOW if kind == "full" else ECHO_FLOW,
                                                   args.residents, args.concurrency)
            parent.send("stop")
            report = await asyncio.wait_for(loop.run_in_executor(None, parent.recv), 60)
        finally:
            process.join(30)
            if process.is_alive():
                process.terminate()
    updates = args.residents * STEPS
    receipts = sum("YJ-" in text for text in last) if kind == "full" else sum(text.startswith("echo") for text in last)
    return {"rate": updates / elapsed, "elapsed": elapsed, "updates": updates, "done": receipts,
            "handler": report["durations"], "reply": [latency for _, latency in latencies],
            "steps": [[latency for step, latency in latencies if step == n] for n in range(STEPS)],
            "cpu_per_update": report["cpu"] / updates,
            "idle_rss": idle_rss, "peak_rss": report["peak_rss"], "load": f"{load_before} -> {load()}",
            "parse_errors": len(stub.parse_errors), "profile": report["profile"]}


async def database_for(name: str, directory: str) -> str:
    if name == "sqlite":
        return f"sqlite+aiosqlite:///{directory}/flow.db"
    return await create_postgres_database("flow")


def line(label: str, result: dict[str, Any], echo: dict[str, Any] | None) -> str:
    handler, reply = ([1000 * percentile(result[key], share) for share in (.5, .95)] for key in ("handler", "reply"))
    ratio = f"{result['rate'] / echo['rate']:6.3f}" if echo else "     1"
    return (f"{label:<26} {result['rate']:7.1f}/s {ratio}   {handler[0]:6.1f} {handler[1]:7.1f}"
            f"   {reply[0]:6.1f} {reply[1]:7.1f}   {1000 * result['cpu_per_update']:6.2f}"
            f"   {result['idle_rss']:6.1f} {result['peak_rss']:7.1f}   {result['done']}/{result['updates'] // STEPS}"
            f"   {result['load']}")


async def main_async(args: argparse.Namespace) -> int:
    print(f"machine     {machine()}")
    if args.pin_response_types:
        print("WHAT-IF     --pin-response-types: Response[T] classes pinned in both bots (not the project's code)")
    print(f"workload    {args.residents} residents, {args.concurrency} at a time, {STEPS} updates each "
          f"({args.residents * STEPS} updates per run); bot in a child process, stub + residents in this one")
    print(f"{'run':<26} {'updates/s':>9} {'ratio':>6}   {'handler ms':>14}   {'reply ms':>14}   {'CPU ms':>6}"
          f"   {'RSS MiB':>14}   {'done':>7}   load average before -> after")
    print(f"{'':<26} {'':>9} {'':>6}   {'p50':>6} {'p95':>7}   {'p50':>6} {'p95':>7}   {'/upd':>6}"
          f"   {'idle':>6} {'peak':>7}")
    failed = False
    for name in (["sqlite", "postgresql"] if args.database == "both" else [args.database]):
        with tempfile.TemporaryDirectory() as directory:
            url = await database_for(name, directory)
            redis_url = claim_redis() if name == "postgresql" and not args.no_redis else None
            try:
                echo = await run("echo", url, None, args)
                print(line(f"echo bot ({name} run)", echo, None), flush=True)
                full = await run("full", url, redis_url, args)
                label = "Yijian SQLite" if name == "sqlite" else "Yijian PostgreSQL" + (" + Redis" if redis_url else "")
                print(line(label, full, echo), flush=True)
                if args.steps:
                    print("    reply ms per step (p50 / p95): " + ", ".join(
                        f"{action} {value.split('{')[0][:12]!r} {1000 * percentile(values, .5):.0f} / "
                        f"{1000 * percentile(values, .95):.0f}" for (action, value), values
                        in zip(FULL_FLOW, full["steps"], strict=True)))
                if full["profile"]:
                    print(full["profile"])
                failed |= full["done"] != args.residents or echo["done"] != args.residents or full["parse_errors"] > 0
            finally:
                release_redis(redis_url)
                if name == "postgresql":
                    await drop_postgres_database(url)
    print("ratio: updates/s of the run over the echo bot's just before it; CPU: bot process CPU per update; "
          "done: residents who got their receipt (echo: their last echo)")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--residents", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--no-redis", action="store_true", help="PostgreSQL run with conversation state in SQL")
    parser.add_argument("--pin-response-types", action="store_true",
                        help="what-if: keep aiogram's Response[T] classes alive in the echo bot too (the real bot "
                             "does it since bot/response_types.py)")
    parser.add_argument("--steps", action="store_true", help="reply latency of each step of the flow")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the real bot's process "
                                                               "(the figures are then slower than without)")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
