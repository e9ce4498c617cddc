"""FAQ answers without the chat model, and questions over several workspaces at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.datatypes import AnswerDone, AskRequest
from core.errors import IngestError
from tests.core import pdfs


def _done(engine, request: AskRequest) -> AnswerDone:
    events = list(engine.ask(request))
    assert isinstance(events[-1], AnswerDone), events
    return events[-1]


def test_csv_faq_answers_a_matching_question_directly(fake_engine, tmp_path: Path) -> None:
    csv_file = tmp_path / "faq.csv"
    csv_file.write_text("question,answer\nWhat are the office opening hours?,Monday to Friday 9:00-17:00.\n"
                        "How do I reset my badge?,Ask the front desk on floor 2.\n", encoding="utf-8")
    fake_engine.create_workspace("w")
    assert fake_engine.import_faq("w", csv_file) == 2
    done = _done(fake_engine, AskRequest("w", "What are the office opening hours?"))
    assert done.source == "faq" and not done.refused
    assert done.answer == "Monday to Friday 9:00-17:00. [1]"
    (citation,) = done.citations
    assert (citation.kind, citation.doc, citation.page) == ("faq", "faq.csv", 1)


def test_chinese_json_faq_and_non_matching_questions_go_to_documents(fake_engine, tmp_path: Path) -> None:
    json_file = tmp_path / "常见问题.json"
    json_file.write_text(json.dumps([{"问题": "食堂几点开门？", "答案": "早上七点。"}], ensure_ascii=False), encoding="utf-8")
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdfs.text_pdf(tmp_path / "a.pdf", ["The Marlow Bridge was completed in 1832."])])
    assert fake_engine.import_faq("w", json_file) == 1
    assert _done(fake_engine, AskRequest("w", "食堂几点开门？")).answer == "早上七点。 [1]"
    done = _done(fake_engine, AskRequest("w", "When was the Marlow Bridge completed?"))
    assert done.source == "documents" and done.citations[0].doc == "a.pdf"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("bad.json", "{not json", "not valid JSON"), ("empty.csv", "question,answer\n", "no question/answer pairs"),
     ("wrong.json", '{"question": "x"}', "expected a JSON list")],
)
def test_malformed_faq_files_are_clear_errors(fake_engine, tmp_path: Path, name: str, content: str, message: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    fake_engine.create_workspace("w")
    with pytest.raises(IngestError, match=message):
        fake_engine.import_faq("w", tmp_path / name)


def test_one_question_searches_several_workspaces_and_cites_each(fake_engine, tmp_path: Path) -> None:
    fake_engine.create_workspace("bridges")
    fake_engine.create_workspace("canals")
    fake_engine.ingest("bridges", [pdfs.text_pdf(tmp_path / "b.pdf", ["The Marlow Bridge was completed in 1832."])])
    fake_engine.ingest("canals", [pdfs.text_pdf(tmp_path / "c.pdf", ["The Leeds canal was completed in 1816."])])
    done = _done(fake_engine, AskRequest("bridges", "When was the Leeds canal completed?", also=("canals",)))
    assert done.citations[0].workspace == "canals" and done.citations[0].doc == "c.pdf"
    assert {p.workspace for p in done.passages} == {"bridges", "canals"}
    only_bridges = _done(fake_engine, AskRequest("bridges", "When was the Leeds canal completed?"))
    assert all(p.workspace == "bridges" for p in only_bridges.passages)
