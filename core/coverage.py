"""Does the workspace mention what the question is about? The absent-name check before answering.

Questions about something the documents never name ("What is Coca Cola's FY2022 dividend payout
ratio?" over a folder of other companies' reports) retrieve passages that look relevant (same kind
of document, same vocabulary: similarity 0.82-0.88 on the dev kit, as high as answerable
questions'), and a small model then answers from the wrong company's figures. What separates them
is exact: the name in the question occurs nowhere in the workspace. This module picks the names a
question is about and reports those the workspace's keyword index has never seen; the engine
refuses such questions without asking the model, and says which name is missing.

Which words count as names is deliberately narrow, because a false refusal costs more than a
missed one (the model can still refuse): words of multi-word capitalised names ("Advanced Micro
Devices", "Monish Patolawala", "Coca Cola"), possessive subjects ("JPM's", "AES's"), tokens that
mix digits and capitals ("3M"), and titles in Chinese title marks (《流浪地球2》). Lone acronyms are
not names (DPO, COGS, PPNE are metrics a document may spell out), nor is the capitalised first
word of a sentence, nor fiscal-period tokens (FY2023, Q2, 10K). Measured on the dev kit: see
README "Quality". Pure functions, any thread.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

#: A capitalised word (letters, digits, & . - ' inside), e.g. "Advanced", "AT&T", "Coca-Cola".
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9&.'’-]*[A-Za-z0-9]|[A-Za-z0-9]")
_POSSESSIVE = re.compile(r"['’]s$")
#: Lower-case words allowed inside a multi-word name ("Bank of America", "Procter & Gamble").
_CONNECTORS = frozenset({"of", "and", "&", "de", "du", "la", "von", "van", "der", "for"})
_ARTICLES = frozenset({"the", "a", "an"})
#: Tokens that name a period or a filing, not an entity.
_PERIOD = re.compile(r"^(?:FY|Q|H|CY)\d?(?:['’]?\d{2,4})?$|^\d{1,4}[KQ]$|^\d+$|^[A-Z]$", re.I)
_TITLE = re.compile(r"《([^《》]{1,40})》")
_SENTENCE_START = re.compile(r"(?:^|[.?!:;]\s+|\n)$")
_FLATTEN = re.compile(r"\s+")


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper() or (word[:1].isdigit() and any(c.isupper() for c in word))


def _mixes_digits_and_capitals(word: str) -> bool:
    return any(c.isdigit() for c in word) and any(c.isupper() for c in word) and not _PERIOD.match(word)


def named_terms(question: str) -> list[str]:
    """The names a question is about, in order of appearance, each once (see module doc)."""
    text = unicodedata.normalize("NFKC", question)
    names: list[str] = [title.strip() for title in _TITLE.findall(text) if title.strip()]
    run: list[tuple[str, bool]] = []  # words of the current capitalised run, and whether possessive
    run_end = 0

    def close_run() -> None:
        words = [w for w, _ in run]
        while words and words[-1].lower() in _CONNECTORS:
            words.pop()
        capitalised = [w for w in words if w.lower() not in _CONNECTORS and w.lower() not in _ARTICLES]
        if len(capitalised) >= 2:
            names.extend(capitalised)
        elif len(capitalised) == 1 and (run[-1][1] or _mixes_digits_and_capitals(capitalised[0])):
            names.append(capitalised[0])
        run.clear()

    for match in _WORD.finditer(text):
        raw = match.group()
        possessive = bool(_POSSESSIVE.search(raw))
        word = _POSSESSIVE.sub("", raw)
        gap = text[run_end:match.start()] if run else ""
        if run and (gap.strip() not in ("", "&") or "\n" in gap):
            close_run()
        at_sentence_start = bool(_SENTENCE_START.search(text[:match.start()]))
        if _PERIOD.match(word):
            close_run()
            continue
        if _is_capitalised(word) and not (at_sentence_start and not possessive and not word.isupper()):
            run.append((word, possessive))
        elif run and word.lower() in _CONNECTORS:
            run.append((word, False))
        else:
            close_run()
        run_end = match.end()
        if possessive:
            close_run()
    close_run()
    seen: set[str] = set()
    return [n for n in names if not (n.casefold() in seen or seen.add(n.casefold()))]  # type: ignore[func-returns-value]


def _flat(text: str) -> str:
    return _FLATTEN.sub("", unicodedata.normalize("NFKC", text)).casefold()


KeywordLookup = Callable[[str], "Iterable[str] | None"]
_LETTERS = re.compile(r"[A-Za-z]{2,}")


def missing_names(question: str, keyword_texts: KeywordLookup) -> list[str]:
    """The question's names that no chunk of the workspace contains.

    ``keyword_texts(term)`` returns the texts of the chunks the keyword index matches for the term
    (empty when none shares a token with it; None when the term has no indexable token, e.g. a
    stop word, so nothing can be concluded). A word is present when any chunk matches it (the
    index's tokenizer decides: stemming makes this lenient, the safe side); a word mixing digits
    and letters is also present when its letters are ("EMNLP2022" vs "EMNLP 2022"); a Chinese
    title must appear whole in one of the matching chunks.
    """
    missing = []
    for name in named_terms(question):
        texts = keyword_texts(name)
        if texts is None:
            continue
        found = list(texts)
        if not name.isascii():
            wanted = _flat(name)
            if not any(wanted in _flat(t) for t in found):
                missing.append(name)
            continue
        if not found:
            letters = _LETTERS.findall(name)
            if letters and any(c.isdigit() for c in name) and all(keyword_texts(part) for part in letters):
                continue
            missing.append(name)
    return missing
