"""Shared test fixtures: paths to the shipped fixtures and to the optional big corpora."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.servers import Site, serve

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SHARED = Path(os.environ.get("MONITOR_SHARED_DIR", REPO.parent / "shared"))
CORPORA = SHARED / "corpora"


@pytest.fixture
def corpora() -> Path:
    """The third-party corpora in ../shared/corpora; the test is skipped where they are absent."""
    if not CORPORA.is_dir():
        pytest.skip(f"needs the shared corpora at {CORPORA} (absent in a fresh clone; CI has them)")
    return CORPORA


@pytest.fixture
def fixtures() -> Path:
    """The small fixtures shipped with the project (see tests/fixtures/*/SOURCE.md)."""
    return FIXTURES


POSTGRES_ENV = "MONITOR_TEST_POSTGRES_URL"


def _postgres_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private schema in the PostgreSQL of $MONITOR_TEST_POSTGRES_URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'monitor.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _postgres_schema_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def write_config(
    path: Path,
    db_url: str,
    feeds: list[tuple[str, str]] = (),  # type: ignore[assignment]
    watchlists: dict[str, list[str]] | None = None,
    extra: str = "",
) -> Path:
    """Write a real TOML config for a test (private addresses allowed: the servers are on 127.0.0.1)."""
    lines = [
        "[database]",
        f'url = "{db_url}"',
        "[fetch]",
        "allow_private_addresses = true",
        'per_host_delay = "0s"',
        'connect_timeout = "5s"',
        'read_timeout = "5s"',
        'total_timeout = "10s"',
    ]
    for name, url in feeds:
        lines += ["[[feeds]]", f'name = "{name}"', f'url = "{url}"']
    for name, terms in (watchlists or {}).items():
        quoted = ", ".join(f'"{t}"' for t in terms)
        lines += ["[[watchlists]]", f'name = "{name}"', f"terms = [{quoted}]"]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh database migrated to the current schema."""
    from monitor.db.engine import make_engine, make_sessionmaker
    from monitor.db.migrate import upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def demo_site() -> Iterator[Site]:
    """The shipped demo news site (two feeds, article pages, seed reposts and a burst) served on 127.0.0.1."""
    from datetime import UTC, datetime

    from monitor.demo.server import site_routes

    site = Site()
    with serve(site):
        for path, (body, ctype) in site_routes(site.base, datetime.now(UTC)).items():
            site.add(path, body, ctype)
        yield site


def wait_until(condition: Callable[[], bool], timeout: float, what: str, step: float = 0.1) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
