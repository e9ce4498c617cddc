"""The main window: wires the panels to the engine (through :mod:`desktop.tasks`), keeps the
conversation history, and owns menus, shortcuts, drag and drop and the status bar.

Every engine call runs on an executor; results come back as signals. GUI thread only.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.cancel import CancelToken
from core.datatypes import AnswerChecking, AnswerDone, AnswerFailed, AskRequest, SourcesFound, TokenDelta, Turn
from desktop import i18n
from desktop.chat_view import ChatView
from desktop.device_text import details_text, status_text
from desktop.engine_host import EngineHost
from desktop.errors import kind_of, sentence, show_error
from desktop.history import History, passage_dict, to_markdown, turn_from_answer
from desktop.i18n import Retranslating
from desktop.icons import icon
from desktop.import_panel import ImportPanel
from desktop.settings import AppSettings, read_api_key, save_settings, write_api_key
from desktop.source_viewer import SourceViewer
from desktop.tasks import IngestJob, Tasks
from desktop.workspaces_panel import WorkspacesPanel

log = logging.getLogger(__name__)

STYLE = """
QLabel#panelTitle { font-weight: bold; font-size: 11pt; }
QLabel#hint { color: #666; }
QFrame#turn { border: 1px solid #d0d7e2; border-radius: 6px; background: #fbfcfe; }
QFrame#turn[kind="refusal"] { border: 1px dashed #c98a00; background: #fff8e6; }
QFrame#turn[kind="error"] { border: 1px solid #c0392b; background: #fdecea; }
QLabel#question { font-weight: bold; color: #1b2a41; }
QLabel#refusalHeader { color: #8a5a00; font-weight: bold; }
QLabel#turnStatus { color: #888; font-size: 8pt; }
QPushButton#citationChip { border: 1px solid #9db4dd; border-radius: 9px; padding: 2px 8px; background: #e3ecfa; color: #1f4f9f; }
QPushButton#citationChip[closest="true"] { border-color: #d8b36a; background: #fff1cc; color: #6b4a00; }
QLabel#remoteBanner { background: #b45309; color: #ffffff; font-weight: bold; padding: 6px 12px; }
QLabel#remoteStatus { color: #b45309; font-weight: bold; }
"""
#: The banner's background (tests look for it in the window's pixels).
REMOTE_BANNER_COLOUR = "#b45309"


class MainWindow(Retranslating, QMainWindow):
    """Wenku's window; ``host`` creates the engine in the background."""

    answer_finished = Signal(dict)  # the saved turn (tests, screenshot mode)
    import_finished = Signal(object)  # IngestReport
    workspaces_loaded = Signal()
    documents_loaded = Signal()

    def __init__(self, host: EngineHost, tasks: Tasks, data_dir: Path, settings: AppSettings) -> None:
        super().__init__()
        self.host = host
        self.tasks = tasks
        self.data_dir = data_dir
        self.settings = settings
        self.workspace: str | None = None
        self.history: History | None = None
        self.import_job: IngestJob | None = None
        self.import_queue: list[tuple[str, list[str]]] = []
        self.failures: dict[str, list[tuple[str, str]]] = {}
        self.request_id = 0
        self.answer_cancel: CancelToken | None = None
        self.answer_passages: list[dict[str, Any]] = []
        self.answer_question = ""
        self.answer_error: tuple[str, str] | None = None
        self.answer_history: History | None = None
        self.workspace_bytes = 0
        self._auto_resume = True
        self.last_box: QMessageBox | None = None
        self.pending_open: list[str] = []  # files opened with Wenku, waiting for the engine/workspace
        self._workspaces_listed = False
        self._creating_for_open = False

        self.setWindowIcon(icon("wenku"))
        self.setAcceptDrops(True)
        self.setStyleSheet(STYLE)
        self.workspaces = WorkspacesPanel()
        self.documents = ImportPanel()
        self.chat = ChatView()
        self.viewer = SourceViewer()
        self.viewer.hide()
        center = QSplitter(Qt.Orientation.Vertical)
        center.addWidget(self.documents)
        center.addWidget(self.chat)
        center.setStretchFactor(0, 2)
        center.setStretchFactor(1, 3)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.workspaces)
        self.splitter.addWidget(center)
        self.splitter.addWidget(self.viewer)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([220, 700, 480])
        # Shown whenever answers are generated on a server: questions and passages leave the machine.
        self.remote_banner = QLabel()
        self.remote_banner.setObjectName("remoteBanner")
        self.remote_banner.setWordWrap(True)
        self.remote_banner.hide()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.remote_banner)
        column.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.resize(1280, 800)

        self.model_label = QLabel()
        self.device_label = QLabel()
        self.size_label = QLabel()
        self.remote_status = QLabel()  # the banner's short form, beside the device
        self.remote_status.setObjectName("remoteStatus")
        self.remote_status.hide()
        self.index_label = QLabel()  # while a big workspace's HNSW index is built in the background
        self.index_label.setObjectName("vectorIndexStatus")
        self.index_label.hide()
        for label in (self.model_label, self.remote_status, self.device_label, self.index_label, self.size_label):
            self.statusBar().addPermanentWidget(label)
        self._build_menus()

        self.workspaces.selected.connect(self.open_workspace)
        self.workspaces.create_requested.connect(self.create_workspace)
        self.workspaces.rename_requested.connect(self.rename_workspace)
        self.workspaces.delete_requested.connect(self.delete_workspace)
        self.documents.add_requested.connect(self.import_paths)
        self.documents.remove_requested.connect(self.remove_documents)
        self.documents.reimport_requested.connect(self.reimport_documents)
        self.documents.progress.cancel_requested.connect(self.cancel_import)
        self.chat.ask_requested.connect(self.ask)
        self.chat.stop_requested.connect(self.stop_answer)
        self.chat.source_requested.connect(self.show_source)
        self.chat.new_conversation_requested.connect(self.new_conversation)
        self.chat.conversation_selected.connect(self.select_conversation)
        self.chat.copy_requested.connect(self.copy_conversation)
        self.chat.export_requested.connect(self.export_conversation)
        self.host.ready.connect(self.refresh_workspaces)
        self.host.failed.connect(self._engine_failed)
        self.host.model_changed.connect(self._update_status)
        QShortcut(QKeySequence("Ctrl+L"), self, activated=self.focus_question)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.stop_answer)
        self.retranslate()
        self._update_status()

    # --- menus, language, status ------------------------------------------------------------------

    def _build_menus(self) -> None:
        self.file_menu = self.menuBar().addMenu("")
        self.add_action = QAction(icon("add"), "", self, shortcut=QKeySequence.StandardKey.Open,
                                  triggered=self.documents.ask_files)
        self.add_folder_action = QAction(icon("folder"), "", self, triggered=self.documents.ask_folder)
        self.new_ws_action = QAction(icon("workspace"), "", self, triggered=self.workspaces.ask_create)
        self.export_action = QAction(icon("export"), "", self, triggered=self.export_conversation)
        self.quit_action = QAction("", self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close)
        for action in (self.add_action, self.add_folder_action, self.new_ws_action, self.export_action):
            self.file_menu.addAction(action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
        self.edit_menu = self.menuBar().addMenu("")
        self.prefs_action = QAction(icon("settings"), "", self, shortcut=QKeySequence.StandardKey.Preferences,
                                    triggered=self.open_preferences)
        self.new_chat_action = QAction(icon("new-chat"), "", self, shortcut=QKeySequence("Ctrl+N"),
                                       triggered=self.new_conversation)
        self.edit_menu.addAction(self.new_chat_action)
        self.edit_menu.addAction(self.prefs_action)
        self.help_menu = self.menuBar().addMenu("")
        self.about_action = QAction("", self, triggered=self._about)
        self.help_menu.addAction(self.about_action)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Wenku — answers from your documents") +
                            (f" · {self.workspace}" if self.workspace else ""))
        self.file_menu.setTitle(self.tr("&File"))
        self.add_action.setText(self.tr("Add documents…"))
        self.add_folder_action.setText(self.tr("Add a folder…"))
        self.new_ws_action.setText(self.tr("New workspace…"))
        self.export_action.setText(self.tr("Export conversation as Markdown…"))
        self.quit_action.setText(self.tr("Quit"))
        self.edit_menu.setTitle(self.tr("&Edit"))
        self.new_chat_action.setText(self.tr("New conversation"))
        self.prefs_action.setText(self.tr("Preferences…"))
        self.help_menu.setTitle(self.tr("&Help"))
        self.about_action.setText(self.tr("About Wenku"))
        self._update_status()

    def _update_status(self) -> None:
        host = self.host
        if host.engine is None and host.model_state == "waiting":
            model = self.tr("Starting…")
        else:
            model = {
                "waiting": self.tr("Chat model: not loaded"),
                "loading": self.tr("Chat model: loading…"),
                "ready": self.tr("Chat model: ready"),
                "failed": self.tr("Chat model: failed to load"),
            }[host.model_state]
        self.model_label.setText(model)
        self.model_label.setToolTip(host.model_error or host.model_name)
        report = self._device_report()
        self.device_label.setText(self.tr("Device: %1").replace("%1", status_text(report)))
        self.device_label.setToolTip(details_text(report))
        size = self._human(self.workspace_bytes) if self.workspace else "–"
        self.size_label.setText(self.tr("Workspace size: %1").replace("%1", size))
        self._update_remote_banner()

    def _update_remote_banner(self) -> None:
        """The banner and status-bar note while answers are generated on a server (from the settings,
        so they show before the server was ever reached)."""
        remote = self.settings.uses_chat_server()
        self.remote_banner.setVisible(remote)
        self.remote_status.setVisible(remote)
        if not remote:
            return
        from core.llm.openai_compat import host_of, normalise_url

        try:
            host = host_of(normalise_url(self.settings.chat_server_url))
        except ValueError:
            host = self.settings.chat_server_url.strip()
        self.remote_banner.setText(self.tr("Answers are generated on %1 — your questions and the passages found in "
                                           "your documents leave this machine.").replace("%1", host))
        self.remote_banner.setAccessibleName(self.remote_banner.text())
        self.remote_status.setText(self.tr("Answers from %1").replace("%1", host))
        self.remote_status.setToolTip(self.remote_banner.text())

    def _device_report(self) -> dict[str, Any]:
        """The host's device report, or a minimal one from ``host.device`` (e.g. after an answer)."""
        report = dict(self.host.device_report)
        if self.host.device and report.get("device") != self.host.device:
            report = {"device": self.host.device}
        return report

    @staticmethod
    def _human(size: int) -> str:
        from desktop.preferences import human_size

        return human_size(size)

    def _engine_failed(self, error: BaseException, details: str) -> None:
        self.statusBar().showMessage(sentence(kind_of(error)))
        self.last_box = show_error(self, kind_of(error), details)

    def _error(self, error: BaseException, details: str) -> None:
        log.warning("event=action_failed error=%s", error)
        self.last_box = show_error(self, kind_of(error), f"{type(error).__name__}: {error}\n\n{details}")

    # --- workspaces -----------------------------------------------------------------------------

    def refresh_workspaces(self, select: str | None = None) -> None:
        engine = self.host.engine
        if engine is None:
            return

        def shown(infos: list[Any]) -> None:
            names = [i.name for i in infos]
            wanted = select or self.workspace or self.settings.last_workspace
            current = wanted if wanted in names else (names[0] if names else None)
            self.workspaces.set_workspaces(infos, {n: self.settings.workspace(n) for n in names}, current or "")
            if current != self.workspace or select:
                self.open_workspace(current)
            elif current is None:
                self.open_workspace(None)
            self._workspaces_listed = True
            self.workspaces_loaded.emit()
            self._take_pending_open()

        self.tasks.call(engine.list_workspaces, shown, self._error)

    def open_workspace(self, name: str | None) -> None:
        if name == self.workspace and self.history is not None:
            return
        if self.answer_cancel is not None:
            self.stop_answer()
        self.workspace = name
        self._auto_resume = True
        self.history = History(self.data_dir, name) if name else None
        self.chat.show_history(self.history.turns() if self.history else [])
        self.chat.set_conversations(self.history.summaries() if self.history else [])
        self.chat.setEnabled(name is not None)
        self.documents.setEnabled(name is not None)
        self.viewer.hide()
        if name:
            self.settings.last_workspace = name
            save_settings(self.data_dir, self.settings)
        self.retranslate()
        self.refresh_documents()

    def create_workspace(self, name: str, language: str) -> None:
        engine = self.host.engine
        if engine is None:
            return

        def created(info: Any) -> None:
            self.settings.workspaces[info.name] = {**self.settings.workspace(info.name), "language": language}
            save_settings(self.data_dir, self.settings)
            self.refresh_workspaces(select=info.name)

        self.tasks.call(lambda: engine.create_workspace(name), created, self._error)

    def rename_workspace(self, old: str, new: str, language: str) -> None:
        engine = self.host.engine
        if engine is None or self._busy_with(old):
            return

        def renamed(_: Any) -> None:
            prefs = self.settings.workspaces.pop(old, {})
            self.settings.workspaces[new] = {**prefs, "language": language}
            save_settings(self.data_dir, self.settings)
            History(self.data_dir, old).rename(new)
            self.workspace, self.history = None, None
            self.refresh_workspaces(select=new)

        if new == old:
            renamed(None)
            return
        self.tasks.call(lambda: engine.rename_workspace(old, new), renamed, self._error)

    def delete_workspace(self, name: str) -> None:
        engine = self.host.engine
        if engine is None or self._busy_with(name):
            return

        def deleted(_: Any) -> None:
            self.settings.workspaces.pop(name, None)
            save_settings(self.data_dir, self.settings)
            History(self.data_dir, name).delete()
            self.workspace, self.history = None, None
            self.refresh_workspaces()

        self.tasks.call(lambda: engine.delete_workspace(name), deleted, self._error)

    def _busy_with(self, name: str) -> bool:
        busy = (self.import_job is not None and self.import_job.workspace == name) or (
            self.answer_cancel is not None and self.workspace == name)
        if busy:
            self.statusBar().showMessage(self.tr("Wait until the import or answer in this workspace has finished."), 5000)
        return busy

    # --- documents and imports --------------------------------------------------------------------

    def refresh_documents(self) -> None:
        engine, name = self.host.engine, self.workspace
        if engine is None or name is None:
            self.documents.set_documents([], [])
            self.workspace_bytes = 0
            self.index_label.hide()
            self._update_status()
            return

        def load() -> tuple[list[Any], int, int, str | None]:
            docs = engine.documents(name)
            status = engine.index_status(name)
            folder = self.data_dir / "workspaces" / name
            size = sum(_disk_usage(p) for p in folder.rglob("*") if p.is_file())
            return docs, status.pending_dense, size, status.vector_index_state

        def shown(result: tuple[list[Any], int, int, str | None]) -> None:
            if name != self.workspace:
                return
            docs, pending, size, index_state = result
            self.documents.set_documents(docs, self.failures.get(name, []))
            self.workspace_bytes = size
            self._show_vector_index(name, index_state)
            self._update_status()
            self.documents_loaded.emit()
            self._take_pending_open()
            if pending and self.import_job is None and self._auto_resume:
                self._auto_resume = False  # once per opening: a cancelled import stays cancelled
                self.import_paths([])  # finish dense indexing an earlier run left pending

        self.tasks.call(load, shown, self._error)

    def _show_vector_index(self, name: str, state: str | None) -> None:
        """Show "Building the search index…" while the engine indexes ``name`` in the background,
        polling every few seconds until it is done (GUI thread)."""
        if name != self.workspace:
            return
        self.index_label.setVisible(state is not None)
        if state is None:
            return
        self.index_label.setText(self.tr("Building the search index…"))
        self.index_label.setToolTip(self.tr("A big import is being indexed for fast search (HNSW) in the background. "
                                            "Searches and questions work meanwhile."))
        engine = self.host.engine

        def poll() -> None:
            if engine is not None and engine is self.host.engine and name == self.workspace:
                self.tasks.call(lambda: engine.index_status(name).vector_index_state,
                                lambda later: self._show_vector_index(name, later), lambda *_: None)

        QTimer.singleShot(3000, poll)

    def open_files(self, paths: list[str]) -> None:
        """Files handed over by the desktop ("Open with Wenku", or a second launch with files).

        They are imported into the current workspace. Until the engine is up and the workspaces
        are listed they wait; with no workspace at all, one is created for them. GUI thread only.
        """
        self.pending_open.extend(paths)
        self._take_pending_open()

    def _take_pending_open(self) -> None:
        if not self.pending_open or self.host.engine is None or not self._workspaces_listed:
            return
        if self.workspace is None:
            if not self._creating_for_open:
                self._creating_for_open = True
                self.create_workspace(self.tr("My documents"), "mixed")
            return
        paths, self.pending_open = self.pending_open, []
        names = ", ".join(Path(p).name for p in paths)
        self.statusBar().showMessage(self.tr("Importing into %1: %2").replace("%1", self.workspace).replace("%2", names), 8000)
        self.import_paths(paths)

    def import_paths(self, paths: list[str]) -> None:
        """Import files/folders into the current workspace (queued behind a running import)."""
        engine, name = self.host.engine, self.workspace
        if engine is None or name is None:
            self.statusBar().showMessage(self.tr("Create or choose a workspace first."), 5000)
            return
        if self.import_job is not None:
            self.import_queue.append((name, list(paths)))
            return
        job = self.tasks.ingest(engine, name, paths)
        self.import_job = job
        self.documents.set_busy(True)
        self.documents.progress.start()
        job.progress.connect(self.documents.progress.set_progress)
        job.progress.connect(lambda _p: self._maybe_refresh_during_import())
        job.finished.connect(self._import_done)
        job.failed.connect(self._import_failed)
        self._last_doc_refresh = 0

    def _maybe_refresh_during_import(self) -> None:
        self._last_doc_refresh = getattr(self, "_last_doc_refresh", 0) + 1
        if self._last_doc_refresh % 20 == 0:  # every 2 s: newly committed documents appear
            self.refresh_documents()

    def _import_done(self, report: Any) -> None:
        job = self.import_job
        self.import_job = None
        self.documents.progress.hide()
        self.documents.set_busy(False)
        if job is not None:
            failed = [(f.path, f.error or "") for f in report.files if f.status == "failed"]
            done = {f.path for f in report.files if f.status != "failed"}
            kept = [(p, e) for p, e in self.failures.get(job.workspace, []) if p not in done and p not in dict(failed)]
            self.failures[job.workspace] = kept + failed
            added = report.count("added") + report.count("replaced")
            unchanged = report.count("unchanged") + report.count("duplicate")  # already in the workspace
            message = self.tr("Import finished: %1 added, %2 unchanged, %3 failed.")
            if report.cancelled:
                message = self.tr("Import cancelled: %1 added, %2 unchanged, %3 failed. Finished documents are kept.")
            if report.files or report.cancelled:
                self.statusBar().showMessage(message.replace("%1", str(added)).replace("%2", str(unchanged))
                                             .replace("%3", str(report.count("failed"))), 10000)
        self.refresh_documents()
        self.refresh_workspaces()
        self.import_finished.emit(report)
        if self.import_queue:
            name, paths = self.import_queue.pop(0)
            if name == self.workspace:
                self.import_paths(paths)

    def _import_failed(self, error: BaseException, details: str) -> None:
        self.import_job = None
        self.documents.progress.hide()
        self.documents.set_busy(False)
        self._error(error, details)
        self.refresh_documents()

    def cancel_import(self) -> None:
        if self.import_job is not None:
            self.import_job.cancel()
            self.import_queue.clear()
            self._auto_resume = False
            self.documents.progress.cancelling()

    def remove_documents(self, doc_ids: list[str]) -> None:
        engine, name = self.host.engine, self.workspace
        if engine is None or name is None:
            return
        self.tasks.call(lambda: engine.remove_documents(name, doc_ids), lambda _: self.refresh_documents(), self._error)

    def reimport_documents(self, keys: list[tuple[str, str]]) -> None:
        """Remove the documents' current index entries and import their files again."""
        engine, name = self.host.engine, self.workspace
        if engine is None or name is None:
            return
        ids = [doc_id for doc_id, _ in keys if doc_id]
        paths = [path for _, path in keys]

        def removed(_: Any) -> None:
            self.refresh_documents()
            self.import_paths(paths)

        self.tasks.call(lambda: engine.remove_documents(name, ids) if ids else None, removed, self._error)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)

    # --- questions ------------------------------------------------------------------------------

    def focus_question(self) -> None:
        self.chat.question.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def ask(self, question: str) -> None:
        engine, name = self.host.engine, self.workspace
        if engine is None:
            self.chat.set_notice(self.tr("Wenku is still starting; ask again in a moment."))
            return
        if name is None or self.answer_cancel is not None:
            return
        self.chat.set_notice("")
        language = self.settings.answer_language if self.settings.answer_language in ("zh", "en") else None
        history = tuple(Turn(t["question"], t["answer"]) for t in (self.history.turns() if self.history else [])
                        if not t.get("error") and not t.get("refused"))[-2:]
        request = AskRequest(name, question, language=language, history=history)  # type: ignore[arg-type]
        self.request_id += 1
        self.answer_cancel = CancelToken()
        self.answer_passages = []
        self.answer_question = question
        self.answer_error = None
        self.answer_history = self.history  # the turn belongs here even if the user switches workspace
        self.chat.begin_answer(question)
        if self.host.model_state in ("waiting", "failed"):
            self.chat.set_notice(self.tr("Loading the chat model; the first answer takes longer."))
        self.tasks.ask(engine, request, self.request_id, self.answer_cancel, self._on_event,
                       on_done=lambda _r, rid=self.request_id: self._answer_ended(rid),
                       on_error=lambda e, d, rid=self.request_id: self._answer_crashed(rid, e, d))

    def _on_event(self, request_id: int, event: Any) -> None:
        if request_id != self.request_id:
            return  # a superseded stream
        if isinstance(event, SourcesFound):
            self.answer_passages = [passage_dict(p) for p in event.passages]
        elif isinstance(event, TokenDelta):
            self.chat.append_text(event.text)
        elif isinstance(event, AnswerChecking):
            self.chat.set_notice(self.tr("Checking the answer against the passages…"))
        elif isinstance(event, AnswerDone):
            self.host.note_device(event.device) if not event.refused or event.timings.completion_tokens else None
            self._save_turn(turn_from_answer(self.answer_question, event))
        elif isinstance(event, AnswerFailed):
            self.answer_error = (event.kind, event.error)

    def _answer_ended(self, request_id: int) -> None:
        if request_id != self.request_id or self.answer_cancel is None:
            return
        if self.answer_error is not None:
            kind, error = self.answer_error
            self._save_turn({"question": self.answer_question, "answer": "", "refused": False, "cancelled": False,
                             "error": error, "error_kind": kind, "citations": [], "passages": self.answer_passages})
        elif self.answer_cancel is not None:  # the stream ended without a final event (cancelled early)
            self._save_turn({"question": self.answer_question, "answer": self.chat._pending, "refused": False,
                             "cancelled": True, "error": None, "citations": [], "passages": self.answer_passages})

    def _answer_crashed(self, request_id: int, error: BaseException, details: str) -> None:
        if request_id == self.request_id:
            self.answer_error = (kind_of(error), f"{type(error).__name__}: {error}\n\n{details}")
            self._answer_ended(request_id)

    def _save_turn(self, turn: dict[str, Any]) -> None:
        self.answer_cancel = None
        self.chat.set_notice("")
        target = self.answer_history
        if target is not None:
            target.add_turn(turn)
        if target is self.history:
            self.chat.finish_answer(turn)
            if self.history is not None:
                self.chat.set_conversations(self.history.summaries())
        else:  # the user switched workspace meanwhile: show the current one's history again
            self.chat.set_answering(False)
            if self.history is not None:
                self.history = History(self.data_dir, self.history.workspace)
                self.chat.show_history(self.history.turns())
        self.answer_finished.emit(turn)

    def stop_answer(self) -> None:
        if self.answer_cancel is not None:
            self.answer_cancel.cancel()
            self.chat.set_notice(self.tr("Stopping…"))

    def show_source(self, ref: dict[str, Any]) -> None:
        """Open the cited page in the source viewer (the document's file is found via the manifest)."""
        engine = self.host.engine
        workspace = ref.get("workspace") or self.workspace
        if engine is None or not workspace:
            return

        def located(docs: list[Any]) -> None:
            match = next((d for d in docs if d.file_name == ref["doc"]), None)
            path = Path(match.source_path) if match else None
            sizes = self.splitter.sizes()
            if not self.viewer.isVisible() or sizes[2] < 200:
                total = sum(sizes)
                self.viewer.show()
                self.splitter.setSizes([sizes[0], max(400, (total - sizes[0]) * 9 // 20),
                                        (total - sizes[0]) * 11 // 20])
            try:
                if path is None:
                    raise FileNotFoundError(ref["doc"])
                self.viewer.open_source(path, ref["doc"], int(ref["page"]), tuple(ref["span"]), ref.get("text", ""),
                                        [tuple(b) for b in ref.get("boxes", [])])
            except (OSError, RuntimeError, ValueError) as error:
                self.last_box = show_error(self, "SourceFileMissing", f"{ref['doc']}: {error}")

        self.tasks.call(lambda: engine.documents(workspace), located, self._error)

    # --- conversation ---------------------------------------------------------------------------

    def new_conversation(self) -> None:
        if self.history is not None and self.answer_cancel is None:
            self.history.new_conversation()
            self.chat.show_history([])
            self.chat.set_conversations(self.history.summaries())

    def select_conversation(self, conversation_id: str) -> None:
        """Continue an earlier conversation of this workspace."""
        if self.history is not None and self.answer_cancel is None:
            self.history.select(conversation_id)
            self.chat.show_history(self.history.turns())
        if self.history is not None:
            self.chat.set_conversations(self.history.summaries())

    def conversation_markdown(self) -> str:
        labels = {"title": self.tr("Conversation"), "question": self.tr("Question"), "answer": self.tr("Answer"),
                  "sources": self.tr("Sources"), "page": self.tr("page %1")}
        return to_markdown(self.workspace or "", self.history.turns() if self.history else [], labels)

    def copy_conversation(self) -> None:
        QApplication.clipboard().setText(self.conversation_markdown())
        self.statusBar().showMessage(self.tr("The conversation was copied as Markdown."), 5000)

    def export_conversation(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Export conversation"),
                                                  f"{self.workspace or 'wenku'}.md", self.tr("Markdown (*.md)"))
        if path:
            try:
                Path(path).write_text(self.conversation_markdown(), encoding="utf-8")
            except OSError as error:
                self.last_box = show_error(self, "", str(error))

    # --- preferences ----------------------------------------------------------------------------

    def open_preferences(self) -> Any:
        from core import models, paths
        from desktop.preferences import PreferencesDialog

        runtime = self._device_report()
        default = str(paths.models_dir(self.data_dir) / models.DEFAULT_CHAT_MODEL.file_name)
        dialog = PreferencesDialog(self.settings, data_dir=self.data_dir, workspace=self.workspace, runtime=runtime,
                                   default_model_path=default, tasks=self.tasks, api_key=read_api_key(), parent=self)
        dialog.accepted.connect(lambda: self.apply_preferences(dialog.settings, dialog.data_dir, dialog.api_key))
        dialog.open()
        return dialog

    def apply_preferences(self, new: AppSettings, data_dir: str, api_key: str | None = None) -> None:
        """Apply accepted preferences; ``api_key`` (None: unchanged) goes to the key file, never to
        the settings file."""
        old = self.settings
        workspace, engine = self.workspace, self.host.engine
        if workspace is not None and engine is not None:
            masking = bool(new.workspace(workspace).get("pii_masking"))
            if masking != bool(old.workspace(workspace).get("pii_masking")):
                self.tasks.call(lambda: engine.set_mask_pii(workspace, masking))
        engine_keys = ("chat_model_path", "gpu_mode", "gpu_layers", "threads", "context_length",
                       "chat_server_enabled", "chat_server_url", "chat_server_model", "chat_server_context")
        restart = any(getattr(old, k) != getattr(new, k) for k in engine_keys)
        if api_key is not None and api_key != read_api_key():
            write_api_key(api_key)
            restart = restart or new.uses_chat_server()
        self.settings = new
        save_settings(self.data_dir, new)
        self._update_remote_banner()
        if new.ui_language != old.ui_language:
            i18n.set_language(i18n.resolve(new.ui_language))
        if Path(data_dir) != self.data_dir:
            from desktop.settings import choose_data_dir

            choose_data_dir(data_dir)
        if restart:
            self._restart_engine_when_idle()

    def _restart_engine_when_idle(self) -> None:
        if self.import_job is not None or self.answer_cancel is not None:
            QTimer.singleShot(1000, self._restart_engine_when_idle)
            return
        self.host.restart(self.settings)

    def _about(self) -> None:
        QMessageBox.about(self, self.tr("About Wenku"), self.tr(
            "Wenku answers questions from your own PDF documents, offline, with page citations.\n"
            "Licence: AGPL-3.0-or-later."))

    # --- shutdown -------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.import_job is not None:
            self.import_job.cancel()
        if self.answer_cancel is not None:
            self.answer_cancel.cancel()
        self.tasks.wait(60000)
        self.host.close()
        super().closeEvent(event)


def _disk_usage(path: Path) -> int:
    """Bytes a file really occupies (the store preallocates sparse files, so st_size overstates it)."""
    stat = path.stat()
    blocks = getattr(stat, "st_blocks", None)
    return stat.st_size if blocks is None else min(stat.st_size, blocks * 512)


def central_widget_names(window: QWidget) -> list[str]:
    """Accessible names of the window's controls (tests check that every control has one)."""
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit

    kinds = (QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit, QAbstractSpinBox)
    from PySide6.QtWidgets import QMenuBar, QTableWidget

    # Parts of composite Qt widgets (a spin box's line edit, a table's corner button, the menu
    # bar's overflow arrow) are named through their owner.
    inner = (QAbstractSpinBox, QComboBox, QTableWidget, QMenuBar)
    return [w.accessibleName() or (w.text() if isinstance(w, QAbstractButton) else "")
            or f"<unnamed {type(w).__name__} in {type(w.parentWidget()).__name__}>"
            for w in window.findChildren(QWidget)
            if isinstance(w, kinds) and not isinstance(w.parentWidget(), inner)
            and not type(w).__name__.startswith("QMessageBox")]
