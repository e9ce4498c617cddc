"""Reading a PDF page by page with PyMuPDF, OCR'ing what has no usable text layer.

Pages are produced one at a time (a generator), so a 500-page file never sits in memory as a
whole. Per page the extractor decides (recorded in :attr:`PageText.method`):

* the text layer is usable → use it (``text``), and OCR every embedded image big enough to hold
  a paragraph, placing its text at the image's position in reading order (``mixed``);
* a text-layer page whose text suggests a table gets its table rows rebuilt as ``a | b | c``
  lines (:mod:`core.ingest.tables`);
* no usable text → render the page and OCR it (``ocr``). "Not usable" means too little text, a
  junk layer (mojibake, private-use glyphs, few real words; see :mod:`core.ingest.textcheck`), or
  text drawn invisibly (render mode 3, the layer a scanner's OCR leaves) over a picture covering
  the page: that layer is of unknown quality and has no boxes, so the page is OCR'd again.

OCR reads the page in whichever orientation its content lies (:mod:`core.ingest.orient`); pages
with a ``/Rotate`` attribute are rendered upright by PyMuPDF already. OCR'd lines keep their boxes
in unrotated page points with their offsets into the page text (:class:`TextLine`).

Called from the import worker thread only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.datatypes import Box
from core.errors import CorruptPdf, DependencyMissing, EncryptedPdf, NotAPdf
from core.fileio import read_head
from core.ingest.ocr import OcrEngine, OcrLine
from core.ingest.orient import mean_confidence, read_upright
from core.ingest.page import PageMethod, PageText, TextLine
from core.ingest.tables import looks_tabular, rebuild_with_tables
from core.ingest.textcheck import check_text

__all__ = ["PageMethod", "PageText", "TextLine", "extract_pages", "is_usable", "open_pdf", "render_rgb"]

log = logging.getLogger(__name__)

OCR_DPI = 150
#: Bump when extraction changes what text a page yields (part of the eval cache key).
EXTRACTION_VERSION = 2
MIN_USABLE_CHARS = 16
MIN_IMAGE_WIDTH_PT = 120.0
MIN_IMAGE_HEIGHT_PT = 24.0
#: A picture covering this share of the page makes it a scan (for the invisible-text check).
FULL_PAGE_IMAGE_SHARE = 0.8
INVISIBLE_SHARE = 0.5
_USABLE = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")


def pymupdf_module() -> Any:
    """PyMuPDF, imported on first use with MuPDF's own error printing switched off."""
    try:
        import pymupdf
    except ImportError as error:  # pragma: no cover - PyMuPDF is a core dependency
        raise DependencyMissing("PyMuPDF is not installed: pip install pymupdf") from error
    pymupdf.TOOLS.mupdf_display_errors(False)  # type: ignore[no-untyped-call]
    pymupdf.TOOLS.mupdf_display_warnings(False)  # type: ignore[no-untyped-call]
    return pymupdf


def open_pdf(path: Path) -> Any:
    """Open a PDF or raise the specific :class:`IngestError` that says what is wrong with it."""
    head = read_head(path, 1024)
    if b"%PDF-" not in head:
        raise NotAPdf(f"{path.name}: not a PDF file (no PDF header); is it another format renamed to .pdf?")
    pymupdf = pymupdf_module()
    try:
        document = pymupdf.open(str(path), filetype="pdf")
    except Exception as error:
        raise CorruptPdf(f"{path.name}: the PDF is damaged and cannot be read ({error})") from error
    if document.needs_pass:
        document.close()
        raise EncryptedPdf(f"{path.name}: the PDF is password-protected; remove the password and import it again")
    if document.page_count == 0:
        document.close()
        raise CorruptPdf(f"{path.name}: the PDF is damaged or empty: it has no readable pages")
    return document


def is_usable(text: str) -> bool:
    return len(_USABLE.findall(text)) >= MIN_USABLE_CHARS


def render_rgb(page: Any, clip: Any = None, dpi: int = OCR_DPI) -> Any:
    """Render (part of) a page to an RGB numpy array for OCR. ``clip`` is in the page's displayed
    (rotated) space, as ``page.rect`` is."""
    import numpy as np

    pixmap = page.get_pixmap(dpi=dpi, clip=clip, alpha=False, colorspace=pymupdf_module().csRGB)
    return np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(pixmap.height, pixmap.width, 3).copy()


def _page_box(page: Any, box: Box, origin: tuple[float, float], dpi: int) -> Box:
    """A box in rendered pixels (of a render whose top-left is ``origin`` in displayed page
    points) → unrotated page points, the space of ``page.get_text()``."""
    scale = 72.0 / dpi
    shown = pymupdf_module().Rect(origin[0] + box[0] * scale, origin[1] + box[1] * scale,
                            origin[0] + box[2] * scale, origin[1] + box[3] * scale)
    if page.rotation:
        shown = shown * page.derotation_matrix
    return (round(shown.x0, 1), round(shown.y0, 1), round(shown.x1, 1), round(shown.y1, 1))


def _ocr_region(page: Any, ocr: OcrEngine, clip: Any = None) -> tuple[list[OcrLine], list[Box], int]:
    """OCR the page (or the displayed-space ``clip``): lines, their boxes in page points, rotation."""
    read = read_upright(ocr, render_rgb(page, clip))
    origin = (clip.x0, clip.y0) if clip is not None else (page.rect.x0, page.rect.y0)
    return read.lines, [_page_box(page, line.box, origin, OCR_DPI) for line in read.lines], read.rotation


