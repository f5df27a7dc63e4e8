"""Conversation states. They live in the FSM storage (SQL or Redis), so they survive restarts."""

from aiogram.fsm.state import State, StatesGroup


class CommentFlow(StatesGroup):
    writing = State()  # waiting for the comment text
    preview = State()  # showing the preview with Submit / Edit / Cancel


class SearchFlow(StatesGroup):
    words = State()  # waiting for the words to search for


class StaffFlow(StatesGroup):
    publish_date = State()  # an upload waits for its deadline typed as YYYY-MM-DD (data: upload)
    revise_upload = State()  # waiting for the new version's document (data: draft)
    revise_confirm = State()  # a parsed revision waits for confirmation (data: draft, upload)
    extend_date = State()  # waiting for a new deadline typed as YYYY-MM-DD (data: draft)
    answer_reply = State()  # waiting for the reply text (data: comments, status, back)
    hide_reason = State()  # waiting for the reason to hide a comment (data: comment)
    block_reason = State()  # waiting for the reason to block a comment's author (data: comment)
    add_member = State()  # waiting for "TELEGRAM_ID" of a new colleague (then a role button)


class RatingFlow(StatesGroup):
    follow_up = State()  # "not satisfied": waiting for a short explanation (data: comment)
