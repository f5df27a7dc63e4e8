"""Staff reports on a draft: statistics with a chart, and the synthesis as .xlsx or .csv."""

from __future__ import annotations

import io
from html import escape

from aiogram import F, Router
from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram.utils.i18n import gettext as _

from drafts.errors import DraftNotFound, NotAllowed
from drafts.statistics import Statistics, render_chart
from drafts.synthesis import Synthesis, write_csv, write_xlsx
from handlers.staff_access import StaffOnly
from handlers.staff_callbacks import StaffDraftCb


async def statistics(callback: CallbackQuery, callback_data: StaffDraftCb, statistics: Statistics) -> None:
    try:
        stats = await statistics.of_draft(callback.from_user.id, callback_data.draft)
    except (NotAllowed, DraftNotFound):
        await callback.answer(_("This is not available to you."), show_alert=True)
        return
    await callback.answer()
    median = (_("{days:.1f} days").format(days=stats.median_days_to_answer)
              if stats.median_days_to_answer is not None else _("no answer published yet"))
    lines = [
        f"<b>{escape(stats.draft.title)}</b>",
        _("Comments: {comments} from {commenters} residents").format(comments=stats.comments,
                                                                    commenters=stats.commenters),
        _("Answered (published): {share:.0%}").format(share=stats.share_answered),
        _("Median time to answer: {median}").format(median=median),
        _("Languages: {languages}").format(
            languages=", ".join(f"{code} {count}" for code, count in sorted(stats.languages.items())) or "—"),
        _("Satisfaction: {satisfied} satisfied, {basically} basically satisfied, {not_satisfied} not satisfied")
        .format(satisfied=stats.satisfaction.get("satisfied", 0),
                basically=stats.satisfaction.get("basically_satisfied", 0),
                not_satisfied=stats.satisfaction.get("not_satisfied", 0)),
        "",
        _("<b>Most commented articles</b>"),
    ]
    lines += [f"{label} · {count}" for label, count in stats.top_articles] or ["—"]
    await callback.message.answer("\n".join(lines))
    if stats.comments:
        chart = render_chart(stats, stats.draft.title)
        await callback.message.answer_photo(BufferedInputFile(chart, filename=f"draft-{stats.draft.id}.png"),
                                            caption=_("Comments per article"))


async def synthesis(callback: CallbackQuery, callback_data: StaffDraftCb, synthesis: Synthesis) -> None:
    stream = io.BytesIO()
    write = write_xlsx if callback_data.action == "xlsx" else write_csv
    try:
        async with synthesis.export(callback.from_user.id, callback_data.draft) as data:  # rows streamed
            await callback.answer(_("Preparing the file…"))
            count = await write(data, stream)
    except (NotAllowed, DraftNotFound):
        await callback.answer(_("This is not available to you."), show_alert=True)
        return
    name = f"yijian-synthesis-draft-{data.draft.id}.{callback_data.action}"
    await callback.message.answer_document(
        BufferedInputFile(stream.getvalue(), filename=name),
        caption=_("Synthesis of comments on {title}: {count} comments.").format(
            title=escape(data.draft.title), count=count),
    )


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="staff_reports")
    router.callback_query.register(statistics, StaffDraftCb.filter(F.action == "stats"), StaffOnly())
    router.callback_query.register(synthesis, StaffDraftCb.filter(F.action.in_({"xlsx", "csv"})), StaffOnly())
    return router
