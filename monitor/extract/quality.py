"""The article-extraction-benchmark metric: 4-word-shingle precision and recall per page, averaged."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Scores:
    """Mean per-page precision and recall over a set of pages, and the F1 of the two means."""

    precision: float
    recall: float
    f1: float
    pages: int


def _shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of consecutive word n-grams (the whole token list when shorter than n)."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + size]) for i in range(max(1, len(tokens) - size + 1)) if tokens)


def page_counts(truth: str, predicted: str) -> tuple[float, float, float]:
    """Shingle true positives, false positives and false negatives for one page, normalised to sum 1."""
    true_shingles = _shingles(truth)
    pred_shingles = _shingles(predicted)
    tp = fp = fn = 0.0
    for key in true_shingles.keys() | pred_shingles.keys():
        true_count = true_shingles.get(key, 0)
        pred_count = pred_shingles.get(key, 0)
        tp += min(true_count, pred_count)
        fp += max(0, pred_count - true_count)
        fn += max(0, true_count - pred_count)
    total = tp + fp + fn
    if total > 0:
        return tp / total, fp / total, fn / total
    return tp, fp, fn


def page_precision(tp: float, fp: float, fn: float) -> float:
    """Precision of one page as the benchmark defines it (1 when both errors are zero)."""
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def page_recall(tp: float, fp: float, fn: float) -> float:
    """Recall of one page as the benchmark defines it (1 when both errors are zero)."""
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def score(counts: Iterable[tuple[float, float, float]]) -> Scores:
    """Mean precision over pages with any prediction, mean recall over pages with any truth, and F1."""
    rows = list(counts)
    precisions = [page_precision(*row) for row in rows if row[0] + row[1] > 0]
    recalls = [page_recall(*row) for row in rows if row[0] + row[2] > 0]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, len(rows))
