"""The daemon: APScheduler as the clock, the database as the record of what is due.

A dispatch job picks due feeds (``next_check_at`` in the database, so a restart resumes the
schedule) and hands them to a worker pool; a delivery job drains the alert outbox; a spike job
runs the detector each bucket. SIGTERM and SIGINT stop it: no new work starts, work in flight
gets a grace period, and every write is a whole transaction, so nothing is left half-written.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import gc
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import DBAPIError

from monitor.alerts.scheduled import write_scheduled_alerts
from monitor.app import App
from monitor.db.engine import sqlite_path
from monitor.db.fingerprint_index import index_is_current
from monitor.feedprocs import FeedStageProcesses
from monitor.httpd import DaemonHTTP
from monitor.websub import WebSub

log = logging.getLogger("monitor.daemon")


def guarded(func: Callable[[], None]) -> Callable[[], None]:
    """Run a scheduled job so that a database outage is one log line and the next run simply tries again."""

    @functools.wraps(func)
    def run() -> None:
        try:
            func()
        except DBAPIError as exc:
            log.warning("%s: database unavailable (%s); trying again at the next run", func.__name__, exc.orig)
        except Exception:
            log.exception("%s failed unexpectedly; trying again at the next run", func.__name__)

    return run


class AlreadyRunning(Exception):
    """Another daemon holds the database's lock."""


