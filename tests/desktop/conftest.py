"""Fixtures for the desktop GUI tests: offscreen Qt, windows over real engines on throwaway data dirs.

The no-network guard and the throwaway data dir of tests/conftest.py apply here too. Engines use
the real embedder (or the hashing one where speed matters) and the scripted chat model, so answers
are real retrieval + citation validation without the slow GGUF; one test uses the real model.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists
_ENV_MODELS = os.environ.get("WENKU_MODELS")

pytest.importorskip("PySide6", reason="the desktop GUI needs PySide6")
try:
    import PySide6.QtWidgets  # noqa: F401 - loads Qt's system libraries (libEGL, libfontconfig, libxkbcommon, ...)
except ImportError as _error:  # a bare machine without them: say which one
    pytest.skip(f"Qt cannot load a system library it needs: {_error}", allow_module_level=True)
pytest.importorskip("pytestqt", reason="the desktop GUI tests need pytest-qt")


@pytest.fixture(scope="session")
def models_dir(models_dir: Path) -> Path:
    """Reuse the developer's WENKU_MODELS when it already holds the default model (saves assembling
    1.1 GB again); otherwise the session's folder from tests/conftest.py (shared with tests/core)."""
    if _ENV_MODELS and any(Path(_ENV_MODELS).glob("*.gguf")):
        return Path(_ENV_MODELS)
    return models_dir


@pytest.fixture(autouse=True)
def english_ui(qapp: Any) -> Iterator[None]:
    from desktop import i18n

    i18n.ensure_cjk_font()
    i18n.set_language("en")
    yield
    i18n.set_language("en")


def scripted_engine_factory(embedder: Any, delay_s: float = 0.0) -> Callable[[Path, Any], Any]:
    def factory(data_dir: Path, _settings: Any) -> Any:
        from core import Engine
        from core.llm.scripted import ScriptedChatModel
        from core.prompts import refusal

        return Engine.create(data_dir, embedder=embedder, chat_model=ScriptedChatModel(refusal("en"), delay_s),
                             ocr=None)
    return factory


@pytest.fixture
def make_window(qtbot: Any, data_dir: Path) -> Iterator[Callable[..., Any]]:
    """``make_window(embedder, delay_s=0)``: a shown main window whose engine is ready."""
    from desktop.engine_host import EngineHost
    from desktop.main_window import MainWindow
    from desktop.settings import load_settings
    from desktop.tasks import Tasks

    windows: list[Any] = []

    def make(embedder: Any, delay_s: float = 0.0) -> Any:
        from core import paths

        root = paths.data_dir(data_dir)
        settings = load_settings(root)
        tasks = Tasks()
        host = EngineHost(tasks, root, settings, scripted_engine_factory(embedder, delay_s))
        window = MainWindow(host, tasks, root, settings)
        qtbot.addWidget(window)
        window.show()
        with qtbot.waitSignal(window.workspaces_loaded, timeout=30000):
            host.start()
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.host.engine is not None:
            window.close()


@pytest.fixture
def hashing_embedder() -> Any:
    from core.embeddings.hashing import HashingEmbedder

    return HashingEmbedder()
