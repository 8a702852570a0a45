"""Running a task on the worker that owns a shard, surviving that worker's restart.

Dask pins a task to a worker by *address* (``workers=[addr]``), and a restarted worker
(its Nanny brings it back after a crash) comes back on a new port: the scheduler would
keep a pinned task of the dead worker waiting forever ("no-worker"). So this module
supervises its pinned futures: it waits on them (woken by their done-callbacks, no
sleep-polling), and when a task errs or is cancelled, a result cannot be fetched, or
nothing finishes for a while, it asks the scheduler for the current name -> address
map, resubmits a task whose owner came back under a new address, and gives up with
:class:`ShardUnavailableError` (naming the shard, the worker and its last address)
when the owner stays away longer than ``worker_timeout``. Every operation has an
overall ``timeout`` as well: no call waits forever. Tasks that raise are not retried
(that is a real error, e.g. a dimension mismatch): the first call's error is re-raised
here.

Every pinned task must therefore be idempotent: it may run again after a crash that
came after its commit (the shard operations in :mod:`.shard_ops` are).
"""
from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

_ADDRESS_POLL_S = 0.25
_GATHER_TIMEOUT_S = 2.0  # results are small: hits, counts, a batch of rows


class ShardUnavailableError(RuntimeError):
    """A shard's owner worker is gone (and did not come back within the timeout)."""

    def __init__(self, collection: str, shard: int, worker: str, address: Optional[str],
                 waited: float) -> None:
        self.collection, self.shard, self.worker, self.address = collection, shard, worker, address
        super().__init__(
            "shard %d of %r is unavailable: its worker %r (last at %s) is not in the cluster "
            "(waited %.1f s); restart that worker (same --name) to serve the shard"
            % (shard, collection, worker, address or "no known address", waited))


class ShardTimeoutError(TimeoutError):
    """An operation did not finish in time; names the shards still running."""


@dataclass
class PinnedCall:
    """``fn(*args)`` to run on the worker named ``worker``, which owns ``shard``."""

    shard: int
    worker: str
    fn: Callable[..., Any]
    args: Tuple[Any, ...] = ()
    future: Any = None
    address: Optional[str] = None
    missing_since: Optional[float] = None
    last_address: Optional[str] = None
    done: bool = False
    result: Any = field(default=None, repr=False)


def _worker_names(dask_scheduler: Any) -> Dict[str, str]:
    return {str(ws.name): addr for addr, ws in dask_scheduler.workers.items()}


def worker_addresses(client: Any) -> Dict[str, str]:
    """Worker name -> current address, straight from the scheduler (not the client's
    cache, which lags by seconds)."""
    return client.run_on_scheduler(_worker_names)


def _submit(client: Any, call: PinnedCall, addresses: Dict[str, str], now: float,
            settled: _Settled) -> None:
    addr = addresses.get(call.worker)
    call.address = addr
    if addr is None:
        call.future = None
        if call.missing_since is None:
            call.missing_since = now
        return
    call.missing_since = None
    call.last_address = addr
    key = "embedkit-%s-shard%d-%s" % (getattr(call.fn, "__name__", "call"), call.shard,
                                      uuid.uuid4().hex)
    call.future = client.submit(call.fn, *call.args, key=key, workers=[addr],
                                allow_other_workers=False, pure=False)
    call.future.add_done_callback(settled.note)


def _cancel(client: Any, calls: Sequence[PinnedCall]) -> None:
    futures = [c.future for c in calls if c.future is not None and not c.done]
    if futures:
        client.cancel(futures)


