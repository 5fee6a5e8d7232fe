"""Importing seed documents (text or HTML files, or folders of them) as original articles."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Article
from monitor.extract import extract_article
from monitor.ingest import Document, Ingestor
from monitor.sources.charset import decode_document

SEED_SUFFIXES = {".txt", ".text", ".html", ".htm", ".xhtml"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
BATCH = 250  # files per transaction


class SeedError(Exception):
    """A seed path that cannot be read; the message names it."""


@dataclass
class ImportReport:
    """What an import did, file by file."""

    files: int = 0
    imported: int = 0
    already: int = 0
    duplicates: int = 0
    empty: int = 0


def seed_files(paths: list[Path]) -> Iterator[Path]:
    """Every seed file under the given files and folders, in a stable order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SEED_SUFFIXES:
                    yield child
        elif path.is_file():
            yield path
        else:
            raise SeedError(f"{path}: no such file or folder")


def seed_url(data: bytes) -> str:
    """The canonical URL of a seed file: a hash of its bytes, so importing the same file again is a no-op."""
    return f"seed:{hashlib.sha256(data).hexdigest()[:24]}"


def seed_document(path: Path, data: bytes) -> Document:
    """A Document for one seed file (text, or HTML whose article is extracted); its identity is its content hash."""
    if path.suffix.lower() in HTML_SUFFIXES or data.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")):
        article = extract_article(data, None)
        text, title, published = article.text, article.title, article.published
        language = article.language
    else:
        text = decode_document(data, "text/plain").text
        title = next((line.strip() for line in text.splitlines() if line.strip()), None)
        published, language = None, None
    return Document(
        canonical_url=seed_url(data),
        source=str(path),
        text=text,
        title=title[:300] if title else None,
        is_seed=True,
        text_origin="file",
        language=language,
        published_at=published,
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SeedError(f"{path}: cannot read: {exc}") from None


def _known_urls(session: Session, urls: list[str]) -> set[str]:
    """Which of `urls` are stored already (one query)."""
    rows = session.execute(select(Article.canonical_url).where(Article.canonical_url.in_(urls)))
    return set(rows.scalars())


def import_seeds(
    paths: list[Path],
    sessions: sessionmaker[Session],
    ingestor: Ingestor,
    progress: Callable[[Path], None] | None = None,
    batch: int = BATCH,
) -> ImportReport:
    """Import every seed file, ``batch`` files per transaction; idempotent.

    Files already stored (by the hash of their bytes) are recognised with one query per batch and not parsed
    again, so re-importing a large folder costs little more than reading it. A repost of a file earlier in the
    same batch is recognised too: the transaction sees its own rows. On PostgreSQL a batch holds the index lock
    (see ``monitor.db.fingerprint_index``) until it commits, a second or so, during which the daemon's stores wait.
    """
    report = ImportReport()
    files = list(seed_files(paths))
    for start in range(0, len(files), batch):
        chunk = [(path, _read(path)) for path in files[start : start + batch]]
        report.files += len(chunk)
        with sessions() as session:
            known = _known_urls(session, sorted({seed_url(data) for _path, data in chunk}))
        docs: list[tuple[Path, Document | None]] = []
        for path, data in chunk:
            if seed_url(data) in known:
                report.already += 1
                docs.append((path, None))
            else:
                docs.append((path, seed_document(path, data)))
        with sessions.begin() as session:
            for _path, doc in docs:
                if doc is not None and not doc.text.strip():
                    report.empty += 1
                elif doc is not None:
                    outcome = ingestor.ingest(session, doc)
                    if not outcome.new:
                        report.already += 1
                    elif outcome.duplicate_of is not None:
                        report.duplicates += 1
                    else:
                        report.imported += 1
        if progress:
            for path, _doc in docs:
                progress(path)
    return report
