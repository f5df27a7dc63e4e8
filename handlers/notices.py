"""What each outbox notice says, rendered when it is sent, in the recipient's language."""

from __future__ import annotations

import time
from dataclasses import dataclass
from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from drafts.errors import DraftNotFound
from drafts.feedback import Feedback, FeedbackView
from drafts.models import AnswerStatus, Draft, Rating
from drafts.notices import Notice, NoticeKind
from drafts.reading import Reading
from drafts.residents import Residents
from handlers.callbacks import DraftCb, RatingCb
from handlers.render import article_text, day, target_label
from handlers.staff_callbacks import StaffDraftCb

FIRST_LINE = 80
DRAFT_CACHE_SECONDS = 5.0
PREPARED_LIMIT = 50_000


@dataclass(frozen=True)
class RenderedNotice:
    text: str
    markup: InlineKeyboardMarkup | None = None


def answer_status_label(status: AnswerStatus) -> str:
    return {AnswerStatus.ADOPTED: _("adopted"), AnswerStatus.PARTLY_ADOPTED: _("partly adopted"),
            AnswerStatus.NOT_ADOPTED: _("not adopted"), AnswerStatus.NOTED: _("noted")}[status]


def rating_label(rating: Rating) -> str:
    return {Rating.SATISFIED: _("😊 Satisfied"), Rating.BASICALLY_SATISFIED: _("🙂 Basically satisfied"),
            Rating.NOT_SATISFIED: _("🙁 Not satisfied")}[rating]


# Markups built directly, not with InlineKeyboardBuilder: the builder deep-copies its buttons at
# every step, which cost most of a notice's CPU time when thousands go out (bench/notify.py).
def rating_buttons(comment_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=rating_label(rating),
                             callback_data=RatingCb(comment=comment_id, rating=rating.value).pack())
        for rating in Rating
    ]])


def open_draft_button(draft_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("📜 Open the draft"), callback_data=DraftCb(draft=draft_id).pack())]])


