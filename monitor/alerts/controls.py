"""When and where an alert may go: severity, quiet hours, the digest's day (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

SEVERITIES = ("low", "medium", "high")


def severity(observed: float, expected: float) -> str:
    """An episode's severity from its count and its ratio to the expected count.

    high: at least 10 stories and 10 times the expected; medium: at least 5 and 5 times;
    low: any other episode the detector reports (the expected count is floored at 0.1)."""
    ratio = observed / max(expected, 0.1)
    if observed >= 10 and ratio >= 10:
        return "high"
    if observed >= 5 and ratio >= 5:
        return "medium"
    return "low"


def at_least(level: str, floor: str) -> bool:
    """Whether severity ``level`` reaches ``floor``."""
    return SEVERITIES.index(level) >= SEVERITIES.index(floor)


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _local_moment(day: datetime, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day.date(), at, tzinfo=zone)


def quiet_until(now: datetime, quiet_hours: tuple[str, str] | None, timezone: str) -> datetime | None:
    """The end of the quiet hours ``now`` falls in (UTC), or None when it is not in them."""
    if not quiet_hours or quiet_hours[0] == quiet_hours[1]:
        return None
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    start, end = _clock(quiet_hours[0]), _clock(quiet_hours[1])
    moment = local.time().replace(tzinfo=None)
    inside = start <= moment < end if start < end else (moment >= start or moment < end)
    if not inside:
        return None
    release = _local_moment(local, end, zone)
    if release <= local:
        release = _local_moment(local + timedelta(days=1), end, zone)
    return release.astimezone(UTC)


def digest_period(now: datetime, digest_at: str, timezone: str) -> tuple[str, datetime, datetime]:
    """The latest digest that is due at ``now``: its local date, and the day it covers (UTC start, end)."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    end = _local_moment(local, _clock(digest_at), zone)
    if end > local:
        end = _local_moment(local - timedelta(days=1), _clock(digest_at), zone)
    start = _local_moment(end - timedelta(days=1), _clock(digest_at), zone)
    return end.date().isoformat(), start.astimezone(UTC), end.astimezone(UTC)
