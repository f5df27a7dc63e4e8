"""/start, the privacy notice, deep links, and reading: drafts, a draft, its note, chapters, articles."""

from __future__ import annotations

from tests.e2e.driver import Person, accept_privacy


async def test_first_start_shows_greeting_and_privacy_notice_once(resident: Person) -> None:
    await resident.say("/start")
    assert "欢迎使用" in resident.text and "隐私说明" in resident.text
    assert "/mydata" in resident.text and "/forget" in resident.text
    assert resident.buttons() == ["✅ 我同意", "🌐 English"]
    await resident.press("我同意")
    assert "📜 征求意见的草案" in resident.buttons()
    await resident.say("/start")
    assert "隐私说明" not in resident.text, "the notice is accepted once"
    assert "🗂 我的意见" in resident.buttons()


async def test_open_drafts_list_title_summary_deadline_and_count(resident: Person) -> None:
    await accept_privacy(resident)
    await resident.press("征求意见的草案")
    text = resident.text
    for title in ("长治市养老服务条例（草案）", "长治市噪声污染防治条例（草案）", "长治市地方传统戏剧保护条例（草案）"):
        assert title in text
    assert "上党梆子" in text  # the one-line summary
    assert text.count("截止") == 3 and text.count("0条意见") == 3
    assert len(resident.stub.messages(resident.user_id)) == 1, "navigation edits the one message in place"


async def test_draft_note_chapters_and_pagination(resident: Person) -> None:
    await accept_privacy(resident)
    await resident.press("征求意见的草案")
    await resident.press("地方传统戏剧保护条例")
    assert "征求意见截止日期" in resident.text and "还剩30天" in resident.text
    chapters = [b for b in resident.buttons() if b.startswith("第")]
    assert chapters[0] == "第一章 总则" and chapters[-1] == "第七章 附则"
    await resident.press("起草说明")
    assert "关于《长治市地方传统戏剧保护条例（草案）》的起草说明" in resident.text
    await resident.press("返回草案")
    await resident.press("第三章 传承与传播")  # 10 articles: two pages of 8
    articles = [b for b in resident.buttons() if b.startswith("第")]
    assert articles[0].startswith("第十五条") and len(articles) == 8 and "1/2" in resident.buttons()
    await resident.press("▶️")
    articles = [b for b in resident.buttons() if b.startswith("第")]
    assert [a.split()[0] for a in articles] == ["第二十三条", "第二十四条"] and "2/2" in resident.buttons()


async def test_article_full_text_neighbours_and_back(resident: Person) -> None:
    await accept_privacy(resident)
    await resident.say("/start a2_18")
    assert "第十八条" in resident.text and "禁止夜间进行产生噪声的建筑施工作业" in resident.text
    assert "第四章" in resident.text  # where the article stands
    buttons = resident.buttons()
    assert "💬 对本条提意见" in buttons and "◀️ 第十七条" in buttons and "第十九条 ▶️" in buttons
    await resident.press("第十九条 ▶️")
    assert "第十九条" in resident.text and "公示夜间施工证明" in resident.text
    await resident.press("返回本章")
    assert "第四章" in resident.text and any(b.startswith("第十九条") for b in resident.buttons())


async def test_paragraphs_and_items_of_an_article_are_shown_in_order(resident: Person) -> None:
    await accept_privacy(resident)
    await resident.say("/start a1_14")
    lines = resident.text.splitlines()
    first_item = next(i for i, line in enumerate(lines) if line.startswith("（一）助餐服务"))
    second_paragraph = next(i for i, line in enumerate(lines) if line.startswith("养老服务机构提供前款规定的服务"))
    assert lines[first_item - 1].startswith("<b>第十四条</b>")
    assert first_item < second_paragraph


async def test_deep_link_before_privacy_opens_target_after_accepting(resident: Person) -> None:
    await resident.say("/start d3")
    assert "隐私说明" in resident.text
    await resident.press("我同意")
    assert "长治市地方传统戏剧保护条例（草案）" in resident.text and "第一章 总则" in resident.buttons()


async def test_deep_link_to_missing_draft_or_article_is_explained(resident: Person) -> None:
    await accept_privacy(resident)
    await resident.say("/start a1_999")
    assert "不存在" in resident.text
    await resident.say("/start d77")
    assert "不存在" in resident.text
    await resident.say("/start nonsense:payload")  # ignored: the main menu
    assert "📜 征求意见的草案" in resident.buttons()


async def test_english_resident_reads_in_english(stub, bot) -> None:
    alice = Person(stub, 2002, language_code="en-US", first_name="Alice")
    await alice.say("/start")
    assert "Privacy notice" in alice.text
    await alice.press("I agree")
    await alice.press("Open drafts")
    assert "Drafts open for comment" in alice.text and "长治市噪声污染防治条例（草案）" in alice.text
    await alice.press("噪声污染防治")
    assert "Open for comment until" in alice.text and "30 days left" in alice.text


async def test_privacy_notice_can_be_read_in_english_before_agreeing(resident: Person, bot) -> None:
    await resident.say("/start")
    assert "🌐 English" in resident.buttons()
    await resident.press("English")
    assert "Privacy notice" in resident.text and "✅ I agree" in resident.buttons()
    stored = await bot.app.dp["residents"].get(resident.user_id)
    assert stored.language == "en" and stored.privacy_accepted_at is None, "choosing a language is not consent"
    await resident.press("I agree")
    assert "Open drafts" in " ".join(resident.buttons())

