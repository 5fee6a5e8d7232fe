"""One poll cycle over many feeds: the real Pipeline (feed stage) over real SQLite, beside a plain feedparser loop.

A separate process serves N feeds (default 2,000) built from the real feed files of
../shared/corpora/news-feeds-xml and feedparser-tests, spread over 50 loopback hosts (127.0.0.1-50),
with ETags and 304s, uncompressed. The monitor process:

1. registers the feeds and primes them (one cycle, not measured: ETags, entries and item digests stored);
2. cycle A, all unchanged: every feed answers 304 -> CPU per unchanged feed;
3. then ``--rounds`` times (default 3): the server changes 10% of the feeds (a new item, a new ETag), and
   cycle B runs, the figure asked for: 90% unchanged, 10% changed -> wall time, feeds per second, and CPU
   per changed feed ((CPU_B - 0.9 N x CPU per unchanged) / 0.1 N); right after it, the peer runs. Each
   round gives a ratio; the median round is the result (the machine is shared and noisy).

Each cycle is ``Pipeline.poll_many`` (the daemon's cycle) over every feed on ``fetch.concurrency`` threads:
conditional GET through the guarded fetcher, parse (only the items not seen before), and per chunk of
500 feeds one transaction with the new entries (pending) and every feed's state and adaptive schedule.
Article page fetches are excluded (the entries' links point at the publishers' real sites). Politeness
delays are off (per_host_delay = 0); per-host concurrency stays at its default of 2. CPU is the monitor
process's own (time.process_time); peak memory is its maximum RSS (getrusage).

``--processes N`` (N > 1) runs every cycle, priming included, through ``FeedStageProcesses`` (the daemon's
``fetch.processes = N``): N spawned worker processes, each with ``fetch.concurrency`` threads, feeds sharded
by host. CPU is then the monitor process's own plus every worker's (each reports its process_time per shard);
the workers' peak RSS is printed on a line of its own.

The peer is a plain loop of ``feedparser.parse(url)`` over a sample of the same feeds that holds every feed
file equally often (at least ``--peer-sample`` feeds; no conditional GET, so every answer is a full 200).
The feed server is one asyncio process on the same cores as both.

    .venv/bin/python bench/fetch.py [--feeds 2000] [--peer-sample 200] [--processes 1] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
import urllib.request
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feedparser

from monitor.app import App
from monitor.config import Settings
from monitor.feedprocs import FeedStageProcesses
from monitor.sources import ParseError, parse_source

SHARED = Path(os.environ.get("MONITOR_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared"))
CORPORA = SHARED / "corpora"
HOSTS = 50
CHANGED_SHARE = 0.1


def load_bodies() -> list[bytes]:
    """Real feed files that parse as RSS/Atom/RDF with at least one entry, publishers' feeds first."""
    news, suite = [], []
    for folder, bucket in ((CORPORA / "news-feeds-xml", news), (CORPORA / "feedparser-tests", suite)):
        for path in sorted(folder.rglob("*")):
            if path.suffix not in (".xml", ".rss", ".atom", ".rdf") or not path.is_file():
                continue
            body = path.read_bytes()
            try:
                parsed = parse_source(body, "http://127.0.0.1/feed")
            except ParseError:
                continue
            if parsed.kind in ("rss", "atom", "rdf") and parsed.entries:
                bucket.append(body)
    return news + suite, len(news)  # type: ignore[return-value]


def with_new_item(body: bytes, index: int, version: int) -> bytes:
    """The feed with one more item (RSS/RDF ``<item>``, Atom ``<entry>``) before its first one."""
    link = f"http://bench.invalid/{index}/{version}.html"
    for tag, item in (
        (b"<item>", f"<item><title>New {index}.{version}</title><link>{link}</link></item>".encode()),
        (b"<item ", f"<item><title>New {index}.{version}</title><link>{link}</link></item>".encode()),
        (
            b"<entry>",
            f'<entry><title>New {index}.{version}</title><link href="{link}"/><id>{link}</id></entry>'.encode(),
        ),
    ):
        at = body.find(tag)
        if at >= 0:
            return body[:at] + item + body[at:]
    return body + b" "  # no item to copy: same entries, new bytes, new ETag


