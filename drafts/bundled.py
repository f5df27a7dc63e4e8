"""The three drafts that ship with Yijian, loaded on the first start so the bot is useful at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from drafts.models import NewDraft
from drafts.parser import parse_document
from drafts.ports import Database

DOCUMENTS = Path(__file__).parent / "documents"


@dataclass(frozen=True)
class BundledDraft:
    stem: str  # documents/<stem>.txt is the draft, documents/<stem>.note.txt its explanatory note
    summary: str

    @property
    def source(self) -> str:
        return (DOCUMENTS / f"{self.stem}.txt").read_text(encoding="utf-8")

    @property
    def note(self) -> str:
        return (DOCUMENTS / f"{self.stem}.note.txt").read_text(encoding="utf-8").strip()


BUNDLED = (
    BundledDraft("elderly_care", "规范养老设施配建移交、居家社区与机构养老、医养结合及扶持监管"),
    BundledDraft("noise_control", "规范施工、交通、装修、广场舞等噪声，明确禁止时段和罚则"),
    BundledDraft("traditional_opera", "保护上党梆子、上党落子等地方剧种：抢救记录、传承人扶持、戏曲进校园和送戏下乡"),
)


async def seed_bundled_drafts(db: Database, now: datetime, days: int) -> int:
    """Load the bundled drafts into an empty database, open for `days`; returns how many."""
    async with db.write() as uow:
        if await uow.drafts.count():
            return 0
        for bundled in BUNDLED:
            source = bundled.source
            document = parse_document(source)  # fail loudly on a broken bundled file
            await uow.drafts.add(
                NewDraft(document.title, bundled.summary, bundled.note, source, now, now + timedelta(days=days))
            )
        await uow.commit()
    return len(BUNDLED)
