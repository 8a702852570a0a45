"""What each Dask worker process keeps: one embedkit Context, its plugins, open stores
and loaded models, created once per process by a WorkerPlugin.

Register it once per cluster with :func:`setup_workers`; Dask re-runs its ``setup`` on
every worker that joins later, restarted ones included. Tasks reach it through
:func:`current`. Stores, instances and models are opened on first use and kept until
the worker closes; each comes with a lock, because an embedkit Instance is used by one
thread at a time and a shard's write transaction must not interleave with another
task's on the same Store handle (a worker may run several task threads).
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
from typing import Any, Dict, Iterator, Optional, Tuple

from distributed import WorkerPlugin, get_worker

from ..core import Context, Instance, Store

PLUGIN_NAME = "embedkit"


class EmbedkitWorkerPlugin(WorkerPlugin):
    """Keeps one :class:`embedkit.Context` per worker process, and what it opened.

    Args:
        num_threads: the context's threads (0 = all cores; keep it at the worker's
            share of the machine, e.g. 1 with one worker per core).
        plugin_path: folders to scan for plugin modules (None: ``EMBEDKIT_PLUGIN_PATH``).
        bundled_plugins: register the plugins built into the library.
    """

    name = PLUGIN_NAME

    def __init__(self, num_threads: int = 1, plugin_path: Optional[str] = None,
                 bundled_plugins: bool = True) -> None:
        self.num_threads = num_threads
        self.plugin_path = plugin_path
        self.bundled_plugins = bundled_plugins
        self.context: Optional[Context] = None

    def setup(self, worker: Any) -> None:
        self.worker_name = str(worker.name)
        self.context = Context(num_threads=self.num_threads, plugin_path=self.plugin_path,
                               bundled_plugins=self.bundled_plugins)
        self._mutex = threading.Lock()
        self._stores: Dict[str, Tuple[Store, threading.RLock]] = {}
        self._instances: Dict[Tuple[str, str], Tuple[Instance, threading.Lock]] = {}
        self._models: Dict[Tuple[str, str, str], Tuple[Any, threading.Lock]] = {}
        self._cached: Dict[Any, Any] = {}
        #: instances created in this process, per plugin id (tests check "once per process")
        self.instances_created: Dict[str, int] = {}

    def teardown(self, worker: Any) -> None:
        for value in self._cached.values():
            if hasattr(value, "close"):
                value.close()
        for model, _ in self._models.values():
            model.instance.close()
        for inst, _ in self._instances.values():
            inst.close()
        for store, _ in self._stores.values():
            store.close()
        self._cached, self._models, self._instances, self._stores = {}, {}, {}, {}
        if self.context is not None:
            self.context.close()

    # -- stores
    def store(self, path: str) -> Tuple[Store, threading.RLock]:
        """The open store at ``path`` (created, with its folder, if missing) and its lock."""
        path = os.path.abspath(path)
        with self._mutex:
            if path not in self._stores:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                self._stores[path] = (self.context.open_store(path), threading.RLock())
            return self._stores[path]

    def cached(self, key: Any, factory: Any) -> Any:
        """``factory()``'s result, made once per process per ``key`` (e.g. an open
        collection handle); closed with the worker."""
        with self._mutex:
            if key not in self._cached:
                self._cached[key] = factory()
            return self._cached[key]

    def forget_models(self, store_path: str) -> None:
        """Drops the models loaded from a store (after a task rewrote them)."""
        store_path = os.path.abspath(store_path)
        with self._mutex:
            for key in [k for k in self._models if k[0] == store_path]:
                self._models.pop(key)[0].instance.close()

    # -- plugin instances and saved models
    @contextlib.contextmanager
    def instance(self, plugin_id: str, config: Any = None) -> Iterator[Instance]:
        """``with state.instance(id, config) as inst:`` one instance per (plugin, config)
        per process, held by one thread at a time."""
        key = (plugin_id, json.dumps(config, sort_keys=True))
        with self._mutex:
            if key not in self._instances:
                inst = self.context.create_instance(plugin_id, config)
                self._instances[key] = (inst, threading.Lock())
                self.instances_created[plugin_id] = self.instances_created.get(plugin_id, 0) + 1
            inst, lock = self._instances[key]
        with lock:
            yield inst

    @contextlib.contextmanager
    def model(self, kind: str, store_path: str, model: str, plugin_id: str,
              config: Any = None) -> Iterator[Any]:
        """``with state.model("classifier", path, name, plugin_id) as m:`` the typed
        wrapper (``"classifier"`` or ``"recommender"``) of a model saved under ``model``
        in the store at ``store_path``, loaded once per process."""
        store, _ = self.store(store_path)
        key = (os.path.abspath(store_path), kind, model)
        with self._mutex:
            if key not in self._models:
                inst = self.context.create_instance(plugin_id, config)
                self.instances_created[plugin_id] = self.instances_created.get(plugin_id, 0) + 1
                wrapper = getattr(inst, kind)()
                try:
                    wrapper.load(store, model)
                except BaseException:
                    inst.close()
                    raise
                self._models[key] = (wrapper, threading.Lock())
            wrapper, lock = self._models[key]
        with lock:
            yield wrapper


def current() -> EmbedkitWorkerPlugin:
    """This worker's plugin state; RuntimeError if :func:`setup_workers` was not called."""
    worker = get_worker()
    plugin = worker.plugins.get(PLUGIN_NAME)
    if plugin is None or plugin.context is None:
        raise RuntimeError("worker %s has no embedkit state: call embedkit.dask.setup_workers"
                           "(client) before using embedkit.dask" % worker.name)
    return plugin


def setup_workers(client: Any, num_threads: int = 1, plugin_path: Optional[str] = None,
                  bundled_plugins: bool = True) -> None:
    """Registers :class:`EmbedkitWorkerPlugin` on every worker of ``client``'s cluster,
    now and as they join (restarted workers included)."""
    client.register_worker_plugin(
        EmbedkitWorkerPlugin(num_threads, plugin_path, bundled_plugins), name=PLUGIN_NAME)
