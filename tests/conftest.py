"""Shared test fixtures: paths to the shipped fixtures and to the optional big corpora."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SHARED = Path(os.environ.get("MONITOR_SHARED_DIR", REPO.parent / "shared"))
CORPORA = SHARED / "corpora"


@pytest.fixture
def corpora() -> Path:
    """The third-party corpora in ../shared/corpora; the test is skipped where they are absent."""
    if not CORPORA.is_dir():
        pytest.skip(f"needs the shared corpora at {CORPORA} (absent in a fresh clone; CI has them)")
    return CORPORA


@pytest.fixture
def fixtures() -> Path:
    """The small fixtures shipped with the project (see tests/fixtures/*/SOURCE.md)."""
    return FIXTURES
