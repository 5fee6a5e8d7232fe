"""``monitor feeds``: check any URL as a feed, find and add a site's feed, list feeds with their schedule."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import click
from sqlalchemy import select

from monitor.cli_support import OperatorError, UsageProblem, fmt_time, open_app, settings_of
from monitor.config import ConfigError, FetchSettings, Settings, config_path, parse_settings
from monitor.db.models import Feed, WebSubSubscription
from monitor.durations import format_duration, parse_duration
from monitor.feedfinder import Probe, find_feeds, probe
from monitor.fetch import Fetcher
from monitor.schedule import adaptive_interval, observed_rate, server_hint
from monitor.sources.report import feed_problems


@click.group()
def feeds() -> None:
    """Feeds: check a URL, find and add a site's feed, list feeds and their schedule."""


def _fetch_settings(ctx: click.Context) -> FetchSettings:
    try:
        return settings_of(ctx).fetch
    except OperatorError:
        return FetchSettings()  # no config: checking a URL still works with the defaults


def _print_probe(found: Probe, settings: FetchSettings) -> list[str]:
    """Print what a probe found; returns its problems."""
    now = datetime.now(UTC)
    result, parsed = found.result, found.parsed
    click.echo(f"url:         {found.url}")
    if result is not None:
        if result.url != found.url:
            click.echo(f"fetched:     {result.url}" + (" (permanent redirect)" if result.permanent_url else ""))
        click.echo(
            f"response:    HTTP {result.status}, {result.content_type or 'no Content-Type'}, "
            f"{len(result.body):,} bytes in {result.elapsed:.2f}s"
        )
    if parsed is None:
        click.echo(f"error:       {found.error}")
        return [found.error or "unknown error"]
    click.echo(f"kind:        {parsed.kind}")
    click.echo(f"title:       {parsed.title or '-'}")
    dates = sorted(e.published for e in parsed.entries if e.published is not None)
    span = f", newest {fmt_time(dates[-1])}, oldest {fmt_time(dates[0])}" if dates else ""
    click.echo(f"entries:     {len(parsed.entries)} ({len(dates)} dated{span})")
    for entry in parsed.entries[:5]:
        when = fmt_time(entry.published) if entry.published else "(no date)"
        click.echo(f"  {when:<16}  {(entry.title or '-')[:70]}")
    if parsed.hub:
        topic = parsed.self_url or (result.url if result else "-")
        click.echo(f"websub hub:  {parsed.hub} (topic {topic})")
    rate = observed_rate(dates, now)
    hint = server_hint(result.headers, parsed.ttl, now) if result is not None else parsed.ttl
    interval = adaptive_interval(rate, hint, settings)
    rate_text = f"{rate:.1f} entries/day" if rate is not None else "rate unknown"
    hint_text = f", server asks {format_duration(hint)}" if hint else ""
    click.echo(f"schedule:    every {format_duration(interval)} ({rate_text}{hint_text})")
    problems = feed_problems(parsed, result.content_type if result else None, now)
    if parsed.kind == "html":
        problems.insert(0, "HTML, not a feed: run `monitor feeds add URL` to find the site's feed")
    click.echo("problems:    none" if not problems else f"problems:    {len(problems)}")
    for problem in problems:
        click.echo(f"  - {problem}")
    return problems


@feeds.command("check")
@click.argument("url")
@click.pass_context
def feeds_check(ctx: click.Context, url: str) -> None:
    """Fetch and parse URL; print its kind, entries, dates and every problem found. Stores nothing."""
    settings = _fetch_settings(ctx)
    with Fetcher(settings) as fetcher:
        found = probe(fetcher, url)
        _print_probe(found, settings)
        if found.parsed is not None and found.parsed.kind == "html":
            discovery = find_feeds(fetcher, url, try_common=False)
            for advertised in discovery.advertised:
                click.echo(f"  advertises: {advertised}")
    if found.parsed is None:
        raise OperatorError(f"{url}: {found.error}")


