"""A small bar chart as PNG bytes, with a minimal PNG encoder (zlib and struct only; pure)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

Color = tuple[int, int, int]

BACKGROUND: Color = (255, 255, 255)
AXIS: Color = (120, 120, 120)
BAR: Color = (150, 160, 175)
HIGHLIGHT: Color = (200, 40, 40)
USUAL: Color = (40, 110, 200)


def encode_png(width: int, height: int, pixels: Sequence[bytes | bytearray]) -> bytes:
    """PNG bytes for an 8-bit RGB image; ``pixels`` holds one row of ``width * 3`` bytes per line."""
    if len(pixels) != height or any(len(row) != width * 3 for row in pixels):
        raise ValueError("pixels must hold `height` rows of `width * 3` bytes")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, truecolour, no interlace
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)  # filter type 0 on every line
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


class Canvas:
    """An RGB raster to draw rectangles on."""

    def __init__(self, width: int, height: int, background: Color = BACKGROUND) -> None:
        self.width = width
        self.height = height
        self.rows = [bytearray(bytes(background) * width) for _ in range(height)]

    def fill(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Fill the rectangle [x0, x1) x [y0, y1), clipped to the canvas."""
        x0, x1 = max(0, x0), min(self.width, x1)
        y0, y1 = max(0, y0), min(self.height, y1)
        if x0 >= x1:
            return
        span = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            self.rows[y][x0 * 3 : x1 * 3] = span

    def png(self) -> bytes:
        return encode_png(self.width, self.height, self.rows)


def bar_chart(
    counts: Sequence[float],
    *,
    highlight_last: int = 1,
    usual: float | None = None,
    width: int = 448,
    height: int = 120,
) -> bytes:
    """Bars for ``counts`` (oldest first), the last ``highlight_last`` in red, a dashed line at ``usual``."""
    canvas = Canvas(width, height)
    margin = 6
    base = height - margin
    top = margin
    n = max(1, len(counts))
    scale_max = max([*counts, usual or 0.0, 1.0])
    slot = (width - 2 * margin) / n
    gap = max(1, int(slot * 0.2))

    def y_of(value: float) -> int:
        return base - round((base - top) * value / scale_max)

    for index, value in enumerate(counts):
        x0 = margin + round(index * slot) + gap // 2
        x1 = margin + round((index + 1) * slot) - gap // 2
        color = HIGHLIGHT if index >= n - highlight_last else BAR
        y = y_of(max(0.0, value))
        if value > 0:
            canvas.fill(x0, min(y, base - 1), x1, base, color)
    canvas.fill(margin, base, width - margin, base + 1, AXIS)
    if usual is not None and usual > 0:
        y = y_of(usual)
        for x in range(margin, width - margin, 8):
            canvas.fill(x, y - 1, x + 5, y + 1, USUAL)
    return canvas.png()
