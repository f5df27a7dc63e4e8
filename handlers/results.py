"""Results of a consultation for residents, once the committee published its answers:
how many opinions, how many adopted, and the adopted ones (anonymous) with the answers."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from drafts.errors import DraftNotFound
from drafts.reading import Reading
from drafts.synthesis import Synthesis
from handlers.callbacks import DraftCb, MenuCb, ResultsCb
from handlers.common import show

SHOWN_OPINIONS = 8  # a message holds 4096 characters
TEXT_LIMIT = 160


def _cut(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "…"


async def past_list(callback: CallbackQuery, reading: Reading) -> None:
    drafts = await reading.past_drafts()
    kb = InlineKeyboardBuilder()
    for draft in drafts:
        kb.button(text=draft.title, callback_data=ResultsCb(draft=draft.id))
    kb.button(text=_("⬅️ All drafts"), callback_data=MenuCb(to="drafts"))
    kb.adjust(1)
    text = (_("<b>Past consultations</b>\nChoose one to see the committee's answers.") if drafts
            else _("No consultation has ended yet."))
    await show(callback, text, kb.as_markup())


async def results(callback: CallbackQuery, callback_data: ResultsCb, synthesis: Synthesis) -> None:
    try:
        summary = await synthesis.public_summary(callback_data.draft)
    except DraftNotFound:
        await callback.answer(_("This draft no longer exists."), show_alert=True)
        return
    kb = InlineKeyboardBuilder()
    kb.button(text=_("⬅️ Back to the draft"), callback_data=DraftCb(draft=callback_data.draft))
    if summary is None:
        await show(callback, _("The committee has not published its answers on this draft yet. "
                               "Every comment will be answered."), kb.as_markup())
        return
    lines = [
        f"<b>{escape(summary.draft_title)}</b>",
        _("{received} opinions received; {adopted} adopted, {partly} partly adopted, {not_adopted} not adopted, "
          "{noted} noted.").format(received=summary.received, adopted=summary.adopted,
                                   partly=summary.partly_adopted, not_adopted=summary.not_adopted,
                                   noted=summary.noted),
    ]
    if summary.opinions:
        lines += ["", _("<b>Opinions adopted</b>")]
    for number, opinion in enumerate(summary.opinions[:SHOWN_OPINIONS], 1):
        lines += [
            "",
            f"{number}. {escape(opinion.article)}: {escape(_cut(opinion.text))}",
            _("Committee's answer: {reply}").format(reply=escape(_cut(opinion.reply))),
        ]
    if len(summary.opinions) + summary.more > SHOWN_OPINIONS:
        lines += ["", _("…and {count} more.").format(count=len(summary.opinions) + summary.more - SHOWN_OPINIONS)]
    await show(callback, "\n".join(lines), kb.as_markup())


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="results")
    router.callback_query.register(past_list, ResultsCb.filter(F.draft == 0))
    router.callback_query.register(results, ResultsCb.filter())
    return router
