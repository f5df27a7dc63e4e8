"""Feeding streamed rows to a synchronous file writer that runs in a worker thread.

Writing a workbook is CPU work in pure Python (openpyxl): a hundred thousand comments take tens of
seconds. Done on the event loop, that would stop the bot answering every resident meanwhile. So the
writer runs in a thread and pulls the rows, a batch at a time, from the async stream, which stays
on the event loop (where its database session lives). The GIL still switches between the two
threads every few milliseconds: residents are answered, a little slower, while the file is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import TypeVar

Row = TypeVar("Row")
Result = TypeVar("Result")
BATCH = 500  # rows per hop between the threads: few hops, little memory


async def each(rows: AsyncIterable[Row] | Iterable[Row]) -> AsyncIterator[Row]:
    """The rows, whether streamed from the database or given as a plain sequence."""
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            yield row
    else:
        for row in rows:
            yield row


async def in_worker_thread(write: Callable[[Iterator[Row]], Result], rows: AsyncIterable[Row] | Iterable[Row]
                           ) -> Result:
    """Run write(iterator of rows) in a thread; the iterator fetches rows from `rows` on this event loop."""
    loop = asyncio.get_running_loop()
    source = each(rows)

    async def take() -> list[Row]:
        batch: list[Row] = []
        async for row in source:
            batch.append(row)
            if len(batch) == BATCH:
                break
        return batch

    def pull() -> Iterator[Row]:
        while batch := asyncio.run_coroutine_threadsafe(take(), loop).result():
            yield from batch

    try:
        return await asyncio.to_thread(write, pull())
    finally:
        await source.aclose()
        close = getattr(rows, "aclose", None)
        if close is not None:  # `async for` in each() leaves it open: a failed writer must free its cursor
            await close()
