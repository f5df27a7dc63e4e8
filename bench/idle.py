"""Idle memory of the bot: RSS of `python -m bot`'s process once it has started and is polling.

    python bench/idle.py [--database sqlite|postgresql|both] [--settle 10]

The real bot (bot.wiring.build: migrations, the three bundled drafts loaded, scheduler, every router)
polls the stand-in Bot API in a child process, with no update to handle; after --settle seconds its
RSS is read from /proc. The bare aiogram echo bot of bench/flow.py is measured the same way: the
difference is what Yijian adds to aiogram itself.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import flow  # noqa: E402  (bench/ is not a package)
from common import claim_redis, drop_postgres_database, machine, release_redis  # noqa: E402


async def idle_rss(kind: str, database_url: str, redis_url: str | None, settle: float) -> float:
    context = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    async with flow.crowd_stub() as stub:
        parent, child = context.Pipe()
        process = context.Process(target=flow.serve_bot, daemon=True,
                                  args=(child, kind, stub.base_url, database_url, redis_url, False, False, settle))
        process.start()
        try:
            _, rss = await asyncio.wait_for(loop.run_in_executor(None, parent.recv), 120)
            parent.send("go")
            parent.send("stop")
            await asyncio.wait_for(loop.run_in_executor(None, parent.recv), 60)
        finally:
            process.join(30)
            if process.is_alive():
                process.terminate()
    return rss


async def main_async(args: argparse.Namespace) -> None:
    print(f"machine     {machine()}")
    print(f"idle RSS    {args.settle:g} s after polling began, no update handled")
    with tempfile.TemporaryDirectory() as directory:
        print(f"  bare aiogram echo bot            {await idle_rss('echo', '', None, args.settle):6.1f} MiB")
        for name in (["sqlite", "postgresql"] if args.database == "both" else [args.database]):
            url = await flow.database_for(name, directory)
            redis_url = claim_redis() if name == "postgresql" else None
            try:
                engines = "SQLite" if name == "sqlite" else "PostgreSQL" + (" + Redis" if redis_url else "")
                label = f"Yijian, {engines}"
                print(f"  {label:<32} {await idle_rss('full', url, redis_url, args.settle):6.1f} MiB")
            finally:
                release_redis(redis_url)
                if name == "postgresql":
                    await drop_postgres_database(url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds of polling before the RSS is read")
    args = parser.parse_args()
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
