"""Telegram transport: one router per feature. Thin: parse the update, call a use case, render."""

from aiogram import Router

from handlers import account, browse, commenting, fallback, my_comments, search, start


def routers() -> list[Router]:
    # Order matters: commands first, state-bound text next, the catch-all fallback last.
    modules = (start, account, browse, my_comments, search, commenting, fallback)
    return [module.make_router() for module in modules]
