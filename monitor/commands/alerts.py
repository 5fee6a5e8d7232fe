"""``monitor alerts``: the alert outbox, and a test send through one channel."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from sqlalchemy import select

from monitor.alerts.channels import build_sender
from monitor.alerts.delivery import DeliveryError
from monitor.alerts.message import AlertMessage, sample_payload
from monitor.cli_support import UsageProblem, fmt_time, open_app, settings_of
from monitor.db.models import Alert, DeliveryAttempt


@click.group()
def alerts() -> None:
    """The alert outbox."""


@alerts.command("list")
@click.option("--failed", is_flag=True, help="Only alerts that could not be delivered.")
@click.option("--limit", default=30, show_default=True)
@click.option("--attempts/--no-attempts", default=True, show_default=True, help="Show each delivery attempt.")
@click.pass_context
def alerts_list(ctx: click.Context, failed: bool, limit: int, attempts: bool) -> None:
    """Recent alerts, how their delivery went, and each attempt."""
    with open_app(ctx) as app, app.sessions() as session:
        query = select(Alert).order_by(Alert.id.desc()).limit(limit)
        if failed:
            query = query.where(Alert.status == "failed")
        rows = list(session.scalars(query))
        tries: dict[int, list[DeliveryAttempt]] = {}
        if attempts and rows:
            for attempt in session.scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.alert_id.in_([r.id for r in rows]))
                .order_by(DeliveryAttempt.id)
            ):
                tries.setdefault(attempt.alert_id, []).append(attempt)
    if not rows:
        click.echo("no alerts")
    for row in rows:
        status = row.status
        if row.status == "pending" and row.next_attempt_at > datetime.now(UTC):
            status = "held" if not row.attempts else "pending"
        click.echo(
            f"#{row.id:<5} {fmt_time(row.created_at)}  {status:<7} {row.channel:<16} tries {row.attempts:<2} "
            f"{row.subject}"
        )
        if row.status == "grouped" and row.group_id:
            click.echo(f"{'':7}sent within alert #{row.group_id}")
        elif row.status == "pending":
            click.echo(f"{'':7}next try {fmt_time(row.next_attempt_at)}")
        if row.last_error and row.status != "sent" and not tries.get(row.id):
            click.echo(f"{'':7}last error: {row.last_error}")
        for attempt in tries.get(row.id, []):
            outcome = "ok  " if attempt.ok else "fail"
            when = attempt.attempted_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            click.echo(f"{'':7}{when}  {outcome} {attempt.detail or ''}")


@alerts.command("test")
@click.argument("channel")
@click.pass_context
def alerts_test(ctx: click.Context, channel: str) -> None:
    """Send a sample alert through CHANNEL now and report the outcome (exit 1 when it fails)."""
    settings = settings_of(ctx)
    names = [settings.channel_name(i) for i in range(len(settings.channels))]
    if channel not in names:
        known = ", ".join(names) or "none configured"
        raise UsageProblem(f"no channel named {channel!r} (channels: {known})")
    now = datetime.now(UTC)
    key = f"test:{now.strftime('%Y%m%dT%H%M%S')}:{channel}"
    payload = sample_payload(key, now)
    message = AlertMessage(key, "test", str(payload["summary"]), payload)
    sender = build_sender(settings, names.index(channel))
    try:
        detail = sender.send(message)
    except DeliveryError as exc:
        kind = "temporary: retrying later could help" if exc.retryable else "permanent"
        click.echo(f"{channel}: FAILED ({kind}): {exc}")
        ctx.exit(1)
    click.echo(f"{channel}: sent test alert {key}: {detail}")
