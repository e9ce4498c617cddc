"""Real PDFs made on the fly for tests (PyMuPDF), so no test depends on third-party files."""

from __future__ import annotations

from pathlib import Path

import pymupdf

A4 = pymupdf.paper_rect("a4")


def text_pdf(path: Path, pages: list[str], *, fontname: str = "helv", fontsize: float = 11) -> Path:
    """A born-digital PDF with one text box per page."""
    document = pymupdf.open()
    for text in pages:
        page = document.new_page(width=A4.width, height=A4.height)
        left = page.insert_textbox(pymupdf.Rect(50, 50, A4.width - 50, A4.height - 50), text,
                                   fontname=fontname, fontsize=fontsize)
        assert left >= 0, "test text does not fit on a page"
    document.save(path)
    return path


def scanned_pdf(path: Path, text: str, *, fontname: str = "helv", dpi: int = 200) -> Path:
    """An image-only page: the text is typeset, rendered to a bitmap, and placed without a text layer."""
    source = pymupdf.open()
    text_pdf_page = source.new_page(width=A4.width, height=A4.height)
    text_pdf_page.insert_textbox(pymupdf.Rect(50, 50, A4.width - 50, A4.height - 50), text, fontname=fontname, fontsize=13)
    pixmap = text_pdf_page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    document = pymupdf.open()
    page = document.new_page(width=A4.width, height=A4.height)
    page.insert_image(page.rect, stream=pixmap.tobytes("png"))
    document.save(path)
    return path


def encrypted_pdf(path: Path, text: str = "Secret quarterly numbers for the board.") -> Path:
    document = pymupdf.open()
    page = document.new_page()
    page.insert_text((72, 72), text)
    document.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="letmein", owner_pw="owner")
    return path


def many_pages_pdf(path: Path, count: int) -> Path:
    """A long born-digital PDF whose pages each hold distinct sentences."""
    document = pymupdf.open()
    for n in range(1, count + 1):
        page = document.new_page(width=A4.width, height=A4.height)
        body = " ".join(
            f"Section {n}.{k}: the inventory of warehouse {n * 7 + k} lists {n * 13 + k} crates of item {n}-{k}."
            for k in range(1, 9)
        )
        page.insert_textbox(pymupdf.Rect(50, 50, A4.width - 50, A4.height - 50), body, fontsize=10)
    document.save(path, garbage=3, deflate=True)
    return path


def paged_pdf(path: Path, bodies: list[str], *, header: str | None = None, footer: str = "Page {n} of {total}",
              fontname: str = "helv") -> Path:
    """A report-like PDF: a running header in the top margin and a footer (``{n}``/``{total}``
    filled in) in the bottom margin of every page, each body in the middle of its page."""
    document = pymupdf.open()
    total = len(bodies)
    for n, body in enumerate(bodies, 1):
        page = document.new_page(width=A4.width, height=A4.height)
        if header:
            page.insert_textbox(pymupdf.Rect(50, 30, A4.width - 50, 50), header, fontname=fontname, fontsize=9)
        page.insert_textbox(pymupdf.Rect(50, 100, A4.width - 50, A4.height - 100), body, fontname=fontname, fontsize=11)
        if footer:
            page.insert_textbox(pymupdf.Rect(50, A4.height - 45, A4.width - 50, A4.height - 25),
                                footer.format(n=n, total=total), fontname=fontname, fontsize=9, align=1)
    document.save(path)
    return path
