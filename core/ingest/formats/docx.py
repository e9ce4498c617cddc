"""Word documents (.docx): a zip of XML; ``word/document.xml`` is read with ``zipfile`` and
``xml.etree`` (no extra dependency).

Paragraphs keep their text (runs, tabs, line breaks); paragraphs styled ``Title`` or
``Heading1``-``Heading3`` start sections (localized style ids are not recognised, those
paragraphs are simply text); tables become rows with cells joined by " | " (the first
row is the header); an explicit page break (``<w:br w:type="page"/>``) starts a new page.
Paginated by :mod:`.blocks`. Any thread.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

from core.errors import CorruptFile
from core.ingest.formats.blocks import Paragraph, paginate
from core.ingest.page import PageText

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^(Title|Heading[1-3]|heading [1-3])$", re.IGNORECASE)
#: A document.xml larger than this is refused rather than parsed into memory.
MAX_XML_BYTES = 200 * 2**20
_PAGE_BREAK = "\f"


def is_docx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _paragraph_text(paragraph: ElementTree.Element) -> str:
    parts: list[str] = []
    for node in paragraph.iter():
        if node.tag == f"{_W}t" and node.text:
            parts.append(node.text)
        elif node.tag == f"{_W}tab":
            parts.append("\t")
        elif node.tag in (f"{_W}br", f"{_W}cr"):
            parts.append(_PAGE_BREAK if node.get(f"{_W}type") == "page" else "\n")
    return "".join(parts)


def _style(paragraph: ElementTree.Element) -> str:
    style = paragraph.find(f"{_W}pPr/{_W}pStyle")
    return style.get(f"{_W}val", "") if style is not None else ""


def _table_rows(table: ElementTree.Element) -> list[str]:
    rows = []
    for row in table.iter(f"{_W}tr"):
        cells = [" ".join(_paragraph_text(p).strip() for p in cell.iter(f"{_W}p")).strip()
                 for cell in row.findall(f"{_W}tc")]
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


def _blocks(body: ElementTree.Element) -> Iterator[Paragraph | None]:
    """Paragraphs in document order; None marks an explicit page break."""
    for node in body:
        if node.tag == f"{_W}p":
            text = _paragraph_text(node)
            heading = bool(_HEADING_STYLE.match(_style(node)))
            for index, piece in enumerate(text.split(_PAGE_BREAK)):
                if index:
                    yield None
                yield Paragraph(piece, heading=heading)
        elif node.tag == f"{_W}tbl":
            rows = _table_rows(node)
            if rows:
                yield Paragraph("\n".join(rows), table_header=rows[0])
        elif node.tag == f"{_W}sdt":  # content controls (e.g. a table of contents) wrap paragraphs
            content = node.find(f"{_W}sdtContent")
            if content is not None:
                yield from _blocks(content)


def read_docx(path: Path) -> list[PageText]:
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_XML_BYTES:
                raise CorruptFile(f"{path.name}: the document's text is too large to import ({info.file_size} bytes)")
            root = ElementTree.fromstring(archive.read(info))
    except KeyError as error:
        raise CorruptFile(f"{path.name}: not a Word document (no word/document.xml inside)") from error
    except (zipfile.BadZipFile, ElementTree.ParseError, OSError) as error:
        raise CorruptFile(f"{path.name}: the DOCX file is damaged and cannot be read ({error})") from error
    body = root.find(f"{_W}body")
    if body is None:
        raise CorruptFile(f"{path.name}: the DOCX file is damaged (no document body)")
    pages: list[PageText] = []
    section: list[Paragraph] = []
    for block in _blocks(body):
        if block is None:
            pages.extend(paginate(section))
            section = []
        else:
            section.append(block)
    pages.extend(paginate(section))
    return [PageText(number, page.text, page.method, tables=page.tables) for number, page in enumerate(pages, 1)]
