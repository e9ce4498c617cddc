"""OCR a picture whatever way up its content lies (0/90/180/270 degrees), keeping line boxes.

RapidOCR reads upright text, and mildly skewed text (its detector returns quadrilaterals; a 3°
skew reads as well as a straight page). Its per-line 0/180 classifier (``use_cls``) does not fix
whole pages: measured on generated A4 pages, with it a 180° English page read at 0.86 mean score
with lines in the wrong order and some garbled, sideways pages came back in the wrong line order,
and upright lines were sometimes flipped (see ``core.ingest.ocr``). So orientation is decided per
picture here, from the OCR result of the upright read, which costs nothing for upright pages:

* upright read has mostly wide line boxes and a good score → done (the common case, one OCR call);
* mostly tall boxes → the content lies sideways: read at 90° and 270° clockwise;
* wide boxes but a poor score → maybe upside down: read at 180°;
* nothing read → try 90°, 180° and 270°.

The best reading maximises characters × score² × share of wide boxes (a sideways page can be
read correctly line by line, because RapidOCR turns tall crops, but then its boxes are tall and
its lines out of order). Boxes come back in the coordinates of the picture as given.

Any thread (the OCR engine serialises itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.ingest.ocr import OcrEngine, OcrLine

UPRIGHT_MIN_SCORE = 0.80
UPRIGHT_MIN_WIDE_SHARE = 0.5


@dataclass(frozen=True)
class OrientedRead:
    """OCR'd lines in reading order with boxes in the original picture's pixels; ``rotation`` is
    the clockwise turn (degrees) that made the content upright."""

    lines: list[OcrLine]
    rotation: int

    @property
    def confidence(self) -> float | None:
        return mean_confidence(self.lines)


def mean_confidence(lines: list[OcrLine]) -> float | None:
    """Mean of the line scores, None when nothing was read."""
    return sum(line.confidence for line in lines) / len(lines) if lines else None


def _judged(lines: list[OcrLine]) -> list[OcrLine]:
    return [line for line in lines if len(line.text.strip()) >= 3]


def wide_share(lines: list[OcrLine]) -> float:
    """Share of lines (of 3+ characters) whose box is wider than tall."""
    judged = _judged(lines)
    if not judged:
        return 1.0 if lines else 0.0
    return sum(1 for line in judged if line.box[2] - line.box[0] >= line.box[3] - line.box[1]) / len(judged)


def _weighted_score(lines: list[OcrLine]) -> float:
    chars = sum(len(line.text) for line in lines)
    return sum(line.confidence * len(line.text) for line in lines) / chars if chars else 0.0


def quality(lines: list[OcrLine]) -> float:
    """How good a reading is: characters × score² × share of wide boxes."""
    chars = sum(len(line.text) for line in lines)
    return chars * _weighted_score(lines) ** 2 * wide_share(lines)


def turn(image: Any, quarters: int) -> Any:
    """The picture turned ``quarters`` × 90° clockwise (a contiguous copy, as ONNX wants)."""
    import numpy as np

    return np.ascontiguousarray(np.rot90(image, -quarters)) if quarters % 4 else image


def unturn_box(box: tuple[float, float, float, float], quarters: int, width: float, height: float
               ) -> tuple[float, float, float, float]:
    """Map a box found in the picture turned ``quarters`` × 90° clockwise back to the original
    picture (``width`` × ``height`` pixels)."""
    x0, y0, x1, y1 = box
    quarters %= 4
    if quarters == 1:
        return (y0, height - x1, y1, height - x0)
    if quarters == 2:
        return (width - x1, height - y1, width - x0, height - y0)
    if quarters == 3:
        return (width - y1, x0, width - y0, x1)
    return box


def read_upright(ocr: OcrEngine, image: Any) -> OrientedRead:
    """OCR ``image`` (H×W×3) in whichever orientation reads best; see the module docstring."""
    lines = ocr.read(image)
    if lines and wide_share(lines) >= UPRIGHT_MIN_WIDE_SHARE and _weighted_score(lines) >= UPRIGHT_MIN_SCORE:
        return OrientedRead(lines, 0)
    if not lines:
        candidates = [1, 2, 3]
    elif wide_share(lines) < UPRIGHT_MIN_WIDE_SHARE:
        candidates = [1, 3]
    else:
        candidates = [2]
    best, best_quarters, best_quality = lines, 0, quality(lines)
    for quarters in candidates:
        found = ocr.read(turn(image, quarters))
        if quality(found) > best_quality * 1.05:
            best, best_quarters, best_quality = found, quarters, quality(found)
    if best_quarters == 0:
        return OrientedRead(best, 0)
    height, width = image.shape[:2]
    mapped = [OcrLine(line.text, line.confidence, unturn_box(line.box, best_quarters, width, height)) for line in best]
    return OrientedRead(mapped, 90 * best_quarters)
