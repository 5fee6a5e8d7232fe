"""A story as alerts list it: its original article, with the reposts folded under it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import Article


def story_entry(session: Session, story_id: int, original: Article) -> dict[str, Any]:
    """The payload entry for one story (the shape documented in docs/webhooks.md)."""
    reposts = session.scalars(
        select(Article).where(Article.story_id == story_id, Article.duplicate_of_id.is_not(None))
    ).all()
    return {
        "id": story_id,
        "title": original.title,
        "url": original.url or original.canonical_url,
        "source": original.source,
        "published_at": original.published_at.isoformat() if original.published_at else None,
        "reposts": [{"url": r.url or r.canonical_url, "source": r.source} for r in reposts],
    }
