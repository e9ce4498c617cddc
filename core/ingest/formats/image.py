"""Pictures (PNG, JPEG, TIFF, BMP, GIF…) imported as one-page documents through OCR.

PyMuPDF decodes the picture (no extra dependency); it is OCR'd upright whatever its orientation
(:mod:`core.ingest.orient`). Line boxes are in the picture's own pixels (the "page" of a picture
is the picture). Very large pictures are halved until their longer side is at most
:data:`MAX_SIDE_PX` pixels before OCR (boxes are scaled back). Called from the import worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.errors import CorruptFile, NoTextFound
from core.ingest.ocr import OcrEngine
from core.ingest.orient import read_upright
from core.ingest.page import PageText, TextLine

MAX_SIDE_PX = 4000


def _rgb(path: Path) -> tuple[Any, int]:
    """The picture as an RGB array and the factor it was shrunk by."""
    import numpy as np

    from core.ingest.pdf import pymupdf_module

    pymupdf = pymupdf_module()
    try:
        pixmap = pymupdf.Pixmap(str(path))
    except Exception as error:
        raise CorruptFile(f"{path.name}: the picture is damaged or of an unknown kind ({error})") from error
    if pixmap.alpha:
        pixmap = pymupdf.Pixmap(pixmap, 0)
    if pixmap.colorspace is None or pixmap.colorspace.n != 3:
        pixmap = pymupdf.Pixmap(pymupdf.csRGB, pixmap)
    factor = 1
    while max(pixmap.width, pixmap.height) > MAX_SIDE_PX:
        pixmap.shrink(1)
        factor *= 2
    pixels = np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(pixmap.height, pixmap.width, pixmap.n)
    return np.ascontiguousarray(pixels[:, :, :3]), factor


def read_image(path: Path, ocr: OcrEngine | None) -> list[PageText]:
    if ocr is None:
        raise NoTextFound(f"{path.name}: a picture's text can only be read by OCR, and OCR is off")
    image, factor = _rgb(path)
    read = read_upright(ocr, image)
    parts: list[str] = []
    lines: list[TextLine] = []
    length = 0
    for line in read.lines:
        if parts:
            parts.append("\n")
            length += 1
        parts.append(line.text)
        box = tuple(round(value * factor, 1) for value in line.box)
        lines.append(TextLine(length, length + len(line.text), (box[0], box[1], box[2], box[3]), round(line.confidence, 3)))
        length += len(line.text)
    return [PageText(1, "".join(parts), "ocr", read.confidence, tuple(lines), rotation=read.rotation)]
