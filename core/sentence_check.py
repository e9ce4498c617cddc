"""The source-sentence check: ask the model about the few sentences an answer was copied from.

A 1.5B model answering a Chinese question whose documents tell the right story but not the asked
detail (last year's figure, another edition's winner) copies a plausible sentence, and the answer
check that re-reads all passages (:func:`core.answer.build_verification_messages`) doubts it little
more than a supported answer: several thousand characters of near-miss news dilute the one
mismatch. Shown only the sentence the answer came from, with its neighbours, the same model sees
that "较2021年12月增长1698万" is not "2022年6月", and doubts such answers more than every supported
one in the sample measured (README "Quality"). The context is found without the model: the passage
sentence sharing the longest run of characters with the answer, plus the sentence before and after.
Pure functions apart from the prompt text; any thread.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from core import prompts
from core.answer import strip_markers
from core.datatypes import Language, Passage
from core.llm import ChatMessage

#: A sentence of a passage: up to and including its end mark (。！？； and ! ? ; — not the full stop,
#: which decimals and abbreviations use), or a line.
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
#: Sentences of context on each side of the one the answer was copied from.
NEIGHBOURS = 1


def _sentences(text: str) -> list[str]:
    return [s for s in (m.group().strip() for m in _SENTENCE.finditer(text)) if s]


def source_context(answer: str, passages: Sequence[Passage]) -> str:
    """The passage sentence sharing the longest common run of characters with ``answer`` (its
    citation markers removed), joined with ``NEIGHBOURS`` sentences on each side; "" when no
    passage shares a character with it. The first such sentence wins a tie (passages are
    best-first)."""
    clean = strip_markers(answer)
    best_size, best_context = 0, ""
    for passage in passages:
        sentences = _sentences(passage.text)
        for index, sentence in enumerate(sentences):
            match = SequenceMatcher(None, clean, sentence, autojunk=False).find_longest_match(
                0, len(clean), 0, len(sentence))
            if match.size > best_size:
                best_size = match.size
                best_context = "".join(sentences[max(0, index - NEIGHBOURS): index + NEIGHBOURS + 1])
    return best_context


def build_messages(question: str, context: str, language: Language, answer: str) -> list[ChatMessage]:
    """One user message (no system prompt, as measured): the context, question and answer, and
    the instruction to reply yes or no; the probability of "no" is the doubt."""
    text = prompts.template(language, "verify_sentence").format(
        context=context, question=question, answer=strip_markers(answer))
    return [ChatMessage("user", text)]
