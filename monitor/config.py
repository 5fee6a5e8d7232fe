"""Settings: one typed object built once from TOML at start and passed down.

Secrets never live in the file: channels name an environment variable (``secret_env``,
``password_env``) and loading fails with a clear message when it is unset.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.durations import format_duration, parse_duration

DEFAULT_CONFIG = Path("config/monitor.toml")
CONFIG_ENV = "MONITOR_CONFIG"


class ConfigError(Exception):
    """An operator's mistake in the configuration; the message names the file, the key and the problem."""


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("expected a duration such as '15m', '1h' or '2d'")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    return parse_duration(value)


Duration = Annotated[timedelta, BeforeValidator(_duration), PlainSerializer(format_duration, return_type=str)]


def _http_url(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a URL string")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"invalid URL {value!r}: expected an absolute http:// or https:// URL")
    return value.strip()


HttpUrl = Annotated[str, BeforeValidator(_http_url)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = "sqlite:///data/monitor.db"

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        return value


class FetchSettings(_Section):
    allow_private_addresses: bool = False
    # Networks exempt from the address guard, e.g. ["10.20.0.0/16"] for one intranet news server.
    allowed_networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    user_agent: str = "frontier-monitor/0.1 (+https://github.com/frontier-monitor/frontier-monitor)"
    connect_timeout: Duration = timedelta(seconds=10)
    read_timeout: Duration = timedelta(seconds=20)
    total_timeout: Duration = timedelta(seconds=60)
    max_body_bytes: int = Field(default=10_000_000, gt=0)
    max_redirects: int = Field(default=5, ge=0, le=20)
    concurrency: int = Field(default=8, ge=1, le=256)
    # Worker processes for the feed stage (fetch, parse, store); 1 runs it in the daemon's own process.
    processes: int = Field(default=1, ge=1, le=64)
    per_host_concurrency: int = Field(default=2, ge=1, le=64)
    per_host_delay: Duration = timedelta(seconds=1)
    default_interval: Duration = timedelta(minutes=30)
    min_interval: Duration = timedelta(minutes=5)
    max_interval: Duration = timedelta(hours=24)
    max_entries_per_poll: int = Field(default=200, ge=1)
    # Who to contact about this crawler; appended to the User-Agent as "(+URL)" when user_agent is left unset.
    contact_url: HttpUrl | None = None
    robots: bool = True  # honour robots.txt (and its Crawl-delay) for article pages
    http2: bool = True

    def agent(self) -> str:
        """The User-Agent sent: ``user_agent`` as configured, or the product token with the contact URL."""
        if "user_agent" in self.model_fields_set or self.contact_url is None:
            return self.user_agent
        return f"{self.user_agent.split(' ', 1)[0]} (+{self.contact_url})"


class FeedSettings(_Section):
    name: str = Field(min_length=1)
    url: HttpUrl
    interval: Duration | None = None
    kind: Literal["auto", "rss", "atom", "jsonfeed", "sitemap", "html"] = "auto"
    selectors: list[str] = []
    enabled: bool = True

    @field_validator("interval")
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(seconds=30):
            raise ValueError("interval must be at least 30s")
        return value


class WatchlistSettings(_Section):
    name: str = Field(min_length=1)
    terms: list[str] = Field(min_length=1)
    exclude: list[str] = []
    # A new episode starting within `cooldown` of this watchlist's last alert is recorded but not sent;
    # an episode still under way is re-sent as a reminder every `repeat` ("0s": never).
    cooldown: Duration = timedelta(hours=3)
    repeat: Duration = timedelta(0)


class SpikeSettings(_Section):
    bucket: Duration = timedelta(hours=1)
    history: Duration = timedelta(days=56)  # the detector's seasonality and calibration remember ~4 weeks
    min_count: int = Field(default=3, ge=1)
    false_alarms_per_30_days: float = Field(default=1.0, gt=0)


def _clock_time(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a time of day such as '07:30'")
    hours, _, minutes = value.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60 and len(minutes) == 2):
        raise ValueError(f"invalid time of day {value!r}: expected HH:MM, e.g. '07:30'")
    return f"{int(hours):02d}:{minutes}"


ClockTime = Annotated[str, BeforeValidator(_clock_time)]


class _ChannelBase(_Section):
    name: str | None = None
    watchlists: list[str] = []
    # Spike alerts below this severity are not sent here (see README, "Alerts": severity).
    min_severity: Literal["low", "medium", "high"] = "low"
    # Held alerts go out when the quiet hours end; times are in `timezone` (an IANA name).
    quiet_hours: tuple[ClockTime, ClockTime] | None = None
    timezone: str = "UTC"
    # Digest mode: no spike alert of its own, one message a day at `digest_at` summarising the day.
    digest: bool = False
    digest_at: ClockTime = "08:00"
    feed_health: bool = True  # operator alerts about failing or silent feeds

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: expected an IANA name such as 'Asia/Kabul'") from None
        return value

    def secret(self, env_name: str | None) -> str | None:
        return os.environ.get(env_name) if env_name else None


class WebhookChannel(_ChannelBase):
    kind: Literal["webhook"]
    url: HttpUrl
    secret_env: str | None = None
    timeout: Duration = timedelta(seconds=10)


class EmailChannel(_ChannelBase):
    kind: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(default=587, gt=0, lt=65536)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    sender: str = Field(min_length=3)
    recipients: list[str] = Field(min_length=1)
    username: str | None = None
    password_env: str | None = None
    timeout: Duration = timedelta(seconds=30)


class AppriseChannel(_ChannelBase):
    kind: Literal["apprise"]
    url_env: str = Field(min_length=1)  # names the variable holding the Apprise URL (it carries tokens)
    timeout: Duration = timedelta(seconds=10)


Channel = Annotated[WebhookChannel | EmailChannel | AppriseChannel, Field(discriminator="kind")]


class AlertSettings(_Section):
    max_age: Duration = timedelta(hours=24)
    deliver_every: Duration = timedelta(seconds=15)
    retry_first: Duration = timedelta(seconds=30)  # backoff doubles from here, with jitter
    retry_max: Duration = timedelta(hours=1)
    lease: Duration = timedelta(minutes=5)  # a claimed alert is left alone this long by other daemons
    # Spike alerts wait this long for other watchlists' spikes on the same stories, to go out as one message
    # (an unsent alert of the last 10 minutes takes them in anyway).
    group_window: Duration = timedelta(0)
    feed_failing_after: Duration = timedelta(hours=6)  # operator alert for a feed failing this long
    feed_silent_factor: float = Field(default=8.0, gt=1)  # ... or silent this many times its usual gap
    feed_silent_min: Duration = timedelta(days=2)  # ... and at least this long
    feed_recovery: bool = True  # a notice when a feed reported failing or silent is back


class DaemonSettings(_Section):
    tick: Duration = timedelta(seconds=15)
    shutdown_grace: Duration = timedelta(seconds=30)
    jitter: float = Field(default=0.1, ge=0, le=0.5)
    # The daemon's HTTP server (GET /health, WebSub callbacks): "HOST:PORT", or "" for none.
    http: str = "127.0.0.1:8470"
    # The base URL hubs reach the daemon's HTTP server at; WebSub subscriptions are made only when set.
    public_url: HttpUrl | None = None
    websub_lease: Duration = timedelta(days=7)

    @field_validator("http")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if value:
            host, _, port = value.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"expected HOST:PORT such as '127.0.0.1:8470' (or \"\" for none), got {value!r}")
        return value


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    fetch: FetchSettings = FetchSettings()
    daemon: DaemonSettings = DaemonSettings()
    spikes: SpikeSettings = SpikeSettings()
    alerts: AlertSettings = AlertSettings()
    feeds: list[FeedSettings] = []
    watchlists: list[WatchlistSettings] = []
    channels: list[Channel] = []
    seeds: list[str] = []
    # Where the settings came from; relative paths (SQLite files, seed folders) resolve against its folder.
    source: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _unique_names(self) -> Settings:
        for label, names in (
            ("feeds", [f.name for f in self.feeds]),
            ("watchlists", [w.name for w in self.watchlists]),
        ):
            seen: set[str] = set()
            for index, item_name in enumerate(names):
                if item_name in seen:
                    raise _KeyError(f"{label}[{index}].name", f"duplicate name {item_name!r}")
                seen.add(item_name)
        known = {w.name for w in self.watchlists}
        seen_channels: set[str] = set()
        for index, channel in enumerate(self.channels):
            for name in channel.watchlists:
                if name not in known:
                    raise _KeyError(f"channels[{index}].watchlists", f"unknown watchlist {name!r}")
            label = self.channel_name(index)
            if label in seen_channels:
                raise _KeyError(f"channels[{index}].name", f"duplicate channel name {label!r}")
            seen_channels.add(label)
        return self

    def channel_name(self, index: int) -> str:
        channel = self.channels[index]
        return channel.name or f"{channel.kind}-{index + 1}"

    @property
    def base_dir(self) -> Path:
        return self.source.parent if self.source else Path.cwd()

    def resolve_path(self, path: str | Path) -> Path:
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    @property
    def database_url(self) -> str:
        """The database URL with a relative SQLite path resolved against the config file's folder."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and url != "sqlite:///:memory:":
            path = url[len(prefix) :]
            if not path.startswith("/"):
                return prefix + str(self.resolve_path(path))
        return url

    def seed_paths(self) -> list[Path]:
        return [self.resolve_path(p) for p in self.seeds]


class _KeyError(ValueError):
    """A validation failure that knows its key path (raised from whole-model checks)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key
        self.problem = problem


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("webhook", "email", "apprise") and out.startswith("channels"):
            continue  # the discriminated union adds the kind to the path; the operator did not write it
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(path: Path | str, error: dict[str, Any]) -> str:
    key = _key_path(tuple(error.get("loc", ())))
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        problem = "unknown key (check its spelling, or the section it is in)"
    elif kind == "union_tag_invalid":
        ctx0 = error.get("ctx") or {}
        key = f"{key}.{ctx0.get('discriminator', 'kind').strip(chr(39))}"
        problem = f"unknown kind {ctx0.get('tag')!r} (expected one of {ctx0.get('expected_tags')})"
    elif kind == "union_tag_not_found":
        key = f"{key}.kind"
        problem = "required key is missing (the channel's kind)"
    elif kind == "missing":
        problem = "required key is missing"
    else:
        problem = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    ctx = error.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, _KeyError):
        key, problem = inner.key, inner.problem
    return f"{path}: {key or '(top level)'}: {problem}"


