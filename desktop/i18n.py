"""UI language: Qt translators from ``resources/translations`` and a CJK font fallback.

The default language follows the system locale; Preferences can switch it live (installing a
translator sends every widget a LanguageChange event, and each widget re-translates itself in
``changeEvent``). GUI thread only.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QEvent, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFontDatabase

from core.paths import resource_path

log = logging.getLogger(__name__)
_installed: list[QTranslator] = []
_current: list[str] = ["en"]


def system_language() -> str:
    """``zh`` when the system locale is Chinese, else ``en``."""
    return "zh" if QLocale.system().language() == QLocale.Language.Chinese else "en"


def resolve(preference: str) -> str:
    return system_language() if preference not in ("zh", "en") else preference


def current_language() -> str:
    return _current[0]


def qm_path() -> str:
    return str(resource_path("translations", "wenku_zh_CN.qm"))


def set_language(language: str) -> None:
    """Install the translators for ``zh`` or ``en`` (English is the source language)."""
    app = QCoreApplication.instance()
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    _current[0] = language
    if language == "zh":
        ours = QTranslator(app)
        if ours.load(qm_path()):
            app.installTranslator(ours)
            _installed.append(ours)
        else:
            log.warning("event=translation_missing path=%s", qm_path())
        qt = QTranslator(app)  # Qt's own dialogs (buttons of QMessageBox, QFileDialog)
        if qt.load("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(qt)
            _installed.append(qt)
    if not _installed:
        # Removing translators alone sends LanguageChange too, but only if one was installed.
        from PySide6.QtCore import QEvent

        QCoreApplication.sendEvent(app, QEvent(QEvent.Type.LanguageChange))


def ensure_cjk_font() -> str | None:
    """Register PyMuPDF's bundled CJK font when the system has none, so Chinese never shows as boxes.

    Returns the family registered, or None when the system already has a CJK font.
    """
    families = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    if families:
        return None
    try:
        import pymupdf

        data = pymupdf.Font("cjk").buffer
    except Exception:  # noqa: BLE001 - a missing fallback font is cosmetic
        log.warning("event=cjk_font_unavailable")
        return None
    font_id = QFontDatabase.addApplicationFontFromData(bytes(data))
    if font_id < 0:
        return None
    family = QFontDatabase.applicationFontFamilies(font_id)[0]
    from PySide6.QtGui import QFont

    QFont.insertSubstitution(QFont().defaultFamily(), family)
    for base in ("Sans Serif", "DejaVu Sans", "Helvetica", "Arial"):
        QFont.insertSubstitution(base, family)
    log.info("event=cjk_font_registered family=%s", family)
    return family


class Retranslating:
    """Mixin for widgets whose texts come from ``retranslate()``: re-run it when the UI language
    changes (Qt sends LanguageChange to every widget after a translator is installed). GUI thread."""

    def retranslate(self) -> None:  # pragma: no cover - every user defines it
        raise NotImplementedError

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)  # type: ignore[misc]
