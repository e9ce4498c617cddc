"""Finding and masking personal data (PII) in extracted text, Chinese and English.

Used when a workspace is created with ``mask_pii`` (off by default): the masked text is what is
embedded, BM25-indexed, stored and shown, so the originals never enter the index. Detected:

* ``[EMAIL]`` e-mail addresses;
* ``[PHONE]`` mainland China mobiles (``1[3-9]`` + 9 digits, optionally ``+86``, spaced or dashed),
  landlines (``010-12345678``, ``(0755) 8765 4321``), international ``+CC`` numbers (8–15 digits)
  and North-American ``(555) 123-4567`` / ``555-123-4567``;
* ``[ID]`` PRC resident identity numbers: 18 characters whose last one is the ISO 7064 MOD 11-2
  check character (a wrong checksum is not masked);
* ``[CARD]`` bank card numbers: 13–19 digits (optionally in groups of 4) with a card issuer's
  leading digits, passing the Luhn check;
* ``[IP]`` IPv4 addresses (four octets 0–255) and IPv6 addresses (validated by :mod:`ipaddress`);
* ``[NAME]`` personal names where a cue makes them recognisable: an English honorific followed by
  capitalised words (``Dr. Alice Smith``), a Chinese field label (``姓名：张三``, ``联系人：李四``),
  or a common Chinese surname plus up to two characters before ``先生/女士/小姐/同志/老师/教授``.

Numbers wrapped across lines by the PDF ("6222\n0212 3456 …") are still found.

Limits, honestly: names without a cue ("Alice Smith said", "张三说") are not found, and a surname
character before a cue word can be a false hit ("关于女士" masks "于"); a dotted version number
shaped like an IPv4 address (``1.2.3.4``) is masked; full-width brackets around an area code and
numbers written in Chinese numerals are missed; a 13–19 digit number with a card prefix that
happens to pass Luhn is masked as a card; an ID or e-mail split mid-token by a line break is missed.
Pure functions; any thread.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

PiiKind = Literal["EMAIL", "PHONE", "ID", "CARD", "IP", "NAME"]

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
_ID = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[0-9Xx](?![0-9A-Za-z])")
# Separators inside a number may be a line break too: PDFs wrap long numbers across lines.
_CARD = re.compile(r"(?<![\d-])(?:\d{4}[\s-]){2,3}\d{4}(?:[\s-]?\d{1,3})?(?![\d-])|(?<![\d.-])\d{13,19}(?![\d.-])")
_MOBILE = re.compile(r"(?<![\d+])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<![\d-])(?:\(0\d{2,3}\)\s?|0\d{2,3}[\s-])\d{3,4}[\s-]?\d{4}(?:[-转]\d{1,5})?(?!\d)")
_INTERNATIONAL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}(?!\d)")
_NANP = re.compile(r"(?<![\d-])(?:\(\d{3}\)\s?|\d{3}-)\d{3}-\d{4}(?!\d)")
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.]*\d)")
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])")
_HONORIFIC = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof|Professor|Sir|Madam)\.?\s+((?:[A-Z][a-z'’-]+|[A-Z]\.)(?:\s+(?:[A-Z][a-z'’-]+|[A-Z]\.)){0,2})"
)
_ZH_LABEL = re.compile(
    r"(?:姓\s*名|联系人|申请人|负责人|经办人|收件人|收货人|持卡人|患者|法定代表人|法人代表|Name|NAME)\s*[:：]\s*"
    r"([\u4e00-\u9fff·]{2,5}|[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})"
)
#: The most common Chinese surnames (about 85 % of the population), compound ones first.
_SURNAMES = (
    "欧阳|司马|上官|诸葛|东方|皇甫|慕容|令狐|"
    "王|李|张|刘|陈|杨|黄|赵|吴|周|徐|孙|马|朱|胡|郭|何|高|林|罗|郑|梁|谢|宋|唐|许|韩|冯|邓|曹|彭|曾|肖|"
    "田|董|袁|潘|于|蒋|蔡|余|杜|叶|程|苏|魏|吕|丁|任|沈|姚|卢|姜|崔|钟|谭|陆|汪|范|金|石|廖|贾|夏|韦|付|"
    "方|白|邹|孟|熊|秦|邱|江|尹|薛|闫|段|雷|侯|龙|史|陶|黎|贺|顾|毛|郝|龚|邵|万|钱|严|覃|武|戴|莫|孔|向|汤"
)
_ZH_CUE = re.compile(rf"(?:{_SURNAMES})[\u4e00-\u9fff]{{0,2}}?(?=先生|女士|小姐|同志|老师|教授)")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class PiiMatch:
    """One finding: ``text[start:end]`` is personal data of ``kind``."""

    start: int
    end: int
    kind: PiiKind


def prc_id_valid(candidate: str) -> bool:
    """True for an 18-character PRC resident ID whose check character is right (ISO 7064 MOD 11-2)."""
    if len(candidate) != 18 or not candidate[:17].isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(candidate[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == candidate[17].upper()


def luhn_valid(digits: str) -> bool:
    """The Luhn check used by bank card numbers (digits only)."""
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_prefix(digits: str) -> bool:
    """Issuer ranges of real cards (3 Amex/JCB/Diners, 4 Visa, 5 Mastercard, 6 UnionPay/Discover,
    2221–2720 Mastercard): a row of years such as "2019 2020 2021 2022" is never a card."""
    return digits[0] in "3456" or 2221 <= int(digits[:4]) <= 2720


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def find_pii(text: str) -> list[PiiMatch]:
    """Non-overlapping findings in ``text``, in order. Earlier kinds win an overlap
    (an ID number is not also reported as a card or a phone number)."""
    found: list[PiiMatch] = []

    def add(start: int, end: int, kind: PiiKind) -> None:
        if all(end <= m.start or start >= m.end for m in found):
            found.append(PiiMatch(start, end, kind))

    for match in _EMAIL.finditer(text):
        add(match.start(), match.end(), "EMAIL")
    for match in _ID.finditer(text):
        if prc_id_valid(match.group()):
            add(match.start(), match.end(), "ID")
    for match in _CARD.finditer(text):
        digits = _digits(match.group())
        if 13 <= len(digits) <= 19 and _card_prefix(digits) and luhn_valid(digits):
            add(match.start(), match.end(), "CARD")
    for pattern in (_MOBILE, _LANDLINE, _NANP):
        for match in pattern.finditer(text):
            add(match.start(), match.end(), "PHONE")
    for match in _INTERNATIONAL.finditer(text):
        if 8 <= len(_digits(match.group())) <= 15:
            add(match.start(), match.end(), "PHONE")
    for match in _IPV4.finditer(text):
        add(match.start(), match.end(), "IP")
    for match in _IPV6.finditer(text):
        candidate = match.group()
        if candidate.count(":") >= 2 and any(c.isalnum() for c in candidate):
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                continue
            add(match.start(), match.end(), "IP")
    for pattern in (_HONORIFIC, _ZH_LABEL):
        for match in pattern.finditer(text):
            add(match.start(1), match.end(1), "NAME")
    for match in _ZH_CUE.finditer(text):
        add(match.start(), match.end(), "NAME")
    return sorted(found, key=lambda m: m.start)


def placeholder(kind: PiiKind) -> str:
    return f"[{kind}]"


def mask_range(text: str, start: int, end: int, matches: list[PiiMatch]) -> tuple[str, Counter[str]]:
    """``text[start:end]`` with every finding overlapping it replaced by its placeholder.

    Findings are computed on the whole page and applied per chunk, so a finding cut by a chunk
    boundary is still masked (its visible part becomes the placeholder).
    """
    out: list[str] = []
    counts: Counter[str] = Counter()
    cursor = start
    for match in matches:
        if match.end <= start or match.start >= end:
            continue
        lo, hi = max(match.start, start), min(match.end, end)
        out.append(text[cursor:lo])
        out.append(placeholder(match.kind))
        counts[match.kind] += 1
        cursor = hi
    out.append(text[cursor:end])
    return "".join(out), counts


def mask_text(text: str) -> tuple[str, Counter[str]]:
    """The whole text masked, and how many findings of each kind were replaced."""
    return mask_range(text, 0, len(text), find_pii(text))
