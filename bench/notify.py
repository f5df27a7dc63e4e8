"""Benchmark of notice delivery: the real Notifier against the stand-in Bot API, with Telegram-like rate limits.

    python bench/notify.py [--notices 10000] [--rate 500] [--per-chat 1] [--kind feedback|new_draft]
                           [--progress] [--profile]

A fresh SQLite database (in a temporary directory) is built by bot.wiring.build, which migrates it and
seeds the three bundled drafts; then N notices due now are inserted directly with SQL (one transaction),
one each for N distinct chats: by default 'feedback' notices, as publishing a batch answer queues them
(each with its resident, comment and published answer), or 'new_draft' notices as subscribers get them.
The stub (tests/e2e/botapi_stub.py) runs in a child process, like a remote Telegram, with
stub.enforce_rate(rate, per-chat); the Notifier built by bot.wiring.build (SEND_RATE_GLOBAL=rate,
SEND_RATE_PER_CHAT=per-chat, QUIET_HOURS empty) is driven by calling deliver_due() in a loop until no
row is pending. Printed: achieved / configured rate, duplicates, lost, 429s, elapsed, peak RSS, and
where the time went (mean latency of claim, prepare, render, sendMessage and the 'sent' writes).
--progress prints throughput and CPU per notice every 5 s; --profile adds a cProfile of the delivery loop.
Exit status 0 when the target is met.

Target: achieved >= 0.95 of the configured rate, no 429 provoked, none lost, none twice.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
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
    import gc

    from tests.e2e.botapi_stub import BotAPIStub

    # Telegram does not pause for our sake: the stand-in's garbage-collector pauses (up to ~250 ms over
    # its growing event log) would bunch requests and count them as one burst.
    gc.disable()

    stalls: list[float] = []

    async def watch_loop() -> None:  # how late the stub's event loop wakes up: requests wait that long
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            stalls.append(time.monotonic() - before - 0.01)

    async def main() -> None:
        async with BotAPIStub() as stub:
            stub.enforce_rate(global_rate, per_chat)
            watcher = asyncio.create_task(watch_loop())
            conn.send(stub.base_url)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "report"
            watcher.cancel()
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
                "rate_limited_at": Counter(int(r["time"] - times[0]) for r in stub.rate_limited) if times else {},
                "other_errors": Counter(e["error"] for e in sends if e["error"] and not e["error"].startswith("Too Many")),
                "first": times[0] if times else None, "last": times[-1] if times else None,
                "peak_per_second": peak,
                "parse_errors": len(stub.parse_errors),
                "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "cpu": time.process_time(),  # the stand-in's own CPU: on 2 cores it competes with the bot
                "stall_max": max(stalls, default=0.0),
                "stalls_over_50ms": sum(stall > 0.05 for stall in stalls),
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
async def queue_notices(db: Any, kind: str, count: int, now: datetime) -> None:
    """N notices due now, one per chat. 'feedback' (the default) is what a batch answer queues: a resident,
    their comment on draft 1 and its published answer per chat (half the residents read Chinese, half
    English); 'new_draft' is the subscribers' notice of a new draft (no resident rows: default language)."""
    from sqlalchemy import insert

    from storage.tables import AnswerRow, CommentRow, NotificationRow, ResidentRow

    chats = [FIRST_CHAT + n for n in range(count)]
    async with db.write() as uow:
        if kind == "feedback":
            await uow.session.execute(insert(ResidentRow), [
                {"user_id": chat, "language": "zh" if n % 2 else "en", "privacy_accepted_at": now,
                 "created_at": now} for n, chat in enumerate(chats)])
            await uow.session.execute(insert(CommentRow), [
                {"id": n + 1, "tracking_number": f"YJ-2026-{n + 1:06d}", "draft_id": 1, "article_number": 1 + n % 40,
                 "resident_id": chat, "text": f"建议第{1 + n % 40}条增加社区养老服务站的夜间值守要求。\n理由：{n}",
                 "language": "zh", "status": "answered", "created_at": now, "updated_at": now}
                for n, chat in enumerate(chats)])
            await uow.session.execute(insert(AnswerRow), [
                {"comment_id": n + 1, "status": "partly_adopted", "reply": "感谢您的意见。已在修改稿中增加相关规定。",
                 "answered_by": 9001, "updated_at": now, "version": 1, "published_at": now}
                for n in range(count)])
            payloads = [{"comment_id": n + 1, "answer_version": 1} for n in range(count)]
            keys = [f"feedback:{n + 1}:1" for n in range(count)]
        else:
            payloads = [{"draft_id": 1}] * count
            keys = [f"new_draft:1:{chat}" for chat in chats]
        await uow.session.execute(insert(NotificationRow), [
            {"kind": kind, "chat_id": chat, "idempotency_key": key, "payload": json.dumps(payload),
             "status": "pending", "attempts": 0, "due_at": now, "created_at": now}
            for chat, key, payload in zip(chats, keys, payloads)])
        await uow.commit()


