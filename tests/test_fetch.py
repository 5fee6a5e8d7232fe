"""The fetcher against real local servers: conditional GET, caps, redirects, timeouts and the address guard."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import httpx
import pytest

from monitor.config import FetchSettings
from monitor.fetch import (
    FetchBlocked,
    Fetcher,
    FetchHTTPError,
    FetchNetworkError,
    FetchRedirectError,
    FetchTimeout,
    FetchTooLarge,
)
from monitor.fetch.addresses import check_url
from monitor.fetch.transport import PerOriginTransport
from tests.servers import Site, serve


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(Site()) as s:
        yield s


def _fetcher(**overrides: object) -> Fetcher:
    values: dict[str, object] = {
        "allow_private_addresses": True,
        "per_host_delay": 0,
        "read_timeout": 2,
        "total_timeout": 5,
    }
    values.update(overrides)
    return Fetcher(FetchSettings.model_validate(values))


def test_conditional_get_gets_304(site: Site) -> None:
    """A second GET with the ETag the server sent is answered 304 with an empty body."""
    url = site.add("/feed.xml", "<rss/>", "application/rss+xml")
    with _fetcher() as fetcher:
        first = fetcher.get(url)
        second = fetcher.get(url, etag=first.headers["etag"])
    assert first.status == 200 and first.body == b"<rss/>"
    assert second.not_modified and second.body == b""


def test_private_addresses_refused_unless_allowed(site: Site) -> None:
    """127.0.0.1, private, link-local and metadata addresses are refused by default (SSRF guard)."""
    url = site.add("/x", "hello")
    with (
        _fetcher(allow_private_addresses=False) as fetcher,
        pytest.raises(FetchBlocked, match=r"non-public address 127\.0\.0\.1"),
    ):
        fetcher.get(url)
    for bad in ("http://10.1.2.3/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://192.168.0.1/"):
        with pytest.raises(FetchBlocked):
            check_url(bad, allow_private=False)
    check_url("http://8.8.8.8/", allow_private=False)


def test_redirect_to_a_refused_address_is_stopped(site: Site) -> None:
    """Every redirect hop passes the guard: an allowed start cannot bounce the fetch to a refused address."""
    port = site.base.rsplit(":", 1)[1]
    site.add("/hop", b"", status=302, headers={"Location": f"http://127.0.0.2:{port}/secret"})
    site.add("/secret", "metadata")
    guarded = {"allow_private_addresses": False, "allowed_networks": ["127.0.0.1/32"]}
    with _fetcher(**guarded) as fetcher, pytest.raises(FetchBlocked, match=r"127\.0\.0\.2"):
        fetcher.get(site.base + "/hop")
    with _fetcher() as fetcher, pytest.raises(FetchNetworkError, match="Connection refused"):
        fetcher.get(site.base + "/hop")  # allowed: the hop is followed (nothing listens on 127.0.0.2)


def test_one_connection_serves_304s_redirects_and_errors(site: Site) -> None:
    """Bodiless and unwanted answers (304, redirect, 404) are read to their end, so the connection is reused."""
    url = site.add("/feed.xml", "<rss/>", "application/rss+xml")
    site.add("/moved", b"", status=302, headers={"Location": "/feed.xml"})
    with _fetcher() as fetcher:
        etag = fetcher.get(url).headers["etag"]
        for _ in range(3):
            assert fetcher.get(url, etag=etag).not_modified
        assert fetcher.get(site.base + "/moved", etag=etag).not_modified
        with pytest.raises(FetchHTTPError):
            fetcher.get(site.base + "/missing")
        assert fetcher.get(url).status == 200
    assert len(site.requests) == 8
    assert len(set(site.peers)) == 1, site.peers


def test_no_cookies_are_kept(site: Site) -> None:
    """Fetching is stateless: a cookie a server sets is not sent back (nor kept for thousands of hosts)."""
    url = site.add("/feed.xml", "<rss/>", "application/rss+xml", headers={"Set-Cookie": "session=abc; Path=/"})
    with _fetcher() as fetcher:
        fetcher.get(url)
        fetcher.get(url)
    assert len(site.request_headers) == 2 and "cookie" not in site.request_headers[1]
    assert site.request_headers[1]["user-agent"].startswith("frontier-monitor")


def test_idle_origin_pools_are_closed_least_recent_first() -> None:
    """Past ``max_idle_origins`` the oldest idle pools go when a new origin comes; a busy one stays."""
    with serve(Site()) as a, serve(Site()) as b, serve(Site()) as c, serve(Site()) as d:
        for s in (a, b, c, d):
            s.add("/x", "x", "text/plain")
        made: list[httpx.BaseTransport] = []

        def factory() -> httpx.BaseTransport:
            made.append(httpx.HTTPTransport())
            return made[-1]

        transport = PerOriginTransport(factory, max_idle_origins=1)
        with httpx.Client(transport=transport) as client:
            with client.stream("GET", a.base + "/x") as held:  # a's pool is busy while b and c come
                assert client.get(b.base + "/x").text == "x"
                assert client.get(c.base + "/x").text == "x"  # b is the one idle pool: kept
                assert transport.origins() == 3
                assert held.read() == b"x"
            assert client.get(d.base + "/x").text == "x"  # a, b, c idle: the two oldest (a, b) go
            assert transport.origins() == 2
            assert client.get(c.base + "/x").text == "x"  # c's pool is still there
        assert len(made) == 4


def test_permanent_redirect_reported(site: Site) -> None:
    """A 301 chain's target is reported so the feed's stored URL can follow it."""
    target = site.add("/new.xml", "<rss/>", "application/rss+xml")
    site.add("/old.xml", b"", status=301, headers={"Location": "/new.xml"})
    with _fetcher() as fetcher:
        result = fetcher.get(site.base + "/old.xml")
    assert result.permanent_url == target and result.body == b"<rss/>"


def test_redirect_loop_and_limit(site: Site) -> None:
    """A loop and an over-long chain end in FetchRedirectError."""
    site.add("/a", b"", status=302, headers={"Location": "/b"})
    site.add("/b", b"", status=302, headers={"Location": "/a"})
    for i in range(8):
        site.add(f"/c{i}", b"", status=302, headers={"Location": f"/c{i + 1}"})
    with _fetcher() as fetcher:
        with pytest.raises(FetchRedirectError, match="loop"):
            fetcher.get(site.base + "/a")
        with pytest.raises(FetchRedirectError, match="more than 5 redirects"):
            fetcher.get(site.base + "/c0")


def test_body_cap_and_gzip_bomb(site: Site) -> None:
    """A body over the cap, and a small gzip that inflates past it, both stop at the cap."""
    big = site.add("/big", b"x" * 50_000)
    bomb = site.add("/bomb", gzip.compress(b"\0" * 5_000_000), headers={"Content-Encoding": "gzip"})
    with _fetcher(max_body_bytes=20_000) as fetcher:
        with pytest.raises(FetchTooLarge):
            fetcher.get(big)
        with pytest.raises(FetchTooLarge, match="after decompression"):
            fetcher.get(bomb)


def test_slow_server_times_out(site: Site) -> None:
    """A server slower than the read timeout gives FetchTimeout, not a hung worker."""
    url = site.add("/slow", "late", delay=3)
    with _fetcher(read_timeout=0.5) as fetcher, pytest.raises(FetchTimeout):
        fetcher.get(url)


def test_http_errors_carry_status_and_retry_after(site: Site) -> None:
    """429 with Retry-After is retryable and carries the delay; 404 is not retryable."""
    limited = site.add("/limited", "slow down", status=429, headers={"Retry-After": "120"})
    with _fetcher() as fetcher:
        with pytest.raises(FetchHTTPError) as info:
            fetcher.get(limited)
        assert info.value.status == 429 and info.value.retryable
        assert info.value.retry_after is not None and info.value.retry_after.total_seconds() == 120
        with pytest.raises(FetchHTTPError) as missing:
            fetcher.get(site.base + "/missing")
        assert missing.value.status == 404 and not missing.value.retryable
