"""The feed stage (fetch, parse, store) in worker processes, so a big poll cycle uses every core.

``fetch.processes`` > 1 gives the daemon a persistent pool of spawned worker processes. Each worker opens
its own App (engine, sessions, Fetcher; no migration) once and keeps a thread pool of ``fetch.concurrency``
threads; it lives across cycles. A cycle's due feeds are sharded by host (the netloc of each feed's
current URL, read in the parent), so every feed of one host is fetched by one worker and the Fetcher's
per-host concurrency and delay stay exact; shards are balanced greedily by feed count. Each worker runs
``Pipeline.poll_many`` on its shard and sends back the summaries and the CPU seconds it used.

A worker that dies (killed, out of memory) breaks the pool: the summaries that came back are returned,
a warning names how many feeds were lost, and the pool is rebuilt. The lost feeds keep their old
``next_check_at``, so the next cycle polls them; entries are inserted with ON CONFLICT-style dedup and a
feed's state is written after its entries, so nothing is lost or stored twice.
"""

from __future__ import annotations

import gc
import heapq
import logging
import multiprocessing
import multiprocessing.util
import os
import resource
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from monitor.app import App
from monitor.config import Settings
from monitor.db.models import Feed
from monitor.pipeline import PollSummary

log = logging.getLogger("monitor.feedprocs")

START_METHOD = "spawn"  # a fresh interpreter: no inherited connections, locks or threads of the daemon
ORPHAN_CHECK_SECONDS = 2.0


# -- sharding (pure) ------------------------------------------------------------------------------
def feed_host(url: str) -> str:
    """The key the Fetcher's per-host gate uses for a URL (its netloc, lower-cased)."""
    return urlsplit(url).netloc.lower()


def plan_shards(hosts: Mapping[int, str], count: int) -> list[list[int]]:
    """Split feed ids into at most ``count`` shards, all feeds of one host in one shard, balanced greedily by
    feed count (biggest host first onto the lightest shard). Empty shards are left out."""
    groups: dict[str, list[int]] = defaultdict(list)
    for feed_id, host in hosts.items():
        groups[host].append(feed_id)
    shards: list[list[int]] = [[] for _ in range(max(1, min(count, len(groups))))]
    loads = [(0, index) for index in range(len(shards))]
    for _host, ids in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        load, index = heapq.heappop(loads)
        shards[index].extend(ids)
        heapq.heappush(loads, (load + len(ids), index))
    return [shard for shard in shards if shard]


# -- the worker side --------------------------------------------------------------------------------
@dataclass
class ShardResult:
    """What one worker sends back for one shard."""

    pid: int
    summaries: list[PollSummary]
    cpu_seconds: float  # the worker's time.process_time() spent on the shard (all its threads)
    peak_rss_kb: int  # the worker's maximum resident set size so far
    error: str | None = None
    database_error: bool = False


@dataclass(frozen=True)
class _LogSetup:
    """The parent's logging levels and line format, repeated in each worker (whose lines go to the same stderr)."""

    levels: dict[str, int]
    format: str | None

    @classmethod
    def current(cls) -> _LogSetup:
        root = logging.getLogger()
        levels = {"": root.level}
        for name, logger in logging.Logger.manager.loggerDict.items():
            if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
                levels[name] = logger.level
        fmt = next((h.formatter._fmt for h in root.handlers if h.formatter is not None), None)
        return cls(levels, fmt)

    def apply(self) -> None:
        logging.basicConfig(format=self.format or logging.BASIC_FORMAT)
        for name, level in self.levels.items():
            (logging.getLogger(name) if name else logging.getLogger()).setLevel(level)


@dataclass
class _Worker:
    app: App
    pool: ThreadPoolExecutor


_worker: _Worker | None = None


