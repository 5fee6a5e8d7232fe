"""``monitor dedup check`` and ``monitor dedup reindex`` against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import delete, func, select, update

from monitor.cli import cli
from monitor.db.engine import make_engine, make_sessionmaker
from monitor.db.fingerprint_index import PARAMS_KEY, index_is_current, params_record
from monitor.db.models import Article, Fingerprint, MetaValue
from tests.conftest import write_config
from tests.servers import Site, serve

SEEDS = Path(__file__).resolve().parents[1] / "config" / "seeds"


def _run(config: Path, *args: str) -> list[dict[str, object]]:
    """Run ``monitor --config CONFIG dedup ...`` in process; return the JSON lines it printed."""
    result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def _seeded(tmp_path: Path, db_url: str) -> Path:
    """A config on `db_url` with the shipped seeds imported."""
    config = write_config(tmp_path / "monitor.toml", db_url)
    result = CliRunner().invoke(cli, ["--config", str(config), "seeds", "import", str(SEEDS)])
    assert result.exit_code == 0, result.output
    return config


def _page(body: str) -> str:
    """An HTML page carrying `body` as its article, in site chrome."""
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in body.split("\n\n") if p.strip())
    return (
        "<!doctype html><html><head><title>Reposted</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>Reposted story</h1><p>Shared by a reader, with thanks.</p>{paragraphs}</article>"
        "<footer>Copyright the reposting blog</footer></body></html>"
    )


def test_check_reports_reposts_and_originals_without_storing(tmp_path: Path, db_url: str) -> None:
    """Text, HTML and URL inputs get the matched seed (id, source path, title) and measures; nothing is stored."""
    config = _seeded(tmp_path, db_url)
    seed = sorted(SEEDS.glob("*.txt"))[1]
    body = seed.read_text(encoding="utf-8")
    words = body.split()
    (tmp_path / "excerpt.txt").write_text("Seen elsewhere today:\n\n" + " ".join(words[: len(words) // 2]))
    (tmp_path / "repost.html").write_text(_page(body), encoding="utf-8")
    (tmp_path / "new.txt").write_text(
        "Farmers in the Ferghana valley expect a late cotton harvest after an unusually wet autumn, officials "
        "said on Tuesday, adding that irrigation canals had been repaired ahead of the planting season."
    )
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as session:
        before = session.execute(select(func.count()).select_from(Article)).scalar_one()
        seed_row = session.execute(select(Article.id, Article.title).where(Article.source == str(seed))).one()

    site = Site()
    with serve(site):
        url = site.add("/copy", _page(body))
        records = _run(config, "dedup", "check", "--json", str(tmp_path / "excerpt.txt"),
                       str(tmp_path / "repost.html"), str(tmp_path / "new.txt"), url, str(seed))

    excerpt, html, new, fetched, exact = records
    for record in (excerpt, html, fetched, exact):
        assert record["duplicate"] is True
        assert record["duplicate_of"] == {"id": seed_row.id, "source": str(seed), "title": seed_row.title}
    assert excerpt["input"] == str(tmp_path / "excerpt.txt") and fetched["input"] == url
    assert excerpt["containment"] > 0.9 and 0.3 < excerpt["containment_of_original"] < 0.7  # type: ignore[operator]
    assert html["method"] == "fingerprint" and exact["method"] == "hash" and exact["similarity"] == 1.0
    assert new == {"input": str(tmp_path / "new.txt"), "duplicate": False, "duplicate_of": None, "method": None,
                   "containment": 0.0, "containment_of_original": 0.0, "similarity": 0.0}
    with make_sessionmaker(engine)() as session:
        assert session.execute(select(func.count()).select_from(Article)).scalar_one() == before
    engine.dispose()


def test_reindex_restores_an_index_made_with_other_parameters(tmp_path: Path, db_url: str) -> None:
    """After a change of method the check warns; reindex fingerprints originals again and records the parameters."""
    config = _seeded(tmp_path, db_url)
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        rows = session.execute(select(func.count()).select_from(Fingerprint)).scalar_one()
        # What a database indexed by an older method looks like: other hashes, other parameters recorded.
        session.execute(delete(Fingerprint))
        session.execute(update(MetaValue).where(MetaValue.key == PARAMS_KEY).values(value='{"version": "old"}'))
    with sessions() as session:
        assert not index_is_current(session)
    seed = sorted(SEEDS.glob("*.txt"))[0]
    (tmp_path / "copy.txt").write_text("Reposted:\n\n" + seed.read_text(encoding="utf-8") + "\n\nComments closed.")

    stale = CliRunner().invoke(cli, ["--config", str(config), "dedup", "check", str(tmp_path / "copy.txt")])
    assert "monitor dedup reindex" in stale.stderr and ": original" in stale.stdout

    result = CliRunner().invoke(cli, ["--config", str(config), "dedup", "reindex"])
    assert result.exit_code == 0 and "re-indexed 5 originals" in result.stdout, result.output
    with sessions() as session:
        assert index_is_current(session)
        assert session.execute(select(MetaValue.value).where(MetaValue.key == PARAMS_KEY)).scalar() == params_record()
        assert session.execute(select(func.count()).select_from(Fingerprint)).scalar_one() == rows
    again = CliRunner().invoke(cli, ["--config", str(config), "dedup", "reindex"])
    assert "nothing to do" in again.stdout
    (record,) = _run(config, "dedup", "check", "--json", str(tmp_path / "copy.txt"))
    assert record["duplicate"] is True and record["method"] == "fingerprint"
    engine.dispose()
