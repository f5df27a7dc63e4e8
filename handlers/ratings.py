"""The resident rates the committee's answer from the feedback notice; "not satisfied" invites a
short follow-up that staff see beside the comment. The rating can be changed for 7 days."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from drafts.errors import ConsultationError
from drafts.feedback import Feedback, RatingClosed
from drafts.models import Rating
from handlers.callbacks import RatingCb
from handlers.notices import rating_label
from handlers.states import RatingFlow

FOLLOW_UP_LIMIT = 1000


async def rate(callback: CallbackQuery, callback_data: RatingCb, feedback: Feedback, state: FSMContext) -> None:
    try:
        rating = Rating(callback_data.rating)
        await feedback.rate(callback.from_user.id, callback_data.comment, rating)
    except ValueError:
        await callback.answer(_("This button is no longer active. Please start again from the main menu: /start"),
                              show_alert=True)
        return
    except RatingClosed:
        await callback.answer(_("The rating can be changed for 7 days after the answer; that time has passed."),
                              show_alert=True)
        return
    except ConsultationError:
        await callback.answer(_("No such comment among yours."), show_alert=True)
        return
    await callback.answer(_("Thank you: {rating}").format(rating=rating_label(rating)))
    if rating is Rating.NOT_SATISFIED:
        await state.set_state(RatingFlow.follow_up)
        await state.set_data({"comment": callback_data.comment})
        await callback.message.answer(_("We are sorry the answer did not satisfy you. In one message, tell the "
                                        "committee why (up to 1000 characters), or send /cancel."))


async def follow_up(message: Message, feedback: Feedback, state: FSMContext) -> None:
    text = message.text.strip()
    if len(text) > FOLLOW_UP_LIMIT:
        await message.answer(_("Please keep it under {limit} characters; yours has {length}.").format(
            limit=FOLLOW_UP_LIMIT, length=len(text)))
        return
    comment_id = (await state.get_data()).get("comment")
    await state.clear()
    try:
        await feedback.follow_up(message.from_user.id, int(comment_id), text)
    except ConsultationError:
        await message.answer(_("Sorry, that cannot be done."))
        return
    await message.answer(_("Thank you. The committee's staff will read your explanation beside your comment."))


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="ratings")
    router.callback_query.register(rate, RatingCb.filter())
    router.message.register(follow_up, RatingFlow.follow_up, F.text, ~F.text.startswith("/"))
    return router
