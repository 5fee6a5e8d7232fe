"""Seed import in batches: every file stored once, reposts within a batch linked, repeats recognised unparsed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Article, Story
from monitor.ingest import Ingestor
from monitor.keywords.matcher import Watchlist, WatchlistMatcher
from monitor.seeds import SeedError, import_seeds, seed_files

SEEDS = Path(__file__).resolve().parents[1] / "config" / "seeds"


def _ingestor() -> Ingestor:
    return Ingestor(WatchlistMatcher([Watchlist("north", ("Badakhshan", "Takhar"))]), timedelta(hours=1))


def _folder(tmp_path: Path) -> Path:
    """The shipped seeds as paragraphs-per-file, plus a repost of one seed and an empty file."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    n = 0
    for seed in sorted(SEEDS.glob("*.txt")):
        for part in seed.read_text(encoding="utf-8").split("\n\n"):
            if len(part.split()) >= 40:
                (folder / f"{n:03d}.txt").write_text(part, encoding="utf-8")
                n += 1
    first = (folder / "000.txt").read_text(encoding="utf-8")
    (folder / "zz-repost.txt").write_text(f"Seen on another blog:\n\n{first}\n\nThanks for reading.", encoding="utf-8")
    (folder / "zz-empty.txt").write_text("   \n", encoding="utf-8")
    (folder / "notes.md").write_text("not a seed", encoding="utf-8")
    return folder


def test_batched_import_stores_each_file_once(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Files across several small batches are all stored; a repost in a later batch joins its original's story."""
    folder = _folder(tmp_path)
    files = list(seed_files([folder]))
    assert all(p.suffix == ".txt" for p in files)
    seen: list[Path] = []
    report = import_seeds([folder], sessions, _ingestor(), progress=seen.append, batch=4)
    assert seen == files and report.files == len(files)
    assert report.empty == 1 and report.duplicates == 1 and report.already == 0
    assert report.imported == len(files) - 2
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(Article)).scalar_one() == len(files) - 1
        repost = session.execute(select(Article).where(Article.source == str(folder / "zz-repost.txt"))).scalar_one()
        original = session.get_one(Article, repost.duplicate_of_id)
        assert original.source == str(folder / "000.txt") and repost.story_id == original.story_id
        assert session.get_one(Story, original.story_id).article_count == 2


def test_reimport_is_a_no_op(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Importing the same folder again (even under other names) stores nothing and counts every file as stored."""
    folder = _folder(tmp_path)
    import_seeds([folder], sessions, _ingestor(), batch=5)
    with sessions() as session:
        stored = session.execute(select(func.count()).select_from(Article)).scalar_one()
    renamed = tmp_path / "copy"
    renamed.mkdir()
    for path in folder.glob("*.txt"):
        (renamed / f"renamed-{path.name}").write_bytes(path.read_bytes())
    again = import_seeds([folder, renamed], sessions, _ingestor(), batch=5)
    files = len(list(folder.glob("*.txt")))
    assert again.imported == again.duplicates == 0
    assert again.already == 2 * (files - 1) and again.empty == 2
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(Article)).scalar_one() == stored


def test_missing_path_is_named(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """A path that does not exist stops the import with a message naming it, before anything is stored."""
    with pytest.raises(SeedError, match="nowhere: no such file or folder"):
        import_seeds([SEEDS, tmp_path / "nowhere"], sessions, _ingestor())
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(Article)).scalar_one() == 0