async def run(args: argparse.Namespace, base_url: str, directory: str) -> dict[str, Any]:
    from sqlalchemy import event

    from bot.config import Settings
    from bot.wiring import build

    settings = Settings(
        _env_file=None, bot_token="42:TEST", telegram_api_url=base_url,
        database_url=f"sqlite+aiosqlite:///{directory}/bench.db", quiet_hours="", outbox_tick_seconds=3600,
        send_rate_global=args.rate, send_rate_per_chat=args.per_chat, log_level="WARNING",
    )
    app = await build(settings)  # migrates and seeds the bundled drafts: draft 1 exists
    try:
        await queue_notices(app.db, args.kind, args.notices, datetime.now(UTC))
        notifier = app.notifier
        timings = Timings()
        timings.wrap(notifier._queue, "claim", "claim")
        timings.wrap(notifier._renderer, "render", "render")
        timings.wrap(notifier._bot, "send_message", "sendMessage")
        timings.wrap(notifier._renderer, "prepare", "prepare")
        timings.wrap(notifier._queue, "sent_many", "mark sent")
        connects: Counter[str] = Counter()  # SQLite connections opened during delivery (pool overflow churn)
        for label, engine in (("read", app.db.read_engine), ("write", app.db.write_engine)):
            event.listen(engine.sync_engine, "connect", lambda *_, label=label: connects.update([label]))
        profiler = cProfile.Profile() if args.profile else None
        wal = Path(directory) / "bench.db-wal"

        async def progress() -> None:  # --progress: throughput and CPU per notice as the run goes on
            last = (time.monotonic(), time.process_time(), 0)
            while True:
                await asyncio.sleep(5)
                now = (time.monotonic(), time.process_time(), notifier.delivered)
                done = now[2] - last[2]
                print(f"  t={now[0] - started:6.1f} s  delivered {now[2]:>6}  {done / (now[0] - last[0]):6.1f}/s  "
                      f"cpu {1000 * (now[1] - last[1]) / max(done, 1):6.2f} ms/notice  "
                      f"WAL {wal.stat().st_size / 2**20 if wal.exists() else 0:7.1f} MiB", flush=True)
                last = now

        reporter = asyncio.create_task(progress()) if args.progress else None
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
        if reporter:
            reporter.cancel()
        if profiler:
            profiler.disable()
        result = {"elapsed": elapsed, "cpu": cpu, "counts": counts, "connects": dict(connects),
                  "pools": {"read": app.db.read_engine.pool.status(), "write": app.db.write_engine.pool.status()}, "delivered": notifier.delivered, "loops": loops,
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
    parser.add_argument("--progress", action="store_true", help="print throughput and CPU every 5 s")
    parser.add_argument("--kind", choices=("feedback", "new_draft"), default="feedback",
                        help="the notices queued: answers to comments (default) or a new draft's")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the notifier logs a warning for every 429; the summary counts them

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
    print(f"notices          {args.notices} {args.kind} notices, {len(expected)} chats "
          f"(rows inserted with SQL; rendered and sent by the real Notifier)")
    print(f"configured rate  {args.rate:g}/s global, {args.per_chat:g}/s per chat (stub enforces the same)")
    print(f"achieved rate    {achieved:.1f}/s = {ratio:.3f} of configured "
          f"(stub saw first..last accepted send in {stub_span:.2f} s: "
          f"{(delivered - 1) / stub_span if stub_span else 0:.1f}/s; busiest one-second window "
          f"{report['peak_per_second']})")
    print(f"elapsed          {result['elapsed']:.2f} s ({result['loops']} deliver_due() calls)")
    print(f"bot-side CPU     {result['cpu']:.2f} s = {100 * result['cpu'] / result['elapsed']:.0f}% of one core, "
          f"{1000 * result['cpu'] / args.notices:.2f} ms per notice (all threads: event loop + aiosqlite); "
          f"stand-in process {report['cpu']:.2f} s in all")
    print(f"delivered        {delivered} messages; queue {result['counts']}; notifier.delivered={result['delivered']}")
    print(f"duplicates       {duplicates}")
    print(f"lost             {lost}")
    print(f"429s received    {report['rate_limited']} {dict(report['rate_limited_scopes'])}"
          + (f"; in second (after the first send): count {sorted(report['rate_limited_at'].items())}"
             if report["rate_limited"] else ""))
    print(f"stub loop        longest stall {1000 * report['stall_max']:.0f} ms, {report['stalls_over_50ms']} stalls "
          f"over 50 ms (requests seen late, then bunched: the stub times a request when it handles it)")
    print(f"other errors     {dict(report['other_errors']) or 0}; HTML parse errors {report['parse_errors']}; "
          f"messages to other chats {unexpected}")
    print(f"peak RSS         bench (bot side) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB, "
          f"stub process {report['rss_kb'] / 1024:.1f} MiB")
    print(f"SQLite           connections opened during delivery {result['connects']}; pools at the end: "
          f"{result['pools']}")
    print("time per step (wall, per call, concurrent calls overlap):")
    print(result["timings"])
    if "profile" in result:
        print(result["profile"])
    met = ratio >= TARGET and report["rate_limited"] == 0 and lost == 0 and duplicates == 0
    print(f"target (>= {TARGET} of the rate, no 429, none lost, none twice): {'MET' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
