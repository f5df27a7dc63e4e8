"""Benchmark of notice delivery: the real Notifier against the stand-in Bot API, with Telegram-like rate limits.

    python bench/notify.py [--notices 10000] [--rate 500] [--per-chat 1] [--profile]

A fresh SQLite database (in a temporary directory) is built by bot.wiring.build, which migrates it and
seeds the three bundled drafts; then N 'new_draft' notices for draft 1 are inserted directly with SQL
(one transaction), one each for N distinct chat ids — as Publishing queues them for subscribers, only
faster. The stub (tests/e2e/botapi_stub.py) runs in a child process, like a remote Telegram, with
stub.enforce_rate(rate, per-chat); the Notifier built by bot.wiring.build (SEND_RATE_GLOBAL=rate,
SEND_RATE_PER_CHAT=per-chat, QUIET_HOURS empty) is driven by calling deliver_due() in a loop until no
row is pending. Printed: achieved / configured rate, duplicates, lost, 429s, elapsed, peak RSS, and
where the time went (mean latency of claim, render, sendMessage and the 'sent' write per notice).
--profile adds a cProfile of the delivery loop (the top functions by own time).

Target: achieved >= 0.95 of the configured rate, no 429 provoked, none lost, none twice.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import multiprocessing
import pstats
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST_CHAT = 8_000_000_000
TARGET = 0.95


# --------------------------------------------------------------------------- the stub, in its own process
def serve_stub(conn: Any, global_rate: float, per_chat: float) -> None:
    """Run the Bot API stub with rate enforcement until the parent asks for the report."""
    from tests.e2e.botapi_stub import BotAPIStub

    async def main() -> None:
        async with BotAPIStub() as stub:
            stub.enforce_rate(global_rate, per_chat)
            conn.send(stub.base_url)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "report"
            sends = [e for e in stub.events if e["method"] == "sendMessage"]
            ok = [e for e in sends if not e["error"]]
            times = [e["time"] for e in ok]
            peak, left = 0, 0
            for right, at in enumerate(times):  # the most accepted sends in any one-second window
                while times[left] <= at - 1.0:
                    left += 1
                peak = max(peak, right - left + 1)
            conn.send({
                "per_chat": Counter(e["chat_id"] for e in ok),
                "rate_limited": len(stub.rate_limited),
                "rate_limited_scopes": Counter(r["scope"] for r in stub.rate_limited),
                "other_errors": Counter(e["error"] for e in sends if e["error"] and not e["error"].startswith("Too Many")),
                "first": times[0] if times else None, "last": times[-1] if times else None,
                "peak_per_second": peak,
                "parse_errors": len(stub.parse_errors),
                "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            })

    asyncio.run(main())


# --------------------------------------------------------------------------- timing the notifier's steps
class Timings:
    """Wall time per call of the notifier's collaborators (wrapped on the instances, no code changed)."""

    def __init__(self) -> None:
        self.calls: dict[str, list[float]] = defaultdict(list)

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original: Callable[..., Awaitable[Any]] = getattr(owner, name)
        calls = self.calls[label]

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                calls.append(time.perf_counter() - started)

        setattr(owner, name, timed)

    def report(self) -> str:
        lines = []
        for label, values in self.calls.items():
            if values:
                ordered = sorted(values)
                lines.append(f"  {label:<14} {len(values):>6} calls  mean {1000 * sum(values) / len(values):7.2f} ms"
                             f"  p50 {1000 * ordered[len(ordered) // 2]:7.2f} ms  max {1000 * ordered[-1]:8.2f} ms")
        return "\n".join(lines)


# --------------------------------------------------------------------------- the run
async def queue_notices(db: Any, count: int, now: datetime) -> None:
    from sqlalchemy import insert

    from storage.tables import NotificationRow

    rows = [{"kind": "new_draft", "chat_id": FIRST_CHAT + n, "idempotency_key": f"new_draft:1:{FIRST_CHAT + n}",
             "payload": json.dumps({"draft_id": 1}), "status": "pending", "attempts": 0, "due_at": now,
             "created_at": now} for n in range(count)]
    async with db.write() as uow:
        await uow.session.execute(insert(NotificationRow), rows)
        await uow.commit()