class NoticeRenderer:
    def __init__(self, i18n: I18n, feedback: Feedback, reading: Reading, residents: Residents, tz: ZoneInfo) -> None:
        self._i18n, self._feedback, self._reading, self._residents, self._tz = i18n, feedback, reading, residents, tz
        # A batch of notices mostly shares a few drafts: parse-free cached reads for a few seconds.
        self._drafts: dict[int, tuple[float, Draft]] = {}
        self._prepared: dict[int, tuple[str | None, FeedbackView | None]] = {}  # by notice id

    async def _draft(self, draft_id: int) -> Draft:
        now = time.monotonic()
        cached = self._drafts.get(draft_id)
        if cached is None or now - cached[0] > DRAFT_CACHE_SECONDS:
            if len(self._drafts) > 256:
                self._drafts.clear()
            cached = self._drafts[draft_id] = (now, await self._reading.draft(draft_id))
        return cached[1]

    async def prepare(self, notices: list[Notice]) -> None:
        """Read what a whole batch needs at once: the recipients' languages and the feedback views
        (a few queries per batch instead of several per notice). The views are read a moment
        before sending; an answer edited meanwhile queues its own notice."""
        if len(self._prepared) > PREPARED_LIMIT:  # rows claimed but never rendered (a chat found gone)
            self._prepared.clear()
        chats = sorted({n.chat_id for n in notices})
        languages = await self._residents.languages(chats)
        wanted = [(int(n.payload["comment_id"]), int(n.payload["answer_version"]))
                  for n in notices if n.kind is NoticeKind.FEEDBACK]
        views = await self._feedback.view_many(wanted) if wanted else {}
        for notice in notices:
            view = None
            if notice.kind is NoticeKind.FEEDBACK:
                view = views.get(int(notice.payload["comment_id"]))
                if view is not None and view.answer.version != int(notice.payload["answer_version"]):
                    view = None  # two notices of one comment in a batch: only the current version is sent
            self._prepared[notice.id] = (languages.get(notice.chat_id), view)

    async def render(self, notice: Notice) -> RenderedNotice | None:
        prepared = self._prepared.pop(notice.id, None)
        if prepared is None:  # not prepared (a single notice): read what it needs now
            resident = await self._residents.get(notice.chat_id)
            language, view = (resident.language if resident else None), None
            if notice.kind is NoticeKind.FEEDBACK:
                view = await self._feedback.view(int(notice.payload["comment_id"]),
                                                 int(notice.payload["answer_version"]))
        else:
            language, view = prepared
        locale = language or self._i18n.default_locale
        with self._i18n.context(), self._i18n.use_locale(locale):
            try:
                if notice.kind is NoticeKind.FEEDBACK:
                    return self._feedback_notice(view) if view is not None else None
                return await self._render(notice)
            except DraftNotFound:
                return None

    async def _render(self, notice: Notice) -> RenderedNotice | None:
        payload = notice.payload
        if notice.kind is NoticeKind.STAFF_CLOSED or notice.kind is NoticeKind.STAFF_UNANSWERED:
            return self._staff_notice(notice)
        if notice.kind is NoticeKind.STAFF_DIGEST:
            return self._digest(payload)
        draft = await self._draft(int(payload["draft_id"]))
        title = escape(draft.title)
        if notice.kind is NoticeKind.NEW_DRAFT:
            text = _("📜 A new draft is open for comment: <b>{title}</b>\n{summary}\nComments are welcome until {date}.")
            return RenderedNotice(text.format(title=title, summary=escape(draft.summary),
                                              date=day(draft.closes_at, self._tz)), open_draft_button(draft.id))
        if notice.kind is NoticeKind.REMINDER:
            if not self._reading.is_open(draft):
                return None
            text = _("⏰ The consultation on <b>{title}</b> closes on {date}. If you wish to comment, there is still time.")
            return RenderedNotice(text.format(title=title, date=day(draft.closes_at, self._tz)),
                                  open_draft_button(draft.id))
        if notice.kind is NoticeKind.ARTICLE_CHANGED:
            article = draft.document.article(int(payload["article"]))
            if article is None:
                text = _("✏️ <b>{title}</b> was revised: the article you commented on ({number}) was removed.")
                return RenderedNotice(text.format(title=title, number=escape(str(payload["tracking_number"]))),
                                      open_draft_button(draft.id))
            text = _("✏️ <b>{title}</b> was revised. {article}, on which you commented ({number}), now reads:")
            intro = text.format(title=title, article=article.label, number=escape(str(payload["tracking_number"])))
            return RenderedNotice(intro + "\n\n" + article_text(draft, article), open_draft_button(draft.id))
        return None

    def _feedback_notice(self, view: FeedbackView) -> RenderedNotice:
        comment_id = view.comment.id
        first_line = view.comment.text.splitlines()[0]
        if len(first_line) > FIRST_LINE:
            first_line = first_line[:FIRST_LINE] + "…"
        lines = [
            _("📬 <b>The committee's answer to your comment</b>"),
            _("Tracking number: <code>{number}</code>").format(number=view.comment.tracking_number),
            _("On: {target}").format(target=target_label(view.draft_title, view.comment.article_number)),
            _("Your comment: {text}").format(text=escape(first_line)),
            _("Answer: <b>{status}</b>").format(status=answer_status_label(view.answer.status)),
            f"<blockquote>{escape(view.answer.reply)}</blockquote>",
            "",
            _("Are you satisfied with this answer?"),
        ]
        return RenderedNotice("\n".join(lines), rating_buttons(comment_id))

    def _digest(self, payload: dict[str, object]) -> RenderedNotice:
        lines = [_("🗓 <b>Weekly digest</b>"), ""]
        for item in payload["drafts"]:  # type: ignore[attr-defined]
            lines.append(f"#{item['draft_id']} <b>{escape(item['title'])}</b>")
            lines.append(_("{comments} comments, {unanswered} unanswered; {satisfied} of {ratings} ratings "
                           "satisfied or basically satisfied").format(**item))
        if len(lines) == 2:
            lines.append(_("No drafts."))
        return RenderedNotice("\n".join(lines))

    def _staff_notice(self, notice: Notice) -> RenderedNotice:
        payload = notice.payload
        kb = InlineKeyboardBuilder()
        kb.button(text=_("Open in the staff console"), callback_data=StaffDraftCb(draft=int(payload["draft_id"])))
        if notice.kind is NoticeKind.STAFF_CLOSED:
            text = _("⛔ The consultation on <b>{title}</b> closed at its deadline: {comments} comments, "
                     "{unanswered} unanswered.")
        else:
            text = _("⚠️ <b>{title}</b> closed {days} days ago and {unanswered} comments are still unanswered.")
        return RenderedNotice(text.format(title=escape(str(payload["title"])), comments=payload.get("comments", 0),
                                          unanswered=payload.get("unanswered", 0), days=payload.get("days", 0)),
                              kb.as_markup())
