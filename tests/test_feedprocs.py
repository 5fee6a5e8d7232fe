"""The feed stage in worker processes (fetch.processes > 1): real feeds on two local hosts, a real database,
real spawned workers, one of them killed with SIGKILL; and a real ``monitor run`` daemon with two workers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from monitor.app import App
from monitor.config import ConfigError, parse_settings
from monitor.db.engine import make_engine, make_sessionmaker
from monitor.db.models import Article, Entry, Feed
from monitor.demo.server import site_routes
from monitor.feedprocs import FeedStageProcesses, feed_host, plan_shards
from tests.conftest import FIXTURES, wait_until, write_config
from tests.servers import Site, serve

SOURCES = FIXTURES / "sources"
# (file, content type, entries it lists): three feeds on each of two hosts.
HOST_A = [
    ("koreatimes-excerpt.rss", "application/rss+xml", 3),
    ("uol-portuguese-dates.rss", "application/rss+xml", 15),
    ("heise-excerpt.atom", "application/atom+xml", 3),
]
HOST_B = [
    ("heise-excerpt.rdf", "application/rdf+xml", 3),
    ("oren-ru-windows-1251.xml", "application/rss+xml", 10),
    ("scienceshumaines-latin1-undeclared.xml", "application/rss+xml", 9),
]
EXPECTED_ENTRIES = sum(n for _f, _c, n in HOST_A + HOST_B)


@pytest.fixture
def two_hosts() -> Iterator[tuple[Site, Site]]:
    a, b = Site(), Site()
    with serve(a), serve(b):
        for site, files in ((a, HOST_A), (b, HOST_B)):
            for name, ctype, _n in files:
                site.add(f"/feeds/{name}", (SOURCES / name).read_bytes(), ctype)
        yield a, b


def _feeds(a: Site, b: Site) -> list[tuple[str, str]]:
    return [(f"a-{name}", f"{a.base}/feeds/{name}") for name, _c, _n in HOST_A] + [
        (f"b-{name}", f"{b.base}/feeds/{name}") for name, _c, _n in HOST_B
    ]


def _app(tmp_path: Path, db_url: str, a: Site, b: Site) -> App:
    config = write_config(tmp_path / "monitor.toml", db_url, feeds=_feeds(a, b), extra="")
    text_ = config.read_text().replace("[fetch]\n", "[fetch]\nprocesses = 2\nconcurrency = 3\n")
    settings = parse_settings(text_, config)
    assert settings.fetch.processes == 2
    app = App.open(settings)
    app.pipeline.sync_feeds()
    return app


def _entries(app: App) -> list[tuple[int, str]]:
    with app.sessions() as session:
        return [(row.feed_id, row.url) for row in session.execute(select(Entry.feed_id, Entry.url))]


def _make_due(app: App) -> None:
    with app.sessions.begin() as session:
        session.execute(update(Feed).values(next_check_at=datetime.now(UTC) - timedelta(seconds=1)))


def _all_scheduled_ahead(app: App) -> bool:
    with app.sessions() as session:
        return all(f.next_check_at > datetime.now(UTC) for f in session.scalars(select(Feed)))


def _paths(site: Site, files: list[tuple[str, str, int]]) -> list[str]:
    return [f"/feeds/{name}" for name, _c, _n in files]


def test_plan_shards_keeps_each_host_whole_and_balances_by_count() -> None:
    hosts = {i: "big.example" for i in range(10)}
    hosts |= {10 + i: f"h{i % 4}.example" for i in range(12)}  # four hosts of three feeds
    shards = plan_shards(hosts, 2)
    assert len(shards) == 2
    assert sorted(i for shard in shards for i in shard) == sorted(hosts)
    for shard in shards:
        for other in shards:
            if other is not shard:
                assert not {hosts[i] for i in shard} & {hosts[i] for i in other}
    assert sorted(len(s) for s in shards) == [10, 12]
    assert plan_shards({1: "x", 2: "x"}, 4) == [[1, 2]]  # fewer hosts than processes: fewer shards
    assert plan_shards({}, 2) == []
    assert feed_host("http://127.0.0.1:8080/a") == "127.0.0.1:8080" != feed_host("http://127.0.0.1:8081/a")


def _gone(pid: int, seconds: float = 10) -> bool:
    """Whether the process has exited (and been reaped, by the pool's own thread or here) within ``seconds``.
    Process.exitcode is not reliable for a pool's worker: the pool's management thread may reap it first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # a zombie of ours: reap it
        time.sleep(0.05)
    return False


def test_two_processes_poll_store_once_then_304_and_survive_a_killed_worker(
    tmp_path: Path, db_url: str, two_hosts: tuple[Site, Site]
) -> None:
    a, b = two_hosts
    app = _app(tmp_path, db_url, a, b)
    stage = FeedStageProcesses(app.settings, app.sessions)
    try:
        ids = app.pipeline.due_feeds()
        assert len(ids) == 6

        # Cycle 1: every feed fetched once (200), each entry stored once, one summary per feed.
        first = stage.poll(ids)
        assert sorted(s.feed for s in first) == sorted(name for name, _url in _feeds(a, b))
        assert all(s.status == 200 and not s.error and not s.not_modified for s in first), [s.line() for s in first]
        assert sum(s.entries for s in first) == EXPECTED_ENTRIES
        stored = _entries(app)
        assert len(stored) == EXPECTED_ENTRIES == len(set(stored))
        for site, files in ((a, HOST_A), (b, HOST_B)):
            for path in _paths(site, files):
                assert site.hits(path) == [200]
        workers = stage.worker_processes()
        assert len(workers) == 2 and all(p.is_alive() for p in workers)
        assert {p.pid for p in workers} != {os.getpid()}
        assert stage.cpu_seconds > 0
        assert _all_scheduled_ahead(app)  # every feed's state written

        # Cycle 2 (made due again): all unchanged, answered 304, nothing stored again.
        _make_due(app)
        second = stage.poll(app.pipeline.due_feeds())
        assert len(second) == 6
        assert all(s.not_modified and s.status == 304 for s in second), [s.line() for s in second]
        assert len(_entries(app)) == EXPECTED_ENTRIES
        for site, files in ((a, HOST_A), (b, HOST_B)):
            for path in _paths(site, files):
                assert site.hits(path) == [200, 304]
        assert {p.pid for p in stage.worker_processes()} == {p.pid for p in workers}  # workers live across cycles

        # A worker is killed between cycles; one feed gets a new item. The next cycle still polls every feed.
        victim = workers[0]
        assert victim.pid is not None
        os.kill(victim.pid, signal.SIGKILL)
        assert _gone(victim.pid)
        name, ctype, _n = HOST_A[0]
        body = (SOURCES / name).read_bytes()
        item = b"<item><title>Fresh</title><link>https://www.koreatimes.co.kr/fresh-item.html</link></item>"
        a.add(f"/feeds/{name}", body.replace(b"<item>", item + b"<item>", 1), ctype)
        _make_due(app)
        third = stage.poll(app.pipeline.due_feeds())
        assert len(third) == 6, [s.line() for s in third]
        changed = [s for s in third if not s.not_modified]
        assert [s.feed for s in changed] == [f"a-{name}"] and changed[0].status == 200
        assert {p.pid for p in stage.worker_processes()}.isdisjoint({p.pid for p in workers})  # a new pool
        stored = _entries(app)
        assert len(stored) == EXPECTED_ENTRIES + 1 == len(set(stored))
        assert _all_scheduled_ahead(app)
    finally:
        stage.close()
        app.close()
    assert all(_gone(p.pid) for p in workers if p.pid is not None)


def test_a_database_error_in_a_worker_is_a_warning_and_retried(
    tmp_path: Path, two_hosts: tuple[Site, Site], caplog: pytest.LogCaptureFixture
) -> None:
    """A worker whose queries fail (a column it reads is gone) returns a warning, not a crash; the feeds stay due."""
    a, b = two_hosts
    app = _app(tmp_path, f"sqlite:///{tmp_path / 'monitor.db'}", a, b)
    stage = FeedStageProcesses(app.settings, app.sessions)
    try:
        ids = app.pipeline.due_feeds()
        with app.engine.begin() as conn:
            conn.execute(text("ALTER TABLE feeds RENAME COLUMN etag TO etag_away"))
        with caplog.at_level("WARNING", logger="monitor.feedprocs"):
            assert stage.poll(ids) == []
        warnings = [r.getMessage() for r in caplog.records if r.name == "monitor.feedprocs"]
        assert len(warnings) == 2 and all("database unavailable" in w and "retried" in w for w in warnings), warnings
        with app.engine.begin() as conn:
            conn.execute(text("ALTER TABLE feeds RENAME COLUMN etag_away TO etag"))
        assert sorted(app.pipeline.due_feeds()) == sorted(ids)  # still due: the next cycle polls them
        assert len(stage.poll(ids)) == 6
        assert len(_entries(app)) == EXPECTED_ENTRIES
    finally:
        stage.close()
        app.close()


@pytest.mark.parametrize("value", [0, 65])
def test_processes_out_of_bounds_is_refused_naming_the_key(value: int) -> None:
    text_ = f'[fetch]\nprocesses = {value}\n[[feeds]]\nname = "w"\nurl = "https://example.org/rss"\n'
    with pytest.raises(ConfigError) as info:
        parse_settings(text_, "conf/monitor.toml")
    assert str(info.value).startswith("conf/monitor.toml: fetch.processes: Input should be")


def test_processes_defaults_to_one() -> None:
    assert parse_settings('[[feeds]]\nname = "w"\nurl = "https://example.org/rss"\n').fetch.processes == 1


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _running(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False




@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find the worker processes")
def test_daemon_with_two_processes_polls_stores_and_stops_its_workers(tmp_path: Path, demo_site: Site) -> None:
    db_url = f"sqlite:///{tmp_path / 'monitor.db'}"
    config = write_config(
        tmp_path / "monitor.toml",
        db_url,
        feeds=[("frontier-wire", demo_site.base + "/wire/rss.xml"), ("steppe-blog", demo_site.base + "/blog/atom.xml")],
        extra='[daemon]\ntick = "1s"\nhttp = ""\n',
    )
    config.write_text(config.read_text().replace("[fetch]\n", "[fetch]\nprocesses = 2\n"))
    pages = [p for p in site_routes(demo_site.base, datetime.now(UTC)) if p.endswith(".html")]
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)

    def articles() -> int:
        try:
            with sessions() as session:
                return int(session.scalar(select(func.count()).select_from(Article)) or 0)
        except Exception:
            return 0

    with open(tmp_path / "daemon.log", "wb") as out:
        daemon = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config), "run"], stdout=out, stderr=out)
    try:
        wait_until(lambda: articles() == len(pages), 90, "every page to be stored")
        workers = _children(daemon.pid)
        spawned = {pid for pid in workers if b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes()}
        assert len(spawned) >= 2  # two workers (and the resource tracker)
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
        engine.dispose()
    log = (tmp_path / "daemon.log").read_text()
    assert "stopped cleanly" in log and "Traceback" not in log
    assert "poll feed=frontier-wire status=200" in log  # the workers' log lines reach the daemon's stderr
    wait_until(lambda: not any(_running(pid) for pid in spawned), 10, "the workers to exit")
