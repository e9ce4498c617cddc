"""Turning files into chunks: PDF parsing, OCR, chunking, the import pipeline and dense indexing."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from core.cancel import CancelToken, ProgressSlot
from core.store import VectorStore
from core.workspace import WorkspaceFolder


@dataclass(frozen=True)
class IngestContext:
    """What one import job works on: a workspace's folder and store, the lock guarding them
    (held per batch, so questions run in between), and the job's progress slot and cancel token."""

    folder: WorkspaceFolder
    store: VectorStore
    lock: threading.RLock
    progress: ProgressSlot
    cancel: CancelToken
