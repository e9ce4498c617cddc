"""Cutting flowing text (TXT, Markdown, HTML, DOCX) into citable "pages".

Text formats have no pages, so Wenku makes them: a page is one section (it starts at a heading)
or a fixed-size block of whole paragraphs, at most :data:`MAX_PAGE_CHARS` characters. Page
numbers count these blocks from 1, and a citation's span is ``[start, end)`` in the block's text,
exactly as for a PDF page, so the viewer can show the block and highlight the span. Paragraphs
are joined by a blank line. A heading starts a new page only when the current page already holds
:data:`MIN_SECTION_CHARS`, so a run of short sections shares a page. Pure functions, any thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from core.ingest.page import PageText, TableSpan

MAX_PAGE_CHARS = 2500
MIN_SECTION_CHARS = 300
_SENTENCE_END = re.compile(r"(?<=[。！？；.!?;])\s*")


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of a text document; ``heading`` marks section titles; ``table_header`` is set
    for a table (rows on their own lines, cells joined by " | ") to its first row."""

    text: str
    heading: bool = False
    table_header: str | None = None


def _split_long(text: str, limit: int) -> list[str]:
    """A paragraph longer than a page, cut after sentence ends (hard cut as a last resort)."""
    pieces: list[str] = []
    current = ""
    for sentence in (s for s in _SENTENCE_END.split(text) if s):
        while len(sentence) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:limit])
            sentence = sentence[limit:]
        if current and len(current) + 1 + len(sentence) > limit:
            pieces.append(current)
            current = ""
        current = f"{current} {sentence}" if current and not _cjk_join(current, sentence) else current + sentence
    if current:
        pieces.append(current)
    return pieces


def _cjk_join(left: str, right: str) -> bool:
    return bool(left) and bool(right) and ("\u3000" <= left[-1] <= "\u9fff" or "\u3000" <= right[0] <= "\u9fff")


def paginate(paragraphs: Iterable[Paragraph], max_chars: int = MAX_PAGE_CHARS) -> list[PageText]:
    """Group paragraphs into pages (see the module docstring); empty paragraphs are dropped."""
    pages: list[PageText] = []
    parts: list[str] = []
    tables: list[TableSpan] = []
    size = 0

    def flush() -> None:
        nonlocal parts, tables, size
        if parts:
            pages.append(PageText(len(pages) + 1, "\n\n".join(parts), "text", tables=tuple(tables)))
        parts, tables, size = [], [], 0

    for paragraph in paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        if paragraph.heading and size >= MIN_SECTION_CHARS:
            flush()
        pieces = [text] if len(text) <= max_chars or paragraph.table_header is not None else _split_long(text, max_chars)
        for piece in pieces:
            if parts and size + 2 + len(piece) > max_chars:
                flush()
            start = size + 2 if parts else 0
            parts.append(piece)
            size = start + len(piece)
            if paragraph.table_header is not None:
                tables.append(TableSpan(start, size, paragraph.table_header))
    flush()
    return pages
