"""Grounded answering: prompt building, streamed citation checking, refusal detection.

The model sees numbered passages and must cite them as ``[n]``. While tokens stream, a
:class:`CitationFilter` holds back text that could be the start of a marker until it is complete,
then lets valid markers through and drops markers that point at no given passage, so the user
never sees a citation that later disappears. The final answer maps each marker to (document,
page, span). Called on the answer worker thread; pure apart from the model call.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace

from core import prompts
from core.cancel import CancelToken
from core.datatypes import Citation, Language, Passage, Span, Turn
from core.lang import detect_language
from core.llm import ChatMessage, ChatModel

ANSWER_TOKENS = 512
_MARKER = re.compile(r"\[(\s*\d+(?:\s*[,，、]\s*\d+)*\s*)\]")
_OPEN_MARKER = re.compile(r"\[[\d\s,，、]*$")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([。，；：！？,.;:!?])")


def _normalise_markers(text: str, valid: range) -> str:
    """Rewrite ``[1, 2]`` as ``[1][2]`` and drop numbers outside ``valid``."""

    def rewrite(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", match.group(1))]
        return "".join(f"[{n}]" for n in numbers if n in valid)

    return _MARKER.sub(rewrite, text)


def strip_markers(text: str) -> str:
    """``text`` without its ``[n]`` citation markers (what a check shows the model as the answer)."""
    return _MARKER.sub("", text).strip()


class CitationFilter:
    """Streams text through, validating ``[n]`` markers against ``passage_count`` passages."""

    def __init__(self, passage_count: int) -> None:
        self._valid = range(1, passage_count + 1)
        self._pending = ""

    def feed(self, piece: str) -> str:
        """Text safe to show now (may be empty while a marker is incomplete)."""
        text = self._pending + piece
        open_marker = _OPEN_MARKER.search(text)
        if open_marker and len(text) - open_marker.start() < 24:
            self._pending = text[open_marker.start():]
            text = text[:open_marker.start()]
        else:
            self._pending = ""
        return _normalise_markers(text, self._valid)

    def finish(self) -> str:
        """Whatever is still held back at the end of the stream."""
        rest, self._pending = self._pending, ""
        return _normalise_markers(rest, self._valid) if _MARKER.search(rest) else rest.rstrip("[ ")


def _sentences_ending_at(marks: str) -> re.Pattern[str]:
    """Text up to and including a run of ``marks`` (or a full stop before a space, or the end), with
    any citation markers that follow it."""
    return re.compile(rf"[^{marks}\n]+?(?:[{marks}]+|\.(?=\s|$)|$)(?:\s*(?:\[\d+\])+)?", re.S)


_SENTENCE = _sentences_ending_at("。！？!?")
#: A sentence or one of its semicolon clauses: what an answer that only points gets quoted from.
_CLAUSE = _sentences_ending_at("。！？!?；;")
_TOKEN = re.compile(r"[A-Za-z]+|\d+(?:[.,]\d+)*|[\u4e00-\u9fff]")
#: Share of a sentence's tokens (words, numbers, CJK characters) a passage must contain for the
#: sentence to count as taken from it.
GROUNDING_OVERLAP = 0.6


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text)]


def _is_figure(token: str) -> bool:
    return any(c.isdigit() for c in token)


def ground_uncited(answer: str, passages: Sequence[Passage]) -> str:
    """Add ``[n]`` to sentences the model left uncited but that clearly come from passage n.

    Small models often state a fact from a passage and forget the marker. A sentence gets the
    marker of the passage that contains most of its tokens, if that share reaches
    :data:`GROUNDING_OVERLAP`; sentences with no such passage stay uncited. Very short replies
    are traced more strictly, to the best-ranked passage that holds them: a figure ("2009年") where
    the passage holds all its tokens, a two-token name ("荷兰", "Marie Curie") where the passage
    holds it word for word (the 1.5B model often answers a "which country" question with the bare
    name and no marker); a single word ("Yes", "是") stays uncited, as it would match anywhere.
    """
    if not passages:
        return answer
    vocabularies = [set(_tokens(p.text)) for p in passages]
    folded = [_fold(p.text) for p in passages]
    return _rewrite_sentences(answer, lambda sentence: _ground_sentence(sentence, vocabularies, folded))


def _rewrite_sentences(answer: str, rewrite: Callable[[str], str]) -> str:
    """``answer`` with each sentence of each line passed through ``rewrite``; a line the sentence
    pattern does not cover from its start is left as it is."""
    out = []
    for line in answer.splitlines(keepends=True):
        sentences = [m.group(0) for m in _SENTENCE.finditer(line)]
        covered = "".join(sentences)
        out.append("".join(map(rewrite, sentences)) + line[len(covered):] if line.startswith(covered) else line)
    return "".join(out)


def _ground_sentence(sentence: str, vocabularies: list[set[str]], folded_passages: list[str]) -> str:
    tokens = _tokens(_MARKER.sub("", sentence))
    figure = any(map(_is_figure, tokens))
    if _MARKER.search(sentence) or not tokens or (len(tokens) < 2 and not figure):
        return sentence
    if len(tokens) < 3 and not figure:
        # A two-token name counts only where a passage holds it verbatim (spaces, case and width aside).
        name = _fold(sentence)
        shares = [1.0 if name and name in passage else 0.0 for passage in folded_passages]
    else:
        shares = [sum(1 for t in tokens if t in vocabulary) / len(tokens) for vocabulary in vocabularies]
    best = max(range(len(shares)), key=shares.__getitem__)
    # A bare figure ("2009年", "$2.4 million") is grounded only where every token occurs.
    enough = 1.0 if len(tokens) < 3 else GROUNDING_OVERLAP
    if shares[best] < enough:
        return sentence
    stripped = sentence.rstrip()
    return f"{stripped} [{best + 1}]" + sentence[len(stripped):]


#: A sentence keeps the markers the model gave it while one of their passages holds at least this
#: share of its terms.
CITED_ENOUGH = 0.5


def correct_citations(answer: str, passages: Sequence[Passage]) -> str:
    """Point each cited sentence at the passage it was taken from when the passages its markers
    name clearly hold less of it.

    The 1.5B model copies a sentence from passage 1 and marks it "[2]" in about a quarter of its
    cited Chinese answers (18 of 64 answerable dev questions, README "Quality"), so the citation
    would open a page that does not say it. A sentence's markers are replaced by the number of the
    passage holding the largest share of its terms (Chinese character bigrams, words, numbers)
    when that share reaches :data:`GROUNDING_OVERLAP` and no passage it cites holds
    :data:`CITED_ENOUGH` of them (for a sentence of under three terms, a bare name or figure: when
    one passage holds all of it and no cited one does). A tie goes to a passage already cited, then
    to the better-ranked, so a sentence the model cited correctly never moves. The engine applies it
    to Chinese answers only: the 1.5B model's English answers paraphrase rather than copy, and on 21
    English dev answers it moved two markers, one of them wrongly (a "This can be found in [1]." of
    common words; README "Quality").
    """
    if not passages:
        return answer
    texts = [_compact(p.text) for p in passages]
    words = [set(_tokens(p.text)) for p in passages]
    return _rewrite_sentences(answer, lambda sentence: _recite(sentence, texts, words))


def _compact(text: str) -> str:
    """Text without whitespace: OCR and PDF extraction put spaces inside Chinese runs."""
    return re.sub(r"\s+", "", text)


def _share_of(terms: set[str], text: str, words: set[str]) -> float:
    """Share of ``terms`` (from :func:`_question_terms`) that a passage says: Chinese terms as
    substrings of its compacted text, others as its words."""
    said = sum(1 for term in terms if (term in text if _is_chinese(term) else term in words))
    return said / len(terms)


def _recite(sentence: str, texts: list[str], words: list[set[str]]) -> str:
    cited = [int(n) for m in _MARKER.finditer(sentence) for n in re.findall(r"\d+", m.group(1))]
    cited = [n for n in cited if 1 <= n <= len(texts)]
    terms = _question_terms(strip_markers(sentence))
    if not cited or not terms:
        return sentence
    shares = [_share_of(terms, text, vocabulary) for text, vocabulary in zip(texts, words, strict=True)]
    best = max(range(1, len(texts) + 1), key=lambda n: (shares[n - 1], n in cited, -n))
    held = max(shares[n - 1] for n in cited)
    short = len(terms) < 3  # a bare name or figure: only a passage holding all of it counts
    if best in cited or shares[best - 1] < (1.0 if short else GROUNDING_OVERLAP) or (not short and held >= CITED_ENOUGH):
        return sentence
    first = _MARKER.search(sentence)
    assert first is not None  # cited is not empty
    rest = _MARKER.sub("", sentence[first.end():])
    return f"{sentence[:first.start()]}[{best}]{rest}"


_PLACEHOLDER_MARKER = re.compile(r"\s*\[n\]", re.I)


def tidy(answer: str) -> str:
    """Remove the spaces left where invalid markers were dropped, and "[n]" copied from the
    prompt's instructions (it points at no passage)."""
    answer = _PLACEHOLDER_MARKER.sub("", answer)
    return _SPACE_BEFORE_PUNCT.sub(r"\1", re.sub(r"[ \t]{2,}", " ", answer)).strip()


