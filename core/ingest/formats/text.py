"""Plain text files: decoded (UTF-8, UTF-16 with a BOM, or GB18030 for Chinese files saved by
older Windows tools), split into paragraphs at blank lines, paginated by :mod:`.blocks`.

Any thread (pure functions of the bytes).
"""

from __future__ import annotations

import re
from pathlib import Path

from core.errors import CorruptFile
from core.ingest.formats.blocks import Paragraph, paginate
from core.ingest.page import PageText

_BLANK_LINE = re.compile(r"\n[ \t\u3000]*\n")


def decode(data: bytes, name: str) -> str:
    """The text of a file's bytes, or :class:`CorruptFile` when they are not text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError as error:
                raise CorruptFile(f"{name}: not a text file (it is neither UTF-8, UTF-16 nor GB18030 text)") from error
    if "\x00" in text:
        raise CorruptFile(f"{name}: not a text file (it contains binary data)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def paragraphs(text: str) -> list[Paragraph]:
    return [Paragraph(block) for block in _BLANK_LINE.split(text)]


def read_text(path: Path) -> list[PageText]:
    return paginate(paragraphs(decode(path.read_bytes(), path.name)))
