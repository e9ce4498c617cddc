"""Sources per page, near-identical text shown once, and the absent-name check before answering."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.coverage import missing_names, named_terms
from core.datatypes import AnswerDone, AskRequest, Passage, SearchRequest, Span
from core.ranking import (
    FIGURE_BONUS,
    boost_figures,
    group_by_page,
    prompt_chunks,
    question_figures,
    resemblance,
    shingles,
)
from core.store import StoredHit
from tests.core.pdfs import scanned_pdf, text_pdf


def _passage(doc: str, page: int, text: str, start: int = 0, *, ocr: bool = False) -> Passage:
    return Passage(doc, doc, page, Span(start, start + len(text)), text, 1.0, ocr=ocr, similarity=0.9, workspace="w")


def test_pages_are_distinct_and_keep_their_chunks_in_rank_order() -> None:
    hits = [_passage("a", 1, "alpha beta gamma delta", 0), _passage("a", 1, "epsilon zeta eta theta", 30),
            _passage("a", 2, "iota kappa lambda mu"), _passage("b", 1, "nu xi omicron pi rho")]
    groups = group_by_page(hits, 2)
    assert [(g[0].doc, g[0].page, len(g)) for g in groups] == [("a", 1, 2), ("a", 2, 1)]
    assert [p.text for p in prompt_chunks(groups, 2)] == ["alpha beta gamma delta", "iota kappa lambda mu"]
    assert len(prompt_chunks(groups, 10)) == 3


def test_near_identical_text_on_another_page_is_dropped() -> None:
    born_digital = "Merchandise inventories, net at the end of the fourth quarter of fiscal 2022 totaled $1.6 billion."
    ocr_copy = "Merchandise inventories, net at the end of the fourth quarter of fiscal 2022 totaled $1.6 bilion."
    other_year = "Merchandise inventories, net at the end of the fourth quarter of fiscal 2021 totaled $1.5 billion."
    other = "Cash and cash equivalents at the end of the fourth quarter of fiscal 2022 were $737.9 million."
    assert resemblance(shingles(born_digital), shingles(ocr_copy)) > 0.8
    assert resemblance(shingles(born_digital), shingles(other)) < 0.5
    groups = group_by_page([_passage("a", 3, born_digital), _passage("a_scan", 3, ocr_copy), _passage("c", 1, other),
                            _passage("d", 3, other_year)], 5)
    assert [g[0].doc for g in groups] == ["a", "c", "d"], "same wording with other figures is another answer"
    chinese = "西湖龙井茶产于浙江省杭州市西湖龙井村周围群山，已有一千二百余年历史。"
    assert resemblance(shingles(chinese), shingles(chinese.replace("，", " , "))) == 1.0


RESULTS = ("Operating income increased 32.7% to $476.5 million. Diluted earnings per share increased 36.7% to "
           "$6.68. Merchandise inventories were $1.6 billion, driven by 47 net new stores.")
REPURCHASES = "The company repurchased 1.3 million shares at a cost of $305.2 million in the fourth quarter."


def test_a_scanned_copy_of_a_page_is_shown_once_even_when_cut_into_other_chunks() -> None:
    """The scan's chunk ends earlier than the text copy's, so the two are not near-identical, but
    one holds the other. Of the two pages, the one ranked first stays, whole."""
    text_chunk = _passage("release", 3, RESULTS + " " + REPURCHASES)
    scan_chunk = _passage("release_scan", 3, RESULTS, ocr=True)
    stamp = _passage("release_scan", 3, "RECEIVED 14 MARCH 2023 - INVESTOR RELATIONS", ocr=True)
    assert resemblance(shingles(text_chunk.text), shingles(scan_chunk.text)) < 0.8
    other = _passage("other", 1, "Store count grew to 1,355 stores in 50 states.")
    groups = group_by_page([text_chunk, other, stamp, scan_chunk], 5)
    assert [[p.doc for p in g] for g in groups] == [["release"], ["other"]], "the stamp goes with its page"
    groups = group_by_page([stamp, text_chunk, other, scan_chunk], 5)
    assert [[p.text for p in g] for g in groups] == [[stamp.text, RESULTS], [other.text]]


@pytest.mark.parametrize(("copy", "why"), [
    (_passage("release_2022", 3, RESULTS), "two born-digital reports (two years) repeating a page"),
    (_passage("release_scan", 4, RESULTS, ocr=True), "another page number"),
    (_passage("release_scan", 3, RESULTS.replace("$476.5", "$431.2").replace("36.7%", "29.4%"), ocr=True),
     "other figures"),
])
def test_look_alike_pages_that_are_not_a_scanned_copy_are_kept(copy: Passage, why: str) -> None:
    groups = group_by_page([_passage("release", 3, RESULTS + " " + REPURCHASES), copy], 5)
    assert len(groups) == 2, why


def test_search_shows_a_report_and_its_scan_as_one_source(tmp_path: Path, data_dir: Path, real_ocr) -> None:
    """Real PDFs, real OCR, the real Qdrant Edge shard: the scan carries a stamp line, so its text
    is chunked differently from the born-digital copy and near-duplicate collapsing misses it."""
    from core import Engine
    from core.embeddings.hashing import HashingEmbedder
    from core.llm.scripted import ScriptedChatModel
    from core.prompts import refusal

    body = ("Fourth quarter results. Net sales increased 16.9% to $3.2 billion compared to $2.7 billion in the "
            "fourth quarter of fiscal 2021. Comparable sales increased 15.6% compared to an increase of 37.9%. "
            "Gross profit increased 17.3% to $1.2 billion. Selling, general and administrative expenses increased "
            "10.9% to $749.9 million. " + RESULTS + " " + REPURCHASES)
    engine = Engine.create(data_dir, embedder=HashingEmbedder(), chat_model=ScriptedChatModel(refusal("en")),
                           ocr=real_ocr)
    try:
        engine.create_workspace("w")
        engine.ingest("w", [text_pdf(tmp_path / "release.pdf", [body]),
                            scanned_pdf(tmp_path / "release_scan.pdf", "ULTA BEAUTY, INC. Press release, received by "
                                        "the investor relations office. " + body),
                            text_pdf(tmp_path / "other.pdf", ["Store count grew to 1,355 stores in 50 states."])])
        found = engine.search(SearchRequest("w", "What drove the increase in merchandise inventories?", top_k=3))
        assert len({p.doc for p in found} & {"release.pdf", "release_scan.pdf"}) == 1
        assert "other.pdf" in {p.doc for p in found}
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("What is Coca Cola's FY2022 dividend payout ratio?", ["Coca", "Cola"]),
        ("Does 3M have a reasonably healthy liquidity profile for Q2 of FY2023?", ["3M"]),
        ("Are JPM's gross margins historically consistent?", ["JPM"]),
        ("What index has The AES Corporation selected as its peer group index?", ["AES", "Corporation"]),
        ("Did Pfizer grow its PPNE between FY20 and FY21?", []),  # lone acronyms are not names
        ("What is Amazon's FY2017 days payable outstanding (DPO)?", ["Amazon"]),
        ("Roughly how many times has it sold its inventory? Round your answer to two decimals.", []),
        ("For Pfizer, which region had the biggest drop in Q22023 or Q2'2023 revenues?", []),
        ("What is the date of the Credit Agreement with Bank of America?", ["Credit", "Agreement", "Bank", "America"]),
        ("《流浪地球2》的主演是谁？", ["流浪地球2"]),
        ("2022年WTT世界杯决赛男单冠军", []),
    ],
)
def test_named_terms(question: str, names: list[str]) -> None:
    assert named_terms(question) == names


def test_missing_names_uses_the_keyword_index_and_whole_chinese_titles() -> None:
    index = {"amazon": ["Amazon.com, Inc. annual report"], "流浪地球2": ["电影《流浪地球》于2019年上映"],
             "emnlp2022": [], "emnlp": ["EMNLP 2022 was held in Abu Dhabi"]}

    def lookup(term: str) -> list[str] | None:
        return None if term.lower() == "the" else index.get(term.lower(), [])

    assert missing_names("What was Amazon's net income?", lookup) == []
    assert missing_names("What was Walmart's net income?", lookup) == ["Walmart"]
    assert missing_names("《流浪地球2》的主演是谁？", lookup) == ["流浪地球2"]
    assert missing_names("EMNLP2022的举办地", lookup) == []


def test_question_about_an_absent_company_is_refused_before_the_model(fake_engine, tmp_path: Path) -> None:
    pdf = text_pdf(tmp_path / "amazon.pdf", ["Amazon.com, Inc. reported net sales of $177,866 million in 2017. "
                                             "Amazon's net income was $3,033 million in 2017."])
    fake_engine.create_workspace("filings")
    fake_engine.ingest("filings", [pdf])
    fake_engine.complete_indexing("filings")
    assert fake_engine.missing_names(["filings"], "What was Amazon's net income in 2017?") == []
    done = [e for e in fake_engine.ask(AskRequest("filings", "What was Walmart's net income in 2017?"))
            if isinstance(e, AnswerDone)][0]
    assert done.refused and done.missing_names == ("Walmart",)
    assert done.passages, "a refusal still offers the closest passages"
    answered = [e for e in fake_engine.ask(AskRequest("filings", "What was Amazon's net income in 2017?"))
                if isinstance(e, AnswerDone)][0]
    assert not answered.refused and answered.missing_names == ()
    hits = fake_engine.search(SearchRequest("filings", "Amazon net income", top_k=5))
    assert len({(h.doc_id, h.page) for h in hits}) == len(hits)


def test_an_answer_that_only_points_at_a_passage_quotes_the_sentence_pointed_at() -> None:
    from core.answer import only_markers, quote_best_sentence

    passages = [_passage("bio", 2, "吕志兴生于大埔。他的得意之作是一九八七年的纪录片《大埔》。[3] 他后来移居香港。")]
    assert only_markers("[1]") and only_markers(" [1][2] ") and not only_markers("见 [1]。生于大埔 [1]")
    quoted = quote_best_sentence("[1]", passages, "吕志兴的得意之作是什么？")
    assert quoted == "“他的得意之作是一九八七年的纪录片《大埔》。” [1]"
    assert quote_best_sentence("[7]", passages, "anything") == "[7]"


def test_a_pointer_at_the_wrong_passage_quotes_the_sentence_that_says_the_question() -> None:
    """Measured on the dev kit: the model pointed at the passage about 1213 while the answer was
    in passage 1; the quote names its own passage."""
    from core.answer import quote_best_sentence

    passages = [
        _passage("liao", 3, "1220年，耶律留哥死后，其妻姚里氏统治辽东。其子耶律薛阇后来袭位。"),
        _passage("liao", 2, "1213年三月，耶律留哥称王，定国号辽，改元元统。后称其为东辽政权。"),
    ]
    assert quote_best_sentence("[2]", passages, "耶律留哥死后，谁统治辽东？") == (
        "“1220年，耶律留哥死后，其妻姚里氏统治辽东。” [1]")
    # Equal coverage of the question: the passage the model pointed at wins.
    twins = [_passage("a", 1, "合作社成立于2009年，有社员六十户。"), _passage("b", 1, "合作社成立于2009年，有社员八十户。")]
    assert quote_best_sentence("[2]", twins, "合作社成立于哪一年？") == "“合作社成立于2009年，有社员八十户。” [2]"
    # A Chinese question about an English passage: a Chinese distractor is not searched.
    mixed = [_passage("town", 1, "镇上的渡口每天有三班船开往对岸的村庄。"),
             _passage("harbour", 1, "The harbour ferry to Gull Island leaves every morning at 06:45 from pier three.")]
    assert quote_best_sentence("[2]", mixed, "开往海鸥岛的渡轮早上几点出发？") == (
        "“The harbour ferry to Gull Island leaves every morning at 06:45 from pier three.” [2]")


def test_an_answer_that_only_points_quotes_the_clause_that_answers() -> None:
    """Measured on the dev kit: a sentence listing every party's result with semicolons, quoted
    whole, was doubted by the sentence check; the clause the question asks about was not."""
    from core.answer import quote_best_sentence

    passages = [_passage("vote", 4, "从选举的结果看出，自民党在这次选举中失利，由75席降为70席；"
                                     "社会党增加了8席；公明党取得了相对满意的成绩，由原先的4席大幅增加到11席；参议院的多数仍在自民党。")]
    assert quote_best_sentence("[1]", passages, "哪一党派在选举中取得了相对满意的成绩？") == (
        "“公明党取得了相对满意的成绩，由原先的4席大幅增加到11席” [1]")


def test_document_labels_come_from_file_names_and_are_indexed_not_shown(fake_engine, tmp_path: Path) -> None:
    from core.doclabel import document_label, labelled_text

    assert document_label("AMCOR_2023Q2_10Q.pdf") == "AMCOR 2023 Q2 10Q"
    assert document_label("FOOTLOCKER_2022_8K_dated_2022-08-19.pdf") == "FOOTLOCKER 2022 8K dated 2022 08 19"
    assert document_label("2023年年度报告.pdf") == "2023年年度报告"
    assert document_label("MyReport2019.pdf") == "My Report 2019"
    assert labelled_text("a_b.pdf", "text") == "a b\ntext"
    quarterly = text_pdf(tmp_path / "Heron_2023Q2_report.pdf", ["Revenue grew by nine percent to 40 million."])
    annual = text_pdf(tmp_path / "Heron_2022_annual.pdf", ["Revenue grew by nine percent to 38 million."])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [quarterly, annual])
    fake_engine.complete_indexing("w")
    hits = fake_engine.search(SearchRequest("w", "How much did revenue grow in the annual report?", top_k=2))
    assert hits[0].doc == "Heron_2022_annual.pdf"
    assert all("Heron" not in h.text for h in hits), "the label is indexed, never shown"


def test_cli_refusal_names_what_the_documents_never_mention(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    from tests.conftest import REPO, SCRIPTED_CLI

    pdf = text_pdf(tmp_path / "amazon.pdf", ["Amazon's net income was $3,033 million in 2017."])
    code = SCRIPTED_CLI
    base = [sys.executable, "-c", code, "--data-dir", str(tmp_path / "data")]
    run = [base + ["create", "w"], base + ["ingest", "w", str(pdf)],
           base + ["ask", "w", "What was Walmart's net income in 2017?", "--json"],
           base + ["ask", "w", "What was Walmart's net income in 2017?"]]
    results = [subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=120, check=False) for args in run]
    assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr for r in results]
    answer = json.loads(results[2].stdout)
    assert answer["refused"] and answer["missing_names"] == ["Walmart"]
    assert "Your documents never mention: “Walmart”." in results[3].stdout


@pytest.mark.parametrize("question, figures", [
    ("What is the total amount of 2.800% and 3.800% notes due in 2024?", {"2.800", "3.800", "2024"}),
    ("Net sales were $177,866 million; what changed?", {"177866"}),
    # names and fiscal-period codes are not figures; nor are short numbers (days, small percents)
    ("Amazon's FY2017 10-K, Q4, as of December 31, up 5%?", set()),
    ("收入是１,２３４,５６７元，1987年的数据", {"1234567", "1987"}),
])
def test_question_figures(question: str, figures: set[str]) -> None:
    assert question_figures(question) == figures


def test_figures_a_question_quotes_move_the_chunks_holding_them_up() -> None:
    def hit(page: int, text: str, score: float) -> StoredHit:
        return StoredHit("d", "d.pdf", page, Span(0, len(text)), text, False, score, 0.9)

    rates = hit(1, "Notes due 2023: 2.500% $1,250; due 2027: 3.150% $3,500.", 0.9)
    asked = hit(2, "Notes due on August 22, 2024 2.800% $2,000, 3.800% $1,250.", 0.6)
    boosted = boost_figures([rates, asked], "Total of the 2.800% and 3.800% notes due in 2024?")
    assert [h.page for h in boosted] == [2, 1]
    assert boosted[0].score == pytest.approx(0.6 + FIGURE_BONUS)
    # one of two figures: half the bonus
    assert boost_figures([rates, asked], "The 2.500% notes and the 9.999% ones?")[0].score == pytest.approx(0.9 + FIGURE_BONUS / 2)
    # a question without figures leaves the order and the scores alone
    assert boost_figures([rates, asked], "Which notes are due?") == [rates, asked]


def test_hybrid_search_prefers_the_page_with_the_figures_the_question_quotes(fake_engine, tmp_path: Path) -> None:
    """The real Qdrant Edge shard: its BM25 gives numbers no token, so without the figures the
    two look-alike pages tie on keywords and the one naming the notes more often wins."""
    pages = [
        "Senior notes. The senior notes due in 2027 bear interest at 3.150% and the senior notes due in 2029 "
        "bear interest at 4.050%. Interest on the senior notes is paid semi-annually.",
        "Notes outstanding: 2.800% notes due in 2024, 3.800% notes due in 2024, amounts in millions.",
    ]
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [text_pdf(tmp_path / "debt.pdf", pages)])
    question = "What is the total amount of the 2.800% and 3.800% senior notes due in 2024?"
    fake_engine.search_mode = "sparse"
    assert fake_engine.search(SearchRequest("w", question, top_k=2))[0].page == 1
    fake_engine.search_mode = "hybrid-dbsf"
    assert fake_engine.search(SearchRequest("w", question, top_k=2))[0].page == 2
