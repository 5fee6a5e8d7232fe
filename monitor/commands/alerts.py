"""``monitor alerts``: the alert outbox."""

from __future__ import annotations

import click
from sqlalchemy import select

from monitor.cli_support import fmt_time, open_app
from monitor.db.models import Alert


@click.group()
def alerts() -> None:
    """The alert outbox."""


@alerts.command("list")
@click.option("--failed", is_flag=True, help="Only alerts that could not be delivered.")
@click.option("--limit", default=30, show_default=True)
@click.pass_context
def alerts_list(ctx: click.Context, failed: bool, limit: int) -> None:
    """Recent alerts and how their delivery went."""
    with open_app(ctx) as app, app.sessions() as session:
        query = select(Alert).order_by(Alert.id.desc()).limit(limit)
        if failed:
            query = query.where(Alert.status == "failed")
        rows = list(session.scalars(query))
    if not rows:
        click.echo("no alerts")
    for row in rows:
        click.echo(
            f"{fmt_time(row.created_at)}  {row.status:<7} {row.channel:<16} tries {row.attempts:<2} {row.subject}"
            + (f"\n{'':19}last error: {row.last_error}" if row.last_error and row.status != "sent" else "")
        )
