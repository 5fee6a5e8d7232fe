"""Winnowed shingle fingerprints: definition, stability and the winnowing guarantee."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.dedup.fingerprints import PARAMS, SHINGLE_MULTIPLIER, analyse, fingerprint, index_entry, shingle_hashes
from monitor.dedup.normalize import tokens

MASK = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def _signed(x: int) -> int:
    return x - (1 << 64) if x >= 1 << 63 else x


def reference_shingles(text: str) -> list[int]:
    """Shingle hashes in text order, straight from the definition in the module docstring."""
    toks = tokens(text)
    t = [int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little") for w in toks]
    out = []
    for i in range(len(t) - PARAMS.k + 1):
        acc = sum(t[i + j] * pow(SHINGLE_MULTIPLIER, PARAMS.k - 1 - j, 1 << 64) for j in range(PARAMS.k))
        out.append(_signed(_splitmix64(acc & MASK)))
    return out


def reference_fingerprint(text: str) -> list[int]:
    """Winnowing by brute force: the distinct minima of every window."""
    hashes = reference_shingles(text)
    if not hashes:
        return []
    window = max(1, min(PARAMS.window, len(hashes) // PARAMS.short_text_divisor))
    return sorted({min(hashes[i:i + window]) for i in range(len(hashes) - window + 1)})


def _texts(fixtures: Path) -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((fixtures / "dedup").glob("*.txt"))]
    return [*texts, "Талибы заняли границу с Таджикистаном, сообщил министр обороны России в среду утром.",
            "قال المتحدث إن حركة طالبان سيطرت على المعبر الحدودي مع طاجيكستان صباح اليوم", "one two three"]


def test_fingerprints_match_reference_definition(fixtures: Path) -> None:
    """The vectorised implementation equals a naive implementation of the documented definition."""
    for text in _texts(fixtures):
        assert fingerprint(text) == reference_fingerprint(text)
        assert shingle_hashes(text) == sorted(set(reference_shingles(text)))


def test_fingerprints_fit_bigint_and_are_a_subset(fixtures: Path) -> None:
    """Fingerprints are distinct signed 64-bit ints, ascending, and a subset of the shingle hashes."""
    for text in _texts(fixtures):
        printed = analyse(text)
        assert printed.fingerprints == sorted(set(printed.fingerprints))
        assert all(-(1 << 63) <= v < (1 << 63) for v in printed.fingerprints)
        assert set(printed.fingerprints) <= printed.shingles


def test_stable_across_processes(fixtures: Path) -> None:
    """Other interpreters with other hash seeds compute the same fingerprints."""
    seed = fixtures / "dedup" / "seed_003_8bc1901eddcf3703.txt"
    code = ("import json, sys; from monitor.dedup.fingerprints import fingerprint; "
            "print(json.dumps(fingerprint(open(sys.argv[1], encoding='utf-8').read())))")
    expected = fingerprint(seed.read_text(encoding="utf-8"))
    for hash_seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", code, str(seed)], capture_output=True, text=True,
                             check=True, env=env, cwd=Path(__file__).resolve().parents[1])
        assert json.loads(out.stdout) == expected


def test_shared_run_of_window_plus_k_words_always_found(fixtures: Path) -> None:
    """Any run of window + k - 1 shared words yields a shared fingerprint, whatever surrounds it."""
    words = (fixtures / "dedup" / "seed_003_8bc1901eddcf3703.txt").read_text(encoding="utf-8").split()
    other = (fixtures / "dedup" / "commentary.txt").read_text(encoding="utf-8").split()
    run = PARAMS.window + PARAMS.k - 1
    for start in range(0, len(words) - run, 37):
        shared = words[start:start + run]
        a = " ".join(other[:200] + shared + other[200:400])
        b = " ".join(other[400:500] + shared)
        assert set(fingerprint(a)) & set(fingerprint(b)), start


def test_density_near_two_over_window_plus_one(fixtures: Path) -> None:
    """A long text keeps about 2/(w+1) of its shingles, so the index stays small."""
    text = (fixtures / "dedup" / "seed_003_8bc1901eddcf3703.txt").read_text(encoding="utf-8")
    printed = analyse(text)
    density = len(printed.fingerprints) / len(printed.shingles)
    assert 1.4 / (PARAMS.window + 1) < density < 2.6 / (PARAMS.window + 1)


@pytest.mark.parametrize("text", ["", "   ", "Too short here."])
def test_fewer_than_k_tokens_give_nothing(text: str) -> None:
    """Texts of fewer than k tokens have no shingles and no fingerprints."""
    assert fingerprint(text) == [] and shingle_hashes(text) == []


def test_short_text_keeps_enough_fingerprints() -> None:
    """A one-sentence text keeps most of its shingles (narrow window), so containment stays measurable."""
    text = "Taliban fighters have taken control of the borders with Tajikistan and Uzbekistan, Russia says."
    printed = analyse(text)
    assert len(printed.fingerprints) >= len(printed.shingles) // 2


def test_index_entry_counts_distinct_shingles() -> None:
    """The stored shingle count is the number of distinct shingle hashes; repeated passages count once."""
    text = "the convoy crossed the Amu Darya bridge at Termez before dawn on Monday " * 3
    fingerprints, count = index_entry(text)
    assert count == len(shingle_hashes(text))
    assert set(fingerprints) <= set(shingle_hashes(text))
    assert index_entry("too short") == ([], 0)