def _slug(url: str, taken: set[str]) -> str:
    host = (urlsplit(url).hostname or "feed").removeprefix("www.")
    base = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "feed"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def append_feed(path: Path, settings: Settings, name: str, url: str, interval: str | None) -> Settings:
    """Append a ``[[feeds]]`` table to the config file (comments and layout kept), validated before writing."""
    text = path.read_text(encoding="utf-8")
    block = f"\n[[feeds]]\nname = {_toml_string(name)}\nurl = {_toml_string(url)}\n"
    if interval:
        block += f"interval = {_toml_string(interval)}\n"
    new_text = text if text.endswith("\n") else text + "\n"
    new_text += block
    try:
        updated = parse_settings(new_text, path)
    except ConfigError as exc:
        raise UsageProblem(f"the feed was not added: {exc}") from None
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(new_text, encoding="utf-8")
    os.replace(temporary, path)
    return updated


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="Name for the feed (default: from the host name).")
@click.option("--interval", help="Fixed poll interval, e.g. 15m (default: adaptive).")
@click.pass_context
def feeds_add(ctx: click.Context, url: str, name: str | None, interval: str | None) -> None:
    """Find the feed of URL (a feed, or a site's page: <link rel=alternate>, then common paths) and add it."""
    settings = settings_of(ctx)
    if interval:
        try:
            parse_duration(interval)
        except ValueError as exc:
            raise UsageProblem(f"--interval: {exc}") from None
    if name and name in {f.name for f in settings.feeds}:
        raise UsageProblem(f"a feed named {name!r} is already configured")
    with Fetcher(settings.fetch) as fetcher:
        discovery = find_feeds(fetcher, url)
    found = discovery.feeds
    if not found:
        for attempt in discovery.probes:
            click.echo(f"  tried {attempt.url}: {attempt.error or (attempt.parsed.kind if attempt.parsed else '?')}")
        raise OperatorError(f"no feed found at {url} (nor advertised by it, nor at the usual paths)")
    chosen = found[0]
    feed_url = chosen.result.url if chosen.result is not None and chosen.result.permanent_url else chosen.url
    configured = {f.url for f in settings.feeds}
    if feed_url in configured:
        raise UsageProblem(f"{feed_url} is already configured")
    name = name or _slug(feed_url, {f.name for f in settings.feeds})
    path = settings.source or config_path(ctx.obj.get("config"))
    append_feed(path, settings, name, feed_url, interval)
    parsed = chosen.parsed
    assert parsed is not None
    click.echo(f"added feed {name!r}: {feed_url} ({parsed.kind}, {len(parsed.entries)} entries) to {path}")
    for other in found[1:]:
        click.echo(f"  also found: {other.url} ({other.parsed.kind if other.parsed else '?'})")
    click.echo("the daemon picks it up when restarted; `monitor poll --feed NAME` polls it now")


@feeds.command("list")
@click.pass_context
def feeds_list(ctx: click.Context) -> None:
    """Feeds with kind, adaptive interval, publishing rate, failures (and since when) and WebSub state."""
    now = datetime.now(UTC)
    with open_app(ctx) as app:
        app.pipeline.sync_feeds()
        with app.sessions() as session:
            rows = list(session.scalars(select(Feed).order_by(Feed.name)))
            subs = {s.feed_id: s.state for s in session.scalars(select(WebSubSubscription))}
    click.echo(f"{'feed':<24} {'kind':<8} {'every':>7} {'per day':>8} {'fails':>5}  websub    state")
    for f in rows:
        every = format_duration(timedelta(seconds=f.interval_seconds)) if f.interval_seconds else "-"
        rate = f"{f.publish_rate:.1f}" if f.publish_rate is not None else "-"
        if not f.enabled:
            state = f"off: {f.disabled_reason or 'disabled'}"
        elif f.failing_since is not None:
            days = (now - f.failing_since).total_seconds() / 86400
            flag = "FAILING FOR DAYS " if days >= 1 else ""
            state = f"{flag}failing since {fmt_time(f.failing_since)}: {f.last_error}"
        else:
            state = f"ok, next {fmt_time(f.next_check_at)}"
        click.echo(
            f"{f.name[:24]:<24} {f.kind or '-':<8} {every:>7} {rate:>8} {f.consecutive_failures:>5}  "
            f"{subs.get(f.id, '-'):<9}{state}"
        )
