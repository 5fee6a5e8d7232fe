"""WebSub (W3C): subscribe to the hub a feed advertises, confirm the hub's intent check, take signed pushes.

Each subscription has a random callback token (the last path segment of ``{public_url}/websub/{token}``)
and its own secret. A push whose ``X-Hub-Signature`` does not match is answered 2xx (as the spec asks)
and dropped. A valid push is parsed like a polled feed and its entries are stored as pending; the
caller then processes them as a poll does. Polling goes on as the fallback.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from monitor.config import Settings
from monitor.db.models import Feed, WebSubSubscription
from monitor.fetch import Fetcher, FetchError
from monitor.pipeline import Pipeline
from monitor.sources import parse_source
from monitor.sources.model import ParseError

log = logging.getLogger("monitor.websub")

CALLBACK_PREFIX = "/websub/"
RENEW_BEFORE = 0.2  # renew when less than this share of the lease is left
RETRY_AFTER = timedelta(hours=1)  # a request the hub never confirmed (or refused) is retried after this
_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Check an ``X-Hub-Signature`` header (``method=hexdigest``, sha1/sha256/sha384/sha512) in constant time."""
    if not header or "=" not in header:
        return False
    method, _, digest = header.strip().partition("=")
    algorithm = _DIGESTS.get(method.strip().lower())
    if algorithm is None:
        return False
    expected = hmac.new(secret.encode(), body, algorithm).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer for the callback: status, body, and the feed whose pending entries to process."""

    status: int
    body: bytes = b""
    feed_id: int | None = None


class WebSub:
    """Subscriptions, intent verification and pushes; thread-safe (every call opens its own session)."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        fetcher: Fetcher,
        pipeline: Pipeline,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if settings.daemon.public_url is None:
            raise ValueError("WebSub needs daemon.public_url")
        self.base = settings.daemon.public_url.rstrip("/")
        self.lease = settings.daemon.websub_lease
        self.max_body = settings.fetch.max_body_bytes
        self.max_entries = settings.fetch.max_entries_per_poll
        self.sessions = sessions
        self.fetcher = fetcher
        self.pipeline = pipeline
        self.clock = clock

    def callback_url(self, token: str) -> str:
        return f"{self.base}{CALLBACK_PREFIX}{token}"

    # -- subscribing ----------------------------------------------------------------------------
    def ensure_subscriptions(self) -> int:
        """Subscribe feeds advertising a hub, renew leases running out, retry stale requests; returns requests sent."""
        now = self.clock()
        todo: list[int] = []
        with self.sessions.begin() as session:
            subs = {s.feed_id: s for s in session.scalars(select(WebSubSubscription))}
            feeds = session.scalars(
                select(Feed).where(Feed.enabled.is_(True), Feed.hub_url.is_not(None), Feed.topic_url.is_not(None))
            )
            for feed in feeds:
                sub = subs.get(feed.id)
                hub, topic = str(feed.hub_url), str(feed.topic_url)
                if sub is None:
                    sub = WebSubSubscription(
                        feed_id=feed.id,
                        hub_url=hub,
                        topic_url=topic,
                        token=secrets.token_urlsafe(24),
                        secret=secrets.token_hex(32),
                        state="new",
                        requested_at=now,
                    )
                    session.add(sub)
                    session.flush()
                elif (sub.hub_url, sub.topic_url) != (hub, topic):
                    sub.hub_url, sub.topic_url, sub.state = hub, topic, "new"
                if self._needs_request(sub, now):
                    todo.append(sub.id)
            # Feeds disabled, removed or no longer advertising their hub: end their subscriptions.
            leaving = session.scalars(
                select(WebSubSubscription.id)
                .join(Feed, Feed.id == WebSubSubscription.feed_id)
                .where(
                    WebSubSubscription.state.in_(("active", "requested")),
                    Feed.enabled.is_(False) | Feed.hub_url.is_(None),
                )
            ).all()
        for sub_id in todo:
            self.request(sub_id)
        for sub_id in leaving:
            self.request(sub_id, mode="unsubscribe")
        return len(todo) + len(leaving)

    def _needs_request(self, sub: WebSubSubscription, now: datetime) -> bool:
        if sub.state in ("new", "unsubscribed"):
            return True
        if sub.state == "active" and sub.lease_expires_at is not None:
            return sub.lease_expires_at - now < self.lease * RENEW_BEFORE
        return now - sub.requested_at > RETRY_AFTER  # requested but never verified, denied, or failed

    def request(self, sub_id: int, mode: str = "subscribe") -> bool:
        """Send a (un)subscription request to the hub; the hub then verifies intent at the callback."""
        with self.sessions() as session:
            sub = session.get(WebSubSubscription, sub_id)
            if sub is None:
                return False
            form = {
                "hub.mode": mode,
                "hub.topic": sub.topic_url,
                "hub.callback": self.callback_url(sub.token),
                "hub.secret": sub.secret,
                "hub.lease_seconds": str(int(self.lease.total_seconds())),
            }
            hub = sub.hub_url
        # The state is recorded before the request: a hub may verify intent before it even answers it.
        waiting = "requested" if mode == "subscribe" else "unsubscribing"
        row = update(WebSubSubscription).where(WebSubSubscription.id == sub_id)
        with self.sessions.begin() as session:
            session.execute(row.values(state=waiting, requested_at=self.clock(), last_error=None))
        try:
            self.fetcher.post_form(hub, form)
        except FetchError as exc:
            log.warning("websub %s at %s failed: %s", mode, hub, exc)
            with self.sessions.begin() as session:  # unless the hub verified it meanwhile
                session.execute(
                    row.where(WebSubSubscription.state == waiting).values(
                        state="failed", last_error=f"hub refused the request: {exc}"
                    )
                )
            return False
        return True

    # -- the callback ---------------------------------------------------------------------------
    def verify(self, token: str, params: Mapping[str, str]) -> Reply:
        """Answer the hub's intent verification (GET on the callback): echo the challenge when it is ours."""
        mode = params.get("hub.mode", "")
        with self.sessions.begin() as session:
            sub = session.scalar(select(WebSubSubscription).where(WebSubSubscription.token == token))
            if sub is None:
                return Reply(404, b"unknown subscription")
            if params.get("hub.topic") != sub.topic_url:
                return Reply(404, b"topic does not match")
            if mode == "denied":
                sub.state, sub.last_error = "denied", f"hub denied: {params.get('hub.reason', 'no reason given')}"
                return Reply(200, b"")
            challenge = params.get("hub.challenge")
            if mode not in ("subscribe", "unsubscribe") or not challenge:
                return Reply(400, b"expected hub.mode and hub.challenge")
            if mode == "unsubscribe" and sub.state != "unsubscribing":
                return Reply(404, b"no unsubscription was asked for")
            now = self.clock()
            lease = params.get("hub.lease_seconds", "")
            seconds = int(lease) if lease.isdigit() else int(self.lease.total_seconds())
            if mode == "subscribe":
                sub.state, sub.verified_at, sub.last_error = "active", now, None
                sub.lease_expires_at = now + timedelta(seconds=seconds)
            else:
                sub.state, sub.lease_expires_at = "unsubscribed", None
        log.info("websub %s verified for %s", mode, params.get("hub.topic"))
        return Reply(200, challenge.encode())

    def receive(self, token: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Take a pushed feed document: check its signature, store its entries as pending.

        ``headers`` have lower-case names. The reply names the feed to process when entries were stored.
        """
        if len(body) > self.max_body:
            return Reply(413, b"body too large")
        with self.sessions() as session:
            sub = session.scalar(select(WebSubSubscription).where(WebSubSubscription.token == token))
            if sub is None or sub.state not in ("active", "requested"):
                return Reply(410 if sub is not None else 404, b"no such subscription")
            secret, feed_id, topic, sub_id = sub.secret, sub.feed_id, sub.topic_url, sub.id
        signature = headers.get("x-hub-signature-256")
        signature = f"sha256={signature.split('=', 1)[-1]}" if signature else headers.get("x-hub-signature")
        if not signature_ok(secret, body, signature):
            log.warning("websub push for feed %s dropped: missing or wrong signature", feed_id)
            self._note(sub_id, error="push dropped: missing or wrong X-Hub-Signature")
            return Reply(202, b"")  # the spec asks for 2xx, so a forger learns nothing
        try:
            parsed = parse_source(body, topic, headers.get("content-type"), max_entries=self.max_entries)
        except ParseError as exc:
            self._note(sub_id, error=f"push not parsed: {exc}")
            return Reply(202, b"")
        stored = self.pipeline.store_push(feed_id, parsed)
        self._note(sub_id, pushed=True)
        log.info("websub push for feed %s: %d entries, %d new", feed_id, len(parsed.entries), stored)
        return Reply(202, b"", feed_id if stored else None)

    def _note(self, sub_id: int, *, pushed: bool = False, error: str | None = None) -> None:
        values: dict[str, object] = {"last_error": error}
        if pushed:
            values |= {"last_push_at": self.clock(), "pushes": WebSubSubscription.pushes + 1}
        with self.sessions.begin() as session:
            session.execute(update(WebSubSubscription).where(WebSubSubscription.id == sub_id).values(**values))
