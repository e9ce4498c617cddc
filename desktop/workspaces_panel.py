"""The workspaces sidebar: list (with document count and language), create, rename, delete, switch.

Emits requests; the main window runs them on the engine through :mod:`desktop.tasks`. GUI thread only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import Retranslating
from desktop.icons import icon


class NewWorkspaceDialog(QDialog):
    """Asks for a workspace's name and main language (language is shown in the sidebar)."""

    def __init__(self, parent: QWidget | None = None, name: str = "", language: str = "mixed",
                 rename: bool = False) -> None:
        super().__init__(parent)
        self.rename = rename
        self.name_edit = QLineEdit(name)
        self.name_edit.setAccessibleName(self.tr("Workspace name"))
        self.language = QComboBox()
        for key in ("mixed", "zh", "en"):
            self.language.addItem("", key)
        self.language.setCurrentIndex(max(0, self.language.findData(language)))
        self.language.setAccessibleName(self.tr("Document language"))
        self.form = QFormLayout()
        self.name_label = QLabel()
        self.language_label = QLabel()
        self.form.addRow(self.name_label, self.name_edit)
        self.form.addRow(self.language_label, self.language)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(buttons)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Rename workspace") if self.rename else self.tr("New workspace"))
        self.name_label.setText(self.tr("Name:"))
        self.language_label.setText(self.tr("Language of the documents:"))
        for index, text in enumerate((self.tr("Mixed"), "中文", "English")):
            self.language.setItemText(index, text)

    def values(self) -> tuple[str, str]:
        return self.name_edit.text().strip(), str(self.language.currentData())


class WorkspacesPanel(Retranslating, QWidget):
    """Sidebar listing the workspaces; the selected one is the current workspace."""

    selected = Signal(str)
    create_requested = Signal(str, str)  # name, language
    rename_requested = Signal(str, str, str)  # old, new, language
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._infos: list[Any] = []
        self._prefs: dict[str, dict[str, Any]] = {}
        self.title = QLabel()
        self.title.setObjectName("panelTitle")
        self.list = QListWidget()
        self.list.currentItemChanged.connect(self._on_current)
        self.list.itemDoubleClicked.connect(lambda _item: self.ask_rename())
        self.new_button = QToolButton()
        self.new_button.setIcon(icon("add"))
        self.new_button.clicked.connect(self.ask_create)
        self.rename_button = QToolButton()
        self.rename_button.setIcon(icon("rename"))
        self.rename_button.clicked.connect(self.ask_rename)
        self.delete_button = QToolButton()
        self.delete_button.setIcon(icon("delete"))
        self.delete_button.clicked.connect(self.ask_delete)
        for button in (self.new_button, self.rename_button, self.delete_button):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.rename_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.retranslate()

    # --- language -------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.title.setText(self.tr("Workspaces"))
        self.new_button.setText(self.tr("New"))
        self.new_button.setToolTip(self.tr("Create a workspace"))
        self.new_button.setAccessibleName(self.tr("New workspace"))
        self.rename_button.setText(self.tr("Rename"))
        self.rename_button.setAccessibleName(self.tr("Rename workspace"))
        self.delete_button.setText(self.tr("Delete"))
        self.delete_button.setAccessibleName(self.tr("Delete workspace"))
        self.list.setAccessibleName(self.tr("Workspaces"))
        self._fill_texts()

    def _language_name(self, key: str) -> str:
        return {"zh": "中文", "en": "English"}.get(key, self.tr("Mixed"))

    def _fill_texts(self) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            info = self._infos[row]
            language = self._language_name(self._prefs.get(info.name, {}).get("language", "mixed"))
            count = self.tr("1 document") if info.documents == 1 else self.tr("%1 documents").replace(
                "%1", str(info.documents))
            item.setText(f"{info.name}\n{count} · {language}")
            item.setToolTip(self.tr("%1 chunks").replace("%1", str(info.chunks)))

    # --- data -----------------------------------------------------------------------------------

    def set_workspaces(self, infos: list[Any], prefs: dict[str, dict[str, Any]], current: str) -> None:
        """Show these workspaces; keep ``current`` selected without emitting :attr:`selected`."""
        self._infos = list(infos)
        self._prefs = prefs
        self.list.blockSignals(True)
        self.list.clear()
        for info in self._infos:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, info.name)
            item.setIcon(icon("workspace"))
            self.list.addItem(item)
            if info.name == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._fill_texts()
        has = self.current() is not None
        self.rename_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    def names(self) -> list[str]:
        return [info.name for info in self._infos]

    def current(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def select(self, name: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == name:
                self.list.setCurrentRow(row)

    def _on_current(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None:
            self.rename_button.setEnabled(True)
            self.delete_button.setEnabled(True)
            self.selected.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    # --- actions --------------------------------------------------------------------------------

    def ask_create(self) -> None:
        dialog = NewWorkspaceDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            name, language = dialog.values()
            if name:
                self.create_requested.emit(name, language)

    def ask_rename(self) -> None:
        name = self.current()
        if name is None:
            return
        dialog = NewWorkspaceDialog(self, name, self._prefs.get(name, {}).get("language", "mixed"), rename=True)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            new, language = dialog.values()
            if new:
                self.rename_requested.emit(name, new, language)

    def ask_delete(self) -> None:
        name = self.current()
        if name is None:
            return
        answer = QMessageBox.question(
            self, self.tr("Delete workspace"),
            self.tr("Delete the workspace “%1” and its index? Your PDF files themselves are not touched.").replace("%1", name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_requested.emit(name)
