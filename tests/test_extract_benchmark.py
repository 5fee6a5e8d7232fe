"""Extraction quality on the full article-extraction-benchmark (181 pages, shared corpora)."""

from __future__ import annotations

import gzip
import json
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
