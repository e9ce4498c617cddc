"""A fake chat model for fast tests and GUI tests: it answers from the passages it is given.

It picks the numbered passage sharing most words with the question and answers with that
passage's first sentence and its marker ``[n]``, or refuses with the prompt's refusal sentence when
no passage shares a word. Asked to check an answer, it tells the probe
``unsupported_probability``, and the sentence check (:mod:`core.sentence_check`) ``sentence_doubt``
(None by default: it cannot tell, so nothing is withdrawn for it). Asked a bare yes/no, it tells the
probe ``no_probability`` and, told the answer is no, opens its answer with "No,". Asked to condense a follow-up, it joins the last user question and the
follow-up. Asked to translate a question, it replies nothing (it cannot). Deterministic and
instant; never used outside tests unless asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Literal

from core import prompts
from core.cancel import CancelToken
from core.llm import ChatMessage, OpeningProbe

_PASSAGE = re.compile(r"^\[(\d+)\][^\n]*\n(.+)$", re.S)
_WORD = re.compile(r"[A-Za-z0-9]{3,}|[\u4e00-\u9fff]{2}")
_STOPWORDS = frozenset("the and was were what when who whom how did does for with from this that are its which".split())


class ScriptedChatModel:
    device: Literal["cpu", "cuda"] = "cpu"
    context_length = 4096

    def __init__(self, refusal: str = "NOT_FOUND", delay_s: float = 0.0, opening_probability: float | None = None,
                 unsupported_probability: float | None = None, sentence_doubt: float | None = None,
                 no_probability: float | None = None) -> None:
        self._refusal = refusal
        self._delay_s = delay_s
        self.opening_probability = opening_probability  # what an OpeningProbe is told (None: cannot tell)
        #: What the probe of an answer check is told: the probability of "no" (None: cannot tell).
        self.unsupported_probability = unsupported_probability
        #: What the probe of a sentence check is told (None: cannot tell).
        self.sentence_doubt = sentence_doubt
        #: What the probe of a bare yes/no question is told: the probability of "no" (None: cannot tell).
        self.no_probability = no_probability

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 3)

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int, cancel: CancelToken,
               probe: OpeningProbe | None = None) -> Iterator[str]:
        import time

        if probe is not None:
            probe.probability = self.opening_probability
        prompt = messages[-1].content
        if re.search(r"^(?:Candidate answer: |候选回答：)", prompt, re.M):  # the engine's answer check
            if probe is not None:
                probe.probability = self.unsupported_probability
            yield "否" if (self.unsupported_probability or 0.0) >= 0.5 else "Yes"
            return
        if re.match(r"(?:Context: |上下文：)", prompt):  # the engine's sentence check
            if probe is not None:
                probe.probability = self.sentence_doubt
            yield "否" if (self.sentence_doubt or 0.0) >= 0.5 else "Yes"
            return
        follow_up = re.search(r"^(?:Follow-up question: |后续问题：)(.*)$", prompt, re.M)
        if follow_up:  # a condense request: merge the last user question with the follow-up
            previous = re.findall(r"^(?:User: |用户：)(.*)$", prompt, re.M)
            yield f"{previous[-1] if previous else ''} {follow_up.group(1)}".strip()
            return
        if prompt.startswith(("Translate the following question", "把下面的问题翻译")):
            return  # it cannot translate: the engine then searches with the question alone
        summary = self._summary(prompt)
        if summary is not None:
            yield summary
            return
        last_line = prompt.rsplit("\n", 1)[-1]
        if any(last_line == prompts.template(language, "yes_no").strip() for language in prompts.LANGUAGES):
            if probe is not None:
                probe.probability = self.no_probability
            yield "No" if (self.no_probability or 0.0) >= 0.5 else "Yes"
            return
        told_no = any(last_line == prompts.template(language, "verdict_no").strip() for language in prompts.LANGUAGES)
        question = prompt.rsplit("\n", 2)[-2] if told_no else last_line
        best, best_overlap = None, 0
        blocks = (_PASSAGE.match(block) for block in prompt.split("\n\n"))
        for number, body in (match.groups() for match in blocks if match):
            overlap = len((set(_WORD.findall(question.lower())) & set(_WORD.findall(body.lower()))) - _STOPWORDS)
            if overlap > best_overlap:
                best, best_overlap = (int(number), body.strip()), overlap
        if best is None:
            answer = self._refusal
        else:
            sentence = re.split(r"(?<=[。！？.!?])\s*", best[1], maxsplit=1)[0]
            answer = f"{'No, ' if told_no else ''}{sentence} [{best[0]}]"
        for word in re.findall(r"\S+\s*|\s+", answer):
            if cancel.cancelled:
                return
            if self._delay_s:
                time.sleep(self._delay_s)
            yield word

    @staticmethod
    def _summary(prompt: str) -> str | None:
        """Map step: the part's first sentence. Reduce step: each part's text with its marker."""
        if prompt.startswith(("Below is part of the document", "下面是文档的一部分")) or "（第 " in prompt[:80]:
            body = prompt.split("\n\n")[1]
            return re.split(r"(?<=[。！？.!?])\s*", body.strip(), maxsplit=1)[0]
        if prompt.startswith(("Below are numbered summaries", "下面是文档《")):
            parts = re.findall(r"^\[(\d+)\] \([^)]*\) (.*)$", prompt, re.M)
            return " ".join(f"{text} [{number}]" for number, text in parts)
        return None
