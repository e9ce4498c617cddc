"""Page-aware, Chinese/English-aware chunking.

Chunks never cross a page (so a citation is page-exact) nor a document, and each records its
``[start, end)`` character span in the page's extracted text, so the viewer can highlight it.
Splits prefer sentence ends (。！？；.!?; — Chinese has no spaces between sentences), then line
breaks, and cut mid-sentence only when a sentence alone exceeds the limit. Consecutive chunks of a
page overlap by one short sentence, so a fact spanning a boundary is still found whole.

Size is measured in "units": one per character, plus half a unit per CJK character, because a
Chinese character carries about as much as 1.5 English letters do for the embedding model.
Pure functions, any thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.datatypes import Span
from core.lang import cjk_count

TARGET_UNITS = 420
MAX_UNITS = 640
MAX_OVERLAP_UNITS = 120

_SENTENCE_END = re.compile(r"(?:[。！？；]|[.!?;](?=\s)|\n\s*\n)[”’\"'）)」』]*\s*")
_LINE_END = re.compile(r"\n")
_CJK_BREAK = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s*\n\s*(?=[\u3000-\u9fff\uff00-\uffef])")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Chunk:
    """A piece of one page: display/embedding text and its span in the page text."""

    page: int
    span: Span
    text: str


def units(text: str) -> float:
    return len(text) + 0.5 * cjk_count(text)


def clean_chunk_text(raw: str) -> str:
    """Join wrapped lines: no space between CJK characters, one space elsewhere."""
    return _SPACES.sub(" ", _CJK_BREAK.sub("", raw)).strip()


def _pieces(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` after each match of ``pattern``."""
    out, cursor = [], start
    for match in pattern.finditer(text, start, end):
        if match.end() > cursor:
            out.append((cursor, match.end()))
            cursor = match.end()
    if cursor < end:
        out.append((cursor, end))
    return out


def _segments(text: str) -> list[tuple[int, int]]:
    """Sentence spans, with over-long sentences split at line breaks, then hard-cut."""
    segments: list[tuple[int, int]] = []
    for start, end in _pieces(text, 0, len(text), _SENTENCE_END):
        if units(text[start:end]) <= MAX_UNITS:
            segments.append((start, end))
            continue
        for line_start, line_end in _pieces(text, start, end, _LINE_END):
            while units(text[line_start:line_end]) > MAX_UNITS:
                cut = line_start
                while cut < line_end and units(text[line_start:cut + 1]) <= TARGET_UNITS:
                    cut += 1
                segments.append((line_start, cut))
                line_start = cut
            if line_start < line_end:
                segments.append((line_start, line_end))
    return segments


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def chunk_page(page: int, text: str) -> list[Chunk]:
    """Chunks of one page's text, in order."""
    chunks: list[Chunk] = []
    current: list[tuple[int, int]] = []
    size = 0.0

    def emit() -> None:
        start, end = _stripped(text, current[0][0], current[-1][1])
        cleaned = clean_chunk_text(text[start:end])
        if cleaned:
            chunks.append(Chunk(page, Span(start, end), cleaned))

    for segment in _segments(text):
        segment_units = units(text[segment[0]:segment[1]])
        if current and size + segment_units > TARGET_UNITS:
            emit()
            last = current[-1]
            last_units = units(text[last[0]:last[1]])
            current, size = ([last], last_units) if last_units <= MAX_OVERLAP_UNITS else ([], 0.0)
        current.append(segment)
        size += segment_units
    if current and (not chunks or current[-1][1] > chunks[-1].span.end):
        emit()
    return chunks
