"""Real non-PDF documents made on the fly for tests (DOCX written with zipfile, PNG with PyMuPDF)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _paragraph(text: str, style: str | None = None, page_break_before: bool = False) -> str:
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    brk = '<w:r><w:br w:type="page"/></w:r>' if page_break_before else ""
    return f'<w:p>{props}{brk}<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def _table(rows: list[list[str]]) -> str:
    body = "".join(
        "<w:tr>" + "".join(f"<w:tc>{_paragraph(cell)}</w:tc>" for cell in row) + "</w:tr>" for row in rows
    )
    return f"<w:tbl>{body}</w:tbl>"


def docx(path: Path, blocks: list[tuple[str, object]]) -> Path:
    """A Word document: blocks are ("title"|"heading"|"p"|"pagebreak-p", text) or ("table", rows)."""
    parts = []
    for kind, value in blocks:
        if kind == "table":
            parts.append(_table(value))  # type: ignore[arg-type]
        else:
            style = {"title": "Title", "heading": "Heading1"}.get(kind)
            parts.append(_paragraph(str(value), style, page_break_before=kind == "pagebreak-p"))
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}"><w:body>'
                + "".join(parts) + "<w:sectPr/></w:body></w:document>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document)
    return path


def png(path: Path, text: str, *, fontname: str = "helv", turn: int = 0) -> Path:
    """A picture of typeset text (like a photo or screenshot of a page), optionally turned clockwise."""
    from tests.core import pdfs

    pixmap = pdfs._turned(pdfs._typeset_pixmap(text, fontname, 150), turn // 90)
    pixmap.save(str(path))
    return path
