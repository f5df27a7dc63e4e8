"""Benchmark of notice delivery: the real Notifier against the stand-in Bot API, with Telegram-like rate limits.

    python bench/notify.py [--notices 10000] [--rate 500] [--per-chat 1] [--progress] [--profile]
                           [--batch N] [--what-if cache-render,batch-marks,smooth-limiter,bounded]

A fresh SQLite database (in a temporary directory) is built by bot.wiring.build, which migrates it and
seeds the three bundled drafts; then N 'new_draft' notices for draft 1 are inserted directly with SQL
(one transaction), one each for N distinct chat ids — as Publishing queues them for subscribers, only
faster. The stub (tests/e2e/botapi_stub.py) runs in a child process, like a remote Telegram, with
stub.enforce_rate(rate, per-chat); the Notifier built by bot.wiring.build (SEND_RATE_GLOBAL=rate,
SEND_RATE_PER_CHAT=per-chat, QUIET_HOURS empty) is driven by calling deliver_due() in a loop until no
row is pending. Printed: achieved / configured rate, duplicates, lost, 429s, elapsed, peak RSS, and
where the time went (mean latency of claim, render, sendMessage and the 'sent' write per notice).
--progress prints throughput and CPU per notice every 5 s; --profile adds a cProfile of the delivery loop.
--batch and --what-if patch the Notifier *instance* to measure a change before making it (see WHAT_IFS);
they never touch bot/notifier.py or storage/outbox_queue.py. Exit status 0 when the target is met.

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
    from tests.e2e.botapi_stub import BotAPIStub

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


# --------------------------------------------------------------------------- what-if experiments
# Each replaces one collaborator *on this Notifier instance* to measure a change before making it in
# bot/notifier.py or storage/outbox_queue.py; none of them is the project's code.
WHAT_IFS = ("cache-render", "batch-marks", "smooth-limiter", "bounded")


class BufferedMarks:
    """'sent' marks collected and written in one UPDATE … WHERE id IN (…) every `interval` seconds."""

    def __init__(self, queue: Any, interval: float = 0.1) -> None:
        self._queue, self._interval = queue, interval
        self._ids: list[int] = []
        self._flusher: asyncio.Task[None] | None = None
        self.flushes = 0

    async def sent(self, notice_id: int, at: datetime) -> None:
        self._ids.append(notice_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._interval)
        await self.flush()

    async def flush(self) -> None:
        from sqlalchemy import update

        from storage.tables import NotificationRow

        while self._ids:
            ids, self._ids = self._ids[:500], self._ids[500:]
            async with self._queue._db.write() as uow:
                await uow.session.execute(update(NotificationRow).where(NotificationRow.id.in_(ids)).values(
                    status="sent", sent_at=datetime.now(UTC), lease_until=None))
                await uow.commit()
            self.flushes += 1


def apply_what_ifs(notifier: Any, names: list[str], rate: float) -> BufferedMarks | None:
    from aiolimiter import AsyncLimiter

    marks = None
    if "cache-render" in names:  # a per-batch prefetch: one query for the batch's residents, drafts cached
        residents: dict[int, Any] = {}
        drafts: dict[int, Any] = {}
        claim, get_draft = notifier._queue.claim, notifier._renderer._reading.draft

        async def claim_and_prefetch(*args: Any, **kwargs: Any) -> Any:
            from sqlalchemy import select

            from storage.tables import ResidentRow

            notices = await claim(*args, **kwargs)
            chats = [n.chat_id for n in notices]
            residents.clear()
            residents.update(dict.fromkeys(chats))
            if chats:
                async with notifier._queue._db.read() as uow:
                    rows = (await uow.session.execute(select(ResidentRow).where(ResidentRow.user_id.in_(chats)))).scalars()
                    for row in rows:  # what Residents.get would return, built from the one query
                        residents[row.user_id] = await uow.residents.get(row.user_id)
            return notices

        async def resident(user_id: int) -> Any:
            return residents[user_id] if user_id in residents else await original_get(user_id)

        async def draft(draft_id: int) -> Any:
            if draft_id not in drafts:
                drafts[draft_id] = await get_draft(draft_id)
            return drafts[draft_id]

        original_get = notifier._renderer._residents.get
        notifier._queue.claim = claim_and_prefetch
        notifier._renderer._residents.get = resident
        notifier._renderer._reading.draft = draft
    if "batch-marks" in names:
        marks = BufferedMarks(notifier._queue)
        notifier._queue.sent = marks.sent
    if "smooth-limiter" in names:
        # A leaky bucket of capacity b draining at r lets through at most b + r in any one second; the
        # notifier's AsyncLimiter(rate, 1) has b = rate, so up to twice the rate after an idle moment.
        # Here b = rate/50 and r = rate - b: never more than `rate` in a sliding second.
        burst = max(1.0, rate / 50)
        notifier._global = AsyncLimiter(burst, burst / (rate - burst))
    if "bounded" in names:
        # deliver_due gathers the whole claimed batch (2 s worth) at once: every notice renders at the start
        # and the event loop's ready queue holds a thousand tasks, so messages already let through by the
        # limiter reach the socket ~100 ms late, in a bunch. Here at most rate/10 notices are in progress.
        slots = asyncio.Semaphore(max(8, int(rate / 10)))
        deliver = notifier._deliver

        async def bounded(notice: Any) -> bool:
            async with slots:
                return await deliver(notice)

        notifier._deliver = bounded
    return marks


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
        await queue_notices(app.db, args.notices, datetime.now(UTC))
        notifier = app.notifier
        timings = Timings()
        timings.wrap(notifier._queue, "claim", "claim")
        timings.wrap(notifier._renderer, "render", "render")
        timings.wrap(notifier._bot, "send_message", "sendMessage")
        marks = apply_what_ifs(notifier, args.what_if, args.rate)
        if args.batch:
            notifier._batch = args.batch  # what-if: another claim size than the notifier's 2 s worth
        timings.wrap(notifier._queue, "sent", "mark sent")
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
            if marks:
                await marks.flush()
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
    parser.add_argument("--batch", type=int, default=0, help="what-if: claim this many rows at a time "
                                                                "(default: the notifier's own, 2 × rate)")
    parser.add_argument("--what-if", default="", help=f"comma-separated experiments on the Notifier instance: "
                                                      f"{', '.join(WHAT_IFS)} (see the code)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the notifier logs a warning for every 429; the summary counts them
    args.what_if = [name for name in args.what_if.split(",") if name]
    unknown = set(args.what_if) - set(WHAT_IFS)
    if unknown:
        parser.error(f"unknown --what-if {', '.join(sorted(unknown))}; known: {', '.join(WHAT_IFS)}")

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
    if args.what_if or args.batch:
        print(f"WHAT-IF          {', '.join(args.what_if + ([f'batch={args.batch}'] if args.batch else []))} "
              f"patched on the Notifier instance (not the project's code)")
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
