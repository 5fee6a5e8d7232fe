"""The daemon as operators run it: a real ``monitor run`` process, killed, restarted and stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.db.engine import make_engine, make_sessionmaker
from monitor.db.models import Article, Entry
from monitor.demo.server import site_routes
from tests.conftest import wait_until, write_config
from tests.servers import Site, serve, webhook_receiver

SECRET = "daemon-test-secret"


@pytest.fixture
def slow_site() -> Iterator[Site]:
    """The demo site with every article page slowed down, so a kill lands in the middle of a poll."""
    site = Site()
    with serve(site):
        for path, (body, ctype) in site_routes(site.base, datetime.now(UTC)).items():
            site.add(path, body, ctype, delay=0.25 if path.endswith(".html") else 0.0)
        yield site


def _config(tmp_path: Path, db_url: str, site: Site, hook_url: str) -> Path:
    extra = (
        '[daemon]\ntick = "1s"\nshutdown_grace = "10s"\n'
        '[alerts]\ndeliver_every = "1s"\n'
        f'[[channels]]\nkind = "webhook"\nname = "hook"\nurl = "{hook_url}"\nsecret_env = "MONITOR_TEST_HOOK_SECRET"\n'
    )
    return write_config(
        tmp_path / "monitor.toml",
        db_url,
        feeds=[("frontier-wire", site.base + "/wire/rss.xml"), ("steppe-blog", site.base + "/blog/atom.xml")],
        watchlists={"takhar": ["Takhar", "Тахар", "تخار"]},
        extra=extra,
    )


def _start(config: Path, tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MONITOR_TEST_HOOK_SECRET": SECRET}
    with open(tmp_path / f"{name}.log", "wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "run"], stdout=log, stderr=log, env=env
        )




def _count(db_url: str, *where: object) -> int:
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return int(session.scalar(select(func.count()).select_from(Article).where(*where)) or 0)  # type: ignore[arg-type]
    except Exception:
        return 0
    finally:
        engine.dispose()


def _pending(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return int(
                session.scalar(select(func.count()).select_from(Entry).where(Entry.status == "pending")) or 0
            )
    finally:
        engine.dispose()


@pytest.mark.slow
def test_kill_during_poll_then_restart_loses_and_doubles_nothing(
    tmp_path: Path, db_url: str, slow_site: Site
) -> None:
    """SIGKILL in the middle of a poll, restart: every page stored exactly once, the spike alerted exactly once."""
    pages = [p for p in slow_site.routes if p.endswith(".html")]
    with webhook_receiver(SECRET) as receiver:
        config = _config(tmp_path, db_url, slow_site, receiver.url)
        first = _start(config, tmp_path, "first")
        try:
            wait_until(lambda: _count(db_url) >= 4, 60, "the first articles to be stored")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        stored_at_kill = _count(db_url)
        assert 4 <= stored_at_kill < len(pages), "the kill should land mid-poll"
        assert _pending(db_url) > 0

        second = _start(config, tmp_path, "second")
        try:
            wait_until(
                lambda: _count(db_url) == len(pages) and receiver.received, 90, "the poll to finish and alert"
            )
            time.sleep(2.5)  # a few more ticks and delivery rounds: nothing more may arrive
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(30) == 0
        log = (tmp_path / "second.log").read_text()
        assert "stopped cleanly" in log and "Traceback" not in log
        assert "poll feed=frontier-wire status=" in log

    assert _count(db_url) == len(pages)
    assert _pending(db_url) == 0
    keys = [r["headers"]["webhook-id"] for r in receiver.received]
    assert len(keys) == 1 and not receiver.rejected


def test_second_daemon_on_the_same_sqlite_database_refuses(tmp_path: Path, slow_site: Site) -> None:
    """A second ``monitor run`` on the same SQLite file exits 1 with a clear message; the first keeps running."""
    db_url = f"sqlite:///{tmp_path / 'shared.db'}"
    with webhook_receiver(SECRET) as receiver:
        config = _config(tmp_path, db_url, slow_site, receiver.url)
        first = _start(config, tmp_path, "first")
        try:
            wait_until(
                lambda: (tmp_path / "first.log").read_text().count("monitor running") == 1,
                30,
                "the first daemon",
            )
            second = subprocess.run(
                [sys.executable, "-m", "monitor", "--config", str(config), "run"],
                capture_output=True,
                text=True,
                timeout=60,
                env={**os.environ, "MONITOR_TEST_HOOK_SECRET": SECRET},
            )
            assert second.returncode == 1
            assert "another monitor daemon" in second.stderr and "already running" in second.stderr
            assert "Traceback" not in second.stderr
            assert first.poll() is None
        finally:
            first.send_signal(signal.SIGTERM)
            assert first.wait(30) == 0
