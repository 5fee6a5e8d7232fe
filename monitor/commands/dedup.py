"""``monitor dedup``: compare texts with everything stored, and re-index after a change of method."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from monitor.app import App
from monitor.cli_support import OperatorError, open_app
from monitor.db.fingerprint_index import TextCheck, check_text, index_is_current, reindex, stored_params
from monitor.db.models import Article
from monitor.dedup.fingerprints import PARAMS
from monitor.seeds import seed_document

STALE = "the stored fingerprints were made with other parameters; run `monitor dedup reindex`"


@dataclass(frozen=True)
class CheckInput:
    """One input to check: where it came from and the text extracted from it."""

    name: str
    text: str


def read_input(app: App, item: str) -> CheckInput:
    """The text of a file (text or HTML) or of a page fetched from a URL; nothing is stored."""
    from monitor.extract import extract_article
    from monitor.fetch import FetchError

    if item.startswith(("http://", "https://")):
        try:
            page = app.fetcher.get(item)
        except FetchError as exc:
            raise OperatorError(str(exc)) from None
        return CheckInput(item, extract_article(page.body, page.url).text)
    path = Path(item)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OperatorError(f"{item}: cannot read: {exc.strerror}") from None
    return CheckInput(item, seed_document(path, data).text)


def check_record(app: App, item: CheckInput) -> dict[str, Any]:
    """The JSON record for one input: verdict, the matched article (id, source, title) and the measures."""
    with app.sessions.begin() as session:  # short: on SQLite every transaction holds the write lock
        result: TextCheck = check_text(session, item.text)
        matched = None
        if result.duplicate_of is not None:
            row = session.execute(
                select(Article.id, Article.url, Article.source, Article.title).where(Article.id == result.duplicate_of)
            ).one()
            matched = {"id": row.id, "source": row.url or row.source, "title": row.title}
    return {
        "input": item.name,
        "duplicate": matched is not None,
        "duplicate_of": matched,
        "method": result.method,
        "containment": round(result.containment_new, 4),
        "containment_of_original": round(result.containment_old, 4),
        "similarity": round(result.similarity, 4),
    }


def _line(record: dict[str, Any]) -> str:
    """One human-readable line for a record."""
    measures = (f"containment {record['containment']:.2f} (of the original {record['containment_of_original']:.2f}), "
                f"similarity {record['similarity']:.2f}")
    original = record["duplicate_of"]
    if original is None and not record["similarity"] and not record["containment"]:
        return f"{record['input']}: original (no stored article shares its text)"
    if original is None:
        return f"{record['input']}: original (closest stored article: {measures})"
    return (f"{record['input']}: repost of #{original['id']} {original['source']} "
            f"\"{original['title'] or ''}\" by {record['method']}; {measures}")


@click.group()
def dedup() -> None:
    """Repost detection: check texts against everything stored; re-index after a change of method."""


@dedup.command("check")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per input.")
@click.pass_context
def dedup_check(ctx: click.Context, inputs: tuple[str, ...], as_json: bool) -> None:
    """Compare text or HTML files (or URLs) with every stored article, without storing them.

    JSON fields: input, duplicate, duplicate_of (null or {id, source, title}: source is the file or URL the
    matched article came from), method (hash or fingerprint), containment (share of the input found in the
    closest stored article), containment_of_original (share of that article found in the input), similarity.
    """
    with open_app(ctx) as app:
        with app.sessions() as session:
            if not index_is_current(session):
                click.echo(f"monitor: warning: {STALE}", err=True)
        for item in inputs:
            record = check_record(app, read_input(app, item))
            click.echo(json.dumps(record, ensure_ascii=False) if as_json else _line(record))


@dedup.command("reindex")
@click.option("--force", is_flag=True, help="Re-index even when the parameters have not changed.")
@click.pass_context
def dedup_reindex(ctx: click.Context, force: bool) -> None:
    """Fingerprint every original again with the current method (after a change of its parameters)."""
    with open_app(ctx) as app:
        with app.sessions() as session:
            current = index_is_current(session)
            before = stored_params(session)
            originals = session.execute(
                select(func.count()).select_from(Article).where(Article.duplicate_of_id.is_(None))
            ).scalar_one()
        if current and not force:
            click.echo(f"the index is current ({PARAMS.version}); nothing to do (--force re-indexes anyway)")
            return
        with click.progressbar(length=originals, label="re-indexing", file=sys.stderr) as bar:
            done = reindex(app.sessions, progress=bar.update)
        click.echo(f"re-indexed {done} originals with {PARAMS.version} (was: {before or 'nothing recorded'})")
