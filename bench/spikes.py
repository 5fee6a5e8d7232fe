"""Spike detection benchmark: the detector against mean + 3 sigma (Huginn's PeakDetectorAgent), same run.

Streams:
  * synthetic hourly streams (monitor/spikes/synthetic.py; seeded), planted bursts labelled when an oracle
    knowing the true baseline would see them at the false-alarm budget (see LABEL_RULES);
  * the NAB realTweets series in ../shared/corpora/nab-realtweets-dev (5-minute counts, labelled anomaly
    windows; the first 15% of each series is not scored, as in NAB).
The detector's alerts are every notification a user receives: each episode's opening alert and, when
its count doubles, its escalation (monitor/watch.py sends both, as spike.opened and spike.escalated).
A labelled window counts as found if an alert fires inside it; every alert outside the windows is false.
Precision = found / (found + false alerts), recall = found / windows, F1 their harmonic mean.
Delay = alert bucket - onset bucket (0 h: fired on the first burst bucket; the alert leaves when that
bucket closes).

    .venv/bin/python bench/spikes.py [--streams N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.spikes.detector import DetectorSettings, detect, load_counts_csv
from monitor.spikes.synthetic import Burst, generate_stream

SHARED = Path(os.environ.get("MONITOR_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared"))
NAB = SHARED / "corpora" / "nab-realtweets-dev"
HOUR = timedelta(hours=1)

Alerter = Callable[[Sequence[datetime], Sequence[float]], list[datetime]]


def peak_detector_alerts(
    timestamps: Sequence[datetime],
    counts: Sequence[float],
    window: timedelta = timedelta(days=14),
    spacing: timedelta = timedelta(days=2),
    sigmas: float = 3.0,
    min_events: int = 4,
) -> list[datetime]:
    """Huginn's PeakDetectorAgent: newest > mean + 3 sd of the trailing 14 days (newest excluded)."""
    data: deque[tuple[float, datetime]] = deque()
    total = 0.0
    squares = 0.0
    peaks: list[datetime] = []
    for when, value in zip(timestamps, counts, strict=True):
        data.append((value, when))
        total += value
        squares += value * value
        while data and data[0][1] <= when - window:
            old, _ = data.popleft()
            total -= old
            squares -= old * old
        if len(data) <= min_events:
            continue
        if peaks and peaks[-1] >= when - spacing:
            continue
        n = len(data) - 1
        mean = (total - value) / n
        variance = max(0.0, (squares - value * value) / n - mean * mean)
        if value > mean + sigmas * math.sqrt(variance):
            peaks.append(when)
    return peaks


def detector_alerts(settings: DetectorSettings) -> Alerter:
    """The detector's alert times: each episode's opening alert and its escalation, if any."""

    def alerts(timestamps: Sequence[datetime], counts: Sequence[float]) -> list[datetime]:
        times: list[datetime] = []
        for episode in detect(timestamps, counts, settings):
            times.append(episode.alerted_at)
            if episode.escalated_at is not None:
                times.append(episode.escalated_at)
        return times

    return alerts


@dataclass
class Score:
    """Windows found, windows labelled, false alerts and delays of found windows (hours)."""

    found: int = 0
    windows: int = 0
    false: int = 0
    delays: list[float] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.found += other.found
        self.windows += other.windows
        self.false += other.false
        self.delays.extend(other.delays)

    @property
    def precision(self) -> float:
        return self.found / (self.found + self.false) if self.found + self.false else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.windows if self.windows else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self) -> str:
        delay = f"{statistics.median(self.delays):5.1f} h" if self.delays else "    -  "
        return (
            f"found {self.found:3d}/{self.windows:<3d} false {self.false:4d}  P {self.precision:.3f}  "
            f"R {self.recall:.3f}  F1 {self.f1:.3f}  median delay {delay}"
        )


def score(
    alerts: Sequence[datetime],
    windows: Sequence[tuple[datetime, datetime]],
    scored_from: datetime,
    ignored: Sequence[tuple[datetime, datetime]] = (),
) -> Score:
    """Score alerts against labelled [start, end] windows; alerts before `scored_from` or inside an
    `ignored` window (a burst too small to label) count neither way."""
    alerts = [
        when for when in alerts if when >= scored_from and not any(start <= when <= end for start, end in ignored)
    ]
    result = Score(windows=len(windows))
    for start, end in windows:
        inside = [when for when in alerts if start <= when <= end]
        if inside:
            result.found += 1
            result.delays.append((min(inside) - start) / HOUR)
    result.false = sum(1 for when in alerts if not any(start <= when <= end for start, end in windows))
    return result


# Label rules for planted bursts. The oracle knows each stream's true hourly means and noise; a burst is
# labelled when its expected count over its window has a tail probability under that baseline below the
# per-test threshold of the false-alarm budget (1 alert per 30 days = 1/720 per hour). Not knowing when
# a burst starts or how long it lasts, the oracle tests each hour the 24 windows of 1-24 h, so its per-test
# threshold is 1/720/24 (union bound). "oracle, known duration" tests only the burst's own window (1/720).
BUDGET_PER_HOUR = 1.0 / (30 * 24)
LABEL_RULES: dict[str, Callable[[Burst], bool]] = {
    "oracle": lambda burst: burst.oracle_p < BUDGET_PER_HOUR / 24,
    "oracle, known duration": lambda burst: burst.oracle_p < BUDGET_PER_HOUR,
    "adds >= 6 stories": lambda burst: burst.expected_excess >= 6.0,
}


