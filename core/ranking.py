"""From ranked chunks to ranked sources: one entry per page, repeated text shown once.

A search returns chunks, but a person reads sources: five chunks of which three are neighbours on
one page, or the same paragraph in a scanned and a born-digital copy of a report, show fewer places
than they seem to. So the store is asked for more chunks than wanted (``OVERFETCH`` times), chunks
are grouped by page in rank order, and a chunk whose text is near-identical to a better-ranked one
on another page is dropped (boilerplate, a document imported in two versions).

Measured on the dev kit (`wenku eval ../shared/eval/dev --retrieval-only`): see README "Quality".
Pure functions, any thread.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from core.datatypes import Passage

#: Chunks fetched per page wanted, so that grouping still leaves enough distinct pages.
OVERFETCH = 3
#: Share of character 4-grams two chunks must share to count as the same text (OCR of a scan of
#: a born-digital page shares ~0.9 with it; two different paragraphs of one report < 0.3).
NEAR_IDENTICAL = 0.8
_SHINGLE = 4
_NOISE = re.compile(r"[\W_]+")
#: Look-alike passages with different figures (two years of one report) are both answers.
_FIGURES = re.compile(r"\d+(?:[.,]\d+)*")


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
