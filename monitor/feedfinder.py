"""Finding a site's feed from any URL: the URL itself, the feeds its page advertises, then common paths."""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.fetch import Fetcher, FetchError, FetchResult
from monitor.pipeline import FEED_ACCEPT
from monitor.sources import ParsedFeed, ParseError, discover_feeds, parse_source
from monitor.sources.discovery import common_feed_urls


@dataclass(frozen=True, slots=True)
class Probe:
    """One URL tried: what it answered and how it parsed (or the error)."""

    url: str
    result: FetchResult | None = None
    parsed: ParsedFeed | None = None
    error: str | None = None

    @property
    def is_feed(self) -> bool:
        return self.parsed is not None and self.parsed.kind != "html" and bool(self.parsed.entries)


def probe(fetcher: Fetcher, url: str) -> Probe:
    """Fetch ``url`` and parse it as any source; failures are described, never raised."""
    try:
        result = fetcher.get(url, accept=FEED_ACCEPT)
    except FetchError as exc:
        return Probe(url, error=str(exc))
    try:
        parsed = parse_source(result.body, result.url, result.content_type)
    except ParseError as exc:
        return Probe(url, result, error=str(exc))
    return Probe(url, result, parsed)


@dataclass
class Discovery:
    """Every URL tried, in order; ``feeds`` are those that parsed as feeds with entries."""

    probes: list[Probe] = field(default_factory=list)
    advertised: list[str] = field(default_factory=list)

    @property
    def feeds(self) -> list[Probe]:
        return [p for p in self.probes if p.is_feed]


def find_feeds(fetcher: Fetcher, url: str, *, try_common: bool = True) -> Discovery:
    """The URL as a feed; else the feeds its page links with ``<link rel=alternate>``; else common feed paths."""
    found = Discovery()
    first = probe(fetcher, url)
    found.probes.append(first)
    if first.is_feed:
        return found
    if first.result is not None and first.parsed is not None and first.parsed.kind == "html":
        found.advertised = discover_feeds(first.result.body, first.result.url)
    base = first.result.url if first.result is not None else url
    tried = {url, base}
    for candidate in found.advertised:
        if candidate not in tried:
            tried.add(candidate)
            found.probes.append(probe(fetcher, candidate))
    if not found.feeds and try_common:
        for candidate in common_feed_urls(base):
            if candidate in tried:
                continue
            tried.add(candidate)
            attempt = probe(fetcher, candidate)
            found.probes.append(attempt)
            if attempt.is_feed:
                break
    return found
