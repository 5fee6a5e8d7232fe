"""Pure parts of alerting: severity, quiet hours, digest periods, the PNG chart and the renderings."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from monitor.alerts.chart import bar_chart, encode_png
from monitor.alerts.chat import with_timeouts
from monitor.alerts.controls import at_least, digest_period, quiet_until, severity
from monitor.alerts.health import usual_gap
from monitor.alerts.message import AlertMessage, sample_payload
from monitor.alerts.render import render_html, render_markdown, render_text
from monitor.alerts.routing import merged_payload


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """A strict reader for 8-bit RGB, non-interlaced PNGs with filter 0 (checks signature and CRCs)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, colour, interlace) == (8, 2, 0)
    raw = zlib.decompress(idat)
    stride = width * 3 + 1
    rows = [raw[i * stride : (i + 1) * stride] for i in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, [row[1:] for row in rows]


def test_severity_levels_follow_count_and_ratio() -> None:
    """High needs 10 stories at 10x expected, medium 5 at 5x; anything else is low."""
    assert severity(12, 0.4) == "high"
    assert severity(12, 2.0) == "medium"  # 6x: not high
    assert severity(6, 0.2) == "medium"
    assert severity(4, 0.0) == "low"  # too few stories for medium however small the expectation
    assert severity(9, 3.0) == "low"
    assert at_least("high", "medium") and not at_least("low", "medium") and at_least("low", "low")


def test_quiet_hours_across_midnight_in_a_time_zone() -> None:
    """22:00-07:00 in Kabul (UTC+4:30): 18:00 UTC is 22:30 there, held until 07:00 local = 02:30 UTC."""
    quiet = ("22:00", "07:00")
    assert quiet_until(datetime(2026, 3, 1, 18, 0, tzinfo=UTC), quiet, "Asia/Kabul") == datetime(
        2026, 3, 2, 2, 30, tzinfo=UTC
    )
    assert quiet_until(datetime(2026, 3, 1, 1, 0, tzinfo=UTC), quiet, "Asia/Kabul") == datetime(
        2026, 3, 1, 2, 30, tzinfo=UTC
    )
    assert quiet_until(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), quiet, "Asia/Kabul") is None
    assert quiet_until(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), ("12:00", "13:00"), "UTC") == datetime(
        2026, 3, 1, 13, 0, tzinfo=UTC
    )
    assert quiet_until(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), None, "UTC") is None


def test_quiet_hours_end_on_a_daylight_saving_day() -> None:
    """In Berlin on the spring-forward night, 07:00 local is 05:00 UTC (not 06:00)."""
    held = quiet_until(datetime(2026, 3, 29, 0, 30, tzinfo=UTC), ("23:00", "07:00"), "Europe/Berlin")
    assert held == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def test_digest_period_is_the_local_day_before_the_digest_time() -> None:
    """At 09:00 local with digest_at 08:00 the due digest covers yesterday 08:00 to today 08:00 local."""
    day, start, end = digest_period(datetime(2026, 3, 2, 4, 30, tzinfo=UTC), "08:00", "Asia/Kabul")
    assert day == "2026-03-02"
    assert end == datetime(2026, 3, 2, 3, 30, tzinfo=UTC) and end - start == timedelta(days=1)
    day, _start, end = digest_period(datetime(2026, 3, 2, 3, 0, tzinfo=UTC), "08:00", "Asia/Kabul")
    assert day == "2026-03-01" and end == datetime(2026, 3, 1, 3, 30, tzinfo=UTC)


def test_png_encoder_round_trips_pixels() -> None:
    """The encoder's output decodes, with valid CRCs, to the exact pixels given."""
    rows = [bytes([x * 40, y * 60, 7]) * 1 for x in range(3) for y in range(2)]
    pixels = [rows[0] + rows[1] + rows[2], rows[3] + rows[4] + rows[5]]
    width, height, decoded = decode_png(encode_png(3, 2, pixels))
    assert (width, height) == (3, 2) and decoded == pixels
    with pytest.raises(ValueError):
        encode_png(3, 2, [b"\x00" * 9])


def test_bar_chart_draws_taller_bars_for_larger_counts_and_highlights_the_last() -> None:
    """Each bar's height follows its count, the last bar is red and a blue dashed line marks the usual day."""
    counts = [1, 0, 2, 1, 4]
    width, height, rows = decode_png(bar_chart(counts, usual=1.0, width=100, height=60))

    def column_height(x: int) -> tuple[int, set[tuple[int, int, int]]]:
        colours = {tuple(rows[y][x * 3 : x * 3 + 3]) for y in range(height)}
        filled = sum(1 for y in range(height) if tuple(rows[y][x * 3 : x * 3 + 3]) not in {(255, 255, 255)})
        return filled, colours  # type: ignore[return-value]

    slot = (width - 12) / len(counts)
    centres = [int(6 + (i + 0.5) * slot) for i in range(len(counts))]
    heights = [column_height(x)[0] for x in centres]
    assert heights[4] > heights[2] > heights[0] and heights[2] > heights[3]
    assert (200, 40, 40) in column_height(centres[4])[1] and (200, 40, 40) not in column_height(centres[2])[1]
    assert any((40, 110, 200) in column_height(x)[1] for x in range(width))


def test_renderings_show_figures_stories_and_reposts() -> None:
    """Text, HTML and Markdown carry observed against expected, titles, sources, links and folded reposts."""
    payload = sample_payload("test:1:mail", datetime(2026, 3, 1, 12, tzinfo=UTC))
    message = AlertMessage("test:1:mail", "test", payload["summary"], payload)
    text = render_text(message)
    assert "observed 9 in 3 h against an expected 0.40" in text
    assert "Test alert from frontier-monitor" in text and "repost: monitor https://example.net/test-alert-copy" in text
    html = render_html(message, "chart@x")
    assert 'src="cid:chart@x"' in html and "<b>9</b>" in html and "https://example.org/test-alert" in html
    markdown = render_markdown(message)
    assert "[Test alert from frontier-monitor](https://example.org/test-alert)" in markdown and "+1 repost" in markdown


def test_grouped_payload_lists_both_watchlists_and_unions_stories() -> None:
    """Folding a second watchlist keeps the leader, adds the member under related, and adds only new stories."""
    leader = {"watchlist": "takhar", "severity": "low", "stories": [{"id": 1}, {"id": 2}]}
    member = {"id": "k:m", "watchlist": "kunduz", "severity": "high", "stories": [{"id": 2}, {"id": 3}]}
    merged = merged_payload(leader, member)
    assert merged["watchlist"] == "takhar" and [r["watchlist"] for r in merged["related"]] == ["kunduz"]
    assert [s["id"] for s in merged["stories"]] == [1, 2, 3] and merged["severity"] == "high"
    assert merged_payload(merged, member)["related"] == merged["related"]  # idempotent


def test_usual_gap_counts_polls_not_entries() -> None:
    """Entries arriving together count as one arrival; the rhythm is the median gap between arrivals."""
    base = datetime(2026, 3, 1, tzinfo=UTC)
    arrivals = [base + timedelta(hours=6 * i, seconds=s) for i in range(7) for s in (0, 5, 30)]
    assert usual_gap(arrivals) == timedelta(hours=6)
    assert usual_gap(arrivals[:9]) is None  # three arrivals: too little history


def test_apprise_timeouts_added_unless_set() -> None:
    """cto and rto are appended to an Apprise URL that does not carry them."""
    assert with_timeouts("json://host/x", 5) == "json://host/x?cto=5&rto=5"
    assert with_timeouts("ntfy://host/topic?cto=2", 5) == "ntfy://host/topic?cto=2&rto=5"
