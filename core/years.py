"""Which calendar years a question asks about and which an answer talks about.

A small model given passages about the right story but the wrong year (last year's revenue, the
previous season's final) copies that year's fact as the answer. When the question names a year
and the answer names only other years, the answer is about something else and is withdrawn
(core.engine). Measured on ../shared/eval/dev (README "Quality"): of the 569 answerable questions'
gold answers two name only another year (a "why" question answered with history, and a July 2022
filing's notes "due 2026 and 2028"); of 57 Chinese answers the 1.5B model wrote to unanswerable
questions, two do ("2022年下半年征兵…" answered with 2021's call-up).

Years are four-digit 1900-2099, in ASCII, full-width (２０２２) or Chinese digits (二〇二二年).
Pure functions; any thread.
"""

from __future__ import annotations

import re
import unicodedata

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
