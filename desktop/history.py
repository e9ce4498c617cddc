"""Conversation history per workspace, kept across restarts.

One JSON file per workspace in ``<data>/desktop/history/`` (file name: a hash of the workspace
name, so any name is safe on any file system), written atomically after every finished answer.
Turns are plain dicts (question, answer, refused, cancelled, error, citations, passages) so the
file stays readable and versionable. GUI thread only (small files, written at human pace).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

from core import prompts
from core.datatypes import AnswerDone, Citation, Passage
from core.fileio import write_json_atomic

SCHEMA_VERSION = 1


def _boxes(item: object) -> list[list[float]]:
    """OCR line boxes of a passage or citation (engines that do not provide them: none)."""
    return [[round(float(v), 2) for v in box] for box in getattr(item, "boxes", ())]


def citation_dict(c: Citation) -> dict[str, Any]:
    return {"marker": c.marker, "doc": c.doc, "page": c.page, "span": [c.span.start, c.span.end],
            "snippet": c.snippet, "workspace": c.workspace, "kind": c.kind, "boxes": _boxes(c)}


def passage_dict(p: Passage) -> dict[str, Any]:
    return {"doc": p.doc, "page": p.page, "span": [p.span.start, p.span.end], "text": p.text,
            "ocr": p.ocr, "workspace": p.workspace, "similarity": round(p.similarity, 4), "boxes": _boxes(p)}


def turn_from_answer(question: str, done: AnswerDone) -> dict[str, Any]:
    """A finished answer as a history turn; a refusal says why when it can (names the documents
    never mention, an answer about another year, an answer withdrawn by its check), in the
    answer's language."""
    answer = done.answer
    note = prompts.refusal_note(done)
    if note:
        answer = f"{answer}\n{note}"
    return {"question": question, "answer": answer, "refused": done.refused, "cancelled": done.cancelled,
            "error": None, "citations": [citation_dict(c) for c in done.citations],
            "passages": [passage_dict(p) for p in done.passages], "device": done.device,
            "time": time.strftime("%Y-%m-%d %H:%M")}


class History:
    """The conversations of one workspace; the last one is the current one."""

    def __init__(self, data_dir: Path, workspace: str) -> None:
        self.workspace = workspace
        digest = hashlib.sha1(workspace.encode("utf-8")).hexdigest()[:16]
        self.path = data_dir / "desktop" / "history" / f"{digest}.json"
        self.conversations: list[dict[str, Any]] = []
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            self.conversations = list(raw.get("conversations", []))
        except (OSError, ValueError):
            pass
        if not self.conversations:
            self.conversations.append(self._new())

    @staticmethod
    def _new() -> dict[str, Any]:
        return {"id": uuid.uuid4().hex, "created": time.strftime("%Y-%m-%d %H:%M"), "turns": []}

    @property
    def current(self) -> dict[str, Any]:
        return self.conversations[-1]

    def turns(self) -> list[dict[str, Any]]:
        return list(self.current["turns"])

    def add_turn(self, turn: dict[str, Any]) -> None:
        self.current["turns"].append(turn)
        self.save()

    def new_conversation(self) -> None:
        if self.current["turns"]:
            self.conversations.append(self._new())
            self.save()

    def select(self, conversation_id: str) -> None:
        """Make an earlier conversation the current one (it moves to the end of the list)."""
        for index, conversation in enumerate(self.conversations):
            if conversation["id"] == conversation_id and index != len(self.conversations) - 1:
                self.conversations.append(self.conversations.pop(index))
                self.save()
                return

    def summaries(self) -> list[tuple[str, str, str]]:
        """(id, created, first question) of every conversation with turns, newest first, plus the current one."""
        rows = [(c["id"], c.get("created", ""), c["turns"][0]["question"] if c["turns"] else "")
                for c in self.conversations if c["turns"] or c is self.current]
        return list(reversed(rows))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.path, {"schema": SCHEMA_VERSION, "workspace": self.workspace,
                                      "conversations": self.conversations})

    def rename(self, new_name: str) -> History:
        """Move this history to a renamed workspace; returns the new history object."""
        moved = History.__new__(History)
        moved.workspace = new_name
        moved.path = History(self.path.parent.parent.parent, new_name).path
        moved.conversations = self.conversations
        moved.save()
        self.path.unlink(missing_ok=True)
        return moved

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)


def to_markdown(workspace: str, turns: list[dict[str, Any]], labels: dict[str, str]) -> str:
    """A conversation as Markdown (``labels`` holds the translated headings)."""
    lines = [f"# {labels['title']}: {workspace}", ""]
    for turn in turns:
        lines += [f"## {labels['question']}", "", turn["question"], "", f"## {labels['answer']}", ""]
        lines += [turn.get("error") or turn.get("answer", ""), ""]
        if turn.get("citations"):
            lines += [f"**{labels['sources']}**", ""]
            for c in turn["citations"]:
                page = labels["page"].replace("%1", str(c["page"]))
                lines.append(f"- [{c['marker']}] {c['doc']}, {page}: {c['snippet']}")
            lines.append("")
    return "\n".join(lines)
