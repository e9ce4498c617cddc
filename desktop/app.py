"""Start-up of the desktop app (``wenku-desktop``, ``python -m desktop``).

The window appears at once; the engine is created and the chat model loaded in the background.
One instance per data folder (a second launch raises the first window). A native crash of the
previous run is offered at start. ``--screenshot OUT.png`` drives the app without a person: open a
workspace, optionally ask a question and wait for the answer, save the window as a PNG, exit 0.
Main thread only.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
SCREENSHOT_TIMEOUT_MS = 15 * 60 * 1000


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wenku-desktop", description="Wenku desktop: answers from your own PDFs.")
    parser.add_argument("--data-dir", help="data folder (default: $WENKU_HOME, the folder chosen in Preferences, "
                                           "or the platform's app data folder)")
    parser.add_argument("--lang", choices=["zh", "en"], help="interface language (default: Preferences, else the system's)")
    parser.add_argument("--workspace", help="open this workspace (created if missing in --screenshot mode)")
    parser.add_argument("--screenshot", metavar="OUT.png", help="save the window as a PNG and exit")
    parser.add_argument("--ask", metavar="QUESTION", help="with --screenshot: ask this and wait for the answer first")
    parser.add_argument("files", nargs="*", help="documents to import into the current workspace (\"Open with Wenku\")")
    return parser


def resolve_data_dir(option: str | None) -> Path:
    from core import paths
    from desktop.settings import chosen_data_dir

    if option is None and not os.environ.get("WENKU_HOME"):
        option = chosen_data_dir()
    return paths.data_dir(option)


def _setup_logging(data_dir: Path) -> None:
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(logs / "wenku-desktop.log", maxBytes=2_000_000, backupCount=3,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)


def route_qt_messages_to_log() -> None:
    """Send Qt's own warnings (locale fallback, platform plugin notes) to our log, not the terminal.

    A desktop app's stderr is seen by nobody, and the packaging smoke tests treat any stderr output
    as a failure; the log keeps the messages with their severity. Call before QApplication exists.
    """
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}
    qt_log = logging.getLogger("qt")

    def handler(kind: Any, _context: Any, message: str) -> None:
        qt_log.log(levels.get(kind, logging.WARNING), "event=qt_message text=%s", message.replace("\n", " "))

    qInstallMessageHandler(handler)


def offer_crash_report(parent: Any, text: str) -> Any:
    """Tell the user the previous run crashed and let them copy the report."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, QCoreApplication.translate("CrashReport", "Wenku"),
                      QCoreApplication.translate(
        "CrashReport", "Wenku stopped unexpectedly last time. The report below can help fix it; nothing was sent anywhere."), QMessageBox.StandardButton.Close, parent)
    box.setDetailedText(text)
    copy = box.addButton(QCoreApplication.translate("CrashReport", "Copy details"), QMessageBox.ButtonRole.ActionRole)
    copy.clicked.disconnect()
    copy.clicked.connect(lambda: QApplication.clipboard().setText(text))
    box.open()
    return box