def _init_worker(settings: Settings, logging_setup: _LogSetup, parent_pid: int) -> None:
    """Once per worker process: logging, its own App and thread pool, and a watch for the parent's death."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the daemon decides
    logging_setup.apply()
    app = App.open(settings, migrate=False)
    pool = ThreadPoolExecutor(max_workers=settings.fetch.concurrency, thread_name_prefix="feed")
    _worker = _Worker(app, pool)
    gc.freeze()  # the start-up heap (modules, mappings, settings) is never garbage: keep it out of every GC pass

    def cleanup() -> None:
        pool.shutdown(wait=True, cancel_futures=True)
        app.close()

    multiprocessing.util.Finalize(None, cleanup, exitpriority=10)
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), name="orphan-watch", daemon=True).start()


def _exit_when_orphaned(parent_pid: int) -> None:
    """A worker whose daemon died (SIGKILL, OOM) must not linger: its open transactions roll back on exit."""
    while True:
        time.sleep(ORPHAN_CHECK_SECONDS)
        if os.getppid() != parent_pid:
            os._exit(1)


def _run_shard(feed_ids: list[int]) -> ShardResult:
    worker = _worker
    assert worker is not None, "feed-stage worker not initialised"
    started = time.process_time()
    summaries: list[PollSummary] = []
    error: str | None = None
    database_error = False
    try:
        summaries = worker.app.pipeline.poll_many(feed_ids, worker.pool)
    except DBAPIError as exc:  # the parent logs it; exceptions themselves may not survive pickling
        error, database_error = f"database unavailable ({exc.orig})", True
    except Exception as exc:
        log.exception("feed stage of %d feeds failed unexpectedly", len(feed_ids))
        error = f"{type(exc).__name__}: {exc}"
    return ShardResult(
        pid=os.getpid(),
        summaries=summaries,
        cpu_seconds=time.process_time() - started,
        peak_rss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        error=error,
        database_error=database_error,
    )


# -- the parent side --------------------------------------------------------------------------------
@dataclass
class FeedStageProcesses:
    """A persistent pool of feed-stage worker processes; ``poll`` is one cycle, ``close`` ends it.

    ``poll`` is not meant to run concurrently with itself (the daemon's dispatch job has one instance);
    ``close`` may come from another thread.
    """

    settings: Settings
    sessions: sessionmaker[Session]
    stop: threading.Event = field(default_factory=threading.Event)
    cpu_seconds: float = 0.0  # the workers' CPU over every shard returned so far
    peak_rss_kb: dict[int, int] = field(default_factory=dict)  # per worker pid
    _pool: ProcessPoolExecutor | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _closed: bool = field(default=False, init=False, repr=False)

    @property
    def processes(self) -> int:
        return self.settings.fetch.processes

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context(START_METHOD),
            initializer=_init_worker,
            initargs=(self.settings, _LogSetup.current(), os.getpid()),
        )

    def worker_processes(self) -> list[BaseProcess]:
        """The live pool's worker processes (started on demand by the first cycle)."""
        pool = self._pool
        processes: Mapping[int, BaseProcess] = getattr(pool, "_processes", None) or {}
        return list(processes.values())

    def _usable_pool(self) -> ProcessPoolExecutor:
        """The pool, rebuilt first when one of its workers has died since the last cycle (under ``_lock``)."""
        if self._closed:
            raise RuntimeError("the feed-stage processes are closed")
        if self._pool is not None:
            dead = [p for p in self.worker_processes() if not p.is_alive()]
            if dead:
                log.warning(
                    "feed-stage worker process %s exited (code %s) between cycles; starting new workers",
                    dead[0].pid,
                    dead[0].exitcode,
                )
                self._discard_pool()
        if self._pool is None:
            self._pool = self._new_pool()
        return self._pool

    def _discard_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _hosts(self, feed_ids: Sequence[int]) -> dict[int, str]:
        hosts: dict[int, str] = {}
        with self.sessions() as session:
            for start in range(0, len(feed_ids), 500):
                chunk = feed_ids[start : start + 500]
                for feed_id, url in session.execute(select(Feed.id, Feed.current_url).where(Feed.id.in_(chunk))):
                    hosts[feed_id] = feed_host(url)
        return hosts

    def _submit(self, shards: list[list[int]]) -> list[tuple[list[int], Future[ShardResult]]]:
        with self._lock:
            for attempt in (1, 2):
                pool = self._usable_pool()
                try:
                    return [(shard, pool.submit(_run_shard, shard)) for shard in shards]
                except BrokenProcessPool:  # a worker died after the check: nothing of this cycle ran yet
                    if attempt == 2:
                        raise
                    log.warning("feed-stage worker pool broken before the cycle; starting new workers")
                    self._discard_pool()
        raise AssertionError("unreachable")

    def poll(self, feed_ids: Sequence[int]) -> list[PollSummary]:
        """The feed stage for these feeds on the worker processes; one summary per feed polled.

        Raises DBAPIError when the parent cannot read the feeds' URLs (like ``poll_many``). A worker's database
        error or death is a warning: its shard's feeds are polled again next cycle.
        """
        if not feed_ids:
            return []
        shards = plan_shards(self._hosts(feed_ids), self.processes)
        if not shards:
            return []
        summaries: list[PollSummary] = []
        lost = 0
        for shard, future in self._submit(shards):
            try:
                result = future.result()
            except (BrokenProcessPool, CancelledError):
                lost += len(shard)
                continue
            self.cpu_seconds += result.cpu_seconds
            self.peak_rss_kb[result.pid] = result.peak_rss_kb
            summaries.extend(result.summaries)
            if result.database_error:
                log.warning(
                    "feed stage of %d feeds in worker %d stopped: %s; they are retried",
                    len(shard),
                    result.pid,
                    result.error,
                )
            elif result.error:
                log.error("feed stage of %d feeds in worker %d failed: %s", len(shard), result.pid, result.error)
        if lost:
            with self._lock:
                stopping = self._closed or self.stop.is_set()
                if not stopping:
                    self._discard_pool()  # the next cycle starts new workers
            if not stopping:
                log.warning(
                    "a feed-stage worker process died: %d of %d feeds may not have been polled this cycle; "
                    "they are polled again next cycle (new workers are started)",
                    lost,
                    len(feed_ids),
                )
        return summaries

    def close(self, wait: bool = True) -> None:
        """Stop the workers: queued shards are cancelled, running ones finish (when ``wait``, this waits)."""
        with self._lock:
            self._closed = True
            pool = self._pool
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)

    def kill(self) -> None:
        """Kill the workers at once (the daemon's shutdown grace ran out; their transactions roll back)."""
        for process in self.worker_processes():
            if process.is_alive():
                process.kill()

    def __enter__(self) -> FeedStageProcesses:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
