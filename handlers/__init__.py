"""Telegram transport: one router per feature. Thin: parse the update, call a use case, render."""

from aiogram import Router

from handlers import account, browse, commenting, fallback, my_comments, search, start


def routers() -> list[Router]:
    # Order matters: commands first, state-bound text next, the catch-all fallback last.
    return [start.router, account.router, browse.router, my_comments.router, search.router,
            commenting.router, fallback.router]
