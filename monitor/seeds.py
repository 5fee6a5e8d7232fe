"""Importing seed documents (text or HTML files, or folders of them) as original articles."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from monitor.extract import extract_article
from monitor.ingest import Document, Ingestor
from monitor.sources.charset import decode_document

SEED_SUFFIXES = {".txt", ".text", ".html", ".htm", ".xhtml"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


class SeedError(Exception):
    """A seed path that cannot be read; the message names it."""


@dataclass
class ImportReport:
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


def seed_document(path: Path, data: bytes) -> Document:
    """A Document for one seed file; its identity is the hash of its content, so re-imports are no-ops."""
    digest = hashlib.sha256(data).hexdigest()[:24]
    if path.suffix.lower() in HTML_SUFFIXES or data.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")):
        article = extract_article(data, None)
        text, title, published = article.text, article.title, article.published
        language = article.language
    else:
        text = decode_document(data, "text/plain").text
        title = next((line.strip() for line in text.splitlines() if line.strip()), None)
        published, language = None, None
    return Document(
        canonical_url=f"seed:{digest}",
        source=str(path),
        text=text,
        title=title[:300] if title else None,
        is_seed=True,
        text_origin="file",
        language=language,
        published_at=published,
    )


def import_seeds(
    paths: list[Path],
    sessions: sessionmaker[Session],
    ingestor: Ingestor,
    progress: Callable[[Path], None] | None = None,
) -> ImportReport:
    """Import every seed file (one transaction each); idempotent."""
    report = ImportReport()
    for path in seed_files(paths):
        report.files += 1
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SeedError(f"{path}: cannot read: {exc}") from None
        doc = seed_document(path, data)
        if not doc.text.strip():
            report.empty += 1
        else:
            with sessions.begin() as session:
                outcome = ingestor.ingest(session, doc)
            if not outcome.new:
                report.already += 1
            elif outcome.duplicate_of is not None:
                report.duplicates += 1
            else:
                report.imported += 1
        if progress:
            progress(path)
    return report
