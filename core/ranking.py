"""From ranked chunks to ranked sources: one entry per page, repeated text shown once.

A search returns chunks, but a person reads sources: five chunks of which three are neighbours on
one page, or the same paragraph in a scanned and a born-digital copy of a report, show fewer places
than they seem to. So the store is asked for more chunks than wanted (``OVERFETCH`` times), chunks
are grouped by page in rank order, and a chunk whose text is near-identical to a better-ranked one
on another page is dropped (boilerplate, a document imported in two versions). A scanned copy of a
born-digital report is cut into chunks differently, so its pages are matched to the text copy's
by page number and containment instead, and dropped whole (:func:`scanned_copies`).

Before that, a hybrid search lifts the chunks holding the figures a question quotes (amounts,
rates, years: :func:`boost_figures`), which keyword search cannot do here (see FIGURE_BONUS).

Measured on the dev kit (`wenku eval ../shared/eval/dev --retrieval-only`): see README "Quality".
Pure functions, any thread.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from core.datatypes import Passage
from core.store import StoredHit

#: Chunks fetched per page wanted, so that grouping still leaves enough distinct pages.
OVERFETCH = 3
#: Share of character 4-grams two chunks must share to count as the same text (OCR of a scan of
#: a born-digital page shares ~0.9 with it; two different paragraphs of one report < 0.3).
NEAR_IDENTICAL = 0.8
_SHINGLE = 4
#: A chunk read by OCR and a text chunk on the same page number of another document are that page
#: in a scanned and a born-digital copy of one report when the shorter holds at least this share
#: of its character 4-grams and of its figures in the other. Measured on the dev kit's English
#: documents (README "A scanned copy of a page is the same source as its born-digital original"):
#: 0.7 / 0.8 / 0.9 all move the same questions up and none down.
COPY_CONTAINMENT = 0.8
_NOISE = re.compile(r"[\W_]+")
#: Look-alike passages with different figures (two years of one report) are both answers.
_FIGURES = re.compile(r"\d+(?:[.,]\d+)*")
#: Added to a hybrid (DBSF) score, times the share of the question's figures a chunk contains.
#: Qdrant Edge's BM25 tokenizer keeps no numbers at all ("2024", "2.800%" give no token), so
#: keyword search cannot prefer the page holding the amounts, rates or years a question quotes.
#: DBSF scores run 0-2; measured on the dev kit (README "Quality"): 0.3 / 0.5 / 0.8 gave English
#: recall@5 .877 / .888 / .888 (.866 without), Chinese unchanged, on both halves of a split.
FIGURE_BONUS = 0.5
#: A figure the question states as such: not glued to letters or other digits ("10-K", "Q4",
#: "FY2023" are names, and fiscal years are named differently by each filer), with a decimal
#: point or at least 3 digits (a day of the month or a "5%" matches too much to tell pages apart).
_QUESTION_FIGURE = re.compile(r"(?<![A-Za-z\d])\d+(?:[.,]\d+)*(?![A-Za-z\d])")
_MIN_FIGURE_DIGITS = 3


def shingles(text: str) -> frozenset[str]:
    """Character 4-grams of the text without spaces or punctuation, case and width folded
    (character n-grams work for Chinese, which has no word boundaries)."""
    folded = _NOISE.sub("", unicodedata.normalize("NFKC", text).casefold())
    if len(folded) <= _SHINGLE:
        return frozenset([folded]) if folded else frozenset()
    return frozenset(folded[i:i + _SHINGLE] for i in range(len(folded) - _SHINGLE + 1))


def resemblance(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard resemblance of two shingle sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def containment(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the smaller set found in the other (1 when the smaller is empty)."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & large) / len(small) if small else 1.0


@dataclass(frozen=True)
class ComparedChunk:
    """A retrieved chunk with what the duplicate checks compare: its 4-grams and its figures."""

    passage: Passage
    grams: frozenset[str]
    figures: tuple[str, ...]

    @classmethod
    def of(cls, passage: Passage) -> ComparedChunk:
        return cls(passage, shingles(passage.text), tuple(_FIGURES.findall(passage.text)))

    @property
    def page_key(self) -> tuple[str, str, int]:
        return self.passage.workspace, self.passage.doc_id, self.passage.page


def is_scanned_copy(a: ComparedChunk, b: ComparedChunk) -> bool:
    """Whether two chunks are one page of a report in its scanned and its born-digital copy: other
    documents, the same page number, one read by OCR and one not, and the shorter's 4-grams and
    figures contained in the other (:data:`COPY_CONTAINMENT`). Two years of a report do not
    qualify even when a page repeats word for word: neither is the other's scan."""
    pa, pb = a.passage, b.passage
    if (pa.workspace, pa.doc_id) == (pb.workspace, pb.doc_id) or pa.page != pb.page or pa.ocr == pb.ocr:
        return False
    shorter, longer = (a, b) if len(a.grams) <= len(b.grams) else (b, a)
    return (containment(shorter.grams, longer.grams) >= COPY_CONTAINMENT
            and containment(frozenset(shorter.figures), frozenset(longer.figures)) >= COPY_CONTAINMENT)


