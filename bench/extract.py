"""Article extraction, side by side with trafilatura on the article-extraction-benchmark pages.

Prints, for each extractor: shingle precision, recall and F1 on all 181 pages and on each half of a
fixed split (page ids starting 0-9 were used for development, a-f are held out), ms/page, pages/s and
the speed ratio (best of rounds, each timing both extractors over all pages in this process, taking turns
by page set or, with --by-page, page by page);
then agreement of our publication day with htmldate's, both in the publisher's offset and in UTC.

    .venv/bin/python bench/extract.py              # full table
    .venv/bin/python bench/extract.py --quick      # our extractor only, no dates
    .venv/bin/python bench/extract.py --worst 15   # also list our weakest development pages
    .venv/bin/python bench/extract.py --date-diffs # also list pages whose day differs from htmldate
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime
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


def run(extractors: dict[str, Extractor], pages: list[tuple[str, str, bytes, str]], rounds: int, by_page: bool
        ) -> tuple[dict[str, list[str]], dict[str, list[float]]]:
    """Outputs of each extractor and its seconds over all pages in each round.

    Every round runs every extractor over the whole page set. By default each extractor takes the page set in
    turn (which goes first alternates between rounds); with by_page they alternate page by page, so each
    extractor meets caches the other has just used, as in a process that does other work between pages.
    """
    outputs: dict[str, list[str]] = {name: [] for name in extractors}
    seconds: dict[str, list[float]] = {name: [] for name in extractors}
    names = list(extractors)
    clock = time.perf_counter
    for round_number in range(rounds):
        spent = dict.fromkeys(names, 0.0)
        if by_page:
            for index, (_, url, html, _) in enumerate(pages):
                for name in names if (index + round_number) % 2 == 0 else names[::-1]:
                    start = clock()
                    result = extractors[name](html, url)
                    spent[name] += clock() - start
                    if round_number == 0:
                        outputs[name].append(result)
        else:
            for name in names if round_number % 2 == 0 else names[::-1]:
                extract = extractors[name]
                results = []
                start = clock()
                for _, url, html, _ in pages:
                    results.append(extract(html, url))
                spent[name] = clock() - start
                if round_number == 0:
                    outputs[name] = results
        for name in names:
            seconds[name].append(spent[name])
    return outputs, seconds


def our_dates(pages: list[tuple[str, str, bytes, str]]) -> list[datetime | None]:
    """Our publication instant (in the publisher's own offset) for each page."""
    return [extract_article(html, url).published for _, url, html, _ in pages]


def htmldate_days(pages: list[tuple[str, str, bytes, str]]) -> list[date | None]:
    """htmldate's original publication day for each page (its reference for comparison)."""
    from htmldate import find_date

    days = []
    for _, url, html, _ in pages:
        found = find_date(html.decode("utf-8", "replace"), url=url, original_date=True)
        days.append(date.fromisoformat(found) if found else None)
    return days


def date_agreement(mine: list[datetime | None], reference: list[date | None]) -> list[str]:
    """Lines saying how often our day matches htmldate's: in the publisher's offset, and in UTC."""
    both = [(ours, theirs) for ours, theirs in zip(mine, reference, strict=True) if theirs is not None]
    local = sum(1 for ours, theirs in both if ours is not None and ours.date() == theirs)
    utc = sum(1 for ours, theirs in both if ours is not None and ours.astimezone(UTC).date() == theirs)
    found = sum(1 for ours, _ in both if ours is not None)
    total = max(1, len(both))
    return [
        f"date = htmldate's day, our day in the publisher's offset: {local}/{len(both)} {local / total:.1%}",
        f"date = htmldate's day, our instant's UTC day:            {utc}/{len(both)} {utc / total:.1%}",
        f"monitor.extract found a date on {found}/{len(both)} pages that htmldate dates",
    ]


def main() -> int:
    """Run the benchmark and print the table; exit 0 with a note when the corpus is absent."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="our extractor only, no date comparison")
    parser.add_argument("--worst", type=int, default=0, help="list this many weakest development pages")
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds (each over all pages); best kept")
    parser.add_argument("--by-page", action="store_true",
                        help="alternate the extractors page by page instead of page set by page set")
    parser.add_argument("--all-worst", action="store_true", help="list weakest pages of both halves")
    parser.add_argument("--date-diffs", action="store_true", help="list pages whose day differs from htmldate")
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
    outputs, seconds = run(extractors, pages, max(1, args.rounds), args.by_page)
    best = {name: min(times) for name, times in seconds.items()}
    dev = [i for i, page in enumerate(pages) if page[0][0].isdigit()]
    held = [i for i, page in enumerate(pages) if not page[0][0].isdigit()]
    peer = list(extractors)[-1]

    header = (f"{'extractor':<22}{'P':>7}{'R':>7}{'F1':>7} | {'F1 dev':>7}{'P dev':>7} | {'F1 held':>8}"
              f"{'P held':>7} | {'ms/page':>8}{'pages/s':>9}{'speed x':>8}")
    print(f"{len(pages)} pages ({len(dev)} development ids 0-9, {len(held)} held-out ids a-f); "
          f"times: best of {max(1, args.rounds)} rounds over all pages, extractors alternating "
          f"{'page by page' if args.by_page else 'page set by page set'}, same process")
    print(header)
    print("-" * len(header))
    for name in extractors:
        counts = [page_counts(page[3], text) for page, text in zip(pages, outputs[name], strict=True)]
        whole = score(counts)
        dev_scores = score(counts[i] for i in dev)
        held_scores = score(counts[i] for i in held)
        per_page = best[name] / len(pages)
        print(f"{name:<22}{whole.precision:7.3f}{whole.recall:7.3f}{whole.f1:7.3f} | {dev_scores.f1:7.3f}"
              f"{dev_scores.precision:7.3f} | {held_scores.f1:8.3f}{held_scores.precision:7.3f} | "
              f"{per_page * 1000:8.2f}{1 / per_page:9.1f}{best[peer] / best[name]:8.1f}")
    if len(extractors) > 1:
        ratios = [theirs / mine for mine, theirs in zip(seconds["monitor.extract"], seconds[peer], strict=True)]
        overall = best[peer] / best["monitor.extract"]
        print(f"speed ratio (pages/s of monitor.extract / {peer}): best-of-rounds {overall:.1f}x; "
              f"median round {statistics.median(ratios):.1f}x; per round {', '.join(f'{r:.1f}x' for r in ratios)}")
    if not args.quick:
        mine = our_dates(pages)
        reference = htmldate_days(pages)
        for line in date_agreement(mine, reference):
            print(line)
        if args.date_diffs:
            for (item_id, url, _, _), ours_at, theirs in zip(pages, mine, reference, strict=True):
                if theirs is not None and (ours_at is None or ours_at.date() != theirs):
                    print(f"  date differs: ours {ours_at.isoformat() if ours_at else None} htmldate {theirs} "
                          f"{item_id[:8]} {url}")
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
