"""Keep aiogram's parsed-reply classes alive for the life of the process.

aiogram reads every Bot API reply into Response[T] (T: the method's result type). pydantic 2 caches
such parametrised generic classes in a WeakValueDictionary only, so after the garbage collector has
taken one, the next reply builds it again: a whole pydantic schema, milliseconds of CPU, many times
a minute for a bot that sends a lot (found by bench/flow.py --pin-response-types; bench/notify.py
shows it in the notifier's CPU per notice). Holding a reference to each keeps them built once.
"""

from __future__ import annotations

from aiogram import methods
from aiogram.methods.base import Response, TelegramMethod

_PINNED: list[type] = []


def pin_response_types() -> int:
    """Builds Response[T] for every Bot API method once and keeps it; returns how many."""
    if not _PINNED:
        for method in vars(methods).values():
            if isinstance(method, type) and issubclass(method, TelegramMethod) and method is not TelegramMethod:
                _PINNED.append(Response[method.__returning__])  # type: ignore[name-defined]
    return len(_PINNED)
