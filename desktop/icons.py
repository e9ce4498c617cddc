"""The app's SVG icons (resources/icons), scalable for high-DPI screens. GUI thread only."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from core.paths import resource_path


def icon(name: str) -> QIcon:
    return QIcon(str(resource_path("icons", f"{name}.svg")))
