"""A resident forges every staff button and types every staff command: all refused the ordinary way,
nothing changes, and each attempt is in the audit log."""

from __future__ import annotations

from sqlalchemy import text

from tests.e2e.driver import Person, RunningBot, accept_privacy, comment_via

FORGED = [
    "s_m:home", "s_m:drafts", "s_m:archived", "s_m:publish", "s_m:staff", "s_m:audit",
    *(f"s_d:2:{action}" for action in ("view", "articles", "stats", "chart", "xlsx", "csv", "revise", "extend",
                                       "close", "close_ok", "archive", "archive_ok", "publish_answers",
                                       "publish_answers_ok")),
    "s_p:30", "s_p:0", "s_p:-1", "s_r:1", "s_r:0", "s_x:2:30", "s_x:2:0", "s_a:2:0",
    "s_c:2:-1:0:0", "s_c:2:18:1:0",
    *(f"s_k:1:{action}" for action in ("view", "answer", "hide", "unhide", "block", "unblock")),
    "s_b:2:18", "s_s:adopted", "s_s:cancel",
    *(f"s_u:1001:{action}" for action in ("view", "admin", "editor", "viewer", "remove", "remove_ok", "add")),
]


async def snapshot(bot: RunningBot) -> dict[str, list]:
    tables = {"drafts": "SELECT id, status, version, closes_at FROM drafts ORDER BY id",
              "staff": "SELECT user_id, role FROM staff ORDER BY user_id",
              "answers": "SELECT comment_id, status FROM answers",
              "comments": "SELECT id, status, hidden_reason FROM comments ORDER BY id",
              "residents": "SELECT user_id, blocked_reason FROM residents ORDER BY user_id",
              "notifications": "SELECT id FROM notifications WHERE kind != 'staff_digest'"}
    async with bot.app.db.read() as uow:
        return {name: [tuple(r) for r in (await uow.session.execute(text(sql))).all()]
                for name, sql in tables.items()}


async def test_every_forged_staff_button_is_refused_and_audited(resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    await comment_via(resident, "a2_18", "一条普通的意见。")
    before = await snapshot(bot)
    message_id = resident.stub.last_message(resident.user_id)["message_id"]
    for data in FORGED:
        await resident.press_data(message_id, data, check=False)
        assert "已失效" in resident.alert, data
    await resident.say("/staff")
    assert "无法识别该命令" in resident.text
    assert await snapshot(bot) == before, "nothing changed"
    async with bot.app.db.read() as uow:
        rows = (await uow.session.execute(text(
            "SELECT action, allowed FROM audit_log WHERE actor_id = :actor ORDER BY id"),
            {"actor": resident.user_id})).all()
    assert [action for action, _ in rows] == [f"button:{data}" for data in FORGED] + ["command:/staff"]
    assert not any(allowed for _, allowed in rows)
    assert not any(e["chat_id"] == resident.user_id and e["method"] in {"sendDocument", "sendPhoto"}
                   for e in resident.stub.events), "no export, no chart"
