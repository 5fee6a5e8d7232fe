"""The address guard: refuse URLs that resolve to loopback, private, link-local or metadata addresses."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from monitor.fetch.errors import FetchBlocked, FetchNetworkError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses only."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[IPAddress]:
    """All addresses a host name resolves to (a literal address resolves to itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchNetworkError(host, f"cannot resolve host {host!r}: {exc}") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def guard(host: str, addresses: Sequence[IPAddress], allowed: Sequence[IPNetwork] = ()) -> None:
    """Raise FetchBlocked unless every address of ``host`` is public or inside an ``allowed`` network."""
    for address in addresses:
        if not is_public(address) and not any(address in network for network in allowed):
            raise FetchBlocked(
                host,
                f"refused: {host} resolves to non-public address {address} "
                "(set fetch.allow_private_addresses = true to allow)",
            )


def check_scheme(url: str) -> None:
    """Raise FetchBlocked unless ``url`` is an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchBlocked(url, "only absolute http(s) URLs are fetched")


def check_url(url: str, allow_private: bool, allowed: Sequence[IPNetwork] = ()) -> None:
    """Raise FetchBlocked unless each address of the host is public or allowed (``allowed``, ``allow_private``)."""
    check_scheme(url)
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        guard(host, resolve(host, port), allowed)
    except FetchBlocked as exc:
        raise FetchBlocked(url, exc.reason) from None
