"""drafts.tracking: the canonical tracking number and the loose parsing of what residents type."""

from __future__ import annotations

import pytest

from drafts.tracking import format_tracking_number, parse_tracking_number


def test_format_pads_the_sequence_to_six_digits():
    assert format_tracking_number(2026, 1) == "YJ-2026-000001"
    assert format_tracking_number(2026, 123) == "YJ-2026-000123"
    assert format_tracking_number(2027, 999999) == "YJ-2027-999999"
    assert format_tracking_number(2027, 1234567) == "YJ-2027-1234567"


@pytest.mark.parametrize(
    "typed",
    [
        "YJ-2026-000123",
        " YJ-2026-000123 ",
        "yj2026123",
        "YJ 2026 123",
        "yj-2026-123",
        "Yj_2026_000123",
        "YJ2026-000123",
        "YJ - 2026 - 000123",
        "\tyj 2026000123\n",
        "ＹＪ－２０２６－０００１２３",  # a Chinese keyboard in full-width mode
    ],
)
def test_loose_inputs_give_the_canonical_form(typed):
    assert parse_tracking_number(typed) == "YJ-2026-000123"


def test_round_trip():
    for year, sequence in [(2026, 1), (2026, 42), (2030, 999999), (2031, 1000000)]:
        canonical = format_tracking_number(year, sequence)
        assert parse_tracking_number(canonical) == canonical
        assert parse_tracking_number(canonical.lower().replace("-", "")) == canonical


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "hello",
        "123",
        "2026-000123",
        "YJ",
        "YJ-2026",
        "YJ-2026-",
        "YJ-26-000123",
        "XY-2026-000123",
        "YJ-2026-00012a",
        "YJ--2026--000123",
        "YJ-2026-0001234567890",
        "我的编号是 YJ-2026-000123",
        "YJ-2026-000123 谢谢",
    ],
)
def test_garbage_gives_none(garbage):
    assert parse_tracking_number(garbage) is None
