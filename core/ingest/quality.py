"""Which chunks are worth indexing: drop empty ones, ones with no words, and unreadable OCR.

Why: a chunk that is only "3 . . . 17" or "— — —", or an OCR misreading of a photo, costs
embedding time, crowds real passages out of search results and can be quoted in an answer.

Reasons (the keys counted in the import report):

* ``empty`` — nothing but whitespace is left (e.g. after boilerplate removal);
* ``no_words`` — only digits, punctuation and symbols: no letter of any script;
* ``low_ocr_confidence`` — from an OCR'd page whose confidence (page-level, or the chunk's own
  when the OCR stage provides line confidences) is below :data:`MIN_OCR_CONFIDENCE`.

The confidence is optional: text-layer pages have none and are never dropped for it. Pure
functions; any thread.
"""

from __future__ import annotations

from typing import Literal

#: Mean RapidOCR confidence below which OCR'd text is treated as garbage. RapidOCR already drops
#: single lines under 0.5; clean scans read at 0.85–0.99 here, misread photos and noise at 0.5–0.7.
MIN_OCR_CONFIDENCE = 0.65

DropReason = Literal["empty", "no_words", "low_ocr_confidence"]
DROP_REASONS: tuple[DropReason, ...] = ("empty", "no_words", "low_ocr_confidence")


def drop_reason(text: str, ocr_confidence: float | None = None) -> DropReason | None:
    """Why the chunk ``text`` should not be indexed, or None to keep it."""
    if not text.strip():
        return "empty"
    if not any(char.isalpha() for char in text):
        return "no_words"
    if ocr_confidence is not None and ocr_confidence < MIN_OCR_CONFIDENCE:
        return "low_ocr_confidence"
    return None
