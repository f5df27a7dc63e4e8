"""One consultation, built through the use cases, for the synthesis and statistics tests.

Eight comments on a draft with two chapters, an hour apart (c1 … c8):

    c1 A  第一条  zh  adopted, published        c5 D  第三条  zh  noted, NOT published; D used /forget
    c2 B  第三条  en  not adopted, published    c6 B  第四条  en  withdrawn
    c3 A  第三条  zh  partly adopted, published c7 E  第二条  zh  adopted, published; hidden ("广告")
    c4 C  whole   zh  adopted, published, signed 张三              c8 E  第一条  zh  unanswered

Answers are published three days after the first comment. T0 is 20:00 UTC, 04:00 the next day in
Shanghai: dates in the export must be the committee's dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from drafts.answering import Answering
from drafts.commenting import Commenting
from drafts.models import AnswerStatus, Comment, NewDraft
from drafts.moderation import Moderation
from drafts.residents import Residents
from drafts.staff_directory import StaffDirectory
from storage.database import SqlDatabase
from tests.integration.helpers import SHANGHAI

T0 = datetime(2026, 3, 15, 20, 0, tzinfo=UTC)
ADMIN = 7_700_000_001
# Telegram ids long and distinctive enough that finding one in an export cannot be a coincidence.
A, B, C, D, E = 5_201_314_001, 5_201_314_002, 5_201_314_003, 5_201_314_004, 5_201_314_005

SOURCE = """长治市城市公园管理条例（草案）
第一章　总则
第一条　为了加强城市公园管理，制定本条例。
第二条　本条例适用于本市城市公园。
第二章　规划与设施建设
第三条　市人民政府应当编制公园建设规划。
第四条　公园应当设置无障碍设施。
"""
TITLE = "长治市城市公园管理条例（草案）"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class ScriptDetector:
    """Chinese when the text has a CJK character, English otherwise: enough for these texts."""

    def detect(self, text: str) -> str | None:
        return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


@dataclass
class Consultation:
    draft_id: int
    comments: list[Comment]  # c1 … c8 as submitted

    def c(self, number: int) -> Comment:
        return self.comments[number - 1]


async def build(db: SqlDatabase, clock: Clock) -> Consultation:
    clock.now = T0
    await StaffDirectory(db, clock).bootstrap([ADMIN])
    async with db.write() as uow:
        draft = await uow.drafts.add(NewDraft(TITLE, "摘要", "说明", SOURCE, T0 - timedelta(days=1),
                                              T0 + timedelta(days=30)))
        await uow.commit()
    residents = Residents(db, clock)
    for resident in (A, B, C, D, E):
        await residents.accept_privacy(resident)
    commenting = Commenting(db, clock, ScriptDetector(), tz=SHANGHAI)
    plan = [(A, 1, "第一条应当写明立法目的。", None), (B, 3, "Please plan bike lanes in every park.", None),
            (A, 3, "建议增加停车位。", None), (C, None, "整体结构清晰，建议尽快出台。", "张三"),
            (D, 3, "多建社区公园。", None), (B, 4, "I take this back.", None),
            (E, 2, "加微信领优惠。", None), (E, 1, "建议明确责任部门。", None)]
    comments = []
    for hour, (resident, article, text, name) in enumerate(plan):
        clock.now = T0 + timedelta(hours=hour)
        comments.append(await commenting.submit(resident, draft.id, article, text, signed_name=name))
    consultation = Consultation(draft.id, comments)
    await commenting.withdraw(B, consultation.c(6).id)
    await Moderation(db, clock).hide(ADMIN, consultation.c(7).id, "广告")
    await residents.forget(D)

    answering = Answering(db, clock)
    clock.now = T0 + timedelta(days=2)
    for number, status, reply in [(1, AnswerStatus.ADOPTED, "已在第一条中写明。"),
                                  (2, AnswerStatus.NOT_ADOPTED, "公园内不宜设置自行车道。"),
                                  (3, AnswerStatus.PARTLY_ADOPTED, "将在规划中统筹考虑停车。"),
                                  (4, AnswerStatus.ADOPTED, "感谢支持。"),
                                  (7, AnswerStatus.ADOPTED, "已处理。")]:
        await answering.answer(ADMIN, [consultation.c(number).id], status, reply)
    clock.now = T0 + timedelta(days=3)
    await answering.publish(ADMIN, draft.id)
    clock.now = T0 + timedelta(days=4)
    await answering.answer(ADMIN, [consultation.c(5).id], AnswerStatus.NOTED, "规划时参考。")
    clock.now = T0 + timedelta(days=7)
    return consultation
