"""Render ``resources/icons/wenku.svg`` into the application icons the installers need.

Run ``python packaging/make_icons.py``; the output is committed so builds need no generation step:

* ``packaging/icons/wenku-{16,32,48,64,128,256}.png`` — for the Linux desktop entry / AppImage;
* ``packaging/icons/wenku.ico`` — the Windows multi-size icon (PyInstaller executables, NSIS setup).

The ICO is written by hand (no Pillow needed): an ICONDIR header, one ICONDIRENTRY per size, then
the images. Sizes below 256 are stored as classic 32-bit DIBs (BGRA with an AND mask), which every
Windows tool reads; the 256 px image is stored as PNG, the form Windows Vista and later expect for
that size.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np
import pymupdf

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "wenku.svg"
OUT = Path(__file__).resolve().parent / "icons"
SIZES = (16, 32, 48, 64, 128, 256)


def render(size: int) -> pymupdf.Pixmap:
    """The SVG rendered to a ``size`` x ``size`` RGBA pixmap (transparent background)."""
    with pymupdf.open(SVG) as doc:
        page = doc[0]
        zoom_x, zoom_y = size / page.rect.width, size / page.rect.height
        pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom_x, zoom_y), alpha=True)
    if (pix.width, pix.height) != (size, size):
        raise RuntimeError(f"rendered {pix.width}x{pix.height}, wanted {size}x{size}")
    return pix


def straight_rgba(pix: pymupdf.Pixmap) -> np.ndarray:
    """Pixels as an (h, w, 4) uint8 array with straight (not premultiplied) alpha.

    MuPDF keeps pixmaps premultiplied; ICO DIBs, like PNG, want straight alpha.
    """
    rgba = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 4).astype(np.float64)
    alpha = rgba[..., 3:4]
    with np.errstate(divide="ignore", invalid="ignore"):
        rgb = np.where(alpha > 0, np.clip(np.rint(rgba[..., :3] * 255.0 / alpha), 0, 255), 0)
    return np.concatenate([rgb, alpha], axis=2).astype(np.uint8)


def dib(rgba: np.ndarray) -> bytes:
    """A 32-bit ICO image: BITMAPINFOHEADER, bottom-up BGRA rows, then the 1-bit AND mask."""
    height, width = rgba.shape[:2]
    header = struct.pack(
        "<IiiHHIIiiII",
        40,  # biSize
        width,
        height * 2,  # ICO convention: XOR bitmap + AND mask stacked
        1,  # planes
        32,  # bits per pixel
        0,  # BI_RGB
        width * height * 4,
        0,
        0,
        0,
        0,
    )
    bgra = rgba[::-1, :, [2, 1, 0, 3]].tobytes()  # bottom-up rows, BGRA order
    # AND mask: 1 = transparent. Rows are padded to 32 bits. The alpha channel is what modern
    # Windows uses; the mask only matters to very old consumers.
    row_bytes = ((width + 31) // 32) * 4
    mask = bytearray()
    for row in rgba[::-1]:
        bits = np.packbits(row[:, 3] == 0).tobytes()
        mask += bits + b"\0" * (row_bytes - len(bits))
    return header + bgra + bytes(mask)


def ico(images: list[tuple[int, bytes]]) -> bytes:
    """An ICO file from (size, image bytes) pairs, images being DIBs or PNGs."""
    count = len(images)
    out = struct.pack("<HHH", 0, 1, count)  # reserved, type 1 = icon, count
    offset = 6 + 16 * count
    for size, data in images:
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        out += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return out + b"".join(data for _, data in images)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    entries: list[tuple[int, bytes]] = []
    for size in SIZES:
        pix = render(size)
        png = pix.tobytes("png")
        (OUT / f"wenku-{size}.png").write_bytes(png)
        entries.append((size, png if size >= 256 else dib(straight_rgba(pix))))
    (OUT / "wenku.ico").write_bytes(ico(entries))
    print(f"wrote {len(SIZES)} PNGs and wenku.ico to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
