"""``monitor demo``: the whole pipeline against a small news site served on 127.0.0.1, offline."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import aliased

from monitor.app import App
from monitor.config import parse_settings
from monitor.db.models import Article
from monitor.demo.receiver import receive_webhooks
from monitor.demo.server import serve_site
from monitor.seeds import import_seeds

SECRET_ENV = "MONITOR_DEMO_WEBHOOK_SECRET"
SEEDS = Path(__file__).resolve().parents[2] / "config" / "seeds"

DEMO_CONFIG = """
[database]
url = "{db}"
[fetch]
allow_private_addresses = true   # the demo site is on 127.0.0.1
per_host_delay = "0s"
[[feeds]]
name = "frontier-wire"
url = "{base}/wire/rss.xml"
[[feeds]]
name = "steppe-blog"
url = "{base}/blog/atom.xml"
[[watchlists]]
name = "takhar"
terms = ["Takhar", "Тахар", "تخار"]
[[watchlists]]
name = "kunduz"
terms = ["Kunduz", "Кундуз", "قندوز"]
[[watchlists]]
name = "csto"
terms = ["CSTO", "Collective Security Treaty Organization", "ОДКБ"]
[[channels]]
kind = "webhook"
name = "demo-hook"
url = "{hook}"
secret_env = "{secret_env}"
"""


def run_demo(echo: Callable[[str], None], workdir: Path | None = None) -> int:
    """Serve the site, poll it, and report what was stored, recognised and alerted; returns an exit code."""
    started = time.monotonic()
    os.environ.setdefault(SECRET_ENV, "demo-secret")
    with tempfile.TemporaryDirectory(prefix="monitor-demo-") as tmp:
        folder = workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db_path = folder / "demo.db"
        db_path.unlink(missing_ok=True)
        with serve_site() as base, receive_webhooks(os.environ[SECRET_ENV]) as hook:
            echo(f"demo site serving on {base}; webhook receiver on {hook.url}")
            text = DEMO_CONFIG.format(db=f"sqlite:///{db_path}", base=base, hook=hook.url, secret_env=SECRET_ENV)
            settings = parse_settings(text, folder / "demo.toml")
            with App.open(settings) as app:
                report = import_seeds([SEEDS], app.sessions, app.ingestor)
                echo(f"seed corpus: {report.imported} seed articles imported from {SEEDS}")
                app.pipeline.sync_feeds()
                with ThreadPoolExecutor(max_workers=2) as pool:
                    summaries = list(pool.map(app.pipeline.poll, app.pipeline.feed_ids()))
                for summary in summaries:
                    echo(summary.line())
                events = app.watcher.run()
                delivery = app.deliverer.deliver_due()
                _show_articles(app, echo)
                echo("")
                for event in events:
                    echo(f"spike detected: {event.subject}")
                echo(f"alerts delivered: {delivery.sent}, failed: {delivery.failed}, retrying: {delivery.retrying}")
                for message in hook.messages:
                    echo(f"webhook received (signature verified): {message['type']} — {message['summary']}")
                    for story in message.get("stories", [])[:10]:
                        echo(f"    · {story['title']}  [{story['source']}]")
        kept = f"database kept at {db_path}" if workdir else "its database is removed (--dir DIR keeps it)"
        echo(f"demo finished in {time.monotonic() - started:.1f}s; {kept}")
        ok = bool(hook.messages) and hook.rejected == 0
        return 0 if ok else 1


def _show_articles(app: App, echo: Callable[[str], None]) -> None:
    original = aliased(Article)
    with app.sessions() as session:
        rows = session.execute(
            select(Article, original.title, original.source)
            .outerjoin(original, Article.duplicate_of_id == original.id)
            .where(Article.is_seed.is_(False))
            .order_by(Article.id)
        ).all()
    echo("")
    echo(f"stored {len(rows)} articles (full text kept):")
    for article, orig_title, orig_source in rows:
        label = (article.title or "(untitled)")[:70]
        echo(f"  {article.source:<14} {len(article.text):>5} chars  {label}")
        if article.duplicate_of_id is not None:
            kind = "a seed" if orig_source and orig_source.endswith(".txt") else orig_source
            shared = f"{article.containment_new or 1:.2f} / {article.containment_old or 1:.2f}"
            echo(f"{'':18}↳ repost of {kind}: {str(orig_title)[:60]!r} (containment {shared}, by {article.dup_method})")
