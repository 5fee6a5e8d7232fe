"""Politeness and the connection guard on real local servers: robots.txt, Crawl-delay, User-Agent, address pinning."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from monitor.config import FetchSettings
from monitor.fetch import FetchBlocked, FetchDisallowed, Fetcher
from monitor.fetch.robots import answer_for
from tests.servers import Site, serve


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(Site()) as s:
        yield s


def _fetcher(**overrides: object) -> Fetcher:
    values: dict[str, object] = {"allow_private_addresses": True, "per_host_delay": 0, "total_timeout": 5}
    values.update(overrides)
    return Fetcher(FetchSettings.model_validate(values))


ROBOTS = "User-agent: *\nDisallow: /private/\n"
NAMED = "User-agent: *\nDisallow: /private/\n\nUser-agent: frontier-monitor\nDisallow: /members/\n"


def test_robots_disallowed_pages_refused_and_robots_fetched_once(site: Site) -> None:
    """A page robots.txt disallows is refused (not retried); robots.txt is read once per site."""
    site.add("/robots.txt", ROBOTS, "text/plain")
    ok = site.add("/news/1.html", "<p>one</p>")
    private = site.add("/private/2.html", "<p>two</p>")
    with _fetcher() as fetcher:
        assert fetcher.get(ok, robots=True).body == b"<p>one</p>"
        with pytest.raises(FetchDisallowed, match=r"robots\.txt disallows") as info:
            fetcher.get(private, robots=True)
        assert info.value.retryable is False
        fetcher.get(ok, robots=True)
        assert fetcher.get(private).status == 200  # feeds are configured by the operator: no robots check
    assert site.hits("/robots.txt") == [200]
    assert site.hits("/private/2.html") == [200]


def test_missing_robots_allows_and_failing_robots_disallows_for_now(site: Site) -> None:
    """No robots.txt (404) allows everything; a 5xx robots.txt disallows, as a retryable error."""
    page = site.add("/a.html", "<p>a</p>")
    with _fetcher() as fetcher:
        assert fetcher.get(page, robots=True).status == 200
    site.add("/robots.txt", "oops", "text/plain", status=503)
    with _fetcher() as fetcher, pytest.raises(FetchDisallowed, match="HTTP 503") as info:
        fetcher.get(page, robots=True)
    assert info.value.retryable is True


def test_robots_switch_off(site: Site) -> None:
    """fetch.robots = false fetches disallowed pages."""
    site.add("/robots.txt", ROBOTS, "text/plain")
    private = site.add("/private/x.html", "<p>x</p>")
    with _fetcher(robots=False) as fetcher:
        assert fetcher.get(private, robots=True).status == 200


def test_crawl_delay_spaces_requests_to_one_host(site: Site) -> None:
    """A robots.txt Crawl-delay raises the minimum gap between two page requests to the host."""
    site.add("/robots.txt", "User-agent: *\nCrawl-delay: 0.6\n", "text/plain")
    first = site.add("/1.html", "1")
    second = site.add("/2.html", "2")
    with _fetcher() as fetcher:
        fetcher.get(first, robots=True)
        started = time.monotonic()
        fetcher.get(second, robots=True)
        assert time.monotonic() - started >= 0.55


def test_user_agent_names_the_contact_url(site: Site) -> None:
    """Without an explicit user_agent, requests carry the product token and the configured contact URL."""
    url = site.add("/f.xml", "<rss/>", "application/rss+xml")
    with _fetcher(contact_url="https://desk.example.org/crawler") as fetcher:
        fetcher.get(url)
    agent = site.request_headers[-1]["user-agent"]
    assert agent.startswith("frontier-monitor/") and agent.endswith("(+https://desk.example.org/crawler)")


def test_guard_applies_at_connect_time_to_names(site: Site) -> None:
    """A host name is checked where the socket connects: 'localhost' is refused without a literal address."""
    port = site.base.rsplit(":", 1)[1]
    site.add("/x", "secret")
    with _fetcher(allow_private_addresses=False) as fetcher, pytest.raises(FetchBlocked, match="localhost"):
        fetcher.get(f"http://localhost:{port}/x")
    with _fetcher(allow_private_addresses=False, allowed_networks=["127.0.0.0/8", "::1/128"]) as fetcher:
        assert fetcher.get(f"http://localhost:{port}/x").body == b"secret"


def test_robots_answer_rules() -> None:
    """Status classes map to RFC 9309 verdicts: 2xx parsed, 4xx allow all, 5xx and unreachable disallow."""
    assert answer_for(404, b"", 0.0).allows("http://a/x", "bot")
    assert not answer_for(500, b"", 0.0).allows("http://a/x", "bot")
    assert not answer_for(None, b"", 0.0).allows("http://a/x", "bot")
    parsed = answer_for(200, b"User-agent: *\nDisallow: /x\n", 0.0)
    assert not parsed.allows("http://a/x", "bot") and parsed.allows("http://a/y", "bot")
    named = answer_for(200, NAMED.encode(), 0.0)  # the group naming our token replaces the * group
    assert not named.allows("http://a/members/1", "frontier-monitor") and named.allows("http://a/private/1", "frontier-monitor")
    assert not named.allows("http://a/private/1", "otherbot")
