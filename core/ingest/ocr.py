"""OCR behind a small Protocol, with the RapidOCR (``rapidocr`` 3.x) implementation.

RapidOCR ships PP-OCR models (Chinese + English) inside its wheel, so it runs offline. The engine
is created lazily on first use (it takes a second and ~100 MB) and guarded by a lock, because one
ONNX session should not be driven from two threads at once. Any thread may call :meth:`read`.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from core.errors import DependencyMissing
from core.lang import cjk_count

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OcrLine:
    """One recognised line: its text, confidence (0-1), and box in image pixels (x0, y0, x1, y1)."""

    text: str
    confidence: float
    box: tuple[float, float, float, float]


class OcrEngine(Protocol):
    def read(self, image: Any) -> list[OcrLine]:
        """Recognise the lines of an RGB image (numpy array H×W×3), in reading order."""


class RapidOcrEngine:
    """RapidOCR with its shipped models. Thread-safe through an internal lock."""

    MIN_CONFIDENCE = 0.5

    def __init__(self) -> None:
        self._engine: Any = None
        self._lock = threading.Lock()

    def _ensure(self) -> Any:
        if self._engine is None:
            try:
                from rapidocr import RapidOCR
            except ImportError as error:
                raise DependencyMissing("rapidocr is not installed: pip install rapidocr") from error
            # The per-line 0/180 degree classifier flips some long, correct lines and reads them as
            # garbage (measured on the scanned sample: 3 of 11 lines lost with it, 0 without), and
            # costs time; whole-page rotation is handled before OCR instead.
            # Its "text detection result is empty" warning is routine for pictures without text.
            self._engine = RapidOCR(params={"Global.use_cls": False, "Global.log_level": "error"})
            logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        return self._engine

    def read(self, image: Any) -> list[OcrLine]:
        with self._lock:
            result = self._ensure()(image)
        if result is None or result.txts is None:
            return []
        lines = []
        for text, score, box in zip(result.txts, result.scores, result.boxes, strict=True):
            if score < self.MIN_CONFIDENCE or not str(text).strip():
                continue
            xs = [float(p[0]) for p in box]
            ys = [float(p[1]) for p in box]
            lines.append(OcrLine(str(text), float(score), (min(xs), min(ys), max(xs), max(ys))))
        return sort_reading_order(dashes_in_latin_text(lines))


#: The Chinese/English models read an em dash standing alone (an empty table cell in a financial
#: statement: "(6) — 4") as the Chinese numeral 一 ("one"), which it resembles exactly.
_LONE_YI = re.compile(r"^一+$")


def dashes_in_latin_text(lines: list[OcrLine]) -> list[OcrLine]:
    """Lines that are only 一 become "—" when no other line of the image holds a CJK ideograph:
    on an English page such a line is a dash, never the word "one"."""
    if any(cjk_count(line.text) for line in lines if not _LONE_YI.match(line.text.strip())):
        return lines
    return [OcrLine("—", line.confidence, line.box) if _LONE_YI.match(line.text.strip()) else line
            for line in lines]


def sort_reading_order(lines: list[OcrLine]) -> list[OcrLine]:
    """Top-to-bottom, then left-to-right for lines whose vertical centres are within half a line."""
    if not lines:
        return lines
    height = sorted(line.box[3] - line.box[1] for line in lines)[len(lines) // 2]
    tolerance = max(height * 0.5, 1.0)
    ordered = sorted(lines, key=lambda line: (line.box[1] + line.box[3]) / 2)
    rows: list[list[OcrLine]] = []
    for line in ordered:
        centre = (line.box[1] + line.box[3]) / 2
        if rows and abs(centre - (rows[-1][0].box[1] + rows[-1][0].box[3]) / 2) <= tolerance:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda item: item.box[0])]
