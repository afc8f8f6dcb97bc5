"""Which version answers a request: the primary, or the canary for its share of requests.

A client that sends a key (the ``X-Client-Id`` header by default) is hashed into one of
100 buckets, the same on every replica and in every process, and the canary answers the
buckets below its share: a client always gets the same version while the share stays,
and raising the share only moves more clients over. A request without a key is routed
at random with the same probability.
"""

from __future__ import annotations

import hashlib
import random

BUCKETS = 100
KEY_MAX = 256  # characters of the key that count (a longer header is cut, not refused)


def bucket(key: str) -> int:
    """The bucket (0..99) of a client key: the first 8 bytes of its SHA-256, modulo 100."""
    digest = hashlib.sha256(key[:KEY_MAX].encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def to_canary(share: int | None, key: str | None, rng: random.Random | None = None) -> bool:
    """True when the canary answers this request (``share`` percent of requests, or keys)."""
    if not share:
        return False
    if key:
        return bucket(key) < share
    return (rng or random).randrange(BUCKETS) < share