async def run(args: argparse.Namespace, base_url: str, directory: str) -> dict[str, Any]:
    from bot.config import Settings
    from bot.wiring import build

    settings = Settings(
        _env_file=None, bot_token="42:TEST", telegram_api_url=base_url,
        database_url=f"sqlite+aiosqlite:///{directory}/bench.db", quiet_hours="", outbox_tick_seconds=3600,
        send_rate_global=args.rate, send_rate_per_chat=args.per_chat, log_level="WARNING",
    )
    app = await build(settings)  # migrates and seeds the bundled drafts: draft 1 exists
    try:
        await queue_notices(app.db, args.notices, datetime.now(UTC))
        notifier = app.notifier
        timings = Timings()
        timings.wrap(notifier._queue, "claim", "claim")
        timings.wrap(notifier._renderer, "render", "render")
        timings.wrap(notifier._bot, "send_message", "sendMessage")
        timings.wrap(notifier._queue, "sent", "mark sent")
        profiler = cProfile.Profile() if args.profile else None
        loops = 0
        started, cpu_started = time.monotonic(), time.process_time()
        if profiler:
            profiler.enable()
        while True:
            loops += 1
            await notifier.deliver_due()
            counts = await notifier._queue.counts()
            if not counts.get("pending"):
                break
            await asyncio.sleep(0.2)  # rows put back by a 429 "repeatedly" are due again in 5 s
        elapsed, cpu = time.monotonic() - started, time.process_time() - cpu_started
        if profiler:
            profiler.disable()
        result = {"elapsed": elapsed, "cpu": cpu, "counts": counts, "delivered": notifier.delivered, "loops": loops,
                  "timings": timings.report(), "finished": time.monotonic()}
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
            result["profile"] = out.getvalue()
        return result
    finally:
        await app.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=500.0, help="SEND_RATE_GLOBAL and the stub's global limit")
    parser.add_argument("--per-chat", type=float, default=1.0, help="SEND_RATE_PER_CHAT and the stub's per-chat limit")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the delivery loop")
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    stub = context.Process(target=serve_stub, args=(child, args.rate, args.per_chat), daemon=True)
    stub.start()
    try:
        base_url = parent.recv()
        with tempfile.TemporaryDirectory() as directory:
            result = asyncio.run(run(args, base_url, directory))
        parent.send("report")
        report = parent.recv()
    finally:
        stub.join(10)
        if stub.is_alive():
            stub.terminate()

    per_chat: Counter[int] = report["per_chat"]
    expected = {FIRST_CHAT + n for n in range(args.notices)}
    delivered = sum(per_chat[chat] for chat in expected)
    lost = sum(1 for chat in expected if per_chat[chat] == 0)
    duplicates = sum(per_chat[chat] - 1 for chat in expected if per_chat[chat] > 1)
    unexpected = sum(n for chat, n in per_chat.items() if chat not in expected)
    achieved = args.notices / result["elapsed"]
    stub_span = (report["last"] - report["first"]) if report["first"] is not None else 0.0
    ratio = achieved / args.rate
    print(f"notices          {args.notices} new_draft notices, {len(expected)} chats "
          f"(rows inserted with SQL; rendered and sent by the real Notifier)")
    print(f"configured rate  {args.rate:g}/s global, {args.per_chat:g}/s per chat (stub enforces the same)")
    print(f"achieved rate    {achieved:.1f}/s = {ratio:.3f} of configured "
          f"(stub saw first..last accepted send in {stub_span:.2f} s: "
          f"{(delivered - 1) / stub_span if stub_span else 0:.1f}/s; busiest one-second window "
          f"{report['peak_per_second']})")
    print(f"elapsed          {result['elapsed']:.2f} s ({result['loops']} deliver_due() calls)")
    print(f"bot-side CPU     {result['cpu']:.2f} s = {100 * result['cpu'] / result['elapsed']:.0f}% of one core, "
          f"{1000 * result['cpu'] / args.notices:.2f} ms per notice (all threads: event loop + aiosqlite)")
    print(f"delivered        {delivered} messages; queue {result['counts']}; notifier.delivered={result['delivered']}")
    print(f"duplicates       {duplicates}")
    print(f"lost             {lost}")
    print(f"429s received    {report['rate_limited']} {dict(report['rate_limited_scopes'])}")
    print(f"other errors     {dict(report['other_errors']) or 0}; HTML parse errors {report['parse_errors']}; "
          f"messages to other chats {unexpected}")
    print(f"peak RSS         bench (bot side) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB, "
          f"stub process {report['rss_kb'] / 1024:.1f} MiB")
    print("time per step (wall, per call, concurrent calls overlap):")
    print(result["timings"])
    if "profile" in result:
        print(result["profile"])
    met = ratio >= TARGET and report["rate_limited"] == 0 and lost == 0 and duplicates == 0
    print(f"target (>= {TARGET} of the rate, no 429, none lost, none twice): {'MET' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
