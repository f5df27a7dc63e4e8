"""Every text in the code has a complete Chinese translation with the same placeholders and markup."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "__": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TAG = re.compile(r"</?\w+")


def code_messages() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for folder in ("handlers", "bot"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, keywords=KEYWORDS, method_map=[("**.py", "python")]
        ):
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalogue(language: str):  # type: ignore[no-untyped-def]
    with (ROOT / "bot/locales" / language / "LC_MESSAGES/messages.po").open("rb") as po:
        return read_po(po, locale=language)


MESSAGES = sorted(code_messages(), key=str)


def test_the_code_has_texts_to_translate() -> None:
    assert len(MESSAGES) > 80  # the extraction itself works


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_text_is_translated(language: str) -> None:
    catalog = catalogue(language)
    missing = []
    for message in MESSAGES:
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        strings = entry.string if entry is not None and isinstance(entry.string, tuple) else (entry.string if entry else "",)
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(key)
    assert missing == [], f"untranslated in {language}.po (run pybabel extract/update): {missing}"


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: str(m)[:40])
def test_chinese_keeps_placeholders_and_markup(message: str | tuple[str, str]) -> None:
    source = message[0] if isinstance(message, tuple) else message
    entry = catalogue("zh").get(source)
    assert entry is not None
    translations = entry.string if isinstance(entry.string, tuple) else (entry.string,)
    for translated in translations:
        assert set(PLACEHOLDER.findall(translated)) == set(PLACEHOLDER.findall(source))
        assert sorted(TAG.findall(translated)) == sorted(TAG.findall(source))
