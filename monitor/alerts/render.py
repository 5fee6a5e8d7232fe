"""Alert payloads as people read them: plain text, HTML (with an inline chart) and Markdown (pure)."""

from __future__ import annotations

import html
import statistics
from typing import Any

from monitor.alerts.chart import bar_chart
from monitor.alerts.message import AlertMessage

CHART_CID = "chart@frontier-monitor"


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if value < 1 else f"{value:.1f}"
    return str(value)


def _episodes(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The spikes a message is about: its own, those grouped with it, or a digest's."""
    if payload.get("type") == "digest":
        return list(payload.get("spikes", []))
    own = [] if not payload.get("episode") else [payload]
    return own + list(payload.get("related", []))


def _episode_line(item: dict[str, Any]) -> str:
    episode = item.get("episode") or {}
    hours = episode.get("window_hours")
    window = f" in {_num(hours)} h" if hours else ""
    return (
        f"{item.get('watchlist')}: observed {episode.get('observed')}{window} against an expected "
        f"{_num(episode.get('expected'))} (severity {item.get('severity', 'low')}, since {episode.get('started_at')})"
    )


def _feed_lines(payload: dict[str, Any]) -> list[str]:
    feed = payload.get("feed") or {}
    lines = [f"Feed {feed.get('name')} ({feed.get('url')})"]
    for label, key in (
        ("failing since", "failing_since"),
        ("consecutive failures", "consecutive_failures"),
        ("last error", "last_error"),
        ("last new entry", "last_new_entry_at"),
        ("usual gap (hours)", "usual_gap_hours"),
    ):
        if feed.get(key) is not None:
            lines.append(f"{label}: {feed[key]}")
    return lines


def history_chart(payload: dict[str, Any]) -> bytes | None:
    """The PNG of the last days' counts in a spike payload (None when it has no history)."""
    counts = [float(c) for c in (payload.get("history") or {}).get("counts", [])]
    if not counts:
        return None
    earlier = counts[:-1]
    usual = statistics.median(earlier) if earlier else None
    return bar_chart(counts, usual=usual)


def history_caption(payload: dict[str, Any]) -> str:
    history = payload.get("history") or {}
    days, counts = history.get("days", []), history.get("counts", [])
    if not days:
        return ""
    return f"Stories per day, {days[0]} to {days[-1]} (UTC; last day in red, dashed: the median day): " + ", ".join(
        str(c) for c in counts
    )


def render_text(message: AlertMessage) -> str:
    """The plain-text body."""
    payload = message.payload
    lines = [payload.get("summary", message.subject), ""]
    if payload.get("feed"):
        lines += [*_feed_lines(payload), ""]
    for item in _episodes(payload):
        lines.append(_episode_line(item))
    if _episodes(payload):
        lines.append("")
    caption = history_caption(payload)
    if caption:
        lines += [caption, ""]
    for story in payload.get("stories", []):
        lines.append(f"- {story.get('title') or '(untitled)'}")
        lines.append(f"  {story.get('source')} · {story.get('published_at') or 'time unknown'}")
        lines.append(f"  {story.get('url')}")
        for repost in story.get("reposts", []):
            lines.append(f"    repost: {repost.get('source')} {repost.get('url')}")
    lines += ["", f"id: {payload.get('id', message.key)}"]
    return "\n".join(lines).rstrip() + "\n"


def render_html(message: AlertMessage, chart_cid: str | None = None) -> str:
    """The HTML body; ``chart_cid`` names the related image part holding the chart, if any."""
    payload = message.payload
    esc = html.escape
    parts = [f"<h2>{esc(str(payload.get('summary', message.subject)))}</h2>"]
    if payload.get("feed"):
        parts.append("<p>" + "<br>".join(esc(line) for line in _feed_lines(payload)) + "</p>")
    episodes = _episodes(payload)
    if episodes:
        rows = "".join(
            f"<tr><td>{esc(str(i.get('watchlist')))}</td>"
            f"<td align=right><b>{esc(str((i.get('episode') or {}).get('observed')))}</b></td>"
            f"<td align=right>{esc(_num((i.get('episode') or {}).get('expected')))}</td>"
            f"<td>{esc(str(i.get('severity', 'low')))}</td></tr>"
            for i in episodes
        )
        parts.append(
            "<table cellpadding=4><tr><th align=left>watchlist</th><th>observed</th><th>expected</th>"
            f"<th align=left>severity</th></tr>{rows}</table>"
        )
    if chart_cid:
        caption = history_caption(payload)
        parts.append(
            f'<p><img src="cid:{esc(chart_cid)}" width=448 height=120 alt="{esc(caption)}"><br>'
            f"<small>{esc(caption)}</small></p>"
        )
    items = []
    for story in payload.get("stories", []):
        reposts = "".join(
            f'<li>repost: {esc(str(r.get("source")))} <a href="{esc(str(r.get("url")))}">link</a></li>'
            for r in story.get("reposts", [])
        )
        items.append(
            f'<li><a href="{esc(str(story.get("url")))}">{esc(str(story.get("title") or "(untitled)"))}</a>'
            f"<br><small>{esc(str(story.get('source')))} · {esc(str(story.get('published_at') or 'time unknown'))}"
            f"</small>{f'<ul>{reposts}</ul>' if reposts else ''}</li>"
        )
    if items:
        parts.append(f"<ul>{''.join(items)}</ul>")
    parts.append(f"<p><small>id: {esc(str(payload.get('id', message.key)))}</small></p>")
    return f"<html><body>{''.join(parts)}</body></html>"


def render_markdown(message: AlertMessage) -> str:
    """A short Markdown body for chat: the figures and the stories, reposts counted."""
    payload = message.payload
    lines: list[str] = []
    if payload.get("feed"):
        lines += _feed_lines(payload)
    for item in _episodes(payload):
        lines.append(_episode_line(item))
    for story in payload.get("stories", [])[:10]:
        reposts = len(story.get("reposts", []))
        extra = f" (+{reposts} repost{'s' if reposts != 1 else ''})" if reposts else ""
        lines.append(f"- [{story.get('title') or '(untitled)'}]({story.get('url')}) — {story.get('source')}{extra}")
    lines.append(f"id: {payload.get('id', message.key)}")
    return "\n".join(lines)
