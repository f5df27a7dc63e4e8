"""Webhook settings: long polling by default; WEBHOOK_URL needs an https address and a secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import Settings, describe_error


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, bot_token="1:x", **values)


def error_of(**values: object) -> str:
    with pytest.raises(ValidationError) as raised:
        settings(**values)
    return describe_error(raised.value)


def test_long_polling_unless_a_webhook_url_is_set() -> None:
    plain = settings()
    assert not plain.webhook_mode and plain.webhook_host == "0.0.0.0" and plain.webhook_port == 8080
    hooked = settings(webhook_url="https://bot.example.org/", webhook_secret="s3cret_-X")
    assert hooked.webhook_mode and hooked.webhook_url == "https://bot.example.org"  # the path is appended
    assert hooked.webhook_secret.get_secret_value() == "s3cret_-X" and "s3cret" not in repr(hooked)


@pytest.mark.parametrize("secret", [None, ""])
def test_a_webhook_without_a_secret_is_refused_in_one_line(secret: str | None) -> None:
    values = {"webhook_url": "https://bot.example.org"} | ({} if secret is None else {"webhook_secret": secret})
    assert error_of(**values) == ("Configuration error: WEBHOOK_SECRET is not set "
                                  "(put it in .env or the environment; see .env.example).")


@pytest.mark.parametrize(("values", "named"), [
    ({"webhook_url": "http://bot.example.org", "webhook_secret": "abc"}, "WEBHOOK_URL is malformed: expected"),
    ({"webhook_url": "bot.example.org", "webhook_secret": "abc"}, "WEBHOOK_URL is malformed"),
    ({"webhook_url": "https://bot.example.org", "webhook_secret": "has space"}, "WEBHOOK_SECRET is malformed"),
    ({"webhook_url": "https://bot.example.org", "webhook_secret": "x" * 257}, "WEBHOOK_SECRET is malformed"),
    ({"webhook_port": 70000}, "WEBHOOK_PORT is malformed"),
    ({"housekeeping_tick_seconds": 0}, "HOUSEKEEPING_TICK_SECONDS is malformed"),
])
def test_malformed_webhook_settings_are_named(values: dict[str, object], named: str) -> None:
    assert named in error_of(**values)
