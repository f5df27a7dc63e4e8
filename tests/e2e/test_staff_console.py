"""The staff console's hub and staff management: roles checked on the server, every action audited."""

from __future__ import annotations

from sqlalchemy import text

from drafts.staff import StaffRole
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.driver import Person, RunningBot, accept_privacy


async def audit_rows(bot: RunningBot) -> list[tuple]:
    async with bot.app.db.read() as uow:
        result = await uow.session.execute(text(
            "SELECT actor_id, action, object_type, object_id, allowed FROM audit_log ORDER BY id"))
        return [tuple(row) for row in result.all()]


async def test_non_staff_meets_no_staff_console_and_is_audited(resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    await resident.say("/staff")
    assert "无法识别该命令" in resident.text and "工作人员" not in resident.text
    assert "工作人员后台" not in " ".join(resident.buttons())
    menu = resident.stub.last_message(resident.user_id)["message_id"]
    for forged in ("s_m:staff", "s_u:1001:admin", "s_m:audit"):
        await resident.press_data(menu, forged, check=False)
        assert "已失效" in resident.alert
    assert await bot.app.dp["staff_directory"].role_of(resident.user_id) is None, "no self-promotion"
    denied = [row for row in await audit_rows(bot) if row[0] == resident.user_id]
    assert len(denied) == 4 and not any(row[4] for row in denied)
    assert {row[1] for row in denied} == {"command:/staff", "button:s_m:staff", "button:s_u:1001:admin",
                                         "button:s_m:audit"}


async def test_admin_adds_an_editor_by_id_who_then_has_an_editors_menu(admin: Person, stub, bot: RunningBot) -> None:
    await admin.say("/staff")
    assert "工作人员后台" in admin.text and "管理员" in admin.text
    assert {"📑 法规草案", "📤 发布草案", "👥 工作人员", "🧾 操作日志"} <= set(admin.buttons())
    await admin.press("工作人员")
    assert "共1人" in admin.text and f"{ADMIN_ID} · 管理员（您本人）" in admin.buttons()
    await admin.press("添加同事")
    assert "数字用户编号" in admin.text
    await admin.say("不是数字")
    assert "请用按钮选择同事" in admin.text
    await admin.say("7777")
    assert "请为 7777 选择角色" in admin.text
    await admin.press("编辑")
    assert "共2人" in admin.text and "7777 · 编辑" in admin.buttons()
    colleague = Person(stub, 7777, first_name="赵编辑")
    await colleague.say("/staff")
    assert "编辑" in colleague.text
    assert "📤 发布草案" in colleague.buttons() and "👥 工作人员" not in colleague.buttons()
    actions = [row[1] for row in await audit_rows(bot) if row[0] == ADMIN_ID]
    assert "staff.add" in actions


async def test_admin_picks_a_colleague_with_the_user_picker(admin: Person, stub, bot: RunningBot) -> None:
    await admin.say("/staff")
    await admin.press("工作人员")
    await admin.press("添加同事")
    picker = [e for e in admin.replies if e["method"] == "sendMessage"][-1]
    button = picker["params"]["reply_markup"]["keyboard"][0][0]
    assert button["request_users"]["user_is_bot"] is False
    mark = stub.mark()
    stub.send_raw({"message": {"message_id": 555, "date": 1, "chat": {"id": ADMIN_ID, "type": "private"},
                               "from": {"id": ADMIN_ID, "is_bot": False, "first_name": "王主任"},
                               "users_shared": {"request_id": 1, "users": [{"user_id": 8888}]}}})
    await stub.wait_until_idle(quiet=0.1)
    replies = [e["params"].get("text", "") for e in stub.events[mark:] if e["chat_id"] == ADMIN_ID]
    assert any("请为 8888 选择角色" in reply for reply in replies)
    await admin.press("查阅人员")
    assert await bot.app.dp["staff_directory"].role_of(8888) is StaffRole.VIEWER


async def test_roles_change_and_removal_and_the_last_admin_stays(admin: Person, bot: RunningBot) -> None:
    await bot.app.dp["staff_directory"].add(ADMIN_ID, 4242, StaffRole.VIEWER)
    await admin.say("/staff")
    await admin.press("工作人员")
    await admin.press("4242 · 查阅人员")
    await admin.press("编辑")
    assert await bot.app.dp["staff_directory"].role_of(4242) is StaffRole.EDITOR
    await admin.press("4242 · 编辑")
    await admin.press("移出工作人员")
    await admin.press("是，移除")
    assert await bot.app.dp["staff_directory"].role_of(4242) is None
    await admin.press(f"{ADMIN_ID} · 管理员")
    await admin.press("编辑")  # demoting the only admin
    assert "至少需要保留一名管理员" in admin.alert
    assert await bot.app.dp["staff_directory"].role_of(ADMIN_ID) is StaffRole.ADMIN


async def test_a_removed_editor_loses_access_at_once(admin: Person, stub, bot: RunningBot) -> None:
    await bot.app.dp["staff_directory"].add(ADMIN_ID, 5151, StaffRole.EDITOR)
    editor = Person(stub, 5151)
    await editor.say("/staff")
    menu = stub.last_message(editor.user_id)["message_id"]
    await bot.app.dp["staff_directory"].remove(ADMIN_ID, 5151)
    await editor.press_data(menu, "s_m:drafts", check=False)
    assert "已失效" in editor.alert


async def test_audit_log_is_shown_to_admins(admin: Person, bot: RunningBot) -> None:
    await bot.app.dp["staff_directory"].add(ADMIN_ID, 6161, StaffRole.VIEWER)
    await admin.say("/staff")
    await admin.press("操作日志")
    assert "操作日志" in admin.text and "staff.add" in admin.text and "staff#6161" in admin.text


async def test_resident_subscribes_to_new_drafts(resident: Person, bot: RunningBot) -> None:
    await resident.say("/subscribe")
    await resident.press("订阅")
    assert "隐私说明" in resident.text, "a preference is stored only after consent"
    await resident.press("我同意")
    await resident.say("/subscribe")
    await resident.press("订阅")
    assert "您将收到通知" in resident.text and "🔕 取消通知" in resident.buttons()
    async with bot.app.db.read() as uow:
        assert await uow.residents.subscribers() == [resident.user_id]
    await resident.press("取消通知")
    async with bot.app.db.read() as uow:
        assert await uow.residents.subscribers() == []
