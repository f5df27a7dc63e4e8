"""Placeholder: being written."""

from aiogram import Router


def make_router() -> Router:
    return Router(name="staff_publish")
