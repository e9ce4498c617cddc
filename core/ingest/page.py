"""What extraction produces for one page: its text, how it was obtained, and OCR line boxes.

This is the record every format reader yields (PDF, images, text formats) and the pipeline, the
chunker and ``wenku extract`` consume. Frozen plain data, so any thread may read it.

Coordinates: a :class:`TextLine` box is in PDF points in the **unrotated** page space, the space
PyMuPDF's ``page.get_text()``, ``page.search_for()`` and annotations use (origin top-left of the
page's CropBox, y down). A viewer that shows the page as rendered by ``page.get_pixmap()`` (which
applies ``/Rotate``) maps a box to the picture with ``pymupdf.Rect(box) * page.rotation_matrix``
and then scales by ``dpi / 72``. For an imported picture (PNG/JPEG...) a "point" is one pixel of
the original image. Text formats (TXT, Markdown, HTML, DOCX) have no boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.datatypes import Box, Span

#: ``text``: the PDF's text layer (or a text format); ``ocr``: the rendered page was OCR'd;
#: ``mixed``: text layer plus OCR of the pictures on the page.
PageMethod = Literal["text", "ocr", "mixed"]


@dataclass(frozen=True)
class TextLine:
    """One OCR'd line: ``[start, end)`` character offsets into the page text, its box, its score."""

    start: int
    end: int
    box: Box
    confidence: float


@dataclass(frozen=True)
class TableSpan:
    """A table in the page text (``[start, end)``, rows on their own lines, cells joined by " | ")
    and its header row, so a chunk that starts inside the table can repeat the header."""

    start: int
    end: int
    header: str


@dataclass(frozen=True)
class PageText:
    """The text of one page (1-based ``number``) and how it was obtained.

    ``ocr_confidence`` is the mean recognition score of the OCR'd lines (None when OCR did not
    run or read nothing). ``lines`` holds the OCR'd lines with boxes (empty for text-layer text).
    ``rotation`` is how many degrees (clockwise) the page picture was turned before OCR because
    its content lay sideways or upside down (0 for upright pages). ``note`` says why OCR was used
    on a page that had a text layer (``garbage`` / ``invisible``), for diagnostics.
    """

    number: int
    text: str
    method: PageMethod
    ocr_confidence: float | None = None
    lines: tuple[TextLine, ...] = ()
    tables: tuple[TableSpan, ...] = ()
    rotation: int = 0
    note: str = ""

    def lines_in(self, span: Span) -> tuple[TextLine, ...]:
        """The OCR'd lines that overlap ``span`` (a chunk's ``[start, end)`` in this page's text)."""
        return tuple(line for line in self.lines if line.start < span.end and line.end > span.start)