def citations_of(answer: str, passages: Sequence[Passage]) -> tuple[Citation, ...]:
    """Unique markers in order of first appearance, resolved to their passages."""
    seen: list[int] = []
    for match in _MARKER.finditer(answer):
        for number in (int(n) for n in re.findall(r"\d+", match.group(1))):
            if 1 <= number <= len(passages) and number not in seen:
                seen.append(number)
    return tuple(
        Citation(
            marker=n,
            doc=passages[n - 1].doc,
            page=passages[n - 1].page,
            span=passages[n - 1].span,
            snippet=_snippet(passages[n - 1].text),
            workspace=passages[n - 1].workspace,
            boxes=passages[n - 1].boxes,
        )
        for n in seen
    )


def _snippet(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fold(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", unicodedata.normalize("NFKC", text).lower())


def is_refusal(answer: str) -> bool:
    """True when the model answered with (or began with) a refusal sentence in either language."""
    folded = _fold(answer)
    if not folded:
        return True
    for language in prompts.LANGUAGES:
        sentence = _fold(prompts.refusal(language))
        if folded.startswith(sentence) or (sentence in folded and len(folded) < 2 * len(sentence)):
            return True
    return False


MERGE_GAP_CHARS = 8
_MAX_OVERLAP_SCAN = 600


def _join(first: str, second: str) -> str:
    """``first`` followed by what ``second`` adds after their longest shared suffix/prefix."""
    limit = min(len(first), len(second), _MAX_OVERLAP_SCAN)
    for size in range(limit, 0, -1):
        if first.endswith(second[:size]):
            return first + second[size:]
    separator = "" if first[-1:] in "。！？；" else " "
    return first + separator + second


def merge_passages(passages: Sequence[Passage]) -> list[Passage]:
    """Merge passages of the same page whose spans overlap or touch; best score first.

    Consecutive chunks overlap by a sentence, so two hits from one page often repeat text; the
    model gets each piece of text once, and one citation covers the merged span.
    """
    by_page: dict[tuple[str, int], list[Passage]] = {}
    for passage in passages:
        by_page.setdefault((passage.doc_id, passage.page), []).append(passage)
    merged: list[Passage] = []
    for group in by_page.values():
        group.sort(key=lambda p: p.span.start)
        current = group[0]
        for passage in group[1:]:
            if passage.span.start <= current.span.end + MERGE_GAP_CHARS:
                current = replace(
                    current,
                    span=Span(current.span.start, max(current.span.end, passage.span.end)),
                    text=current.text if passage.span.end <= current.span.end else _join(current.text, passage.text),
                    score=max(current.score, passage.score),
                    similarity=max(current.similarity, passage.similarity),
                )
            else:
                merged.append(current)
                current = passage
        merged.append(current)
    return sorted(merged, key=lambda p: p.score, reverse=True)


def select_passages(
    passages: Sequence[Passage], model: ChatModel, language: Language, question: str
) -> list[Passage]:
    """Best-first passages that fit the context beside the system prompt, question and answer."""
    budget = (
        model.context_length
        - ANSWER_TOKENS
        - model.count_tokens(prompts.system_prompt(language))
        - model.count_tokens(prompts.user_prompt(language, "", question))
        - 64
    )
    chosen: list[Passage] = []
    for passage in passages:
        cost = model.count_tokens(prompts.passage_block(language, 0, passage.doc, passage.page, passage.text))
        if cost > budget:
            continue
        chosen.append(passage)
        budget -= cost
    return chosen


def _passage_blocks(passages: Sequence[Passage], language: Language) -> str:
    return "\n\n".join(
        prompts.passage_block(language, number, p.doc, p.page, p.text) for number, p in enumerate(passages, 1)
    )


def build_messages(question: str, passages: Sequence[Passage], language: Language,
                   instruction: str = "") -> list[ChatMessage]:
    """The answer prompt; ``instruction`` (a template's line) is added after the question."""
    user = prompts.user_prompt(language, _passage_blocks(passages, language), question)
    return [
        ChatMessage("system", prompts.system_prompt(language)),
        ChatMessage("user", f"{user}\n{instruction}" if instruction else user),
    ]


_AUXILIARY_OPENING = re.compile(
    r"^\W*(is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|may|might|must)\b", re.I)
#: "increase or decrease", "gain or loss", "before or after": a choice between directions, not a
#: yes/no question ("declare or pay", "2017, 2018, or 2019" still ask for a yes or no).
_ALTERNATIVE = re.compile(r"\b(increas|decreas|improv|declin|gain|loss|profit|higher|lower|more|less|above|below|"
                          r"before|after|positive|negative|rise|fall|up|down)\w* or \w+", re.I)
#: A closing 吗 (or a bare 么, not the one of 什么/怎么/这么/那么/多么), or 是否/是不是/有没有.
_CHINESE_YES_NO = re.compile(r"(吗|(?<![什怎这那多要])么)\s*[？?]?\s*$|是否|是不是|有没有")


def is_yes_no_question(question: str, language: Language) -> bool:
    """Whether ``question`` asks for a yes or a no ("Did Amazon pay dividends?", "丙烯颜料有毒吗？")."""
    if language == "zh":
        return bool(_CHINESE_YES_NO.search(question))
    return bool(_AUXILIARY_OPENING.match(question)) and not _ALTERNATIVE.search(question)


def build_yes_no_messages(question: str, passages: Sequence[Passage], language: Language) -> list[ChatMessage]:
    """The answer prompt asking for a bare yes or no: it opens exactly like the answer prompt, so the
    model re-reads only the last line when it then answers."""
    return build_messages(question, passages, language, prompts.template(language, "yes_no").strip())


#: The first words of a "no" to the answer check, per language (the prompt asks for 是/否, Yes/No).
VERIFICATION_NO: dict[Language, tuple[str, ...]] = {"zh": ("否", "不"), "en": ("No", "no")}


def build_verification_messages(
    question: str, passages: Sequence[Passage], language: Language, answer: str
) -> list[ChatMessage]:
    """Ask the model whether ``answer`` is stated by the passages and answers the question exactly.

    The same system prompt and the same passages in the same order as :func:`build_messages`, so
    llama.cpp reuses the cached prompt: on a CPU the check costs a few seconds, not a second
    reading of the passages. Citation markers are left out of the answer shown to the check.
    """
    return [
        ChatMessage("system", prompts.system_prompt(language)),
        ChatMessage("user", prompts.verify_prompt(language, _passage_blocks(passages, language), question,
                                                  tidy(_MARKER.sub("", answer)))),
    ]


HISTORY_TURNS = 3
_HISTORY_ANSWER_CHARS = 300


def condense_question(
    model: ChatModel, language: Language, history: Sequence[Turn], question: str, cancel: CancelToken
) -> str:
    """Rewrite a follow-up into a standalone question using the last few turns of ``history``.

    Answers are shortened and stripped of citation markers first, to keep the prompt small on a
    CPU. Falls back to the question as asked if the model returns nothing usable.
    """
    turns = [
        (turn.question, _MARKER.sub("", turn.answer)[:_HISTORY_ANSWER_CHARS].strip())
        for turn in list(history)[-HISTORY_TURNS:]
    ]
    prompt = prompts.condense_prompt(language, turns, question)
    text = "".join(model.stream([ChatMessage("user", prompt)], max_tokens=80, cancel=cancel)).strip()
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    standalone = first_line.strip("\"'“”「」 ").removeprefix("Standalone question:").strip()
    return standalone if len(standalone) >= 2 else question


_UNFINISHED = re.compile(r"(?:是|为|乃|：|:|\b(?:is|are|was|were|of|the|by|to))\s*$", re.I)
_TRAILING = re.compile(r"[\s。.，,；;！!？?“”\"'）)]+$")


def is_unfinished(answer: str) -> bool:
    """True when the answer stops where its answer should start ("禁用物质是 [1]", "The winner was [2].").

    A small model that finds no answer in the passages sometimes writes the question's words
    back, a copula and a citation, and nothing else: that is a refusal in disguise.
    """
    text = _TRAILING.sub("", _MARKER.sub("", answer))
    return bool(text) and bool(_UNFINISHED.search(text))


def only_markers(answer: str) -> bool:
    """True when the answer is nothing but citation markers ("[1]"): small models sometimes point
    at a passage instead of answering from it."""
    return bool(_MARKER.search(answer)) and not _tokens(_MARKER.sub("", answer))


def _is_chinese(term: str) -> bool:
    return "\u4e00" <= term[0] <= "\u9fff"


def _question_terms(text: str) -> set[str]:
    """Words and numbers, and for Chinese the character bigrams of each run of characters (a
    lone character counts as itself): single characters match almost any long Chinese sentence,
    bigrams ("统治", "辽东") match the sentence that says the question's words."""
    terms: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fff]+|[^\u4e00-\u9fff]+", text):
        if _is_chinese(run):
            terms.update({run[i:i + 2] for i in range(len(run) - 1)} or {run})
        else:
            terms.update(_tokens(run))
    return terms


def quote_best_sentence(answer: str, passages: Sequence[Passage], question: str) -> str:
    """For an answer that only points at passages: the passage sentence (or semicolon clause) that
    says most of the question's terms, quoted with its own passage's marker, so the user gets the
    text pointed at. Clauses, because a Wikipedia-style sentence can list a whole election's results
    with semicolons and the question asks about one of them: quoted whole, the check that follows
    doubted a correct answer (README "Quality").

    Every passage in the language of one pointed at is searched, not only those pointed at: a
    1.5B model that cannot write the answer often points at the wrong passage too (measured on 64
    answerable Chinese dev questions, README "Quality"); a tie goes to a passage pointed at, then
    to the better-ranked. Other languages are left out because a Chinese question's words cannot
    be found in the English passage a cross-language answer points at, and a Chinese distractor
    would win. An answer that points at no given passage is returned unchanged."""
    pointed = {int(n) for m in _MARKER.finditer(answer) for n in re.findall(r"\d+", m.group(1))}
    pointed &= set(range(1, len(passages) + 1))
    if not pointed:
        return answer
    languages = {detect_language(passages[number - 1].text) for number in pointed}
    wanted = _question_terms(question)
    best, best_number, best_rank = "", 0, (-1.0, False)
    for number, passage in enumerate(passages, start=1):
        if number not in pointed and detect_language(passage.text) not in languages:
            continue
        for match in _CLAUSE.finditer(passage.text):
            sentence = strip_markers(match.group(0)).rstrip("；;")  # the document's own footnote marks
            tokens = _tokens(sentence)
            if len(tokens) < 3:
                continue
            rank = (_share_of(wanted, sentence, set(tokens)) if wanted else 0.0, number in pointed)
            if rank > best_rank:
                best, best_number, best_rank = sentence, number, rank
    return f"“{best}” [{best_number}]" if best else answer
