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


def _typeset_pixmap(text: str, fontname: str, dpi: int, *, skew: float = 0.0) -> pymupdf.Pixmap:
    """The text typeset on an A4 page and rendered to a grey bitmap, optionally skewed by degrees."""
    source = pymupdf.open()
    page = source.new_page(width=A4.width, height=A4.height)
    page.insert_textbox(pymupdf.Rect(50, 50, A4.width - 50, A4.height - 50), text, fontname=fontname, fontsize=13)
    if skew:
        tilted = pymupdf.open()
        tilted_page = tilted.new_page(width=A4.width, height=A4.height)
        tilted_page.show_pdf_page(tilted_page.rect, source, 0, rotate=skew)
        page = tilted_page
    return page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)


def _turned(pixmap: pymupdf.Pixmap, quarters: int) -> pymupdf.Pixmap:
    """The bitmap turned ``quarters`` × 90° clockwise."""
    import numpy as np

    pixels = np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(pixmap.height, pixmap.width)
    pixels = np.ascontiguousarray(np.rot90(pixels, -quarters))
    return pymupdf.Pixmap(pymupdf.csGRAY, pixels.shape[1], pixels.shape[0], pixels.tobytes(), False)


def rotated_scan_pdf(path: Path, text: str, *, fontname: str = "helv", content_turn: int = 0, rotate_attr: int = 0,
                     skew: float = 0.0, dpi: int = 200) -> Path:
    """An image-only page whose picture shows the text turned ``content_turn`` degrees clockwise
    (the page is shaped to fit it), optionally with a ``/Rotate`` attribute and a small skew."""
    pixmap = _turned(_typeset_pixmap(text, fontname, dpi, skew=skew), content_turn // 90)
    document = pymupdf.open()
    width, height = (A4.width, A4.height) if content_turn % 180 == 0 else (A4.height, A4.width)
    page = document.new_page(width=width, height=height)
    page.insert_image(page.rect, stream=pixmap.tobytes("png"))
    if rotate_attr:
        page.set_rotation(rotate_attr)
    document.save(path)
    return path


def scan_with_text_layer_pdf(path: Path, text: str, layer: str, *, fontname: str = "helv", invisible: bool,
                             layer_font: str = "helv") -> Path:
    """A scanned page (the text as a page-size picture) carrying another text layer: drawn
    invisibly (render mode 3, as scanners' OCR does) or in white (visible mode, unseen)."""
    pixmap = _typeset_pixmap(text, fontname, 200)
    document = pymupdf.open()
    page = document.new_page(width=A4.width, height=A4.height)
    page.insert_image(page.rect, stream=pixmap.tobytes("png"))
    page.insert_textbox(pymupdf.Rect(50, 400, A4.width - 50, A4.height - 50), layer, fontname=layer_font,
                        fontsize=9, render_mode=3 if invisible else 0, color=(1, 1, 1))
    document.save(path)
    return path


def table_pdf(path: Path, rows: list[list[str]], *, title: str = "Regional sales (in thousands)") -> Path:
    """A born-digital page with a title and a ruled table whose cells are separate text lines
    (as in financial reports); a cell ``"$ 1,310"`` is drawn as two cells, ``$`` and the number."""
    document = pymupdf.open()
    page = document.new_page(width=A4.width, height=A4.height)
    page.insert_text((50, 60), title, fontsize=13)
    columns = [50, 250, 340, 430]
    y = 90.0
    for row in rows:
        for x, cell in zip(columns, row, strict=False):
            if cell.startswith("$ "):
                page.insert_text((x, y), "$", fontsize=10)
                page.insert_text((x + 20, y), cell[2:], fontsize=10)
            else:
                page.insert_text((x, y), cell, fontsize=10)
        page.draw_line((50, y + 4), (500, y + 4), width=0.3)
        y += 14
        if y > A4.height - 50:
            page = document.new_page(width=A4.width, height=A4.height)
            y = 60.0
    document.save(path)
    return path
