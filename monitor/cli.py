"""The ``monitor`` command."""

from __future__ import annotations

import json
import logging
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from monitor import __version__
from monitor.alerts.scheduled import write_scheduled_alerts
from monitor.app import App
from monitor.cli_support import OperatorError, UsageProblem, fmt_time, open_app, settings_of
from monitor.commands import alerts as alerts_commands
from monitor.commands import dedup as dedup_commands
from monitor.commands import feeds as feeds_commands
from monitor.commands import spikes as spikes_commands
from monitor.config import config_path
from monitor.db.engine import DatabaseError, make_engine
from monitor.db.migrate import current_revision, head_revision, upgrade
from monitor.seeds import SeedError, import_seeds, seed_files
from monitor.status import read_status

REPO_ROOT = Path(__file__).resolve().parents[1]
FAILING_FLAG = timedelta(days=1)  # `monitor status` flags feeds that have failed for this long
TEMPLATE_CONFIG = REPO_ROOT / "config" / "monitor.toml"
DEFAULT_SEEDS = REPO_ROOT / "config" / "seeds"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: $MONITOR_CONFIG, else config/monitor.toml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(__version__, prog_name="monitor")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, verbose: int) -> None:
    """frontier-monitor: watch news feeds, keep full texts, recognise reposts, alert on keyword spikes."""
    ctx.ensure_object(dict)["config"] = config
    level = logging.WARNING - 10 * (verbose + 1) if verbose < 2 else logging.DEBUG
    logging.basicConfig(
        stream=sys.stderr,
        level=max(level, logging.DEBUG),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# -- init --------------------------------------------------------------------------------------
@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def init(ctx: click.Context, directory: Path | None) -> None:
    """Write a starter config into DIRECTORY, create its database and import the seed corpus.

    Without DIRECTORY the current config file is used as it is (created from the template if absent).
    """
    if directory is not None:
        target = directory / "monitor.toml"
        directory.mkdir(parents=True, exist_ok=True)
        if not (directory / "seeds").exists():
            shutil.copytree(DEFAULT_SEEDS, directory / "seeds")
        if target.exists():
            click.echo(f"keeping the existing {target}")
        else:
            shutil.copy(TEMPLATE_CONFIG, target)
            click.echo(f"wrote {target}")
        ctx.obj["config"] = target
    else:
        path = config_path(ctx.obj.get("config"))
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(TEMPLATE_CONFIG, path)
            if not (path.parent / "seeds").exists():
                shutil.copytree(DEFAULT_SEEDS, path.parent / "seeds")
            click.echo(f"wrote {path}")
    with open_app(ctx) as app:
        click.echo(f"database ready: {app.settings.database_url}")
        app.pipeline.sync_feeds()
        paths = app.settings.seed_paths()
        if paths:
            _import(app, paths)


def _import(app: App, paths: list[Path]) -> None:
    try:
        files = list(seed_files(paths))
        with click.progressbar(length=len(files), label="importing seeds", file=sys.stderr) as bar:
            report = import_seeds(files, app.sessions, app.ingestor, progress=lambda _p: bar.update(1))
    except SeedError as exc:
        raise OperatorError(str(exc)) from None
    click.echo(
        f"seeds: {report.files} files, {report.imported} imported, {report.already} already stored, "
        f"{report.duplicates} reposts of stored articles, {report.empty} empty"
    )


# -- run / poll --------------------------------------------------------------------------------
@cli.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the daemon in the foreground (logs to stderr; stop with SIGTERM or Ctrl-C)."""
    from monitor.daemon import AlreadyRunning, Daemon

    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    with open_app(ctx) as app:
        try:
            Daemon(app).run()
        except AlreadyRunning as exc:
            raise OperatorError(str(exc)) from None


@cli.command()
@click.option("--feed", "feeds", multiple=True, help="Poll only this feed (repeatable).")
@click.pass_context
def poll(ctx: click.Context, feeds: tuple[str, ...]) -> None:
    """Poll feeds now (all, or --feed NAME), run the spike check, deliver alerts, print a summary."""
    settings = settings_of(ctx)
    unknown = sorted(set(feeds) - {f.name for f in settings.feeds})
    if unknown:
        raise UsageProblem(f"no feed named {', '.join(map(repr, unknown))} in {settings.source}")
    with open_app(ctx) as app:
        app.pipeline.sync_feeds()
        ids = app.pipeline.feed_ids(list(feeds) or None)
        with ThreadPoolExecutor(max_workers=settings.fetch.concurrency) as pool:
            summaries = list(pool.map(app.pipeline.poll, ids))
        for summary in summaries:
            click.echo(summary.line())
        events = app.watcher.run()
        for event in events:
            click.echo(f"spike: {event.subject}")
        write_scheduled_alerts(settings, app.sessions)  # feed-health alerts and digests that are due
        report = app.deliverer.deliver_due()
        click.echo(
            f"polled {len(summaries)} feeds: {sum(s.new for s in summaries)} new articles, "
            f"{sum(s.duplicates for s in summaries)} reposts, {len(events)} spikes, "
            f"alerts sent {report.sent}, retrying {report.retrying}, failed {report.failed}"
        )


# -- seeds -------------------------------------------------------------------------------------
@cli.group()
def seeds() -> None:
    """The seed corpus: the originals reposts are recognised against."""


@seeds.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def seeds_import(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Import text or HTML files (or folders of them) as seed articles; safe to repeat."""
    with open_app(ctx) as app:
        _import(app, list(paths))


# -- status ------------------------------------------------------------------------------------
@cli.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Feeds with their last poll, status and errors; article, story and repost counts; open spikes."""
    with open_app(ctx) as app, app.sessions() as session:
        report = read_status(session)
    click.echo(
        f"{'feed':<24} {'last poll':<17} {'status':>6} {'fails':>5} {'articles':>8} {'pending':>7}  next / error"
    )
    now = datetime.now(UTC)
    for f in report.feeds:
        state = str(f.last_status or "-") if f.enabled else "off"
        tail = f.last_error or f"next {fmt_time(f.next_check_at)}"
        if f.failing_since is not None and now - f.failing_since >= FAILING_FLAG:
            days = (now - f.failing_since).total_seconds() / 86400
            tail = f"FAILING for {days:.1f} days: {tail}"
        click.echo(
            f"{f.name[:24]:<24} {fmt_time(f.last_checked_at):<17} {state:>6} {f.consecutive_failures:>5} "
            f"{f.articles:>8} {f.pending:>7}  {tail}"
        )
    click.echo(
        f"\narticles {report.articles} (seeds {report.seeds}), stories {report.stories}, "
        f"reposts recognised {report.duplicates}"
    )
    if report.open_spikes:
        click.echo("open spikes:")
        for watchlist, started, observed, expected in report.open_spikes:
            click.echo(f"  {watchlist}: since {fmt_time(started)}, {observed} stories, usually {expected:.1f}")
    else:
        click.echo("open spikes: none")
    alerts = ", ".join(f"{k} {v}" for k, v in sorted(report.alerts.items())) or "none"
    click.echo(f"alerts: {alerts}")


# -- db ----------------------------------------------------------------------------------------
@cli.group()
def db() -> None:
    """Database schema management."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create the database or bring its schema up to date."""
    settings = settings_of(ctx)
    try:
        engine = make_engine(settings.database_url)
        before = current_revision(engine)
        upgrade(engine)
        click.echo(f"database {settings.database.url}: {before or 'empty'} -> {head_revision(engine)}")
        engine.dispose()
    except DatabaseError as exc:
        raise OperatorError(str(exc)) from None
    except Exception as exc:  # a driver error: say which database, no traceback
        raise OperatorError(f"cannot upgrade {settings.database.url}: {exc}") from None


# -- extract -----------------------------------------------------------------------------------
@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input.")
@click.pass_context
def extract(ctx: click.Context, inputs: tuple[str, ...], as_json: bool) -> None:
    """Extract the article from HTML files or URLs and print its fields (nothing is stored)."""
    from monitor.extract import extract_article
    from monitor.fetch import Fetcher, FetchError

    fetch_settings = None
    for item in inputs:
        if item.startswith(("http://", "https://")):
            if fetch_settings is None:
                try:
                    fetch_settings = settings_of(ctx).fetch
                except OperatorError:
                    from monitor.config import FetchSettings

                    fetch_settings = FetchSettings()
            try:
                with Fetcher(fetch_settings) as fetcher:
                    page = fetcher.get(item)
            except FetchError as exc:
                raise OperatorError(str(exc)) from None
            data, url = page.body, page.url
        else:
            try:
                data, url = Path(item).read_bytes(), None
            except OSError as exc:
                raise OperatorError(f"{item}: cannot read: {exc.strerror}") from None
        article = extract_article(data, url)
        record = {
            "url": article.url or item,
            "title": article.title,
            "text": article.text,
            "author": article.author,
            "published": article.published.isoformat() if article.published else None,
            "language": article.language,
            "canonical_url": article.canonical_url,
            "image": article.image,
            "problem": article.problem,
        }
        if as_json:
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            for key in ("url", "title", "author", "published", "language", "canonical_url", "problem"):
                click.echo(f"{key + ':':<15}{record[key] if record[key] is not None else '-'}")
            click.echo(f"\n{article.text}\n")


@cli.command()
@click.option("--dir", "workdir", type=click.Path(file_okay=False, path_type=Path), help="Keep the demo database here.")
def demo(workdir: Path | None) -> None:
    """Run the whole pipeline offline against a small news site served on 127.0.0.1."""
    from monitor.demo import run_demo

    logging.getLogger().setLevel(logging.WARNING)
    code = run_demo(click.echo, workdir)
    if code:
        raise OperatorError("the demo did not deliver its alert")


# Commands that live in their own modules (one module per area).
cli.add_command(alerts_commands.alerts)
cli.add_command(dedup_commands.dedup)
cli.add_command(feeds_commands.feeds)
cli.add_command(spikes_commands.spikes)


def main() -> None:
    cli(prog_name="monitor")
