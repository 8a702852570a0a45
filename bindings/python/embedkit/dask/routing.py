"""Which shard holds an id: a stable hash, the same in every process and on every host.

Python's ``hash()`` of a str is salted per process (``PYTHONHASHSEED``), so two workers
would disagree; the key here is the first 8 bytes of BLAKE2b over the id's UTF-8. The
shard is Lamping & Veach's *jump consistent hash* of that key ("A Fast, Minimal Memory,
Consistent Hash Algorithm", 2014): going from ``n`` to ``m > n`` shards changes the shard
of only the ids that land on one of the added shards (about ``(m - n) / m`` of them),
and never moves an id between two old shards, so re-sharding copies the least data.
"""
from __future__ import annotations

import hashlib

_MASK64 = (1 << 64) - 1
_JUMP_MULTIPLIER = 2862933555777941757  # the paper's 64-bit LCG


def shard_key(id: str) -> int:
    """The 64-bit routing key of an id (BLAKE2b-64 of its UTF-8, little-endian)."""
    digest = hashlib.blake2b(id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def jump_hash(key: int, buckets: int) -> int:
    """The bucket in ``[0, buckets)`` of a 64-bit key (the paper's reference code)."""
    b, j = -1, 0
    while j < buckets:
        b = j
        key = (key * _JUMP_MULTIPLIER + 1) & _MASK64
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


def route(id: str, shards: int) -> int:
    """The shard in ``[0, shards)`` that holds ``id`` when there are ``shards`` shards."""
    if not isinstance(id, str):
        raise TypeError("ids are str, not %s" % type(id).__name__)
    if shards < 1:
        raise ValueError("a sharded collection has at least 1 shard, not %d" % shards)
    return jump_hash(shard_key(id), shards)
