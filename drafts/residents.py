"""A resident's own data: privacy consent, language choice, a copy of what we hold, erasure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from drafts.errors import PrivacyNotAccepted
from drafts.models import RatingRecord, Resident
from drafts.ports import Database

SUPPORTED_LANGUAGES = ("zh", "en")


class Residents:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def get(self, user_id: int) -> Resident | None:
        async with self._db.read() as uow:
            return await uow.residents.get(user_id)

    async def accept_privacy(self, user_id: int, language_hint: str | None = None) -> Resident:
        """`language_hint`: Telegram's language of the person, kept (if we speak it and they chose
        none) so that notices sent later, outside any conversation, come in their language."""
        now = self._clock()
        async with self._db.write() as uow:
            resident = await uow.residents.get(user_id) or Resident(user_id, created_at=now)
            if resident.privacy_accepted_at is None:
                language = resident.language or (language_hint if language_hint in SUPPORTED_LANGUAGES else None)
                resident = replace(resident, privacy_accepted_at=now, language=language)
                await uow.residents.save(resident)
                await uow.commit()
        return resident

    async def choose_language(self, user_id: int, language: str) -> Resident:
        if language not in SUPPORTED_LANGUAGES:
            raise ValueError(language)
        async with self._db.write() as uow:
            resident = await uow.residents.get(user_id) or Resident(user_id, created_at=self._clock())
            resident = replace(resident, language=language)
            await uow.residents.save(resident)
            await uow.commit()
        return resident

    async def languages(self, user_ids: list[int]) -> dict[int, str | None]:
        async with self._db.read() as uow:
            return await uow.residents.languages(user_ids)

    async def reachable_again(self, user_id: int) -> None:
        """They wrote to the bot after Telegram had refused a notice (e.g. they unblocked it)."""
        async with self._db.write() as uow:
            resident = await uow.residents.get(user_id)
            if resident is not None and resident.unreachable_at is not None:
                await uow.residents.save(replace(resident, unreachable_at=None))
                await uow.commit()

    async def set_subscribed(self, user_id: int, subscribed: bool) -> Resident:
        """Subscribe to notices of new drafts (needs the privacy consent: it stores a preference)."""
        async with self._db.write() as uow:
            resident = await uow.residents.get(user_id)
            if resident is None or resident.privacy_accepted_at is None:
                raise PrivacyNotAccepted()
            resident = replace(resident, subscribed=subscribed)
            await uow.residents.save(resident)
            await uow.commit()
        return resident

    async def export(self, user_id: int) -> dict[str, object]:
        """Everything stored about the resident, as a JSON-ready dict (for /mydata)."""
        async with self._db.read() as uow:
            resident = await uow.residents.get(user_id)
            total = await uow.comments.count_by_resident(user_id)
            comments = await uow.comments.list_by_resident(user_id, 0, max(total, 1))
            ratings = {c.id: await uow.answers.rating(c.id) for c in comments}
            read = await uow.residents.drafts_read_by(user_id)
        return {
            "telegram_user_id": user_id,
            "language": resident.language if resident else None,
            "privacy_accepted_at": _iso(resident.privacy_accepted_at) if resident else None,
            "first_seen_at": _iso(resident.created_at) if resident else None,
            "subscribed_to_new_drafts": resident.subscribed if resident else False,
            "blocked": bool(resident and resident.blocked_reason),
            "drafts_opened": read,
            "comments": [
                {
                    "tracking_number": c.tracking_number,
                    "draft_id": c.draft_id,
                    "article": c.article_number,
                    "text": c.text,
                    "language": c.language,
                    "signed_name": c.signed_name,
                    "status": c.status.value,
                    "created_at": _iso(c.created_at),
                    "updated_at": _iso(c.updated_at),
                    "rating_of_the_answer": _rating(ratings.get(c.id)),
                }
                for c in comments
            ],
        }

    async def forget(self, user_id: int) -> int:
        """Delete the resident; their comments stay, anonymised. Returns how many were kept."""
        async with self._db.write() as uow:
            kept = await uow.comments.anonymise_resident(user_id)
            await uow.residents.delete(user_id)
            await uow.commit()
        return kept


def _rating(record: RatingRecord | None) -> dict[str, object] | None:
    if record is None:
        return None
    return {"rating": record.rating.value, "rated_at": _iso(record.rated_at), "follow_up": record.follow_up}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
