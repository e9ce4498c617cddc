"""Is a PDF text layer real text, or junk that should be OCR'd instead?

Text layers go wrong in a few recognisable ways, each checked cheaply on the extracted string:

* replacement characters, private-use code points (fonts without a ToUnicode map) and control
  characters;
* UTF-8 bytes decoded as Latin-1/cp1252 (``cafÃ©``, ``donâ€™t``): lead-byte/continuation-byte
  pairs that real Latin-script text does not contain;
* Chinese mojibake (UTF-8 read as GBK, GBK read as Big5, ...): real Chinese text is ~99 % made of
  the common characters of GB2312 (levels 1-2) or Big5 level 1; mojibake measured 42-64 %;
* glyph-id junk (``3 4 5 & ' ( )``) or a junk OCR layer: few tokens look like words or numbers.

Thresholds were checked against every gold page of the dev kit (no false positives, see
``tests/benchmarks/cer.py``). Pure functions, any thread.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MIN_CHARS = 20
MAX_BAD_SHARE = 0.10
#: At least one UTF-8-read-as-Latin-1 pair (``Ã©``, ``â€™``) per this many letters marks mojibake.
MOJIBAKE_PAIRS_PER_LETTERS = 50
MIN_COMMON_CJK_SHARE = 0.85
MIN_WORDLIKE_SHARE = 0.50
MIN_TOKENS = 8

_TOKEN = re.compile(r"\S+")
_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")
_WORD = re.compile(r"^[A-Za-z\u00c0-\u024f]+(?:['’\-][A-Za-z\u00c0-\u024f]+)*$")
_NUMBER = re.compile(r"^[($€£¥+\-]?\d[\d,.:/%\-]*[)%]?$")
_VOWEL = re.compile(r"[aeiouyAEIOUY\u00c0-\u00ff]")
#: A UTF-8 lead byte followed by a continuation byte, both decoded as Latin-1/cp1252.
_UTF8_AS_LATIN1 = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class TextVerdict:
    """Whether the text is usable, and if not, which check failed (for logs and ``PageText.note``)."""

    ok: bool
    reason: str = ""


def _is_bad(char: str) -> bool:
    if char in "\t\n\r":
        return False
    if char == "\ufffd":
        return True
    return unicodedata.category(char) in ("Co", "Cc", "Cn", "Cs")


def _is_common_cjk(char: str) -> bool:
    try:
        gb = char.encode("gb2312")
        if len(gb) == 2 and 0xB0 <= gb[0] <= 0xF7:
            return True
    except UnicodeEncodeError:
        pass
    try:
        big5 = char.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(big5) == 2 and 0xA4 <= big5[0] <= 0xC6


def _wordlike(token: str) -> bool:
    core = _EDGE_PUNCT.sub("", token)
    if not core:
        return False
    if _CJK.search(core) or _NUMBER.match(core):
        return True
    return bool(_WORD.match(core)) and len(core) <= 25 and (len(core) <= 3 or bool(_VOWEL.search(core)))


def check_text(text: str) -> TextVerdict:
    """Judge a page's extracted text layer; short texts are always accepted (too little to judge)."""
    visible = [c for c in text if not c.isspace()]
    if len(visible) < MIN_CHARS:
        return TextVerdict(True)
    bad = sum(1 for c in visible if _is_bad(c))
    if bad / len(visible) > MAX_BAD_SHARE:
        return TextVerdict(False, "garbage: replacement, private-use or control characters")
    letters = sum(1 for c in visible if c.isalpha() and ord(c) < 0x3000)
    pairs = len(_UTF8_AS_LATIN1.findall(text))
    if pairs >= 3 and pairs * MOJIBAKE_PAIRS_PER_LETTERS >= letters:
        return TextVerdict(False, "garbage: mojibake (UTF-8 read as Latin-1)")
    cjk = _CJK.findall(text)
    if len(cjk) >= MIN_CHARS:
        common = sum(1 for c in cjk if _is_common_cjk(c))
        if common / len(cjk) < MIN_COMMON_CJK_SHARE:
            return TextVerdict(False, "garbage: Chinese mojibake (rare characters)")
    if len(cjk) < len(visible) / 3:
        # lone separators ("&", "—", "|", "\\\\") are neither words nor junk
        tokens = [t for t in _TOKEN.findall(text) if len(t) > 2 or any(c.isalnum() for c in t)]
        if len(tokens) >= MIN_TOKENS and sum(map(_wordlike, tokens)) / len(tokens) < MIN_WORDLIKE_SHARE:
            return TextVerdict(False, "garbage: too few real words")
    return TextVerdict(True)
