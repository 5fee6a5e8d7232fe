"""Configuration: the contract operators write, and a clear error (file, key, problem; exit 2) for every mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import ConfigError, load_settings, parse_settings

MINIMAL = '[[feeds]]\nname = "wire"\nurl = "https://example.org/rss"\n'


def test_minimal_config_gets_defaults() -> None:
    """A config with only [[feeds]] name and url is valid and everything else has defaults."""
    settings = parse_settings(MINIMAL, "c.toml")
    assert settings.feeds[0].name == "wire"
    assert settings.database.url == "sqlite:///data/monitor.db"
    assert settings.fetch.allow_private_addresses is False
    assert settings.fetch.max_body_bytes == 10_000_000
    assert settings.channels == [] and settings.watchlists == []


def test_documented_contract_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example from the README (database, fetch, feeds with interval, watchlists, a webhook) loads as written."""
    monkeypatch.setenv("MONITOR_WEBHOOK_SECRET", "s3cret")
    text = """
[database]
url = "sqlite:///data/monitor.db"
[fetch]
allow_private_addresses = false
[[feeds]]
name = "eurasianet"
url = "https://eurasianet.org/rss"
interval = "15m"
[[watchlists]]
name = "takhar"
terms = ["Takhar", "Тахар", "تخار"]
[[channels]]
kind = "webhook"
url = "https://example.org/hook"
secret_env = "MONITOR_WEBHOOK_SECRET"
"""
    settings = parse_settings(text, "c.toml")
    assert settings.feeds[0].interval is not None and settings.feeds[0].interval.total_seconds() == 900
    assert settings.watchlists[0].terms == ["Takhar", "Тахар", "تخار"]
    assert settings.channel_name(0) == "webhook-1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MINIMAL + "colour = 1\n", "feeds[0].colour: unknown key"),
        (
            "[fetch]\nallow_private_addresses = 1.5\n" + MINIMAL,
            "fetch.allow_private_addresses: Input should be a valid boolean",
        ),
        ('[fetch]\nconcurrency = "many"\n' + MINIMAL, "fetch.concurrency: Input should be a valid integer"),
        (
            '[[feeds]]\nname = "a"\nurl = "ftp://example.org/x"\n',
            "feeds[0].url: invalid URL 'ftp://example.org/x'",
        ),
        ('[[feeds]]\nname = "a"\nurl = "example.org/rss"\n', "feeds[0].url: invalid URL"),
        (
            MINIMAL.replace('"wire"', '"a"') + 'interval = "soon"\n',
            "feeds[0].interval: invalid duration 'soon'",
        ),
        (MINIMAL + MINIMAL, "feeds[1].name: duplicate name 'wire'"),
        ('[[feeds]]\nname = "a"\n', "feeds[0].url: required key is missing"),
        (
            MINIMAL + '[[watchlists]]\nname = "w"\nterms = []\n',
            "watchlists[0].terms: List should have at least 1 item",
        ),
        (MINIMAL + '[[channels]]\nkind = "pager"\n', "channels[0].kind: unknown kind 'pager'"),
        (
            MINIMAL
            + '[[channels]]\nkind = "webhook"\nurl = "https://h.example/x"\nsecret_env = "MONITOR_TEST_UNSET_SECRET"\n',
            "channels[0].secret_env: environment variable MONITOR_TEST_UNSET_SECRET is not set",
        ),
        (
            MINIMAL + '[[channels]]\nkind = "email"\nhost = "smtp.example.org"\nsender = "m@example.org"\n'
            'recipients = ["a@example.org"]\nusername = "m"\npassword_env = "MONITOR_TEST_UNSET_PW"\n',
            "channels[0].password_env: environment variable MONITOR_TEST_UNSET_PW is not set",
        ),
        (
            MINIMAL + '[[channels]]\nkind = "webhook"\nurl = "https://h.example/x"\nwatchlists = ["nope"]\n',
            "channels[0].watchlists: unknown watchlist 'nope'",
        ),
        ('[database]\nurl = "mysql://x"\n', "database.url: expected sqlite:///PATH or postgresql"),
        ("[[feeds]\nname = 1\n", "invalid TOML"),
    ],
)
def test_bad_config_names_file_key_and_problem(text: str, expected: str) -> None:
    """Each kind of mistake gives one message that starts with the file and names the key path and the problem."""
    with pytest.raises(ConfigError) as info:
        parse_settings(text, "conf/monitor.toml", environ={})
    message = str(info.value)
    assert message.startswith("conf/monitor.toml: ")
    assert expected in message


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """A config path that does not exist says so and how to make one."""
    with pytest.raises(ConfigError, match=r"config file not found.*monitor init"):
        load_settings(tmp_path / "nope.toml")


def test_relative_sqlite_path_resolves_against_the_config_folder(tmp_path: Path) -> None:
    """sqlite:///data/monitor.db in /x/monitor.toml means /x/data/monitor.db, wherever the daemon starts."""
    path = tmp_path / "monitor.toml"
    path.write_text(MINIMAL)
    settings = load_settings(path)
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'data' / 'monitor.db'}"


@pytest.mark.parametrize(
    "text",
    ['[[feeds]]\nname = "a"\nurl = "ftp://x"\n', "[fetch]\nnope = 1\n", "x = [\n"],
)
def test_cli_exits_2_without_traceback(tmp_path: Path, text: str) -> None:
    """The command prints the one-line message on stderr and exits 2; no Python traceback reaches the operator."""
    path = tmp_path / "bad.toml"
    path.write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(path), "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"monitor: error: {path}: ")


def test_config_env_var_chooses_the_file(tmp_path: Path) -> None:
    """MONITOR_CONFIG picks the config file when --config is not given."""
    path = tmp_path / "elsewhere.toml"
    path.write_text("[fetch]\nbogus = 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "status"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "MONITOR_CONFIG": str(path)},
    )
    assert result.returncode == 2 and str(path) in result.stderr and "fetch.bogus" in result.stderr
