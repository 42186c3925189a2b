"""`--executor ray`: the plan's shards processed on a Ray cluster, with the local executor's outputs.

The driver plans shards (the same planner), skips completed ones (the same markers) and dispatches the
rest; a worker reads its shard's own row range, refines it, writes its three files atomically and its
completion marker with the local executor's own step (`ShardRunner.process_shard`), so the outputs are
byte-identical. Only shard specs and stats cross the driver, never documents. Two kinds of workers:

- CPU tasks (the default): the driver builds the refiner once (and runs a corpus-aware refiner's first
  pass), puts it in the object store, and each shard is a task that uses a copy. For `rules`, a tagger on
  CPU, HTTP-backed refiners: cheap to ship, nothing to load twice.
- Replicas (`--replicas N`, `--gpus-per-replica G`, or any `--model`): N actors that each build the
  refiner once from the run's options (one model load per replica), fed one shard at a time.

A shard whose worker process dies is retried (task `max_retries`; actor `max_restarts` with
`max_task_retries`); a failure inside the shard's own work is recorded in `_failed/` as locally. Because
shard outputs replace each other whole and markers are written last, a retry, a rerun after a killed
driver, or a straggling duplicate can never leave a document lost or written twice.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass
from typing import Callable

from refine.executors import ExecutorError
from refine.io import SourceReader
from refine.options import RunOptions
from refine.outdir import OutputDir
from refine.pipeline import Pipeline, PipelineConfig, Plan, RunResult, ShardOutcome, ShardRunner
from refine.shards import Shard
from refine.refiners import build_refiner
from refine.refiners.base import Refiner

INSTALL_HINT = "pip install 'refine[ray]'"


@dataclass
class RaySettings:
    address: str | None = None  # None: start a local Ray instance; "auto" or "ray://head:10001": join one
    replicas: int | None = None  # model replicas (actors); None: as many as the cluster's GPUs (or CPUs) allow
    gpus_per_replica: float = 0.0
    cpus_per_worker: float = 1.0  # per CPU task, and per replica
    max_retries: int = 3  # times a shard is retried when its worker process dies
    queued_per_worker: int = 2  # CPU tasks in flight per CPU: enough to keep workers busy, no more


def import_ray():
    """The `ray` module, or an ExecutorError that says how to install it."""
    try:
        import ray
    except ImportError as e:
        raise ExecutorError(f"--executor ray needs Ray: {INSTALL_HINT}") from e
    return ray


class ShardWorker:
    """Processes whole shards in a worker process: its own reads, its own writes, its own markers."""

    def __init__(self, config: PipelineConfig, output: str, refiner: Refiner):
        self.refiner = refiner
        self.runner = ShardRunner(config, refiner)
        self.out = OutputDir(output, config.storage_options)

    def run(self, shard: Shard) -> ShardOutcome:
        reader = SourceReader(shard.source, self.runner.config.storage_options)
        try:
            return self.runner.process_shard(shard, reader, self.out)
        finally:
            reader.close()


#: The worker of the current run in this worker process, keyed by the refiner's object id: a process that
#: runs many shards unpickles the refiner once and keeps its caches warm, as the local executor does.
_WORKERS: dict[str, ShardWorker] = {}


def _run_task(config: PipelineConfig, output: str, boxed_refiner: list, shard: Shard) -> ShardOutcome:
    """One shard as a Ray task. The refiner's ref comes boxed in a list, so Ray does not fetch and
    unpickle it for every task."""
    ref = boxed_refiner[0]
    worker = _WORKERS.get(ref.hex())
    if worker is None:
        import ray

        _WORKERS.clear()  # another run's refiner: let it go
        worker = _WORKERS[ref.hex()] = ShardWorker(config, output, ray.get(ref))
    return worker.run(shard)


class Replica:
    """One model replica: builds the refiner once from the run's options, then refines shard after shard."""

    def __init__(self, config: PipelineConfig, output: str, opts: RunOptions):
        refiner = build_refiner(opts)
        if refiner.needs_prepare:
            raise ValueError(f"mode {opts.mode!r} needs a first pass over the whole corpus (e.g. rules with "
                             "linefreq=auto), which replicas do not run: give it a precomputed table "
                             "(--set linefreq=PATH.npz) or run it as CPU tasks (no --replicas/--model)")
        self.worker = ShardWorker(config, output, refiner)

    def ready(self) -> bool:
        return True

    def run(self, shard: Shard) -> ShardOutcome:
        return self.worker.run(shard)

    def close(self) -> None:
        self.worker.refiner.close()