@contextlib.contextmanager
def single_instance(database_url: str) -> Iterator[None]:
    """On SQLite, hold an exclusive lock file beside the database for the daemon's lifetime."""
    path = sqlite_path(database_url)
    if path is None:
        yield  # PostgreSQL: several daemons may share a database (rows are claimed with locks)
        return
    lock_path = Path(f"{path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise AlreadyRunning(
                f"another monitor daemon (pid {holder}) is already running on {path}; "
                "stop it first, or point this one at another database"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


class Daemon:
    def __init__(self, app: App) -> None:
        self.app = app
        self.settings = app.settings
        self.executor = ThreadPoolExecutor(
            max_workers=self.settings.fetch.concurrency, thread_name_prefix="poll"
        )
        # Feed fetches run apart from page work, so a feed's slow pages never hold up the next cycle.
        self.feed_pool = ThreadPoolExecutor(max_workers=self.settings.fetch.concurrency, thread_name_prefix="feed")
        # fetch.processes > 1: the feed stage runs in worker processes instead (started by the first cycle).
        self.feed_procs = (
            FeedStageProcesses(self.settings, app.sessions, app.stop) if self.settings.fetch.processes > 1 else None
        )
        self.inflight: set[int] = set()
        self.inflight_lock = threading.Lock()
        self.spike_lock = threading.Lock()
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.websub = (
            WebSub(self.settings, app.sessions, app.fetcher, app.pipeline)
            if self.settings.daemon.public_url
            else None
        )
        self.http: DaemonHTTP | None = None

    # -- jobs ---------------------------------------------------------------------------------
    def dispatch(self) -> None:
        if self.app.stop.is_set():
            return
        due = self.app.pipeline.due_feeds()
        ids: list[int] = []
        with self.inflight_lock:
            for feed_id in due:
                if feed_id not in self.inflight:
                    self.inflight.add(feed_id)
                    ids.append(feed_id)
        if not ids:
            return
        with_pages: set[int] = set()
        try:
            # The feed stage for all due feeds at once (each chunk of 500 feeds written in one transaction),
            # then page work for each feed that has pending entries.
            if self.feed_procs is not None:
                self.feed_procs.poll(ids)
            else:
                self.app.pipeline.poll_many(ids, self.feed_pool)
            with_pages = self.app.pipeline.pending_feeds(ids)
        except DBAPIError as exc:
            log.warning("poll cycle of %d feeds stopped: database unavailable (%s); it is retried", len(ids), exc.orig)
        except Exception:
            if not self.app.stop.is_set():
                log.exception("poll cycle of %d feeds failed unexpectedly", len(ids))
        finally:
            with self.inflight_lock:
                self.inflight.difference_update(set(ids) - with_pages)
        for feed_id in with_pages:
            try:
                self.executor.submit(self._process_pages, feed_id)
            except RuntimeError:  # stopping: the pending entries wait for the next start
                with self.inflight_lock:
                    self.inflight.discard(feed_id)

    def pushed(self, feed_id: int) -> None:
        """A WebSub push stored entries: fetch their pages now (a poll in flight leaves them to the next one)."""
        with self.inflight_lock:
            if feed_id in self.inflight or self.app.stop.is_set():
                return
            self.inflight.add(feed_id)
        self.executor.submit(self._process_pages, feed_id)

    def _process_pages(self, feed_id: int) -> None:
        """Fetch and store the pages of a feed's pending entries (after a poll or a push)."""
        try:
            summary = self.app.pipeline.process_pending(feed_id)
            if summary.watchlists and not self.app.stop.is_set():
                self.spikes()
                self.deliver()
        except DBAPIError as exc:
            log.warning("pages of feed %s stopped: database unavailable (%s); they are retried", feed_id, exc.orig)
        except Exception:
            log.exception("pages of feed %s failed unexpectedly", feed_id)
        finally:
            with self.inflight_lock:
                self.inflight.discard(feed_id)

    def subscribe(self) -> None:
        if self.websub is not None and not self.app.stop.is_set():
            self.websub.ensure_subscriptions()

    def _start_http(self) -> None:
        address = self.settings.daemon.http
        if not address:
            return
        try:
            self.http = DaemonHTTP(
                address, self.app.sessions, self.websub, self.pushed, self.settings.fetch.max_body_bytes
            )
        except OSError as exc:
            log.error("HTTP server not started on %s: %s (GET /health and WebSub pushes are off)", address, exc)
            return
        self.http.start()
        log.info("HTTP server on %s (GET /health%s)", address, ", WebSub callbacks" if self.websub else "")

    def spikes(self) -> None:
        with self.spike_lock:
            self.app.watcher.run()

    def operator_alerts(self) -> None:
        """Feed-health alerts and daily digests that are due."""
        write_scheduled_alerts(self.settings, self.app.sessions)

    def deliver(self) -> None:
        report = self.app.deliverer.deliver_due()
        if report.sent or report.failed or report.retrying:
            log.info("alerts sent=%d retrying=%d failed=%d", report.sent, report.retrying, report.failed)

    # -- lifecycle ----------------------------------------------------------------------------
    def _job(self, func: Callable[[], None], seconds: float, grace: int) -> None:
        self.scheduler.add_job(
            guarded(func),
            "interval",
            seconds=seconds,
            next_run_time=datetime.now(UTC),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=grace,
        )

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        self.app.stop.set()

    def run(self) -> None:
        """Run until SIGTERM or SIGINT."""
        settings = self.settings
        with single_instance(settings.database_url):
            self.app.pipeline.sync_feeds()
            with self.app.sessions() as session:
                if not index_is_current(session):
                    log.warning(
                        "the repost index was built with other fingerprint parameters; "
                        "run 'monitor dedup reindex' so older articles are matched again"
                    )
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, self._on_signal)
            tick = settings.daemon.tick.total_seconds()
            self._job(self.dispatch, tick, int(tick * 2) + 1)
            self._job(self.deliver, settings.alerts.deliver_every.total_seconds(), 60)
            self._job(self.spikes, min(settings.spikes.bucket.total_seconds(), 300), 300)
            self._job(self.operator_alerts, 60, 300)
            if self.websub is not None:
                self._job(self.subscribe, tick, 300)
            self._start_http()
            gc.freeze()  # the start-up heap is never garbage: full collections then scan only what cycles make
            self.scheduler.start()
            log.info(
                "monitor running: %d feeds, %d watchlists, %d channels, database %s",
                len(settings.feeds),
                len(settings.watchlists),
                len(settings.channels),
                settings.database.url,
            )
            self.app.stop.wait()
            self._shutdown()

    def _shutdown(self) -> None:
        grace = self.settings.daemon.shutdown_grace.total_seconds()
        self.scheduler.shutdown(wait=False)
        if self.http is not None:
            self.http.stop()
        self.feed_pool.shutdown(wait=False, cancel_futures=True)
        if self.feed_procs is not None:
            self.feed_procs.close(wait=False)
        self.executor.shutdown(wait=False, cancel_futures=True)
        done = threading.Event()

        def wait_workers() -> None:
            self.feed_pool.shutdown(wait=True)
            if self.feed_procs is not None:
                self.feed_procs.close(wait=True)
            self.executor.shutdown(wait=True)
            done.set()

        threading.Thread(target=wait_workers, daemon=True).start()
        if done.wait(grace):
            log.info("stopped cleanly")
        else:
            log.warning("work still running after %.0fs grace; exiting (open transactions roll back)", grace)
            if self.feed_procs is not None:
                self.feed_procs.kill()
            logging.shutdown()
            os._exit(0)
