"""An alert as a channel sees it, and the versioned webhook payload (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

PAYLOAD_VERSION = "1"


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """One message for one channel; ``key`` is its idempotency key (the same on every retry)."""

    key: str
    kind: str
    subject: str
    payload: dict[str, Any]

    def body(self) -> bytes:
        """The JSON document a webhook receives (stable key order, UTF-8)."""
        return json.dumps(self.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")


def spike_payload(
    *,
    key: str,
    kind: str,
    watchlist: str,
    episode: dict[str, Any],
    stories: list[dict[str, Any]],
    summary: str,
    created_at: str,
) -> dict[str, Any]:
    """The documented webhook payload for a spike alert (see docs/webhooks.md)."""
    return {
        "version": PAYLOAD_VERSION,
        "type": kind,
        "id": key,
        "created_at": created_at,
        "summary": summary,
        "watchlist": watchlist,
        "episode": episode,
        "stories": stories,
    }


def spike_subject(watchlist: str, observed: int, window_hours: float, expected: float) -> str:
    """E.g. ``Takhar: 9 stories in 3 h, usually 0.4``."""
    hours = f"{window_hours:g} h"
    noun = "story" if observed == 1 else "stories"
    usual = "< 0.01" if expected < 0.005 else (f"{expected:.2f}" if expected < 1 else f"{expected:.1f}")
    return f"{watchlist}: {observed} {noun} in {hours}, usually {usual}"


def sample_payload(key: str, now: datetime) -> dict[str, Any]:
    """A made-up spike alert for ``monitor alerts test``, shaped like a real one (chart included)."""
    start = now - timedelta(hours=3)
    counts = [0, 1, 0, 0, 2, 0, 1, 0, 0, 1, 0, 0, 1, 9]
    days = [(now - timedelta(days=13 - i)).date().isoformat() for i in range(14)]
    return {
        **spike_payload(
            key=key,
            kind="test",
            watchlist="sample",
            episode={
                "id": 0,
                "started_at": start.isoformat(),
                "alerted_at": now.isoformat(),
                "window_hours": 3,
                "observed": 9,
                "expected": 0.4,
                "peak": 9,
            },
            stories=[
                {
                    "id": 0,
                    "title": "Test alert from frontier-monitor",
                    "url": "https://example.org/test-alert",
                    "source": "monitor",
                    "published_at": now.isoformat(),
                    "reposts": [{"url": "https://example.net/test-alert-copy", "source": "monitor"}],
                }
            ],
            summary="test: sample: 9 stories in 3 h, usually 0.40",
            created_at=now.isoformat(),
        ),
        "severity": "medium",
        "history": {"days": days, "counts": counts},
    }