class _Builder:
    """Accumulates page text and the OCR'd lines' offsets into it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.lines: list[TextLine] = []

    def add(self, text: str) -> None:
        if self.parts:
            self.parts.append("\n")
            self.length += 1
        self.parts.append(text)
        self.length += len(text)

    def add_ocr(self, lines: list[OcrLine], boxes: list[Box]) -> None:
        for line, box in zip(lines, boxes, strict=True):
            self.add(line.text)
            self.lines.append(TextLine(self.length - len(line.text), self.length, box, round(line.confidence, 3)))

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _image_regions(page: Any) -> list[tuple[float, float, Any]]:
    """(y0, x0, displayed-space clip) of pictures large enough to hold text, unrotated y0/x0."""
    pymupdf = pymupdf_module()
    found = []
    seen: set[tuple[int, int, int, int]] = set()
    for info in page.get_image_info():
        x0, y0, x1, y1 = info["bbox"]
        key = (round(x0), round(y0), round(x1), round(y1))
        if x1 - x0 < MIN_IMAGE_WIDTH_PT or y1 - y0 < MIN_IMAGE_HEIGHT_PT or key in seen:
            continue
        seen.add(key)
        clip = pymupdf.Rect(x0, y0, x1, y1)
        if page.rotation:
            clip = clip * page.rotation_matrix
        clip = clip & page.rect
        if not clip.is_empty:
            found.append((y0, x0, clip))
    return found


def _mixed_page(page: Any, number: int, ocr: OcrEngine) -> PageText | None:
    """Text blocks in content order with each picture's OCR text at its vertical position, or
    None when no picture holds text."""
    images = []
    for y0, _x0, clip in sorted(_image_regions(page), key=lambda item: (item[0], item[1])):
        lines, boxes, _ = _ocr_region(page, ocr, clip)
        if lines:
            images.append((y0, lines, boxes))
    if not images:
        return None
    builder = _Builder()
    pending = list(images)
    for block in page.get_text("blocks"):
        if block[6] != 0 or not block[4].strip():
            continue
        while pending and pending[0][0] <= block[1]:
            _, lines, boxes = pending.pop(0)
            builder.add_ocr(lines, boxes)
        builder.add(block[4].strip())
    for _, lines, boxes in pending:
        builder.add_ocr(lines, boxes)
    all_lines = [line for _, lines, _ in images for line in lines]
    return PageText(number, builder.text, "mixed", mean_confidence(all_lines), tuple(builder.lines))


def invisible_over_picture(page: Any) -> bool:
    """Whether most of the text is drawn invisibly (render mode 3 or fully transparent) over a
    picture covering the page: the text layer a scanner's OCR leaves behind."""
    area = abs(page.rect)
    if not area or not any(
        abs(pymupdf_module().Rect(info["bbox"]) & page.cropbox) >= FULL_PAGE_IMAGE_SHARE * area
        for info in page.get_image_info()
    ):
        return False
    total = hidden = 0
    for span in page.get_texttrace():
        count = len(span.get("chars", ()))
        total += count
        if span.get("type") == 3 or span.get("opacity", 1.0) == 0:
            hidden += count
    return total > 0 and hidden / total >= INVISIBLE_SHARE


def ocr_page(page: Any, number: int, ocr: OcrEngine, note: str = "") -> PageText:
    """The whole rendered page OCR'd, upright whatever the content's orientation."""
    lines, boxes, rotation = _ocr_region(page, ocr)
    builder = _Builder()
    builder.add_ocr(lines, boxes)
    return PageText(number, builder.text, "ocr", mean_confidence(lines), tuple(builder.lines), rotation=rotation,
                    note=note)


def read_page(page: Any, number: int, ocr: OcrEngine | None) -> PageText:
    """Decide how to read one page (see the module docstring) and read it."""
    text = page.get_text("text").strip()
    if not is_usable(text):
        return ocr_page(page, number, ocr) if ocr is not None else PageText(number, text, "text")
    if ocr is not None:
        verdict = check_text(text)
        if not verdict.ok:
            log.info("event=ocr_instead page=%d reason=%r", number, verdict.reason)
            return ocr_page(page, number, ocr, verdict.reason)
        if page.get_image_info():
            if invisible_over_picture(page):
                log.info("event=ocr_instead page=%d reason=invisible", number)
                return ocr_page(page, number, ocr, "invisible text over a page-size picture")
            mixed = _mixed_page(page, number, ocr)
            if mixed is not None:
                return mixed
    if looks_tabular(text):  # tables as rows (text-layer pages only; see core.ingest.tables)
        rebuilt = rebuild_with_tables(page)
        if rebuilt is not None:
            return PageText(number, rebuilt[0], "text", tables=rebuilt[1])
    return PageText(number, text, "text")


def extract_pages(document: Any, ocr: OcrEngine | None) -> Iterator[PageText]:
    """Yield each page's text in order. ``ocr=None`` disables OCR (pages without text stay empty,
    junk text layers are kept as they are)."""
    for index in range(document.page_count):
        yield read_page(document.load_page(index), index + 1, ocr)
