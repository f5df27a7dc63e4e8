"""Telegram transport: one router per feature. Thin: parse the update, call a use case, render."""

from aiogram import Router

from handlers import (
    account,
    browse,
    commenting,
    edits,
    fallback,
    groups,
    my_comments,
    ratings,
    results,
    search,
    staff_access,
    staff_answer,
    staff_draft_actions,
    staff_members,
    staff_menu,
    staff_publish,
    staff_reports,
    staff_review,
    start,
)


def routers() -> list[Router]:
    # Order matters: groups and channels first (the bot stays quiet there), then staff handlers (filtered
    # by role), resident commands, state-bound text; the refusal of staff commands to non-staff, edits of
    # sent messages and the catch-all fallback last.
    modules = (groups, staff_menu, staff_members, staff_publish, staff_draft_actions, staff_review, staff_answer,
               staff_reports, start, account, browse, results, ratings, my_comments, search, commenting, staff_access,
               edits, fallback)
    return [module.make_router() for module in modules]
