"""drafts.delivery: quiet hours (parse_quiet_hours, in_quiet_hours, QUIET_KINDS) and retry_delay."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from drafts.delivery import QUIET_KINDS, in_quiet_hours, parse_quiet_hours, retry_delay
from drafts.notices import NoticeKind

SHANGHAI = ZoneInfo("Asia/Shanghai")  # UTC+8 all year
NIGHT = (time(21, 0), time(8, 0))


def utc(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc)


def test_parse_quiet_hours():
    assert parse_quiet_hours("21:00-08:00") == NIGHT
    assert parse_quiet_hours("  12:30 - 14:00 ") == (time(12, 30), time(14, 0))


@pytest.mark.parametrize("spec", ["", "   ", "\t\n"])
def test_an_empty_spec_means_no_quiet_hours(spec):
    assert parse_quiet_hours(spec) is None
    assert in_quiet_hours(utc(1, 15, 0), SHANGHAI, parse_quiet_hours(spec)) is False


@pytest.mark.parametrize("spec", [
    "21:00", "21:00-", "-08:00", "25:00-08:00", "21:00-08:60", "nine-eight", "21:00–08:00", "21:00/08:00",
])
def test_malformed_specs_raise_value_error(spec):
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        parse_quiet_hours(spec)


@pytest.mark.parametrize("spec", ["21:00-08:00+08:00", "21:00Z-08:00", "21:00-08:00-09:00"])
def test_a_spec_with_a_time_zone_offset_is_malformed(spec):
    with pytest.raises(ValueError):
        parse_quiet_hours(spec)


@pytest.mark.parametrize("instant, quiet", [
    (utc(1, 12, 59), False),  # 20:59 in Shanghai
    (utc(1, 13, 0), True),  # 21:00
    (utc(1, 15, 59), True),  # 23:59
    (utc(1, 16, 0), True),  # 00:00 the next day
    (utc(1, 23, 59), True),  # 07:59
    (utc(2, 0, 0), False),  # 08:00
    (utc(2, 4, 0), False),  # 12:00
])
def test_quiet_hours_spanning_midnight(instant, quiet):
    assert in_quiet_hours(instant, SHANGHAI, NIGHT) is quiet


def test_quiet_hours_are_read_in_the_given_time_zone():
    assert in_quiet_hours(utc(1, 14, 0), SHANGHAI, NIGHT) is True  # 22:00 local
    assert in_quiet_hours(utc(1, 14, 0), timezone.utc, NIGHT) is False  # 14:00 local
    local = datetime(2026, 3, 1, 21, 30, tzinfo=SHANGHAI)
    assert in_quiet_hours(local, SHANGHAI, NIGHT) is True


@pytest.mark.parametrize("instant, quiet", [
    (utc(1, 3, 59), False),  # 11:59 in Shanghai
    (utc(1, 4, 0), True),  # 12:00
    (utc(1, 5, 59), True),  # 13:59
    (utc(1, 6, 0), False),  # 14:00
    (utc(1, 16, 0), False),  # 00:00
])
def test_a_same_day_window(instant, quiet):
    assert in_quiet_hours(instant, SHANGHAI, parse_quiet_hours("12:00-14:00")) is quiet


def test_only_notices_for_residents_wait_for_the_morning():
    assert QUIET_KINDS == {NoticeKind.FEEDBACK, NoticeKind.NEW_DRAFT, NoticeKind.ARTICLE_CHANGED, NoticeKind.REMINDER}
    assert not QUIET_KINDS & {NoticeKind.STAFF_CLOSED, NoticeKind.STAFF_UNANSWERED, NoticeKind.STAFF_DIGEST}


@pytest.mark.parametrize("attempts, seconds", [
    (0, 5), (1, 5), (2, 10), (3, 20), (4, 40), (5, 80), (9, 1280), (10, 2560), (11, 3600), (12, 3600), (30, 3600),
])
def test_retry_delay_doubles_up_to_an_hour(attempts, seconds):
    assert retry_delay(attempts) == timedelta(seconds=seconds)


@pytest.mark.parametrize("attempts", [45, 64, 99])
def test_retry_delay_stays_capped_for_many_attempts(attempts):
    assert retry_delay(attempts) == timedelta(hours=1)
