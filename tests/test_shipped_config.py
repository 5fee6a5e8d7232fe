"""The shipped config/monitor.toml: it loads, and its feeds and watchlists cover the region as promised."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from monitor.config import Settings, load_settings

SHIPPED = Path(__file__).resolve().parents[1] / "config" / "monitor.toml"

REQUIRED_LANGUAGES = {"en", "ru", "fa", "tg", "uz"}
MIN_FEEDS = 12

# Letter ranges per script; characters outside all three (digits, spaces, hyphens,
# apostrophes, the Uzbek ʻ modifier letter) belong to no script.
SCRIPT_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "latin": ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF)),
    "cyrillic": ((0x400, 0x52F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F)),
    "arabic": ((0x600, 0x6FF), (0x750, 0x77F), (0x8A0, 0x8FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
}

LANG_COMMENT = re.compile(r"^#\s*lang:\s*([a-z]{2,3})\s*$")
CHECK_COMMENT = re.compile(r"^#\s*(checked|unchecked):\s*\S")


def scripts_of(term: str) -> set[str]:
    """The scripts whose letters appear in a term."""
    found: set[str] = set()
    for ch in term:
        if not ch.isalpha():
            continue
        code = ord(ch)
        for script, ranges in SCRIPT_RANGES.items():
            if any(lo <= code <= hi for lo, hi in ranges):
                found.add(script)
    return found


def feed_annotations(text: str) -> list[tuple[str | None, str | None]]:
    """For each [[feeds]] block in order: its `# lang:` value and its checked/unchecked word."""
    blocks: list[tuple[str | None, str | None]] = []
    lang: str | None = None
    check: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line == "[[feeds]]":
            blocks.append((lang, check))
            lang = check = None
        elif line.startswith("["):
            lang = check = None  # a comment above another section does not carry over
        elif m := LANG_COMMENT.match(line):
            lang = m.group(1)
        elif m := CHECK_COMMENT.match(line):
            check = m.group(1)
    return blocks


@pytest.fixture(scope="module")
def settings() -> Settings:
    """The shipped file, loaded the way the daemon loads it."""
    return load_settings(SHIPPED)


@pytest.fixture(scope="module")
def text() -> str:
    """The shipped file's text (for the comments the schema does not keep)."""
    return SHIPPED.read_text(encoding="utf-8")


def test_loads_without_secrets(settings: Settings) -> None:
    """The shipped file validates and activates no channel, so no secret has to be set."""
    assert settings.source == SHIPPED.resolve()
    assert settings.channels == []


def test_channel_examples_are_left_commented(text: str) -> None:
    """One commented-out webhook and one email channel show operators every key they need."""
    commented = "\n".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    for key in (
        'kind = "webhook"',
        "secret_env =",
        'kind = "email"',
        "host =",
        "port =",
        "security =",
        "sender =",
        "recipients =",
        "username =",
        "password_env =",
    ):
        assert key in commented, key


def test_database_and_seeds_resolve_next_to_the_file(settings: Settings) -> None:
    """The SQLite file and the seed folder resolve against config/, wherever the daemon starts."""
    assert settings.database.url == "sqlite:///data/monitor.db"
    assert settings.database_url == "sqlite:///" + str(SHIPPED.parent.resolve() / "data" / "monitor.db")
    assert settings.seeds == ["seeds"]
    assert settings.seed_paths() == [SHIPPED.parent.resolve() / "seeds"]


def test_seeds_key_is_top_level(text: str) -> None:
    """`seeds` sits above the first section so TOML keeps it at the top level (and `monitor init` finds it)."""
    data = tomllib.loads(text)
    assert data["seeds"] == ["seeds"]
    assert 'seeds = ["seeds"]' in text


def test_enough_feeds_with_unique_names_and_urls(settings: Settings) -> None:
    """At least a dozen feeds, none listed twice by name or by URL, all enabled."""
    names = [f.name for f in settings.feeds]
    urls = [f.url for f in settings.feeds]
    assert len(names) >= MIN_FEEDS
    assert len(set(names)) == len(names)
    assert len(set(urls)) == len(urls)
    assert all(f.enabled for f in settings.feeds)


def test_feed_urls_are_http(settings: Settings) -> None:
    """Every feed URL is an absolute http(s) URL with a host."""
    for feed in settings.feeds:
        parts = urlsplit(feed.url)
        assert parts.scheme in ("http", "https"), feed.name
        assert parts.hostname, feed.name


def test_every_feed_says_its_language_and_check(text: str, settings: Settings) -> None:
    """Each [[feeds]] block is preceded by a `# lang:` comment and a `# checked:`/`# unchecked:` comment."""
    blocks = feed_annotations(text)
    assert len(blocks) == len(settings.feeds)
    for feed, (lang, check) in zip(settings.feeds, blocks, strict=True):
        assert lang is not None, f"{feed.name}: no '# lang:' comment"
        assert check is not None, f"{feed.name}: no '# checked:' or '# unchecked:' comment"


def test_required_languages_present(text: str) -> None:
    """English, Russian, Persian/Dari, Tajik and Uzbek feeds are all there."""
    languages = {lang for lang, _ in feed_annotations(text)}
    missing = REQUIRED_LANGUAGES - languages
    assert not missing, f"no feed in {sorted(missing)}"


def test_watchlists_have_every_script(settings: Settings) -> None:
    """Each watchlist spells its subject in Latin, Cyrillic and Arabic script."""
    assert 12 <= len(settings.watchlists) <= 25
    for watchlist in settings.watchlists:
        covered = set().union(*(scripts_of(t) for t in watchlist.terms))
        missing = set(SCRIPT_RANGES) - covered
        assert not missing, f"{watchlist.name}: no term in {sorted(missing)} script"


def test_no_term_mixes_scripts(settings: Settings) -> None:
    """No term mixes scripts (a Latin look-alike letter in a Cyrillic word would never match)."""
    for watchlist in settings.watchlists:
        for term in (*watchlist.terms, *watchlist.exclude):
            found = scripts_of(term)
            assert len(found) == 1, f"{watchlist.name}: {term!r} has letters from {sorted(found) or 'no script'}"


def test_terms_are_unique_within_a_watchlist(settings: Settings) -> None:
    """A watchlist lists each spelling once (case-insensitively)."""
    for watchlist in settings.watchlists:
        folded = [t.casefold() for t in watchlist.terms]
        assert len(set(folded)) == len(folded), watchlist.name


def test_script_classifier() -> None:
    """The script check tells the three scripts apart and ignores digits, hyphens and the Uzbek ʻ."""
    assert scripts_of("Qoʻshtepa") == {"latin"}
    assert scripts_of("Кӯлоб") == {"cyrillic"}
    assert scripts_of("پایگاه ۲۰۱") == {"arabic"}
    assert scripts_of("201-я база") == {"cyrillic"}
    assert scripts_of("Tахар") == {"latin", "cyrillic"}  # Latin T in a Cyrillic word
    assert scripts_of("201") == set()