class ScreenshotDriver:
    """Drives a window through open workspace → (ask → answer) → grab → exit."""

    def __init__(self, app: Any, window: Any, out: Path, workspace: str | None, question: str | None) -> None:
        from PySide6.QtCore import QTimer

        self.app, self.window, self.out = app, window, out
        self.workspace, self.question = workspace, question
        self.stage = "start"
        window.workspaces_loaded.connect(self._on_workspaces)
        window.documents_loaded.connect(self._on_documents)
        window.answer_finished.connect(lambda _turn: QTimer.singleShot(300, self.grab))
        QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, self._timeout)

    def _on_workspaces(self) -> None:
        if self.stage != "start":
            return
        names = self.window.workspaces.names()
        if self.workspace and self.workspace not in names:
            self.stage = "creating"
            self.window.create_workspace(self.workspace, "mixed")
            return
        if not self.workspace and self.window.workspace is None:  # an empty data folder: nothing to open
            from PySide6.QtCore import QTimer

            self.stage = "grabbing"
            QTimer.singleShot(500, self.grab)
            return
        self.stage = "opening"
        if self.workspace:
            self.window.workspaces.select(self.workspace)
        if self.window.workspace is None or self.window.workspace == self.workspace or not self.workspace:
            self.window.refresh_documents()

    def _on_documents(self) -> None:
        from PySide6.QtCore import QTimer

        if self.stage not in ("creating", "opening"):
            return
        if self.workspace and self.window.workspace != self.workspace:
            if self.stage == "creating":
                return  # the list is being refreshed with the new workspace selected
            self.window.workspaces.select(self.workspace)
            return
        if self.question:
            self.stage = "asking"
            self.window.ask(self.question)
        else:
            self.stage = "grabbing"
            QTimer.singleShot(500, self.grab)

    def grab(self) -> None:
        if self.stage == "done":
            return
        self.stage = "done"
        self.out.parent.mkdir(parents=True, exist_ok=True)
        ok = self.window.grab().save(str(self.out))
        log.info("event=screenshot path=%s ok=%s", self.out, ok)
        self.app.exit(0 if ok else 2)

    def _timeout(self) -> None:
        if self.stage != "done":
            log.error("event=screenshot_timeout stage=%s", self.stage)
            self.stage = "done"
            self.window.grab().save(str(self.out))
            self.app.exit(3)


def run(argv: Sequence[str] | None = None, factory: Any = None) -> int:
    args = build_parser().parse_args(argv)
    if args.ask and not args.screenshot:
        build_parser().error("--ask needs --screenshot")
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from desktop import crash_report, i18n
    from desktop.engine_host import EngineHost
    from desktop.main_window import MainWindow
    from desktop.settings import load_settings
    from desktop.single_instance import SingleInstance, notify_running
    from desktop.tasks import Tasks

    data_dir = resolve_data_dir(args.data_dir)
    route_qt_messages_to_log()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setApplicationName("Wenku")
    QCoreApplication.setOrganizationName("Wenku")
    files = [str(Path(f).expanduser().resolve()) for f in args.files]
    if not args.screenshot and notify_running(data_dir, files):
        print(f"wenku-desktop: already running for {data_dir}; raised its window", file=sys.stderr)
        return 0
    _setup_logging(data_dir)
    instance = None
    if not args.screenshot:  # listen at once, so a launch right after this one finds us
        instance = SingleInstance(data_dir)
        log.info("event=single_instance_listening data_dir=%s", data_dir)
    previous_crash = crash_report.take_previous_crash(data_dir)
    crash_report.enable(data_dir)
    i18n.ensure_cjk_font()
    settings = load_settings(data_dir)
    i18n.set_language(args.lang or i18n.resolve(settings.ui_language))
    if args.workspace:
        settings.last_workspace = args.workspace

    tasks = Tasks()
    host = EngineHost(tasks, data_dir, settings, factory)
    window = MainWindow(host, tasks, data_dir, settings)
    window.show()
    host.start(preload_model=not args.screenshot or bool(args.ask))
    if instance is not None:
        def bring_to_front() -> None:
            log.info("event=raise_requested")
            window.showNormal()
            window.raise_()
            window.activateWindow()

        instance.raise_requested.connect(bring_to_front)
        instance.files_opened.connect(window.open_files)
    if files:
        window.open_files(files)
    if previous_crash:
        log.warning("event=previous_crash_offered chars=%d", len(previous_crash))
        window.crash_box = offer_crash_report(window, previous_crash)
    if args.screenshot:
        window.driver = ScreenshotDriver(app, window, Path(args.screenshot).resolve(), args.workspace, args.ask)
    code = app.exec()
    if window.isVisible():
        window.close()
    if instance is not None:
        instance.close()
    tasks.wait(60000)
    host.close()
    return int(code)


def main() -> None:
    sys.exit(run())
