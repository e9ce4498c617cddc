"""Documents of the current workspace and the import progress view.

Shows per document: pages, OCR'd pages, chunks, status and (for failed files of the last import)
the reason in plain words; actions: add files or a folder, remove, re-import; while importing: file
and page counts, the current stage, an ETA and Cancel. Emits requests; the main window runs them.
GUI thread only.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.datatypes import IngestProgress
from desktop.errors import ingest_problem
from desktop.i18n import Retranslating
from desktop.icons import icon


class ImportProgressView(Retranslating, QWidget):
    """File/page counts, stage, ETA and a Cancel button for the running import."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton()
        self.cancel_button.setIcon(icon("stop"))
        self.cancel_button.clicked.connect(self.cancel_requested.emit)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addLayout(row)
        self._progress = IngestProgress()
        self._started = 0.0
        self._stage_started = (0.0, "", 0)
        self.retranslate()
        self.hide()

    def start(self) -> None:
        self._started = time.monotonic()
        self._stage_started = (self._started, "", 0)
        self._progress = IngestProgress()
        self.cancel_button.setEnabled(True)
        self.show()
        self._render()

    def set_progress(self, progress: IngestProgress) -> None:
        if progress.stage == "embedding" and self._stage_started[1] != "embedding":
            self._stage_started = (time.monotonic(), "embedding", progress.chunks_done)
        elif progress.stage != "embedding" and self._stage_started[1] == "embedding":
            self._stage_started = (time.monotonic(), progress.stage, 0)
        self._progress = progress
        self._render()

    def cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText(self.tr("Cancelling… documents already imported are kept."))

    def eta_seconds(self) -> float | None:
        """Remaining seconds, from the rate of the current phase (None until it can be estimated)."""
        p = self._progress
        now = time.monotonic()
        if p.stage == "embedding" and p.chunks_total:
            since, _, first = self._stage_started
            done = p.chunks_done - first
            if done <= 0 or now - since < 1:
                return None
            return (p.chunks_total - p.chunks_done) * (now - since) / done
        if p.files_total and (p.files_done or p.pages_done):
            fraction = (p.files_done + (p.pages_done / p.pages_total if p.pages_total else 0)) / p.files_total
            if fraction <= 0 or now - self._started < 1:
                return None
            return (now - self._started) * (1 - fraction) / fraction
        return None

    def stage_text(self) -> str:
        return {
            "reading": self.tr("reading text"),
            "ocr": self.tr("recognising text (OCR)"),
            "embedding": self.tr("indexing by meaning"),
            "writing": self.tr("saving"),
            "idle": self.tr("finishing"),
        }.get(self._progress.stage, self._progress.stage)

    def _render(self) -> None:
        if not self.cancel_button.isEnabled():
            return
        p = self._progress
        if p.stage != "embedding" and p.files_total == 0:
            self.label.setText(self.tr("Preparing the import…"))
            self.bar.setRange(0, 0)  # busy indicator
            return
        if p.stage == "embedding":
            line = self.tr("Indexing by meaning: %1 of %2 passages (documents are already searchable by keyword)")
            line = line.replace("%1", str(p.chunks_done)).replace("%2", str(p.chunks_total))
            self.bar.setRange(0, max(1, p.chunks_total))
            self.bar.setValue(p.chunks_done)
        else:
            line = self.tr("File %1 of %2: %3 — page %4 of %5, %6")
            line = (line.replace("%1", str(min(p.files_done + 1, max(p.files_total, 1)))).replace("%2", str(p.files_total))
                    .replace("%3", p.current_file or "…").replace("%4", str(p.pages_done))
                    .replace("%5", str(p.pages_total)).replace("%6", self.stage_text()))
            self.bar.setRange(0, max(1, p.files_total * 100))
            self.bar.setValue(p.files_done * 100 + (100 * p.pages_done // p.pages_total if p.pages_total else 0))
        eta = self.eta_seconds()
        if eta is not None:
            minutes, seconds = divmod(int(eta), 60)
            line += " · " + self.tr("about %1 left").replace("%1", f"{minutes}:{seconds:02d}")
        self.label.setText(line)

    def retranslate(self) -> None:
        self.cancel_button.setText(self.tr("Cancel import"))
        self.cancel_button.setAccessibleName(self.tr("Cancel import"))
        self.bar.setAccessibleName(self.tr("Import progress"))
        self._render()


class ImportPanel(Retranslating, QWidget):
    """The document list of the current workspace, its actions, and the import progress view."""

    add_requested = Signal(list)  # paths
    remove_requested = Signal(list)  # doc ids
    reimport_requested = Signal(list)  # (doc id, source path) pairs

    COLUMNS = 5

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._documents: list[Any] = []
        self._failures: list[tuple[str, str]] = []  # (path, engine error)
        self._busy = False
        self.title = QLabel()
        self.title.setObjectName("panelTitle")
        self.add_button = QPushButton(icon("add"), "")
        self.add_button.clicked.connect(self.ask_files)
        self.folder_button = QPushButton(icon("folder"), "")
        self.folder_button.clicked.connect(self.ask_folder)
        self.remove_button = QPushButton(icon("delete"), "")
        self.remove_button.clicked.connect(self._remove)
        self.reimport_button = QPushButton(icon("reimport"), "")
        self.reimport_button.clicked.connect(self._reimport)
        self.table = QTableWidget(0, self.COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.COLUMNS):
            self.table.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setObjectName("hint")
        self.progress = ImportProgressView()
        buttons = QHBoxLayout()
        for button in (self.add_button, self.folder_button, self.remove_button, self.reimport_button):
            buttons.addWidget(button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.hint)
        self.retranslate()
        self._update_buttons()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Documents"))
        self.add_button.setText(self.tr("Add documents…"))
        self.add_button.setAccessibleName(self.tr("Add documents"))
        self.folder_button.setText(self.tr("Add folder…"))
        self.folder_button.setAccessibleName(self.tr("Add a folder of documents"))
        self.remove_button.setText(self.tr("Remove"))
        self.remove_button.setAccessibleName(self.tr("Remove the selected documents"))
        self.reimport_button.setText(self.tr("Re-import"))
        self.reimport_button.setAccessibleName(self.tr("Import the selected documents again"))
        self.table.setHorizontalHeaderLabels(
            [self.tr("Document"), self.tr("Pages"), self.tr("OCR'd pages"), self.tr("Passages"), self.tr("Status")])
        self.table.setAccessibleName(self.tr("Documents in this workspace"))
        self.hint.setText(self.tr("Drop PDF files or folders anywhere on this window to import them."))
        self._fill()

    def set_documents(self, documents: list[Any], failures: list[tuple[str, str]] | None = None) -> None:
        self._documents = list(documents)
        if failures is not None:
            self._failures = list(failures)
        self._fill()

    def _status_text(self, status: str) -> str:
        if status == "indexing" and not self._busy:
            return self.tr("Searchable by keyword; indexing by meaning continues with the next import")
        return {"ready": self.tr("Ready"),
                "indexing": self.tr("Searchable by keyword; indexing by meaning…")}.get(status, status)

    def _fill(self) -> None:
        self.table.setRowCount(0)
        rows: list[tuple[list[str], Any, str]] = []
        for d in self._documents:
            rows.append(([d.file_name, str(d.pages), str(d.ocr_pages), str(d.chunks), self._status_text(d.status)],
                         (d.doc_id, d.source_path), d.source_path))
        for path, error in self._failures:
            rows.append(([Path(path).name, "–", "–", "–", self.tr("Failed: %1").replace("%1", ingest_problem(error))],
                         ("", path), f"{path}\n{error}"))
        self.table.setRowCount(len(rows))
        for row, (cells, key, tip) in enumerate(rows):
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                item.setData(Qt.ItemDataRole.UserRole, key[0])  # plain strings only in Qt item data
                item.setData(Qt.ItemDataRole.UserRole + 1, key[1])
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter if column < 4
                                          else Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self._update_buttons()

    def _selected_keys(self) -> list[tuple[str, str]]:
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        return [(str(self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)),
                 str(self.table.item(row, 0).data(Qt.ItemDataRole.UserRole + 1))) for row in rows]

    def _update_buttons(self) -> None:
        keys = self._selected_keys()
        self.remove_button.setEnabled(any(doc_id for doc_id, _ in keys))
        self.reimport_button.setEnabled(bool(keys))

    def _remove(self) -> None:
        ids = [doc_id for doc_id, _ in self._selected_keys() if doc_id]
        if ids:
            self.remove_requested.emit(ids)

    def _reimport(self) -> None:
        keys = self._selected_keys()
        if keys:
            self.reimport_requested.emit(keys)

    def ask_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Add documents"), "", self.tr("PDF documents (*.pdf)"))
        if files:
            self.add_requested.emit(files)

    def ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder of documents"))
        if folder:
            self.add_requested.emit([folder])

    def set_busy(self, busy: bool) -> None:
        """While an import runs, a second import cannot start (imports are queued one at a time)."""
        self._busy = busy
        self._fill()
        for button in (self.add_button, self.folder_button, self.remove_button, self.reimport_button):
            button.setEnabled(not busy)
        if not busy:
            self._update_buttons()