# -- the server (its own process) -------------------------------------------------------------------
def serve(bodies: list[bytes], count: int, port: int, ready: multiprocessing.synchronize.Event) -> None:
    feeds = [bodies[i % len(bodies)] for i in range(count)]
    versions = [0] * count

    def respond(head: bytes) -> bytes:
        lines = head.decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1]
        inm = next((ln.split(":", 1)[1].strip() for ln in lines[1:] if ln.lower().startswith("if-none-match:")), None)
        if path == "/_bump":
            for i in random.Random(7).sample(range(count), int(count * CHANGED_SHARE)):
                versions[i] += 1
                feeds[i] = with_new_item(feeds[i], i, versions[i])
            body, status, etag = b"ok", "200 OK", '"bump"'
        else:
            index = int(path.rsplit("/", 1)[1].split(".")[0])
            etag = f'"{index}-{versions[index]}"'
            if inm == etag:
                body, status = b"", "304 Not Modified"
            else:
                body, status = feeds[index], "200 OK"
        headers = f"HTTP/1.1 {status}\r\nETag: {etag}\r\nContent-Length: {len(body)}\r\n"
        if body:
            headers += "Content-Type: application/rss+xml\r\n"
        return headers.encode() + b"\r\n" + body

    class Handler(asyncio.Protocol):
        """A lean keep-alive HTTP/1.1 responder (a Protocol, not streams): the server shares the machine's cores
        with the process measured, so it should take as little of them as it can."""

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
                head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
                try:
                    answer = respond(head)
                except (IndexError, ValueError):
                    answer = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                self.transport.write(answer)  # type: ignore[attr-defined]

    async def main() -> None:
        loop = asyncio.get_running_loop()
        servers = [await loop.create_server(Handler, f"127.0.0.{h}", port, backlog=512) for h in range(1, HOSTS + 1)]
        ready.set()
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


def feed_url(port: int, index: int) -> str:
    return f"http://127.0.0.{index % HOSTS + 1}:{port}/f/{index}.xml"


