"""Repost detection: quality against datasketch's MinHashLSH and LSH Ensemble, fingerprint speed, index size.

Builds a labelled set with a seeded RNG from ../shared/seeds, the article-extraction-benchmark ground-truth
texts and news-rss-entries-2023 descriptions:

* stored ("already seen"): the seeds, part of the benchmark articles (some inside a blog template), and
  descriptions from January to June as background;
* positives: reposts in other chrome with comments, editor's notes and "Read more" cuts; excerpts of 35-60%;
  light edits (word changes, typography); articles quoted inside posts 1.5-3 times longer; short reposts of
  stored descriptions;
* negatives: unseen articles (plain, in chrome, in the very template of stored posts), posts quoting one
  sentence of a stored article, unseen descriptions (July to December, plain and in chrome).

Commentary and comments are descriptions from July to December wrapped in generic blog phrases. Originals are
split in two by a hash of their key: thresholds are tuned on one half only; the other half is held out and
gives the final figures (with the shipped defaults of DedupSettings).

    .venv/bin/python bench/dedup.py            # full run
    .venv/bin/python bench/dedup.py --quick    # smaller background, no peers
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import os
import random
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.dedup.fingerprints import PARAMS, TextPrint, analyse, fingerprint
from monitor.dedup.normalize import tokens
from monitor.dedup.store import MemoryStore
from monitor.dedup.verdict import Candidate, DedupSettings, decide, measure_candidates

SHARED = Path(os.environ.get("MONITOR_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared"))
CORPORA = SHARED / "corpora"
SEEDS = SHARED / "seeds"

NAMES = ["Jac", "Anonymous", "frontier_watcher", "Old Soldier", "kestrel", "M. Rahimi", "Dave in Ohio",
         "steppe_rider", "Nadia K.", "PanEuropeanism", "geopol_nerd", "Bill", "A reader", "Farid", "tundra77",
         "J. Morrison", "quietobserver", "Ivan P.", "Leyla", "grumpy_analyst"]
SITES = ["Frontier Dispatch", "Steppe Notes", "The Border Line", "Central Asia Watch", "Great Game Blog",
         "Daily Security Digest", "Mountain Passes", "Oxus Review", "World News Roundup", "Eurasia Desk"]
OPENERS = ["I've been following this for a while.", "This is worth reading in full.",
           "Not a surprise to anyone paying attention.", "Here is the bit that matters.",
           "Some context first.", "Worth keeping an eye on.", "Make of this what you will.",
           "This from earlier today:", "Interesting development.", "I'll let the piece speak for itself."]
CLOSERS = ["My take: this will get worse before it gets better.", "We'll see how this plays out.",
           "More as it develops.", "Thoughts welcome in the comments.", "Stay tuned.",
           "Not comforting at all.", "Time will tell."]
REPLIES = ["Agreed.", "Good point.", "I'm not so sure about that.", "Source?", "Thanks for posting this.",
           "This.", "Exactly what I was thinking.", "Spot on.", "Nonsense."]
SWAPS = {"the": "a", "said": "stated", "says": "states", "also": "too", "which": "that", "but": "yet",
         "big": "large", "about": "around", "many": "numerous", "people": "persons", "new": "fresh",
         "more": "further", "after": "following", "before": "prior to", "help": "assist"}


@dataclass(frozen=True)
class Template:
    """A blog or forum skin: text around the post and the shape of its comments."""

    header: str
    footer: str
    comment: str  # format with name, date, body
    read_more: str


def make_templates(rng: random.Random) -> list[Template]:
    """Generic blog/forum skins, each with its own site name."""
    forms = [
        Template("Skip to content Skip to sidebar Skip to footer\n\n{site}\nHome » World » Asia\n\n{title}\n",
                 "Share this: Facebook Twitter Email\nLike this: Like Loading...\nRelated\n\n"
                 "Post a Comment for \"{title}\"", "{name} says:\n{date} at 10:14 am\n{body}\nReply",
                 "Read more ...."),
        Template("{date}\n\n{title}\n\nPosted by {site} Editor at 9:02 AM\n",
                 "Labels: Afghanistan, Central Asia, Russia, Security\n\nNewer Post Older Post Home\n"
                 "Subscribe to: Post Comments (Atom)", "{name} said...\n\n{body}\n\n{date} at 11:37 PM",
                 "Read more ...."),
        Template("{title}\n\nAuthored by {site} and submitted by {name}\n",
                 "I am a bot, and this action was performed automatically. Please contact the moderators of "
                 "this subreddit if you have any questions or concerns.",
                 "{name} on {date} at 17:35 UTC »\n\n{body}", "Continue reading at the source."),
        Template("{site} | News and analysis\nMenu\n\n{title}\n\nBy {site} staff · {date}\n",
                 "Subscribe to {site} Telegram channel, Facebook, RSS!\n\nTags: news, world\n"
                 "Previous Post Next Post", "{body}\n— {name}, {date}", "There's more at the link."),
        Template("{site}\n\n{title}\n",
                 "Google News\n\nPost a Comment\n\nPrevious Post Next Post", "{name}\n{date}\n{body}",
                 "(Full story at the link.)"),
        Template("Home > Forums > World Affairs > {title}\n\nThread starter {name} Start date {date}\n",
                 "You must log in or register to reply here.\nShare: Facebook Twitter Reddit Email Link",
                 "{name} said:\n{body}\nClick to expand...", "Source: link in the title."),
    ]
    out = []
    for form, site in zip(itertools.cycle(forms), SITES, strict=False):
        out.append(Template(form.header.replace("{site}", site), form.footer.replace("{site}", site),
                            form.comment, form.read_more))
    rng.shuffle(out)
    return out


def stable_half(key: str) -> str:
    """'tune' or 'holdout', fixed by a hash of the original's key."""
    return "tune" if hashlib.blake2b(key.encode(), digest_size=1).digest()[0] % 2 == 0 else "holdout"


