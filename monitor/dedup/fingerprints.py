"""Winnowed fingerprints of word k-grams (shingles): stable 64-bit signed integers that fit a SQL BIGINT.

Definition (``PARAMS.version`` names it; change the version whenever any step changes):

1. Tokens: :func:`monitor.dedup.normalize.tokens`.
2. Token hash ``t``: the first 8 bytes of BLAKE2b (digest size 8) of the token's UTF-8 bytes, read as an
   unsigned little-endian integer.
3. Shingle hash of tokens ``i .. i+k-1``: ``mix(sum(t[i+j] * M**(k-1-j) for j in range(k)) mod 2**64)`` where
   ``M = SHINGLE_MULTIPLIER`` and ``mix`` is the SplitMix64 finaliser; the result is read as a signed 64-bit
   integer. Each token is hashed once and the k-gram combine is vectorised, which is what makes this fast.
4. Winnowing (Schleimer, Wilkerson and Aiken, 2003): the fingerprint set is the set of minima (by signed
   value) of every run of ``window`` consecutive shingle hashes, so any shared run of ``window + k - 1`` words
   yields a shared fingerprint. Short texts use a narrower window, ``max(1, min(window, shingles // 8))``, so
   that even a paragraph keeps about sixteen fingerprints.

:func:`shingle_hashes` gives every shingle hash (a new text is looked up with all of them, which lets the
verdict estimate containment from the stored sample); :func:`fingerprint` gives the winnowed set to store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from monitor.dedup.normalize import token_keys

__all__ = ["PARAMS", "SHINGLE_MULTIPLIER", "FingerprintParams", "TextPrint", "analyse", "fingerprint",
           "index_entry", "shingle_hashes", "token_hash"]

SHINGLE_MULTIPLIER = 0x9E3779B97F4A7C15  # odd 64-bit constant (2**64 / golden ratio)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_CACHE_LIMIT = 300_000


@dataclass(frozen=True)
class FingerprintParams:
    """The parameters stored with every fingerprint set, so a change of method can be detected and re-indexed."""

    k: int = 5
    window: int = 16
    short_text_divisor: int = 8
    hash_name: str = "blake2b64-token/poly-splitmix64-shingle"
    version: str = "wf1-k5-w16"


PARAMS = FingerprintParams()


def token_hash(token: str | bytes) -> int:
    """Unsigned 64-bit hash of one token: BLAKE2b with an 8-byte digest of its UTF-8 bytes, little-endian."""
    data = token.encode("utf-8") if isinstance(token, str) else token
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


class _TokenHashes(dict[str | bytes, int]):
    """Memo of token hashes (a token is hashed once per process); cleared when it grows past a limit."""

    def __missing__(self, token: str | bytes) -> int:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        value = self[token] = token_hash(token)
        return value


_token_hashes = _TokenHashes()


def _shingles(text: str, k: int) -> npt.NDArray[np.uint64]:
    """Every shingle hash of `text` in text order (unsigned view); empty when it has fewer than k tokens."""
    keys = token_keys(text)
    count = len(keys) - k + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    hashes = np.fromiter(map(_token_hashes.__getitem__, keys), dtype=np.uint64, count=len(keys))
    acc = hashes[:count].copy()
    multiplier = np.uint64(SHINGLE_MULTIPLIER)
    for j in range(1, k):
        acc *= multiplier
        acc += hashes[j : j + count]
    acc ^= acc >> np.uint64(30)
    acc *= _MIX1
    acc ^= acc >> np.uint64(27)
    acc *= _MIX2
    acc ^= acc >> np.uint64(31)
    return acc


def _window_minima(values: npt.NDArray[np.int64], window: int) -> npt.NDArray[np.int64]:
    """Minimum of every run of `window` consecutive values (doubling: O(n log window) vector operations)."""
    span = 1
    minima = values
    while span * 2 <= window:
        minima = np.minimum(minima[:-span], minima[span:])
        span *= 2
    if span < window:
        shift = window - span
        minima = np.minimum(minima[:-shift], minima[shift:])
    return minima


def _winnow(signed: npt.NDArray[np.int64], params: FingerprintParams) -> list[int]:
    """Sorted distinct minima of every window of shingle hashes (window narrowed for short texts)."""
    window = max(1, min(params.window, signed.size // params.short_text_divisor))
    minima = _window_minima(signed, window)
    if minima.size > 1:
        minima = minima[np.concatenate(([True], minima[1:] != minima[:-1]))]
    return sorted(set(minima.tolist()))


@dataclass(frozen=True)
class TextPrint:
    """What repost detection needs from one text: its distinct shingle hashes and its winnowed fingerprints."""

    shingles: frozenset[int]  # distinct shingle hashes
    fingerprints: list[int]  # distinct, ascending, a subset of `shingles`


def analyse(text: str, params: FingerprintParams = PARAMS) -> TextPrint:
    """Return the distinct shingle hashes and the winnowed fingerprints of `text`."""
    signed = _shingles(text, params.k).view(np.int64)
    return TextPrint(shingles=frozenset(signed.tolist()), fingerprints=_winnow(signed, params))


def fingerprint(text: str, params: FingerprintParams = PARAMS) -> list[int]:
    """Return the winnowed fingerprints of `text`: distinct signed 64-bit integers, ascending."""
    return _winnow(_shingles(text, params.k).view(np.int64), params)


def index_entry(text: str, params: FingerprintParams = PARAMS) -> tuple[list[int], int]:
    """What the index stores for a text: its winnowed fingerprints and its count of distinct shingles."""
    signed = _shingles(text, params.k).view(np.int64)
    return _winnow(signed, params), _distinct(signed)


def _distinct(values: npt.NDArray[np.int64]) -> int:
    """How many distinct values `values` holds (a sort and a comparison: cheaper than np.unique)."""
    if values.size == 0:
        return 0
    ordered = np.sort(values)
    return int(np.count_nonzero(ordered[1:] != ordered[:-1])) + 1


def shingle_hashes(text: str, params: FingerprintParams = PARAMS) -> list[int]:
    """Return every distinct shingle hash of `text` (signed 64-bit, ascending): the keys to look a text up by."""
    return sorted(set(_shingles(text, params.k).view(np.int64).tolist()))
