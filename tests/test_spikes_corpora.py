"""The detector on the NAB realTweets series (../shared/corpora), side by side with mean + 3 sigma."""

from __future__ import annotations

import json
import math
from collections import deque
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitor.spikes.detector import DetectorSettings, detect, load_counts_csv


def mean_three_sigma(timestamps: list[datetime], counts: list[float]) -> list[datetime]:
    """Huginn's PeakDetectorAgent: newest > mean + 3 sd of the last 14 days, 4+ events, peaks 2 days apart."""
    window: deque[tuple[float, datetime]] = deque()
    total = squares = 0.0
    peaks: list[datetime] = []
    for when, value in zip(timestamps, counts, strict=True):
        window.append((value, when))
        total += value
        squares += value * value
        while window[0][1] <= when - timedelta(days=14):
            old, _ = window.popleft()
            total -= old
            squares -= old * old
        if len(window) <= 4 or (peaks and peaks[-1] >= when - timedelta(days=2)):
            continue
        n = len(window) - 1
        mean = (total - value) / n
        if value > mean + 3 * math.sqrt(max(0.0, (squares - value * value) / n - mean * mean)):
            peaks.append(when)
    return peaks


def f1(found: int, windows: int, false: int) -> float:
    precision = found / (found + false) if found + false else 1.0
    recall = found / windows
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@pytest.mark.corpora
@pytest.mark.slow
def test_detector_doubles_the_f1_of_mean_three_sigma_on_real_counts(corpora: Path) -> None:
    """On NAB's five labelled tweet-count series the detector's F1 is at least twice mean + 3 sigma's."""
    folder = corpora / "nab-realtweets-dev"
    labels = json.loads((folder / "windows.json").read_text())
    tallies = {"detector": [0, 0, 0], "mean+3sd": [0, 0, 0]}
    for key, spans in labels.items():
        timestamps, counts = load_counts_csv((folder / key.split("/")[-1]).read_text())
        windows = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in spans]
        scored_from = timestamps[int(0.15 * len(timestamps))]
        alerts = {
            "detector": [e.alerted_at for e in detect(timestamps, counts, DetectorSettings())],
            "mean+3sd": mean_three_sigma(timestamps, counts),
        }
        for name, times in alerts.items():
            times = [t for t in times if t >= scored_from]
            tally = tallies[name]
            tally[0] += sum(any(a <= t <= b for t in times) for a, b in windows)
            tally[1] += len(windows)
            tally[2] += sum(not any(a <= t <= b for a, b in windows) for t in times)
    assert tallies["mean+3sd"][:3:2] == [9, 60]  # the published baseline figures, as a check on the scoring
    assert f1(*tallies["detector"]) >= 2 * f1(*tallies["mean+3sd"])
