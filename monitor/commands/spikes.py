"""``monitor spikes``: each watchlist's rate against its baseline, and replays of the detector."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from monitor.cli_support import UsageProblem, fmt_time, open_app, settings_of
from monitor.config import config_path
from monitor.durations import parse_duration
from monitor.ingest import bucket_start
from monitor.spikes.chart import render_chart
from monitor.spikes.detector import DetectorSettings, Episode, SeriesError, detect, expected_counts, load_counts_csv
from monitor.watch import count_series, detector_settings, history_start

CHART_SPAN = timedelta(days=7)


@click.group(invoke_without_command=True)
@click.pass_context
def spikes(ctx: click.Context) -> None:
    """Each watchlist's current rate against its baseline, with a chart of the last week."""
    if ctx.invoked_subcommand is not None:
        return
    settings = settings_of(ctx)
    bucket = settings.spikes.bucket
    detector = detector_settings(settings.spikes)
    current = bucket_start(datetime.now(UTC), bucket)
    start = history_start(current, settings.spikes.history)
    if not settings.watchlists:
        click.echo("no watchlists configured")
        return
    day = max(1, round(timedelta(days=1) / bucket))
    shown = max(1, round(CHART_SPAN / bucket))
    with open_app(ctx) as app, app.sessions() as session:
        series = {w.name: count_series(session, w.name, start, current, bucket) for w in settings.watchlists}
    for name, (stamps, values) in series.items():
        whens, expected = expected_counts(stamps, values, detector)
        episodes = detect(stamps, values, detector)
        last_day, usual_day = sum(values[-day:]), sum(expected[-day:])
        state = "ordinary"
        if episodes and episodes[-1].end is None:
            state = f"SPIKE since {fmt_time(episodes[-1].start)} (alerted {fmt_time(episodes[-1].alerted_at)})"
        click.echo(
            f"{name}: {values[-1]:g} this {_span(bucket)} (usually {expected[-1]:.1f}); "
            f"{last_day:g} in the last {_span(day * bucket)} (usually {usual_day:.1f}); {state}"
        )
        click.echo(render_chart(values[-shown:], expected[-shown:], width=72, height=5))
        click.echo(f"{'':3}{fmt_time(whens[-shown:][0])} .. {fmt_time(whens[-1])}, one column per bucket group\n")


@spikes.command("backtest")
@click.option(
    "--counts",
    "counts_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A CSV of timestamp,value rows (any fixed bucket; timestamps without an offset are UTC).",
)
@click.option("--since", help="Replay stored history of every watchlist from this long ago, e.g. 30d.")
@click.option("--json", "as_json", is_flag=True, help="Print the episodes as a JSON list.")
@click.pass_context
def backtest(ctx: click.Context, counts_path: Path | None, since: str | None, as_json: bool) -> None:
    """Replay counts through the detector with the configured settings and list the episodes it alerts on."""
    if (counts_path is None) == (since is None):
        raise UsageProblem("spikes backtest: give exactly one of --counts CSV or --since DURATION")
    rows: list[dict[str, Any]] = []
    if counts_path is not None:
        stamps, values = _read_counts(counts_path)
        rows = [_episode_row(e) for e in detect(stamps, values, _csv_detector_settings(ctx))]
    else:
        assert since is not None
        try:
            span = parse_duration(since)
        except ValueError as exc:
            raise UsageProblem(f"--since: {exc}") from None
        settings = settings_of(ctx)
        detector = detector_settings(settings.spikes)
        bucket = settings.spikes.bucket
        current = bucket_start(datetime.now(UTC), bucket)
        start = history_start(current, span)
        with open_app(ctx) as app, app.sessions() as session:
            for watchlist in settings.watchlists:
                stamps, values = count_series(session, watchlist.name, start, current, bucket)
                rows.extend({"watchlist": watchlist.name} | _episode_row(e) for e in detect(stamps, values, detector))
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    if not rows:
        click.echo("no episodes")
    for row in rows:
        prefix = f"{row['watchlist']}: " if "watchlist" in row else ""
        click.echo(
            f"{prefix}alerted {row['alerted_at']}  {row['observed']} in {row['window_hours']:g} h "
            f"(expected {row['expected']:.1f}), peak {row['peak']:g}; "
            f"from {row['start']} to {row['end'] or 'still open'}"
        )


def _read_counts(path: Path) -> tuple[list[datetime], list[float]]:
    """The CSV's series with naive timestamps taken as UTC; errors name the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageProblem(f"{path}: cannot read: {exc}") from None
    try:
        stamps, values = load_counts_csv(text)
    except SeriesError as exc:
        raise UsageProblem(f"{path}: {exc}") from None
    return [when if when.tzinfo else when.replace(tzinfo=UTC) for when in stamps], values


def _csv_detector_settings(ctx: click.Context) -> DetectorSettings:
    """The configured detector settings; the defaults when no --config is given and no config file exists."""
    explicit = ctx.ensure_object(dict).get("config")
    if explicit is None and not config_path(None).exists():
        return DetectorSettings()
    return detector_settings(settings_of(ctx).spikes)


def _episode_row(episode: Episode) -> dict[str, Any]:
    return {
        "alerted_at": episode.alerted_at.isoformat(),
        "start": episode.start.isoformat(),
        "end": episode.end.isoformat() if episode.end else None,
        "peak": episode.peak,
        "expected": round(episode.expected, 3),
        "observed": episode.observed,
        "window_hours": episode.window / timedelta(hours=1),
    }


def _span(delta: timedelta) -> str:
    hours = delta / timedelta(hours=1)
    return f"{hours:g} h" if hours < 48 else f"{hours / 24:g} d"