class _Tasks:
    """Slots for CPU tasks: Ray schedules them; we only bound how many wait in its queue."""

    def __init__(self, ray, settings: RaySettings, config: PipelineConfig, output: str, refiner_ref):
        cpus = ray.cluster_resources().get("CPU", 1.0)
        self.capacity = max(1, int(cpus / settings.cpus_per_worker) * settings.queued_per_worker)
        self._remote = ray.remote(num_cpus=settings.cpus_per_worker, max_retries=settings.max_retries,
                                  retry_exceptions=False)(_run_task)
        self._args = (config, output, [refiner_ref])

    def submit(self, shard: Shard):
        return self._remote.remote(*self._args, shard)

    def release(self, ref) -> None:
        pass

    def close(self) -> None:
        pass


class _Replicas:
    """Slots for replicas: each actor takes one shard at a time."""

    def __init__(self, ray, settings: RaySettings, config: PipelineConfig, output: str, opts: RunOptions,
                 shards: int):
        self.ray = ray
        count = _replica_count(ray, settings, shards)
        actor = ray.remote(Replica).options(num_cpus=settings.cpus_per_worker, num_gpus=settings.gpus_per_replica,
                                            max_restarts=settings.max_retries,
                                            max_task_retries=settings.max_retries)
        self.actors = [actor.remote(config, output, opts) for _ in range(count)]
        try:
            ray.get([a.ready.remote() for a in self.actors])
        except ray.exceptions.RayError as e:
            self.close()
            raise ExecutorError(f"a replica could not start: {_cause(e)}") from e
        self.capacity = count
        self._free = list(self.actors)
        self._busy: dict = {}

    def submit(self, shard: Shard):
        actor = self._free.pop()
        ref = actor.run.remote(shard)
        self._busy[ref] = actor
        return ref

    def release(self, ref) -> None:
        self._free.append(self._busy.pop(ref))

    def close(self) -> None:
        try:
            self.ray.get([a.close.remote() for a in self.actors], timeout=60)
        except Exception:  # noqa: BLE001 - closing is best effort; the actors are killed next
            pass
        for actor in self.actors:
            self.ray.kill(actor)


