"""Questions in one language about documents in the other: search with a translation too.

The multilingual embedding model places a Chinese question and the English passage that answers
it closer than unrelated text, but not as close as same-language text on the same topic, and BM25
cannot match across scripts at all. Measured on the dev kit with machine-translated questions
(session 1, `wenku eval --cross-language`): recall@5 0.24 for English questions about Chinese
pages and 0.07 for the reverse. So when a workspace holds documents in the other language, the
question is also translated by the chat model (a short prompt, cached) and searched as such; the
pages it finds in the other language are interleaved with the question's own (see
:func:`merge_page_lists`). Measured again: README "Quality".

Which languages a workspace holds is read once per open workspace from a few chunks of each
document (no manifest change, so older workspaces get it too) and forgotten when documents change.
Any thread; :class:`QueryTranslator` serialises itself.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence

from core import prompts
from core.cancel import CancelToken
from core.datatypes import Language, Passage
from core.lang import detect_language
from core.llm import ChatMessage, ChatModel

#: Chunks read per document to decide its language.
LANGUAGE_SAMPLE_CHUNKS = 12
#: A translated question is a line; more tokens than this means the model is rambling.
TRANSLATION_TOKENS = 96
#: A page found only through the translation must come within this of its language's match level
#: (``similarity - level >= -TRANSLATED_MARGIN``). Without it, when nothing in the other language
#: answers, its best pages still outrank a weak own-language match: an English question whose gold
#: page (0.821) ranked 1st lost it to Chinese news pages at 0.85-0.87. Measured on the dev kit
#: (README "Quality"): margin 0.03 / 0.05 / 0.07 / none gave cross-language recall@5 0.60 / 0.68 /
#: 0.68 / 0.76 and same-language recall@5 (80-question sample) 0.855 / 0.855 / 0.836 / 0.836.
TRANSLATED_MARGIN = 0.05
#: Translations kept in memory (a conversation asks a handful; the eval a few hundred).
CACHE_SIZE = 1024


def other_language(language: Language) -> Language:
    return "en" if language == "zh" else "zh"


def document_languages(chunk_texts: Iterable[Sequence[str]]) -> frozenset[Language]:
    """The languages of documents, each given as a few of its chunk texts (any order)."""
    found: set[Language] = set()
    for texts in chunk_texts:
        sample = "\n".join(texts[:LANGUAGE_SAMPLE_CHUNKS])
        if sample.strip():
            found.add(detect_language(sample))
    return frozenset(found)


def translation_reply(model: ChatModel, question: str, target: Language, cancel: CancelToken) -> str:
    """The model's translation of ``question`` into ``target``: the first line of its reply, without
    a label or quotes it may add; empty if it replied nothing. Not checked: see QueryTranslator."""
    prompt = prompts.template(target, "translate").format(text=question)
    reply = "".join(model.stream([ChatMessage("user", prompt)], max_tokens=TRANSLATION_TOKENS, cancel=cancel))
    line = next((line.strip() for line in reply.splitlines() if line.strip()), "")
    for prefix in ("English question:", "Question:", "问题：", "中文问题：", "翻译："):
        line = line.removeprefix(prefix).strip()
    return line.strip("\"'“”「」 ")


class QueryTranslator:
    """Translates questions with the chat model, remembering the last :data:`CACHE_SIZE`.

    ``cached`` may be pre-filled (the eval keeps translations across runs). A translation that
    comes back empty, or in the wrong language, is None: search then uses the question alone.
    """

    def __init__(self, cached: dict[str, str] | None = None) -> None:
        self._cache: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()
        for key, value in (cached or {}).items():
            target, _, question = key.partition("\t")
            self._cache[(target, question)] = value

    def export(self) -> dict[str, str]:
        """The cache as plain JSON-able data (``"<target>\\t<question>"`` → translation)."""
        with self._lock:
            return {f"{target}\t{question}": text for (target, question), text in self._cache.items()}

    def translate(self, question: str, target: Language, model: Callable[[], ChatModel],
                  cancel: CancelToken) -> str | None:
        key = (target, question)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key] or None
        text = translation_reply(model(), question, target, cancel)
        usable = text if len(text) >= 2 and detect_language(text) == target else ""
        if cancel.cancelled:
            return usable or None
        with self._lock:
            self._cache[key] = usable
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return usable or None


def merge_page_lists(original: Sequence[list[Passage]], translated: Sequence[list[Passage]], pages: int,
                     translated_language: Language, level: Mapping[str, float] | None = None) -> list[list[Passage]]:
    """The ``pages`` best pages of two searches (the question, its translation), best first.

    From the translation's search only pages in its language are taken (the others the question
    found itself). Both lists keep their own order (the fused ranking); they are interleaved by
    the similarity of each page's best chunk to the query that found it, less the typical
    similarity of a good match in that language (``level``: the embedding model puts Chinese
    pairs higher than English ones, 0.908 against 0.891 on the dev kit), so neither language wins
    by its scale alone. A page found by both keeps its first place.
    """
    offsets = level or {}

    def score(group: list[Passage]) -> float:
        return group[0].similarity - offsets.get(detect_language(group[0].text), 0.0)

    first = [group for group in original if group]
    second = [group for group in translated if group and detect_language(group[0].text) == translated_language
              and (level is None or score(group) >= -TRANSLATED_MARGIN)]
    merged: list[list[Passage]] = []
    seen: set[tuple[str, str, int]] = set()
    while (first or second) and len(merged) < pages:
        take_first = bool(first) and (not second or score(first[0]) >= score(second[0]))
        group = (first if take_first else second).pop(0)
        key = (group[0].workspace, group[0].doc_id, group[0].page)
        if key not in seen:
            seen.add(key)
            merged.append(group)
    return merged
