"""The fetcher's one exception tree; no raw httpx exception leaves ``monitor.fetch``."""

from __future__ import annotations

from datetime import timedelta


class FetchError(Exception):
    """A URL could not be fetched; ``str()`` is a one-line reason for logs and ``monitor status``."""

    retryable = True

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{reason} ({url})")
        self.url = url
        self.reason = reason


class FetchTimeout(FetchError):
    """Connect, read or total time limit exceeded."""


class FetchNetworkError(FetchError):
    """DNS failure, refused or reset connection, TLS error, truncated body."""


class FetchTooLarge(FetchError):
    """The body (raw or decompressed) exceeded the configured cap."""

    retryable = False


class FetchBlocked(FetchError):
    """The URL points at an address the guard refuses (loopback, private, link-local, metadata)."""

    retryable = False


class FetchDisallowed(FetchError):
    """robots.txt refuses the URL (or could not be read, which disallows for a while)."""

    def __init__(self, url: str, reason: str, retryable: bool) -> None:
        super().__init__(url, reason)
        self.retryable = retryable


class FetchRedirectError(FetchError):
    """Too many redirects, a loop, or a redirect to a non-HTTP URL."""


class FetchHTTPError(FetchError):
    """The server answered with an error status."""

    def __init__(self, url: str, status: int, retry_after: timedelta | None = None) -> None:
        super().__init__(url, f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after
        self.retryable = status >= 500 or status in (408, 429)
