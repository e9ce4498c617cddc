"""Tables on born-digital PDF pages, kept as rows: ``cell | cell | cell`` on one line each.

PyMuPDF's plain text puts every table cell on its own line (``Net sales\\n$\\n177,866\\n...``), so
a row's label and its numbers end up far apart in a chunk. This module rebuilds the rows from the
lines' positions: lines whose vertical centres agree form a visual row, pieces of a row separated
by a wide gap are cells, and a run of rows with several cells is a table. A currency sign alone in
a cell joins the number after it.

``page.find_tables()`` was measured too slow for every page: 2-10 s per page of a 10-K on the
development machine (2 busy cores; 4.2 s mean over 30 pages, including pages without any table),
against ~1 ms for the text itself. The geometry here costs one ``get_text("dict")`` call
(~10-20 ms) and runs only on pages whose text has many number-only lines
(:func:`looks_tabular`), the signature of a table in PyMuPDF's text output.

When a table is split over several chunks, the chunk that starts inside it repeats the header
row (:func:`repeat_headers`). Pure functions of a page, import worker thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from core.ingest.chunking import Chunk
from core.ingest.page import PageText, TableSpan

MIN_NUMBER_LINES = 6
#: A gap wider than this many line heights separates two cells.
CELL_GAP = 1.2
MIN_TABLE_ROWS = 3
MIN_CELLS_ROWS = 2
#: Rows with one cell ("ASSETS", "Current assets:") may interrupt a table this many times in a row.
MAX_LABEL_ROWS = 3
_NUMBER_LINE = re.compile(r"^[ \t]*(?:[(\-–—$€£¥]?[ \t]*[\d][\d,.]*%?\)?|[—–-]|[$€£¥%])[ \t]*$", re.MULTILINE)
_CURRENCY_SPACE = re.compile(r"^([$€£¥])\s+(?=[\d(—–-])")
_CURRENCY = {"$", "€", "£", "¥", "US$", "HK$", "RMB"}
_SUFFIX = {"%", ")", "%)"}


@dataclass(frozen=True)
class _Line:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    order: int

    @property
    def centre(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def looks_tabular(text: str) -> bool:
    """Whether a page's plain text has enough number-only lines to hold a table."""
    return len(_NUMBER_LINE.findall(text)) >= MIN_NUMBER_LINES


def _lines(page: Any) -> list[list[_Line]]:
    """The page's text lines grouped by block, in PyMuPDF's order."""
    blocks = []
    order = 0
    for block in page.get_text("dict")["blocks"]:
        if block.get("type") != 0:
            continue
        lines = []
        for line in block["lines"]:
            text = "".join(span["text"] for span in line["spans"]).strip()
            if text:
                x0, y0, x1, y1 = line["bbox"]
                lines.append(_Line(x0, y0, x1, y1, text, order))
                order += 1
        if lines:
            blocks.append(lines)
    return blocks


def _rows(lines: list[_Line]) -> list[list[_Line]]:
    """Visual rows (top to bottom), each left to right."""
    if not lines:
        return []
    heights = sorted(line.height for line in lines)
    tolerance = max(heights[len(heights) // 2] * 0.5, 1.0)
    rows: list[list[_Line]] = []
    for line in sorted(lines, key=lambda item: item.centre):
        if rows and abs(line.centre - rows[-1][0].centre) <= tolerance:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [sorted(row, key=lambda item: item.x0) for row in rows]


def _cells(row: list[_Line]) -> list[str]:
    height = max(line.height for line in row)
    cells: list[list[_Line]] = []
    for line in row:
        if cells and line.x0 - cells[-1][-1].x1 < CELL_GAP * height:
            cells[-1].append(line)
        else:
            cells.append([line])
    texts = [_CURRENCY_SPACE.sub(r"\1", " ".join(line.text for line in cell)) for cell in cells]
    merged: list[str] = []
    for text in texts:
        if merged and merged[-1] in _CURRENCY or merged and text in _SUFFIX:
            merged[-1] += text
        else:
            merged.append(text)
    return merged


@dataclass(frozen=True)
class _Table:
    rows: list[list[_Line]]
    texts: list[str]

    @property
    def members(self) -> set[int]:
        return {line.order for row in self.rows for line in row}


def _tables(lines: list[_Line]) -> list[_Table]:
    rows = _rows(lines)
    if not rows:
        return []
    gap_limit = 3 * sorted(line.height for line in lines)[len(lines) // 2]
    found: list[_Table] = []
    run: list[tuple[list[_Line], list[str]]] = []

    def close() -> None:
        while run and len(run[-1][1]) < 2:  # a run ends on a row with cells
            run.pop()
        if len(run) >= MIN_TABLE_ROWS and sum(1 for _, cells in run if len(cells) >= 3) >= MIN_CELLS_ROWS:
            found.append(_Table([row for row, _ in run], [" | ".join(cells) for _, cells in run]))
        run.clear()

    previous_bottom: float | None = None
    for row in rows:
        cells = _cells(row)
        top = min(line.y0 for line in row)
        if run and previous_bottom is not None and top - previous_bottom > gap_limit:
            close()
        labels = 0
        while labels < len(run) and len(run[-1 - labels][1]) < 2:
            labels += 1
        if len(cells) >= 2:
            run.append((row, cells))
        elif run and labels < MAX_LABEL_ROWS:
            run.append((row, cells))  # a label row ("Current assets:") inside a table
        else:
            close()
        previous_bottom = max(line.y1 for line in row)
    close()
    return found


def rebuild_with_tables(page: Any) -> tuple[str, tuple[TableSpan, ...]] | None:
    """The page text with each table's lines replaced by its rows (in the position of the table's
    first line), and the tables' spans; None when the page holds no table."""
    blocks = _lines(page)
    tables = _tables([line for block in blocks for line in block])
    if not tables:
        return None
    owner = {order: index for index, table in enumerate(tables) for order in table.members}
    parts: list[str] = []
    spans: list[TableSpan] = []
    length = 0
    emitted: set[int] = set()
    for block in blocks:
        for line in block:
            table_index = owner.get(line.order)
            if table_index is None:
                text = line.text
            elif table_index in emitted:
                continue
            else:
                emitted.add(table_index)
                text = "\n".join(tables[table_index].texts)
            start = length + (1 if parts else 0)
            parts.append(text)
            length = start + len(text)
            if table_index is not None:
                spans.append(TableSpan(start, length, tables[table_index].texts[0]))
    return "\n".join(parts), tuple(spans)


def repeat_headers(chunks: list[Chunk], page: PageText) -> list[Chunk]:
    """Chunks that start inside a table (after its header row) get the header row prepended to
    their text, so a split table's columns stay named. Spans are unchanged."""
    if not page.tables:
        return chunks
    out = []
    for chunk in chunks:
        table = next((t for t in page.tables if t.start < chunk.span.start < t.end), None)
        if table is not None and table.header and not chunk.text.startswith(table.header):
            chunk = replace(chunk, text=f"{table.header} {chunk.text}")
        out.append(chunk)
    return out
