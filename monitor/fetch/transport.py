"""The connection layer under httpx: the address guard at connect time, pinned to the checked address,
and a per-request deadline on every socket read.

Checking a host name and then letting the HTTP library resolve it again leaves a DNS-rebinding gap
(the second answer may be 127.0.0.1). Here the name is resolved once, every address is checked, and the
socket connects to a checked address; TLS still verifies the certificate against the host name.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
import typing
from collections.abc import Iterable, Sequence

import httpcore
import httpx
from httpcore._backends.base import SOCKET_OPTION as SocketOption
from httpcore._backends.sync import SyncStream

from monitor.fetch.addresses import IPNetwork, guard, resolve
from monitor.fetch.errors import FetchError, FetchNetworkError

_deadline = threading.local()


def set_deadline(moment: float | None) -> None:
    """Set (or clear, with None) the monotonic deadline for socket reads in this thread."""
    _deadline.value = moment


def _remaining(timeout: float | None) -> float | None:
    moment: float | None = getattr(_deadline, "value", None)
    if moment is None:
        return timeout
    left = moment - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("total time limit exceeded")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose reads and writes never run past the thread's request deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _remaining(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _remaining(timeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return DeadlineStream(self.inner.start_tls(ssl_context, server_hostname, _remaining(timeout)))

    def get_extra_info(self, info: str) -> typing.Any:
        return self.inner.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """Resolves each host once, refuses non-public addresses (unless allowed) and connects to a checked one."""

    def __init__(self, allow_private: bool, allowed: Sequence[IPNetwork]) -> None:
        self.allow_private = allow_private
        self.allowed = tuple(allowed)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve(host, port)
        except FetchNetworkError as exc:
            raise httpcore.ConnectError(exc.reason) from None
        if not self.allow_private:
            guard(host, addresses, self.allowed)
        last: Exception | None = None
        for address in addresses:
            try:
                sock = socket.create_connection((str(address), port), _remaining(timeout))
            except TimeoutError as exc:
                last = httpcore.ConnectTimeout(str(exc) or "connect timed out")
                continue
            except OSError as exc:
                last = httpcore.ConnectError(str(exc))
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return DeadlineStream(SyncStream(sock))
        raise last or httpcore.ConnectError(f"no address for {host}")


def guarded_transport(
    *, allow_private: bool, allowed: Sequence[IPNetwork], http2: bool, limits: httpx.Limits
) -> httpx.HTTPTransport:
    """An httpx transport whose connections go through ``GuardedBackend``."""
    transport = httpx.HTTPTransport(http2=http2, limits=limits)
    pool = transport._pool
    if not isinstance(pool, httpcore.ConnectionPool):  # pragma: no cover - only with a proxy configured
        raise FetchError("-", "proxies are not supported by the guarded transport")
    pool._network_backend = GuardedBackend(allow_private, allowed)
    return transport
