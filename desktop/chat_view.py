"""The conversation: question box, streamed answers, citation chips, refusals, history actions.

Answer tokens arrive pushed (see :mod:`desktop.tasks`); they are buffered and re-rendered at most
every 50 ms so a fast model never floods the event loop. A citation chip or an inline ``[n]`` link
emits :attr:`ChatView.source_requested` with where the passage is (workspace, document, page, span,
text). GUI thread only.
"""

from __future__ import annotations

import html
import re
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import sentence
from desktop.i18n import Retranslating
from desktop.icons import icon

_MARKER = re.compile(r"\[(\d+)\]")


def answer_html(text: str) -> str:
    """Answer text as rich text, each ``[n]`` a link styled as a small chip."""
    escaped = html.escape(text).replace("\n", "<br>")
    return _MARKER.sub(
        r'<a href="cite:\1" style="text-decoration:none; color:#1f5fbf; background-color:#e3ecfa;">&nbsp;[\1]&nbsp;</a>',
        escaped)


class QuestionEdit(QPlainTextEdit):
    """Enter sends, Shift+Enter inserts a new line."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
                event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class TurnWidget(Retranslating, QFrame):
    """One question and its answer (streaming, done, refused, cancelled or failed)."""

    source_requested = Signal(dict)

    def __init__(self, question: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("turn")
        self.turn: dict[str, Any] = {"question": question, "answer": "", "citations": [], "passages": []}
        self.streaming = True
        self.question_label = QLabel()
        self.question_label.setObjectName("question")
        self.question_label.setWordWrap(True)
        self.question_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.question_label.setText(html.escape(question).replace("\n", "<br>"))
        self.header = QLabel()
        self.header.setObjectName("refusalHeader")
        self.header.hide()
        self.answer_label = QLabel()
        self.answer_label.setObjectName("answer")
        self.answer_label.setWordWrap(True)
        self.answer_label.setTextFormat(Qt.TextFormat.RichText)
        self.answer_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.answer_label.linkActivated.connect(self._on_link)
        self.answer_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.status = QLabel()
        self.status.setObjectName("turnStatus")
        self.chips_title = QLabel()
        self.chips = QHBoxLayout()
        self.chips.setSpacing(4)
        self.chips.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.chip_buttons: list[QPushButton] = []
        # Where each chip points, kept on the Python side: a dict stored as a Qt property goes
        # through QVariant conversion, which crashed PySide6 6.12 on some citations.
        self.chip_refs: list[dict[str, Any]] = []
        self.details_button = QPushButton()
        self.details_button.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.question_label)
        layout.addWidget(self.header)
        layout.addWidget(self.answer_label)
        layout.addWidget(self.chips_title)
        self.chips_box = QWidget()
        chips_layout = QVBoxLayout(self.chips_box)
        chips_layout.setContentsMargins(0, 0, 0, 0)
        chips_layout.addLayout(self.chips)
        layout.addWidget(self.chips_box)
        layout.addWidget(self.details_button)
        layout.addWidget(self.status)
        self.chips_title.hide()
        self.retranslate()

    # --- streaming ------------------------------------------------------------------------------

    def show_partial(self, text: str) -> None:
        self.turn["answer"] = text
        self.answer_label.setText(answer_html(text) + " ▍")

    def finish(self, turn: dict[str, Any]) -> None:
        """Show the final state of the turn (from the engine or from saved history)."""
        self.streaming = False
        self.turn = turn
        self.render()

    def render(self) -> None:
        turn = self.turn
        for chip in self.chip_buttons:
            self.chips.removeWidget(chip)
            chip.deleteLater()
        self.chip_buttons = []
        self.chip_refs = []
        refused = bool(turn.get("refused"))
        self.setProperty("kind", "error" if turn.get("error") else "refusal" if refused else "answer")
        self.style().unpolish(self)
        self.style().polish(self)
        if turn.get("error"):
            self.answer_label.setText(html.escape(sentence(turn.get("error_kind", ""))))
            self.details_button.show()
        else:
            self.answer_label.setText(answer_html(turn.get("answer", "")))
            self.details_button.hide()
        self.header.setVisible(refused)
        if refused:
            for n, passage in enumerate(turn.get("passages", [])[:3], 1):
                self._add_chip(n, passage["doc"], passage["page"], passage["span"], passage.get("text", ""),
                               passage.get("workspace", ""), passage.get("boxes", []), closest=True)
        else:
            for c in turn.get("citations", []):
                if c.get("kind", "page") == "page":
                    self._add_chip(c["marker"], c["doc"], c["page"], c["span"], self._passage_text(c),
                                   c.get("workspace", ""), c.get("boxes", []))
        self.chips_title.setVisible(bool(self.chip_buttons))
        self.retranslate()

    def _passage_text(self, citation: dict[str, Any]) -> str:
        for p in self.turn.get("passages", []):
            if p["doc"] == citation["doc"] and p["page"] == citation["page"] and p["span"] == citation["span"]:
                return str(p.get("text", ""))
        return str(citation.get("snippet", ""))

    def _add_chip(self, marker: int, doc: str, page: int, span: list[int], text: str, workspace: str,
                  boxes: list[list[float]], closest: bool = False) -> None:
        chip = QPushButton(f"[{marker}] {doc} · p.{page}")
        chip.setObjectName("citationChip")
        chip.setCursor(Qt.CursorShape.PointingHandCursor)
        chip.setToolTip(text[:300])
        ref = {"marker": marker, "doc": doc, "page": page, "span": list(span), "text": text, "workspace": workspace,
               "boxes": [list(b) for b in boxes]}
        chip.setProperty("closest", closest)
        chip.clicked.connect(lambda _=False, r=ref: self.source_requested.emit(r))
        self.chips.addWidget(chip)
        self.chip_buttons.append(chip)
        self.chip_refs.append(ref)

    def _on_link(self, link: str) -> None:
        if link.startswith("cite:"):
            marker = int(link[5:])
            for ref in self.chip_refs:
                if ref["marker"] == marker:
                    self.source_requested.emit(ref)
                    return

    # --- language -------------------------------------------------------------------------------

    def retranslate(self) -> None:
        turn = self.turn
        self.header.setText(self.tr("Not found in your documents"))
        self.chips_title.setText(self.tr("Closest passages:") if turn.get("refused") else self.tr("Sources:"))
        self.details_button.setText(self.tr("Copy details"))
        for chip, ref in zip(self.chip_buttons, self.chip_refs, strict=True):
            page = self.tr("p. %1").replace("%1", str(ref["page"]))
            chip.setText(f"[{ref['marker']}] {ref['doc']} · {page}")
            chip.setAccessibleName(self.tr("Source %1: %2, page %3").replace("%1", str(ref["marker"]))
                                   .replace("%2", ref["doc"]).replace("%3", str(ref["page"])))
        if self.streaming:
            self.status.setText(self.tr("Answering…"))
        elif turn.get("error"):
            self.status.setText(self.tr("The answer failed."))
        elif turn.get("cancelled"):
            self.status.setText(self.tr("Stopped."))
        else:
            self.status.setText(turn.get("time", ""))


class ChatView(Retranslating, QWidget):
    """The chat pane: turns of the current conversation and the question box."""

    ask_requested = Signal(str)
    stop_requested = Signal()
    source_requested = Signal(dict)
    new_conversation_requested = Signal()
    conversation_selected = Signal(str)
    copy_requested = Signal()
    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.turn_widgets: list[TurnWidget] = []
        self._pending = ""
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(50)
        self._flush_timer.timeout.connect(self._flush)

        self.new_button = QToolButton()
        self.new_button.setIcon(icon("new-chat"))
        self.new_button.clicked.connect(self.new_conversation_requested.emit)
        self.copy_button = QToolButton()
        self.copy_button.setIcon(icon("copy"))
        self.copy_button.clicked.connect(self.copy_requested.emit)
        self.export_button = QToolButton()
        self.export_button.setIcon(icon("export"))
        self.export_button.clicked.connect(self.export_requested.emit)
        top = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("panelTitle")
        self.conversations = QComboBox()
        self.conversations.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.conversations.setMinimumContentsLength(18)
        self.conversations.activated.connect(
            lambda index: self.conversation_selected.emit(str(self.conversations.itemData(index))))
        self._summaries: list[tuple[str, str, str]] = []
        top.addWidget(self.title)
        top.addWidget(self.conversations)
        top.addStretch()
        for button in (self.new_button, self.copy_button, self.export_button):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            top.addWidget(button)

        self.turns_box = QWidget()
        self.turns_layout = QVBoxLayout(self.turns_box)
        self.turns_layout.addStretch()
        self.placeholder = QLabel()
        self.placeholder.setObjectName("hint")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.turns_layout.insertWidget(0, self.placeholder)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.turns_box)
        self.scroll.verticalScrollBar().rangeChanged.connect(
            lambda _lo, hi: self.scroll.verticalScrollBar().setValue(hi))

        self.question = QuestionEdit()
        self.question.setObjectName("questionBox")
        self.question.setFixedHeight(70)
        self.question.submitted.connect(self.submit)
        self.send_button = QPushButton(icon("send"), "")
        self.send_button.clicked.connect(self.submit)
        self.stop_button = QPushButton(icon("stop"), "")
        self.stop_button.clicked.connect(self.stop_requested.emit)
        self.stop_button.setEnabled(False)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.question, 1)
        bottom.addLayout(buttons)
        self.notice = QLabel()
        self.notice.setObjectName("hint")
        self.notice.setWordWrap(True)
        self.notice.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.notice)
        layout.addLayout(bottom)
        self.retranslate()

    # --- language -------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.title.setText(self.tr("Questions"))
        self.new_button.setText(self.tr("New conversation"))
        self.new_button.setAccessibleName(self.tr("New conversation"))
        self.copy_button.setText(self.tr("Copy"))
        self.copy_button.setAccessibleName(self.tr("Copy the conversation as Markdown"))
        self.export_button.setText(self.tr("Export…"))
        self.export_button.setAccessibleName(self.tr("Export the conversation as Markdown"))
        self.question.setPlaceholderText(self.tr("Ask a question about your documents (Enter sends, Shift+Enter for a new line)"))
        self.question.setAccessibleName(self.tr("Question"))
        self.send_button.setText(self.tr("Ask"))
        self.send_button.setAccessibleName(self.tr("Ask the question"))
        self.stop_button.setText(self.tr("Stop"))
        self.stop_button.setAccessibleName(self.tr("Stop the answer"))
        self.stop_button.setToolTip(self.tr("Stop the answer (Esc)"))
        self.placeholder.setText(self.tr("Answers come only from the documents of this workspace, with their sources."))
        self.conversations.setAccessibleName(self.tr("Earlier conversations"))
        self.conversations.setToolTip(self.tr("Earlier conversations"))
        self._fill_conversations()

    def set_conversations(self, summaries: list[tuple[str, str, str]]) -> None:
        """(id, created, first question), the current conversation first."""
        self._summaries = summaries
        self._fill_conversations()

    def _fill_conversations(self) -> None:
        self.conversations.blockSignals(True)
        self.conversations.clear()
        for conversation_id, created, question in self._summaries:
            title = question[:40] + ("…" if len(question) > 40 else "") if question else self.tr("New conversation")
            self.conversations.addItem(f"{created} · {title}", conversation_id)
        self.conversations.setCurrentIndex(0)
        self.conversations.blockSignals(False)

    # --- turns ----------------------------------------------------------------------------------

    def clear(self) -> None:
        for widget in self.turn_widgets:
            self.turns_layout.removeWidget(widget)
            widget.deleteLater()
        self.turn_widgets = []
        self.placeholder.show()

    def show_history(self, turns: list[dict[str, Any]]) -> None:
        self.clear()
        for turn in turns:
            widget = self._add_turn(turn["question"])
            widget.finish(turn)

    def _add_turn(self, question: str) -> TurnWidget:
        self.placeholder.hide()
        widget = TurnWidget(question)
        widget.source_requested.connect(self.source_requested.emit)
        widget.details_button.clicked.connect(lambda _=False, w=widget: self._copy_details(w))
        self.turns_layout.insertWidget(self.turns_layout.count() - 1, widget)
        self.turn_widgets.append(widget)
        return widget

    def _copy_details(self, widget: TurnWidget) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.clipboard().setText(f"{widget.answer_label.text()}\n\n{widget.turn.get('error', '')}")

    def submit(self) -> None:
        text = self.question.toPlainText().strip()
        if text and self.send_button.isEnabled():
            self.ask_requested.emit(text)

    def begin_answer(self, question: str) -> TurnWidget:
        """A new turn in the streaming state; the question box is cleared and Stop enabled."""
        self.question.clear()
        self._pending = ""
        self.set_answering(True)
        return self._add_turn(question)

    def set_answering(self, answering: bool) -> None:
        self.send_button.setEnabled(not answering)
        self.stop_button.setEnabled(answering)

    def append_text(self, text: str) -> None:
        self._pending += text
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        if self.turn_widgets and self.turn_widgets[-1].streaming:
            self.turn_widgets[-1].show_partial(self._pending)

    def finish_answer(self, turn: dict[str, Any]) -> None:
        self._flush_timer.stop()
        if self.turn_widgets:
            self.turn_widgets[-1].finish(turn)
        self.set_answering(False)

    def set_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def current_text(self) -> str:
        """The visible text of the conversation (tests and accessibility checks)."""
        return "\n".join(f"{w.question_label.text()}\n{w.answer_label.text()}" for w in self.turn_widgets)
