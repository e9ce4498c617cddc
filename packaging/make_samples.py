"""Generate the sample PDFs shipped in ``resources/samples/`` (our own text, no third-party data).

Run ``python packaging/make_samples.py`` to rebuild them; the output is committed so installs need
no generation step. The set covers what the demo and the tests need:

* ``lotus_bay_observatory.pdf`` — English, born-digital, 2 pages; page 2 holds a paragraph that is
  only an embedded image (text inside a picture, found by OCR);
* ``qingshi_tea_cooperative.pdf`` — Chinese, born-digital, 2 pages;
* ``harbour_ferry_memo_scan.pdf`` — one scanned, image-only page (no text layer), English.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pymupdf

OUT = Path(__file__).resolve().parent.parent / "resources" / "samples"
A4 = pymupdf.paper_rect("a4")
MARGIN = 60

OBSERVATORY_P1 = """Lotus Bay Observatory: Visitor Handbook

The Lotus Bay Observatory stands on Heron Ridge, 1,240 metres above sea level, and was founded in 1987 by the Lotus Bay Astronomical Society. Its main instrument is a reflecting telescope whose primary mirror is 2.4 metres wide, cast in borosilicate glass and re-coated with aluminium every three years.

The observatory runs two research programmes. The Comet Watch programme has catalogued 57 periodic comets since 1995, and the Variable Star survey records the brightness of about 3,800 stars each clear night. Data are archived on site and shared with partner universities twice a year.

Public nights take place on the first Friday of every month from April to October. Tickets cost 12 euros for adults and are free for children under 12. Visitors should bring warm clothing, because the dome is not heated and night temperatures on the ridge often fall below 5 degrees Celsius, even in summer."""

OBSERVATORY_P2_TEXT = """Getting there

The observatory is reached by the Heron Ridge road, a 14-kilometre drive from the town of Lotus Bay. The last 3 kilometres are unpaved. A shuttle bus leaves the Lotus Bay railway station at 19:15 on public nights.

The notice below is reproduced from the board at the entrance."""

OBSERVATORY_P2_IMAGE = """NOTICE: The telescope dome is closed for maintenance every year from 10 to 24 January. During this period the visitor centre remains open from 10:00 to 16:00, and the planetarium shows run every hour."""

TEA_P1 = """青石镇茶叶合作社简介

青石镇茶叶合作社成立于2009年，位于云岭山脚下，由当地四十二户茶农共同发起。合作社目前拥有茶园一千二百亩，主要种植高山绿茶和红茶。

合作社的主打产品是“云岭雾芽”绿茶，每年清明节前采摘，年产量约为十八吨。二〇二三年，合作社的销售收入达到三千六百万元，比上一年增长了百分之十五。

合作社实行统一采购农资、统一技术指导、统一品牌销售的模式。每年春季，合作社会邀请省农业科学院的专家开展两次制茶技术培训。"""

TEA_P2 = """参观与联系

游客可以在每年四月至十月参观茶园和制茶车间，参观时间为上午九点至下午五点，每人门票二十元。合作社的茶文化展览馆免费开放，馆内展出了青石镇三百年来的制茶工具。

合作社的负责人是林秀英女士。她在二〇一八年被评为省级劳动模范。如需团体预约，请提前三天联系合作社办公室。"""

MEMO = """HARBOUR FERRY COMPANY - INTERNAL MEMO

To: All deck crew
Date: 3 March 2024

From Monday 18 March, the morning ferry to Gull Island will depart at 06:45 instead of 07:10. The change follows the new tide tables published by the harbour office.

The ferry Marigold will be in dry dock from 1 to 12 April for hull repainting. During that time the ferry Saltwind will run all crossings, with a maximum of 180 passengers per trip.

Please confirm your new shift times with the duty manager, Mr. Aldous Kerr, by 10 March."""


def _text_page(document: pymupdf.Document, text: str, fontname: str = "helv", fontsize: float = 11.5) -> pymupdf.Page:
    page = document.new_page(width=A4.width, height=A4.height)
    rect = pymupdf.Rect(MARGIN, MARGIN, A4.width - MARGIN, A4.height - MARGIN)
    overflow = page.insert_textbox(rect, text, fontname=fontname, fontsize=fontsize, lineheight=1.5)
    if overflow < 0:
        raise SystemExit(f"text does not fit on the page ({overflow})")
    return page


def _text_image(text: str, width_pt: float, fontsize: float = 12, dpi: int = 200) -> tuple[bytes, float]:
    """PNG of ``text`` set in a box ``width_pt`` wide, and the box height in points."""
    scratch = pymupdf.open()
    page = scratch.new_page(width=width_pt, height=400)
    rect = pymupdf.Rect(8, 8, width_pt - 8, 392)
    left = page.insert_textbox(rect, text, fontname="tiro", fontsize=fontsize, lineheight=1.4)
    height = 400 - left + 8
    pixmap = page.get_pixmap(dpi=dpi, clip=pymupdf.Rect(0, 0, width_pt, height))
    return pixmap.tobytes("png"), height


def observatory() -> pymupdf.Document:
    document = pymupdf.open()
    _text_page(document, OBSERVATORY_P1)
    page = document.new_page(width=A4.width, height=A4.height)
    width = A4.width - 2 * MARGIN
    page.insert_textbox(pymupdf.Rect(MARGIN, MARGIN, A4.width - MARGIN, 300), OBSERVATORY_P2_TEXT, fontname="helv", fontsize=11.5, lineheight=1.5)
    png, height = _text_image(OBSERVATORY_P2_IMAGE, width)
    page.insert_image(pymupdf.Rect(MARGIN, 320, MARGIN + width, 320 + height), stream=png)
    document.set_metadata({"title": "Lotus Bay Observatory: Visitor Handbook", "author": "Wenku samples"})
    return document


def tea() -> pymupdf.Document:
    document = pymupdf.open()
    _text_page(document, TEA_P1, fontname="china-s", fontsize=12)
    _text_page(document, TEA_P2, fontname="china-s", fontsize=12)
    document.set_metadata({"title": "青石镇茶叶合作社简介", "author": "Wenku samples"})
    return document


def scanned_memo() -> pymupdf.Document:
    """An image-only page: the memo is typeset, rendered to a greyscale bitmap, and placed alone."""
    source = pymupdf.open()
    _text_page(source, MEMO, fontname="cour", fontsize=11)
    pixmap = source[0].get_pixmap(dpi=200, colorspace=pymupdf.csGRAY)
    document = pymupdf.open()
    page = document.new_page(width=A4.width, height=A4.height)
    page.insert_image(page.rect, stream=pixmap.tobytes("png"))
    return document


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, build in (
        ("lotus_bay_observatory.pdf", observatory),
        ("qingshi_tea_cooperative.pdf", tea),
        ("harbour_ferry_memo_scan.pdf", scanned_memo),
    ):
        document = build()
        document.save(OUT / name, garbage=4, deflate=True)
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
