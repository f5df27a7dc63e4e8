"""Texts shown to residents, built from domain objects. Every user or document string is escaped."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from drafts.models import Article, Comment, CommentStatus, Draft

BUTTON_PREVIEW = 16  # characters of an article shown on its button


def day(moment: datetime, tz: ZoneInfo) -> str:
    locale = "zh_Hans_CN" if get_i18n().current_locale == "zh" else "en_GB"
    return format_date(moment.astimezone(tz), format="long", locale=locale)


def status_label(status: CommentStatus) -> str:
    return {
        CommentStatus.RECEIVED: _("received"),
        CommentStatus.ANSWERED: _("answered"),
        CommentStatus.WITHDRAWN: _("withdrawn"),
    }[status]


def target_label(draft_title: str, article_number: int | None) -> str:
    """《title》第八条, or 《title》(whole draft)."""
    if article_number is None:
        return _("{title} (the whole draft)").format(title=f"《{escape(_strip_book(draft_title))}》")
    return f"《{escape(_strip_book(draft_title))}》{Article(article_number, 0, None, ()).label}"


def _strip_book(title: str) -> str:
    return title.strip("《》")


def article_button(article: Article) -> str:
    first = article.paragraphs[0].text if article.paragraphs else ""
    tail = "…" if len(first) > BUTTON_PREVIEW else ""
    return f"{article.label} {first[:BUTTON_PREVIEW]}{tail}"


def article_text(draft: Draft, article: Article, comment_count: int | None = None) -> str:
    lines = [f"<b>{escape(draft.title)}</b>"]
    chapter = draft.document.chapter(article.chapter)
    if chapter is not None:
        place = f"{chapter.label}　{escape(chapter.title)}"
        section = next((s for s in chapter.sections if s.number == article.section), None)
        if section is not None:
            place += f" › 第{section.number}节　{escape(section.title)}"
        lines.append(f"<i>{place}</i>")
    lines.append("")
    body = [f"<b>{article.label}</b>　{escape(article.paragraphs[0].text)}"]
    body += [escape(item) for item in article.paragraphs[0].items]
    for paragraph in article.paragraphs[1:]:
        body.append(escape(paragraph.text))
        body += [escape(item) for item in paragraph.items]
    lines.append("\n".join(body))
    return "\n".join(lines)


def comment_card(comment: Comment, draft_title: str, tz: ZoneInfo, show_text: bool) -> str:
    lines = [
        _("Tracking number: <code>{number}</code>").format(number=comment.tracking_number),
        _("On: {target}").format(target=target_label(draft_title, comment.article_number)),
        _("Status: {status}").format(status=status_label(comment.status)),
        _("Sent: {date}").format(date=day(comment.created_at, tz)),
    ]
    if show_text:
        signed = escape(comment.signed_name) if comment.signed_name else _("anonymous")
        lines.append(_("Signed: {name}").format(name=signed))
        lines += ["", f"<blockquote>{escape(comment.text)}</blockquote>"]
    return "\n".join(lines)
