"""The one HTTP client: timeouts, size caps, conditional GET, guarded redirects, per-host politeness.

Connections go through ``monitor.fetch.transport`` (the address guard at connect time, pinned to the
checked address; a deadline on every read). Article pages also pass robots.txt (``robots=True``).
"""

from __future__ import annotations

import threading
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.config import FetchSettings
from monitor.fetch.addresses import check_scheme
from monitor.fetch.errors import (
    FetchBlocked,
    FetchDisallowed,
    FetchError,
    FetchHTTPError,
    FetchNetworkError,
    FetchRedirectError,
    FetchTimeout,
    FetchTooLarge,
)
from monitor.fetch.robots import MAX_ROBOTS_BYTES, RobotsCache
from monitor.fetch.transport import PerOriginTransport, guarded_transport, set_deadline

REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT = (301, 308)
DRAIN_BYTES = 64 * 1024  # an unwanted body up to this size is read so the connection stays reusable


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A completed fetch. ``not_modified`` is a 304; then ``body`` is empty."""

    url: str  # the final URL after redirects
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float
    permanent_url: str | None = None  # where a 301/308 chain (from the first hop) led
    not_modified: bool = False

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


def parse_retry_after(value: str | None, now: datetime | None = None) -> timedelta | None:
    """Retry-After as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(timedelta(0), when - (now or datetime.now(UTC)))


@dataclass
class _HostGate:
    semaphore: threading.Semaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0


