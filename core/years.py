"""Which calendar years a question asks about and which an answer talks about.

A small model given passages about the right story but the wrong year (last year's revenue, the
previous season's final) copies that year's fact as the answer. When the question names a year
and the answer names only other years, the answer is about something else and is withdrawn
(core.engine). Measured on ../shared/eval/dev (README "Quality"): of the 569 answerable questions'
gold answers two name only another year (a "why" question answered with history, and a July 2022
filing's notes "due 2026 and 2028"); of 57 Chinese answers the 1.5B model wrote to unanswerable
questions, two do ("2022年下半年征兵…" answered with 2021's call-up).

A bare name gives no year to compare ("2023年央视春晚总导演是谁" answered "黄一鹤、邓在军", the 1983
directors, from a list of every year's), and the model often puts the question's year on another
year's fact ("2015年林郁智以公路电影《一路顺风》入围…" copied from "2016年以公路电影《一路顺风》入围…"), so
for Chinese the text the answer was copied from is dated too (:func:`source_year_mismatch`).

Years are four-digit 1900-2099, in ASCII, full-width (２０２２) or Chinese digits (二〇二二年).
Pure functions; any thread.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher

from core.datatypes import YearMismatch

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_CHINESE_DIGITS = {"〇": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4",
                   "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_CHINESE_YEAR = re.compile(f"[{''.join(_CHINESE_DIGITS)}]{{4}}(?=年)")


def years_in(text: str) -> frozenset[str]:
    """The years ``text`` names, as four ASCII digits."""
    text = unicodedata.normalize("NFKC", text)
    text = _CHINESE_YEAR.sub(lambda m: "".join(_CHINESE_DIGITS[c] for c in m.group()), text)
    return frozenset(_YEAR.findall(text))


def year_mismatch(question: str, answer: str) -> YearMismatch | None:
    """The question's and the answer's years when the question names a year and the answer names
    years but none of the question's; None otherwise (no year asked, none answered, or one shared)."""
    asked, answered = years_in(question), years_in(answer)
    if not asked or not answered or asked & answered:
        return None
    return YearMismatch(asked=tuple(sorted(asked)), answered=tuple(sorted(answered)))


#: Characters before a copied run that date it: the same sentence's opening words ("1983年春晚总导演：").
SOURCE_WINDOW_CHARS = 20
#: The shortest run of characters an answer shares with a passage that counts as copied from it.
MIN_COPIED_CHARS = 4
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def source_year_mismatch(question: str, answer: str, passages: Sequence[str]) -> YearMismatch | None:
    """The question's years and those dating the answer's source when the question names a year, the
    answer names no other year (else :func:`year_mismatch` decides) and every place it was copied
    from is dated with other years only; None otherwise. An answer naming only the question's year
    over text dated another year took that year from the question, not from the documents.

    The copied text is the longest run of characters ``answer`` shares with a passage (at least
    :data:`MIN_COPIED_CHARS`); each of its occurrences in ``passages`` is dated by the years in it
    and in up to :data:`SOURCE_WINDOW_CHARS` characters before it within its sentence. One undated
    occurrence, or one dated with an asked year, keeps the answer: the rule withdraws only an
    answer all of whose possible sources speak of another year. Measured on Chinese only (README
    "Quality"); English tables put "December 31, 2017" beside fiscal-2018 lines.
    """
    asked = years_in(question)
    run = _longest_copied_run(answer, passages) if asked and years_in(answer) <= asked else ""
    if not run:
        return None
    dated: set[str] = set()
    for text in passages:
        start = text.find(run)
        while start >= 0:
            opening = text[max(0, start - SOURCE_WINDOW_CHARS):start]
            opening = _SENTENCE_END.split(opening)[-1]
            years = years_in(opening + run)
            if not years or years & asked:
                return None
            dated |= years
            start = text.find(run, start + 1)
    return YearMismatch(asked=tuple(sorted(asked)), answered=tuple(sorted(dated))) if dated else None


def _longest_copied_run(answer: str, passages: Sequence[str]) -> str:
    best = ""
    for text in passages:
        match = SequenceMatcher(None, answer, text, autojunk=False).find_longest_match(0, len(answer), 0, len(text))
        if match.size > len(best):
            best = answer[match.a:match.a + match.size]
    return best if len(best.strip()) >= MIN_COPIED_CHARS else ""
