"""Extraction quality and publication days on the full article-extraction-benchmark (181 pages, shared corpora)."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from monitor.extract import extract_article
from monitor.extract.quality import page_counts, score


@pytest.mark.corpora
@pytest.mark.slow
def test_benchmark_quality_targets(corpora: Path) -> None:
    """Shingle F1 >= 0.965 and precision >= 0.95 over the benchmark, and >= 0.95 F1 on the held-out half."""
    folder = corpora / "article-extraction-benchmark"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    counts = {}
    for item_id, entry in truth.items():
        html = gzip.decompress((folder / "html" / f"{item_id}.html.gz").read_bytes())
        counts[item_id] = page_counts(entry["articleBody"], extract_article(html, entry.get("url")).text)
    whole = score(counts.values())
    held_out = score(value for key, value in counts.items() if not key[0].isdigit())
    assert whole.f1 >= 0.965 and whole.precision >= 0.95, whole
    assert held_out.f1 >= 0.95, held_out


@pytest.mark.corpora
@pytest.mark.slow
def test_benchmark_publication_days_agree_with_htmldate(corpora: Path) -> None:
    """Our publication day (in the publisher's offset) equals htmldate's on at least 95% of the pages it dates."""
    from htmldate import find_date

    folder = corpora / "article-extraction-benchmark"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    same = dated = 0
    for item_id, entry in truth.items():
        html = gzip.decompress((folder / "html" / f"{item_id}.html.gz").read_bytes())
        reference = find_date(html.decode("utf-8", "replace"), url=entry.get("url"), original_date=True)
        if not reference:
            continue
        dated += 1
        published = extract_article(html, entry.get("url")).published
        same += published is not None and published.date() == date.fromisoformat(reference)
    assert dated >= 150
    assert same >= 0.95 * dated, (same, dated)
