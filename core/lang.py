"""Language detection for questions and text: Chinese vs English, by script.

Wenku answers in the question's language. A question counts as Chinese when CJK ideographs make
up a meaningful share of its letters; a single English product name inside a Chinese question does
not flip it. Pure functions, any thread.
"""

from __future__ import annotations

import re

from core.datatypes import Language

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


def detect_language(text: str) -> Language:
    """``"zh"`` if the text is mainly Chinese, else ``"en"``.

    Each CJK ideograph counts as one unit and each Latin word as one unit (a Chinese word is
    usually 1-2 characters), so "什么是 Qdrant Edge？" is Chinese.
    """
    han = cjk_count(text)
    words = len(_LATIN_WORD.findall(text))
    return "zh" if han > 0 and han >= words else "en"
