"""Which worker owns which shard, recorded in a JSON manifest beside the shard files.

A shard's store file is written by exactly one worker, named in the manifest (a Dask
worker *name*: ``dask worker --name w1``, or LocalCluster's ``0``, ``1``, ...). Names,
not addresses, because a restarted worker keeps its name but gets a new port. Every task
for a shard runs on its owner, so the file never has to move between hosts; the path
``<root>/<file>`` is the same on every host (a local disk under the same path, or a
shared file system).

The manifest is replaced atomically (write a temporary file, fsync, rename), so a crash
leaves either the old or the new one. It also carries the write generation (the first
part of every row's sequence number, see :mod:`.writes`) and the re-sharding state
(:mod:`.resharding`).
"""
from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Sequence

FORMAT = "embedkit.dask/1"
MANIFEST = "manifest.json"
READY, MOVING = "ready", "moving"


@dataclass
class ShardPlacement:
    """Shard number, owner worker name, and the store file's name under the root."""

    shard: int
    worker: str
    file: str


@dataclass
class Manifest:
    """Everything a client needs to reach a sharded collection."""

    name: str
    dim: int
    metric: str
    index: Dict[str, Any]
    shards: List[ShardPlacement]
    uid: str = field(default_factory=lambda: uuid.uuid4().hex)
    next_generation: int = 1
    state: str = READY
    shards_before: int = 0  # while MOVING: the shard count the rows were routed by

    def to_json(self) -> Dict[str, Any]:
        d = asdict(self)
        d["format"] = FORMAT
        return d

    @staticmethod
    def from_json(d: Dict[str, Any], path: str) -> "Manifest":
        if d.get("format") != FORMAT:
            raise ValueError("%s is not an embedkit.dask manifest (format %r, expected %r)"
                             % (path, d.get("format"), FORMAT))
        d = dict(d)
        del d["format"]
        d["shards"] = [ShardPlacement(**s) for s in d["shards"]]
        return Manifest(**d)


def shard_file(name: str, shard: int) -> str:
    """The store file name of a shard: ``<collection>-shard-0003.db``."""
    return "%s-shard-%04d.db" % (name, shard)


def assign(name: str, first: int, count: int, workers: Sequence[Any]) -> List[ShardPlacement]:
    """Placements of shards ``first .. first+count-1`` over ``workers``, round robin."""
    if not workers:
        raise ValueError("no workers to place shards on")
    names = [str(w) for w in workers]
    return [ShardPlacement(s, names[(s - first) % len(names)], shard_file(name, s))
            for s in range(first, first + count)]


def manifest_path(root: str) -> str:
    return os.path.join(root, MANIFEST)


def load(root: str) -> Manifest:
    """The manifest under ``root``; FileNotFoundError naming the path if there is none."""
    path = manifest_path(root)
    with open(path, encoding="utf-8") as f:
        return Manifest.from_json(json.load(f), path)


def save(root: str, manifest: Manifest) -> None:
    """Replaces the manifest under ``root`` atomically and durably."""
    os.makedirs(root, exist_ok=True)
    path = manifest_path(root)
    tmp = "%s.%s.tmp" % (path, uuid.uuid4().hex[:8])
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest.to_json(), f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
