"""What is wrong with a parsed source, for ``monitor feeds check`` (pure: ParsedFeed in, readable lines out)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from monitor.extract.urls import canonicalize_url
from monitor.sources.model import ParsedFeed

FEED_MEDIA_TYPES = {
    "rss": ("application/rss+xml", "application/xml", "text/xml", "application/rdf+xml"),
    "rdf": ("application/rdf+xml", "application/rss+xml", "application/xml", "text/xml"),
    "atom": ("application/atom+xml", "application/xml", "text/xml"),
    "jsonfeed": ("application/feed+json", "application/json"),
}


def feed_problems(parsed: ParsedFeed, content_type: str | None, now: datetime) -> list[str]:
    """Every problem found: the parser's own notes, then entries without links, dates or titles, duplicates,
    dates in the future, and a Content-Type that does not match the kind."""
    problems = list(parsed.problems)
    entries = parsed.entries
    if not entries:
        problems.append("no entries")
    undated = sum(1 for e in entries if e.published is None)
    if undated:
        problems.append(f"{undated} of {len(entries)} entries have no date (their first-seen time will be used)")
    untitled = sum(1 for e in entries if not (e.title or "").strip())
    if untitled:
        problems.append(f"{untitled} entries have no title")
    future = sum(1 for e in entries if e.published is not None and e.published > now + timedelta(hours=1))
    if future:
        problems.append(f"{future} entries are dated in the future")
    canonical: list[str] = []
    for entry in entries:
        try:
            canonical.append(canonicalize_url(entry.url))
        except ValueError:
            problems.append(f"entry link cannot be used: {entry.url!r}")
    repeated = sum(n - 1 for n in Counter(canonical).values() if n > 1)
    if repeated:
        problems.append(f"{repeated} entries repeat another entry's link")
    media_type = (content_type or "").split(";")[0].strip().lower()
    expected = FEED_MEDIA_TYPES.get(parsed.kind)
    if expected and media_type and media_type not in expected:
        problems.append(f"served as {media_type}, expected one of {', '.join(expected)}")
    return problems
