"""Reading a PDF page by page with PyMuPDF, OCR'ing what has no text layer.

Pages are produced one at a time (a generator), so a 500-page file never sits in memory as a
whole. Per page the extractor decides:

* the text layer has usable text → use it, and OCR every embedded image big enough to hold a
  paragraph, placing its text at the image's position in reading order (method ``mixed``);
* no usable text → render the page and OCR it (method ``ocr``).

Called from the import worker thread only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.errors import CorruptPdf, DependencyMissing, EmptyFile, EncryptedPdf, NotAPdf, SourceMissing
from core.ingest.ocr import OcrEngine

log = logging.getLogger(__name__)

OCR_DPI = 150
MIN_USABLE_CHARS = 16
MIN_IMAGE_WIDTH_PT = 120.0
MIN_IMAGE_HEIGHT_PT = 24.0
_USABLE = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")

PageMethod = Literal["text", "ocr", "mixed"]


@dataclass(frozen=True)
class PageText:
    """The text of one page (1-based ``number``) and how it was obtained."""

    number: int
    text: str
    method: PageMethod
    ocr_confidence: float | None = None


def _pymupdf() -> Any:
    try:
        import pymupdf
    except ImportError as error:  # pragma: no cover - PyMuPDF is a core dependency
        raise DependencyMissing("PyMuPDF is not installed: pip install pymupdf") from error
    pymupdf.TOOLS.mupdf_display_errors(False)  # type: ignore[no-untyped-call]
    pymupdf.TOOLS.mupdf_display_warnings(False)  # type: ignore[no-untyped-call]
    return pymupdf


def open_pdf(path: Path) -> Any:
    """Open a PDF or raise the specific :class:`IngestError` that says what is wrong with it."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except FileNotFoundError as error:
        raise SourceMissing(f"{path}: the file does not exist") from error
    except OSError as error:
        raise SourceMissing(f"{path}: cannot read the file ({error.strerror})") from error
    if not head:
        raise EmptyFile(f"{path.name}: the file is empty (0 bytes)")
    if b"%PDF-" not in head:
        raise NotAPdf(f"{path.name}: not a PDF file (no PDF header); is it another format renamed to .pdf?")
    pymupdf = _pymupdf()
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
    """Render (part of) a page to an RGB numpy array for OCR."""
    import numpy as np

    pixmap = page.get_pixmap(dpi=dpi, clip=clip, alpha=False, colorspace=_pymupdf().csRGB)
    return np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(pixmap.height, pixmap.width, 3).copy()


def _ocr_text(ocr: OcrEngine, image: Any) -> tuple[str, float | None]:
    lines = ocr.read(image)
    if not lines:
        return "", None
    confidence = sum(line.confidence for line in lines) / len(lines)
    return "\n".join(line.text for line in lines), confidence


def _image_blocks(page: Any, ocr: OcrEngine) -> list[tuple[float, float, str, float]]:
    """(y0, x0, text, confidence) of OCR'd images large enough to hold text."""
    found = []
    seen: set[tuple[int, int, int, int]] = set()
    for info in page.get_image_info():
        x0, y0, x1, y1 = info["bbox"]
        key = (round(x0), round(y0), round(x1), round(y1))
        if x1 - x0 < MIN_IMAGE_WIDTH_PT or y1 - y0 < MIN_IMAGE_HEIGHT_PT or key in seen:
            continue
        seen.add(key)
        clip = _pymupdf().Rect(x0, y0, x1, y1) & page.rect
        if clip.is_empty:
            continue
        text, confidence = _ocr_text(ocr, render_rgb(page, clip))
        if text and confidence is not None:
            found.append((y0, x0, text, confidence))
    return found


def _mixed_text(page: Any, images: list[tuple[float, float, str, float]]) -> str:
    """Text blocks in content order, with each image's OCR text inserted at its vertical position."""
    blocks = [(b[1], b[4].strip()) for b in page.get_text("blocks") if b[6] == 0 and b[4].strip()]
    parts: list[str] = []
    pending = sorted(images)
    for y0, text in blocks:
        while pending and pending[0][0] <= y0:
            parts.append(pending.pop(0)[2])
        parts.append(text)
    parts.extend(image[2] for image in pending)
    return "\n".join(parts)


def extract_pages(document: Any, ocr: OcrEngine | None) -> Iterator[PageText]:
    """Yield each page's text in order. ``ocr=None`` disables OCR (pages without text stay empty)."""
    for index in range(document.page_count):
        page = document.load_page(index)
        text = page.get_text("text").strip()
        if is_usable(text):
            images = _image_blocks(page, ocr) if ocr is not None and page.get_image_info() else []
            if images:
                mean = sum(image[3] for image in images) / len(images)
                yield PageText(index + 1, _mixed_text(page, images), "mixed", mean)
            else:
                yield PageText(index + 1, text, "text")
        elif ocr is not None:
            ocr_text, confidence = _ocr_text(ocr, render_rgb(page))
            yield PageText(index + 1, ocr_text, "ocr", confidence)
        else:
            yield PageText(index + 1, text, "text")
