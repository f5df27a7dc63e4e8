"""Settings from the environment and .env (pydantic-settings). See .env.example for each one."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Language = Literal["zh", "en"]
WEBHOOK_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class StorageSettings(BaseSettings):
    """What the command line needs (no bot token): where the data lives, whose time zone."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./data/yijian.db"
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _real_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Settings(StorageSettings):
    bot_token: SecretStr
    telegram_api_url: str = "https://api.telegram.org"
    redis_url: str | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    default_language: Language = "zh"
    comment_languages: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["zh", "en"])
    consultation_days: int = Field(default=30, ge=1, le=365)
    log_level: str = "INFO"
    # Notices (the outbox): how often to look for due ones, and how fast to send.
    outbox_tick_seconds: float = Field(default=2.0, gt=0, le=86400)
    send_rate_global: float = Field(default=25.0, gt=0)  # messages per second, all chats together
    send_rate_per_chat: float = Field(default=1.0, gt=0)  # messages per second to one chat
    outbox_max_attempts: int = Field(default=8, ge=1, le=100)
    # How long a sender holds the notices it claimed; a sender that died gives them back after this.
    outbox_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    quiet_hours: str = "21:00-08:00"  # resident notices wait for the morning; empty: no quiet hours
    reminder_days: int = Field(default=3, ge=0, le=60)  # remind this many days before a deadline
    unanswered_warning_days: int = Field(default=15, ge=0, le=365)  # warn editors after closing
    housekeeping_tick_seconds: float = Field(default=60.0, gt=0, le=86400)  # deadlines, reminders, digest
    # Webhook mode (several instances behind a load balancer); empty WEBHOOK_URL: long polling.
    webhook_url: str = ""  # the public https:// base URL; Telegram posts to <it>/telegram/webhook
    webhook_secret: SecretStr = Field(default="", validate_default=True)  # type: ignore[assignment]
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    # Flood control: more than this many messages/button presses from one person within the window
    # gets one "slow down" notice, and the rest is dropped until the window passes.
    flood_messages: int = Field(default=20, ge=1, le=10000)
    flood_window_seconds: float = Field(default=5.0, gt=0, le=3600)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        left, _, right = value.get_secret_value().partition(":")
        if not (left.isdigit() and right):
            raise ValueError("expected the form 123456:ABC… that @BotFather gives")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part for part in value.replace(" ", "").split(",") if part]
            if not all(part.isdigit() for part in parts):
                raise ValueError("expected numeric Telegram user ids separated by commas")
            return [int(part) for part in parts]
        return value

    @field_validator("comment_languages", mode="before")
    @classmethod
    def _comma_separated_codes(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours_shape(cls, value: str) -> str:
        from drafts.delivery import parse_quiet_hours

        parse_quiet_hours(value)  # raises ValueError naming the expected form
        return value

    @field_validator("comment_languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        from lingua import IsoCode639_1

        unknown = [code for code in value if not hasattr(IsoCode639_1, code.upper())]
        if unknown or not value:
            raise ValueError(f"unknown ISO 639-1 codes: {', '.join(unknown) or '(none given)'}")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not (value.startswith("https://") and len(value) > len("https://")):
            raise ValueError("expected the public https:// address Telegram will post to (Telegram sends "
                             "webhooks over HTTPS only), or nothing for long polling")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_with_webhook(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        secret = value.get_secret_value()
        if not secret and info.data.get("webhook_url"):
            # Without it anyone who guesses the URL could post forged updates.
            raise ValueError("required when WEBHOOK_URL is set")
        if secret and not WEBHOOK_SECRET_SHAPE.fullmatch(secret):
            raise ValueError("expected 1 to 256 characters A-Z, a-z, 0-9, _ or - (Telegram's rule)")
        return value

    @property
    def webhook_mode(self) -> bool:
        return bool(self.webhook_url)


def describe_error(error: ValidationError) -> str:
    """One clear line naming the first bad setting, as the environment variable people set."""
    first = error.errors()[0]
    name = str(first["loc"][0]).upper() if first["loc"] else "settings"
    if first["type"] == "missing" or first.get("input") == "":
        return f"Configuration error: {name} is not set (put it in .env or the environment; see .env.example)."
    message = first["msg"].removeprefix("Value error, ")
    return f"Configuration error: {name} is malformed: {message}."
