"""Errors as translated sentences, with the technical details one click away.

The engine's exception tree (:mod:`core.errors`) and the failure events it streams carry a class
name; :func:`sentence` turns it into a plain sentence in the UI language, and :func:`show_error`
shows it with a "Copy details" button. GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget


def sentence(kind: str) -> str:
    """The user-facing sentence for an error class name (or a few GUI-side kinds)."""
    table = {
        "InvalidWorkspaceName": QCoreApplication.translate("Errors", "That workspace name cannot be used. Avoid slashes, colons and names starting with a dot."),
        "WorkspaceNotFound": QCoreApplication.translate("Errors", "This workspace no longer exists."),
        "WorkspaceExists": QCoreApplication.translate("Errors", "A workspace with that name already exists."),
        "WorkspaceLocked": QCoreApplication.translate("Errors", "This workspace is open in another Wenku window or command. Close it there first."),
        "WorkspaceIncompatible": QCoreApplication.translate("Errors", "This workspace was indexed with another embedding model or a newer Wenku. Import its documents into a new workspace."),
        "SourceMissing": QCoreApplication.translate("Errors", "The file could not be found or read."),
        "EmptyFile": QCoreApplication.translate("Errors", "The file is empty."),
        "NotAPdf": QCoreApplication.translate("Errors", "The file is not a PDF."),
        "CorruptPdf": QCoreApplication.translate("Errors", "The PDF is damaged and cannot be read."),
        "EncryptedPdf": QCoreApplication.translate("Errors", "The PDF is protected by a password."),
        "NoTextFound": QCoreApplication.translate("Errors", "No text could be found in the document, not even by OCR."),
        "ModelMissing": QCoreApplication.translate("Errors", "The chat model is not installed. Install Wenku's models or choose a GGUF file in Preferences."),
        "ModelCorrupt": QCoreApplication.translate("Errors", "The chat model file is damaged or cannot be loaded. Choose another model in Preferences."),
        "DependencyMissing": QCoreApplication.translate("Errors", "A component Wenku needs is not installed."),
        "DiskFull": QCoreApplication.translate("Errors", "The disk is full. Free some space and try again."),
        "StoreError": QCoreApplication.translate("Errors", "The search index could not be read or written."),
        "SourceFileMissing": QCoreApplication.translate("Errors", "The original PDF was moved or deleted, so its page cannot be shown."),
        "NotGguf": QCoreApplication.translate("Errors", "The file is not a GGUF chat model."),
        "ChatServerUnreachable": QCoreApplication.translate("Errors", "The chat server cannot be reached. Check that it is running and its address in Preferences."),
        "ChatServerTimeout": QCoreApplication.translate("Errors", "The chat server did not answer in time. It may be busy or too slow."),
        "ChatServerAuthFailed": QCoreApplication.translate("Errors", "The chat server refused the API key. Check the key in Preferences."),
        "ChatServerModelNotFound": QCoreApplication.translate("Errors", "The chat server does not have that model, or the address is not an OpenAI-compatible API. Check the model name and address in Preferences."),
        "ChatServerFailed": QCoreApplication.translate("Errors", "The chat server reported an error. The details say what it answered."),
        "ChatServerBadResponse": QCoreApplication.translate("Errors", "The chat server sent a reply Wenku does not understand. Check that the address is an OpenAI-compatible API."),
        "ChatServerError": QCoreApplication.translate("Errors", "The chat server failed."),
    }
    return table.get(kind, QCoreApplication.translate("Errors", "Something went wrong."))


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
    box = QMessageBox(QMessageBox.Icon.Warning, QCoreApplication.translate("Errors", "Wenku"), sentence(kind), QMessageBox.StandardButton.Close, parent)
    box.setDetailedText(details)
    copy = box.addButton(QCoreApplication.translate("Errors", "Copy details"), QMessageBox.ButtonRole.ActionRole)
    copy.clicked.disconnect()
    copy.clicked.connect(lambda: QApplication.clipboard().setText(f"{sentence(kind)}\n\n{details}"))
    box.setAccessibleName(QCoreApplication.translate("Errors", "Error"))
    box.open()
    return box
