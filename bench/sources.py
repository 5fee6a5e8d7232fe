"""Source parsing speed: parse_source against plain feedparser.parse on the same real feeds, same run.

For each real feed of ../shared/corpora/news-feeds-xml with at least 20 items, the median wall time of
`parse_source` (our charset decoding, feedparser with its sanitiser off, entry conversion, date fallback)
is set beside `feedparser.parse` with its defaults (sanitiser and URI rewriting on), the peer a project
would otherwise call. Ratios are the figure to read; milliseconds depend on the shared machine.

    .venv/bin/python bench/sources.py
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

import feedparser

from monitor.sources import ParseError, parse_source

SHARED = Path(os.environ.get("MONITOR_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared"))
FEEDS = SHARED / "corpora" / "news-feeds-xml"
SUITE = SHARED / "corpora" / "feedparser-tests"
ROUNDS = 7


def _median_ms(run: Callable[[], object]) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _peer(body: bytes) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return feedparser.parse(io.BytesIO(body), response_headers={"content-location": "https://x.example/"})


def main() -> int:
    if not FEEDS.is_dir():
        print(f"skipped: the shared corpora are absent ({FEEDS}); set MONITOR_SHARED_DIR to run")
        return 0
    rows = []
    for path in sorted(FEEDS.rglob("*")):
        if path.suffix not in (".xml", ".rss", ".atom"):
            continue
        body = path.read_bytes()
        try:
            items = len(parse_source(body, "https://x.example/").entries)
        except ParseError:
            continue
        if items < 20:
            continue
        ours = _median_ms(lambda body=body: parse_source(body, "https://x.example/"))  # type: ignore[misc]
        peer = _median_ms(lambda body=body: _peer(body))  # type: ignore[misc]
        rows.append((path.relative_to(FEEDS).as_posix(), items, len(body) // 1024, ours, peer))
    print(f"{'feed':48} {'items':>5} {'KiB':>4} {'ours ms':>8} {'feedparser ms':>13} {'ratio':>6}")
    for name, items, kib, ours, peer in rows:
        print(f"{name:48} {items:5d} {kib:4d} {ours:8.1f} {peer:13.1f} {ours / peer:6.2f}")
    per_item_ours = sum(r[3] for r in rows) / sum(r[1] for r in rows)
    per_item_peer = sum(r[4] for r in rows) / sum(r[1] for r in rows)
    print(f"\nper item: ours {per_item_ours:.2f} ms, feedparser {per_item_peer:.2f} ms "
          f"(ratio {per_item_ours / per_item_peer:.2f}); a 50-item feed ~ {50 * per_item_ours:.0f} ms ours")
    if SUITE.is_dir():
        files = sorted(SUITE.rglob("*.xml"))
        start = time.perf_counter()
        for path in files:
            with contextlib.suppress(ParseError):
                parse_source(path.read_bytes(), "http://127.0.0.1/")
        ours_s = time.perf_counter() - start
        start = time.perf_counter()
        for path in files:
            _peer(path.read_bytes())
        peer_s = time.perf_counter() - start
        print(f"feedparser suite ({len(files)} small files): ours {ours_s:.2f} s, feedparser {peer_s:.2f} s "
              f"(ratio {ours_s / peer_s:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