def _check_secrets(settings: Settings, path: Path | str, environ: Mapping[str, str]) -> None:
    for index, channel in enumerate(settings.channels):
        env_key = {"webhook": "secret_env", "email": "password_env", "apprise": "url_env"}[channel.kind]
        env_name = getattr(channel, env_key)
        if env_name and not environ.get(env_name):
            raise ConfigError(
                f"{path}: channels[{index}].{env_key}: environment variable {env_name} is not set "
                "(secrets come from the environment, never the file)"
            )


def parse_settings(text: str, path: Path | str = "<config>", environ: Mapping[str, str] | None = None) -> Settings:
    """Parse and validate TOML text; raise ConfigError with file, key path and problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_message(path, dict(exc.errors()[0]))) from None
    if isinstance(path, Path):
        settings = settings.model_copy(update={"source": path.resolve()})
    _check_secrets(settings, path, os.environ if environ is None else environ)
    return settings


def config_path(explicit: str | Path | None = None) -> Path:
    """The config file to use: --config, then $MONITOR_CONFIG, then config/monitor.toml."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    return Path(env) if env else DEFAULT_CONFIG


def load_settings(explicit: str | Path | None = None) -> Settings:
    """Read and validate the config file; every failure is a ConfigError naming the file."""
    path = config_path(explicit)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found (pass --config PATH, set {CONFIG_ENV}, or run 'monitor init')"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    return parse_settings(text, path)
