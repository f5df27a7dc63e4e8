"""Detect the language of a comment with lingua, restricted to the languages we expect.

Restricting the candidates is what makes short Chinese comments reliable (langdetect,
unrestricted, got 12 of 20 wrong). lingua ships its models in the wheel: nothing downloads.
"""

from __future__ import annotations

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder


class LinguaDetector:
    def __init__(self, iso_codes: list[str]) -> None:
        languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in iso_codes]
        if len(languages) == 1:
            self._only = languages[0].iso_code_639_1.name.lower()
            self._detector = None
        else:
            self._only = None
            self._detector = LanguageDetectorBuilder.from_languages(*languages).build()

    def detect(self, text: str) -> str | None:
        if self._detector is None:
            return self._only
        language = self._detector.detect_language_of(text)
        return language.iso_code_639_1.name.lower() if language else None