# -- the monitor side --------------------------------------------------------------------------------
def cycle(app: App, ids: list[int], procs: FeedStageProcesses | None = None) -> tuple[float, float, int]:
    """One poll cycle over ``ids``: (wall seconds, CPU seconds of this process and the workers, feeds that
    failed or did not come back)."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    if procs is None:
        with ThreadPoolExecutor(max_workers=app.settings.fetch.concurrency) as pool:
            summaries = app.pipeline.poll_many(ids, pool)
        worker_cpu = 0.0
    else:
        before = procs.cpu_seconds
        summaries = procs.poll(ids)
        worker_cpu = procs.cpu_seconds - before
    failed = sum(1 for s in summaries if s.error) + len(ids) - len(summaries)
    return time.perf_counter() - wall, time.process_time() - cpu + worker_cpu, failed


def peer_loop(urls: list[str]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for url in urls:
            feedparser.parse(url)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--peer-sample", type=int, default=200, help="at least this many feeds for the peer")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--processes", type=int, default=1, help="fetch.processes (1: in-process threads)")
    parser.add_argument("--rounds", type=int, default=3, help="changed-feed cycles, each beside a peer loop")
    args = parser.parse_args()
    if not CORPORA.is_dir():
        print(f"skipped: the shared corpora are absent ({CORPORA}); set MONITOR_SHARED_DIR to run")
        return 0
    bodies, news = load_bodies()
    port = random.randint(20000, 60000)
    ready = multiprocessing.get_context("fork").Event()
    server = multiprocessing.get_context("fork").Process(
        target=serve, args=(bodies, args.feeds, port, ready), daemon=True
    )
    server.start()
    if not ready.wait(30):
        print("the feed server did not start")
        return 1
    sizes = sorted(len(bodies[i % len(bodies)]) for i in range(args.feeds))
    print(
        f"{args.feeds} feeds from {len(bodies)} real files ({news} publisher feeds), {HOSTS} hosts; "
        f"body sizes median {sizes[len(sizes) // 2]:,} B, max {sizes[-1]:,} B"
    )
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate(
            {
                "database": {"url": f"sqlite:///{tmp}/bench.db"},
                "fetch": {
                    "allow_private_addresses": True,
                    "per_host_delay": "0s",
                    "concurrency": args.concurrency,
                    "processes": args.processes,
                    "robots": False,
                },
                "feeds": [{"name": f"f{i}", "url": feed_url(port, i)} for i in range(args.feeds)],
            }
        )
        app = App.open(settings)
        procs = FeedStageProcesses(settings, app.sessions) if args.processes > 1 else None
        if procs is None:
            print(f"mode: in-process, {args.concurrency} threads (fetch.processes = 1)")
        else:
            print(
                f"mode: {args.processes} worker processes x {args.concurrency} threads, feeds sharded by host "
                f"(fetch.processes = {args.processes}); CPU counts the workers'"
            )
        rounds: list[tuple[float, float, int, float, float]] = []  # (B wall, B CPU, B failed, peer wall, CPU)
        # Feed i serves file i mod F, so the first F x k feeds hold every file k times: the peer's mix of
        # sizes is the cycle's, whatever --feeds is.
        copies = max(1, -(-args.peer_sample // len(bodies)))
        sample = [feed_url(port, i) for i in range(min(args.feeds, len(bodies) * copies))]
        try:
            app.pipeline.sync_feeds()
            ids = app.pipeline.feed_ids()
            prime_wall, _, prime_failed = cycle(app, ids, procs)
            print(f"priming cycle (all 200, not measured): {prime_wall:.1f} s, {prime_failed} feeds failed")
            a_wall, a_cpu, a_failed = cycle(app, ids, procs)
            for _ in range(args.rounds):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_bump", timeout=10).read()
                rounds.append((*cycle(app, ids, procs), *peer_loop(sample)))
        finally:
            worker_rss = sorted(procs.peak_rss_kb.values()) if procs is not None else []
            if procs is not None:
                procs.close()
            app.close()
    server.terminate()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = len(ids)
    changed = int(n * CHANGED_SHARE)
    unchanged_ms = a_cpu / n * 1000
    print(
        f"cycle A, all unchanged: {a_wall:.2f} s wall, {n / a_wall:,.0f} feeds/s, CPU {unchanged_ms:.2f} ms per feed"
        f" ({a_failed} failed)"
    )

    def changed_cpu_ms(b_cpu: float) -> float:
        """CPU per changed feed: cycle B's CPU less the unchanged feeds' share at cycle A's rate."""
        return (b_cpu - (n - changed) * a_cpu / n) / changed * 1000

    ratios = []
    for number, (b_wall, b_cpu, b_failed, p_wall, p_cpu) in enumerate(rounds, start=1):
        ours_fps, peer_fps = n / b_wall, len(sample) / p_wall
        changed_ms = changed_cpu_ms(b_cpu)
        ratios.append((ours_fps / peer_fps, number))
        print(
            f"round {number}: cycle B, 90% unchanged: {b_wall:.2f} s wall, {ours_fps:,.0f} feeds/s, "
            f"CPU {b_cpu / n * 1000:.2f} ms per feed, {changed_ms:.2f} ms per changed feed ({b_failed} failed); "
            f"peer {peer_fps:,.1f} feeds/s (CPU {p_cpu / len(sample) * 1000:.2f} ms per feed); "
            f"ratio {ours_fps / peer_fps:.1f}x"
        )
    ratio, middle = sorted(ratios)[len(ratios) // 2]
    b_wall, b_cpu, _b_failed, p_wall, _p_cpu = rounds[middle - 1]
    ours_fps = n / b_wall
    changed_ms = changed_cpu_ms(b_cpu)
    print(f"median round ({middle} of {len(rounds)}):")
    print(f"  cycle B {b_wall:.2f} s wall, {ours_fps:,.0f} feeds/s (10,000 feeds: {10_000 / ours_fps:.0f} s)")
    print(f"  CPU per unchanged feed {unchanged_ms:.2f} ms, per changed feed {changed_ms:.2f} ms ({changed} changed)")
    print(f"  peak RSS of the monitor process {peak_mb:.0f} MB")
    if worker_rss:
        print(f"  peak RSS of each worker process {', '.join(f'{kb / 1024:.0f}' for kb in worker_rss)} MB")
    print(f"  peer, feedparser.parse(url) loop over {len(sample)} of the same feeds: {len(sample) / p_wall:,.1f}/s")
    print(f"ratio: {ratio:.1f}x the plain loop's feeds per second (median of {len(rounds)} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