def _replica_count(ray, settings: RaySettings, shards: int) -> int:
    resources = ray.cluster_resources()
    if settings.gpus_per_replica > 0:
        gpus = resources.get("GPU", 0.0)
        fit = int(gpus // settings.gpus_per_replica)
        if fit < 1:
            raise ExecutorError(f"--gpus-per-replica {settings.gpus_per_replica:g} but the Ray cluster has "
                                f"{gpus:g} GPU(s); join a cluster with GPUs (--address) or drop the option")
    else:
        fit = max(1, int(resources.get("CPU", 1.0) // settings.cpus_per_worker))
    wanted = settings.replicas if settings.replicas is not None else fit
    if wanted > fit:
        raise ExecutorError(f"--replicas {wanted} needs more than the cluster has (room for {fit} with "
                            f"{settings.gpus_per_replica:g} GPU(s) and {settings.cpus_per_worker:g} CPU(s) "
                            "each); lower --replicas or add nodes")
    return max(1, min(wanted, shards))


def _cause(error: Exception) -> str:
    """The first line of what went wrong inside Ray, without its wrapping."""
    cause = getattr(error, "cause", None) or error
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[-1] if text else ''}"


def _absolute(path: str | None) -> str | None:
    """Local paths as every worker sees them (workers may run elsewhere, in another directory)."""
    if path is None or "://" in path:
        return path
    return os.path.abspath(path)


def _absolute_if_local(path: str | None) -> str | None:
    """A model given as a local directory, absolute; a hub name (`org/name`) as it is."""
    return _absolute(path) if path is not None and os.path.exists(path) else path


class RayExecutor:
    """Runs a plan on Ray (see module doc). `opts` are the run's options, which replicas build from."""

    def __init__(self, opts: RunOptions, settings: RaySettings | None = None):
        self.ray = import_ray()
        self.opts = opts
        self.settings = settings or RaySettings()

    @property
    def uses_replicas(self) -> bool:
        s = self.settings
        return s.replicas is not None or s.gpus_per_replica > 0 or self.opts.model is not None

    def execute(self, pipeline: Pipeline, plan: Plan, make_refiner: Callable[[], Refiner]) -> RunResult:
        todo = plan.todo()
        output = _absolute(plan.out.path)
        failed: list[tuple[str, str]] = []
        started = self._connect()
        refiner = None
        slots = None
        try:
            if todo and self.uses_replicas:
                opts = dataclasses.replace(self.opts, cache=_absolute(self.opts.cache),
                                           model=_absolute_if_local(self.opts.model),
                                           prompts_file=_absolute(self.opts.prompts_file))
                slots = _Replicas(self.ray, self.settings, pipeline.config, output, opts, len(todo))
            elif todo:
                refiner = make_refiner()
                pipeline.prepare_refiner(plan, refiner)
                slots = _Tasks(self.ray, self.settings, pipeline.config, output, self._put(refiner))
            for reader in plan.readers:  # the driver reads no rows; workers open their own
                reader.close()
            if slots is not None:
                failed = self._dispatch(todo, slots, plan.out, pipeline)
                plan.out.prune(plan.shards)  # every shard is back: sweep temp files of workers that died
        finally:
            if slots is not None:
                slots.close()
            if refiner is not None:
                refiner.close()
            if started:
                self.ray.shutdown()
        return pipeline.summarize(plan, failed)

    def _connect(self) -> bool:
        """Join the cluster (or start a local instance); True when this call did, so it shuts it down."""
        ray = self.ray
        if ray.is_initialized():
            return False
        address = self.settings.address
        try:
            if address:
                ray.init(address=address, logging_level=logging.WARNING)
            else:
                ray.init(include_dashboard=False, logging_level=logging.WARNING)
        except ConnectionError as e:
            raise ExecutorError(f"cannot join the Ray cluster at {address!r} ({e}); start one with "
                                "`ray start --head` or check --address") from e
        return True

    def _put(self, refiner: Refiner):
        try:
            return self.ray.put(refiner)
        except Exception as e:  # noqa: BLE001 - whatever pickling raises, the fix is the same
            raise ExecutorError(f"the {self.opts.mode!r} refiner cannot be shipped to Ray tasks "
                                f"({type(e).__name__}: {e}); run it as replicas instead: --replicas N") from e

    def _dispatch(self, todo: list[Shard], slots, out: OutputDir, pipeline: Pipeline) -> list[tuple[str, str]]:
        """Keep every slot busy until every shard came back done or failed."""
        ray = self.ray
        progress = pipeline.progress
        failed: list[tuple[str, str]] = []
        pending: dict = {}

        def collect(ref) -> None:
            shard = pending.pop(ref)
            slots.release(ref)
            try:
                outcome = ray.get(ref)
            except ray.exceptions.RayError as e:  # the worker died more often than retries allow
                message = (f"shard {shard.name}: its Ray worker failed {self.settings.max_retries + 1} "
                           f"time(s): {_cause(e)}")
                out.record_failure(shard, message, str(e))
                outcome = ShardOutcome(shard.name, None, message)
            if outcome.error is not None:
                failed.append((shard.name, outcome.error))
            stats = outcome.stats
            progress.advance(rows=shard.stop - shard.start, docs=int(stats["docs_in"]) if stats else 0,
                             kept=int(stats["docs_kept"]) if stats else 0,
                             words=int(stats["words_in"]) if stats else 0)

        progress.start(total=sum(s.stop - s.start for s in todo))
        try:
            for shard in todo:
                while len(pending) >= slots.capacity:
                    ready, _ = ray.wait(list(pending), num_returns=1)
                    collect(ready[0])
                pending[slots.submit(shard)] = shard
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                collect(ready[0])
        finally:
            progress.stop()
        order = {s.name: i for i, s in enumerate(todo)}
        return sorted(failed, key=lambda f: order[f[0]])
