"""Repost verdicts against the seed corpus: reposts, excerpts and quotations found; distinct posts kept apart."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pytest

from monitor.dedup.fingerprints import analyse
from monitor.dedup.store import DocSize, MemoryStore
from monitor.dedup.verdict import DedupSettings, check

SEED_NAMES = ["seed_000_74afbb8971975e09.txt", "seed_001_6d62efa7d4173aee.txt", "seed_002_e51fe68ada72c05c.txt",
              "seed_003_8bc1901eddcf3703.txt", "seed_004_b9716d304f0d04f8.txt"]
NEW_CHROME_HEAD = "Frontier Dispatch\nHome » World » Asia\nPosted by the editors on 12 August 2021\n"
NEW_COMMENTS = (
    "steppe_rider said...\nThe river is low this time of year, anyone can walk across at the shallows.\n\n"
    "A reader said...\nI would wait for confirmation from someone on the ground before believing any of this.\n\n"
    "Subscribe to: Post Comments (Atom)\nNewer Post Older Post Home"
)


def _paragraphs(fixtures: Path, index: int) -> list[str]:
    text = (fixtures / "dedup" / SEED_NAMES[index]).read_text(encoding="utf-8")
    return [p.strip() for p in text.split("\n") if p.strip()]


@pytest.fixture
def store(fixtures: Path) -> MemoryStore:
    """The five seeds indexed as articles 1 to 5."""
    memory = MemoryStore()
    for number, name in enumerate(SEED_NAMES, start=1):
        memory.add(number, analyse((fixtures / "dedup" / name).read_text(encoding="utf-8")))
    return memory


def _commentary(fixtures: Path, quote: str) -> str:
    return (fixtures / "dedup" / "commentary.txt").read_text(encoding="utf-8").replace("[QUOTE]", quote)


def test_seed_in_other_chrome_with_other_comments_is_duplicate(fixtures: Path, store: MemoryStore) -> None:
    """A seed's article in a different blog's chrome with different comments is a duplicate of that seed."""
    paragraphs = _paragraphs(fixtures, 4)
    article = "\n\n".join([paragraphs[0], *paragraphs[2:18]])
    verdict = check(f"{NEW_CHROME_HEAD}\n{article}\n\n{NEW_COMMENTS}", store)
    assert verdict.duplicate and verdict.duplicate_of == 5
    assert verdict.containment_old > 0.4


def test_short_article_among_long_comments_is_duplicate(fixtures: Path, store: MemoryStore) -> None:
    """A seed whose article is a minor part of its page (cut with Read more) is found under new comments."""
    paragraphs = _paragraphs(fixtures, 0)
    article = "\n\n".join(paragraphs[1:8])
    commentary = (fixtures / "dedup" / "commentary.txt").read_text(encoding="utf-8").split("[QUOTE]")[1]
    verdict = check(f"{NEW_CHROME_HEAD}\n{article}\n\n{commentary}\n\n{NEW_COMMENTS}", store)
    assert verdict.duplicate_of == 1


def test_forty_percent_excerpt_is_duplicate(fixtures: Path, store: MemoryStore) -> None:
    """A contiguous 40% excerpt of a seed is a duplicate, nearly all of it from the seed."""
    words = (fixtures / "dedup" / SEED_NAMES[3]).read_text(encoding="utf-8").split()
    start = len(words) * 3 // 10
    excerpt = " ".join(words[start:start + len(words) * 4 // 10])
    verdict = check(excerpt, store)
    assert verdict.duplicate_of == 4
    assert verdict.containment_new > 0.8
    assert 0.2 < verdict.containment_old < 0.65


def test_seed_quoted_in_longer_post_is_duplicate(fixtures: Path, store: MemoryStore) -> None:
    """A seed's quoted article inside a commentary about twice its length is a duplicate of it."""
    quote = "\n\n".join(_paragraphs(fixtures, 2)[3:7])
    post = _commentary(fixtures, f"\"{quote}\"")
    assert len(post.split()) > 2.5 * len(quote.split())
    verdict = check(post, store)
    assert verdict.duplicate_of == 3
    assert verdict.containment_new < 0.5 < verdict.containment_old


