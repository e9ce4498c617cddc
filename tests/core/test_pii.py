"""Personal data masking: detectors (zh/en), and a masked workspace whose index never holds the originals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.datatypes import SearchRequest
from core.ingest.pii import find_pii, luhn_valid, mask_text, prc_id_valid
from tests.core import pdfs

# Synthetic identities: the ID numbers carry valid check characters, the card numbers pass Luhn.
ZH_PAGE = ("客户登记表。姓名：陈晓明，联系人：李四，手机 13812345678，座机 010-62345678。"
           "身份证号 11010519491231002X，银行卡 6222 0212 3456 7890 128。邮箱 chen.xiaoming@example.cn。"
           "王建国先生于三月到访，服务器地址 192.168.10.20。合作社的春茶收购价为每公斤八十元。")
EN_PAGE = ("Customer record. Please contact Dr. Alice Whitmore at alice.whitmore@example.org or +44 20 7946 0958, "
           "or Mr. John Baxter on (555) 123-4567. Card on file: 4111 1111 1111 1111. "
           "The VPN gateway is 2001:db8::8a2e:370:7334. The heron survey counted 412 nests.")
ORIGINALS = ["陈晓明", "李四", "13812345678", "010-62345678", "11010519491231002X", "6222 0212 3456 7890 128",
             "chen.xiaoming@example.cn", "王建国", "192.168.10.20", "Alice Whitmore", "alice.whitmore@example.org",
             "7946 0958", "John Baxter", "123-4567", "4111 1111 1111 1111", "2001:db8::8a2e:370:7334"]


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(text[m.start:m.end], m.kind) for m in find_pii(text)]


def test_checksums() -> None:
    assert prc_id_valid("11010519491231002X") and prc_id_valid("11010519491231002x")
    assert not prc_id_valid("110105194912310021")  # wrong check character
    assert luhn_valid("4111111111111111") and luhn_valid("6222021234567890128")
    assert not luhn_valid("4111111111111112")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("身份证 11010519491231002X 号", [("11010519491231002X", "ID")]),
        ("身份证 110105194912310021 号", []),  # bad checksum: not an ID, and not a phone or card either
        ("卡号 4111111111111111。", [("4111111111111111", "CARD")]),
        ("卡号 4111111111111112。", []),  # fails Luhn
        ("手机：+86 139-1234-5678", [("+86 139-1234-5678", "PHONE")]),
        ("电话（0755）8765 4321转8", []),  # full-width brackets are not handled (documented limit)
        ("Tel. 0755-87654321", [("0755-87654321", "PHONE")]),
        ("Revenue rose 12% to 1,234,567 in 2019-2020.", []),
        ("Fiscal 2019 2020 2021 2022 2023 totals", []),  # a row of years is not a card
        ("银行卡 6222\n0212 3456 7890 128 已绑定", [("6222\n0212 3456 7890 128", "CARD")]),  # wrapped by the PDF
        ("Python 3.11.4 and version 10.2 shipped", []),
        ("Reach ops@corp.example.com now", [("ops@corp.example.com", "EMAIL")]),
        ("host 10.0.0.256 is invalid but 10.0.0.255 is fine", [("10.0.0.255", "IP")]),
        ("at 12:30:45 sharp", []),
        ("Prof. Zhang Wei gave the talk", [("Zhang Wei", "NAME")]),
        ("联系人：张伟，电话见下", [("张伟", "NAME")]),
        ("李女士与欧阳娜娜小姐", [("李", "NAME"), ("欧阳娜娜", "NAME")]),
    ],
)
def test_detectors(text: str, expected: list[tuple[str, str]]) -> None:
    assert _kinds(text) == expected


def test_mask_text_counts_and_keeps_the_rest() -> None:
    masked, counts = mask_text(EN_PAGE)
    assert "[EMAIL]" in masked and "[NAME]" in masked and "[CARD]" in masked and "[IP]" in masked
    assert "The heron survey counted 412 nests." in masked
    assert counts == {"NAME": 2, "EMAIL": 1, "PHONE": 2, "CARD": 1, "IP": 1}
    masked, counts = mask_text(ZH_PAGE)
    assert "合作社的春茶收购价为每公斤八十元" in masked
    assert counts == {"NAME": 3, "PHONE": 2, "ID": 1, "CARD": 1, "EMAIL": 1, "IP": 1}


def _shard_bytes(data_dir: Path, workspace: str) -> bytes:
    return b"".join(p.read_bytes() for p in (data_dir / "workspaces" / workspace).rglob("*") if p.is_file())


def test_masked_workspace_never_stores_the_originals(data_dir: Path, tmp_path: Path, real_embedder) -> None:
    """Real embedder, real shard: the masked text is what is embedded, indexed, stored and shown."""
    from core import Engine

    pdf = pdfs.text_pdf(tmp_path / "customers.pdf", [ZH_PAGE, EN_PAGE], fontname="china-s")
    with Engine.create(data_dir, embedder=real_embedder, ocr=None) as engine:
        engine.create_workspace("masked", mask_pii=True)
        engine.create_workspace("plain")
        (masked,) = engine.ingest("masked", [pdf]).files
        engine.ingest("plain", [pdf])
        assert masked.status == "added"
        assert masked.pii_masked["NAME"] >= 5 and masked.pii_masked["PHONE"] >= 4 and masked.pii_masked["ID"] == 1
        assert {w.name: w.mask_pii for w in engine.list_workspaces()} == {"masked": True, "plain": False}
        hits = engine.search(SearchRequest("masked", "客户的手机和邮箱", top_k=5))
        assert hits and any("[PHONE]" in h.text and "[EMAIL]" in h.text for h in hits)
        assert all(original not in h.text for h in hits for original in ORIGINALS)
        ws = engine._workspace("masked")
        payload_texts = [c.text for d in engine.documents("masked") for c in ws.store.document_chunks(d.doc_id)]
        assert payload_texts and not [o for o in ORIGINALS if any(o in t for t in payload_texts)]
    settings = json.loads((data_dir / "workspaces" / "masked" / "workspace.json").read_text(encoding="utf-8"))
    assert settings["mask_pii"] is True
    masked_bytes, plain_bytes = _shard_bytes(data_dir, "masked"), _shard_bytes(data_dir, "plain")
    for original in ORIGINALS:
        needle = original.encode("utf-8")
        assert needle in plain_bytes, f"control: the scan must find {original!r} in an unmasked workspace"
        assert needle not in masked_bytes, f"{original!r} leaked into the masked workspace's files"


def test_masking_switched_on_later_applies_to_later_imports(fake_engine, tmp_path: Path) -> None:
    from core.datatypes import SearchRequest
    from tests.core.pdfs import text_pdf

    before = text_pdf(tmp_path / "before.pdf", ["Write to ada.lovelace@example.org about the engine."])
    after = text_pdf(tmp_path / "after.pdf", ["Write to charles.babbage@example.org about the mill."])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [before])
    fake_engine.set_mask_pii("w", True)
    assert fake_engine.list_workspaces()[0].mask_pii
    fake_engine.ingest("w", [after])
    texts = " ".join(h.text for h in fake_engine.search(SearchRequest("w", "write to about the", top_k=5)))
    assert "ada.lovelace@example.org" in texts, "documents imported before keep how they were indexed"
    assert "charles.babbage@example.org" not in texts and "[EMAIL]" in texts
