"""All HTTP goes through here: ``Fetcher`` and its ``FetchError`` tree."""

from monitor.fetch.client import Fetcher, FetchResult
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

__all__ = [
    "FetchBlocked",
    "FetchDisallowed",
    "FetchError",
    "FetchHTTPError",
    "FetchNetworkError",
    "FetchRedirectError",
    "FetchResult",
    "FetchTimeout",
    "FetchTooLarge",
    "Fetcher",
]