def _repeats(chunk: ComparedChunk, kept: ComparedChunk) -> bool:
    """Whether ``chunk`` is near-identical to a better-ranked chunk of another page, figures and all."""
    return (chunk.page_key != kept.page_key and chunk.figures == kept.figures
            and resemblance(chunk.grams, kept.grams) >= NEAR_IDENTICAL)


def scanned_copies(chunks: Sequence[ComparedChunk]) -> dict[tuple[str, str, int], tuple[str, str, int]]:
    """Pages that are another retrieved page's scanned (or born-digital) copy, each mapped to that
    page: of the two, the one first reached in rank order stays. Decided over all retrieved chunks,
    so a copy page is dropped whole even when its best chunk (a stamp, a heading) matches nothing."""
    first_seen: dict[tuple[str, str, int], int] = {}
    for rank, chunk in enumerate(chunks):
        first_seen.setdefault(chunk.page_key, rank)
    copy_of: dict[tuple[str, str, int], tuple[str, str, int]] = {}
    for i, a in enumerate(chunks):
        for b in chunks[i + 1:]:
            if a.page_key in copy_of or b.page_key in copy_of or not is_scanned_copy(a, b):
                continue
            kept, copy = sorted((a.page_key, b.page_key), key=first_seen.__getitem__)
            copy_of[copy] = kept
    return copy_of


def group_by_page(passages: Sequence[Passage], pages: int) -> list[list[Passage]]:
    """The first ``pages`` distinct pages in rank order, each with its chunks best-first.

    A chunk near-identical to a chunk already kept on another page, with the same figures, is
    dropped, and so is a page that is a better-ranked page's scanned (or born-digital) copy;
    chunks of the same page are kept together even if they overlap (the answer step merges them).
    """
    chunks = [ComparedChunk.of(passage) for passage in passages]
    copies = scanned_copies(chunks)
    groups: dict[tuple[str, str, int], list[Passage]] = {}
    kept: list[ComparedChunk] = []
    for chunk in chunks:
        if chunk.page_key in copies or any(_repeats(chunk, other) for other in kept):
            continue
        if chunk.page_key not in groups:
            if len(groups) == pages:
                continue
            groups[chunk.page_key] = []
        groups[chunk.page_key].append(chunk.passage)
        kept.append(chunk)
    return list(groups.values())


def prompt_chunks(groups: Sequence[Sequence[Passage]], limit: int) -> list[Passage]:
    """Up to ``limit`` chunks for an answer prompt: the best chunk of every page first, then the
    pages' further chunks by rank (each page's second, then third...)."""
    chosen: list[Passage] = []
    depth = max((len(group) for group in groups), default=0)
    for level in range(depth):
        for group in groups:
            if level < len(group) and len(chosen) < limit:
                chosen.append(group[level])
    return chosen


def _figure(token: str) -> str:
    """A figure as compared: thousands separators and a trailing full stop dropped."""
    return token.replace(",", "").rstrip(".")


def question_figures(question: str) -> frozenset[str]:
    """The figures a question quotes: ``"2.800% notes due in 2024"`` → ``{"2.800", "2024"}``."""
    figures = (_figure(token) for token in _QUESTION_FIGURE.findall(unicodedata.normalize("NFKC", question)))
    return frozenset(f for f in figures if "." in f or len(f) >= _MIN_FIGURE_DIGITS)


def text_figures(text: str) -> frozenset[str]:
    """Every figure in a text, compared as :func:`question_figures` gives them."""
    return frozenset(_figure(token) for token in _FIGURES.findall(unicodedata.normalize("NFKC", text)))


def boost_figures(hits: Sequence[StoredHit], question: str) -> list[StoredHit]:
    """Store hits re-ordered after adding :data:`FIGURE_BONUS` times the share of the question's
    figures each one contains; unchanged when the question quotes none. For fused (DBSF) scores
    only: other scales differ."""
    wanted = question_figures(question)
    if not wanted:
        return list(hits)
    boosted = [replace(hit, score=hit.score + FIGURE_BONUS * len(wanted & text_figures(hit.text)) / len(wanted))
               for hit in hits]
    return sorted(boosted, key=lambda hit: hit.score, reverse=True)
