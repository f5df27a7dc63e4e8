"""Rules of notice delivery that do not depend on Telegram: quiet hours and retry back-off."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from drafts.notices import NoticeKind

# Notices that wait for the morning during quiet hours: everything a resident receives.
QUIET_KINDS = frozenset({NoticeKind.FEEDBACK, NoticeKind.NEW_DRAFT, NoticeKind.ARTICLE_CHANGED,
                         NoticeKind.REMINDER})
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(hours=1)


def parse_quiet_hours(spec: str) -> tuple[time, time] | None:
    """"21:00-08:00" -> (21:00, 08:00); "" -> None (no quiet hours)."""
    spec = spec.strip()
    if not spec:
        return None
    start, _, end = spec.partition("-")
    try:
        bounds = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError as error:
        raise ValueError(f"expected HH:MM-HH:MM, got {spec!r}") from error
    if any(bound.tzinfo is not None for bound in bounds):  # the hours are TIMEZONE's, never an offset
        raise ValueError(f"expected HH:MM-HH:MM, got {spec!r}")
    return bounds


def in_quiet_hours(now: datetime, tz: tzinfo, quiet: tuple[time, time] | None) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    local = now.astimezone(tz).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # spans midnight, e.g. 21:00-08:00


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off after the n-th failed attempt: 5 s, 10 s, 20 s … at most an hour."""
    doublings = min(max(0, attempts - 1), 20)  # 5 s * 2**20 is far past the cap; no overflow
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** doublings))
