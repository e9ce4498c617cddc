"""Prompt templates, one folder per answer language under ``resources/prompts/<lang>/``.

Each language has the same files with the same named placeholders (a test checks it):
``system.txt`` ({refusal}), ``user.txt`` ({passages}, {question}), ``passage.txt`` ({number},
{document}, {page}, {text}), ``refusal.txt`` (the fixed sentence that means "not in your
documents"), ``condense.txt`` ({history}, {question}: rewrite a follow-up as a standalone question)
``turn.txt`` ({question}, {answer}: one exchange of the history), ``summary_map.txt``
({document}, {pages}, {text}) / ``summary_reduce.txt`` ({document}, {parts}) for summaries,
``translate.txt`` ({text}: translate a question into that folder's language; used by the eval),
``verify.txt`` ({passages}, {question}, {answer}: the answer check) and ``missing.txt`` ({names}),
``withdrawn.txt`` and ``other_year.txt`` ({asked}, {answered}) (refusal notes), ``yes_no.txt`` (the
line that turns the answer prompt into a bare yes/no question) and ``verdict_no.txt`` (the line
that tells the model its answer to a yes/no question is "no"; see core.answer.build_messages).
Templates are read once and cached; any thread may call.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Sequence

from core.datatypes import AnswerDone, Language
from core.paths import resource_path

LANGUAGES: tuple[Language, ...] = ("en", "zh")
TEMPLATES = ("system", "user", "passage", "refusal", "condense", "turn", "summary_map", "summary_reduce", "translate",
             "missing", "withdrawn", "other_year", "verify", "verify_sentence", "yes_no", "verdict_no")


@functools.cache
def template(language: Language, name: str) -> str:
    return resource_path("prompts", language, f"{name}.txt").read_text(encoding="utf-8").strip()


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def refusal(language: Language) -> str:
    return template(language, "refusal")


def missing_names_note(language: Language, names: Sequence[str]) -> str:
    """The translated line shown under a refusal caused by names the documents never mention."""
    separator = "、" if language == "zh" else ", "
    quoted = separator.join(f"“{name}”" for name in names)
    return template(language, "missing").format(names=quoted)


def refusal_note(done: AnswerDone) -> str | None:
    """Why ``done`` was refused, in its language, when there is more to say than the refusal
    sentence: the names the documents never mention, that the answer found is about another year
    than the one asked, or that the model's own answer failed its check and was withdrawn."""
    if not done.refused:
        return None
    if done.missing_names:
        return missing_names_note(done.language, done.missing_names)
    if done.year_mismatch is not None:
        return template(done.language, "other_year").format(asked=_years(done.language, done.year_mismatch.asked),
                                                            answered=_years(done.language, done.year_mismatch.answered))
    return template(done.language, "withdrawn") if done.withdrawn else None


def _years(language: Language, years: Sequence[str]) -> str:
    return ("、" if language == "zh" else ", ").join(years)


def system_prompt(language: Language) -> str:
    return template(language, "system").format(refusal=refusal(language))


def passage_block(language: Language, number: int, document: str, page: int, text: str) -> str:
    return template(language, "passage").format(number=number, document=document, page=page, text=text)


def user_prompt(language: Language, passages: str, question: str) -> str:
    return template(language, "user").format(passages=passages, question=question)


def verify_prompt(language: Language, passages: str, question: str, answer: str) -> str:
    """The answer check: it opens exactly like :func:`user_prompt`, so a model that caches the
    prompt it has just answered re-reads only the question, the answer and the instruction."""
    return template(language, "verify").format(passages=passages, question=question, answer=answer)


def condense_prompt(language: Language, turns: list[tuple[str, str]], question: str) -> str:
    history = "\n".join(template(language, "turn").format(question=q, answer=a) for q, a in turns)
    return template(language, "condense").format(history=history, question=question)
