"""gettext catalogues: bot/locales/<lang>/LC_MESSAGES/messages.po, compiled to .mo at start.

The .po files are the source (reviewed in git); the .mo files are build output, so they are
compiled here whenever missing or older than their .po, and never committed.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"


def compile_catalogues(locales: Path = LOCALES) -> None:
    for po_path in locales.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        tmp = mo_path.with_suffix(".mo.tmp")
        with tmp.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        tmp.replace(mo_path)  # atomic: a second instance starting at once never reads half a file


def make_i18n(default_locale: str) -> I18n:
    path = LOCALES
    try:
        compile_catalogues(path)
    except PermissionError:
        # Installed read-only (a system site-packages): compile a private copy instead.
        path = Path(tempfile.mkdtemp(prefix="yijian-locales-"))
        shutil.copytree(LOCALES, path, dirs_exist_ok=True)
        compile_catalogues(path)
    return I18n(path=path, default_locale=default_locale, domain=DOMAIN)


def locale_of(language_code: str | None, available: tuple[str, ...] | list[str] | set[str]) -> str | None:
    """Telegram's language_code (zh-hans, en-US, …) to one of our locales, if we have it."""
    if not language_code:
        return None
    code = language_code.split("-")[0].split("_")[0].lower()
    return code if code in available else None
