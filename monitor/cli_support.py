"""What every ``monitor`` command shares: operator errors, loading settings, opening the app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click

from monitor.app import App
from monitor.config import ConfigError, Settings, load_settings
from monitor.db.engine import DatabaseError


class OperatorError(click.ClickException):
    """A mistake or a condition the operator can fix; printed without a traceback (exit 1)."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"monitor: error: {self.message}", err=True)


class UsageProblem(OperatorError):
    """A configuration or usage mistake (exit 2)."""

    exit_code = 2


def settings_of(ctx: click.Context) -> Settings:
    obj = ctx.ensure_object(dict)
    if "settings" not in obj:
        try:
            obj["settings"] = load_settings(obj.get("config"))
        except ConfigError as exc:
            raise UsageProblem(str(exc)) from None
    settings: Settings = obj["settings"]
    return settings


@contextmanager
def open_app(ctx: click.Context) -> Iterator[App]:
    settings = settings_of(ctx)
    try:
        app = App.open(settings)
    except DatabaseError as exc:
        raise OperatorError(str(exc)) from None
    try:
        yield app
    finally:
        app.close()


def fmt_time(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else "never"
