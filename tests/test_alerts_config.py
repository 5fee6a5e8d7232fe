"""Channel settings for alerting: clear errors for bad zones, times and missing secrets; the defaults."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.config import AppriseChannel, ConfigError, parse_settings

BASE = '[[watchlists]]\nname = "takhar"\nterms = ["Takhar"]\n'


def _channel(body: str) -> str:
    return BASE + '[[channels]]\nkind = "webhook"\nurl = "https://example.org/hook"\n' + body


def test_channel_controls_parse_with_defaults() -> None:
    """Quiet hours, zone, floor and digest settings are read; unset ones take their defaults."""
    settings = parse_settings(
        _channel('quiet_hours = ["22:00", "7:05"]\ntimezone = "Asia/Kabul"\nmin_severity = "medium"\ndigest = true'),
        environ={},
    )
    channel = settings.channels[0]
    assert channel.quiet_hours == ("22:00", "07:05") and channel.timezone == "Asia/Kabul"
    assert channel.min_severity == "medium" and channel.digest and channel.digest_at == "08:00" and channel.feed_health
    assert settings.watchlists[0].cooldown == timedelta(hours=3) and settings.watchlists[0].repeat == timedelta(0)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('timezone = "Mars/Olympus"', "channels[0].timezone: unknown time zone 'Mars/Olympus'"),
        ('quiet_hours = ["25:00", "07:00"]', "channels[0].quiet_hours[0]: invalid time of day '25:00'"),
        ('min_severity = "urgent"', "channels[0].min_severity"),
        ('digest_at = "8am"', "channels[0].digest_at: invalid time of day '8am'"),
    ],
)
def test_bad_channel_controls_name_the_key(body: str, message: str) -> None:
    """Each mistake is reported with its key path and the problem."""
    with pytest.raises(ConfigError) as caught:
        parse_settings(_channel(body), path="monitor.toml", environ={})
    assert f"monitor.toml: {message}" in str(caught.value)


def test_apprise_channel_needs_its_url_in_the_environment() -> None:
    """An Apprise channel reads its URL from the variable named by url_env, and says so when it is unset."""
    text = BASE + '[[channels]]\nkind = "apprise"\nname = "chat"\nurl_env = "CHAT_URL"\n'
    settings = parse_settings(text, environ={"CHAT_URL": "ntfy://localhost/topic"})
    assert isinstance(settings.channels[0], AppriseChannel) and settings.channel_name(0) == "chat"
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, path="monitor.toml", environ={})
    assert "monitor.toml: channels[0].url_env: environment variable CHAT_URL is not set" in str(caught.value)
