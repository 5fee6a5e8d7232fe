"""A terminal chart of a count series against its expectation (for ``monitor spikes``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

_EIGHTHS = " ▁▂▃▄▅▆▇█"
_EXPECTED = "╌"


def render_chart(counts: Sequence[float], expected: Sequence[float], width: int = 72, height: int = 8) -> str:
    """Bars of `counts` with the `expected` level drawn as dashes, resampled to `width` columns.

    Each column shows the largest count and the mean expectation of the buckets it covers; the left
    gutter gives the scale. Returns an empty string for an empty series.
    """
    if len(counts) != len(expected):
        raise ValueError(f"{len(counts)} counts but {len(expected)} expected values")
    if width < 1 or height < 1:
        raise ValueError("width and height must be at least 1")
    if not counts:
        return ""
    columns = min(width, len(counts))
    peaks: list[float] = []
    means: list[float] = []
    for column in range(columns):
        first = column * len(counts) // columns
        last = max(first + 1, (column + 1) * len(counts) // columns)
        peaks.append(max(counts[first:last]))
        means.append(sum(expected[first:last]) / (last - first))
    top = max(max(peaks), max(means))
    scale = top if top > 0 else 1.0
    top_label = f"{top:g}" if top == int(top) else f"{top:.1f}"
    gutter = max(len(top_label), 1)
    rows: list[str] = []
    for row in range(height - 1, -1, -1):
        cells = []
        for peak, mean in zip(peaks, means, strict=True):
            eighths = round(peak / scale * height * 8)
            fill = min(max(eighths - row * 8, 0), 8)
            level = min(height - 1, math.floor(mean / scale * height)) if mean > 0 else -1
            if fill == 0 and level == row:
                cells.append(_EXPECTED)
            else:
                cells.append(_EIGHTHS[fill])
        label = top_label if row == height - 1 else ("0" if row == 0 else "")
        rows.append(f"{label:>{gutter}} ┤{''.join(cells)}")
    return "\n".join(rows)
