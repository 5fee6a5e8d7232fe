"""Article extraction, side by side with trafilatura on the article-extraction-benchmark pages.

Prints, for each extractor: shingle precision, recall and F1 on all 181 pages and on each half of a
fixed split (page ids starting 0-9 were used for development, a-f are held out), agreement of the
publication date with htmldate, ms/page, pages/s and the speed ratio.

    .venv/bin/python bench/extract.py              # full table
    .venv/bin/python bench/extract.py --quick      # our extractor only, no dates
    .venv/bin/python bench/extract.py --worst 15   # also list our weakest development pages
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.extract import extract_article
from monitor.extract.quality import page_counts, page_precision, page_recall, score

SHARED = Path(os.environ.get("MONITOR_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared"))
BENCH = SHARED / "corpora" / "article-extraction-benchmark"
Extractor = Callable[[bytes, str], str]


def load_pages() -> list[tuple[str, str, bytes, str]]:
    """(id, url, html bytes, ground-truth text) for every benchmark page, sorted by id."""
    truth = json.loads((BENCH / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for item_id in sorted(truth):
        html = gzip.decompress((BENCH / "html" / f"{item_id}.html.gz").read_bytes())
        entry = truth[item_id]
        pages.append((item_id, entry.get("url") or "", html, entry.get("articleBody") or ""))
    return pages


def ours(html: bytes, url: str) -> str:
    """Our extractor's main text."""
    return extract_article(html, url).text


def trafilatura_text(html: bytes, url: str) -> str:
    """trafilatura.extract with its defaults."""
    import trafilatura

    return trafilatura.extract(html, url=url) or ""


def run(extractors: dict[str, Extractor], pages: list[tuple[str, str, bytes, str]], rounds: int
        ) -> tuple[dict[str, list[str]], dict[str, float]]:
    """Outputs of each extractor and its total seconds, interleaving extractors page by page."""
    outputs: dict[str, list[str]] = {name: [] for name in extractors}
    seconds = dict.fromkeys(extractors, 0.0)
    for _, url, html, _ in pages:
        for name, extract in extractors.items():
            start = time.perf_counter()
            for _ in range(rounds):
                result = extract(html, url)
            seconds[name] += (time.perf_counter() - start) / rounds
            outputs[name].append(result)
    return outputs, seconds


def our_dates(pages: list[tuple[str, str, bytes, str]]) -> list[date | None]:
    """Our publication day for each page."""
    days = []
    for _, url, html, _ in pages:
        published = extract_article(html, url).published
        days.append(published.date() if published else None)
    return days


def htmldate_days(pages: list[tuple[str, str, bytes, str]]) -> list[date | None]:
    """htmldate's original publication day for each page (its reference for comparison)."""
    from htmldate import find_date

    days = []
    for _, url, html, _ in pages:
        found = find_date(html.decode("utf-8", "replace"), url=url, original_date=True)
        days.append(date.fromisoformat(found) if found else None)
    return days


def main() -> int:
    """Run the benchmark and print the table; exit 0 with a note when the corpus is absent."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="our extractor only, no date comparison")
    parser.add_argument("--worst", type=int, default=0, help="list this many weakest development pages")
    parser.add_argument("--rounds", type=int, default=1, help="timing repetitions per page")
    parser.add_argument("--all-worst", action="store_true", help="list weakest pages of both halves")
    args = parser.parse_args()
    if not BENCH.is_dir():
        print(f"skipped: the article-extraction-benchmark corpus is absent ({BENCH})")
        return 0
    warnings.simplefilter("ignore")
    pages = load_pages()
    extractors: dict[str, Extractor] = {"monitor.extract": ours}
    if not args.quick:
        import trafilatura

        extractors[f"trafilatura {trafilatura.__version__}"] = trafilatura_text
    outputs, seconds = run(extractors, pages, args.rounds)
    dev = [i for i, page in enumerate(pages) if page[0][0].isdigit()]
    held = [i for i, page in enumerate(pages) if not page[0][0].isdigit()]

    reference_days: list[date | None] = []
    near_note = ""
    mine: list[date | None] = []
    if not args.quick:
        mine = our_dates(pages)
        reference_days = htmldate_days(pages)

    peer_seconds = seconds[list(extractors)[-1]]
    header = (f"{'extractor':<22}{'P':>7}{'R':>7}{'F1':>7} | {'F1 dev':>7}{'P dev':>7} | {'F1 held':>8}"
              f"{'P held':>7} | {'date=htmldate':>13} | {'ms/page':>8}{'pages/s':>9}{'speed x':>8}")
    print(f"{len(pages)} pages ({len(dev)} development ids 0-9, {len(held)} held-out ids a-f)")
    print(header)
    print("-" * len(header))
    for name in extractors:
        counts = [page_counts(page[3], text) for page, text in zip(pages, outputs[name], strict=True)]
        whole = score(counts)
        dev_scores = score(counts[i] for i in dev)
        held_scores = score(counts[i] for i in held)
        per_page = seconds[name] / len(pages)
        agreement = "-"
        if reference_days and name == "monitor.extract":
            both = [(a, b) for a, b in zip(mine, reference_days, strict=True) if b is not None]
            same = sum(1 for a, b in both if a == b)
            near = sum(1 for a, b in both if a is not None and abs((a - b).days) <= 1)
            agreement = f"{same}/{len(both)} {same / max(1, len(both)):.1%}"
            near_note = f"within one day (UTC vs the publisher's local day): {near}/{len(both)}"
        print(f"{name:<22}{whole.precision:7.3f}{whole.recall:7.3f}{whole.f1:7.3f} | {dev_scores.f1:7.3f}"
              f"{dev_scores.precision:7.3f} | {held_scores.f1:8.3f}{held_scores.precision:7.3f} | "
              f"{agreement:>13} | {per_page * 1000:8.2f}{1 / per_page:9.1f}"
              f"{peer_seconds / seconds[name]:8.1f}")
    if reference_days:
        print(f"dates: {near_note}")
        found = sum(1 for day in mine if day is not None)
        print(f"monitor.extract found a date on {found}/{len(pages)} pages; htmldate on "
              f"{sum(1 for day in reference_days if day is not None)}")
        for (item_id, url, _, _), a, b in zip(pages, mine, reference_days, strict=True):
            if b is not None and a != b:
                print(f"  date differs: ours {a} htmldate {b} {item_id[:8]} {url}")
    if args.worst:
        texts = outputs["monitor.extract"]
        counts = [page_counts(page[3], text) for page, text in zip(pages, texts, strict=True)]
        pool = range(len(pages)) if args.all_worst else dev
        rows = sorted(pool, key=lambda i: page_precision(*counts[i]) + page_recall(*counts[i]))
        for i in rows[: args.worst]:
            print(f"  P {page_precision(*counts[i]):.2f} R {page_recall(*counts[i]):.2f} "
                  f"{pages[i][0][:10]} {pages[i][1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
