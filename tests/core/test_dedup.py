"""Duplicates: identical files by sha256, near-duplicate chunks by MinHash/LSH (collapsed in search),
consistency of the near-duplicate index with removals and replacements, pruning and ETA."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from core.datatypes import SearchRequest
from core.ingest import neardup
from core.ingest.eta import ThroughputEta
from tests.conftest import REPO
from tests.core import pdfs

NOTICE = ("Confidentiality notice: this report is intended only for members of the Lotus Bay Conservation Trust. "
          "Any distribution, copying or disclosure to third parties without the written consent of the Trust's "
          "secretary is prohibited and may be unlawful.")
HERONS = "The heron colony on the eastern shore counted 412 nests in spring, up from 377 the year before."
EGRETS = "Little egrets returned to the salt marsh in April; wardens ringed 58 chicks before the July storms."
OWLS = "Barn owls nested in the old granary for the first time since 1998, raising four owlets by August."
ZH_A = "青石镇茶叶合作社成立于二〇〇八年，最初只有十二户茶农参加，主要种植龙井四十三号和乌牛早两个品种，并统一收购、统一定价。"


def test_minhash_estimates_similarity_for_english_and_chinese() -> None:
    same = neardup.signature(NOTICE)
    assert same is not None and same.similarity(neardup.signature(NOTICE)) == 1.0
    edited = NOTICE.replace("third parties", "outside parties").replace("prohibited", "strictly prohibited")
    assert same.similarity(neardup.signature(edited)) >= neardup.NEAR_DUP_JACCARD
    assert same.similarity(neardup.signature(HERONS + " " + EGRETS + " " + OWLS)) < 0.2
    zh = neardup.signature(ZH_A)
    zh_edited = neardup.signature(ZH_A.replace("十二户", "十三户"))
    assert zh is not None and zh_edited is not None and zh.similarity(zh_edited) >= neardup.NEAR_DUP_JACCARD
    assert len(same.bands) == neardup.BANDS and neardup.Signature.from_hex(same.hex).similarity(same) == 1.0
    assert neardup.signature("Too short.") is None


def test_signatures_are_stable_across_processes() -> None:
    """The index is persistent, so a signature must not depend on the process (hash seeds)."""
    code = "from core.ingest.neardup import signature; import sys; print(signature(sys.argv[1]).hex)"
    outputs = {
        subprocess.run([sys.executable, "-c", code, NOTICE], cwd=REPO, capture_output=True, text=True,
                       env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin"}, check=True).stdout.strip()
        for seed in ("1", "2")
    }
    assert outputs == {neardup.signature(NOTICE).hex}


def _texts(engine, query: str, top_k: int = 10) -> list[str]:
    return [p.text for p in engine.search(SearchRequest("w", query, top_k=top_k))]


def test_boilerplate_paragraph_in_many_documents_is_returned_once(fake_engine, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, body in (("herons.pdf", HERONS), ("egrets.pdf", EGRETS), ("owls.pdf", OWLS)):
        pdfs.text_pdf(folder / name, [body, NOTICE])
    fake_engine.create_workspace("w")
    report = fake_engine.ingest("w", [folder])
    assert [f.status for f in report.files] == ["added"] * 3
    assert report.near_duplicate_chunks == 2  # the 2nd and 3rd copies of the notice
    texts = _texts(fake_engine, "confidentiality notice distribution disclosure consent")
    assert sum("Confidentiality notice" in t for t in texts) == 1, texts
    assert len(texts) == 4  # the notice once, and every distinct page
    # Every document stays whole: its own copy is still stored (for citations and summaries).
    ws = fake_engine._workspace("w")
    for doc in fake_engine.documents("w"):
        assert any("Confidentiality notice" in c.text for c in ws.store.document_chunks(doc.doc_id))

    # Removing the document that holds the first copy neither loses the text nor leaves signatures.
    first = next(d for d in fake_engine.documents("w") if d.file_name == "egrets.pdf")
    fake_engine.remove_documents("w", [first.doc_id])
    texts = _texts(fake_engine, "confidentiality notice distribution disclosure consent")
    assert sum("Confidentiality notice" in t for t in texts) == 1
    sig = neardup.signature(NOTICE)
    candidates = ws.store.near_duplicate_candidates(sig.bands, [])
    assert len(candidates) == 2  # the two remaining copies; none of the removed document
    assert ws.store.chunk_counts().keys() == {d.doc_id for d in fake_engine.documents("w")}


def test_two_versions_of_a_document_collapse_and_a_replacement_is_not_its_own_duplicate(
    fake_engine, tmp_path: Path
) -> None:
    v1 = pdfs.text_pdf(tmp_path / "survey-v1.pdf", [HERONS + " " + EGRETS, OWLS])
    v2 = pdfs.text_pdf(tmp_path / "survey-v2.pdf", [HERONS + " " + EGRETS, OWLS.replace("four owlets", "five owlets")])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [v1])
    (second,) = fake_engine.ingest("w", [v2]).files
    assert second.status == "added" and second.near_duplicate_chunks == 2
    hits = fake_engine.search(SearchRequest("w", "heron colony nests egrets", top_k=5))
    assert sum("heron colony" in h.text for h in hits) == 1

    # Editing v2 in place replaces it; its old chunks are not counted as originals.
    pdfs.text_pdf(v2, ["A completely rewritten survey about kingfishers along the river, with new counts."])
    (replaced,) = fake_engine.ingest("w", [v2]).files
    assert replaced.status == "replaced" and replaced.near_duplicate_chunks == 0


def test_same_file_under_another_name_and_folder_is_a_duplicate(fake_engine, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    original = pdfs.text_pdf(tmp_path / "a" / "survey.pdf", [HERONS])
    shutil.copy(original, tmp_path / "b" / "copy of survey.pdf")
    fake_engine.create_workspace("w")
    report = fake_engine.ingest("w", [tmp_path / "a", tmp_path / "b"])
    assert [(Path(f.path).name, f.status) for f in report.files] == [("survey.pdf", "added"),
                                                                    ("copy of survey.pdf", "duplicate")]
    assert report.files[1].duplicate_of == str(original.resolve())
    assert fake_engine.index_status("w").chunks == report.files[0].chunks  # nothing indexed twice
    again = fake_engine.ingest("w", [tmp_path / "a", tmp_path / "b"])  # incremental: nothing re-read
    assert [f.status for f in again.files] == ["unchanged", "duplicate"]


def test_prune_removes_documents_whose_file_is_gone_only_under_that_folder(fake_engine, tmp_path: Path) -> None:
    folder, other = tmp_path / "docs", tmp_path / "other"
    folder.mkdir()
    other.mkdir()
    keep = pdfs.text_pdf(folder / "herons.pdf", [HERONS])
    gone = pdfs.text_pdf(folder / "egrets.pdf", [EGRETS])
    outside = pdfs.text_pdf(other / "owls.pdf", [OWLS])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [folder, outside])
    gone.unlink()
    outside.unlink()  # gone too, but not under the folder being pruned
    report = fake_engine.ingest("w", [folder], prune=True)
    assert sorted((Path(f.path).name, f.status) for f in report.files) == [("egrets.pdf", "removed"),
                                                                          ("herons.pdf", "unchanged")]
    assert sorted(d.file_name for d in fake_engine.documents("w")) == ["herons.pdf", "owls.pdf"]
    assert not any("egrets" in t for t in _texts(fake_engine, "egrets salt marsh chicks"))
    # A missing folder (an unplugged drive) prunes nothing.
    shutil.rmtree(folder)
    assert fake_engine.prune_missing("w", folder) == []
    assert sorted(d.file_name for d in fake_engine.documents("w")) == [keep.name, "owls.pdf"]


def test_eta_from_throughput() -> None:
    now = [0.0]
    eta = ThroughputEta(1000, clock=lambda: now[0])
    assert eta.seconds_left(100) is None  # too early to say
    now[0] = 10.0
    assert eta.seconds_left(0) is None
    eta.finish(250)  # 250 units in 10 s
    assert eta.seconds_left() == 30.0
    eta.skip(250)  # an unchanged file: no work after all
    assert eta.seconds_left() == 20.0
    assert eta.seconds_left(in_progress=250) == 5.0  # half of the rest done in the current file
    assert eta.seconds_left(in_progress=500) == 0.0


def test_import_progress_reports_an_eta(fake_engine, tmp_path: Path, monkeypatch) -> None:
    import core.ingest.eta as eta_module

    seen: list = []
    ticks = iter(range(10_000))
    monkeypatch.setattr(eta_module, "_now", lambda: float(next(ticks)))  # one second per reading
    from core.cancel import ProgressSlot

    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdfs.many_pages_pdf(tmp_path / "long.pdf", 20)],
                       progress=ProgressSlot(lambda p: seen.append((p.stage, p.pages_done, p.eta_seconds))))
    reading = [(pages, eta) for stage, pages, eta in seen if stage == "reading" and eta is not None]
    assert reading, seen
    assert reading[-1][1] < reading[0][1]  # counts down as pages are done
    assert any(stage == "embedding" and eta is not None for stage, _, eta in seen)


def test_a_file_edited_into_a_copy_of_another_drops_its_old_version(fake_engine, tmp_path: Path) -> None:
    a = pdfs.text_pdf(tmp_path / "a.pdf", [HERONS])
    b = pdfs.text_pdf(tmp_path / "b.pdf", [OWLS])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [a, b])
    shutil.copy(a, b)
    (result,) = fake_engine.ingest("w", [b]).files
    assert result.status == "duplicate" and result.duplicate_of == str(a.resolve())
    assert [d.file_name for d in fake_engine.documents("w")] == ["a.pdf"]
    assert not any("owls" in t for t in _texts(fake_engine, "barn owls granary owlets"))


def test_look_alike_passages_with_different_figures_are_not_collapsed(fake_engine, tmp_path: Path) -> None:
    template = ("Net sales increased {pct}% to ${sales} billion in {year}, compared with the prior year, driven by "
                "growth in third-party seller services, subscription services and advertising services worldwide.")
    pdfs.text_pdf(tmp_path / "annual-2017.pdf", [template.format(pct=31, sales="177.9", year=2017)])
    pdfs.text_pdf(tmp_path / "annual-2019.pdf", [template.format(pct=20, sales="280.5", year=2019)])
    fake_engine.create_workspace("w")
    report = fake_engine.ingest("w", [tmp_path / "annual-2017.pdf", tmp_path / "annual-2019.pdf"])
    assert report.near_duplicate_chunks == 0  # same wording, different figures: both are answers
    assert len(fake_engine.search(SearchRequest("w", "net sales increased billion", top_k=5))) == 2
