"""The source viewer: the cited PDF page, rendered, with the cited passage highlighted.

For text read by OCR, the citation carries the OCR'd line boxes (unrotated page points), which are
painted as they are. Otherwise the passage is located from the citation's character span into the
page's extracted text (the same ``page.get_text("text")`` the importer used): that text is searched
on the page line by line (``page.search_for``), falling back to the passage text itself. When
neither works (a scanned page from an engine without line boxes) the viewer says so. Rendering one page takes tens of milliseconds, so
it runs on the GUI thread. GUI thread only.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QImage, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import Retranslating
from desktop.icons import icon

log = logging.getLogger(__name__)

ZOOMS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)


def _pieces(text: str) -> list[str]:
    """Search strings for a passage: its lines, long lines cut at sentence ends."""
    pieces: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if len(line) < 2:
            continue
        if len(line) <= 60:
            pieces.append(line)
            continue
        pieces.extend(p.strip() for p in re.split(r"(?<=[.!?。！？；;,，])\s*", line) if len(p.strip()) >= 2)
    return pieces


def passage_rects(page: Any, span: tuple[int, int], fallback_text: str) -> list[tuple[float, float, float, float]]:
    """Rectangles (PDF points) covering the passage ``span`` of the page's text, or ``fallback_text``."""
    page_text = page.get_text("text").strip()
    start, end = span
    candidates = []
    if 0 <= start < end <= len(page_text):
        candidates.append(page_text[start:end])
    if fallback_text:
        candidates.append(fallback_text)
    for text in candidates:
        rects = []
        for piece in _pieces(text):
            for hit in page.search_for(piece[:120]):
                rects.append((hit.x0, hit.y0, hit.x1, hit.y1))
        if rects:
            return rects
    return []


