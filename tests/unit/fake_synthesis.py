"""In-memory fake of drafts.synthesis_source.SynthesisRepository, over the fakes' State (tests/unit/fakes.py).

It follows storage/synthesis_repository.py: the stream is oldest first with withdrawn comments,
the figures count comments that are not withdrawn, satisfaction counts ratings of any comment.
It is an async generator, like the real one: a comment is looked up only when the consumer asks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from statistics import median
from typing import TYPE_CHECKING

from drafts.models import AnswerStatus, CommentStatus
from drafts.synthesis_source import AdoptedOpinion, DraftFigures, ExportedComment

if TYPE_CHECKING:
    from tests.unit.fakes import State


class FakeSynthesisRepository:
    def __init__(self, state: State) -> None:
        self._s = state

    async def count(self, draft_id: int) -> int:
        return sum(1 for c in self._s.comments.values() if c.draft_id == draft_id)

    async def stream(self, draft_id: int) -> AsyncIterator[ExportedComment]:
        for comment in sorted(self._s.comments.values(), key=lambda c: c.id):
            if comment.draft_id != draft_id:
                continue
            answer = self._s.answers.get(comment.id)
            yield ExportedComment(
                comment.tracking_number, comment.article_number, comment.resident_id, comment.text,
                comment.language, comment.signed_name, comment.status, comment.created_at, comment.hidden_reason,
                answer.status if answer else None, answer.reply if answer else None,
                bool(answer and answer.published_at))

    def _published(self, draft_id: int) -> list[tuple[object, object]]:
        return [(c, a) for c in sorted(self._s.comments.values(), key=lambda c: c.id)
                if c.draft_id == draft_id and c.status is not CommentStatus.WITHDRAWN
                and (a := self._s.answers.get(c.id)) and a.published_at]

    async def published_answers(self, draft_id: int) -> dict[AnswerStatus, int]:
        return dict(Counter(a.status for _, a in self._published(draft_id)))

    async def adopted_opinions(self, draft_id: int, limit: int) -> tuple[list[AdoptedOpinion], int]:
        kept = (AnswerStatus.ADOPTED, AnswerStatus.PARTLY_ADOPTED)
        adopted = sorted(((c, a) for c, a in self._published(draft_id) if a.status in kept and not c.hidden),
                         key=lambda pair: (pair[0].article_number is None, pair[0].article_number or 0))
        return [AdoptedOpinion(c.article_number, c.text, a.status, a.reply) for c, a in adopted[:limit]], len(adopted)

    async def figures(self, draft_id: int) -> DraftFigures:
        live = [c for c in self._s.comments.values()
                if c.draft_id == draft_id and c.status is not CommentStatus.WITHDRAWN]
        delays = [(a.published_at - c.created_at).total_seconds() / 86400 for c in live
                  if (a := self._s.answers.get(c.id)) and a.published_at]
        ratings = [r for i, r in self._s.ratings.items() if self._s.comments[i].draft_id == draft_id]
        return DraftFigures(
            comments=len(live),
            commenters=len({c.resident_id for c in live if c.resident_id is not None})
            + sum(1 for c in live if c.resident_id is None),
            per_article=dict(Counter(c.article_number for c in live)),
            answered=len(delays),
            median_days_to_answer=median(delays) if delays else None,
            languages=dict(Counter(c.language for c in live)),
            satisfaction=dict(Counter(r.rating.value for r in ratings)),
        )
