"""/search WORDS (or the 🔎 Search button, then the words): articles of open drafts containing them."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from drafts.reading import Reading
from handlers.callbacks import ArticleCb, MenuCb
from handlers.common import show
from handlers.states import SearchFlow

QUERY_LIMIT = 100


async def run_search(message: Message, words: str, reading: Reading) -> None:
    hits, total = await reading.search(words[:QUERY_LIMIT])
    if not hits:
        await message.answer(_("No article of an open draft contains “{words}”. Try other words.").format(
            words=escape(words[:QUERY_LIMIT])))
        return
    lines = [_("<b>Articles containing “{words}”</b> ({total})").format(words=escape(words[:QUERY_LIMIT]), total=total), ""]
    kb = InlineKeyboardBuilder()
    for hit in hits:
        lines.append(f"<b>《{escape(hit.draft_title.strip('《》'))}》{hit.article.label}</b>\n{escape(hit.snippet)}\n")
        kb.button(text=f"{hit.article.label} · {hit.draft_title[:20]}",
                  callback_data=ArticleCb(draft=hit.draft_id, number=hit.article.number))
    if total > len(hits):
        lines += ["", _("Showing the first {shown}; add words to narrow the search.").format(shown=len(hits))]
    kb.adjust(1)
    await message.answer("\n".join(lines), reply_markup=kb.as_markup())


async def search_command(message: Message, command: CommandObject, reading: Reading, state: FSMContext) -> None:
    if not (command.args or "").strip():
        await state.set_state(SearchFlow.words)
        await message.answer(_("What should I look for? Send one or more words, for example: 噪声 夜间"))
        return
    await run_search(message, command.args.strip(), reading)


async def search_button(callback: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(SearchFlow.words)
    await show(callback, _("What should I look for? Send one or more words, for example: 噪声 夜间"))


async def search_words(message: Message, reading: Reading, state: FSMContext) -> None:
    await state.clear()
    await run_search(message, message.text.strip(), reading)


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="search")
    router.message.register(search_command, Command("search"))
    router.callback_query.register(search_button, MenuCb.filter(F.to == "search"))
    router.message.register(search_words, SearchFlow.words, F.text, ~F.text.startswith("/"))
    return router