def test_light_edit_with_other_typography_is_duplicate(fixtures: Path, store: MemoryStore) -> None:
    """Upper case, straight quotes, other dashes and a few dropped words do not hide a repost."""
    text = (fixtures / "dedup" / SEED_NAMES[3]).read_text(encoding="utf-8")
    words = text.replace("’", "'").replace("“", '"').replace("”", '"').upper().split(" ")
    edited = " ".join(w for i, w in enumerate(words) if i % 29 != 7)
    assert check(edited, store).duplicate_of == 4


def test_other_article_in_same_blog_template_is_original(fixtures: Path, store: MemoryStore) -> None:
    """A different article in the very chrome of a stored blog post is not a duplicate."""
    article = (fixtures / "dedup" / "other_article.txt").read_text(encoding="utf-8")
    title = "Trucks wait for days at the river crossing"
    head = "Skip to content Skip to sidebar Skip to footer\n\n" + title + "\n\n"
    page = f"{head}{article}\n\n{NEW_COMMENTS}\n\nPost a Comment for \"{title}\""
    assert not check(page, store).duplicate
    forum = _paragraphs(fixtures, 4)
    post = "\n\n".join([title, "Authored by aljazeera.com and submitted by PanEuropeanism", article, *forum[24:]])
    assert not check(post, store).duplicate


def test_post_quoting_one_sentence_is_original(fixtures: Path, store: MemoryStore) -> None:
    """A commentary quoting a single sentence of a seed is not a duplicate of it."""
    sentence = ("It is no coincidence that the Taliban have seized exit points through the Amu Darya to "
                "neighboring Tajikistan.")
    assert sentence in (fixtures / "dedup" / SEED_NAMES[3]).read_text(encoding="utf-8")
    verdict = check(_commentary(fixtures, f"\"{sentence}\""), store)
    assert not verdict.duplicate and verdict.duplicate_of is None


def test_unrelated_article_is_original(fixtures: Path, store: MemoryStore) -> None:
    """An article on the same region but with its own text is original."""
    assert not check((fixtures / "dedup" / "other_article.txt").read_text(encoding="utf-8"), store).duplicate


def test_tie_goes_to_lowest_id(fixtures: Path) -> None:
    """When the same text is indexed twice, the verdict names the lower id (the earliest original)."""
    text = (fixtures / "dedup" / SEED_NAMES[1]).read_text(encoding="utf-8")
    memory = MemoryStore()
    memory.add(9, analyse(text))
    memory.add(4, analyse(text))
    assert check(text, memory).duplicate_of == 4


class CountingStore(MemoryStore):
    """A MemoryStore that counts the calls the verdict makes."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def lookup(self, hashes: Collection[int]) -> dict[int, list[int]]:
        self.calls.append("lookup")
        return super().lookup(hashes)

    def sizes(self, article_ids: Collection[int]) -> dict[int, DocSize]:
        self.calls.append("sizes")
        return super().sizes(article_ids)

    def doc_count(self) -> int:
        self.calls.append("doc_count")
        return super().doc_count()


def test_one_lookup_and_one_size_query(fixtures: Path) -> None:
    """A verdict costs one lookup, one document count and one size query, however many candidates match."""
    counting = CountingStore()
    for number, name in enumerate(SEED_NAMES, start=1):
        counting.add(number, analyse((fixtures / "dedup" / name).read_text(encoding="utf-8")))
    check((fixtures / "dedup" / SEED_NAMES[2]).read_text(encoding="utf-8"), counting, DedupSettings())
    assert sorted(counting.calls) == ["doc_count", "lookup", "sizes"]


def test_boilerplate_shared_by_many_articles_is_ignored(fixtures: Path) -> None:
    """Fingerprints held by more than the common-document limit do not count as shared text."""
    footer = (fixtures / "dedup" / "commentary.txt").read_text(encoding="utf-8").split("[QUOTE]")[0]
    article = (fixtures / "dedup" / "other_article.txt").read_text(encoding="utf-8")
    memory = MemoryStore()
    for number in range(1, 8):
        memory.add(number, analyse(f"Story number {number} is about something else entirely.\n\n{footer}"))
    settings = DedupSettings(common_df_floor=5, common_df_fraction=0.0)
    assert not check(f"{article}\n\n{footer}", memory, settings).duplicate
    assert check(f"{article}\n\n{footer}", memory, DedupSettings(common_df_floor=50)).duplicate