class SourceViewer(Retranslating, QWidget):
    """Shows one page of one document with the passage highlighted; navigation and zoom."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self.page_number = 1
        self.page_count = 0
        self.zoom = 1.0
        self.cited_page = 0
        self.span: tuple[int, int] = (0, 0)
        self.passage_text = ""
        self.boxes: list[tuple[float, float, float, float]] = []
        self.highlight_rects: list[tuple[float, float, float, float]] = []
        self.doc_name = ""

        self.title = QLabel()
        self.title.setObjectName("panelTitle")
        self.title.setWordWrap(True)
        self.prev_button = QToolButton()
        self.prev_button.setIcon(icon("prev"))
        self.prev_button.clicked.connect(lambda: self.show_page(self.page_number - 1))
        self.page_box = QSpinBox()
        self.page_box.setMinimum(1)
        self.page_box.editingFinished.connect(lambda: self.show_page(self.page_box.value()))
        self.count_label = QLabel()
        self.next_button = QToolButton()
        self.next_button.setIcon(icon("next"))
        self.next_button.clicked.connect(lambda: self.show_page(self.page_number + 1))
        self.zoom_out_button = QToolButton()
        self.zoom_out_button.setIcon(icon("zoom-out"))
        self.zoom_out_button.clicked.connect(lambda: self.set_zoom(-1))
        self.zoom_label = QLabel()
        self.zoom_in_button = QToolButton()
        self.zoom_in_button.setIcon(icon("zoom-in"))
        self.zoom_in_button.clicked.connect(lambda: self.set_zoom(+1))
        self.open_button = QToolButton()
        self.open_button.setIcon(icon("open-external"))
        self.open_button.clicked.connect(self.open_external)
        self.close_button = QToolButton()
        self.close_button.setIcon(icon("close"))
        self.close_button.clicked.connect(self._close)
        bar = QHBoxLayout()
        for widget in (self.prev_button, self.page_box, self.count_label, self.next_button, self.zoom_out_button,
                       self.zoom_label, self.zoom_in_button):
            bar.addWidget(widget)
        bar.addStretch()
        bar.addWidget(self.open_button)
        bar.addWidget(self.close_button)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.image)
        self.scroll.setWidgetResizable(True)
        self.note = QLabel()
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.note)
        self.retranslate()

    def retranslate(self) -> None:
        self.prev_button.setToolTip(self.tr("Previous page"))
        self.prev_button.setAccessibleName(self.tr("Previous page"))
        self.next_button.setToolTip(self.tr("Next page"))
        self.next_button.setAccessibleName(self.tr("Next page"))
        self.page_box.setAccessibleName(self.tr("Page number"))
        self.zoom_in_button.setToolTip(self.tr("Zoom in"))
        self.zoom_in_button.setAccessibleName(self.tr("Zoom in"))
        self.zoom_out_button.setToolTip(self.tr("Zoom out"))
        self.zoom_out_button.setAccessibleName(self.tr("Zoom out"))
        self.open_button.setToolTip(self.tr("Open in the system's PDF viewer"))
        self.open_button.setAccessibleName(self.tr("Open in the system's PDF viewer"))
        self.close_button.setToolTip(self.tr("Close the source"))
        self.close_button.setAccessibleName(self.tr("Close the source"))
        self.image.setAccessibleName(self.tr("Page image"))
        self._update_labels()

    def _update_labels(self) -> None:
        self.count_label.setText(self.tr("of %1").replace("%1", str(self.page_count)))
        self.zoom_label.setText(f"{round(self.zoom * 100)} %")
        if self.path is not None:
            self.title.setText(self.tr("%1, page %2").replace("%1", self.doc_name).replace("%2", str(self.page_number)))
        if self.path is None:
            self.note.setText("")
        elif self.page_number != self.cited_page:
            self.note.setText(self.tr("The cited passage is on page %1.").replace("%1", str(self.cited_page)))
        elif self.highlight_rects:
            self.note.setText(self.tr("The cited passage is highlighted."))
        else:
            self.note.setText(self.tr("The passage could not be located on the page (a scanned page has no text to "
                                      "search), so nothing is highlighted."))

    def open_source(self, path: Path, doc_name: str, page: int, span: tuple[int, int], text: str,
                    boxes: list[tuple[float, float, float, float]] | None = None) -> None:
        """Show ``page`` (1-based) of the PDF at ``path`` with the passage highlighted.

        Raises ``OSError`` (file gone) or ``RuntimeError`` (PyMuPDF cannot open it).
        """
        import pymupdf

        if not path.is_file():
            raise FileNotFoundError(str(path))
        with pymupdf.open(path) as document:
            self.page_count = document.page_count
            page_width = document[max(0, min(page, document.page_count) - 1)].rect.width if document.page_count else 0
        self.path = path
        self.doc_name = doc_name
        self.cited_page = page
        self.span = span
        self.passage_text = text
        self.boxes = list(boxes or [])
        self.page_box.setMaximum(max(1, self.page_count))
        self.show()
        self.fit_width(page_width)
        self.show_page(page)

    def fit_width(self, page_width: float) -> None:
        """Zoom so the page fills the viewer's width (between 50 % and 300 %)."""
        available = max(200, self.scroll.viewport().width() - self.scroll.verticalScrollBar().sizeHint().width() - 12)
        self.zoom = max(ZOOMS[0], min(ZOOMS[-1], available / (page_width * 1.5))) if page_width else 1.0
        self.zoom_in_button.setEnabled(self.zoom < ZOOMS[-1])
        self.zoom_out_button.setEnabled(self.zoom > ZOOMS[0])

    def show_page(self, number: int) -> None:
        if self.path is None:
            return
        import pymupdf

        number = max(1, min(self.page_count, number))
        self.page_number = number
        self.page_box.setValue(number)
        ratio = self.devicePixelRatioF() or 1.0
        with pymupdf.open(self.path) as document:
            page = document[number - 1]
            scale = self.zoom * 1.5 * ratio  # 108 dpi at 100 %
            pixmap = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False)
            image = QImage(pixmap.samples, pixmap.width, pixmap.height, pixmap.stride, QImage.Format.Format_RGB888).copy()
            if number != self.cited_page:
                self.highlight_rects = []
            elif self.boxes:  # OCR line boxes: unrotated page space -> the rendered (rotated) page
                self.highlight_rects = [tuple(pymupdf.Rect(box) * page.rotation_matrix) for box in self.boxes]
            else:
                self.highlight_rects = passage_rects(page, self.span, self.passage_text)
        if self.highlight_rects:
            area = QPainterPath()  # one united area, so overlapping hits are not painted twice
            area.setFillRule(Qt.FillRule.WindingFill)
            for x0, y0, x1, y1 in self.highlight_rects:
                area.addRect(QRectF(x0 * scale - 1, y0 * scale - 1, (x1 - x0) * scale + 2, (y1 - y0) * scale + 2))
            painter = QPainter(image)
            painter.fillPath(area.simplified(), QColor(255, 213, 0, 90))
            painter.end()
        image.setDevicePixelRatio(ratio)
        self.image.setPixmap(QPixmap.fromImage(image))
        self.prev_button.setEnabled(number > 1)
        self.next_button.setEnabled(number < self.page_count)
        self._update_labels()
        if self.highlight_rects:
            top = min(r[1] for r in self.highlight_rects) * scale / ratio
            self.scroll.verticalScrollBar().setValue(int(max(0, top - 60)))

    def set_zoom(self, step: int) -> None:
        if step > 0:
            self.zoom = next((z for z in ZOOMS if z > self.zoom + 0.01), ZOOMS[-1])
        else:
            self.zoom = next((z for z in reversed(ZOOMS) if z < self.zoom - 0.01), ZOOMS[0])
        self.zoom_in_button.setEnabled(self.zoom < ZOOMS[-1])
        self.zoom_out_button.setEnabled(self.zoom > ZOOMS[0])
        self.show_page(self.page_number)

    def open_external(self) -> bool:
        if self.path is None:
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path)))

    def _close(self) -> None:
        self.hide()
        self.closed.emit()
