"""Benchmark of the staff statistics and the synthesis export on a draft with a million comments.

    python bench/big_data.py [--database sqlite|postgresql|both] [--comments 1000000] [--csv]

A fresh database (a SQLite file in a temporary directory, or a PostgreSQL database of its own created
on the server of YIJIAN_TEST_POSTGRES_URL and dropped at the end) is migrated and seeded with the
bundled drafts; then N comments on draft 2 are bulk-inserted (executemany on SQLite, COPY on
PostgreSQL): ~100,000 residents, every article and the whole draft, 2 % withdrawn, 1 % hidden, 30 %
answered (two thirds of those published), 5 % rated, Chinese and English texts of 40-120 characters.

Each measured operation runs in a fresh child process, so its peak RSS is its own: the statistics
(drafts.statistics.Statistics.of_draft: SQL aggregates), the residents' results of the consultation
(Synthesis.public_summary: counts and the first adopted opinions), and the .xlsx export (Synthesis.export ->
write_xlsx into a file: rows streamed from a server-side cursor into a write-only workbook); --csv
adds the CSV export. Printed: seconds, RSS before the operation (imports done) and peak RSS during it.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402  (bench/ is not a package: the scripts run from anywhere)
    create_postgres_database,
    drop_postgres_database,
    load,
    machine,
    peak_rss_mib,
    rss_mib,
)

ADMIN = 7_000_000_001
DRAFT = 2  # the bundled noise-control draft
RESIDENTS = 100_000
START = datetime(2026, 3, 1, tzinfo=UTC)
PHRASES = ("建议明确夜间施工的审批程序，并向周边居民公示。", "罚款标准偏低，建议提高到足以形成震慑的水平。",
           "广场舞音量应当有上限，建议规定具体分贝数。", "Please add a hotline that answers at night.",
           "建议增加对机动车改装排气管的处罚条款。", "The draft should name one department responsible.")
COMMENT_COLUMNS = ("id", "tracking_number", "draft_id", "article_number", "resident_id", "text", "language",
                   "signed_name", "status", "created_at", "updated_at", "hidden_reason")
ANSWER_COLUMNS = ("comment_id", "status", "reply", "answered_by", "updated_at", "version", "published_at")
RATING_COLUMNS = ("comment_id", "rating", "rated_at", "follow_up")


# --------------------------------------------------------------------------- the data
def rows(count: int, articles: int) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...] | None, tuple[Any, ...] | None]]:
    """(comment, answer or None, rating or None) for ids 1..count, deterministic (seeded)."""
    rng = random.Random(20260301)
    answer_statuses = ("adopted", "partly_adopted", "not_adopted", "noted")
    ratings = ("satisfied", "basically_satisfied", "not_satisfied")
    for n in range(1, count + 1):
        at = START + timedelta(seconds=2 * n)
        phrase = PHRASES[n % len(PHRASES)]
        text = f"{phrase}（第{n}条意见）" * (1 + n % 3)
        language = None if n % 97 == 0 else ("en" if phrase.isascii() else "zh")
        status = "withdrawn" if n % 50 == 0 else "received"
        article = None if n % 11 == 0 else rng.randint(1, articles)
        resident = None if n % 301 == 0 else rng.randint(1, RESIDENTS)
        comment = (n, f"YJ-2026-{n:07d}", DRAFT, article, resident, text, language,
                   "李华" if n % 40 == 0 else None, status, at, at, "广告" if n % 100 == 1 else None)
        answer = rating = None
        if n % 10 < 3 and status != "withdrawn":
            published = at + timedelta(days=1 + n % 20) if n % 10 < 2 else None
            answer = (n, answer_statuses[n % 4], "感谢您的意见，已转交起草小组研究。", ADMIN, at + timedelta(days=1), 1,
                      published)
            if published and n % 4 == 0:
                rating = (n, ratings[n % 3], published + timedelta(hours=5), None)
        yield comment, answer, rating


def batches(count: int, articles: int, size: int = 20_000) -> Iterator[tuple[list[Any], list[Any], list[Any]]]:
    comments: list[Any] = []
    answers: list[Any] = []
    ratings: list[Any] = []
    for comment, answer, rating in rows(count, articles):
        comments.append(comment)
        if answer:
            answers.append(answer)
        if rating:
            ratings.append(rating)
        if len(comments) == size:
            yield comments, answers, ratings
            comments, answers, ratings = [], [], []
    if comments:
        yield comments, answers, ratings


def sqlite_text(moment: datetime | None) -> str | None:
    """How SQLAlchemy's SQLite DateTime stores a UTC datetime (storage/tables.py UTCDateTime)."""
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S.%f")


async def insert(url: str, count: int, articles: int) -> None:
    if url.startswith("sqlite"):
        _insert_sqlite(url.split("///", 1)[1], count, articles)
    else:
        await _insert_postgres(url, count, articles)


