"""Reading use cases: the open drafts, a draft, an article, and search across open drafts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from drafts.errors import ArticleNotFound, DraftNotFound
from drafts.models import Article, Draft, DraftOverview, Resident, SearchHit
from drafts.ports import Database

SNIPPET_RADIUS = 30


class Reading:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def open_drafts(self) -> list[DraftOverview]:
        async with self._db.read() as uow:
            return await uow.drafts.list_open(self._clock())

    async def draft(self, draft_id: int) -> Draft:
        async with self._db.read() as uow:
            draft = await uow.drafts.get(draft_id)
        if draft is None:
            raise DraftNotFound(draft_id)
        return draft

    async def draft_with_count(self, draft_id: int) -> tuple[Draft, int]:
        async with self._db.read() as uow:
            draft = await uow.drafts.get(draft_id)
            count = await uow.comments.count_by_draft(draft_id) if draft else 0
        if draft is None:
            raise DraftNotFound(draft_id)
        return draft, count

    def is_open(self, draft: Draft) -> bool:
        return draft.is_open(self._clock())

    def now(self) -> datetime:
        return self._clock()

    async def note_reader(self, resident: Resident | None, draft_id: int) -> None:
        """Remember who opened a draft, to remind them before its deadline (consenting residents only)."""
        if resident is None or resident.privacy_accepted_at is None:
            return
        async with self._db.write() as uow:
            await uow.residents.record_reader(draft_id, resident.user_id, self._clock())
            await uow.commit()

    async def past_drafts(self) -> list[Draft]:
        """Drafts whose consultation has ended (closed or archived), newest first: their results."""
        now = self._clock()
        async with self._db.read() as uow:
            drafts = await uow.drafts.list_all(include_archived=True)
        return [d for d in drafts if d.opens_at <= now and not d.is_open(now)]

    async def article(self, draft_id: int, number: int) -> tuple[Draft, Article]:
        draft = await self.draft(draft_id)
        article = draft.document.article(number)
        if article is None:
            raise ArticleNotFound(number)
        return draft, article

    async def search(self, query: str, limit: int = 10) -> tuple[list[SearchHit], int]:
        """Articles of open drafts containing every word of the query; (first hits, total)."""
        words = [w.casefold() for w in query.split() if w.strip()]
        if not words:
            return [], 0
        async with self._db.read() as uow:
            drafts = await uow.drafts.open_drafts(self._clock())
        hits: list[SearchHit] = []
        for draft in drafts:
            for article in draft.document.articles:
                text = article.text.casefold()
                if all(word in text for word in words):
                    hits.append(SearchHit(draft.id, draft.title, article, _snippet(article.text, words[0])))
        return hits[:limit], len(hits)


def _snippet(text: str, word: str) -> str:
    flat = text.replace("\n", " ")
    at = flat.casefold().find(word)
    start = max(0, at - SNIPPET_RADIUS)
    end = min(len(flat), at + len(word) + SNIPPET_RADIUS)
    return ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")
