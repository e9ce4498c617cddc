"""Running headers, footers and page numbers: found across a document's pages, blanked from chunks.

Why: a running title or "Page 3 of 40" on every page leaks into chunks, competes in search and ends
up quoted in answers. A line is boilerplate when it sits in a page's top or bottom margin as a
block of its own and the same line, with its digits allowed to vary ("第 3 页" / "第 4 页"), recurs
in the margins of at least :data:`MIN_REPEATS` pages; a margin line shaped like a page number
("12", "- 12 -", "Page 3 of 40", "第 3 页", "3/40") is boilerplate on any page.

Memory stays bounded for any page count: :meth:`BoilerplateDetector.scan` makes one cheap pass over
the text layer first (PyMuPDF ``get_text("blocks")``, ~1,000 pages/s, no OCR, no rendering) and
keeps only the few margin lines of each page. Pages without a text layer (OCR'd pages) are learnt
while streaming: once a line recurs at the edge of :data:`MIN_REPEATS` OCR'd pages, it is blanked
from then on (its first occurrences stay).

Cleaning never moves text: :meth:`BoilerplateDetector.blank` overwrites boilerplate lines with
spaces, so the cleaned page text has the same length as the extracted one, chunk spans index
into the page text unchanged, and citations stay exact. The page record keeps the original text.

One detector per document; used by the import worker thread (not thread-safe).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from core.text_normalise import normalise_for_index

#: A line must recur in the margins of this many pages to count as a running header/footer.
MIN_REPEATS = 3
#: The top and bottom margins, as a fraction of the page height.
MARGIN_FRACTION = 0.1
#: Boilerplate is looked for among this many non-empty lines at each end of a page's text.
EDGE_LINES = 3
#: Longer lines are body text, never boilerplate.
MAX_LINE_CHARS = 160

_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_ZH_NUMERALS = "一二三四五六七八九十百零〇"
_PAGE_NUMBER = re.compile(
    r"^(?:"
    r"(?:page|p\.?|pg\.?)?\s*[-–—(\[]?\s*#\s*[-–—)\]]?(?:\s*(?:of|/)\s*#)?"  # 12, - 12 -, Page 3 of 40, 3/40
    r"|第\s*#\s*页(?:\s*[,，/]?\s*共\s*#\s*页)?"  # 第 3 页, 第3页 共40页
    r"|共\s*#\s*页\s*[,，]?\s*第\s*#\s*页"
    r"|#\s*/\s*#\s*页"
    r")$",
    re.IGNORECASE,
)


def line_key(line: str) -> str:
    """The comparison form of a line: normalised, digit runs (and Chinese page numerals) as ``#``."""
    key = normalise_for_index(line)
    key = _DIGITS.sub("#", key)
    key = re.sub(rf"第\s*[#{_ZH_NUMERALS}]+\s*页", "第#页", key)
    return _SPACES.sub(" ", key).strip()


def is_page_number(key: str) -> bool:
    """True for a line key shaped like a page number ("#", "- # -", "page # of #", "第#页")."""
    return bool(_PAGE_NUMBER.match(key)) and "#" in key


def _lines_with_offsets(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty line of ``text``, in order."""
    spans = []
    cursor = 0
    for line in text.split("\n"):
        end = cursor + len(line)
        if line.strip():
            spans.append((cursor, end))
        cursor = end + 1
    return spans


@dataclass
class BoilerplateDetector:
    """Knows a document's boilerplate lines and blanks them from each page's text."""

    #: Keys recurring in the margins of at least MIN_REPEATS pages (from the text-layer scan).
    repeated: frozenset[str] = frozenset()
    #: Per 1-based page: the margin line keys found by the scan (a multiset, usually 1–3 keys).
    margins: dict[int, tuple[str, ...]] = field(default_factory=dict)
    #: The running titles as first seen (repeated margin lines that are not page numbers).
    titles: tuple[str, ...] = ()
    #: Edge-line keys of pages the scan saw no text on (OCR'd), counted while streaming.
    _learnt: Counter[str] = field(default_factory=Counter)

    @classmethod
    def scan(cls, document: Any) -> BoilerplateDetector:
        """One pass over the text layer of every page of an open PyMuPDF document."""
        margins: dict[int, tuple[str, ...]] = {}
        counts: Counter[str] = Counter()
        first_seen: dict[str, str] = {}
        for index in range(document.page_count):
            page = document.load_page(index)
            height = float(page.rect.height) or 1.0
            keys: list[str] = []
            for block in page.get_text("blocks"):
                if block[6] != 0:  # image block
                    continue
                y0, y1 = float(block[1]), float(block[3])
                if y1 > height * MARGIN_FRACTION and y0 < height * (1 - MARGIN_FRACTION):
                    continue
                for line in str(block[4]).split("\n"):
                    if line.strip() and len(line.strip()) <= MAX_LINE_CHARS:
                        keys.append(line_key(line))
                        first_seen.setdefault(keys[-1], line.strip())
            if keys:
                margins[index + 1] = tuple(keys)
                counts.update(set(keys))
        repeated = frozenset(k for k, n in counts.items() if n >= MIN_REPEATS)
        titles = tuple(first_seen[k] for k in sorted(repeated, key=lambda k: -counts[k]) if not is_page_number(k))
        return cls(repeated=repeated, margins=margins, titles=titles)

    def blank(self, page_number: int, text: str) -> tuple[str, int]:
        """``text`` with the page's boilerplate lines overwritten by spaces, and how many there were.

        Only the first and last :data:`EDGE_LINES` non-empty lines are candidates, so a number in
        a table or a title repeated in the body is never touched.
        """
        lines = _lines_with_offsets(text)
        if not lines:
            return text, 0
        edge = lines[:EDGE_LINES] + [span for span in lines[-EDGE_LINES:] if span not in lines[:EDGE_LINES]]
        keys = {span: line_key(text[span[0]:span[1]]) for span in edge}
        if page_number in self.margins:
            chosen = self._from_scan(page_number, edge, keys)
        else:
            chosen = self._learn(edge, keys)
        if not chosen:
            return text, 0
        chars = list(text)
        for start, end in chosen:
            chars[start:end] = " " * (end - start)
        return "".join(chars), len(chosen)

    def _from_scan(self, page_number: int, edge: list[tuple[int, int]], keys: dict[tuple[int, int], str]) -> list[tuple[int, int]]:
        budget = Counter(k for k in self.margins[page_number] if k in self.repeated or is_page_number(k))
        chosen = []
        # Bottom lines first: a page number at the foot wins over a table's last number.
        for span in reversed(edge):
            key = keys[span]
            if budget[key] > 0:
                budget[key] -= 1
                chosen.append(span)
        return chosen

    def _learn(self, edge: list[tuple[int, int]], keys: dict[tuple[int, int], str]) -> list[tuple[int, int]]:
        """For a page the scan had no text for: count its first and last line, blank those seen
        often enough. Without positions only these two lines are trusted to be header/footer."""
        ends = [edge[0]] if len(edge) == 1 else [edge[0], edge[-1]]
        self._learnt.update({keys[span] for span in ends})
        return [span for span in ends if self._learnt[keys[span]] >= MIN_REPEATS or is_page_number(keys[span])]