def sentences(text: str) -> list[str]:
    """Crude sentence split on end punctuation."""
    return [s for s in re.split(r"(?<=[.!?…])\s+", text.strip()) if s]


class Filler:
    """Commentary and comment text drawn from unseen descriptions."""

    def __init__(self, rng: random.Random, descriptions: list[str]) -> None:
        self.rng = rng
        self.descriptions = descriptions

    def words(self, n: int) -> str:
        """Paragraphs of unseen description text, about `n` words long."""
        parts: list[str] = []
        total = 0
        while total < n:
            d = self.rng.choice(self.descriptions)
            parts.append(d)
            total += len(d.split())
        return "\n\n".join(parts)

    def comments(self, template: Template, count: int) -> str:
        """`count` reader comments in the template's comment shape."""
        out = []
        for _ in range(count):
            body = self.rng.choice(REPLIES) if self.rng.random() < 0.3 else self.words(self.rng.randint(15, 80))
            date = f"August {self.rng.randint(1, 28)}, 202{self.rng.randint(1, 3)}"
            out.append(template.comment.format(name=self.rng.choice(NAMES), date=date, body=body))
        return "\n\n".join(out)


def wrap(t: Template, title: str, body: str, comments: str, rng: random.Random) -> str:
    """A page in template `t`."""
    date = f"Thursday, July {rng.randint(1, 28)}, 202{rng.randint(1, 3)}"
    head = t.header.format(title=title, date=date, name=rng.choice(NAMES))
    foot = t.footer.format(title=title)
    return f"{head}\n{body}\n\n{comments}\n\n{foot}" if comments else f"{head}\n{body}\n\n{foot}"


def excerpt_of(body: str, rng: random.Random, low: float, high: float) -> str:
    """A contiguous run of low..high of the body's words, starting at a sentence boundary where possible."""
    words = body.split()
    n = max(1, int(len(words) * rng.uniform(low, high)))
    starts = [0] + [i + 1 for i, w in enumerate(words[:-1]) if w.endswith((".", "!", "?"))]
    starts = [s for s in starts if s + n <= len(words)] or [0]
    start = rng.choice(starts)
    return " ".join(words[start:start + n])


