"""The cleaning stage of an import: page text → the chunks worth indexing, and what was removed.

Per document, in this order: running headers/footers/page numbers are blanked from each page
(:mod:`core.ingest.boilerplate`, length-preserving), the page is chunked (spans index into the
extracted page text, so citations stay exact), personal data is masked in each chunk's text when
the workspace asks for it (:mod:`core.ingest.pii`; findings are computed on the whole page, so a
number cut by a chunk boundary is still masked), and chunks with nothing worth finding are
dropped (:mod:`core.ingest.quality`). The counts go into the import report.

Pages come from :func:`core.ingest.pdf.extract_pages`; only ``number``, ``text``, ``method`` and
``ocr_confidence`` are read, the last two tolerantly (an OCR stage may or may not set them). An OCR
confidence is applied only to pages read wholly by OCR: on a ``mixed`` page it describes the
pictures, not the text layer. One cleaner per document, on the import worker thread.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.doclabel import document_label
from core.ingest.boilerplate import BoilerplateDetector
from core.ingest.chunking import Chunk, chunk_page, clean_chunk_text
from core.ingest.page import PageText
from core.ingest.pii import find_pii, mask_range
from core.ingest.quality import MIN_OCR_CONFIDENCE, drop_reason
from core.ingest.tables import repeat_headers

#: The keyword context of a chunk holds at most this many running titles and characters.
MAX_TITLES = 3
MAX_CONTEXT_CHARS = 200


class PageLike(Protocol):
    """What the cleaner reads from a page (``method``/``ocr_confidence`` are read with getattr)."""

    @property
    def number(self) -> int: ...

    @property
    def text(self) -> str: ...


@dataclass
class CleaningStats:
    """What cleaning removed from one document."""

    boilerplate_lines: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    pii: Counter[str] = field(default_factory=Counter)
    kept: int = 0

    def no_text_reason(self, ocr_enabled: bool) -> str:
        """Why a document ended up with no chunk at all, in words for the user."""
        if self.dropped.get("low_ocr_confidence"):
            return f"OCR found only unreadable text (confidence below {MIN_OCR_CONFIDENCE:.2f})"
        if self.dropped or self.boilerplate_lines:
            return "it holds only page numbers, headers/footers or punctuation"
        return "no text layer and OCR found nothing" if ocr_enabled else "no text layer (OCR is off)"


def page_method(page: Any) -> str:
    """The page's extraction method (``text|ocr|mixed``); ``text`` when the page does not say."""
    return str(getattr(page, "method", None) or "text")


def page_confidence(page: Any) -> float | None:
    value = getattr(page, "ocr_confidence", None)
    return float(value) if value is not None else None


class DocumentCleaner:
    """Cleans the pages of one document. Build with :meth:`for_document` before streaming pages."""

    def __init__(self, boilerplate: BoilerplateDetector | None, *, mask_pii: bool) -> None:
        self._boilerplate = boilerplate
        self._mask_pii = mask_pii
        self.stats = CleaningStats()

    @classmethod
    def for_document(cls, document: Any, *, mask_pii: bool) -> DocumentCleaner:
        """A cleaner for an open PyMuPDF document (one cheap pass over its text layer)."""
        return cls(BoilerplateDetector.scan(document), mask_pii=mask_pii)

    def keyword_context(self, file_name: str) -> str:
        """Words that say which document a chunk is from, for keyword search only: the file name
        and the running titles that were removed from the chunks (measured: removing them without
        this cost BM25 recall on the dev kit, where questions name the company and year)."""
        titles = self._boilerplate.titles[:MAX_TITLES] if self._boilerplate is not None else ()
        return " ".join((document_label(file_name), *titles))[:MAX_CONTEXT_CHARS]

    def page_text(self, page: PageLike) -> str:
        """The page text with boilerplate lines blanked (same length as ``page.text``)."""
        if self._boilerplate is None:
            return page.text
        text, removed = self._boilerplate.blank(page.number, page.text)
        self.stats.boilerplate_lines += removed
        return text

    def chunks(self, page: PageLike) -> list[Chunk]:
        """The page's chunks to index: boilerplate blanked, PII masked if asked, junk dropped."""
        text = self.page_text(page)
        confidence = page_confidence(page) if page_method(page) == "ocr" else None
        findings = find_pii(text) if self._mask_pii else []
        self.stats.pii.update(match.kind for match in findings)
        kept: list[Chunk] = []
        chunks = chunk_page(page.number, text)
        if isinstance(page, PageText):  # split tables repeat their header row in each chunk
            chunks = repeat_headers(chunks, page)
        for chunk in chunks:
            shown = chunk.text
            if findings:
                masked, _ = mask_range(text, chunk.span.start, chunk.span.end, findings)
                shown = clean_chunk_text(masked)
            reason = drop_reason(shown, confidence)
            if reason is not None:
                self.stats.dropped[reason] += 1
                continue
            kept.append(Chunk(chunk.page, chunk.span, shown))
        self.stats.kept += len(kept)
        return kept

    def display_text(self, page: PageLike) -> str:
        """What import sees of the page, for ``wenku extract``: boilerplate lines removed, PII masked."""
        blanked = self.page_text(page)
        lines = [new for old, new in zip(page.text.split("\n"), blanked.split("\n"), strict=True)
                 if not (old.strip() and not new.strip())]
        text = "\n".join(lines)
        if self._mask_pii:
            text, _ = mask_range(text, 0, len(text), find_pii(text))
        return text
