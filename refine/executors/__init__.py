"""Executors: who processes a prepared plan's shards. `local` runs them in this process, one after the
other; `ray` dispatches them to a Ray cluster. Both run the pipeline's own per-shard step
(`refine.pipeline.ShardRunner`), so outputs, markers and stats are the same whichever runs them.
"""

from __future__ import annotations

from typing import Callable, Protocol

from refine.pipeline import Pipeline, Plan, RunResult
from refine.refiners.base import Refiner

EXECUTORS = ("local", "ray")


class ExecutorError(RuntimeError):
    """An executor that cannot run here (a missing package, a cluster without the resources asked for)."""


class Executor(Protocol):
    def execute(self, pipeline: Pipeline, plan: Plan, make_refiner: Callable[[], Refiner]) -> RunResult:
        """Process `plan`'s shards not done yet and write stats.json. `make_refiner` builds the refiner on
        the caller's side; an executor that builds its own (model replicas) may never call it."""
        ...


class LocalExecutor:
    """Every shard in this process, in order, with one refiner built here."""

    def execute(self, pipeline: Pipeline, plan: Plan, make_refiner: Callable[[], Refiner]) -> RunResult:
        refiner = make_refiner()
        try:
            return self.run(pipeline, plan, refiner)
        finally:
            refiner.close()

    def run(self, pipeline: Pipeline, plan: Plan, refiner: Refiner) -> RunResult:
        """The shards not done yet, one after the other, with `refiner` (which the caller closes)."""
        runner = pipeline.runner(refiner)
        pipeline.prepare_refiner(plan, refiner)
        todo = plan.todo()
        failed: list[tuple[str, str]] = []
        pipeline.progress.start(total=sum(s.stop - s.start for s in todo))
        try:
            for shard in todo:
                outcome = runner.process_shard(shard, plan.readers[plan.sources.index(shard.source)], plan.out)
                if outcome.error is not None:
                    failed.append((shard.name, outcome.error))
        finally:
            pipeline.progress.stop()
            for reader in plan.readers:
                reader.close()
        return pipeline.summarize(plan, failed)
