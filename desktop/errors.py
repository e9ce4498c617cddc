"""Errors as translated sentences, with the technical details one click away.

The engine's exception tree (:mod:`core.errors`) and the failure events it streams carry a class
name; :func:`sentence` turns it into a plain sentence in the UI language, and :func:`show_error`
shows it with a "Copy details" button. GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget


def _t(text: str) -> str:
    return QCoreApplication.translate("Errors", text)


def sentence(kind: str) -> str:
    """The user-facing sentence for an error class name (or a few GUI-side kinds)."""
    table = {
        "InvalidWorkspaceName": _t("That workspace name cannot be used. Avoid slashes, colons and names starting with a dot."),
        "WorkspaceNotFound": _t("This workspace no longer exists."),
        "WorkspaceExists": _t("A workspace with that name already exists."),
        "WorkspaceLocked": _t("This workspace is open in another Wenku window or command. Close it there first."),
        "WorkspaceIncompatible": _t("This workspace was indexed with another embedding model or a newer Wenku. Import its documents into a new workspace."),
        "SourceMissing": _t("The file could not be found or read."),
        "EmptyFile": _t("The file is empty."),
        "NotAPdf": _t("The file is not a PDF."),
        "CorruptPdf": _t("The PDF is damaged and cannot be read."),
        "EncryptedPdf": _t("The PDF is protected by a password."),
        "NoTextFound": _t("No text could be found in the document, not even by OCR."),
        "ModelMissing": _t("The chat model is not installed. Install Wenku's models or choose a GGUF file in Preferences."),
        "ModelCorrupt": _t("The chat model file is damaged or cannot be loaded. Choose another model in Preferences."),
        "DependencyMissing": _t("A component Wenku needs is not installed."),
        "DiskFull": _t("The disk is full. Free some space and try again."),
        "StoreError": _t("The search index could not be read or written."),
        "SourceFileMissing": _t("The original PDF was moved or deleted, so its page cannot be shown."),
        "NotGguf": _t("The file is not a GGUF chat model."),
    }
    return table.get(kind, _t("Something went wrong."))


def kind_of(error: BaseException) -> str:
    """The most specific class name :func:`sentence` knows, walking up the exception's classes."""
    probe = sentence("__unknown__")
    for cls in type(error).__mro__:
        if sentence(cls.__name__) != probe:
            return cls.__name__
    return type(error).__name__


def ingest_problem(error: str) -> str:
    """A plain-words reason for a failed file, from the engine's per-file error message."""
    lowered = error.lower()
    for needle, kind in (("password", "EncryptedPdf"), ("encrypted", "EncryptedPdf"), ("not a pdf", "NotAPdf"),
                         ("empty", "EmptyFile"), ("no text", "NoTextFound"), ("cannot read", "SourceMissing"),
                         ("does not exist", "SourceMissing"), ("damaged", "CorruptPdf"), ("corrupt", "CorruptPdf"),
                         ("disk is full", "DiskFull")):
        if needle in lowered:
            return sentence(kind)
    return sentence("CorruptPdf") if "pdf" in lowered else sentence("")


def show_error(parent: QWidget | None, kind: str, details: str) -> QMessageBox:
    """A non-blocking message box: the sentence, the details folded away, and "Copy details"."""
    box = QMessageBox(QMessageBox.Icon.Warning, _t("Wenku"), sentence(kind), QMessageBox.StandardButton.Close, parent)
    box.setDetailedText(details)
    copy = box.addButton(_t("Copy details"), QMessageBox.ButtonRole.ActionRole)
    copy.clicked.disconnect()
    copy.clicked.connect(lambda: QApplication.clipboard().setText(f"{sentence(kind)}\n\n{details}"))
    box.setAccessibleName(_t("Error"))
    box.open()
    return box
