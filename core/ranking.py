"""From ranked chunks to ranked sources: one entry per page, repeated text shown once.

A search returns chunks, but a person reads sources: five chunks of which three are neighbours on
one page, or the same paragraph in a scanned and a born-digital copy of a report, show fewer places
than they seem to. So the store is asked for more chunks than wanted (``OVERFETCH`` times), chunks
are grouped by page in rank order, and a chunk whose text is near-identical to a better-ranked one
on another page is dropped (boilerplate, a document imported in two versions).

Before that, a hybrid search lifts the chunks holding the figures a question quotes (amounts,
rates, years: :func:`boost_figures`), which keyword search cannot do here (see FIGURE_BONUS).

Measured on the dev kit (`wenku eval ../shared/eval/dev --retrieval-only`): see README "Quality".
Pure functions, any thread.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

from core.datatypes import Passage
from core.store import StoredHit

#: Chunks fetched per page wanted, so that grouping still leaves enough distinct pages.
OVERFETCH = 3
#: Share of character 4-grams two chunks must share to count as the same text (OCR of a scan of
#: a born-digital page shares ~0.9 with it; two different paragraphs of one report < 0.3).
NEAR_IDENTICAL = 0.8
_SHINGLE = 4
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


def group_by_page(passages: Sequence[Passage], pages: int) -> list[list[Passage]]:
    """The first ``pages`` distinct pages in rank order, each with its chunks best-first.

    A chunk near-identical to a chunk already kept on another page, with the same figures, is
    dropped; chunks of the same page are kept together even if they overlap (the answer step
    merges them).
    """
    groups: dict[tuple[str, str, int], list[Passage]] = {}
    kept: list[tuple[tuple[str, str, int], frozenset[str], tuple[str, ...]]] = []
    for passage in passages:
        key = (passage.workspace, passage.doc_id, passage.page)
        grams, figures = shingles(passage.text), tuple(_FIGURES.findall(passage.text))
        if any(other != key and figures == seen_figures and resemblance(grams, seen) >= NEAR_IDENTICAL
               for other, seen, seen_figures in kept):
            continue
        if key not in groups:
            if len(groups) == pages:
                continue
            groups[key] = []
        groups[key].append(passage)
        kept.append((key, grams, figures))
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
