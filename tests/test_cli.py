"""The ``monitor`` command as an operator uses it, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import write_config
from tests.servers import Site, serve


def monitor(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_init_writes_config_database_and_imports_seeds(tmp_path: Path) -> None:
    """``monitor init DIR`` writes the starter config and seeds, creates the database, imports the five seeds once."""
    target = tmp_path / "site"
    first = monitor("init", str(target))
    assert first.returncode == 0, first.stderr
    assert (target / "monitor.toml").is_file() and (target / "data" / "monitor.db").is_file()
    assert "5 imported" in first.stdout
    again = monitor("init", str(target))
    assert again.returncode == 0 and "0 imported, 5 already stored" in again.stdout
    status = monitor("--config", str(target / "monitor.toml"), "status")
    assert status.returncode == 0, status.stderr
    assert "articles 5 (seeds 5)" in status.stdout
    assert "eurasianet" in status.stdout and "open spikes: none" in status.stdout


def test_poll_one_feed_then_status_and_seed_import(tmp_path: Path, demo_site: Site) -> None:
    """``monitor poll --feed`` polls only that feed and prints its line; status shows it; seeds import is idempotent."""
    config = write_config(
        tmp_path / "monitor.toml",
        f"sqlite:///{tmp_path / 'm.db'}",
        feeds=[("frontier-wire", demo_site.base + "/wire/rss.xml"), ("steppe-blog", demo_site.base + "/blog/atom.xml")],
        watchlists={"takhar": ["Takhar"]},
    )
    seeds = Path(__file__).resolve().parents[1] / "config" / "seeds"
    imported = monitor("--config", str(config), "seeds", "import", str(seeds))
    assert imported.returncode == 0 and "5 imported" in imported.stdout
    assert "5 already stored" in monitor("--config", str(config), "seeds", "import", str(seeds)).stdout
    polled = monitor("--config", str(config), "poll", "--feed", "frontier-wire")
    assert polled.returncode == 0, polled.stderr
    assert "poll feed=frontier-wire status=200 entries=18 new=18" in polled.stdout
    assert "steppe-blog" not in polled.stdout
    assert "spike: takhar:" in polled.stdout
    status = monitor("--config", str(config), "status")
    assert "frontier-wire" in status.stdout and "takhar: since" in status.stdout
    unknown = monitor("--config", str(config), "poll", "--feed", "nope")
    assert unknown.returncode == 2 and "no feed named 'nope'" in unknown.stderr


def test_extract_prints_json_per_input(tmp_path: Path) -> None:
    """``monitor extract FILE --json`` prints one object per input with the documented fields."""
    page = Path(__file__).resolve().parents[1] / "monitor" / "demo" / "site" / "pages"
    first = sorted(page.glob("*.html"))[0]
    result = monitor("extract", "--json", str(first), str(first))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 2
    assert {"url", "title", "text", "author", "published", "language"} <= set(rows[0])
    assert rows[0]["title"] and len(rows[0]["text"]) > 300 and rows[0]["language"] == "en"
    missing = monitor("extract", str(tmp_path / "absent.html"))
    assert missing.returncode == 1 and "absent.html: cannot read" in missing.stderr and "Traceback" not in missing.stderr


def test_db_upgrade_reports_revision(tmp_path: Path) -> None:
    """``monitor db upgrade`` creates the schema and says which revision it reached."""
    config = write_config(tmp_path / "monitor.toml", f"sqlite:///{tmp_path / 'u.db'}")
    result = monitor("--config", str(config), "db", "upgrade")
    assert result.returncode == 0 and "empty -> 0003" in result.stdout
    assert "0003 -> 0003" in monitor("--config", str(config), "db", "upgrade").stdout


def test_unreachable_postgres_is_a_clear_error(tmp_path: Path) -> None:
    """A database that cannot be reached is named in one line, exit 1, no traceback."""
    config = write_config(tmp_path / "monitor.toml", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    result = monitor("--config", str(config), "status")
    assert result.returncode == 1
    assert "cannot open the database postgresql+psycopg://nobody@127.0.0.1:9/none" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_runs_offline_and_delivers_its_alert() -> None:
    """``monitor demo`` stores the site's articles, recognises the seed reposts and delivers a signed alert."""
    result = monitor("demo", timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "seed corpus: 5 seed articles imported" in out
    assert out.count("↳ repost of a seed") == 3
    assert "spike detected: takhar:" in out
    assert "webhook received (signature verified): spike.opened" in out


def test_status_flags_a_feed_failing_for_days(tmp_path: Path) -> None:
    """A feed whose failures began more than a day ago is flagged FAILING in ``monitor status``."""
    from sqlalchemy import create_engine, text

    site = Site()
    with serve(site):
        site.add("/broken.xml", "oops", status=500)
        db = tmp_path / "f.db"
        config = write_config(tmp_path / "monitor.toml", f"sqlite:///{db}", feeds=[("broken", site.base + "/broken.xml")])
        assert "status=500" in monitor("--config", str(config), "poll").stdout
        fresh = monitor("--config", str(config), "status").stdout
        assert "HTTP 500" in fresh and "FAILING" not in fresh
        engine = create_engine(f"sqlite:///{db}")
        with engine.begin() as conn:
            conn.execute(text("UPDATE feeds SET failing_since = datetime('now', '-3 days')"))
        engine.dispose()
        old = monitor("--config", str(config), "status").stdout
        assert "FAILING for 3.0 days: HTTP 500" in old


def test_db_upgrade_keeps_the_rows_of_an_older_schema(tmp_path: Path) -> None:
    """A database left at revision 0001 with a feed in it is migrated to the head; the feed is kept."""
    from sqlalchemy import text

    from monitor.db.engine import make_engine
    from monitor.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO feeds (name, url, current_url, enabled, next_check_at, consecutive_failures, created_at)"
                " VALUES ('wire', 'https://example.org/rss', 'https://example.org/rss', 1, '2026-01-01 00:00:00',"
                " 0, '2026-01-01 00:00:00')"
            )
        )
    engine.dispose()
    config = write_config(tmp_path / "monitor.toml", url)
    result = monitor("--config", str(config), "db", "upgrade")
    assert result.returncode == 0 and "0001 -> 0003" in result.stdout
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name, body_hash, item_digests FROM feeds")).all() == [("wire", None, None)]
    engine.dispose()
