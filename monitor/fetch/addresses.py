"""The address guard: refuse URLs that resolve to loopback, private, link-local or metadata addresses."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from monitor.fetch.errors import FetchBlocked, FetchNetworkError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


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


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def check_url(url: str, allow_private: bool, allowed: Sequence[IPNetwork] = ()) -> None:
    """Raise FetchBlocked unless each address of the host is public or allowed (``allowed``, ``allow_private``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchBlocked(url, "only absolute http(s) URLs are fetched")
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in resolve(parts.hostname, port):
        if not is_public(address) and not any(address in network for network in allowed):
            raise FetchBlocked(
                url,
                f"refused: {parts.hostname} resolves to non-public address {address} "
                "(set fetch.allow_private_addresses = true to allow)",
            )
