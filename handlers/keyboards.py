"""Inline keyboards. Texts go through gettext at render time, in the resident's language."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from drafts.models import Article, Draft, DraftOverview
from handlers.callbacks import (
    ArticleCb,
    ChapterCb,
    CommentOnCb,
    DraftCb,
    LanguageCb,
    MenuCb,
    PreviewCb,
    PrivacyCb,
    ResultsCb,
)
from handlers.render import article_button

ARTICLES_PER_PAGE = 8


def main_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("📜 Open drafts"), callback_data=MenuCb(to="drafts"))
    kb.button(text=_("🗂 My comments"), callback_data=MenuCb(to="mine"))
    kb.button(text=_("🔎 Search"), callback_data=MenuCb(to="search"))
    kb.button(text=_("🔔 New drafts"), callback_data=MenuCb(to="subscribe"))
    kb.button(text=_("🌐 Language"), callback_data=MenuCb(to="lang"))
    kb.button(text=_("❓ Help"), callback_data=MenuCb(to="help"))
    kb.button(text=_("🔒 Privacy"), callback_data=MenuCb(to="privacy"))
    kb.adjust(2)
    return kb.as_markup()


def home_button() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🏠 Main menu"), callback_data=MenuCb(to="home"))
    return kb.as_markup()


def privacy_accept(then: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✅ I agree"), callback_data=PrivacyCb(then=then))
    # The notice must be readable before agreeing: offer the other language right here.
    if get_i18n().current_locale == "zh":
        kb.button(text="🌐 English", callback_data=LanguageCb(code="en"))
    else:
        kb.button(text="🌐 中文", callback_data=LanguageCb(code="zh"))
    return kb.as_markup()


def drafts_list(drafts: list[DraftOverview]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for draft in drafts:
        kb.button(text=draft.title, callback_data=DraftCb(draft=draft.id))
    kb.button(text=_("📣 Results of past consultations"), callback_data=ResultsCb(draft=0))
    kb.button(text=_("🏠 Main menu"), callback_data=MenuCb(to="home"))
    kb.adjust(1)
    return kb.as_markup()


def draft_page(draft: Draft, can_comment: bool) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("📄 Explanatory note"), callback_data=DraftCb(draft=draft.id, note=True))
    for chapter in draft.document.chapters:
        kb.button(text=f"{chapter.label} {chapter.title}", callback_data=ChapterCb(draft=draft.id, chapter=chapter.number))
    if not draft.document.chapters:
        kb.button(text=_("📑 Articles"), callback_data=ChapterCb(draft=draft.id, chapter=0))
    if can_comment:
        kb.button(text=_("💬 Comment on the whole draft"), callback_data=CommentOnCb(draft=draft.id, article=0))
    else:
        kb.button(text=_("📣 Results of the consultation"), callback_data=ResultsCb(draft=draft.id))
    kb.button(text=_("⬅️ All drafts"), callback_data=MenuCb(to="drafts"))
    kb.adjust(1)
    return kb.as_markup()


def back_to_draft(draft_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("⬅️ Back to the draft"), callback_data=DraftCb(draft=draft_id))
    return kb.as_markup()


def chapter_page(draft: Draft, chapter: int, page: int) -> InlineKeyboardMarkup:
    articles = draft.document.articles_of(chapter)
    pages = max(1, -(-len(articles) // ARTICLES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    kb = InlineKeyboardBuilder()
    shown = articles[page * ARTICLES_PER_PAGE:(page + 1) * ARTICLES_PER_PAGE]
    for article in shown:
        kb.button(text=article_button(article), callback_data=ArticleCb(draft=draft.id, number=article.number))
    sizes = [1] * len(shown)
    if pages > 1:
        if page > 0:
            kb.button(text="◀️", callback_data=ChapterCb(draft=draft.id, chapter=chapter, page=page - 1))
        kb.button(text=f"{page + 1}/{pages}", callback_data=ChapterCb(draft=draft.id, chapter=chapter, page=page))
        if page < pages - 1:
            kb.button(text="▶️", callback_data=ChapterCb(draft=draft.id, chapter=chapter, page=page + 1))
        sizes.append(1 + (page > 0) + (page < pages - 1))
    kb.button(text=_("⬅️ Back to the draft"), callback_data=DraftCb(draft=draft.id))
    kb.adjust(*sizes, 1)
    return kb.as_markup()


def article_page(draft: Draft, article: Article, can_comment: bool) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    sizes = []
    if can_comment:
        kb.button(text=_("💬 Comment on this article"), callback_data=CommentOnCb(draft=draft.id, article=article.number))
        sizes.append(1)
    neighbours = 0
    if draft.document.article(article.number - 1):
        previous = draft.document.article(article.number - 1)
        kb.button(text=f"◀️ {previous.label}", callback_data=ArticleCb(draft=draft.id, number=previous.number))
        neighbours += 1
    if draft.document.article(article.number + 1):
        following = draft.document.article(article.number + 1)
        kb.button(text=f"{following.label} ▶️", callback_data=ArticleCb(draft=draft.id, number=following.number))
        neighbours += 1
    if neighbours:
        sizes.append(neighbours)
    per_page = ARTICLES_PER_PAGE
    index = draft.document.articles_of(article.chapter).index(article)
    kb.button(text=_("⬅️ Back to the chapter"),
              callback_data=ChapterCb(draft=draft.id, chapter=article.chapter, page=index // per_page))
    kb.adjust(*sizes, 1)
    return kb.as_markup()


def preview(signed: bool, name: str | None, editing: bool) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✅ Submit"), callback_data=PreviewCb(action="submit"))
    kb.button(text=_("✏️ Edit"), callback_data=PreviewCb(action="edit"))
    kb.button(text=_("✖️ Cancel"), callback_data=PreviewCb(action="cancel"))
    if not editing and name:
        if signed:
            kb.button(text=_("🙈 Stay anonymous"), callback_data=PreviewCb(action="anonymous"))
        else:
            kb.button(text=_("✍️ Sign with my name"), callback_data=PreviewCb(action="sign"))
    kb.adjust(3, 1)
    return kb.as_markup()


def languages() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text="中文", callback_data=LanguageCb(code="zh"))
    kb.button(text="English", callback_data=LanguageCb(code="en"))
    return kb.as_markup()