def light_edit(body: str, rng: random.Random) -> str:
    """Word swaps, deletions and typos on 2-5% of words, straight/curly quotes and dashes changed."""
    rate = rng.uniform(0.02, 0.05)
    out = []
    for w in body.split(" "):
        r = rng.random()
        if r < rate / 3 and w.lower() in SWAPS:
            out.append(SWAPS[w.lower()])
        elif r < rate / 3:
            out.append(w + "s" if len(w) > 3 else w)
        elif r < 2 * rate / 3:
            continue
        elif r < rate and len(w) > 4:
            i = rng.randrange(1, len(w) - 2)
            out.append(w[:i] + w[i + 1] + w[i] + w[i + 2:])
        else:
            out.append(w)
    text = " ".join(out)
    if rng.random() < 0.5:
        text = text.replace("’", "'").replace("“", '"').replace("”", '"').replace("—", "--")
    else:
        text = text.replace("'", "’").replace(" - ", " – ")
    return text


@dataclass(frozen=True)
class Item:
    """One query of the labelled set."""

    text: str
    kind: str
    target: int | None  # the stored article it duplicates, None for negatives
    half: str


def load_descriptions(path: Path) -> tuple[list[str], list[str]]:
    """Distinct descriptions of >= 12 words: (January-June, July-December)."""
    first: dict[str, str] = {}
    second: dict[str, str] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            entry = json.loads(line)
            text = (entry.get("description") or "").strip()
            if len(text.split()) < 12:
                continue
            key = " ".join(tokens(text))
            month = int(str(entry.get("date_published", "2023-01"))[5:7])
            (first if month <= 6 else second).setdefault(key, text)
    keys_second = set(second) - set(first)
    return list(first.values()), [second[k] for k in keys_second]


