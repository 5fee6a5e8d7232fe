"""Putting a spike alert into the outbox: the channels that want it, held for quiet hours and a short
grouping window, and folded into a pending message of another watchlist that shares its stories."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitor.alerts.channels import channels_for, hold_times
from monitor.alerts.controls import SEVERITIES
from monitor.alerts.outbox import enqueue
from monitor.config import Settings
from monitor.db.models import Alert
from monitor.db.upsert import insert_ignore

log = logging.getLogger("monitor.alerts")

GROUP_REACH = timedelta(minutes=10)  # how old an unsent spike message may be and still take in another


def _story_ids(payload: dict[str, Any]) -> set[int]:
    return {int(s["id"]) for s in payload.get("stories", []) if s.get("id") is not None}


def merged_payload(leader: dict[str, Any], member: dict[str, Any]) -> dict[str, Any]:
    """The leader's payload with ``member``'s episode under ``related`` and its new stories added (pure)."""
    related = [r for r in leader.get("related", []) if r.get("watchlist") != member.get("watchlist")]
    related.append({k: member.get(k) for k in ("id", "type", "watchlist", "summary", "severity", "episode")})
    known = _story_ids(leader)
    stories = list(leader.get("stories", [])) + [s for s in member.get("stories", []) if s.get("id") not in known]
    levels = [leader.get("severity", "low"), member.get("severity", "low")]
    return {
        **leader,
        "related": related,
        "stories": stories,
        "severity": max(levels, key=SEVERITIES.index),
    }


def _try_group(
    session: Session, settings: Settings, channel: str, key: str, payload: dict[str, Any], now: datetime
) -> int | None:
    """Fold this alert into a pending, unclaimed spike message on ``channel`` that shares a story and
    was written within the grouping window; return that message's id, or None."""
    stories = _story_ids(payload)
    window = max(settings.alerts.group_window, GROUP_REACH)
    if not stories:
        return None
    candidates = session.scalars(
        select(Alert)
        .where(
            Alert.channel == channel,
            Alert.status == "pending",
            Alert.claimed_by.is_(None),
            Alert.attempts == 0,
            Alert.kind.like("spike.%"),
            Alert.created_at >= now - window,
        )
        .order_by(Alert.id)
    ).all()
    for candidate in candidates:
        leader = json.loads(candidate.payload)
        if leader.get("watchlist") == payload.get("watchlist") or not stories & _story_ids(leader):
            continue
        merged = merged_payload(leader, {**payload, "id": f"{key}:{channel}"})
        names = [leader.get("watchlist")] + [r.get("watchlist") for r in merged["related"]]
        subject = candidate.subject.split(" (with ")[0] + f" (with {', '.join(str(n) for n in names[1:])})"
        # Conditional on the row still being unclaimed: a daemon that claimed it meanwhile sends it as it was.
        done = session.execute(
            update(Alert)
            .where(Alert.id == candidate.id, Alert.claimed_by.is_(None), Alert.status == "pending")
            .values(payload=json.dumps(merged, ensure_ascii=False, sort_keys=True), subject=subject)
            .returning(Alert.id)
            .execution_options(synchronize_session=False)
        ).first()
        if done:
            return candidate.id
    return None


def route_spike_alert(
    session: Session,
    settings: Settings,
    *,
    kind: str,
    key: str,
    subject: str,
    payload: dict[str, Any],
    watchlist: str,
    spike_id: int,
    now: datetime,
) -> list[str]:
    """Write the alert's outbox rows (or fold it into a pending message); return the channels it went to."""
    names = channels_for(settings, watchlist, payload.get("severity", "low"))
    holds = hold_times(settings, names, now, settings.alerts.group_window)
    for name in names:
        if session.scalar(select(Alert.id).where(Alert.idempotency_key == f"{key}:{name}")) is not None:
            continue  # written before: never routed twice
        leader = _try_group(session, settings, name, key, payload, now)
        if leader is not None:
            insert_ignore(
                session,
                Alert,
                [
                    {
                        "idempotency_key": f"{key}:{name}",
                        "kind": kind,
                        "channel": name,
                        "spike_id": spike_id,
                        "subject": subject,
                        "payload": json.dumps({**payload, "id": f"{key}:{name}"}, ensure_ascii=False, sort_keys=True),
                        "status": "grouped",
                        "attempts": 0,
                        "created_at": now,
                        "next_attempt_at": now,
                        "group_id": leader,
                    }
                ],
            )
            log.info("alert %s:%s goes out with alert #%d (shared stories)", key, name, leader)
            continue
        enqueue(
            session,
            kind=kind,
            key=key,
            subject=subject,
            payload=payload,
            channels=[name],
            spike_id=spike_id,
            now=now,
            not_before=holds,
        )
    return names
