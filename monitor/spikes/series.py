"""Regularly bucketed count series: bucket inference, gap filling and CSV parsing."""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Sequence
from datetime import datetime, timedelta


class SeriesError(ValueError):
    """A count series that cannot be read or is not regularly bucketed."""


def infer_bucket(timestamps: Sequence[datetime]) -> timedelta:
    """The bucket size: the smallest step between consecutive timestamps (which must all be multiples of it)."""
    if len(timestamps) < 2:
        raise SeriesError("need at least two timestamps to infer the bucket size")
    steps = [b - a for a, b in itertools.pairwise(timestamps)]
    for index, step in enumerate(steps, start=1):
        if step <= timedelta(0):
            raise SeriesError(f"timestamps must increase strictly (item {index} is at or before item {index - 1})")
    bucket = min(steps)
    for index, step in enumerate(steps, start=1):
        if step % bucket:
            raise SeriesError(f"item {index} is off the {bucket} grid (step {step} after item {index - 1})")
    return bucket


def fill_gaps(
    timestamps: Sequence[datetime], counts: Sequence[float], bucket: timedelta
) -> tuple[list[datetime], list[float]]:
    """The series with every missing bucket present as a zero count."""
    if len(timestamps) != len(counts):
        raise SeriesError(f"{len(timestamps)} timestamps but {len(counts)} counts")
    out_t: list[datetime] = []
    out_c: list[float] = []
    for when, count in zip(timestamps, counts, strict=True):
        if not math.isfinite(count) or count < 0:
            raise SeriesError(f"count at {when.isoformat()} must be a finite number >= 0, got {count!r}")
        if out_t:
            missing = (when - out_t[-1]) // bucket - 1
            for _ in range(missing):
                out_t.append(out_t[-1] + bucket)
                out_c.append(0.0)
        out_t.append(when)
        out_c.append(float(count))
    return out_t, out_c


def load_counts_csv(text: str) -> tuple[list[datetime], list[float]]:
    """Parse a ``timestamp,value`` CSV (header optional; ISO timestamps; rows on one fixed-step grid,
    gaps allowed); errors name the line."""
    timestamps: list[datetime] = []
    counts: list[float] = []
    lines: list[int] = []
    reader = csv.reader(io.StringIO(text))
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise SeriesError(f"line {line}: expected 2 columns 'timestamp,value', got {len(row)}")
        stamp, value = row[0].strip(), row[1].strip()
        if not timestamps and stamp.lower() == "timestamp":
            continue
        try:
            when = datetime.fromisoformat(stamp)
        except ValueError:
            raise SeriesError(f"line {line}: bad timestamp {stamp!r} (want ISO 8601)") from None
        try:
            count = float(value)
        except ValueError:
            raise SeriesError(f"line {line}: bad value {value!r} (want a number)") from None
        if not math.isfinite(count) or count < 0:
            raise SeriesError(f"line {line}: value must be a finite number >= 0, got {value!r}")
        if timestamps:
            if (when.tzinfo is None) != (timestamps[-1].tzinfo is None):
                raise SeriesError(f"line {line}: mixes timezone-aware and naive timestamps")
            if when <= timestamps[-1]:
                raise SeriesError(f"line {line}: timestamp {stamp} is not after the previous one")
        timestamps.append(when)
        counts.append(count)
        lines.append(line)
    if not timestamps:
        raise SeriesError("no data rows")
    if len(timestamps) >= 2:
        bucket = min(b - a for a, b in itertools.pairwise(timestamps))
        for index in range(1, len(timestamps)):
            if (timestamps[index] - timestamps[index - 1]) % bucket:
                raise SeriesError(
                    f"line {lines[index]}: timestamp {timestamps[index].isoformat()} is off the {bucket} grid "
                    "of the other rows"
                )
    return timestamps, counts
