"""What a run will cost, measured on a sample before paying for the whole input (`refine run --estimate`).

The sample is spread over the input (evenly spaced slices, not only its head), refined and applied as
the run would (nothing is written), and timed. The projection scales the measured per-document time,
words and model tokens to the input's row count; start-up (building the refiner) is measured once and
added, not scaled. A corpus-aware refiner's first pass is timed on the sample too and scaled likewise.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import islice

from refine.io import SourceReader, resolve_inputs, to_document
from refine.document import Document
from refine.pipeline import DocumentStep, PipelineConfig, _count
from refine.stats import Stats

SLICES = 10  # the sample is taken in this many evenly spaced runs of rows


@dataclass
class Estimate:
    rows: int  # rows of the input the run would read
    sampled: int  # documents refined for the estimate
    sample_s: float  # wall time refining + applying them (the first pass included)
    startup_s: float
    stats: Stats  # what the sample came to

    @property
    def per_doc_s(self) -> float:
        return self.sample_s / self.sampled if self.sampled else 0.0

    @property
    def projected_s(self) -> float:
        return self.startup_s + self.per_doc_s * self.rows

    def projected(self, counter: str) -> float:
        return self.stats[counter] / self.sampled * self.rows if self.sampled else 0.0


def sample_documents(input_spec: str, config: PipelineConfig, n: int) -> tuple[int, list[Document]]:
    """(rows the run would read, about `n` valid documents spread over them)."""
    sources = resolve_inputs(input_spec, config.storage_options)
    readers = [SourceReader(s, config.storage_options) for s in sources]
    try:
        counts = [_count(r) for r in readers]
        if config.limit is not None:
            left, limited = config.limit, []
            for c in counts:
                limited.append(min(c, left))
                left -= limited[-1]
            counts = limited
        total = sum(counts)
        per_slice = max(1, -(-n // SLICES))
        starts = sorted({int(k * total / SLICES) for k in range(SLICES)}) if total else []
        docs: list[Document] = []
        for start in starts:
            docs.extend(islice(_documents_from(start, counts, sources, readers, config), per_slice))
            if len(docs) >= n:
                break
        return total, docs[:n]
    finally:
        for reader in readers:
            reader.close()


def _documents_from(start: int, counts, sources, readers, config: PipelineConfig):
    """Valid documents from global row `start` on, across source boundaries."""
    offset = 0
    for source, reader, count in zip(sources, readers, counts):
        if start < offset + count:
            for raw in reader.rows(max(0, start - offset), count):
                doc = to_document(raw, source, config.text_field, config.id_field)
                if isinstance(doc, Document):
                    yield doc
        offset += count


def measure(refiner, docs: list[Document], config: PipelineConfig, rows: int, startup_s: float) -> Estimate:
    """Refine and apply `docs` as the pipeline would, without writing anything; time it."""
    step = DocumentStep(refiner.name, config.text_field, config.dialect, config.policy)
    stats = Stats()
    started = time.perf_counter()
    if refiner.needs_prepare:
        refiner.prepare(iter(docs))
    size = config.batch_size_for(refiner)
    for lo in range(0, len(docs), size):
        batch = docs[lo:lo + size]
        for doc, ref in zip(batch, refiner.refine(batch)):
            if ref.error:
                stats.update("errors/refiner")
                continue
            step(doc, ref, _NO_SOURCE, 0, stats)
    return Estimate(rows, len(docs), time.perf_counter() - started, startup_s, stats)


class _NoSource:
    path = None


_NO_SOURCE = _NoSource()