def _insert_sqlite(path: str, count: int, articles: int) -> None:
    import sqlite3

    def placeholders(columns: tuple[str, ...]) -> str:
        return ", ".join("?" for _ in columns)

    connection = sqlite3.connect(path)
    try:
        with connection:
            for comments, answers, ratings in batches(count, articles):
                connection.executemany(f"INSERT INTO comments ({', '.join(COMMENT_COLUMNS)}) VALUES "
                                       f"({placeholders(COMMENT_COLUMNS)})",
                                       [(*c[:9], sqlite_text(c[9]), sqlite_text(c[10]), c[11]) for c in comments])
                connection.executemany(f"INSERT INTO answers ({', '.join(ANSWER_COLUMNS)}) VALUES "
                                       f"({placeholders(ANSWER_COLUMNS)})",
                                       [(*a[:4], sqlite_text(a[4]), a[5], sqlite_text(a[6])) for a in answers])
                connection.executemany(f"INSERT INTO ratings ({', '.join(RATING_COLUMNS)}) VALUES "
                                       f"({placeholders(RATING_COLUMNS)})",
                                       [(r[0], r[1], sqlite_text(r[2]), r[3]) for r in ratings])
        connection.execute("ANALYZE")
    finally:
        connection.close()


async def _insert_postgres(url: str, count: int, articles: int) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    connection = await asyncpg.connect(user=parsed.username, password=parsed.password, host=parsed.host,
                                       port=parsed.port, database=parsed.database)
    try:
        for comments, answers, ratings in batches(count, articles, size=100_000):
            async with connection.transaction():
                await connection.copy_records_to_table("comments", records=comments, columns=COMMENT_COLUMNS)
                await connection.copy_records_to_table("answers", records=answers, columns=ANSWER_COLUMNS)
                await connection.copy_records_to_table("ratings", records=ratings, columns=RATING_COLUMNS)
        await connection.execute("SELECT setval(pg_get_serial_sequence('comments', 'id'), $1)", count)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def prepare(url: str, count: int) -> float:
    """Migrate, seed the bundled drafts and an admin, insert the comments; returns the insert time."""
    from drafts.bundled import seed_bundled_drafts
    from drafts.staff_directory import StaffDirectory
    from storage.database import SqlDatabase
    from storage.migrate import migrate

    db = SqlDatabase(url)
    try:
        await migrate(db.write_engine)
        await seed_bundled_drafts(db, START, 60)
        await StaffDirectory(db, lambda: START).bootstrap([ADMIN])
        async with db.read() as uow:
            draft = await uow.drafts.get(DRAFT)
        assert draft is not None
        articles = len(draft.document.articles)
    finally:
        await db.dispose()
    started = time.monotonic()
    await insert(url, count, articles)
    return time.monotonic() - started


# --------------------------------------------------------------------------- one measured operation
def measure(conn: Any, url: str, operation: str, output: str) -> None:
    conn.send(asyncio.run(_measure(url, operation, output)))


async def _measure(url: str, operation: str, output: str) -> dict[str, Any]:
    from drafts.statistics import Statistics
    from drafts.synthesis import Synthesis, write_csv, write_xlsx
    from storage.database import SqlDatabase

    db = SqlDatabase(url)
    clock = lambda: datetime.now(UTC)  # noqa: E731
    async with db.read() as uow:  # connect and warm up before the baseline is read
        await uow.drafts.get(DRAFT)
    before = rss_mib()
    started = time.monotonic()
    try:
        if operation == "statistics":
            stats = await Statistics(db, clock).of_draft(ADMIN, DRAFT)
            detail = (f"{stats.comments} comments from {stats.commenters} residents, {stats.share_answered:.1%} "
                      f"answered, median {stats.median_days_to_answer:.1f} days, {len(stats.per_article)} articles")
        elif operation == "results":
            summary = await Synthesis(db, clock).public_summary(DRAFT)
            assert summary is not None
            detail = (f"residents' results: {summary.adopted} adopted, {summary.partly_adopted} partly; "
                      f"{len(summary.opinions)} opinions read, {summary.more} more counted")
        else:
            with open(output, "wb") as stream:
                async with Synthesis(db, clock).export(ADMIN, DRAFT) as data:
                    written = await (write_xlsx if operation == "xlsx" else write_csv)(data, stream)
            detail = f"{written} rows, {Path(output).stat().st_size / 2**20:.1f} MiB file"
    finally:
        await db.dispose()
    return {"seconds": time.monotonic() - started, "before": before, "peak": peak_rss_mib(), "detail": detail}


def run_measured(url: str, operation: str, directory: str) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=measure, args=(child, url, operation, f"{directory}/export.{operation}"))
    process.start()
    try:
        return parent.recv()
    finally:
        process.join(60)


async def prepared(name: str, count: int, directory: str) -> tuple[str, float]:
    url = (f"sqlite+aiosqlite:///{directory}/big.db" if name == "sqlite"
           else await create_postgres_database("big"))
    return url, await prepare(url, count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--csv", action="store_true", help="also time the CSV export")
    args = parser.parse_args()
    print(f"machine     {machine()}")
    print(f"data        {args.comments:,} comments on one draft (~{RESIDENTS:,} residents, 30 % answered, 5 % rated)")
    operations = ["statistics", "results", "xlsx"] + (["csv"] if args.csv else [])
    for name in (["sqlite", "postgresql"] if args.database == "both" else [args.database]):
        with tempfile.TemporaryDirectory() as directory:
            url, inserted = asyncio.run(prepared(name, args.comments, directory))
            try:
                print(f"{name:<11} bulk insert {inserted:6.1f} s ({args.comments / inserted:,.0f} comments/s)")
                for operation in operations:
                    result = run_measured(url, operation, directory)
                    print(f"{name:<11} {operation:<10} {result['seconds']:7.1f} s   RSS {result['before']:6.1f} MiB "
                          f"before, peak {result['peak']:6.1f} MiB   {result['detail']}   load {load()}", flush=True)
            finally:
                if name == "postgresql":
                    asyncio.run(drop_postgres_database(url))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
