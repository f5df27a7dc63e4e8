"""drafts.language.LinguaDetector: short Chinese and English comments, restricted to the expected languages."""

from __future__ import annotations

import pytest

from drafts.language import LinguaDetector

CHINESE = [
    "建议增加社区养老床位",
    "夜间施工太吵了",
    "广场舞音量应该限制",
    "同意第九条",
    "希望多送戏下乡",
    "养老补贴标准太低",
    "小区装修噪音扰民，晚上十点以后不能施工",
    "上党梆子要进校园",
    "罚款金额偏低，起不到作用",
    "老年助餐点太少",
]

ENGLISH = [
    "Please add more beds for elderly care.",
    "Construction noise at night is unbearable.",
    "I agree with article nine.",
    "The fines are too low to deter anyone.",
    "More opera performances in villages, please.",
]


@pytest.fixture(scope="module")
def detector() -> LinguaDetector:
    return LinguaDetector(["zh", "en"])


def test_short_chinese_comments_are_chinese(detector: LinguaDetector):
    assert [detector.detect(text) for text in CHINESE] == ["zh"] * len(CHINESE)


def test_english_sentences_are_english(detector: LinguaDetector):
    assert [detector.detect(text) for text in ENGLISH] == ["en"] * len(ENGLISH)


def test_text_without_letters_is_unsure(detector: LinguaDetector):
    assert detector.detect("12345 !!!") is None


@pytest.mark.parametrize("code", ["zh", "en"])
def test_single_language_detector_returns_that_code(code):
    only = LinguaDetector([code])
    assert only.detect("建议增加社区养老床位") == code
    assert only.detect("Construction noise at night") == code
    assert only.detect("") == code

