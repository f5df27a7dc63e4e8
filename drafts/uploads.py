"""Turn an uploaded file (.txt, .md, .docx) into the text the parser reads."""

from __future__ import annotations

import io
from pathlib import PurePath

from drafts.text import storable

MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # a long regulation is ~100 KB; anything far larger is a mistake
SUPPORTED = (".txt", ".md", ".docx")


class UnsupportedUpload(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "type" | "size" | "encoding" | "docx"


def document_text(file_name: str, content: bytes) -> str:
    suffix = PurePath(file_name or "").suffix.lower()
    if suffix not in SUPPORTED:
        raise UnsupportedUpload("type")
    if len(content) > MAX_UPLOAD_BYTES:
        raise UnsupportedUpload("size")
    if suffix == ".docx":
        return storable(_docx_text(content))
    # Chinese text files from Windows are often GB18030 rather than UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return storable(content.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise UnsupportedUpload("encoding")


def _docx_text(content: bytes) -> str:
    import docx  # python-docx; imported here so the domain loads without it until needed

    try:
        document = docx.Document(io.BytesIO(content))
    except Exception as error:  # noqa: BLE001 - python-docx raises several kinds for a broken file
        raise UnsupportedUpload("docx") from error
    return "\n".join(paragraph.text for paragraph in document.paragraphs)
