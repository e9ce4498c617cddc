"""Summaries of documents larger than the context window, by map-reduce over their chunks.

Map: the document's chunks, in reading order, are grouped into parts that fit the model's context
and each part is summarised. Reduce: while the part summaries together are still too long they
are grouped and summarised again; then one final prompt turns the numbered part summaries into a
summary whose ``[n]`` markers cite the part (document, first page) each sentence comes from.

Runs on the answer worker thread; cancellable between parts and per token, with progress in
``chunks_done`` / ``chunks_total`` (parts done / parts in the current round).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from core import answer as answering
from core import prompts
from core.cancel import CancelToken, ProgressSlot
from core.datatypes import AnswerDone, AnswerEvent, Citation, Language, SourcesFound, Span, Timings, TokenDelta
from core.llm import ChatMessage, ChatModel
from core.store import StoredHit

_INTENT = re.compile(r"summari[sz]|summary|overview|tl;?dr|总结|概括|摘要|概述|归纳|梗概", re.I)
#: Upper bound of one part, in tokens: prompt time grows with length, so parts are as large as the
#: context allows but bounded to keep each step's latency visible in the progress display.
MAX_PART_TOKENS = 2500
PART_SUMMARY_TOKENS = 160
FINAL_TOKENS = 400


def is_summary_request(question: str) -> bool:
    """Whether the question asks for a summary rather than a fact."""
    return bool(_INTENT.search(question))


@dataclass(frozen=True)
class Part:
    """Consecutive text of one document and the pages it spans."""

    first_page: int
    last_page: int
    span: Span  # of the first chunk, for the citation
    text: str

    @property
    def pages(self) -> str:
        return str(self.first_page) if self.first_page == self.last_page else f"{self.first_page}-{self.last_page}"


def group_parts(parts: Sequence[Part], budget: int, count_tokens: Callable[[str], int]) -> list[list[Part]]:
    """Consecutive groups whose joined text fits ``budget`` tokens (a part alone may exceed it)."""
    groups: list[list[Part]] = []
    size = 0
    for part in parts:
        cost = count_tokens(part.text) + 8
        if groups and size + cost <= budget:
            groups[-1].append(part)
            size += cost
        else:
            groups.append([part])
            size = cost
    return groups


def _merge(group: Sequence[Part]) -> Part:
    return Part(group[0].first_page, group[-1].last_page, group[0].span, "\n".join(p.text for p in group))


class Summariser:
    """Summarises one document with one chat model."""

    def __init__(self, model: ChatModel, language: Language, document: str, progress: ProgressSlot,
                 cancel: CancelToken) -> None:
        self._model = model
        self._language = language
        self._document = document
        self._progress = progress
        self._cancel = cancel
        overhead = model.count_tokens(prompts.template(language, "summary_map")) + 64
        self._budget = max(256, min(MAX_PART_TOKENS, model.context_length - overhead - FINAL_TOKENS))

    def _complete(self, prompt: str, max_tokens: int) -> str:
        return "".join(self._model.stream([ChatMessage("user", prompt)], max_tokens=max_tokens, cancel=self._cancel))

    def _summarise_round(self, parts: Sequence[Part]) -> list[Part]:
        groups = group_parts(parts, self._budget, self._model.count_tokens)
        self._progress.update(stage="summarising", chunks_done=0, chunks_total=len(groups))
        summaries = []
        for done, group in enumerate(groups, 1):
            if self._cancel.cancelled:
                break
            merged = _merge(group)
            prompt = prompts.template(self._language, "summary_map").format(
                document=self._document, pages=merged.pages, text=merged.text
            )
            text = answering.tidy(self._complete(prompt, PART_SUMMARY_TOKENS))
            summaries.append(Part(merged.first_page, merged.last_page, merged.span, text))
            self._progress.update(chunks_done=done)
        return summaries

    def run(self, chunks: Sequence[StoredHit], question: str) -> Iterator[AnswerEvent]:
        started = time.perf_counter()
        parts = [Part(c.page, c.page, c.span, c.text) for c in chunks]
        parts = self._summarise_round(parts)
        while not self._cancel.cancelled and len(group_parts(parts, self._budget, self._model.count_tokens)) > 1:
            parts = self._summarise_round(parts)
        yield SourcesFound(())
        numbered = "\n\n".join(
            f"[{n}] ({'pages' if self._language == 'en' else '页'} {p.pages}) {p.text}" for n, p in enumerate(parts, 1)
        )
        prompt = prompts.template(self._language, "summary_reduce").format(document=self._document, parts=numbered)
        citation_filter = answering.CitationFilter(len(parts))
        pieces: list[str] = []
        first_token = 0.0
        if not self._cancel.cancelled:
            for piece in self._model.stream([ChatMessage("user", prompt)], max_tokens=FINAL_TOKENS, cancel=self._cancel):
                first_token = first_token or time.perf_counter()
                shown = citation_filter.feed(piece)
                if shown:
                    pieces.append(shown)
                    yield TokenDelta(shown)
            rest = citation_filter.finish()
            if rest:
                pieces.append(rest)
                yield TokenDelta(rest)
        text = answering.tidy("".join(pieces))
        cited = [int(n) for n in re.findall(r"\[(\d+)\]", text)]
        citations = tuple(
            Citation(n, self._document, parts[n - 1].first_page, parts[n - 1].span, parts[n - 1].text[:160])
            for n in dict.fromkeys(cited)
        )
        elapsed = time.perf_counter() - started
        yield AnswerDone(
            question=question, language=self._language, answer=text, refused=False, citations=citations,
            passages=(), timings=Timings(0.0, (first_token - started) if first_token else 0.0, elapsed),
            device=self._model.device, cancelled=self._cancel.cancelled,
        )
