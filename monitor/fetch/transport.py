"""The connection layer under httpx: one small connection pool per origin, the address guard at connect
time, pinned to the checked address, and a per-request deadline on every socket read.

httpcore's pool walks every pooled connection (and polls each idle socket) on every request, so one pool
over thousands of hosts costs O(hosts) per request; a pool per origin keeps that O(1).

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
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

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
    *,
    allow_private: bool,
    allowed: Sequence[IPNetwork],
    http2: bool,
    limits: httpx.Limits,
    ssl_context: ssl.SSLContext,
) -> httpx.HTTPTransport:
    """An httpx transport whose connections go through ``GuardedBackend``. Pass one ``ssl_context`` to all
    transports: loading the CA certificates costs milliseconds and memory for each context."""
    transport = httpx.HTTPTransport(verify=ssl_context, http2=http2, limits=limits)
    pool = transport._pool
    if not isinstance(pool, httpcore.ConnectionPool):  # pragma: no cover - only with a proxy configured
        raise FetchError("-", "proxies are not supported by the guarded transport")
    pool._network_backend = GuardedBackend(allow_private, allowed)
    return transport


Origin = tuple[bytes, bytes, int | None]


@dataclass
class _OriginPool:
    transport: httpx.BaseTransport
    active: int = 0  # responses handed out and not yet closed


class _ReleasingStream(httpx.SyncByteStream):
    """A response body that tells its origin's pool when it is closed."""

    def __init__(self, inner: httpx.SyncByteStream, release: Callable[[], None]) -> None:
        self.inner = inner
        self.release: Callable[[], None] | None = release

    def __iter__(self) -> Iterator[bytes]:
        yield from self.inner

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            release, self.release = self.release, None
            if release is not None:
                release()


class PerOriginTransport(httpx.BaseTransport):
    """Routes each request to its origin's own transport, made by ``factory`` on first use.

    At most ``max_idle_origins`` pools are kept beyond those with a response open; the least recently
    used idle ones are closed first.
    """

    def __init__(self, factory: Callable[[], httpx.BaseTransport], max_idle_origins: int = 512) -> None:
        self.factory = factory
        self.max_idle_origins = max_idle_origins
        self._pools: OrderedDict[Origin, _OriginPool] = OrderedDict()
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key: Origin = (request.url.raw_scheme, request.url.raw_host, request.url.port)
        evicted: list[_OriginPool] = []
        with self._lock:
            entry = self._pools.get(key)
            if entry is not None:
                self._pools.move_to_end(key)
                entry.active += 1
        if entry is None:
            made = _OriginPool(self.factory(), active=1)  # outside the lock: other origins need not wait
            with self._lock:
                entry = self._pools.get(key)
                if entry is None:
                    entry = self._pools[key] = made
                    if len(self._pools) > self.max_idle_origins:
                        evicted = self._evict()
                else:  # another thread made this origin's pool meanwhile
                    entry.active += 1
                    evicted = [made]
        for old in evicted:
            old.transport.close()
        try:
            response = entry.transport.handle_request(request)
        except BaseException:
            self._release(entry)
            raise
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _ReleasingStream(response.stream, lambda: self._release(entry))
        return response

    def origins(self) -> int:
        """How many origins have a pool now."""
        with self._lock:
            return len(self._pools)

    def _release(self, entry: _OriginPool) -> None:
        with self._lock:
            entry.active -= 1

    def _evict(self) -> list[_OriginPool]:
        """Drop the oldest idle pools until the idle ones fit; the caller closes them outside the lock."""
        idle = sum(1 for entry in self._pools.values() if entry.active == 0)
        dropped: list[_OriginPool] = []
        for key in list(self._pools):
            if idle <= self.max_idle_origins:
                break
            if self._pools[key].active == 0:
                dropped.append(self._pools.pop(key))
                idle -= 1
        return dropped

    def close(self) -> None:
        with self._lock:
            entries = list(self._pools.values())
            self._pools.clear()
        for entry in entries:
            entry.transport.close()
