"""Free text from people (comments, answers, reasons, uploaded drafts) as a database can keep it."""

from __future__ import annotations


def storable(text: str) -> str:
    """PostgreSQL text cannot hold NUL (U+0000). Telegram apps do not send it, but a forged update or an
    uploaded file can; it carries nothing a reader sees, so it is dropped rather than failing the write."""
    return text.replace("\x00", "")
