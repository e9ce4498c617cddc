"""Preferences: UI and answer language, chat model, GPU offload, threads, context size, a chat model
on a server (off by default), PII masking of the current workspace, and the data folder.

The dialog edits a copy of :class:`desktop.settings.AppSettings`; the main window applies it
(language live; model settings by recreating the engine when no import or answer runs). Reading a
GGUF header and testing the connection to a chat server run on the I/O pool. The server's API key
is edited here but stored by the main window in its own file (``desktop.settings.api_key_path``),
never in the settings file. GUI thread only.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.device_text import details_text, status_text
from desktop.i18n import Retranslating
from desktop.settings import AppSettings, api_key_path


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{size} B"


class PreferencesDialog(Retranslating, QDialog):
    """Edits a copy of the settings; read :attr:`settings` and :attr:`data_dir` after ``accept``."""

    def __init__(self, settings: AppSettings, *, data_dir: Path, workspace: str | None, runtime: dict[str, Any],
                 default_model_path: str, tasks: Any = None, api_key: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api_key: str | None = None  # after accept: the key to store ("" deletes it); None: unchanged
        self._initial_key = api_key
        self.settings = copy.deepcopy(settings)
        self.data_dir = str(data_dir)
        self.workspace = workspace
        self.runtime = runtime
        self.default_model_path = default_model_path
        self.tasks = tasks
        self.model_info: Any = None
        self.model_error = ""

        self.ui_language = QComboBox()
        for key in ("system", "zh", "en"):
            self.ui_language.addItem("", key)
        self.ui_language.setCurrentIndex(max(0, self.ui_language.findData(settings.ui_language)))
        self.answer_language = QComboBox()
        for key in ("auto", "zh", "en"):
            self.answer_language.addItem("", key)
        self.answer_language.setCurrentIndex(max(0, self.answer_language.findData(settings.answer_language)))

        self.model_choice = QComboBox()
        self.model_choice.addItem("", "")
        if settings.chat_model_path:
            self.model_choice.addItem(Path(settings.chat_model_path).name, settings.chat_model_path)
            self.model_choice.setCurrentIndex(1)
        self.model_choice.currentIndexChanged.connect(self._model_changed)
        self.import_button = QPushButton()
        self.import_button.clicked.connect(self._import_model)
        self.model_facts = QLabel()
        self.model_facts.setWordWrap(True)
        self.gpu_mode = QComboBox()
        for key in ("auto", "layers", "off"):
            self.gpu_mode.addItem("", key)
        self.gpu_mode.setCurrentIndex(max(0, self.gpu_mode.findData(settings.gpu_mode)))
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(0, 200)
        self.gpu_layers.setValue(settings.gpu_layers)
        self.gpu_mode.currentIndexChanged.connect(lambda _i: self.gpu_layers.setEnabled(self.gpu_mode.currentData() == "layers"))
        self.gpu_layers.setEnabled(settings.gpu_mode == "layers")
        self.running = QLabel()
        self.running.setWordWrap(True)
        self.threads = QSpinBox()
        self.threads.setRange(0, 256)
        self.threads.setValue(settings.threads)
        self.context = QSpinBox()
        self.context.setRange(1024, 131072)
        self.context.setSingleStep(1024)
        self.context.setValue(settings.context_length)
        self.pii = QCheckBox()
        self.pii.setEnabled(workspace is not None)
        if workspace is not None:
            self.pii.setChecked(bool(settings.workspace(workspace).get("pii_masking")))
        self.pii_note = QLabel()
        self.pii_note.setWordWrap(True)
        self.pii_note.setObjectName("hint")
        self.data_edit = QLineEdit(self.data_dir)
        self.data_browse = QPushButton()
        self.data_browse.clicked.connect(self._browse_data)
        self.data_note = QLabel()
        self.data_note.setObjectName("hint")
        self.data_note.setWordWrap(True)

        self.server_url = QLineEdit(settings.chat_server_url)
        self.server_url.setPlaceholderText("http://127.0.0.1:8080/v1")
        self.server_model = QLineEdit(settings.chat_server_model)
        self.server_key = QLineEdit(api_key)
        self.server_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.server_context = QSpinBox()
        self.server_context.setRange(0, 1048576)
        self.server_context.setSingleStep(1024)
        self.server_context.setValue(settings.chat_server_context)
        self.server_test = QPushButton()
        self.server_test.clicked.connect(self.test_server)
        self.server_result = QLabel()
        self.server_result.setWordWrap(True)
        self.server_note = QLabel()
        self.server_note.setWordWrap(True)
        self.server_note.setObjectName("hint")
        self.server_problem = QLabel()
        self.server_problem.setWordWrap(True)
        self.server_problem.setStyleSheet("color: #b3261e;")
        self.server_problem.hide()

        self.labels: dict[str, QLabel] = {k: QLabel() for k in (
            "ui", "answer", "model", "facts", "gpu", "layers", "running", "threads", "context", "pii", "data",
            "server_url", "server_model", "server_key", "server_context")}
        self.language_group = QGroupBox()
        form = QFormLayout(self.language_group)
        form.addRow(self.labels["ui"], self.ui_language)
        form.addRow(self.labels["answer"], self.answer_language)
        self.model_group = QGroupBox()
        form = QFormLayout(self.model_group)
        row = QHBoxLayout()
        row.addWidget(self.model_choice, 1)
        row.addWidget(self.import_button)
        form.addRow(self.labels["model"], row)
        form.addRow(self.labels["facts"], self.model_facts)
        form.addRow(self.labels["gpu"], self.gpu_mode)
        form.addRow(self.labels["layers"], self.gpu_layers)
        form.addRow(self.labels["running"], self.running)
        form.addRow(self.labels["threads"], self.threads)
        form.addRow(self.labels["context"], self.context)
        self.server_group = QGroupBox()
        self.server_group.setCheckable(True)
        self.server_group.setChecked(settings.chat_server_enabled)
        form = QFormLayout(self.server_group)
        form.addRow(self.server_note)
        form.addRow(self.labels["server_url"], self.server_url)
        form.addRow(self.labels["server_model"], self.server_model)
        form.addRow(self.labels["server_key"], self.server_key)
        form.addRow(self.labels["server_context"], self.server_context)
        row = QHBoxLayout()
        row.addWidget(self.server_test)
        row.addWidget(self.server_result, 1)
        form.addRow(row)
        form.addRow(self.server_problem)
        self.workspace_group = QGroupBox()
        form = QFormLayout(self.workspace_group)
        form.addRow(self.labels["pii"], self.pii)
        form.addRow(self.pii_note)
        self.data_group = QGroupBox()
        form = QFormLayout(self.data_group)
        row = QHBoxLayout()
        row.addWidget(self.data_edit, 1)
        row.addWidget(self.data_browse)
        form.addRow(self.labels["data"], row)
        form.addRow(self.data_note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for group in (self.language_group, self.model_group, self.server_group, self.workspace_group, self.data_group):
            layout.addWidget(group)
        layout.addWidget(self.buttons)
        self.retranslate()
        self._model_changed()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Preferences"))
        self.language_group.setTitle(self.tr("Language"))
        self.model_group.setTitle(self.tr("Chat model"))
        self.workspace_group.setTitle(self.tr("This workspace: %1").replace("%1", self.workspace or "–"))
        self.data_group.setTitle(self.tr("Data"))
        self.server_group.setTitle(self.tr("Chat model on a server"))
        self.server_group.setAccessibleName(self.tr("Chat model on a server"))
        self.server_note.setText(self.tr(
            "Off by default. When on, answers are generated by an OpenAI-compatible server (llama.cpp, vLLM, "
            "Ollama) instead of the model on this computer: your questions, the conversation and the passages "
            "found in your documents are sent to it. The key is kept in %1, readable only by you.")
            .replace("%1", str(api_key_path())))
        self.server_test.setText(self.tr("Test connection"))
        self.server_context.setSpecialValueText(self.tr("Ask the server"))
        texts = {"ui": self.tr("Interface language:"), "answer": self.tr("Answer language:"),
                 "model": self.tr("Model:"), "facts": self.tr("Details:"), "gpu": self.tr("GPU offload:"),
                 "layers": self.tr("GPU layers:"), "running": self.tr("Running on:"),
                 "threads": self.tr("CPU threads:"), "context": self.tr("Context size (tokens):"),
                 "pii": self.tr("Mask personal data:"), "data": self.tr("Data folder:"),
                 "server_url": self.tr("Server address:"), "server_model": self.tr("Model name:"),
                 "server_key": self.tr("API key:"), "server_context": self.tr("Context size (tokens):")}
        for key, text in texts.items():
            self.labels[key].setText(text)
            self.labels[key].setBuddy(None)
        for widget, key in ((self.ui_language, "ui"), (self.answer_language, "answer"), (self.model_choice, "model"),
                            (self.gpu_mode, "gpu"), (self.gpu_layers, "layers"), (self.threads, "threads"),
                            (self.context, "context"), (self.pii, "pii"), (self.data_edit, "data"),
                            (self.server_url, "server_url"), (self.server_model, "server_model"),
                            (self.server_key, "server_key"), (self.server_context, "server_context")):
            widget.setAccessibleName(texts[key].rstrip(":："))
        for index, text in enumerate((self.tr("Follow the system"), "中文", "English")):
            self.ui_language.setItemText(index, text)
        for index, text in enumerate((self.tr("Same as the question"), "中文", "English")):
            self.answer_language.setItemText(index, text)
        self.model_choice.setItemText(0, self.tr("Default: Qwen2.5-Coder 1.5B Instruct (Q4_K_M)"))
        self.import_button.setText(self.tr("Import GGUF…"))
        for index, text in enumerate((self.tr("Automatic (as many layers as fit in free video memory)"),
                                      self.tr("A number of layers"), self.tr("Off (CPU only)"))):
            self.gpu_mode.setItemText(index, text)
        self.threads.setSpecialValueText(self.tr("Automatic"))
        self.pii.setText(self.tr("Replace phone numbers, e-mail addresses and ID numbers when importing"))
        self.pii_note.setText(self.tr("Saved with this workspace; it applies to documents imported from now on "
                                      "(re-import earlier documents to mask them)."))
        self.data_browse.setText(self.tr("Choose…"))
        self.data_note.setText(self.tr("A new data folder is used from the next start."))
        self._render_running()
        self._render_facts()

    def _render_running(self) -> None:
        if not self.runtime.get("device"):
            text = self.tr("The chat model is not loaded yet.")
        else:
            text = status_text(self.runtime)
            details = details_text(self.runtime)
            if details:
                text += "\n" + details
        self.running.setText(text)

    def _render_facts(self) -> None:
        info = self.model_info
        if self.model_error:
            self.model_facts.setText(self.model_error)
        elif info is None:
            self.model_facts.setText(self.tr("Reading the model file…"))
        else:
            self.model_facts.setText(self.tr("%1 · %2 · quantization %3 · context %4 tokens · %5 layers")
                                     .replace("%1", info.name).replace("%2", human_size(info.size))
                                     .replace("%3", info.quantization).replace("%4", str(info.context_length))
                                     .replace("%5", str(info.layers)))

    def _model_changed(self) -> None:
        path = str(self.model_choice.currentData() or self.default_model_path)
        self.model_info, self.model_error = None, ""
        if not path or not Path(path).is_file():
            self.model_error = self.tr("The default model is not installed yet; it is assembled on first use.")
            self._render_facts()
            return
        self._render_facts()

        from core.llm.gguf import read_gguf

        def shown(info: Any) -> None:
            if path == str(self.model_choice.currentData() or self.default_model_path):
                self.model_info = info
                self._render_facts()

        def failed(error: BaseException, _details: str) -> None:
            self.model_error = self.tr("Not a usable GGUF model: %1").replace("%1", str(error))
            self._render_facts()

        if self.tasks is not None:
            self.tasks.call(lambda: read_gguf(path), shown, failed)
        else:
            try:
                shown(read_gguf(path))
            except (OSError, ValueError) as error:
                failed(error, "")

    def _import_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import a chat model"), "",
                                              self.tr("GGUF models (*.gguf)"))
        if path:
            self.add_model(path)

    def add_model(self, path: str) -> None:
        index = self.model_choice.findData(path)
        if index < 0:
            self.model_choice.addItem(Path(path).name, path)
            index = self.model_choice.count() - 1
        self.model_choice.setCurrentIndex(index)

    def _browse_data(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Data folder"), self.data_edit.text())
        if folder:
            self.data_edit.setText(folder)

    def _server_config(self) -> Any:
        """The server settings as entered (raises ValueError for an unusable address)."""
        from core.llm.openai_compat import ServerConfig, normalise_url

        return ServerConfig(normalise_url(self.server_url.text()), self.server_model.text().strip(),
                            self.server_key.text().strip() or None, self.server_context.value() or None,
                            read_timeout_s=30.0)

    def test_server(self) -> None:
        """Ask the server for its models (on the I/O pool) and say what came back."""
        from core.llm.openai_compat import OpenAICompatModel

        try:
            config = self._server_config()
        except ValueError as error:
            self.server_result.setText(self.tr("Not a usable address: %1").replace("%1", str(error)))
            return
        self.server_result.setText(self.tr("Connecting…"))

        def check() -> dict[str, Any]:
            model = OpenAICompatModel(config)
            model.load()
            return model.device_report()

        def shown(report: dict[str, Any]) -> None:
            self.server_result.setText(self.tr("Connected: model %1 on %2.").replace("%1", str(report.get("model") or "?"))
                                       .replace("%2", str(report.get("host"))))

        def failed(error: BaseException, _details: str) -> None:
            from desktop.errors import kind_of, sentence

            self.server_result.setText(f"{sentence(kind_of(error))}\n{error}")

        if self.tasks is not None:
            self.tasks.call(check, shown, failed)
        else:
            try:
                shown(check())
            except Exception as error:  # noqa: BLE001 - shown to the user
                failed(error, "")

    def _accept(self) -> None:
        if self.server_group.isChecked():
            try:
                self._server_config()
            except ValueError as error:
                self.server_problem.setText(self.tr("The server address is not usable: %1").replace("%1", str(error)))
                self.server_problem.show()
                self.server_url.setFocus()
                return
        s = self.settings
        s.chat_server_enabled = self.server_group.isChecked()
        s.chat_server_url = self.server_url.text().strip()
        s.chat_server_model = self.server_model.text().strip()
        s.chat_server_context = self.server_context.value()
        key = self.server_key.text().strip()
        self.api_key = key if key != self._initial_key else None
        s.ui_language = str(self.ui_language.currentData())
        s.answer_language = str(self.answer_language.currentData())
        s.chat_model_path = str(self.model_choice.currentData() or "")
        s.gpu_mode = str(self.gpu_mode.currentData())
        s.gpu_layers = self.gpu_layers.value()
        s.threads = self.threads.value()
        s.context_length = self.context.value()
        if self.workspace is not None:
            s.workspaces[self.workspace] = {**s.workspace(self.workspace), "pii_masking": self.pii.isChecked()}
        self.data_dir = self.data_edit.text().strip() or self.data_dir
        self.accept()