def run_synthetic(methods: dict[str, Alerter], streams: int, seed: int) -> dict[str, Score]:
    """Score each method on `streams` seeded synthetic streams under each label rule (the first is the
    headline); prints a breakdown by base rate and burst size for the headline rule."""
    totals = {rule: {name: Score() for name in methods} for rule in LABEL_RULES}
    by_rate: dict[str, dict[str, Score]] = {name: {} for name in methods}
    by_size: dict[str, dict[str, Score]] = {name: {} for name in methods}
    seconds = dict.fromkeys(methods, 0.0)
    planted = 0
    headline = next(iter(LABEL_RULES))
    for number in range(streams):
        stream = generate_stream(seed + number)
        planted += len(stream.bursts)
        scored_from = stream.timestamps[0] + timedelta(days=14)
        band = _rate_band(stream.base_rate)
        for name, method in methods.items():
            began = time.perf_counter()
            alerts = method(stream.timestamps, stream.counts)
            seconds[name] += time.perf_counter() - began
            for rule, labelled in LABEL_RULES.items():
                windows = [(b.onset, b.end - HOUR) for b in stream.bursts if labelled(b)]
                ignored = [(b.onset, b.end - HOUR) for b in stream.bursts if not labelled(b)]
                result = score(alerts, windows, scored_from, ignored)
                totals[rule][name].add(result)
                if rule != headline:
                    continue
                by_rate[name].setdefault(band, Score()).add(result)
                for burst in stream.bursts:
                    if labelled(burst):
                        found = score(alerts, [(burst.onset, burst.end - HOUR)], scored_from)
                        size = _size_band(burst.expected_excess)
                        by_size[name].setdefault(size, Score()).add(Score(found.found, 1, 0, found.delays))
    labelled_count = totals[headline][next(iter(methods))].windows
    print(f"  {planted} bursts planted, {labelled_count} labelled (oracle p < 1/720/24); figures for those:")
    for name in methods:
        print(f"  {name:<18} {totals[headline][name].line()}   ({seconds[name]:.1f} s)")
        for band in _BANDS:
            if band in by_rate[name]:
                print(f"      base {band:<11} {by_rate[name][band].line()}")
        recalls = ", ".join(
            f"{size}: {by_size[name][size].found}/{by_size[name][size].windows}"
            for size in _SIZES
            if size in by_size[name]
        )
        print(f"      bursts found by expected extra stories: {recalls}")
        per_month = totals[headline][name].false / (streams * 56 / 30)
        print(f"      false alerts per watchlist per 30 days: {per_month:.2f}")
    print("  other label rules (alerts in unlabelled bursts count neither way):")
    for rule in list(LABEL_RULES)[1:]:
        for name in methods:
            print(f"      {rule:<22} {name:<18} {totals[rule][name].line()}")
    return totals[headline]


_BANDS = ("0.05-0.3/h", "0.3-1/h", "1-4/h")
_SIZES = ("<6", "6-12", "12-30", "30+")


def _rate_band(rate: float) -> str:
    return _BANDS[0] if rate < 0.3 else (_BANDS[1] if rate < 1 else _BANDS[2])


def _size_band(excess: float) -> str:
    if excess < 6:
        return _SIZES[0]
    return _SIZES[1] if excess < 12 else (_SIZES[2] if excess < 30 else _SIZES[3])


def run_nab(methods: dict[str, Alerter]) -> dict[str, Score]:
    """Score each method on the NAB realTweets series, per series and in total."""
    windows_by_file = json.loads((NAB / "windows.json").read_text())
    totals = {name: Score() for name in methods}
    for key in sorted(windows_by_file):
        path = NAB / key.split("/")[-1]
        timestamps, counts = load_counts_csv(path.read_text())
        windows = [(datetime.fromisoformat(start), datetime.fromisoformat(end)) for start, end in windows_by_file[key]]
        scored_from = timestamps[int(0.15 * len(timestamps))]
        for name, method in methods.items():
            result = score(method(timestamps, counts), windows, scored_from)
            totals[name].add(result)
            print(f"  {path.stem:<22} {name:<18} {result.line()}")
    for name in methods:
        print(f"  {'all five':<22} {name:<18} {totals[name].line()}")
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=60, help="synthetic streams (default 60)")
    parser.add_argument(
        "--seed", type=int, default=2000, help="first synthetic seed (default 2000; seeds 1000-1099 are for tuning)"
    )
    args = parser.parse_args()
    methods: dict[str, Alerter] = {
        "detector": detector_alerts(DetectorSettings()),
        "mean+3sd (Huginn)": peak_detector_alerts,
    }
    print(f"Synthetic hourly streams: {args.streams} streams x 70 days, seeds {args.seed}..")
    synthetic = run_synthetic(methods, args.streams, args.seed)
    ratio = synthetic["detector"].f1 / max(synthetic["mean+3sd (Huginn)"].f1, 1e-9)
    print(f"  F1 ratio detector / mean+3sd: {ratio:.2f}x")
    if not NAB.is_dir():
        print(f"\nNAB realTweets skipped: {NAB} is absent (set MONITOR_SHARED_DIR to the shared folder).")
        return 0
    print("\nNAB realTweets (5-minute counts; first 15% not scored):")
    nab = run_nab(methods)
    ratio = nab["detector"].f1 / max(nab["mean+3sd (Huginn)"].f1, 1e-9)
    print(f"  F1 ratio detector / mean+3sd: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
