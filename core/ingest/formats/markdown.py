"""Markdown files: ATX headings (``#`` …) start sections; link and image syntax is reduced to
its text, emphasis markers and HTML comments are dropped, so chunks read as prose. Tables keep
their rows (``| a | b |``). Paginated by :mod:`.blocks`. Any thread.
"""

from __future__ import annotations

import re
from pathlib import Path

from core.ingest.formats.blocks import Paragraph, paginate
from core.ingest.formats.text import decode
from core.ingest.page import PageText

_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*]))")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _inline(text: str) -> str:
    return _EMPHASIS.sub("", _LINK.sub(r"\1", _IMAGE.sub(r"\1", text)))


def _table_row(line: str) -> str:
    return " | ".join(cell.strip() for cell in line.strip().strip("|").split("|"))


def paragraphs(source: str) -> list[Paragraph]:
    found: list[Paragraph] = []
    block: list[str] = []
    table: list[str] = []
    fenced = False

    def end_block() -> None:
        if block:
            found.append(Paragraph(_inline("\n".join(block))))
            block.clear()
        if table:
            rows = [_table_row(line) for line in table if not _TABLE_RULE.match(line)]
            found.append(Paragraph("\n".join(rows), table_header=rows[0] if rows else ""))
            table.clear()

    for line in _COMMENT.sub("", source).split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            block.append(line)
            continue
        heading = _HEADING.match(line)
        if heading:
            end_block()
            found.append(Paragraph(_inline(heading.group(1)), heading=True))
        elif not line.strip():
            end_block()
        elif line.lstrip().startswith("|"):
            if block:
                end_block()
            table.append(line)
        else:
            if table:
                end_block()
            block.append(line)
    end_block()
    return found


def read_markdown(path: Path) -> list[PageText]:
    return paginate(paragraphs(decode(path.read_bytes(), path.name)))
