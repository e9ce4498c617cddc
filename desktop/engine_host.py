"""Owns the engine: creates it off the GUI thread, loads the chat model in the background, and
reports what runs where (model state; CPU or CUDA, with how many layers on the GPU and why, or the
server answers come from, from ``Engine.device_report``) for the status bar and Preferences.

The window appears before any of this finishes; widgets read :attr:`EngineHost.engine` (None
until :attr:`ready`). GUI thread only; the slow parts run on :class:`desktop.tasks.Tasks`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.settings import AppSettings
from desktop.tasks import Tasks

log = logging.getLogger(__name__)

EngineFactory = Callable[[Path, AppSettings], Any]


def default_factory(data_dir: Path, settings: AppSettings) -> Any:
    """The real engine: default embedder, RapidOCR, and the chosen chat model (lazily loaded), or
    the chat model on a server when Preferences switched that on."""
    from core import Engine, models, paths
    from core.llm.llama import LlamaCppModel

    threads = settings.threads or None
    gpu_layers = settings.gpu_layers_for_engine()
    chat_model: Any = None
    if settings.uses_chat_server():
        chat_model = server_chat_model(settings)
    elif settings.chat_model_path:
        chat_model = LlamaCppModel(Path(settings.chat_model_path), context_length=settings.context_length,
                                   gpu_layers=gpu_layers, threads=threads)
    else:
        status = models.chat_model_status(paths.models_dir(data_dir))
        if status.get("state") == "installed":
            chat_model = LlamaCppModel(Path(str(status["path"])), context_length=settings.context_length,
                                       gpu_layers=gpu_layers, threads=threads)
    return Engine.create(data_dir, chat_model=chat_model, threads=threads, gpu_layers=gpu_layers)


def server_chat_model(settings: AppSettings) -> Any:
    """The server chat model the settings describe; the key from :func:`desktop.settings.read_api_key`,
    else ``$WENKU_CHAT_API_KEY``. An invalid address raises ``ChatServerUnreachable`` saying so."""
    import os

    from core.errors import ChatServerUnreachable
    from core.llm.openai_compat import OpenAICompatModel, ServerConfig
    from desktop.settings import read_api_key

    key = read_api_key() or os.environ.get("WENKU_CHAT_API_KEY") or None
    try:
        return OpenAICompatModel(ServerConfig(settings.chat_server_url, settings.chat_server_model, key,
                                              settings.chat_server_context or None))
    except ValueError as error:
        raise ChatServerUnreachable(f"the chat server address is not valid: {error}") from error


class EngineHost(QObject):
    """The engine and its chat model's life cycle, as seen by the GUI."""

    ready = Signal()
    failed = Signal(object, str)
    model_changed = Signal()  # model_state / device changed

    def __init__(self, tasks: Tasks, data_dir: Path, settings: AppSettings,
                 factory: EngineFactory | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.data_dir = data_dir
        self.settings = settings
        self.factory = factory or default_factory
        self.engine: Any = None
        self.model_state = "waiting"  # waiting | loading | ready | failed
        self.model_error = ""
        self.model_error_kind = ""
        self.device = ""
        self.device_report: dict[str, Any] = {}
        self.model_name = ""

    def start(self, preload_model: bool = True) -> None:
        """Create the engine in the background; then load the chat model if asked."""
        def created(engine: Any) -> None:
            self.engine = engine
            self.ready.emit()
            if preload_model:
                self.load_model()

        self.tasks.call(lambda: self.factory(self.data_dir, self.settings), created, self.failed.emit)

    def load_model(self) -> None:
        """Load the chat model now, so the first question does not wait for it."""
        if self.engine is None or self.model_state == "loading":
            return
        engine = self.engine
        self.model_state = "loading"
        self.model_changed.emit()

        def load() -> tuple[str, str, dict[str, Any]]:
            model = engine.chat_model()
            loader = getattr(model, "load", None)
            if loader is not None:
                loader()
            report = engine.device_report()
            if report.get("device") == "remote":
                name = f"{report.get('model') or '?'} @ {report.get('host')}"
            else:
                name = Path(getattr(model, "_path", "")).name or type(model).__name__
            return str(getattr(model, "device", "cpu")), name, report

        def loaded(result: tuple[str, str, dict[str, Any]]) -> None:
            self.device, self.model_name, self.device_report = result
            self.model_state = "ready"
            self.model_changed.emit()

        def failed(error: BaseException, details: str) -> None:
            from desktop.errors import kind_of

            self.model_state = "failed"
            self.model_error = f"{type(error).__name__}: {error}"
            self.model_error_kind = kind_of(error)
            self.model_changed.emit()

        self.tasks.call(load, loaded, failed)

    def note_device(self, device: str) -> None:
        """An answer reported where the model ran (it loaded lazily for that answer)."""
        if self.model_state != "ready" or device != self.device:
            self.device = device
            if self.engine is not None:
                self.device_report = self.engine.device_report()
            self.model_state = "ready"
            self.model_changed.emit()

    def restart(self, settings: AppSettings, preload_model: bool = True) -> None:
        """Recreate the engine with new settings (call only when no import or answer runs)."""
        old, self.engine = self.engine, None
        self.settings = settings
        self.model_state, self.device, self.model_name, self.device_report = "waiting", "", "", {}
        self.model_changed.emit()

        def recreate() -> Any:
            if old is not None:
                old.close()
            return self.factory(self.data_dir, settings)

        def created(engine: Any) -> None:
            self.engine = engine
            self.ready.emit()
            if preload_model:
                self.load_model()

        self.tasks.call(recreate, created, self.failed.emit)

    def close(self) -> None:
        """Close the engine (GUI thread, at shutdown, after the executors drained)."""
        if self.engine is not None:
            self.engine.close()
            self.engine = None