class _Settled:
    """Counts the futures that settled (finished, erred or were cancelled; their
    done-callbacks call :meth:`note`), so the supervisor sleeps until there is news
    instead of polling."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._count = 0
        self._seen = 0

    def note(self, _future: Any = None) -> None:
        with self._cond:
            self._count += 1
            self._cond.notify_all()

    def wait(self, timeout: float) -> bool:
        """Waits up to ``timeout`` seconds for a future settled since the last call;
        False when none did."""
        with self._cond:
            news = self._cond.wait_for(lambda: self._count > self._seen, timeout)
            self._seen = self._count
            return news


def run_pinned(client: Any, collection: str, calls: Sequence[PinnedCall], timeout: float,
               worker_timeout: float, last_seen: Optional[Dict[str, str]] = None) -> List[Any]:
    """Runs every call on its shard's owner; returns their results in order.

    ``last_seen`` (worker name -> address, kept by the caller across calls) names a
    gone worker's last address in errors; when it knows every owner the calls are
    submitted there without asking the scheduler first (a stale address is found at
    the first check of the owners, as a restart during the call would be).

    Raises the error of the first call (in order) whose task raised, once no earlier
    call is still running on its owner; :class:`ShardUnavailableError`; or
    :class:`ShardTimeoutError` after ``timeout`` seconds (pending tasks are cancelled).
    """
    start = time.monotonic()
    last_seen = {} if last_seen is None else last_seen
    known = all(c.worker in last_seen for c in calls)
    addresses = dict(last_seen) if known else _seen(client, last_seen)
    settled = _Settled()
    for call in calls:
        call.last_address = last_seen.get(call.worker)
        _submit(client, call, addresses, start, settled)
    try:
        while True:
            pending = [c for c in calls if not c.done]
            if not pending:
                return [c.result for c in calls]
            now = time.monotonic()
            if now - start > timeout:
                late = ", ".join("shard %d on %r" % (c.shard, c.worker) for c in pending)
                raise ShardTimeoutError("%s: not finished after %.0f s: %s"
                                        % (collection, timeout, late))
            news = settled.wait(min(_ADDRESS_POLL_S, start + timeout - now))
            finished = [c for c in pending if _status(c) == "finished"]
            fetched = all([_collect(c) for c in finished])
            if fetched and news and not any(_status(c) in ("error", "cancelled")
                                            for c in pending if not c.done):
                continue
            # a task erred or was cancelled, a result fetch timed out, or nothing
            # settled for a while: only now ask where the owners are
            addresses = _seen(client, last_seen)
            _raise_first_error(calls, addresses)
            _follow_owners(client, collection, [c for c in calls if not c.done], addresses,
                           time.monotonic(), worker_timeout, settled)
    except BaseException:
        _cancel(client, calls)
        raise


def _raise_first_error(calls: Sequence[PinnedCall], addresses: Dict[str, str]) -> None:
    """Raises the task error of the first call in order that has one (not retried: a
    real error), unless an earlier call is still running on its owner. An error on an
    owner that is gone or restarted is not the task's own: _follow_owners resubmits."""
    for c in calls:
        if c.done:
            continue
        on_owner = c.future is not None and addresses.get(c.worker) == c.address
        if not on_owner:
            continue
        if _status(c) == "error":
            c.future.result()  # raises the task's exception
        return  # this call is still running on its owner: its outcome comes first


def _status(call: PinnedCall) -> Optional[str]:
    return None if call.future is None else call.future.status


def _seen(client: Any, last_seen: Dict[str, str]) -> Dict[str, str]:
    addresses = worker_addresses(client)
    last_seen.update(addresses)
    return addresses


def _collect(call: PinnedCall) -> bool:
    """Fetches a finished call's result; False when the fetch timed out. A worker dying
    during the fetch makes Dask retry its connection for 30 s, so the fetch gives up
    after a short wait; the owners are then looked up and the call resubmitted to a
    restarted owner (_follow_owners)."""
    try:
        call.result = call.future.result(timeout=_GATHER_TIMEOUT_S)
    except (TimeoutError, asyncio.TimeoutError):
        return False
    call.done = True
    return True


def _follow_owners(client: Any, collection: str, pending: Sequence[PinnedCall],
                   addresses: Dict[str, str], now: float, worker_timeout: float,
                   settled: _Settled) -> None:
    """Resubmits calls whose owner is back at a new address; raises for one gone too long."""
    for c in pending:
        current = addresses.get(c.worker)
        if current is not None and current == c.address and c.future is not None \
                and c.future.status != "cancelled":
            continue  # still running (or queued) on its owner
        if current is None:
            if c.missing_since is None:
                c.missing_since = now
            if now - c.missing_since > worker_timeout:
                raise ShardUnavailableError(collection, c.shard, c.worker, c.last_address,
                                            now - c.missing_since)
            continue
        if c.future is not None:
            client.cancel([c.future])
        _submit(client, c, addresses, now, settled)
