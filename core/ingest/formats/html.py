"""HTML files, read with the standard library's ``html.parser``.

Block elements end paragraphs, ``h1``-``h3`` start sections, ``script``/``style``/``head`` and
other non-content elements are skipped, table rows become lines with cells joined by " | " (the
first row is the table's header). Paginated by :mod:`.blocks`. Any thread (one parser per call).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from core.ingest.formats.blocks import Paragraph, paginate
from core.ingest.formats.text import decode
from core.ingest.page import PageText

_SKIP = {"script", "style", "head", "noscript", "template", "svg", "nav", "button", "select", "iframe", "object"}
_BLOCK = {"p", "div", "section", "article", "header", "footer", "main", "aside", "blockquote", "pre", "li", "ul",
          "ol", "dl", "dt", "dd", "figure", "figcaption", "form", "fieldset", "address", "hr", "h4", "h5", "h6"}
_HEADINGS = {"h1", "h2", "h3"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "embed", "source", "track", "wbr"}
_SPACES = re.compile(r"[ \t\r\n\f\u00a0]+")
_BREAK = "\u2028"  # a <br>, kept through whitespace folding and turned into a line break
_BREAK_SPACES = re.compile(" ?\u2028 ?")
_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_\-]+)", re.IGNORECASE)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[Paragraph] = []
        self._text: list[str] = []
        self._skip = 0
        self._pre = 0
        self._heading = False
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def _flush(self) -> None:
        text = "".join(self._text)
        if self._pre:
            text = text.replace(_BREAK, "\n").strip()
        else:
            text = _BREAK_SPACES.sub("\n", _SPACES.sub(" ", text)).strip()
        if text:
            self.paragraphs.append(Paragraph(text, heading=self._heading))
        self._text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += tag not in _VOID
            return
        if self._skip:
            return
        if tag == "table" and self._rows is None:
            self._flush()
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []
        elif tag == "br":
            if self._cell is not None:
                self._cell.append(" ")
            else:
                self._text.append(_BREAK)
        elif (tag in _HEADINGS or tag in _BLOCK) and self._cell is None:
            self._flush()
            self._heading = tag in _HEADINGS
            self._pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
            return
        if self._skip:
            return
        if tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append(_SPACES.sub(" ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "table" and self._rows is not None:
            rows = [" | ".join(row) for row in self._rows if any(row)]
            if rows:
                self.paragraphs.append(Paragraph("\n".join(rows), table_header=rows[0]))
            self._rows, self._cell = None, None
        elif (tag in _HEADINGS or tag in _BLOCK) and self._cell is None:
            self._flush()
            self._heading = False
            self._pre = max(0, self._pre - (tag == "pre"))

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif self._rows is None:
            self._text.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _decode(data: bytes, name: str) -> str:
    declared = _CHARSET.search(data[:4096])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return decode(data, name)


def paragraphs(markup: str) -> list[Paragraph]:
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    return collector.paragraphs


def read_html(path: Path) -> list[PageText]:
    return paginate(paragraphs(_decode(path.read_bytes(), path.name)))