def build(rng: random.Random, background_size: int, variants: int
          ) -> tuple[list[tuple[int, str]], list[Item], list[int]]:
    """The stored articles (id, text), the labelled queries, and the ids of full-length stored articles."""
    truth = json.loads((CORPORA / "article-extraction-benchmark" / "ground-truth.json").read_text("utf-8"))
    articles = [(k, v["articleBody"].strip()) for k, v in sorted(truth.items())
                if len(v["articleBody"].split()) >= 100]
    early, late = load_descriptions(CORPORA / "news-rss-entries-2023" / "news_rss_entries_2023.jsonl.gz")
    early.sort()
    late.sort()
    rng.shuffle(early)
    rng.shuffle(late)
    filler = Filler(rng, late[:20000])
    unseen_descriptions = late[20000:21200]
    templates = make_templates(rng)
    stored: list[tuple[int, str]] = []
    originals: list[tuple[int, str, str, str]] = []  # id, key, title, body

    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        stored.append((len(stored) + 1, text))
        originals.append((len(stored), path.stem, text.split("\n", 1)[0][:80], text))
    rng.shuffle(articles)
    n = len(articles)
    plain, chromed, unseen = articles[: n * 45 // 100], articles[n * 45 // 100: n * 65 // 100], \
        articles[n * 65 // 100:]
    for key, body in plain:
        stored.append((len(stored) + 1, body))
        originals.append((len(stored), key, sentences(body)[0][:80], body))
    home: dict[int, Template] = {}
    for i, (key, body) in enumerate(chromed):
        t = templates[i % len(templates)]
        title = sentences(body)[0][:80]
        stored.append((len(stored) + 1, wrap(t, title, body, filler.comments(t, rng.randint(0, 3)), rng)))
        home[len(stored)] = t
        originals.append((len(stored), key, title, body))
    long_ids = [i for i, _ in stored]
    short_originals: list[tuple[int, str]] = []
    for d in early[:background_size]:
        stored.append((len(stored) + 1, d))
        if len(d.split()) >= 30 and len(short_originals) < 300:
            short_originals.append((len(stored), d))

    items: list[Item] = []
    for article_id, key, title, body in originals:
        half = stable_half(key)
        for _ in range(variants):
            t = rng.choice(templates)
            cut = body
            if rng.random() < 0.4:
                words = body.split()
                cut = " ".join(words[: int(len(words) * rng.uniform(0.6, 0.95))]) + "\n\n" + t.read_more
            if rng.random() < 0.5:
                cut += f"\n\nEditor's note: {rng.choice(OPENERS)} {filler.words(rng.randint(20, 60))}"
            items.append(Item(wrap(t, title, cut, filler.comments(t, rng.randint(0, 6)), rng), "repost",
                              article_id, half))
            part = excerpt_of(body, rng, 0.35, 0.60)
            if rng.random() < 0.5:
                t = rng.choice(templates)
                part = wrap(t, title, part + "\n\n" + t.read_more, filler.comments(t, rng.randint(0, 2)), rng)
            items.append(Item(part, "excerpt", article_id, half))
            edited = light_edit(body, rng)
            if rng.random() < 0.5:
                t = rng.choice(templates)
                edited = wrap(t, title, edited, filler.comments(t, rng.randint(0, 3)), rng)
            items.append(Item(edited, "edit", article_id, half))
            quoted = body if rng.random() < 0.6 else excerpt_of(body, rng, 0.6, 0.9)
            size = len(quoted.split())
            before = filler.words(int(size * rng.uniform(0.5, 1.5)))
            after = filler.words(int(size * rng.uniform(0.5, 1.5)))
            post = f"{rng.choice(OPENERS)}\n\n{before}\n\n\"{quoted}\"\n\n{after}\n\n{rng.choice(CLOSERS)}"
            t = rng.choice(templates)
            items.append(Item(wrap(t, "Commentary", post, filler.comments(t, rng.randint(0, 3)), rng), "quote",
                              article_id, half))
            sents = [s for s in sentences(body) if 12 <= len(s.split()) <= 45]
            if sents and len(body.split()) >= 150:
                post = (f"{rng.choice(OPENERS)}\n\n{filler.words(rng.randint(80, 250))}\n\nAs one report put it: "
                        f"\"{rng.choice(sents)}\"\n\n{filler.words(rng.randint(80, 250))}")
                items.append(Item(post, "neg-quote-sentence", None, half))
    for article_id, d in short_originals:
        t = rng.choice(templates)
        items.append(Item(wrap(t, d[:60], f"Reported today:\n\n{d}\n\n{t.read_more}",
                               filler.comments(t, rng.randint(0, 2)), rng),
                          "short-repost", article_id, stable_half(d)))
    for key, body in unseen:
        half = stable_half(key)
        title = sentences(body)[0][:80]
        items.append(Item(body, "neg-unseen", None, half))
        for _ in range(variants):
            t = rng.choice(templates)
            items.append(Item(wrap(t, title, body, filler.comments(t, rng.randint(0, 6)), rng),
                              "neg-unseen-chrome", None, half))
            same = rng.choice(list(home.values()))
            items.append(Item(wrap(same, title, body, filler.comments(same, rng.randint(0, 3)), rng),
                              "neg-same-template", None, half))
            items.append(Item(excerpt_of(body, rng, 0.35, 0.6), "neg-unseen-excerpt", None, half))
    for d in unseen_descriptions:
        t = rng.choice(templates)
        text = d if rng.random() < 0.5 else wrap(t, d[:60], d, filler.comments(t, rng.randint(0, 2)), rng)
        items.append(Item(text, "neg-unseen-short", None, stable_half(d)))
    return stored, items, long_ids


@dataclass
class Score:
    """Counts for precision and recall; a duplicate verdict naming the wrong article counts as false."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    wrong: int = 0

    def add(self, item: Item, predicted: int | None) -> None:
        """Count one prediction."""
        if item.target is None:
            self.fp += predicted is not None
        elif predicted == item.target:
            self.tp += 1
        else:
            self.fn += 1
            if predicted is not None:
                self.fp += 1
                self.wrong += 1

    @property
    def precision(self) -> float:
        """TP / (TP + FP)."""
        return self.tp / max(1, self.tp + self.fp)

    @property
    def recall(self) -> float:
        """TP / (TP + FN)."""
        return self.tp / max(1, self.tp + self.fn)

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / max(1e-9, p + r)

    def line(self, name: str) -> str:
        """One table row."""
        return (f"{name:<28} precision {self.precision:.4f}  recall {self.recall:.4f}  F1 {self.f1:.4f}  "
                f"(TP {self.tp}, FP {self.fp}, FN {self.fn}, wrong article {self.wrong})")


def score(items: Sequence[Item], predictions: Sequence[int | None], half: str) -> Score:
    """Score the predictions for the items of one half."""
    s = Score()
    for item, predicted in zip(items, predictions, strict=True):
        if item.half == half:
            s.add(item, predicted)
    return s


def by_kind(items: Sequence[Item], predictions: Sequence[int | None], half: str) -> str:
    """Per kind: share of items judged as labelled."""
    rows = []
    for kind in sorted({i.kind for i in items}):
        pairs = [(i, p) for i, p in zip(items, predictions, strict=True) if i.kind == kind and i.half == half]
        right = sum(p == i.target for i, p in pairs)
        rows.append(f"    {kind:<22} {right}/{len(pairs)} right")
    return "\n".join(rows)


def tune(items: Sequence[Item], measured: Sequence[list[Candidate]], base: DedupSettings) -> DedupSettings:
    """Highest recall with precision >= 0.995 on the tuning half (then F1, then the more lenient thresholds)."""
    best: tuple[float, ...] | None = None
    chosen = base
    grid = itertools.product([0.1, 0.15, 0.2, 0.25], [0.15, 0.2, 0.3, 0.4, 0.5], [0.4, 0.5, 0.6, 0.7, 0.8],
                             [2, 3, 4, 6])
    for c_any, c_new, c_old, shared in grid:
        settings = replace(base, min_containment_any=c_any, min_containment_new=c_new, min_containment_old=c_old,
                           min_shared=shared)
        preds = [decide(c, settings).duplicate_of for c in measured]
        s = score(items, preds, "tune")
        key = (s.precision >= 0.995, s.recall, s.f1, -(c_any + c_new + c_old), -shared)
        if best is None or key > best:
            best, chosen = key, settings
    return chosen


def shingle_set(text: str) -> set[bytes]:
    """Word 5-gram shingles for datasketch."""
    toks = tokens(text)
    return {" ".join(toks[i:i + PARAMS.k]).encode() for i in range(len(toks) - PARAMS.k + 1)}


def rate(fn: Callable[[str], object], texts: Sequence[str]) -> float:
    """Texts per second for `fn`."""
    start = time.perf_counter()
    for text in texts:
        fn(text)
    return len(texts) / (time.perf_counter() - start)


def minhash_of(text: str) -> Any:
    """datasketch MinHash (128 permutations) of the text's 5-gram shingles."""
    from datasketch import MinHash

    m = MinHash(num_perm=128)
    m.update_batch(list(shingle_set(text)))
    return m


def sqlite_bytes(store_rows: list[tuple[int, int]], with_extra_index: bool) -> int:
    """Bytes SQLite needs for fingerprints(hash, article_id, PRIMARY KEY(hash, article_id)) holding the rows."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE fingerprints (hash BIGINT NOT NULL, article_id INTEGER NOT NULL, "
               "PRIMARY KEY (hash, article_id))")
    if with_extra_index:
        db.execute("CREATE INDEX ix_fingerprints_hash ON fingerprints (hash)")
    db.executemany("INSERT INTO fingerprints VALUES (?, ?)", store_rows)
    db.commit()
    db.execute("VACUUM")
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    return int(pages * size)


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="smaller background, no peers")
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args()
    if not CORPORA.is_dir() or not SEEDS.is_dir():
        print(f"bench/dedup.py: needs {CORPORA} and {SEEDS} (set MONITOR_SHARED_DIR); nothing to do.")
        return 0
    rng = random.Random(args.seed)
    stored, items, long_ids = build(rng, 3000 if args.quick else 15000, 1 if args.quick else 2)
    print(f"stored articles: {len(stored)} ({len(long_ids)} full articles, the rest RSS descriptions); "
          f"queries: {len(items)} ({sum(i.target is not None for i in items)} duplicates), "
          f"tune/holdout: {sum(i.half == 'tune' for i in items)}/{sum(i.half == 'holdout' for i in items)}")
    print(f"fingerprint parameters: {PARAMS}")

    store = MemoryStore()
    prints: dict[int, TextPrint] = {}
    for article_id, text in stored:
        prints[article_id] = analyse(text)
        store.add(article_id, prints[article_id])
    base = DedupSettings()
    lenient = replace(base, min_shared=1)
    measured = [measure_candidates(analyse(i.text), store, lenient) for i in items]
    tuned = tune(items, measured, base)
    print(f"\nshipped defaults: {base}\ntuned on the tuning half: {tuned}")
    ours = [decide(c, base).duplicate_of for c in measured]
    ours_tuned = [decide(c, tuned).duplicate_of for c in measured]

    peers: dict[str, list[int | None]] = {}
    if not args.quick:
        from datasketch import MinHashLSH, MinHashLSHEnsemble

        hashes = {a: minhash_of(t) for a, t in stored}
        sizes = {a: len(shingle_set(t)) for a, t in stored}
        lsh = MinHashLSH(threshold=0.5, num_perm=128)
        for a, m in hashes.items():
            lsh.insert(a, m)
        ensembles = {}
        for threshold in (0.3, 0.5):
            ens = MinHashLSHEnsemble(threshold=threshold, num_perm=128, num_part=16)
            ens.index([(a, hashes[a], max(1, sizes[a])) for a in hashes])
            ensembles[threshold] = ens
        preds_lsh: list[int | None] = []
        preds_ens: dict[float, list[int | None]] = {t: [] for t in ensembles}
        for item in items:
            m = minhash_of(item.text)
            size = max(1, len(shingle_set(item.text)))
            found = lsh.query(m)
            preds_lsh.append(max(found, key=lambda a: (m.jaccard(hashes[a]), -a)) if found else None)
            for threshold, ens in ensembles.items():
                keys = list(ens.query(m, size))
                preds_ens[threshold].append(
                    max(keys, key=lambda a: (m.jaccard(hashes[a]), -a)) if keys else None)
        peers["datasketch MinHashLSH(0.5)"] = preds_lsh
        for threshold, preds in preds_ens.items():
            peers[f"datasketch LSHEnsemble({threshold})"] = preds

    for half in ("tune", "holdout"):
        print(f"\n== {half} half ==")
        print(score(items, ours, half).line("ours (shipped defaults)"))
        print(score(items, ours_tuned, half).line("ours (tuned on tune half)"))
        for name, preds in peers.items():
            print(score(items, preds, half).line(name))
        print("  ours by kind:")
        print(by_kind(items, ours, half))

    texts = [t for _, t in stored[: len(long_ids)]] + [i.text for i in items[:2000]]
    texts_short = [t for _, t in stored[len(long_ids):len(long_ids) + 2000]]
    print("\n== fingerprinting speed (same texts, same process, interleaved) ==")
    for label, sample in (("queries and full articles", texts), ("RSS descriptions", texts_short)):
        words = sum(len(t.split()) for t in sample) / len(sample)
        r_ours = max(rate(fingerprint, sample) for _ in range(2))
        r_mh = rate(minhash_of, sample) if not args.quick else float("nan")
        print(f"{label} ({len(sample)} texts, {words:.0f} words each on average): ours {r_ours:,.0f}/s, "
              f"datasketch MinHash(128) {r_mh:,.0f}/s, ratio {r_ours / r_mh:.2f}")

    rows = [(h, a) for a, p in prints.items() for h in p.fingerprints]
    long_rows = [(h, a) for a in long_ids for h in prints[a].fingerprints]
    print("\n== index size ==")
    for label, selected, count in (("all stored", rows, len(prints)), ("full articles only", long_rows,
                                                                       len(long_ids))):
        members = {r[1] for r in selected}
        words = sum(len(t.split()) for a, t in stored if a in members) / count
        print(f"{label}: {len(selected) / count:.1f} fingerprints per article ({words:.0f} words), "
              f"raw {12 * len(selected) / count:,.0f} B/article, "
              f"SQLite PK(hash, article_id) {sqlite_bytes(selected, False) / count:,.0f} B/article, "
              f"with the extra index on hash {sqlite_bytes(selected, True) / count:,.0f} B/article")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