class Fetcher:
    """Thread-safe fetcher shared by every poll; close() when done."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._timeout = httpx.Timeout(
            connect=settings.connect_timeout.total_seconds(),
            read=settings.read_timeout.total_seconds(),
            write=settings.read_timeout.total_seconds(),
            pool=settings.total_timeout.total_seconds(),
        ).as_dict()
        # Requests in flight are capped by the fetcher's own per-host semaphores; each origin's pool has room
        # for those plus a robots.txt fetch, and keeps them alive so the feeds of one host share connections.
        per_origin = settings.per_host_concurrency + 1
        limits = httpx.Limits(max_connections=per_origin, max_keepalive_connections=per_origin)
        self.user_agent = settings.agent()
        self.robots_agent = self.user_agent.split("/", 1)[0].split()[0]
        self._headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"}
        # Requests go straight to httpx's transport: redirects are followed here, through the address guard,
        # and no cookies are kept, so httpx.Client's redirect, cookie and auth layers would only cost time.
        ssl_context = httpx.create_ssl_context()
        self._transport = PerOriginTransport(
            lambda: guarded_transport(
                allow_private=settings.allow_private_addresses,
                allowed=settings.allowed_networks,
                http2=settings.http2,
                limits=limits,
                ssl_context=ssl_context,
            ),
            max_idle_origins=max(512, settings.concurrency * 4),
        )
        self.robots = RobotsCache(self._load_robots)
        self._gates: dict[str, _HostGate] = defaultdict(
            lambda: _HostGate(threading.Semaphore(settings.per_host_concurrency))
        )
        self._gates_lock = threading.Lock()

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _gate(self, host: str) -> _HostGate:
        with self._gates_lock:
            return self._gates[host]

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
        robots: bool = False,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """GET a URL, following redirects through the address guard; raise a FetchError on failure.

        ``robots``: refuse (FetchDisallowed) URLs the site's robots.txt disallows, and keep its Crawl-delay.
        """
        started = time.monotonic()
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        permanent: str | None = None
        still_permanent = True
        seen: set[str] = set()
        for _hop in range(self.settings.max_redirects + 1):
            check_scheme(current)
            delay = self.settings.per_host_delay.total_seconds()
            if robots and self.settings.robots:
                delay = max(delay, self._check_robots(current))
            seen.add(current)
            status, response_headers, body = self._one("GET", current, headers, delay, max_bytes)
            if status in REDIRECTS and "location" in response_headers:
                target = urljoin(current, response_headers["location"].strip())
                if urlsplit(target).scheme not in ("http", "https"):
                    raise FetchRedirectError(url, f"redirect to a non-HTTP URL {target!r}")
                if target in seen:
                    raise FetchRedirectError(url, f"redirect loop at {target}")
                if still_permanent and status in PERMANENT:
                    permanent = target
                else:
                    still_permanent = False
                current = target
                continue
            elapsed = time.monotonic() - started
            if status == 304:
                return FetchResult(current, status, response_headers, b"", elapsed, permanent, True)
            if status >= 400:
                raise FetchHTTPError(current, status, parse_retry_after(response_headers.get("retry-after")))
            return FetchResult(current, status, response_headers, body, elapsed, permanent)
        raise FetchRedirectError(url, f"more than {self.settings.max_redirects} redirects")

    def post_form(self, url: str, data: dict[str, str]) -> FetchResult:
        """POST a form (no redirects followed), e.g. a WebSub subscription request; raise a FetchError on failure."""
        check_scheme(url)
        started = time.monotonic()
        delay = self.settings.per_host_delay.total_seconds()
        status, headers, body = self._one("POST", url, {}, delay, 64 * 1024, data)
        if status >= 400:
            raise FetchHTTPError(url, status, parse_retry_after(headers.get("retry-after")))
        return FetchResult(url, status, headers, body, time.monotonic() - started)

    def _check_robots(self, url: str) -> float:
        """Raise FetchDisallowed when robots.txt refuses ``url``; else the site's Crawl-delay (capped at 60 s)."""
        answer = self.robots.answer(url)
        if not answer.allows(url, self.robots_agent):
            if answer.rules is None:
                raise FetchDisallowed(url, answer.note, retryable=True)
            raise FetchDisallowed(url, "robots.txt disallows this URL", retryable=False)
        return min(answer.crawl_delay(self.robots_agent) or 0.0, 60.0)

    def _load_robots(self, url: str) -> tuple[int | None, bytes]:
        try:
            result = self.get(url, accept="text/plain", max_bytes=MAX_ROBOTS_BYTES)
        except FetchHTTPError as exc:
            return exc.status, b""
        except FetchTooLarge:
            return 200, b""  # oversized: nothing read is trusted, so nothing is disallowed by it
        except FetchError:
            return None, b""
        return result.status, result.body

    def _one(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        delay: float,
        max_bytes: int | None = None,
        form: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        host = urlsplit(url).netloc.lower()
        gate = self._gate(host)
        with gate.semaphore:
            with gate.lock:
                wait = gate.next_start - time.monotonic()
                gate.next_start = max(gate.next_start, time.monotonic()) + delay
            if wait > 0:
                time.sleep(wait)
            # The time limit runs from the request's start: waiting for politeness does not count.
            deadline = time.monotonic() + self.settings.total_timeout.total_seconds()
            return self._request(method, url, headers, deadline, max_bytes, form)

    def _request(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        deadline: float,
        max_bytes: int | None,
        form: dict[str, str] | None,
    ) -> tuple[int, dict[str, str], bytes]:
        cap = min(max_bytes or self.settings.max_body_bytes, self.settings.max_body_bytes)
        set_deadline(deadline)
        try:
            request = httpx.Request(
                method, url, headers={**self._headers, **headers}, data=form, extensions={"timeout": self._timeout}
            )
            response = self._transport.handle_request(request)
            response.request = request
            try:
                response_headers = {k.lower(): v for k, v in response.headers.items()}
                if response.status_code in REDIRECTS or response.status_code == 304 or response.status_code >= 400:
                    _drain(response)
                    return response.status_code, response_headers, b""
                declared = response_headers.get("content-length", "")
                if declared.isdigit() and int(declared) > cap:
                    raise FetchTooLarge(url, f"body of {int(declared):,} bytes exceeds the {cap:,}-byte cap")
                body = _read_capped(response, url, cap, deadline)
                return response.status_code, response_headers, body
            finally:
                response.close()
        except FetchBlocked as exc:
            raise FetchBlocked(url, exc.reason) from None
        except FetchError:
            raise
        except httpx.TimeoutException as exc:
            if time.monotonic() >= deadline:
                total = self.settings.total_timeout.total_seconds()
                raise FetchTimeout(url, f"total time limit exceeded ({total:g}s)") from None
            raise FetchTimeout(url, f"timed out ({type(exc).__name__})") from None
        except httpx.DecodingError as exc:
            raise FetchNetworkError(url, f"cannot decode body: {exc}") from None
        except (httpx.TransportError, zlib.error) as exc:
            raise FetchNetworkError(url, f"network error: {exc or type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            raise FetchNetworkError(url, f"HTTP error: {exc or type(exc).__name__}") from None
        finally:
            set_deadline(None)


def _drain(response: httpx.Response, limit: int = DRAIN_BYTES) -> None:
    """Read and drop a small unwanted body (a 304, redirect or error page) so its connection can be reused;
    a larger one is left unread and its connection closed with the response."""
    size = 0
    for chunk in response.iter_raw():
        size += len(chunk)
        if size > limit:
            return


def _read_capped(response: httpx.Response, url: str, cap: int, deadline: float) -> bytes:
    """Read the decoded body, stopping at the cap (decompression bombs stop there too) or the deadline."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > cap:
            raise FetchTooLarge(url, f"body exceeds the {cap:,}-byte cap (after decompression)")
        if time.monotonic() > deadline:
            raise FetchTimeout(url, "total time limit exceeded while reading the body")
        chunks.append(chunk)
    return b"".join(chunks)
