"""Conversation states. They live in the FSM storage (SQL or Redis), so they survive restarts."""

from aiogram.fsm.state import State, StatesGroup


class CommentFlow(StatesGroup):
    writing = State()  # waiting for the comment text
    preview = State()  # showing the preview with Submit / Edit / Cancel


class SearchFlow(StatesGroup):
    words = State()  # waiting for the words to search for
