"""Tracking numbers: short, unique, readable receipts such as YJ-2026-000123."""

from __future__ import annotations

import re
import unicodedata

PREFIX = "YJ"
_LOOSE = re.compile(r"^\s*YJ\s*[-_ ]?\s*(\d{4})\s*[-_ ]?\s*(\d{1,9})\s*$", re.IGNORECASE)


def format_tracking_number(year: int, sequence: int) -> str:
    return f"{PREFIX}-{year}-{sequence:06d}"


def parse_tracking_number(text: str) -> str | None:
    """Accept what people actually type (yj2026123, YJ 2026-000123) and return the canonical form."""
    # NFKC folds what a Chinese keyboard in full-width mode types (ＹＪ－２０２６－０００１２３).
    match = _LOOSE.match(unicodedata.normalize("NFKC", text))
    if not match:
        return None
    return format_tracking_number(int(match.group(1)), int(match.group(2)))
