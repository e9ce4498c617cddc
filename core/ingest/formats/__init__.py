"""Every importable file kind behind one call: :func:`open_document`.

The kind is decided by magic bytes first (a PNG renamed ``.jpg`` still imports), then by the
extension for formats without a signature (TXT, Markdown, HTML). Each reader lives in its own
module and yields :class:`~core.ingest.page.PageText` pages; for text formats a "page" is a
section or a block of at most ~2,500 characters (:mod:`.blocks`), numbered from 1, with spans
into that block's text. Bad input raises a specific :class:`~core.errors.IngestError`.

Called from the import worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from core.errors import NotAPdf, UnsupportedFormat
from core.fileio import read_head
from core.ingest.ocr import OcrEngine
from core.ingest.page import PageText

Kind = Literal["pdf", "docx", "image", "html", "markdown", "text"]

SUFFIXES: dict[str, Kind] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image", ".tiff": "image", ".bmp": "image",
    ".gif": "image", ".webp": "image",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".md": "markdown", ".markdown": "markdown",
    ".txt": "text", ".text": "text",
}
#: What a folder import picks up (a file named explicitly is always tried).
SUPPORTED_SUFFIXES = tuple(SUFFIXES)
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SUPPORTED_TEXT = "PDF, Word (.docx), HTML, Markdown, plain text, and pictures (PNG, JPEG, TIFF, BMP, GIF, WebP)"


class SourceDocument:
    """An opened file: how many pages it has and a generator of them. ``close()`` releases it.

    ``pdf`` is the open PyMuPDF document of a PDF (cleaning reads its text layer up front to find
    running headers and footers); None for other formats.
    """

    def __init__(self, page_count: int, pages: Callable[[], Iterator[PageText]],
                 close: Callable[[], None] = lambda: None, pdf: Any = None) -> None:
        self.page_count = page_count
        self.pdf = pdf
        self._pages = pages
        self._close = close

    def pages(self) -> Iterator[PageText]:
        return self._pages()

    def close(self) -> None:
        self._close()


def detect_kind(path: Path, head: bytes) -> Kind:
    """The file's kind from its first bytes and extension; raises for kinds Wenku cannot import."""
    from core.ingest.formats.docx import is_docx

    suffix = path.suffix.lower()
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head.startswith(b"PK\x03\x04") and is_docx(path):
        return "docx"
    if suffix == ".pdf":
        raise NotAPdf(f"{path.name}: not a PDF file (no PDF header); is it another format renamed to .pdf?")
    if head.startswith(_OLE_MAGIC):
        raise UnsupportedFormat(f"{path.name}: an old Office file (.doc/.xls/.ppt) cannot be imported; save it as "
                                f".docx or PDF first")
    kind = SUFFIXES.get(suffix)
    if kind in ("docx", "image"):
        from core.errors import CorruptFile

        raise CorruptFile(f"{path.name}: the file is not a valid {suffix[1:].upper()} file (damaged, or another "
                          f"format renamed)")
    if kind is not None:
        return kind
    if head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "html"
    raise UnsupportedFormat(f"{path.name}: this kind of file ({suffix or 'no extension'}) cannot be imported; "
                            f"Wenku imports {SUPPORTED_TEXT}")


def open_document(path: Path, ocr: OcrEngine | None) -> SourceDocument:
    """Open any supported file for reading page by page (see the module docstring)."""
    kind = detect_kind(path, read_head(path))
    if kind == "pdf":
        from core.ingest.pdf import extract_pages, open_pdf

        document: Any = open_pdf(path)
        return SourceDocument(document.page_count, lambda: extract_pages(document, ocr), document.close, pdf=document)
    pages = _read_whole(path, kind, ocr)
    return SourceDocument(len(pages), lambda: iter(pages))


def _read_whole(path: Path, kind: Kind, ocr: OcrEngine | None) -> list[PageText]:
    """Formats that are read whole (they are small next to PDFs): their pages, in order."""
    if kind == "image":
        from core.ingest.formats.image import read_image

        return read_image(path, ocr)
    if kind == "docx":
        from core.ingest.formats.docx import read_docx

        return read_docx(path)
    if kind == "html":
        from core.ingest.formats.html import read_html

        return read_html(path)
    if kind == "markdown":
        from core.ingest.formats.markdown import read_markdown

        return read_markdown(path)
    from core.ingest.formats.text import read_text

    return read_text(path)
